package gateway_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/infra/local/runtimeapi"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/routes"
)

// TestDefaultRouteAgreesWithTheGateway: what the $default route's function
// answers (405 with Allow, 308, 404) agrees with where the gateway routes
// requests, over every route of template.yaml. A 405's every allowed
// method reaches a route, and its own does not; a 308's Location reaches
// one with the same method; a 404's path reaches none with any method,
// nor with its trailing slash added or left out. Both match with package
// routes; this holds the wiring (paths as sent, decoding, the whole API's
// route table) to it.
func TestDefaultRouteAgreesWithTheGateway(t *testing.T) {
	api := repoTemplate(t, nil)
	// Every declared route answers 200 with its key; the $default route
	// is answered by the router that holds it in the deployed stack.
	unmatched := endpoints.CreateContract(nil, slog.New(slog.DiscardHandler))
	if !unmatched.AnswersUnmatched() {
		t.Fatal("CreateContractFunction's router does not answer the $default route")
	}
	function := &fakeInvoker{answer: func(payload []byte) ([]byte, *runtimeapi.FunctionError, error) {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(payload, &ev); err != nil {
			return nil, nil, err
		}
		resp := events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: ev.RouteKey}
		if ev.RouteKey == routes.Default {
			resp, _ = unmatched.Serve(context.Background(), ev)
		}
		out, err := json.Marshal(resp)
		return out, nil, err
	}}
	invokers := map[string]gateway.Invoker{}
	for id := range api.Functions {
		invokers[id] = function
	}
	invokers["AuthorizerFunction"] = &fakeInvoker{answer: answer(allowed)}
	gw, err := gateway.New(api, invokers, gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	send := func(method, path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, nil)
		// Both identity sources, so every route's authorizer lets the
		// request through (Aira's is keyed by X-API-KEY).
		r.Header.Set("Authorization", "Bearer token")
		r.Header.Set("X-API-KEY", "token")
		return serve(gw, r)
	}
	routed := func(method, path string) bool { return send(method, path).Code == http.StatusOK }

	methods := []string{"GET", "POST", "PUT", "PATCH", "DELETE"}
	param := regexp.MustCompile(`\{[^}]+\}`)
	var paths []string
	for _, r := range api.Routes {
		if r.Key() == routes.Default {
			continue
		}
		p := param.ReplaceAllString(r.Path, "p1")
		parent := p[:strings.LastIndex(p, "/")]
		paths = append(paths, p, strings.TrimSuffix(p, "/"), p+"/", parent, parent+"/x/y",
			strings.Replace(p, "/", "/%2F", 1), strings.ReplaceAll(p, "p1", "p%31"), strings.ReplaceAll(p, "p1", ""))
	}
	slices.Sort(paths)
	paths = slices.Compact(paths)

	seen := map[int]int{}
	for _, path := range paths {
		if path == "" {
			continue
		}
		for _, method := range methods {
			w := send(method, path)
			seen[w.Code]++
			switch w.Code {
			case http.StatusOK:
				if key := w.Body.String(); !strings.HasPrefix(key, method+" ") && !strings.HasPrefix(key, routes.Any+" ") {
					t.Errorf("%s %s reached %s", method, path, key)
				}
			case http.StatusMethodNotAllowed:
				allow := strings.Split(w.Header().Get("Allow"), ", ")
				if slices.Contains(allow, method) {
					t.Errorf("%s %s: 405 allowing its own method (%v)", method, path, allow)
				}
				for _, m := range allow {
					if !routed(m, path) {
						t.Errorf("%s %s: 405 allows %s, which the gateway does not route", method, path, m)
					}
				}
			case http.StatusPermanentRedirect:
				if to := w.Header().Get("Location"); !routed(method, to) {
					t.Errorf("%s %s: 308 to %s, which the gateway does not route", method, path, to)
				}
			case http.StatusNotFound:
				for _, m := range methods {
					if routed(m, path) {
						t.Errorf("%s %s: 404, but the gateway routes %s on it", method, path, m)
					}
				}
				other := strings.TrimSuffix(path, "/")
				if other == path {
					other += "/"
				}
				if other != "" && routed(method, other) {
					t.Errorf("%s %s: 404, but the gateway routes it at %s", method, path, other)
				}
			default:
				t.Errorf("%s %s: %d %s", method, path, w.Code, w.Body)
			}
		}
	}
	// Every answer was met, so none of the checks above ran empty.
	for _, code := range []int{http.StatusOK, http.StatusMethodNotAllowed, http.StatusPermanentRedirect, http.StatusNotFound} {
		if seen[code] == 0 {
			t.Errorf("no request answered %d: %v", code, seen)
		}
	}
}
