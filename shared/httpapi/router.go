package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/idempotency"
	"github.com/contracts-service/contracts/shared/ids"
	"github.com/contracts-service/contracts/shared/logs"
	"github.com/contracts-service/contracts/shared/metrics"
	"github.com/contracts-service/contracts/shared/routes"
	"github.com/contracts-service/contracts/shared/validate"
)

// HandlerFunc handles one route. It returns the response, or an error that
// the router turns into a problem response.
type HandlerFunc func(ctx context.Context, r *Request) (events.APIGatewayV2HTTPResponse, error)

type route struct {
	key     string // "METHOD /path", as template.yaml declares it
	handler HandlerFunc
	api     contract.API
}

// Router dispatches API Gateway HTTP API events to the handlers of one
// function, by the route key API Gateway names in the event ("POST
// /api/v1/contracts"): API Gateway has matched the path already, and the
// router never matches it again. It is the one edge of every HTTP
// function: it establishes the actor from the authorizer context, recovers
// panics, and logs each failure once with the request id.
type Router struct {
	routes []*route
	byKey  map[string]*route
	log    *slog.Logger
	// traceHeader, when set, names a header every answer echoes: the
	// request's own trace id, or one made up for it.
	traceHeader string
	// errorsAsJSON serves problems as application/json (see
	// ServeErrorsAsJSON).
	errorsAsJSON bool
	// idem keeps Idempotency-Keys; nil serves writes without them.
	idem idempotency.Store
	// origin, when set, is the only origin of the events served (see
	// RequireOrigin).
	origin *Origin
	// api, when set, holds every route of the API, for the answers to
	// events of its $default route (see AnswerUnmatched).
	api *routes.Table
}

// NewRouter returns an empty Router that logs to log.
func NewRouter(log *slog.Logger) *Router { return &Router{log: log} }

// Handle registers h for a route key of the form "METHOD /path/{param}",
// exactly as template.yaml declares it and API Gateway names it in the
// events of the route. It panics on anything else ($default included,
// see AnswerUnmatched) and on a key registered twice: a router is built
// once, at start.
func (rt *Router) Handle(routeKey string, h HandlerFunc) { rt.HandleVia("", routeKey, h) }

// HandleVia is Handle for a route of one of the service's APIs: the
// route's requests act through api (their Actor's Via), so a change of a
// contract another API owns is refused.
func (rt *Router) HandleVia(api contract.API, routeKey string, h HandlerFunc) {
	if _, err := routes.New([]string{routeKey}); err != nil || routeKey == DefaultRouteKey {
		panic("httpapi: " + routeKey + " is not a route key (METHOD /path)")
	}
	if rt.byKey[routeKey] != nil {
		panic("httpapi: route " + routeKey + " registered twice")
	}
	r := &route{key: routeKey, handler: h, api: api}
	if rt.byKey == nil {
		rt.byKey = map[string]*route{}
	}
	rt.routes = append(rt.routes, r)
	rt.byKey[routeKey] = r
}

// noRoute is the route a request's lines name when its event names no
// route of the function (API Gateway delivers no such event).
const noRoute = "none"

// maxTraceID bounds a client's trace id, which every log line repeats.
const maxTraceID = 128

// EchoTraceID makes every answer carry the request's trace-id header
// (EasyBilling's convention), generating a UUID when the client sent none
// or one that is not 1 to 128 printable ASCII characters; every log line
// of the request carries it too.
func (rt *Router) EchoTraceID() { rt.traceHeader = "trace-id" }

// ServeErrorsAsJSON makes every error answer's Content-Type
// application/json, its body the same RFC 9457 problem, unless the
// request's Accept names application/problem+json: EasyBilling's
// published clients read an error's body only when its type is JSON, and
// a check for application/json does not match application/problem+json.
func (rt *Router) ServeErrorsAsJSON() { rt.errorsAsJSON = true }

// acceptsProblems reports whether a request's Accept header names
// application/problem+json (with a quality above 0).
func acceptsProblems(headers map[string]string) bool {
	for k, v := range headers {
		if !strings.EqualFold(k, "accept") {
			continue
		}
		for part := range strings.SplitSeq(v, ",") {
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err != nil || mt != ProblemContentType {
				continue
			}
			if q, set := params["q"]; !set {
				return true
			} else if weight, err := strconv.ParseFloat(q, 64); err == nil && weight > 0 {
				return true
			}
		}
	}
	return false
}

