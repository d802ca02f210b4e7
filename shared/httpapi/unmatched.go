package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/routes"
)

// DefaultRouteKey is the route key of the HTTP API's catch-all route,
// which API Gateway invokes for every request no declared route matches.
const DefaultRouteKey = routes.Default

// AnswerUnmatched makes the router answer the events of the API's
// $default route: requests that matched no route of any function. Without
// it, API Gateway would answer them itself with a bare
// {"message":"Not Found"}; with it, each gets a problem a client can act
// on. routeKeys are every route of the API ("PUT /v1/contracts/{id}"),
// the other functions' included, since the answer depends on all of
// them:
//
//   - a path the API declares, with another method: 405, with Allow
//     listing the methods it has;
//   - a declared path with a trailing slash added or left out: 308 to the
//     declared path (method and body kept by the client), query included;
//   - anything else: 404.
//
// No handler runs for such an event: a request API Gateway did not route
// is never served by whichever function happens to hold $default. The
// path is matched with the matcher the local emulation of the HTTP API
// routes by (package routes), most specific route first, so what this
// answers and what the emulation routes cannot disagree.
func (rt *Router) AnswerUnmatched(routeKeys []string) {
	rt.api = routes.MustNew(routeKeys)
}

// AnswersUnmatched reports whether the router answers the events of the
// API's $default route (see AnswerUnmatched).
func (rt *Router) AnswersUnmatched() bool { return rt.api != nil }

// serveUnmatched answers an event of the $default route (see
// AnswerUnmatched).
func (rt *Router) serveUnmatched(ctx context.Context, ev *events.APIGatewayV2HTTPRequest, attrs []slog.Attr) events.APIGatewayV2HTTPResponse {
	if why := rt.origin.refuses(ctx, ev, DefaultRouteKey); why != "" {
		return rt.refuseForeign(ctx, attrs, ev, why)
	}
	method, sent := ev.RequestContext.HTTP.Method, rawPath(ev)
	// A named stage (any but $default) prefixes rawPath with "/<stage>";
	// route keys are declared without it.
	path := sent
	if st := ev.RequestContext.Stage; st != "" && st != "$default" {
		if rest, ok := strings.CutPrefix(path, "/"+st); ok && strings.HasPrefix(rest, "/") {
			path = rest
		}
	}
	if rt.api == nil {
		return ProblemResponse(http.StatusNotFound, fmt.Sprintf("no route for %s %s", method, path))
	}
	// A path some route has, but not with this method (were it, API
	// Gateway would have routed the request there).
	allowed := rt.api.Methods(path)
	if _, _, routed := rt.api.Match(method, path); len(allowed) > 0 && !routed {
		resp := ProblemResponse(http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s", method, path))
		resp.Headers["Allow"] = strings.Join(allowed, ", ")
		return resp
	}
	other := strings.TrimSuffix(path, "/")
	if other == path {
		other = path + "/"
	}
	if _, _, ok := rt.api.Match(method, other); ok && other != "" {
		location := strings.TrimSuffix(sent, path) + other
		if ev.RawQueryString != "" {
			location += "?" + ev.RawQueryString
		}
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusPermanentRedirect, Headers: map[string]string{"Location": location}}
	}
	return ProblemResponse(http.StatusNotFound, fmt.Sprintf("no route for %s %s", method, path))
}

// rawPath is the path of ev as the client sent it, stage included.
func rawPath(ev *events.APIGatewayV2HTTPRequest) string {
	if ev.RawPath != "" {
		return ev.RawPath
	}
	return ev.RequestContext.HTTP.Path
}
