package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// DefaultRouteKey is the route key of the HTTP API's catch-all route,
// which API Gateway invokes for every request no declared route matches.
const DefaultRouteKey = "$default"

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
// is never served by whichever function happens to hold $default.
func (rt *Router) AnswerUnmatched(routeKeys []string) {
	rt.api = NewRouter(rt.log)
	for _, k := range routeKeys {
		rt.api.Handle(k, nil)
	}
}

// AnswersUnmatched reports whether the router answers the events of the
// API's $default route (see AnswerUnmatched).
func (rt *Router) AnswersUnmatched() bool { return rt.api != nil }

// serveUnmatched answers an event of the $default route (see
// AnswerUnmatched). path has the stage removed.
func (rt *Router) serveUnmatched(ctx context.Context, ev *events.APIGatewayV2HTTPRequest, method, path string, attrs []slog.Attr) events.APIGatewayV2HTTPResponse {
	if why := rt.origin.refuses(ctx, ev, DefaultRouteKey); why != "" {
		return rt.refuseForeign(ctx, attrs, ev, why)
	}
	if rt.api == nil {
		return ProblemResponse(http.StatusNotFound, fmt.Sprintf("no route for %s %s", method, path))
	}
	if _, _, allowed := rt.api.match(method, path); len(allowed) > 0 {
		resp := ProblemResponse(http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed on %s", method, path))
		resp.Headers["Allow"] = strings.Join(allowed, ", ")
		return resp
	}
	other := strings.TrimSuffix(path, "/")
	if other == path {
		other = path + "/"
	}
	if r, _, _ := rt.api.match(method, other); r != nil && other != "" {
		location := rawPath(ev)
		location = strings.TrimSuffix(location, path) + other
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
