package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// authorized is the context the authorizer hands over for tenant t1.
// caller is who the authorizer lets in for the tests' requests.
var caller = httpapitest.Caller{TenantID: "t1", CredentialID: "c1", Aliases: "a1,a2"}

// event returns an authenticated request as API Gateway would send it for
// a route without path parameters: its route key is method and path.
func event(method, path string) events.APIGatewayV2HTTPRequest {
	return httpapitest.Request{Method: method, Target: path, Headers: map[string]string{"content-type": ""}, Caller: caller}.Event()
}

// routed returns the event API Gateway sends for a request to path that
// it matched to the route key with the path parameters params.
func routed(key, path string, params map[string]string) events.APIGatewayV2HTTPRequest {
	method, _, _ := strings.Cut(key, " ")
	ev := event(method, path)
	ev.RouteKey, ev.RequestContext.RouteKey, ev.PathParameters = key, key, params
	return ev
}

// newRouter returns a Router logging JSON into the returned buffer.
func newRouter() (*httpapi.Router, *bytes.Buffer) {
	var buf bytes.Buffer
	return httpapi.NewRouter(slog.New(slog.NewJSONHandler(&buf, nil))), &buf
}

func serve(t *testing.T, rt *httpapi.Router, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return serveCtx(t, context.Background(), rt, ev)
}

func serveCtx(t *testing.T, ctx context.Context, rt *httpapi.Router, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := rt.Serve(ctx, ev)
	// Any error here would make API Gateway answer its own opaque 500.
	if err != nil {
		t.Fatalf("Serve returned an error: %v", err)
	}
	return resp
}

// logLines parses the JSON log output, one record per line.
func logLines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var lines []map[string]any
	dec := json.NewDecoder(bytes.NewReader(buf.Bytes()))
	for {
		var m map[string]any
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return lines
		}
		if err != nil {
			t.Fatalf("log output is not JSON lines: %v\n%s", err, buf)
		}
		lines = append(lines, m)
	}
}

// linesWithMsg returns the log records whose message is msg.
func linesWithMsg(t *testing.T, buf *bytes.Buffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range logLines(t, buf) {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

// lineWithMsg returns the one log record whose message is msg, and fails
// unless there is exactly one.
func lineWithMsg(t *testing.T, buf *bytes.Buffer, msg string) map[string]any {
	t.Helper()
	lines := linesWithMsg(t, buf, msg)
	if len(lines) != 1 {
		t.Fatalf("%d %q log lines, want 1:\n%s", len(lines), msg, buf)
	}
	return lines[0]
}

// requestLine returns the one "request" record and fails unless there is
// exactly one with the given status.
func requestLine(t *testing.T, buf *bytes.Buffer, status int) map[string]any {
	t.Helper()
	l := lineWithMsg(t, buf, "request")
	if got, _ := l["status"].(float64); int(got) != status {
		t.Fatalf("request line status = %v, want %d", l["status"], status)
	}
	return l
}

// problemTypes are the stable problem type URIs clients switch on.
var problemTypes = map[int]string{
	400: "https://contracts.example.com/problems/invalid-request",
	401: "https://contracts.example.com/problems/unauthorized",
	403: "https://contracts.example.com/problems/forbidden",
	404: "https://contracts.example.com/problems/not-found",
	405: "https://contracts.example.com/problems/method-not-allowed",
	409: "https://contracts.example.com/problems/conflict",
	413: "https://contracts.example.com/problems/payload-too-large",
	415: "https://contracts.example.com/problems/unsupported-media-type",
	422: "https://contracts.example.com/problems/unprocessable",
	500: "about:blank",
	501: "https://contracts.example.com/problems/not-implemented",
	503: "https://contracts.example.com/problems/unavailable",
}

// problemOf checks resp is a well-formed problem+json response with the
// given status and returns its body. Unknown members fail the decode: the
// body carries the documented fields and nothing else.
func problemOf(t *testing.T, resp events.APIGatewayV2HTTPResponse, status int) httpapi.Problem {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d (body %s)", resp.StatusCode, status, resp.Body)
	}
	if httpapi.ProblemContentType != "application/problem+json" {
		t.Fatalf("ProblemContentType = %q", httpapi.ProblemContentType)
	}
	if ct := resp.Headers["Content-Type"]; ct != httpapi.ProblemContentType {
		t.Fatalf("Content-Type = %q, want application/problem+json", ct)
	}
	if resp.IsBase64Encoded {
		t.Fatal("problem body is base64 encoded")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(resp.Body), &raw); err != nil {
		t.Fatalf("problem body is not a JSON object: %v\n%s", err, resp.Body)
	}
	for _, k := range []string{"type", "title", "status"} {
		if _, ok := raw[k]; !ok {
			t.Fatalf("problem body lacks %q: %s", k, resp.Body)
		}
	}
	dec := json.NewDecoder(strings.NewReader(resp.Body))
	dec.DisallowUnknownFields()
	var p httpapi.Problem
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body does not decode as a Problem: %v\n%s", err, resp.Body)
	}
	if p.Status != status {
		t.Errorf("body status = %d, response status %d", p.Status, status)
	}
	if p.Title != http.StatusText(status) {
		t.Errorf("title = %q, want %q", p.Title, http.StatusText(status))
	}
	if want, ok := problemTypes[status]; ok && p.Type != want {
		t.Errorf("type = %q, want %q", p.Type, want)
	}
	for _, f := range p.Errors {
		if f.Field == "" || f.Message == "" {
			t.Errorf("field error without field or message: %+v", f)
		}
	}
	return p
}