// traceID returns the client's trace-id header, whatever the casing of its
// name (sam local start-api passes names as the client wrote them), or ""
// when it is absent or unfit to repeat in every log line and answer: over
// 128 characters, or holding anything but printable ASCII (a line
// separator such as U+0085 would split a log line for some readers).
func traceID(headers map[string]string) string {
	v, ok := headers["trace-id"]
	if !ok {
		for k, hv := range headers {
			if strings.EqualFold(k, "trace-id") {
				v = hv
				break
			}
		}
	}
	if len(v) > maxTraceID || !printableASCII(v) {
		return ""
	}
	return v
}

// printableASCII reports whether s holds only the characters 0x20 to 0x7e.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// RouteKeys returns the route keys registered, in registration order.
func (rt *Router) RouteKeys() []string {
	keys := make([]string, len(rt.routes))
	for i, r := range rt.routes {
		keys[i] = r.key
	}
	return keys
}

// Serve handles one event. It never returns an error: every failure is a
// problem response, so API Gateway never answers with its own opaque 500.
func (rt *Router) Serve(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (resp events.APIGatewayV2HTTPResponse, _ error) {
	// The request's attributes are gathered first and turned into its
	// logger once, when the tenant is known (or the request ends without
	// one): each slog.With would copy and re-encode them all.
	attrs := make([]slog.Attr, 0, 7)
	attrs = append(attrs, slog.String("requestId", ev.RequestContext.RequestID))
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		attrs = append(attrs, slog.String("awsRequestId", lc.AwsRequestID))
	}
	if xray := logs.XRayTraceID(ctx); xray != "" {
		attrs = append(attrs, slog.String("xrayTraceId", xray))
	}
	trace := traceID(ev.Headers)
	if trace == "" && rt.traceHeader != "" {
		trace = ids.UUID()
	}
	if trace != "" {
		attrs = append(attrs, slog.String("traceId", trace))
	}
	// The route is logged by its key, as template.yaml declares it (never
	// the path, whose ids say nothing the request line needs), once one
	// matched.
	routeAttr := slog.String("route", noRoute)
	var dialect contract.API
	ctx, counts := metrics.WithCounts(ctx)
	var log *slog.Logger
	start := time.Now()
	coldStart := logs.ColdStart()
	defer func() {
		if log == nil {
			log = slog.New(rt.log.Handler().WithAttrs(append(attrs, routeAttr)))
		}
		if p := recover(); p != nil {
			log.Error("handler panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			resp = errorResponse(fmt.Errorf("panic: %v", p))
		}
		if rt.traceHeader != "" {
			if resp.Headers == nil {
				resp.Headers = map[string]string{}
			}
			resp.Headers[rt.traceHeader] = trace
		}
		if rt.errorsAsJSON && resp.Headers["Content-Type"] == ProblemContentType && !acceptsProblems(ev.Headers) {
			resp.Headers["Content-Type"] = "application/json"
		}
		// The request's own line is also its metrics record (EMF), so
		// it is written at a level no filter drops.
		elapsed := time.Since(start)
		line := []slog.Attr{slog.Int("status", resp.StatusCode),
			slog.Float64("durationMs", float64(elapsed.Microseconds())/1000), slog.Bool("coldStart", coldStart)}
		line = append(line, refusalAttrs(resp)...)
		line = append(line, metrics.Request(start, string(dialect), resp.StatusCode, elapsed,
			resp.Headers[idempotency.HeaderReplayed] == "true", counts)...)
		log.LogAttrs(ctx, metrics.Level(ctx, log), "request", line...)
	}()

	if ev.RouteKey == DefaultRouteKey {
		routeAttr = slog.String("route", DefaultRouteKey)
		return rt.serveUnmatched(ctx, &ev, append(attrs, routeAttr)), nil
	}
	// API Gateway names the route it matched in routeKey, and hands over
	// its path parameters, decoded: the path is not matched again.
	r, key := rt.byKey[ev.RouteKey], ""
	if r != nil {
		key, routeAttr, dialect = r.key, slog.String("route", r.key), r.api
	}
	if why := rt.origin.refuses(ctx, &ev, key); why != "" {
		return rt.refuseForeign(ctx, append(attrs, routeAttr), &ev, why), nil
	}
	if r == nil {
		// Only an event built by hand names no route, or one of another
		// function: API Gateway invokes each function for its own routes.
		if ev.RouteKey == "" {
			return ProblemResponse(http.StatusBadRequest, "the event names no route: API Gateway names the route it matched in routeKey"), nil
		}
		return ProblemResponse(http.StatusNotFound, fmt.Sprintf("this function serves no route %s", ev.RouteKey)), nil
	}
	req := &Request{Event: ev, routeKey: r.key}
	actor, aliases, ok := actorFromContext(ev.RequestContext.Authorizer)
	if !ok {
		// The authorizer should have refused this request; answer as it
		// would, so a misconfigured route never acts for nobody.
		return ProblemResponse(http.StatusUnauthorized, "a valid credential is required (Authorization: Bearer <token> or X-API-KEY)"), nil
	}
	actor.Via = r.api
	req.Actor, req.TenantAliases = actor, aliases
	log = slog.New(rt.log.Handler().WithAttrs(append(attrs, routeAttr, slog.String("tenant", actor.TenantID))))
	if err := checkPathParameters(ev.PathParameters); err != nil {
		return errorResponse(err), nil
	}

	if key, sent := idempotencyKey(req); sent && rt.idem != nil && isWrite(ev.RequestContext.HTTP.Method) {
		resp, err := rt.serveIdempotent(ctx, r.handler, req, key, log)
		if err != nil {
			resp = errorResponse(err)
			if resp.StatusCode >= http.StatusInternalServerError {
				log.Error("request failed", "error", err.Error())
			}
		}
		return resp, nil
	}
	resp, err := r.handler(ctx, req)
	if err != nil {
		resp = errorResponse(err)
		if resp.StatusCode >= http.StatusInternalServerError {
			log.Error("request failed", "error", err.Error())
		}
		return resp, nil
	}
	return resp, nil
}

// checkPathParameters refuses path parameters that cannot name a resource
// unambiguously. Invalid UTF-8 reaches a function as U+FFFD (the event is
// JSON, and JSON decoding replaces what is not UTF-8), so /%FF, /%C0 and
// /%EF%BF%BD would all name one resource: U+FFFD is refused with the
// invalid sequences it stands for. Control characters have no place in an
// identifier and would break log lines.
func checkPathParameters(params map[string]string) error {
	var fields []contract.FieldError
	for name, v := range params {
		if !utf8.ValidString(v) || strings.ContainsRune(v, utf8.RuneError) {
			fields = append(fields, contract.FieldError{Field: name, Message: "path parameter must be valid UTF-8"})
			continue
		}
		if !validate.SingleLine(v) {
			fields = append(fields, contract.FieldError{Field: name, Message: "path parameter must not hold control characters"})
		}
	}
	if len(fields) == 0 {
		return nil
	}
	slices.SortFunc(fields, func(a, b contract.FieldError) int { return strings.Compare(a.Field, b.Field) })
	return contract.Invalid(fields...)
}

// actorFromContext reads what the authorizer handed over. Values arrive as
// JSON strings; anything else is treated as absent.
func actorFromContext(a *events.APIGatewayV2HTTPRequestContextAuthorizerDescription) (contract.Actor, []string, bool) {
	if a == nil || a.Lambda == nil {
		return contract.Actor{}, nil, false
	}
	tenant, _ := a.Lambda[ContextTenantID].(string)
	cred, _ := a.Lambda[ContextCredentialID].(string)
	if tenant == "" || cred == "" {
		return contract.Actor{}, nil, false
	}
	var aliases []string
	if s, _ := a.Lambda[ContextTenantAliases].(string); s != "" {
		aliases = strings.Split(s, ",")
	}
	return contract.Actor{TenantID: tenant, CredentialID: cred}, aliases, true
}

// JSON returns a response with v encoded as JSON.
func JSON(status int, v any) (events.APIGatewayV2HTTPResponse, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("httpapi: encode response: %w", err)
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    map[string]string{"Content-Type": "application/json"},
		Body:       string(body),
	}, nil
}

// NoContent returns an empty 204 response.
func NoContent() events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNoContent}
}
