// Package gateway emulates API Gateway's HTTP API (payload format 2.0) in
// front of Lambda functions, as `sam local start-api` does: it reads the
// routes, the Lambda authorizer and the stage's variables from
// template.yaml, builds the events API Gateway builds (the stage's
// variables in stageVariables, as API Gateway hands them to functions and
// authorizers), runs the route's authorizer as API Gateway does (a request
// missing an identity source is a 401 that invokes nothing; an answer is
// kept for the identity sources' values for the authorizer's
// ReauthorizeEvery), and turns the function's answer into the HTTP
// response, with API Gateway's own answers ({"message": "Not Found"}, 401,
// 403, 413, 500, 502) where API Gateway gives them.
//
// How functions run is not its business: each is an Invoker, so tests can
// plug in anything; StartStack wires in the built bootstraps run by
// runtimeapi.
package gateway

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/infra/local/runtimeapi"
	"github.com/contracts-service/contracts/shared/routes"
)

// Invoker invokes one function synchronously: the function's response, or
// the error it reported, or an error for an invocation that failed to run.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) ([]byte, *runtimeapi.FunctionError, error)
}

// MaxBodyBytes is API Gateway's bound on a request body (10 MB).
const MaxBodyBytes = 10 << 20

// Defaults for the identifiers API Gateway puts in events.
const (
	// DefaultAPIID is the API id SAM's local tools use.
	DefaultAPIID = "1234567890"
	// DefaultRegion is the region of route ARNs when Options names none.
	DefaultRegion = "us-east-1"
)

// Options tune a Gateway. The zero value is usable.
type Options struct {
	// APIID is the API's id in events and route ARNs (DefaultAPIID when
	// empty).
	APIID string
	// Region is the region in route ARNs (DefaultRegion when empty).
	Region string
	// AccessLog receives one line per request; nil logs nothing.
	AccessLog io.Writer
	// Now tells the time by which cached authorizer answers expire
	// (time.Now when nil), so a test can move it on instead of waiting.
	Now func() time.Time
}

// Gateway is an http.Handler that serves an API's routes.
type Gateway struct {
	api      *API
	invokers map[string]Invoker
	opts     Options
	// table matches requests to routes, with the matcher the answers of
	// the API's $default route use too (package routes).
	table    *routes.Table
	byKey    map[string]*Route
	fallback *Route
	// invocations counts the invocations made of each function, by
	// logical id: routes' and authorizers'.
	invocations map[string]*atomic.Int64
	// authorized keeps authorizers' answers, by authorizer and identity
	// sources' values.
	authMu     sync.Mutex
	authorized map[string]cachedAnswer
}

// cachedAnswer is an authorizer's answer kept until expires.
type cachedAnswer struct {
	response []byte
	expires  time.Time
}

