package gateway_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/infra/local/runtimeapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// fakeInvoker answers with a fixed function and records the payloads it
// got, so the gateway can be checked without running anything.
type fakeInvoker struct {
	mu       sync.Mutex
	payloads [][]byte
	answer   func(payload []byte) ([]byte, *runtimeapi.FunctionError, error)
}

func (f *fakeInvoker) Invoke(_ context.Context, payload []byte) ([]byte, *runtimeapi.FunctionError, error) {
	f.mu.Lock()
	f.payloads = append(f.payloads, payload)
	f.mu.Unlock()
	return f.answer(payload)
}

func (f *fakeInvoker) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.payloads)
}

func (f *fakeInvoker) last(t *testing.T) events.APIGatewayV2HTTPRequest {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.payloads) == 0 {
		t.Fatal("the function was not invoked")
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(f.payloads[len(f.payloads)-1], &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

func answer(body string) func([]byte) ([]byte, *runtimeapi.FunctionError, error) {
	return func([]byte) ([]byte, *runtimeapi.FunctionError, error) { return []byte(body), nil, nil }
}

const allowed = `{"isAuthorized":true,"context":{"tenantId":"t1","credentialId":"c1","tenantAliases":"a1"}}`

// testAPI is a small API with the shapes of routes API Gateway matches
// differently.
func testAPI() *gateway.API {
	route := func(method, path, fn string) gateway.Route {
		return gateway.Route{Method: method, Path: path, Function: fn, Authorizer: "Auth"}
	}
	return &gateway.API{
		Routes: []gateway.Route{
			route("GET", "/items", "Items"),
			route("POST", "/items", "Items"),
			route("GET", "/items/{id}", "Items"),
			route("GET", "/items/special", "Special"),
			route("ANY", "/files/{path+}", "Files"),
			{Method: "GET", Path: "/open", Function: "Items"},
		},
		Authorizers: map[string]gateway.Authorizer{"Auth": {Name: "Auth", Function: "Authorizer", SimpleResponses: true}},
		Functions:   map[string]gateway.Function{"Items": {}, "Special": {}, "Files": {}, "Authorizer": {}},
	}
}

type fixture struct {
	gw         *gateway.Gateway
	authorizer *fakeInvoker
	functions  map[string]*fakeInvoker
}

func newFixture(t *testing.T, api *gateway.API, authAnswer func([]byte) ([]byte, *runtimeapi.FunctionError, error)) *fixture {
	t.Helper()
	return newFixtureWith(t, api, authAnswer, gateway.Options{})
}

func newFixtureWith(t *testing.T, api *gateway.API, authAnswer func([]byte) ([]byte, *runtimeapi.FunctionError, error), opts gateway.Options) *fixture {
	t.Helper()
	fx := &fixture{authorizer: &fakeInvoker{answer: authAnswer}, functions: map[string]*fakeInvoker{}}
	invokers := map[string]gateway.Invoker{}
	for id := range api.Functions {
		f := &fakeInvoker{answer: answer(`{"statusCode":200,"body":"` + id + `"}`)}
		fx.functions[id] = f
		invokers[id] = f
	}
	for _, a := range api.Authorizers {
		invokers[a.Function] = fx.authorizer
	}
	gw, err := gateway.New(api, invokers, opts)
	if err != nil {
		t.Fatal(err)
	}
	fx.gw = gw
	return fx
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// repoTemplate is the repository's template, with parameters overriding
// its parameters' defaults.
func repoTemplate(t *testing.T, parameters map[string]string) *gateway.API {
	t.Helper()
	_, api, err := gateway.LoadRepoTemplate(parameters)
	if err != nil {
		t.Fatal(err)
	}
	return api
}

func TestLoadTemplate(t *testing.T) {
	api := repoTemplate(t, nil)
	var keys []string
	for _, r := range api.Routes {
		keys = append(keys, r.Key()+" -> "+r.Function)
		// Aira's clients send X-API-KEY, every other API's Authorization.
		want := "BearerAuthorizer"
		if strings.HasPrefix(r.Path, "/v1/contracts") || strings.HasPrefix(r.Path, "/v1/customers") || strings.HasPrefix(r.Path, "/v1/payment-accounts") {
			want = "AiraKeyAuthorizer"
		}
		if r.Authorizer != want {
			t.Errorf("route %s: authorizer %q, want %s", r.Key(), r.Authorizer, want)
		}
	}
	sort.Strings(keys)
	want := []string{
		"$default -> CreateContractFunction",
		"DELETE /api/v1/contracts/{contractId} -> CreateContractFunction",
		"DELETE /data-customer/v1/organizations/{organizationId}/contracts/{contractId} -> OrganizationContractsFunction",
		"DELETE /v1/organizations/{organizationId}/contracts/{contractId} -> OrganizationContractsFunction",
		"GET /api/contract-actions/{contractActionNumber} -> ContractActionsFunction",
		"GET /api/contracts -> ContractActionsFunction",
		"GET /api/contracts/{contractNumber} -> ContractActionsFunction",
		"GET /api/v1/contracts -> CreateContractFunction",
		"GET /api/v1/contracts/{contractId} -> CreateContractFunction",
		"GET /billing/api/contract-actions/{contractActionNumber} -> ContractActionsFunction",
		"GET /billing/api/contracts -> ContractActionsFunction",
		"GET /billing/api/contracts/{contractNumber} -> ContractActionsFunction",
		"GET /data-customer/v1/organizations/{organizationId}/contracts -> OrganizationContractsFunction",
		"GET /data-customer/v1/organizations/{organizationId}/contracts/{contractId} -> OrganizationContractsFunction",
		"GET /payment-hub/api/contract-actions/{contractActionNumber} -> ContractActionsFunction",
		"GET /payment-hub/api/contracts -> ContractActionsFunction",
		"GET /payment-hub/api/contracts/{contractNumber} -> ContractActionsFunction",
		"GET /v1/contracts/{id} -> CreateContractFunction",
		"GET /v1/organizations/{organizationId}/contracts -> OrganizationContractsFunction",
		"GET /v1/organizations/{organizationId}/contracts/{contractId} -> OrganizationContractsFunction",
		"GET /v1/payment-accounts/by-customer -> CreateContractFunction",
		"PATCH /api/v1/contracts/{contractId} -> CreateContractFunction",
		"POST /api/contract-actions -> ContractActionsFunction",
		"POST /api/v1/contracts -> CreateContractFunction",
		"POST /billing/api/contract-actions -> ContractActionsFunction",
		"POST /data-customer/v1/organizations/{organizationId}/contracts -> OrganizationContractsFunction",
		"POST /data-customer/v1/organizations/{organizationId}/contracts/{contractId}/resurrect -> OrganizationContractsFunction",
		"POST /payment-hub/api/contract-actions -> ContractActionsFunction",
		"POST /v1/contracts -> CreateContractFunction",
		"POST /v1/contracts/ -> CreateContractFunction",
		"POST /v1/contracts/{id}/activate -> CreateContractFunction",
		"POST /v1/contracts/{id}/cancel -> CreateContractFunction",
		"POST /v1/customers -> CreateContractFunction",
		"POST /v1/customers/ -> CreateContractFunction",
		"POST /v1/organizations/{organizationId}/contracts -> OrganizationContractsFunction",
		"POST /v1/organizations/{organizationId}/contracts/{contractId}/resurrect -> OrganizationContractsFunction",
		"PUT /data-customer/v1/organizations/{organizationId}/contracts/{contractId} -> OrganizationContractsFunction",
		"PUT /v1/contracts/{id} -> CreateContractFunction",
		"PUT /v1/organizations/{organizationId}/contracts/{contractId} -> OrganizationContractsFunction",
	}
	if !reflect.DeepEqual(keys, want) {
		t.Errorf("routes:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	for name, header := range map[string]string{"BearerAuthorizer": "Authorization", "AiraKeyAuthorizer": "X-API-KEY"} {
		want := gateway.Authorizer{Name: name, Function: "AuthorizerFunction", SimpleResponses: true,
			IdentityHeaders: []string{header}, ResultTTL: gateway.DefaultAuthorizerTTL}
		if a := api.Authorizers[name]; !reflect.DeepEqual(a, want) {
			t.Errorf("authorizer %s = %+v, want %+v (AuthorizerCacheSeconds' default)", name, a, want)
		}
	}
	if len(api.Authorizers) != 2 {
		t.Errorf("%d authorizers, want 2", len(api.Authorizers))
	}
	if len(api.Functions) != 5 {
		t.Errorf("%d functions, want 5", len(api.Functions))
	}
	for id, f := range api.Functions {
		if f.Timeout != 10*time.Second || f.MemorySize != 256 || f.Handler != "bootstrap" || f.BuildMethod != "makefile" || f.Runtime != "provided.al2023" {
			t.Errorf("%s = %+v, want the template's globals", id, f)
		}
		if f.Environment["LOG_LEVEL"] != "info" {
			t.Errorf("%s: LOG_LEVEL = %q, want the parameter default info", id, f.Environment["LOG_LEVEL"])
		}
		if _, ok := f.Environment["TABLE_NAME"]; ok {
			t.Errorf("%s: TABLE_NAME (a resource reference) should be left to the caller", id)
		}
		if f.Environment["STACK_ID"] != gateway.StackID {
			t.Errorf("%s: STACK_ID = %q, want the local stack's id", id, f.Environment["STACK_ID"])
		}
	}
	// The stage carries the stack's id, which the functions compare with
	// their own; ContractActionsFunction knows the local queue and the
	// template's default allow-list.
	if want := map[string]string{"stackId": gateway.StackID}; !reflect.DeepEqual(api.StageVariables, want) {
		t.Errorf("stage variables %v, want %v", api.StageVariables, want)
	}
	actions := api.Functions["ContractActionsFunction"].Environment
	if actions["ACTIONS_QUEUE_ARN"] != gateway.LocalQueueARN("ContractActionsQueue") || actions["ACTION_EVENT_SOURCES"] != "com.example.billing" {
		t.Errorf("ContractActionsFunction's trust: %v", actions)
	}

	debug := repoTemplate(t, map[string]string{"LogLevel": "debug"})
	if got := debug.Functions["AuthorizerFunction"].Environment["LOG_LEVEL"]; got != "debug" {
		t.Errorf("with LogLevel=debug, LOG_LEVEL = %q", got)
	}
	for _, seconds := range []string{"0", "7"} {
		api := repoTemplate(t, map[string]string{"AuthorizerCacheSeconds": seconds})
		want, _ := time.ParseDuration(seconds + "s")
		for name, a := range api.Authorizers {
			if a.ResultTTL != want {
				t.Errorf("with AuthorizerCacheSeconds=%s, %s keeps answers %v", seconds, name, a.ResultTTL)
			}
		}
	}
}

// keysTemplate is a small template with one of each thing ParseTemplate
// reads: globals, parameters, a resource other than a function, stage
// variables, an authorizer (Keys, keyed by X-Key, keeping its answers for
// IDENTITY_TTL, which keysTemplateWithTTL replaces), and routes with and
// without it.
const keysTemplate = `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Timeout: 3
Parameters:
  Cache:
    Type: Number
    Default: 42
  Sources:
    Type: CommaDelimitedList
    Default: "a.b, c.d"
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      StageVariables:
        mark: !Ref AWS::StackName
      Auth:
        DefaultAuthorizer: Keys
        Authorizers:
          Keys:
            FunctionArn: !GetAtt AuthFn.Arn
            AuthorizerPayloadFormatVersion: "2.0"
            Identity:
              Headers: [X-Key]
              ReauthorizeEvery: IDENTITY_TTL
  AuthFn:
    Type: AWS::Serverless::Function
    Properties:
      Timeout: 5
  AppFn:
    Type: AWS::Serverless::Function
    Properties:
      MemorySize: 512
      Environment:
        Variables:
          MODE: local
          STACK: !Ref AWS::StackId
          SOURCES: !Join [",", !Ref Sources]
          QUEUE: !GetAtt Queue.Arn
          OTHER: !GetAtt AuthFn.Arn
      Events:
        Health:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Method: get
            Path: /health
            Auth:
              Authorizer: NONE
        Everything:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Method: ANY
            Path: /{proxy+}
`

// keysTemplateWithTTL is keysTemplate with Keys keeping its answers for
// ttl, as ReauthorizeEvery is written; "" leaves ReauthorizeEvery out.
func keysTemplateWithTTL(ttl string) string {
	if ttl == "" {
		return strings.Replace(keysTemplate, "              ReauthorizeEvery: IDENTITY_TTL\n", "", 1)
	}
	return strings.Replace(keysTemplate, "IDENTITY_TTL", ttl, 1)
}

func TestParseTemplateVariants(t *testing.T) {
	api, err := gateway.ParseTemplate([]byte(keysTemplateWithTTL("")), nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"route count", len(api.Routes), 2},
		{"health route", api.Routes[0], gateway.Route{Method: "GET", Path: "/health", Function: "AppFn", Event: "Health"}},
		{"proxy route", api.Routes[1], gateway.Route{Method: "ANY", Path: "/{proxy+}", Function: "AppFn", Event: "Everything", Authorizer: "Keys"}},
		// No ReauthorizeEvery: API Gateway's default.
		{"authorizer", api.Authorizers["Keys"], gateway.Authorizer{Name: "Keys", Function: "AuthFn", IdentityHeaders: []string{"X-Key"}, ResultTTL: 300 * time.Second}},
		{"function timeout over globals", api.Functions["AuthFn"].Timeout, 5 * time.Second},
		{"globals timeout", api.Functions["AppFn"].Timeout, 3 * time.Second},
		{"memory", api.Functions["AppFn"].MemorySize, 512},
		{"environment", api.Functions["AppFn"].Environment, map[string]string{
			"MODE": "local", "STACK": gateway.StackID, "SOURCES": "a.b,c.d",
			"QUEUE": gateway.LocalQueueARN("Queue"), "OTHER": "AuthFn.Arn",
		}},
		{"stage variables", api.StageVariables, map[string]string{"mark": gateway.StackName}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("got %+v, want %+v", tt.got, tt.want)
			}
		})
	}
}

func TestRouting(t *testing.T) {
	fx := newFixture(t, testAPI(), answer(allowed))
	tests := []struct {
		method, path string
		wantStatus   int
		wantFunction string
		wantRouteKey string
		wantParams   map[string]string
	}{
		{"GET", "/items", 200, "Items", "GET /items", nil},
		{"POST", "/items", 200, "Items", "POST /items", nil},
		{"GET", "/items/42", 200, "Items", "GET /items/{id}", map[string]string{"id": "42"}},
		{"GET", "/items/a%20b", 200, "Items", "GET /items/{id}", map[string]string{"id": "a b"}},
		{"GET", "/items/special", 200, "Special", "GET /items/special", nil},
		{"DELETE", "/files/a/b/c.txt", 200, "Files", "ANY /files/{path+}", map[string]string{"path": "a/b/c.txt"}},
		{"GET", "/open", 200, "Items", "GET /open", nil},
		{"DELETE", "/items", 404, "", "", nil},
		{"GET", "/items/", 404, "", "", nil},
		{"GET", "/items/42/more", 404, "", "", nil},
		{"GET", "/files/", 404, "", "", nil},
		{"GET", "/nowhere", 404, "", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			before := map[string]int{}
			for id, f := range fx.functions {
				before[id] = f.calls()
			}
			w := serve(fx.gw, httptest.NewRequest(tt.method, tt.path, nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d (%s)", w.Code, tt.wantStatus, w.Body)
			}
			if tt.wantStatus == 404 {
				if w.Body.String() != `{"message":"Not Found"}` {
					t.Errorf("body %s, want API Gateway's Not Found", w.Body)
				}
				for id, f := range fx.functions {
					if f.calls() != before[id] {
						t.Errorf("%s was invoked for an unmatched route", id)
					}
				}
				return
			}
			ev := fx.functions[tt.wantFunction].last(t)
			if ev.RouteKey != tt.wantRouteKey || ev.RequestContext.RouteKey != tt.wantRouteKey {
				t.Errorf("route key %q / %q, want %q", ev.RouteKey, ev.RequestContext.RouteKey, tt.wantRouteKey)
			}
			if len(ev.PathParameters) != 0 || len(tt.wantParams) != 0 {
				if !reflect.DeepEqual(ev.PathParameters, tt.wantParams) {
					t.Errorf("path parameters %v, want %v", ev.PathParameters, tt.wantParams)
				}
			}
		})
	}
	if fx.authorizer.calls() == 0 {
		t.Error("the authorizer never ran")
	}
}

func TestAuthorizerOutcomes(t *testing.T) {
	tests := []struct {
		name       string
		answer     func([]byte) ([]byte, *runtimeapi.FunctionError, error)
		wantStatus int
		wantBody   string
	}{
		{"authorized", answer(allowed), 200, "Items"},
		{"Unauthorized error", func([]byte) ([]byte, *runtimeapi.FunctionError, error) {
			return nil, &runtimeapi.FunctionError{Message: "Unauthorized", Type: "errorString"}, nil
		}, 401, `{"message":"Unauthorized"}`},
		{"other function error", func([]byte) ([]byte, *runtimeapi.FunctionError, error) {
			return nil, &runtimeapi.FunctionError{Message: "authorizer unavailable", Type: "errorString"}, nil
		}, 500, `{"message":"Internal Server Error"}`},
		{"process died", func([]byte) ([]byte, *runtimeapi.FunctionError, error) {
			return nil, nil, &runtimeapi.ExitError{Function: "Authorizer", Err: errors.New("exit status 2")}
		}, 500, `{"message":"Internal Server Error"}`},
		{"not authorized", answer(`{"isAuthorized":false}`), 403, `{"message":"Forbidden"}`},
		{"malformed answer", answer(`{"allowed":true}`), 500, `{"message":"Internal Server Error"}`},
		{"not JSON", answer(`yes`), 500, `{"message":"Internal Server Error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, testAPI(), tt.answer)
			req := httptest.NewRequest("GET", "/items", nil)
			req.Header.Set("Authorization", "Bearer x")
			w := serve(fx.gw, req)
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %s, want %d %s", w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
			if w.Header().Get("Apigw-Requestid") == "" {
				t.Error("no apigw-requestid header")
			}
			if invoked := fx.functions["Items"].calls() > 0; invoked != (tt.wantStatus == 200) {
				t.Errorf("function invoked: %v", invoked)
			}
			var authReq events.APIGatewayV2CustomAuthorizerV2Request
			json.Unmarshal(fx.authorizer.payloads[0], &authReq)
			if authReq.Version != "2.0" || authReq.Type != "REQUEST" || authReq.RouteKey != "GET /items" ||
				authReq.Headers["authorization"] != "Bearer x" || authReq.IdentitySource == nil ||
				authReq.RouteArn != "arn:aws:execute-api:us-east-1:123456789012:1234567890/$default/GET/items" {
				t.Errorf("authorizer event: %+v", authReq)
			}
		})
	}
}

func TestAuthorizerIdentityAndPolicies(t *testing.T) {
	api := testAPI()
	api.Authorizers["Auth"] = gateway.Authorizer{Name: "Auth", Function: "Authorizer", IdentityHeaders: []string{"$request.header.X-Key"}}
	policy := func(effect, resource string) func([]byte) ([]byte, *runtimeapi.FunctionError, error) {
		return answer(`{"principalId":"p","policyDocument":{"Version":"2012-10-17","Statement":[{"Action":"execute-api:Invoke","Effect":"` +
			effect + `","Resource":["` + resource + `"]}]},"context":{"tenantId":"t1"}}`)
	}
	tests := []struct {
		name       string
		key        string
		answer     func([]byte) ([]byte, *runtimeapi.FunctionError, error)
		wantStatus int
		wantCalls  int
	}{
		{"missing identity source", "", policy("Allow", "*"), 401, 0},
		{"allowed by wildcard", "k", policy("Allow", "arn:aws:execute-api:*:*:*/$default/GET/*"), 200, 1},
		{"other resource", "k", policy("Allow", "arn:aws:execute-api:*:*:*/$default/POST/*"), 403, 1},
		{"denied", "k", policy("Deny", "*"), 403, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, api, tt.answer)
			req := httptest.NewRequest("GET", "/items", nil)
			if tt.key != "" {
				req.Header.Set("X-Key", tt.key)
			}
			w := serve(fx.gw, req)
			if w.Code != tt.wantStatus || fx.authorizer.calls() != tt.wantCalls {
				t.Errorf("status %d after %d authorizer calls, want %d after %d", w.Code, fx.authorizer.calls(), tt.wantStatus, tt.wantCalls)
			}
			if tt.wantStatus == 200 {
				if got := fx.functions["Items"].last(t).RequestContext.Authorizer.Lambda["tenantId"]; got != "t1" {
					t.Errorf("context tenantId = %v", got)
				}
			}
		})
	}
}

func TestRequestEvent(t *testing.T) {
	fx := newFixture(t, testAPI(), answer(allowed))
	req := httptest.NewRequest("POST", "/items?b=2&a=1&a=3", strings.NewReader(`{"x":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("X-Multi", "one")
	req.Header.Add("X-Multi", "two")
	req.Header.Set("User-Agent", "test-agent")
	req.Header.Add("Cookie", "s=1; t=2")
	w := serve(fx.gw, req)
	if w.Code != 200 {
		t.Fatalf("status %d %s", w.Code, w.Body)
	}
	ev := fx.functions["Items"].last(t)
	checks := []struct {
		name      string
		got, want any
	}{
		{"version", ev.Version, "2.0"},
		{"routeKey", ev.RouteKey, "POST /items"},
		{"rawPath", ev.RawPath, "/items"},
		{"rawQueryString", ev.RawQueryString, "b=2&a=1&a=3"},
		{"query", ev.QueryStringParameters, map[string]string{"a": "1,3", "b": "2"}},
		{"repeated header", ev.Headers["x-multi"], "one,two"},
		{"content type", ev.Headers["content-type"], "application/json"},
		{"no cookie header", ev.Headers["cookie"], ""},
		{"cookies", ev.Cookies, []string{"s=1", "t=2"}},
		{"host", ev.Headers["host"], "example.com"},
		{"body", ev.Body, `{"x":1}`},
		{"base64", ev.IsBase64Encoded, false},
		{"stage", ev.RequestContext.Stage, "$default"},
		{"method", ev.RequestContext.HTTP.Method, "POST"},
		{"path", ev.RequestContext.HTTP.Path, "/items"},
		{"protocol", ev.RequestContext.HTTP.Protocol, "HTTP/1.1"},
		{"source ip", ev.RequestContext.HTTP.SourceIP, "192.0.2.1"},
		{"user agent", ev.RequestContext.HTTP.UserAgent, "test-agent"},
		{"account", ev.RequestContext.AccountID, "123456789012"},
		{"authorizer context", ev.RequestContext.Authorizer.Lambda, map[string]any{"tenantId": "t1", "credentialId": "c1", "tenantAliases": "a1"}},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Errorf("got %#v, want %#v", c.got, c.want)
			}
		})
	}
	for k := range ev.Headers {
		if k != strings.ToLower(k) {
			t.Errorf("header %q is not lower case", k)
		}
	}
	if ev.RequestContext.TimeEpoch == 0 || ev.RequestContext.Time == "" || ev.RequestContext.RequestID == "" {
		t.Errorf("request context lacks time or id: %+v", ev.RequestContext)
	}
	var raw map[string]map[string]any
	fx.functions["Items"].mu.Lock()
	json.Unmarshal(fx.functions["Items"].payloads[0], &raw)
	fx.functions["Items"].mu.Unlock()
	if _, ok := raw["requestContext"]["authentication"]; ok {
		t.Error("requestContext carries an authentication block without mutual TLS")
	}

	serve(fx.gw, httptest.NewRequest("GET", "/items", nil))
	if again := fx.functions["Items"].last(t); again.RequestContext.RequestID == ev.RequestContext.RequestID {
		t.Error("two requests got the same request id")
	}
}

// TestAccessLogOmitsTheQuery: the access log records a request's path and
// never its query string, whose names and values can carry tokens; a path
// cannot break its line.
func TestAccessLogOmitsTheQuery(t *testing.T) {
	api := testAPI()
	invokers := map[string]gateway.Invoker{}
	for id := range api.Functions {
		invokers[id] = &fakeInvoker{answer: answer(`{"statusCode":200,"body":"ok"}`)}
	}
	invokers["Authorizer"] = &fakeInvoker{answer: answer(allowed)}
	// An access log the test reads while the gateway writes.
	log := &runtimeapi.SharedOutput{W: new(strings.Builder)}
	gw, err := gateway.New(api, invokers, gateway.Options{AccessLog: log})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "ctk_0123456789abcdef0123456789abcdef_c2VjcmV0LXZhbHVlLW5vLWxvZy1tYXktaG9sZC1pdA"
	tests := []struct {
		target, wantPath string
		wantStatus       int
	}{
		{"/items?access_token=" + secret + "&limit=5", "/items", 200},
		{"/items?" + secret, "/items", 200},
		{"/items/42?token=" + secret, "/items/42", 200},
		{"/items/a%20b?x=" + secret, "/items/a%20b", 200},
		{"/items/a%0Ab", "/items/a%0Ab", 200},
		{"/nowhere?token=" + secret, "/nowhere", 404},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			before := len(log.String())
			w := serve(gw, httptest.NewRequest("GET", tt.target, nil))
			if w.Code != tt.wantStatus {
				t.Fatalf("status %d %s", w.Code, w.Body)
			}
			line := log.String()[before:]
			if strings.Count(line, "\n") != 1 || !strings.HasSuffix(line, "\n") {
				t.Fatalf("not one line: %q", line)
			}
			if fields := strings.Fields(line); len(fields) != 7 || fields[2] != "GET" || fields[3] != tt.wantPath {
				t.Errorf("line %q, want the path %s in its fourth field", line, tt.wantPath)
			}
			if strings.Contains(line, secret) || strings.Contains(line, "?") {
				t.Errorf("the line holds the query: %q", line)
			}
		})
	}
}

func TestRequestBodyEncoding(t *testing.T) {
	tests := []struct {
		contentType string
		body        string
		wantBase64  bool
	}{
		{"application/json", `{"a":1}`, false},
		{"application/problem+json; charset=utf-8", `{"a":1}`, false},
		{"text/plain", "hello", false},
		{"application/xml", "<a/>", false},
		{"application/octet-stream", "\x00\x01", true},
		{"application/x-www-form-urlencoded", "a=1", true},
		{"", "raw", true},
		{"text/plain", "\xff\xfe", true},
	}
	for _, tt := range tests {
		t.Run(tt.contentType, func(t *testing.T) {
			fx := newFixture(t, testAPI(), answer(allowed))
			req := httptest.NewRequest("POST", "/items", strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			serve(fx.gw, req)
			ev := fx.functions["Items"].last(t)
			want := tt.body
			if tt.wantBase64 {
				want = base64.StdEncoding.EncodeToString([]byte(tt.body))
			}
			if ev.IsBase64Encoded != tt.wantBase64 || ev.Body != want {
				t.Errorf("body %q base64 %v, want %q base64 %v", ev.Body, ev.IsBase64Encoded, want, tt.wantBase64)
			}
		})
	}
}

func TestRequestBodyLimit(t *testing.T) {
	tests := []struct {
		name       string
		size       int
		wantStatus int
	}{
		{"at the limit", gateway.MaxBodyBytes, 200},
		{"over the limit", gateway.MaxBodyBytes + 1, 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, testAPI(), answer(allowed))
			req := httptest.NewRequest("POST", "/items", strings.NewReader(strings.Repeat("a", tt.size)))
			req.Header.Set("Content-Type", "text/plain")
			w := serve(fx.gw, req)
			if w.Code != tt.wantStatus {
				t.Errorf("status %d, want %d", w.Code, tt.wantStatus)
			}
			if tt.wantStatus == 413 && (fx.authorizer.calls() != 0 || w.Body.String() != `{"message":"Request Entity Too Large"}`) {
				t.Errorf("an oversized body reached the authorizer or got %s", w.Body)
			}
		})
	}
}

func TestFunctionResponses(t *testing.T) {
	tests := []struct {
		name        string
		answer      func([]byte) ([]byte, *runtimeapi.FunctionError, error)
		wantStatus  int
		wantBody    string
		wantHeaders map[string][]string
	}{
		{
			name: "full response",
			answer: answer(`{"statusCode":201,"headers":{"Content-Type":"application/json","Location":"/items/1"},` +
				`"multiValueHeaders":{"X-Many":["a","b"]},"cookies":["s=1; Path=/","t=2"],"body":"{\"id\":1}"}`),
			wantStatus: 201, wantBody: `{"id":1}`,
			wantHeaders: map[string][]string{"Content-Type": {"application/json"}, "Location": {"/items/1"}, "X-Many": {"a", "b"}, "Set-Cookie": {"s=1; Path=/", "t=2"}},
		},
		{
			name:       "base64 body",
			answer:     answer(`{"statusCode":200,"headers":{"Content-Type":"application/octet-stream"},"isBase64Encoded":true,"body":"` + base64.StdEncoding.EncodeToString([]byte{0, 1, 2}) + `"}`),
			wantStatus: 200, wantBody: "\x00\x01\x02",
		},
		{
			name:       "no content",
			answer:     answer(`{"statusCode":204}`),
			wantStatus: 204, wantBody: "",
			wantHeaders: map[string][]string{"Content-Type": nil},
		},
		{
			name:       "inferred from JSON without statusCode",
			answer:     answer(`{"hello":"world"}`),
			wantStatus: 200, wantBody: `{"hello":"world"}`,
			wantHeaders: map[string][]string{"Content-Type": {"application/json"}},
		},
		{
			name: "function error",
			answer: func([]byte) ([]byte, *runtimeapi.FunctionError, error) {
				return nil, &runtimeapi.FunctionError{Message: "boom", Type: "string"}, nil
			},
			wantStatus: 502, wantBody: `{"message":"Internal Server Error"}`,
		},
		{
			name: "process died",
			answer: func([]byte) ([]byte, *runtimeapi.FunctionError, error) {
				return nil, nil, &runtimeapi.ExitError{Function: "Items", Err: errors.New("signal: killed")}
			},
			wantStatus: 502, wantBody: `{"message":"Internal Server Error"}`,
		},
		{
			name: "invocation refused",
			answer: func([]byte) ([]byte, *runtimeapi.FunctionError, error) {
				return nil, nil, runtimeapi.ErrClosed
			},
			wantStatus: 500, wantBody: `{"message":"Internal Server Error"}`,
		},
		{
			name: "payload too large for Lambda",
			answer: func([]byte) ([]byte, *runtimeapi.FunctionError, error) {
				return nil, nil, runtimeapi.ErrPayloadTooLarge
			},
			wantStatus: 413, wantBody: `{"message":"Request Entity Too Large"}`,
		},
		{name: "not JSON", answer: answer(`<html>`), wantStatus: 502, wantBody: `{"message":"Internal Server Error"}`},
		{name: "bad status", answer: answer(`{"statusCode":42}`), wantStatus: 502, wantBody: `{"message":"Internal Server Error"}`},
		{name: "bad base64", answer: answer(`{"statusCode":200,"isBase64Encoded":true,"body":"%%%"}`), wantStatus: 502, wantBody: `{"message":"Internal Server Error"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newFixture(t, testAPI(), answer(allowed))
			fx.functions["Items"].answer = tt.answer
			w := serve(fx.gw, httptest.NewRequest("GET", "/items", nil))
			if w.Code != tt.wantStatus || w.Body.String() != tt.wantBody {
				t.Errorf("got %d %q, want %d %q", w.Code, w.Body, tt.wantStatus, tt.wantBody)
			}
			for k, want := range tt.wantHeaders {
				if got := w.Result().Header[k]; !reflect.DeepEqual(got, want) {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
		})
	}
}

func TestNewRefusesMissingInvokers(t *testing.T) {
	if _, err := gateway.New(testAPI(), map[string]gateway.Invoker{}, gateway.Options{}); err == nil {
		t.Error("a gateway without invokers was built")
	}
}

// seed004Request is the body of the Kukkingu create-contract example.
var seed004Request = map[string]any{
	"clientId":     "clnt_z2b3mo8qa5kzptgsu26q2wmh",
	"name":         "Standard Service Contract",
	"amountMinor":  5000.0,
	"currencyCode": "EUR",
	"description":  "This contract covers standard service terms and conditions.",
	"order":        13.0,
	"validFrom":    "2023-10-05T14:48:00.000Z",
	"validTo":      "2023-10-05T14:48:00.000Z",
}

// TestEnvFileMatchesLocalStack: infra/env.json, which sam local invoke
// gives every function, sets their trust as the local stack does, so the
// sample events pass it there too.
func TestEnvFileMatchesLocalStack(t *testing.T) {
	api := repoTemplate(t, nil)
	root, _ := gateway.RepoRoot()
	data, err := os.ReadFile(filepath.Join(root, "infra", "env.json"))
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(data, &env); err != nil {
		t.Fatal(err)
	}
	actions := api.Functions["ContractActionsFunction"].Environment
	for _, k := range []string{"ACTIONS_QUEUE_ARN", "ACTION_EVENT_SOURCES"} {
		if got, want := env["ContractActionsFunction"][k], actions[k]; got != want {
			t.Errorf("env.json ContractActionsFunction.%s = %q, the local stack's %q", k, got, want)
		}
	}
	// SAM CLI resolves STACK_ID (!Ref AWS::StackId) to the id the local
	// stack has too, the one its start-api puts in the stage variable;
	// env.json setting it would part the two.
	for section, vars := range env {
		if _, ok := vars["STACK_ID"]; ok {
			t.Errorf("env.json %s sets STACK_ID", section)
		}
	}
	if actions["STACK_ID"] != gateway.StackID {
		t.Errorf("the local stack's STACK_ID is %q, not its id %q", actions["STACK_ID"], gateway.StackID)
	}
}

// TestSampleEvents replays every sample event through the gateway and
// checks the gateway builds the same event, so the samples and the
// emulation agree on what API Gateway sends; and that every route has a
// sample.
func TestSampleEvents(t *testing.T) {
	api := repoTemplate(t, nil)
	files, _ := filepath.Glob(filepath.Join(httpapitest.SampleEvents(), "*.json"))
	if len(files) == 0 {
		t.Fatal("no sample events")
	}
	covered := map[string]bool{}
	credential := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for _, path := range files {
		name := filepath.Base(path)
		t.Run(name, func(t *testing.T) {
			sample := httpapitest.ReadEvent(t, path)
			if _, http := sample["requestContext"]; !http {
				// SQS, EventBridge and direct invocations do not pass
				// through the HTTP API; the end-to-end test invokes them.
				return
			}
			isAuthorizer := sample["type"] == "REQUEST"
			if isAuthorizer != (name == "authorizer.json") {
				t.Fatalf("type %v in %s", sample["type"], name)
			}
			headers, _ := sample["headers"].(map[string]any)
			rc, _ := sample["requestContext"].(map[string]any)
			httpCtx, _ := rc["http"].(map[string]any)
			if !isAuthorizer {
				covered[sample["routeKey"].(string)] = true
				lambda, _ := rc["authorizer"].(map[string]any)["lambda"].(map[string]any)
				if lambda["tenantId"] != "demo" || !credential.MatchString(lambda["credentialId"].(string)) || lambda["tenantAliases"] != "tnt_pfh0haxfpzowht3oi213cqos,1234567890abcdef12345678" {
					t.Errorf("authorizer context %v", lambda)
				}
			}

			// Replay the request the sample describes.
			captured := &fakeInvoker{answer: answer(`{"statusCode":200}`)}
			authorizer := &fakeInvoker{answer: answer(`{"isAuthorized":true,"context":{}}`)}
			if !isAuthorizer {
				authorizer.answer = answer(`{"isAuthorized":true,"context":` + httpapitest.MustJSON(rc["authorizer"].(map[string]any)["lambda"]) + `}`)
			}
			invokers := map[string]gateway.Invoker{}
			for id := range api.Functions {
				invokers[id] = captured
			}
			invokers["AuthorizerFunction"] = authorizer
			gw, err := gateway.New(api, invokers, gateway.Options{APIID: rc["apiId"].(string)})
			if err != nil {
				t.Fatal(err)
			}
			target := sample["rawPath"].(string)
			if q := sample["rawQueryString"].(string); q != "" {
				target += "?" + q
			}
			body, _ := sample["body"].(string)
			if isAuthorizer {
				// An authorizer is not shown the body; the request it
				// authorized had the create's.
				body = httpapitest.ReadEvent(t, filepath.Join(httpapitest.SampleEvents(), "kukkingu-create.json"))["body"].(string)
			}
			req := httptest.NewRequest(httpCtx["method"].(string), target, strings.NewReader(body))
			req.Host = headers["host"].(string)
			req.RemoteAddr = httpCtx["sourceIp"].(string) + ":50000"
			for k, v := range headers {
				if k != "host" && k != "content-length" && !strings.HasPrefix(k, "x-forwarded-") {
					req.Header.Set(k, v.(string))
				}
			}
			if w := serve(gw, req); w.Code != 200 {
				t.Fatalf("replay: %d %s", w.Code, w.Body)
			}
			inv := captured
			if isAuthorizer {
				inv = authorizer
			}
			var got map[string]any
			json.Unmarshal(inv.payloads[0], &got)
			// What differs from one request to the next, and what only a
			// deployed API knows (TLS on port 443).
			for _, ev := range []map[string]any{got, sample} {
				ev["requestContext"].(map[string]any)["requestId"] = "-"
				ev["requestContext"].(map[string]any)["time"] = "-"
				ev["requestContext"].(map[string]any)["timeEpoch"] = 0
				for _, h := range []string{"x-amzn-trace-id", "x-forwarded-port", "x-forwarded-proto"} {
					ev["headers"].(map[string]any)[h] = "-"
				}
			}
			if !reflect.DeepEqual(got, sample) {
				t.Errorf("the gateway builds a different event:\ngot  %s\nwant %s", httpapitest.MustJSON(got), httpapitest.MustJSON(sample))
			}
		})
	}
	// A route under one of the vendors' base paths is the twin of the
	// route without it (the same handler): one sample covers both, and
	// the twins' own samples (billing-get-contract.json,
	// data-customer-fabric-get.json) show the base paths served end to end.
	twin := strings.NewReplacer(" /billing/api/", " /api/", " /data-customer/v1/", " /v1/")
	for _, r := range api.Routes {
		if !covered[r.Key()] && !covered[twin.Replace(r.Key())] {
			t.Errorf("route %s has no sample event", r.Key())
		}
	}

	create := httpapitest.ReadEvent(t, filepath.Join(httpapitest.SampleEvents(), "kukkingu-create.json"))
	var body map[string]any
	json.Unmarshal([]byte(create["body"].(string)), &body)
	if !reflect.DeepEqual(body, seed004Request) {
		t.Errorf("kukkingu-create body %v, want the seed's request", body)
	}
	if h := create["headers"].(map[string]any); h["tenant-id"] != "tnt_pfh0haxfpzowht3oi213cqos" {
		t.Errorf("kukkingu-create tenant-id %v", h["tenant-id"])
	}
}