// routeKeys are shaped like the service's real routes, including a
// trailing-slash route.
var routeKeys = []string{
	"POST /api/v1/contracts",
	"GET /api/v1/contracts",
	"GET /api/v1/contracts/{contractId}",
	"PATCH /api/v1/contracts/{contractId}",
	"POST /v1/contracts/",
	"GET /v1/organizations/{organizationId}/contracts/{contractId}",
}

// routingRouter registers every route key with a handler that records
// which key it served and the path parameters it saw.
func routingRouter(gotKey *string, gotParams *map[string]string) *httpapi.Router {
	rt, _ := newRouter()
	for _, key := range routeKeys {
		rt.Handle(key, func(_ context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			*gotKey = key
			*gotParams = r.Event.PathParameters
			return httpapi.NoContent(), nil
		})
	}
	return rt
}

// The router serves the route API Gateway names in routeKey, with the
// path parameters API Gateway hands over; the path itself is not matched
// again (a named stage, a trailing slash, an escaped segment change
// nothing).
func TestDispatchesOnTheRouteKey(t *testing.T) {
	tests := []struct {
		key, path string
		params    map[string]string
	}{
		{"POST /api/v1/contracts", "/api/v1/contracts", nil},
		{"GET /api/v1/contracts", "/api/v1/contracts", nil},
		{"GET /api/v1/contracts/{contractId}", "/api/v1/contracts/ctr_1", map[string]string{"contractId": "ctr_1"}},
		{"PATCH /api/v1/contracts/{contractId}", "/api/v1/contracts/ctr_1", map[string]string{"contractId": "ctr_1"}},
		{"GET /v1/organizations/{organizationId}/contracts/{contractId}", "/v1/organizations/org-9/contracts/ctr_2",
			map[string]string{"organizationId": "org-9", "contractId": "ctr_2"}},
		{"POST /v1/contracts/", "/v1/contracts/", nil},
		// API Gateway's parameters are decoded; the router takes them as
		// they come.
		{"GET /api/v1/contracts/{contractId}", "/api/v1/contracts/a%20b", map[string]string{"contractId": "a b"}},
		{"GET /api/v1/contracts/{contractId}", "/prod/api/v1/contracts/ctr_1", map[string]string{"contractId": "ctr_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.key+" "+tt.path, func(t *testing.T) {
			var gotKey string
			var gotParams map[string]string
			rt := routingRouter(&gotKey, &gotParams)
			resp := serve(t, rt, routed(tt.key, tt.path, tt.params))
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status = %d, body %s", resp.StatusCode, resp.Body)
			}
			if gotKey != tt.key {
				t.Fatalf("served by %q, want %q", gotKey, tt.key)
			}
			if !reflect.DeepEqual(gotParams, tt.params) {
				t.Fatalf("path parameters = %v, want %v", gotParams, tt.params)
			}
		})
	}
}

// The path parameters are API Gateway's alone: an event without them gets
// none, whatever its path says.
func TestPathParametersComeFromTheEvent(t *testing.T) {
	var gotKey string
	var gotParams map[string]string
	rt := routingRouter(&gotKey, &gotParams)
	serve(t, rt, routed("GET /api/v1/contracts/{contractId}", "/api/v1/contracts/ctr_1", nil))
	if gotKey != "GET /api/v1/contracts/{contractId}" || len(gotParams) != 0 {
		t.Fatalf("served by %q with %v, want no parameters", gotKey, gotParams)
	}
}