// New returns a Gateway for api, invoking each function through the
// Invoker of its logical id. Every function a route or an authorizer names
// must have one.
func New(api *API, invokers map[string]Invoker, opts Options) (*Gateway, error) {
	if opts.APIID == "" {
		opts.APIID = DefaultAPIID
	}
	if opts.Region == "" {
		opts.Region = DefaultRegion
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	g := &Gateway{api: api, invokers: invokers, opts: opts, byKey: map[string]*Route{},
		invocations: map[string]*atomic.Int64{}, authorized: map[string]cachedAnswer{}}
	for id := range invokers {
		g.invocations[id] = new(atomic.Int64)
	}
	var keys []string
	for i := range api.Routes {
		r := &api.Routes[i]
		if invokers[r.Function] == nil {
			return nil, fmt.Errorf("gateway: route %s: no invoker for %s", r.Key(), r.Function)
		}
		if r.Authorizer != "" && invokers[api.Authorizers[r.Authorizer].Function] == nil {
			return nil, fmt.Errorf("gateway: route %s: no invoker for authorizer %s", r.Key(), r.Authorizer)
		}
		if g.byKey[r.Key()] != nil {
			return nil, fmt.Errorf("gateway: route %s is declared twice", r.Key())
		}
		g.byKey[r.Key()] = r
		if r.Key() == routes.Default {
			g.fallback = r
			continue
		}
		keys = append(keys, r.Key())
	}
	table, err := routes.New(keys)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	g.table = table
	return g, nil
}

// Invocations returns how many times the gateway has invoked the function
// of a logical id, for its routes or as an authorizer.
func (g *Gateway) Invocations(function string) int64 {
	if n := g.invocations[function]; n != nil {
		return n.Load()
	}
	return 0
}

// invoke invokes a function, counting it.
func (g *Gateway) invoke(ctx context.Context, function string, payload []byte) ([]byte, *runtimeapi.FunctionError, error) {
	g.invocations[function].Add(1)
	return g.invokers[function].Invoke(ctx, payload)
}

// Routes returns the route keys served, sorted.
func (g *Gateway) Routes() []string {
	var keys []string
	for _, r := range g.api.Routes {
		keys = append(keys, r.Key())
	}
	sort.Strings(keys)
	return keys
}

// ServeHTTP handles one request the way API Gateway does.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	requestID := newRequestID()
	w.Header().Set("Apigw-Requestid", requestID)
	rec := &statusRecorder{ResponseWriter: w}
	g.serve(rec, r, requestID, start)
	if g.opts.AccessLog != nil {
		// The path alone, as API Gateway's $context.path gives it: a
		// query string can carry a token (?access_token=...) or other
		// secrets, and the log must hold none. Escaped, so a client's
		// path cannot start a line of its own.
		fmt.Fprintf(g.opts.AccessLog, "%s %s %s %s %d %d %.1fms\n", start.UTC().Format(time.RFC3339),
			clientIP(r), r.Method, r.URL.EscapedPath(), rec.status, rec.bytes, float64(time.Since(start).Microseconds())/1000)
	}
}