// An event that names no route of the function never reaches a handler.
// API Gateway sends none (it names the route it matched, and invokes each
// function for its own routes): only an event built by hand does, and the
// answer says what is missing.
func TestEventsNamingNoRouteOfTheFunction(t *testing.T) {
	tests := []struct {
		name, key string
		status    int
		detail    string
	}{
		{"no route key", "", http.StatusBadRequest, "routeKey"},
		{"another function's route", "DELETE /api/v1/contracts/{contractId}", http.StatusNotFound, "DELETE /api/v1/contracts/{contractId}"},
		{"a path, not a route key", "GET /api/v1/contracts/ctr_1", http.StatusNotFound, "GET /api/v1/contracts/ctr_1"},
		{"a method alone", "GET", http.StatusNotFound, "GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotKey string
			var gotParams map[string]string
			rt := routingRouter(&gotKey, &gotParams)
			ev := routed("GET /api/v1/contracts/{contractId}", "/api/v1/contracts/ctr_1", map[string]string{"contractId": "ctr_1"})
			ev.RouteKey, ev.RequestContext.RouteKey = tt.key, tt.key
			p := problemOf(t, serve(t, rt, ev), tt.status)
			if gotKey != "" {
				t.Fatalf("handler of %q called", gotKey)
			}
			if !strings.Contains(p.Detail, tt.detail) {
				t.Errorf("detail %q does not name %s", p.Detail, tt.detail)
			}
		})
	}
}

func TestRouteKeys(t *testing.T) {
	var k string
	var p map[string]string
	got := routingRouter(&k, &p).RouteKeys()
	if !reflect.DeepEqual(got, routeKeys) {
		t.Fatalf("RouteKeys() = %q, want %q", got, routeKeys)
	}
}

func TestHandleRefusesWhatIsNoRouteKey(t *testing.T) {
	for _, keys := range [][]string{
		{"/api/v1/contracts"},
		{"GET api/v1/contracts"},
		{httpapi.DefaultRouteKey},
		{"GET /x", "GET /x"},
	} {
		t.Run(strings.Join(keys, ", "), func(t *testing.T) {
			rt, _ := newRouter()
			defer func() {
				if recover() == nil {
					t.Fatalf("Handle accepted %q", keys)
				}
			}()
			for _, k := range keys {
				rt.Handle(k, func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
					return httpapi.NoContent(), nil
				})
			}
		})
	}
}

func TestUnauthenticatedRequestsAreRefused(t *testing.T) {
	tests := []struct {
		name       string
		authorizer *events.APIGatewayV2HTTPRequestContextAuthorizerDescription
	}{
		{"no authorizer", nil},
		{"no lambda context", &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "x"}},
		}},
		{"empty lambda context", &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]interface{}{}}},
		{"tenant missing", &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]interface{}{"credentialId": "c1"}}},
		{"credential missing", &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]interface{}{"tenantId": "t1"}}},
		{"tenant empty", &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]interface{}{"tenantId": "", "credentialId": "c1"}}},
		{"credential empty", &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]interface{}{"tenantId": "t1", "credentialId": ""}}},
		{"tenant not a string", &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]interface{}{"tenantId": 42.0, "credentialId": "c1"}}},
		{"credential not a string", &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]interface{}{"tenantId": "t1", "credentialId": true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, buf := newRouter()
			called := false
			rt.Handle("POST /api/v1/contracts", noContent(&called))
			ev := event("POST", "/api/v1/contracts")
			ev.RequestContext.Authorizer = tt.authorizer
			p := problemOf(t, serve(t, rt, ev), http.StatusUnauthorized)
			if called {
				t.Fatal("handler called without an actor")
			}
			if p.Detail == "" {
				t.Error("401 without a detail telling the client what to send")
			}
			requestLine(t, buf, http.StatusUnauthorized)
		})
	}
}

// noContent returns a handler that answers 204 and sets *ran.
func noContent(ran *bool) httpapi.HandlerFunc {
	return func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		*ran = true
		return httpapi.NoContent(), nil
	}
}

// capture serves ev on a one-route router and returns the request the
// handler saw.
func capture(t *testing.T, ev events.APIGatewayV2HTTPRequest) *httpapi.Request {
	t.Helper()
	rt, _ := newRouter()
	var got *httpapi.Request
	rt.Handle(ev.RequestContext.HTTP.Method+" "+ev.RawPath, func(_ context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		got = r
		return httpapi.NoContent(), nil
	})
	serve(t, rt, ev)
	if got == nil {
		t.Fatal("handler not called")
	}
	return got
}

func TestActorFromAuthorizerContext(t *testing.T) {
	tests := []struct {
		name        string
		lambda      map[string]interface{}
		wantAliases []string
	}{
		{"two aliases", map[string]interface{}{"tenantId": "t1", "credentialId": "c1", "tenantAliases": "a1,a2"}, []string{"a1", "a2"}},
		{"one alias", map[string]interface{}{"tenantId": "t1", "credentialId": "c1", "tenantAliases": "a1"}, []string{"a1"}},
		{"no aliases", map[string]interface{}{"tenantId": "t1", "credentialId": "c1", "tenantAliases": ""}, nil},
		{"aliases key absent", map[string]interface{}{"tenantId": "t1", "credentialId": "c1"}, nil},
		{"aliases not a string", map[string]interface{}{"tenantId": "t1", "credentialId": "c1", "tenantAliases": 7.0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := event("GET", "/x")
			ev.RequestContext.Authorizer.Lambda = tt.lambda
			r := capture(t, ev)
			if want := (contract.Actor{TenantID: "t1", CredentialID: "c1"}); r.Actor != want {
				t.Errorf("Actor = %+v, want %+v", r.Actor, want)
			}
			if !reflect.DeepEqual(r.TenantAliases, tt.wantAliases) {
				t.Errorf("TenantAliases = %q, want %q", r.TenantAliases, tt.wantAliases)
			}
		})
	}
}