func (g *Gateway) serve(w http.ResponseWriter, r *http.Request, requestID string, start time.Time) {
	route, params := g.match(r.Method, r.URL.EscapedPath())
	if route == nil {
		gatewayError(w, http.StatusNotFound, "Not Found")
		return
	}
	if r.ContentLength > MaxBodyBytes {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		gatewayError(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(body) > MaxBodyBytes {
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	req := g.newRequest(r, route, params, body, requestID, start)

	var authContext map[string]any
	if route.Authorizer != "" {
		var status int
		authContext, status = g.authorize(r.Context(), req, g.api.Authorizers[route.Authorizer])
		switch status {
		case http.StatusOK:
		case http.StatusUnauthorized:
			gatewayError(w, status, "Unauthorized")
			return
		case http.StatusForbidden:
			gatewayError(w, status, "Forbidden")
			return
		default:
			gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
			return
		}
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: authContext}
		if authContext == nil {
			req.RequestContext.Authorizer.Lambda = map[string]any{}
		}
	}

	payload, err := marshalEvent(req)
	if err != nil {
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	resp, fnErr, err := g.invoke(r.Context(), route.Function, payload)
	var exit *runtimeapi.ExitError
	switch {
	case errors.Is(err, runtimeapi.ErrPayloadTooLarge):
		gatewayError(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	case errors.As(err, &exit):
		// The function ran and died: to API Gateway that is a function
		// error.
		gatewayError(w, http.StatusBadGateway, "Internal Server Error")
		return
	case err != nil:
		// Lambda refused or could not run the invocation.
		gatewayError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	case fnErr != nil:
		gatewayError(w, http.StatusBadGateway, "Internal Server Error")
		return
	}
	if err := writeFunctionResponse(w, resp); err != nil {
		gatewayError(w, http.StatusBadGateway, "Internal Server Error")
	}
}

// match finds the route for a request as API Gateway does (package
// routes: the most specific path wins, then an exact method before ANY);
// the $default route takes what is left.
func (g *Gateway) match(method, escapedPath string) (*Route, map[string]string) {
	key, params := g.table.Route(method, escapedPath)
	if key == routes.Default {
		return g.fallback, nil
	}
	return g.byKey[key], params
}

// newRequest builds the payload 2.0 event for a request.
func (g *Gateway) newRequest(r *http.Request, route *Route, params map[string]string, body []byte, requestID string, start time.Time) events.APIGatewayV2HTTPRequest {
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		if lower == "cookie" {
			// Payload 2.0 moves cookies out of the headers into their
			// own field.
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
			continue
		}
		headers[lower] = strings.Join(values, ",")
	}
	headers["host"] = r.Host
	if r.ContentLength > 0 {
		headers["content-length"] = fmt.Sprint(r.ContentLength)
	}
	ip := clientIP(r)
	if prior := headers["x-forwarded-for"]; prior != "" {
		headers["x-forwarded-for"] = prior + ", " + ip
	} else {
		headers["x-forwarded-for"] = ip
	}
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		headers["x-forwarded-port"] = port
	} else {
		headers["x-forwarded-port"] = "80"
	}
	headers["x-forwarded-proto"] = "http"
	if r.TLS != nil {
		headers["x-forwarded-proto"] = "https"
	}
	if headers["x-amzn-trace-id"] == "" {
		headers["x-amzn-trace-id"] = newTraceRoot(start)
	}

	var query map[string]string
	if r.URL.RawQuery != "" {
		values, _ := url.ParseQuery(r.URL.RawQuery)
		if len(values) > 0 {
			query = make(map[string]string, len(values))
			for k, v := range values {
				query[k] = strings.Join(v, ",")
			}
		}
	}

	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	prefix, _, _ := strings.Cut(host, ".")

	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              route.Key(),
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: query,
		PathParameters:        params,
		StageVariables:        g.api.StageVariables,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.Key(),
			AccountID:    runtimeapi.AccountID,
			Stage:        "$default",
			RequestID:    requestID,
			APIID:        g.opts.APIID,
			DomainName:   host,
			DomainPrefix: prefix,
			Time:         start.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    start.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  ip,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// isText reports whether API Gateway passes a body of this content type as
// text; anything else (including no content type) arrives base64-encoded.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mt, "text/") {
		return true
	}
	for _, suffix := range []string{"/json", "+json", "/xml", "+xml", "/javascript", "/x-javascript", "/ecmascript", "/yaml", "/x-yaml"} {
		if strings.HasSuffix(mt, suffix) {
			return true
		}
	}
	return false
}

// authorize runs the route's authorizer and returns the context it handed
// over and the status API Gateway settles on: 200 to go on, 401, 403, or
// 500.
//
// As API Gateway does (its developer guide, "Working with AWS Lambda
// authorizers for HTTP APIs"): a request missing an identity source, or
// with one empty, is a 401 that invokes nothing; with caching on
// (ResultTTL), the identity sources' values are the cache's key, for
// every route of the authorizer, and an answer found there is used
// without invoking the function. What is kept is the function's answer,
// a grant or a denial; an error it raised ("Unauthorized" included) or
// could not give is not kept, so the next request asks again.
func (g *Gateway) authorize(ctx context.Context, req events.APIGatewayV2HTTPRequest, a Authorizer) (map[string]any, int) {
	identity := []string{}
	for _, h := range a.IdentityHeaders {
		v, ok := req.Headers[strings.ToLower(headerName(h))]
		if !ok || v == "" {
			return nil, http.StatusUnauthorized
		}
		identity = append(identity, v)
	}
	for _, q := range a.IdentityQueryStrings {
		v, ok := req.QueryStringParameters[queryName(q)]
		if !ok || v == "" {
			return nil, http.StatusUnauthorized
		}
		identity = append(identity, v)
	}
	routeARN := fmt.Sprintf("arn:aws:execute-api:%s:%s:%s/%s/%s%s", g.opts.Region, runtimeapi.AccountID, g.opts.APIID,
		req.RequestContext.Stage, req.RequestContext.HTTP.Method, req.RawPath)
	// JSON keeps the values apart: no two lists of values make one key.
	rawKey, _ := json.Marshal(identity)
	key := a.Name + " " + string(rawKey)
	if resp, ok := g.cached(key); ok {
		return evaluateAuthorizer(a, resp, routeARN)
	}
	authReq := events.APIGatewayV2CustomAuthorizerV2Request{
		Version:               "2.0",
		Type:                  "REQUEST",
		RouteArn:              routeARN,
		IdentitySource:        identity,
		RouteKey:              req.RouteKey,
		RawPath:               req.RawPath,
		RawQueryString:        req.RawQueryString,
		Cookies:               req.Cookies,
		Headers:               req.Headers,
		QueryStringParameters: req.QueryStringParameters,
		RequestContext:        req.RequestContext,
		PathParameters:        req.PathParameters,
		StageVariables:        req.StageVariables,
	}
	payload, err := marshalEvent(authReq)
	if err != nil {
		return nil, http.StatusInternalServerError
	}
	resp, fnErr, err := g.invoke(ctx, a.Function, payload)
	if err != nil {
		return nil, http.StatusInternalServerError
	}
	if fnErr != nil {
		// The one error message API Gateway turns into a 401.
		if fnErr.Message == "Unauthorized" {
			return nil, http.StatusUnauthorized
		}
		return nil, http.StatusInternalServerError
	}
	authContext, status := evaluateAuthorizer(a, resp, routeARN)
	if status != http.StatusInternalServerError && a.ResultTTL > 0 {
		g.keep(key, resp, a.ResultTTL)
	}
	return authContext, status
}

// cached returns the authorizer answer kept under key, if it has not
// expired.
func (g *Gateway) cached(key string) ([]byte, bool) {
	g.authMu.Lock()
	defer g.authMu.Unlock()
	c, ok := g.authorized[key]
	if !ok {
		return nil, false
	}
	if !g.opts.Now().Before(c.expires) {
		delete(g.authorized, key)
		return nil, false
	}
	return c.response, true
}

// maxCachedAnswers bounds the answers kept before expired ones are swept
// out, so a long run with many tokens does not grow without end.
const maxCachedAnswers = 10000

func (g *Gateway) keep(key string, resp []byte, ttl time.Duration) {
	g.authMu.Lock()
	defer g.authMu.Unlock()
	now := g.opts.Now()
	if len(g.authorized) >= maxCachedAnswers {
		for k, c := range g.authorized {
			if !now.Before(c.expires) {
				delete(g.authorized, k)
			}
		}
	}
	g.authorized[key] = cachedAnswer{response: resp, expires: now.Add(ttl)}
}

// evaluateAuthorizer reads an authorizer's answer for the route of
// routeARN: a simple response grants or denies every route; a policy is
// matched against the route, so a cached policy answers each route of the
// authorizer by its own statements, as API Gateway evaluates it.
func evaluateAuthorizer(a Authorizer, resp []byte, routeARN string) (map[string]any, int) {
	if a.SimpleResponses {
		var simple struct {
			IsAuthorized *bool          `json:"isAuthorized"`
			Context      map[string]any `json:"context"`
		}
		if err := json.Unmarshal(resp, &simple); err != nil || simple.IsAuthorized == nil {
			return nil, http.StatusInternalServerError
		}
		if !*simple.IsAuthorized {
			return nil, http.StatusForbidden
		}
		return simple.Context, http.StatusOK
	}
	var policy struct {
		PrincipalID    string `json:"principalId"`
		PolicyDocument struct {
			Statement []struct {
				Effect   string `json:"Effect"`
				Action   any    `json:"Action"`
				Resource any    `json:"Resource"`
			} `json:"Statement"`
		} `json:"policyDocument"`
		Context map[string]any `json:"context"`
	}
	if err := json.Unmarshal(resp, &policy); err != nil || len(policy.PolicyDocument.Statement) == 0 {
		return nil, http.StatusInternalServerError
	}
	allowed := false
	for _, st := range policy.PolicyDocument.Statement {
		if !anyMatches(st.Action, "execute-api:Invoke") || !anyMatches(st.Resource, routeARN) {
			continue
		}
		switch st.Effect {
		case "Deny":
			return nil, http.StatusForbidden
		case "Allow":
			allowed = true
		}
	}
	if !allowed {
		return nil, http.StatusForbidden
	}
	return policy.Context, http.StatusOK
}

// headerName turns "$request.header.Authorization" or "Authorization" into
// the header's name.
func headerName(source string) string {
	return strings.TrimPrefix(source, "$request.header.")
}

func queryName(source string) string {
	return strings.TrimPrefix(source, "$request.querystring.")
}

// anyMatches reports whether a policy's Action or Resource (a string or a
// list) matches s, with IAM's * and ? wildcards.
func anyMatches(v any, s string) bool {
	switch x := v.(type) {
	case string:
		return wildcard(x, s)
	case []any:
		for _, e := range x {
			if p, ok := e.(string); ok && wildcard(p, s) {
				return true
			}
		}
	}
	return false
}

func wildcard(pattern, s string) bool {
	if pattern == "" {
		return s == ""
	}
	switch pattern[0] {
	case '*':
		for i := 0; i <= len(s); i++ {
			if wildcard(pattern[1:], s[i:]) {
				return true
			}
		}
		return false
	case '?':
		return s != "" && wildcard(pattern[1:], s[1:])
	default:
		return s != "" && pattern[0] == s[0] && wildcard(pattern[1:], s[1:])
	}
}

// writeFunctionResponse writes a payload 2.0 response. A function that
// answers valid JSON without a statusCode gets API Gateway's inferred
// response: 200, application/json, the JSON as body.
func writeFunctionResponse(w http.ResponseWriter, raw []byte) error {
	if !json.Valid(raw) {
		return errors.New("the function's response is not JSON")
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(raw, &probe) != nil || probe["statusCode"] == nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(raw)
		return nil
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(raw, &resp); err != nil {
		return err
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Errorf("status code %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return err
		}
		body = decoded
	}
	h := w.Header()
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	// The body's length is the gateway's to state, not the function's.
	h.Del("Content-Length")
	h.Del("Transfer-Encoding")
	if h.Get("Content-Type") == "" {
		// Say nothing rather than let net/http guess a type the
		// function did not give.
		h["Content-Type"] = nil
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
	return nil
}

// marshalEvent encodes an event as API Gateway sends it: fields it has no
// value for are left out rather than sent as null, and requestContext
// carries no authentication block unless mutual TLS is on (it never is
// here).
func marshalEvent(ev any) ([]byte, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return nil, err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	for k, v := range top {
		if string(v) == "null" {
			delete(top, k)
		}
	}
	if rc, ok := top["requestContext"]; ok {
		var ctx map[string]json.RawMessage
		if err := json.Unmarshal(rc, &ctx); err != nil {
			return nil, err
		}
		delete(ctx, "authentication")
		if top["requestContext"], err = json.Marshal(ctx); err != nil {
			return nil, err
		}
	}
	return json.Marshal(top)
}

// gatewayError writes one of API Gateway's own error responses.
func gatewayError(w http.ResponseWriter, status int, message string) {
	body, _ := json.Marshal(map[string]string{"message": message})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func clientIP(r *http.Request) string {
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// newRequestID makes an id shaped like API Gateway's ("JKJaXmPLvHcESHA=").
func newRequestID() string {
	var b [11]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

func newTraceRoot(t time.Time) string {
	var b [12]byte
	rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s", t.Unix(), hex.EncodeToString(b[:]))
}

// statusRecorder remembers what was written, for the access log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(p)
	s.bytes += n
	return n, err
}