func TestNamesTenant(t *testing.T) {
	r := capture(t, event("GET", "/x"))
	tests := []struct {
		name string
		want bool
	}{
		{"t1", true},
		{"a1", true},
		{"a2", true},
		{"c1", false}, // the credential is not a name of the tenant
		{"T1", false},
		{"A1", false},
		{"a1,a2", false},
		{"a", false},
		{"t2", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := r.NamesTenant(tt.name); got != tt.want {
			t.Errorf("NamesTenant(%q) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDomainErrorsMapToStatus(t *testing.T) {
	fields := []contract.FieldError{
		{Field: "validTo", Message: "must not be before validFrom"},
		{Field: "actions[0].planId", Message: "is required"},
	}
	tests := []struct {
		name       string
		err        error
		status     int
		wantDetail string
		wantFields []contract.FieldError
	}{
		{"invalid", contract.Errorf(contract.KindInvalid, "limit must be between 1 and 100"), 400, "limit must be between 1 and 100", nil},
		{"invalid fields", contract.Invalid(fields...), 400, "the request has invalid fields", fields},
		{"unauthorized", contract.Errorf(contract.KindUnauthorized, "the credential is not valid"), 401, "the credential is not valid", nil},
		{"forbidden", contract.Errorf(contract.KindForbidden, `tenant-id "x" does not name this tenant`), 403, `tenant-id "x" does not name this tenant`, nil},
		{"not found", contract.NotFound("ctr_9"), 404, `contract "ctr_9" not found`, nil},
		{"conflict", contract.Errorf(contract.KindConflict, "the id is taken"), 409, "the id is taken", nil},
		{"version conflict", contract.ErrVersionConflict, 409, contract.ErrVersionConflict.Message, nil},
		{"unprocessable", contract.Errorf(contract.KindUnprocessable, "plan p1 is not in the catalog"), 422, "plan p1 is not in the catalog", nil},
		{"unprocessable fields", &contract.Error{Kind: contract.KindUnprocessable, Message: "the plans do not fit", Fields: fields[1:]}, 422, "the plans do not fit", fields[1:]},
		{"unavailable", contract.Errorf(contract.KindUnavailable, "the store is overloaded; retry later"), 503, "the store is overloaded; retry later", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, buf := newRouter()
			rt.Handle("GET /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
				return events.APIGatewayV2HTTPResponse{}, tt.err
			})
			p := problemOf(t, serve(t, rt, event("GET", "/x")), tt.status)
			if p.Detail != tt.wantDetail {
				t.Errorf("detail = %q, want %q", p.Detail, tt.wantDetail)
			}
			if !reflect.DeepEqual(p.Errors, tt.wantFields) {
				t.Errorf("errors = %+v, want %+v", p.Errors, tt.wantFields)
			}
			if tt.wantFields == nil && strings.Contains(serve(t, rt, event("GET", "/x")).Body, `"errors"`) {
				t.Error("errors member present without field errors")
			}
			// A refusal is the client's doing, not a failure to alert on;
			// an unavailable dependency is one, logged on every request.
			want := 0
			if tt.status == 503 {
				want = 2
			}
			if l := linesWithMsg(t, buf, "request failed"); len(l) != want {
				t.Errorf("%d failure lines, want %d: %v", len(l), want, l)
			}
		})
	}
}

func TestWrappedDomainErrorKeepsItsStatus(t *testing.T) {
	rt, _ := newRouter()
	rt.Handle("GET /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("get: %w", contract.NotFound("ctr_9"))
	})
	problemOf(t, serve(t, rt, event("GET", "/x")), http.StatusNotFound)
}

func TestInternalErrorsAreHidden(t *testing.T) {
	const secret = "table contracts-prod: ProvisionedThroughputExceededException"
	tests := []struct {
		name    string
		handler httpapi.HandlerFunc
		logged  string
	}{
		{"plain error", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{}, errors.New(secret)
		}, secret},
		{"wrapped plain error", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("put contract: %w", errors.New(secret))
		}, "put contract: " + secret},
		{"internal kind", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{}, contract.Errorf(contract.KindInternal, "%s", secret)
		}, secret},
		{"response that cannot be encoded", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			return httpapi.JSON(http.StatusOK, map[string]any{"x": make(chan int)})
		}, "unsupported type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, buf := newRouter()
			rt.Handle("GET /x", tt.handler)
			resp := serve(t, rt, event("GET", "/x"))
			p := problemOf(t, resp, http.StatusInternalServerError)
			if p.Detail == "" {
				t.Error("500 without a detail")
			}
			for _, leak := range []string{tt.logged, "ProvisionedThroughput", "contracts-prod", "put contract", "chan", "json:"} {
				if strings.Contains(resp.Body, leak) {
					t.Errorf("500 body leaks %q: %s", leak, resp.Body)
				}
			}
			l := lineWithMsg(t, buf, "request failed")
			if l["level"] != "ERROR" || !strings.Contains(fmt.Sprint(l["error"]), tt.logged) {
				t.Errorf("failure line = %v, want level ERROR and error containing %q", l, tt.logged)
			}
			if l["requestId"] != "req-1" || l["tenant"] != "t1" {
				t.Errorf("failure line lacks request id or tenant: %v", l)
			}
			if n := strings.Count(buf.String(), tt.logged); n != 1 {
				t.Errorf("error text logged %d times, want once:\n%s", n, buf)
			}
			requestLine(t, buf, http.StatusInternalServerError)
		})
	}
}

func TestPanicsAreRecovered(t *testing.T) {
	tests := []struct {
		name  string
		value any
		text  string
	}{
		{"string", "index out of range in secret-handler", "secret-handler"},
		{"error", errors.New("nil map in secret-handler"), "secret-handler"},
		// A domain error thrown instead of returned is still a bug, not
		// the client's fault.
		{"domain error", contract.NotFound("secret-ctr"), "secret-ctr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, buf := newRouter()
			rt.Handle("GET /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
				panic(tt.value)
			})
			resp := serve(t, rt, event("GET", "/x"))
			problemOf(t, resp, http.StatusInternalServerError)
			if strings.Contains(resp.Body, tt.text) || strings.Contains(resp.Body, "panic") {
				t.Errorf("500 body leaks the panic: %s", resp.Body)
			}
			l := lineWithMsg(t, buf, "handler panicked")
			if l["level"] != "ERROR" || !strings.Contains(fmt.Sprint(l["panic"]), tt.text) {
				t.Errorf("panic line = %v", l)
			}
			if stack, _ := l["stack"].(string); !strings.Contains(stack, "router_test.go") {
				t.Errorf("panic line lacks the stack of the handler: %q", stack)
			}
			requestLine(t, buf, http.StatusInternalServerError)
		})
	}
}

func TestRequestLog(t *testing.T) {
	rt, buf := newRouter()
	rt.Handle("GET /api/v1/contracts", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		return httpapi.JSON(http.StatusOK, []string{})
	})
	ev := event("GET", "/api/v1/contracts")
	ev.Headers["trace-id"] = "trace-7f3a"
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{AwsRequestID: "aws-req-9"})
	serveCtx(t, ctx, rt, ev)
	if n := len(logLines(t, buf)); n != 1 {
		t.Errorf("%d log lines for a successful request, want 1:\n%s", n, buf)
	}
	l := requestLine(t, buf, http.StatusOK)
	want := map[string]any{
		"level":        "INFO",
		"requestId":    "req-1",
		"route":        "GET /api/v1/contracts",
		"awsRequestId": "aws-req-9",
		"traceId":      "trace-7f3a",
		"tenant":       "t1",
	}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("request line %s = %v, want %v", k, l[k], v)
		}
	}
	if _, ok := l["durationMs"].(float64); !ok {
		t.Errorf("request line durationMs = %v", l["durationMs"])
	}
	if _, ok := l["coldStart"].(bool); !ok {
		t.Errorf("request line coldStart = %v", l["coldStart"])
	}
}

func TestRequestLogPerOutcome(t *testing.T) {
	tests := []struct {
		name         string
		method, path string
		lambda       map[string]interface{}
		status       int
	}{
		{"no route of the function", "GET", "/nope", nil, http.StatusNotFound},
		{"another method's route", "DELETE", "/x", nil, http.StatusNotFound},
		{"unauthenticated", "GET", "/x", map[string]interface{}{}, http.StatusUnauthorized},
		{"domain error", "POST", "/x", nil, http.StatusConflict},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, buf := newRouter()
			rt.Handle("GET /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
				return httpapi.NoContent(), nil
			})
			rt.Handle("POST /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
				return events.APIGatewayV2HTTPResponse{}, contract.Errorf(contract.KindConflict, "taken")
			})
			ev := event(tt.method, tt.path)
			if tt.lambda != nil {
				ev.RequestContext.Authorizer.Lambda = tt.lambda
			}
			serve(t, rt, ev)
			l := requestLine(t, buf, tt.status)
			if l["requestId"] != "req-1" {
				t.Errorf("request line lacks the request id: %v", l)
			}
		})
	}
}

func TestTraceIDIsBounded(t *testing.T) {
	tests := []struct {
		name, header, value string
		logged              bool
	}{
		{"a UUID", "trace-id", "5b2e6c1a-8f3d-4e7b-9a10-2c4d6e8f0a1b", true},
		{"Title-Case from sam local", "Trace-Id", "trace-title", true},
		{"128 characters", "trace-id", strings.Repeat("t", 128), true},
		// A client-chosen header must not be able to bloat every log
		// line, nor split one.
		{"129 characters", "trace-id", strings.Repeat("t", 129), false},
		{"a next-line character", "trace-id", "a\u0085b", false},
		{"a line separator", "trace-id", "a\u2028b", false},
		{"a newline", "trace-id", "a\nb", false},
		{"a control character", "trace-id", "a\x1bb", false},
		{"non-ASCII", "trace-id", "tracé", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, buf := newRouter()
			rt.EchoTraceID()
			rt.Handle("GET /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
				return httpapi.NoContent(), nil
			})
			ev := event("GET", "/x")
			ev.Headers[tt.header] = tt.value
			resp := serve(t, rt, ev)
			l := requestLine(t, buf, http.StatusNoContent)
			echoed := resp.Headers["trace-id"]
			if tt.logged && (l["traceId"] != tt.value || echoed != tt.value) {
				t.Errorf("trace id %q: logged %v, echoed %q", tt.value, l["traceId"], echoed)
			}
			if !tt.logged && (l["traceId"] == tt.value || echoed == tt.value || echoed == "") {
				t.Errorf("trace id %q was kept (logged %v, echoed %q); want one made up", tt.value, l["traceId"], echoed)
			}
		})
	}
}

// A router that serves errors as JSON (EasyBilling's) gives a problem the
// Content-Type application/json, unless the request's Accept names
// application/problem+json; successes keep their own type, and a router
// without the setting always answers problems as problem+json.
func TestErrorsAsJSON(t *testing.T) {
	for _, tt := range []struct {
		name   string
		asJSON bool
		accept string
		want   string
	}{
		{"no Accept", true, "", "application/json"},
		{"Accept: application/json", true, "application/json", "application/json"},
		{"Accept: */*", true, "*/*", "application/json"},
		{"Accept names problem+json", true, "application/json, application/problem+json;q=0.9", httpapi.ProblemContentType},
		{"Accept refuses problem+json", true, "application/problem+json;q=0", "application/json"},
		{"Accept weighs problem+json lightly", true, "application/json, application/problem+json;q=0.05", httpapi.ProblemContentType},
		{"another router", false, "", httpapi.ProblemContentType},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rt, _ := newRouter()
			if tt.asJSON {
				rt.ServeErrorsAsJSON()
			}
			rt.Handle("GET /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
				return events.APIGatewayV2HTTPResponse{}, contract.Errorf(contract.KindNotFound, "no x")
			})
			rt.Handle("GET /y", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
				return httpapi.JSON(http.StatusOK, map[string]string{"y": "1"})
			})
			ev := event("GET", "/x")
			if tt.accept != "" {
				ev.Headers["accept"] = tt.accept
			}
			if resp := serve(t, rt, ev); resp.StatusCode != 404 || resp.Headers["Content-Type"] != tt.want || !strings.Contains(resp.Body, `"status":404`) {
				t.Fatalf("%d %v %s, want a problem as %s", resp.StatusCode, resp.Headers, resp.Body, tt.want)
			}
			ok := event("GET", "/y")
			if resp := serve(t, rt, ok); resp.Headers["Content-Type"] != "application/json" {
				t.Fatalf("a success: %v", resp.Headers)
			}
		})
	}
}

// Path parameters must name one resource: invalid UTF-8 (which reaches
// the function as U+FFFD) and control characters are a 400 naming the
// parameter, before any handler runs.
func TestPathParametersMustBeCleanUTF8(t *testing.T) {
	rt, _ := newRouter()
	ran := false
	rt.Handle("GET /orgs/{organizationId}/contracts/{contractId}", noContent(&ran))
	for _, tt := range []struct {
		org, id string
		bad     []string
	}{
		{"org-1", "C-1", nil},
		{"société", "契約-1", nil},
		{"\xff", "C-1", []string{"organizationId"}},
		{"\xc0", "C-1", []string{"organizationId"}},
		{"\ufffd", "C-1", []string{"organizationId"}},
		{"org-1", "a\x00b", []string{"contractId"}},
		{"org-1", "a\u0085b", []string{"contractId"}},
		{"\xff", "a\nb", []string{"contractId", "organizationId"}},
	} {
		ran = false
		ev := routed("GET /orgs/{organizationId}/contracts/{contractId}", "/orgs/x/contracts/y",
			map[string]string{"organizationId": tt.org, "contractId": tt.id})
		resp := serve(t, rt, ev)
		if tt.bad == nil {
			if resp.StatusCode != http.StatusNoContent || !ran {
				t.Errorf("%q/%q: %d %s", tt.org, tt.id, resp.StatusCode, resp.Body)
			}
			continue
		}
		var p httpapi.Problem
		json.Unmarshal([]byte(resp.Body), &p)
		var named []string
		for _, f := range p.Errors {
			named = append(named, f.Field)
		}
		if resp.StatusCode != http.StatusBadRequest || ran || strings.Join(named, ",") != strings.Join(tt.bad, ",") {
			t.Errorf("%q/%q: %d %s (handler ran: %v), want 400 naming %v", tt.org, tt.id, resp.StatusCode, resp.Body, ran, tt.bad)
		}
	}
}

// encoding/json decodes null into a struct or map as a no-op, so without
// a check "null" passes as an empty object (an empty PATCH that still
// writes a new version).
func TestDecodeJSONRefusesNull(t *testing.T) {
	for _, body := range []string{"null", " null\n"} {
		var got payload
		var called bool
		problemOf(t, serve(t, decodeRouter(&got, &called), jsonEvent("application/json", body)), http.StatusBadRequest)
	}
}

func TestWrappedDomainErrorShowsOnlyItsMessage(t *testing.T) {
	rt, _ := newRouter()
	rt.Handle("GET /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("ddb get CONTRACT#0000000009 in contracts-prod: %w", contract.NotFound("ctr_9"))
	})
	resp := serve(t, rt, event("GET", "/x"))
	p := problemOf(t, resp, http.StatusNotFound)
	if p.Detail != `contract "ctr_9" not found` {
		t.Fatalf("detail = %q, want only the domain error's message", p.Detail)
	}
}

func TestUnknownKindIsAnInternalError(t *testing.T) {
	rt, buf := newRouter()
	rt.Handle("GET /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{}, &contract.Error{Kind: contract.Kind(99), Message: "secret internal detail"}
	})
	resp := serve(t, rt, event("GET", "/x"))
	problemOf(t, resp, http.StatusInternalServerError)
	if strings.Contains(resp.Body, "secret internal detail") {
		t.Errorf("500 body leaks the message: %s", resp.Body)
	}
	lineWithMsg(t, buf, "request failed")
}

func TestWrappedTransportRefusalIsNotAFailure(t *testing.T) {
	rt, buf := newRouter()
	rt.Handle("POST /things", func(_ context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		var p payload
		if err := r.DecodeJSON(&p); err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("create: %w", err)
		}
		return httpapi.NoContent(), nil
	})
	problemOf(t, serve(t, rt, jsonEvent("text/plain", "{}")), http.StatusUnsupportedMediaType)
	if l := linesWithMsg(t, buf, "request failed"); len(l) != 0 {
		t.Fatalf("a 415 was logged as a failure: %v", l)
	}
}

// An overloaded dependency is a 503 with Retry-After, its cause logged and
// not shown.
func TestUnavailableAnswers503WithRetryAfter(t *testing.T) {
	rt, buf := newRouter()
	rt.Handle("GET /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("ddb: get: %w", contract.Unavailable(errors.New("ThrottlingException: rate exceeded")))
	})
	resp := serve(t, rt, event("GET", "/x"))
	problemOf(t, resp, http.StatusServiceUnavailable)
	if resp.Headers["Retry-After"] == "" || strings.Contains(resp.Body, "Throttling") {
		t.Fatalf("headers %v body %s", resp.Headers, resp.Body)
	}
	if l := lineWithMsg(t, buf, "request failed"); !strings.Contains(fmt.Sprint(l["error"]), "ThrottlingException") {
		t.Fatalf("the cause is not logged: %v", l)
	}
}

// Requests no route matches reach the function that holds the API's
// $default route, which answers them from the routes of the whole API: a
// declared path with another method is a 405 listing its methods, a
// declared path but for its trailing slash a 308 to it (stage and query
// kept), anything else a 404; no handler runs.
func TestUnmatchedRequests(t *testing.T) {
	rt, _ := newRouter()
	ran := false
	rt.Handle("GET /own", noContent(&ran))
	rt.AnswerUnmatched([]string{"GET /own", "PUT /own", "POST /api/contract-actions", "GET /api/contracts/{contractNumber}", "POST /v1/customers/"})
	for _, tt := range []struct {
		method, path, stage, query string
		status                     int
		header, value              string
	}{
		{"PUT", "/api/contract-actions", "", "", 405, "Allow", "POST"},
		{"DELETE", "/api/contracts/CT-0000000001", "", "", 405, "Allow", "GET"},
		{"POST", "/api/contract-actions/", "", "", 308, "Location", "/api/contract-actions"},
		{"GET", "/api/contracts/CT-0000000001/", "prod", "x=1", 308, "Location", "/prod/api/contracts/CT-0000000001?x=1"},
		{"POST", "/v1/customers", "", "", 308, "Location", "/v1/customers/"},
		{"GET", "/own/", "", "", 308, "Location", "/own"},
		{"DELETE", "/own", "", "", 405, "Allow", "GET, PUT"},
		// Segments are compared decoded, as API Gateway matches them.
		{"GET", "/api/contract%2Dactions", "", "", 405, "Allow", "POST"},
		{"POST", "/api/contracts/CT%2F1", "", "", 405, "Allow", "GET"},
		{"GET", "/nowhere", "", "", 404, "", ""},
		{"GET", "/", "", "", 404, "", ""},
	} {
		ev := event(tt.method, tt.path)
		if tt.stage != "" {
			ev.RawPath = "/" + tt.stage + tt.path
			ev.RequestContext.Stage = tt.stage
		}
		ev.RawQueryString = tt.query
		ev.RouteKey = httpapi.DefaultRouteKey
		resp := serve(t, rt, ev)
		if resp.StatusCode != tt.status || (tt.header != "" && resp.Headers[tt.header] != tt.value) || ran {
			t.Errorf("%s %s: %d %v %s (a handler ran: %v), want %d with %s %q", tt.method, tt.path, resp.StatusCode, resp.Headers, resp.Body, ran, tt.status, tt.header, tt.value)
		}
		if tt.status >= 400 {
			problemOf(t, resp, tt.status)
		}
	}
}
