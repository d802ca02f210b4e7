package gateway_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/infra/local/runtimeapi"
)

// clock is a time the test moves on by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// tokenAuthorizer stands for the authorizer function: a token (the
// identity source's one value) names its tenant, "tenant-<token>", until
// it is revoked.
type tokenAuthorizer struct {
	mu      sync.Mutex
	revoked map[string]bool
}

func (a *tokenAuthorizer) answer(payload []byte) ([]byte, *runtimeapi.FunctionError, error) {
	var req struct {
		IdentitySource []string `json:"identitySource"`
	}
	if err := json.Unmarshal(payload, &req); err != nil || len(req.IdentitySource) != 1 {
		return nil, &runtimeapi.FunctionError{Message: "bad request"}, nil
	}
	token := strings.TrimPrefix(req.IdentitySource[0], "Bearer ")
	a.mu.Lock()
	revoked := a.revoked[token]
	a.mu.Unlock()
	switch {
	case revoked:
		return nil, &runtimeapi.FunctionError{Message: "Unauthorized", Type: "errorString"}, nil
	case token == "denied":
		return []byte(`{"isAuthorized":false}`), nil, nil
	}
	return []byte(`{"isAuthorized":true,"context":{"tenantId":"tenant-` + token + `"}}`), nil, nil
}

func (a *tokenAuthorizer) revoke(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.revoked[token] = true
}

const cacheTTL = 10 * time.Second

// cachingAPI has two authorizers over one function, as the template has
// them: Auth keyed by Authorization on /items, Keys keyed by X-Key on
// /keys.
func cachingAPI(ttl time.Duration) *gateway.API {
	return &gateway.API{
		Routes: []gateway.Route{
			{Method: "GET", Path: "/items", Function: "Items", Authorizer: "Auth"},
			{Method: "GET", Path: "/items/{id}", Function: "Items", Authorizer: "Auth"},
			{Method: "POST", Path: "/items", Function: "Items", Authorizer: "Auth"},
			{Method: "GET", Path: "/keys", Function: "Items", Authorizer: "Keys"},
		},
		Authorizers: map[string]gateway.Authorizer{
			"Auth": {Name: "Auth", Function: "Authorizer", SimpleResponses: true, IdentityHeaders: []string{"Authorization"}, ResultTTL: ttl},
			"Keys": {Name: "Keys", Function: "Authorizer", SimpleResponses: true, IdentityHeaders: []string{"X-Key"}, ResultTTL: ttl},
		},
		Functions: map[string]gateway.Function{"Items": {}, "Authorizer": {}},
	}
}

// call sends one request and returns its status and the tenant the
// function was handed (empty when it was not invoked).
func (fx *fixture) call(t *testing.T, method, path string, headers map[string]string) (int, string) {
	t.Helper()
	before := fx.functions["Items"].calls()
	req := httptest.NewRequest(method, path, nil)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	w := serve(fx.gw, req)
	if fx.functions["Items"].calls() == before {
		return w.Code, ""
	}
	tenant, _ := fx.functions["Items"].last(t).RequestContext.Authorizer.Lambda["tenantId"].(string)
	return w.Code, tenant
}

func bearer(token string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + token}
}

// TestAuthorizerCache: as API Gateway caches an HTTP API's Lambda
// authorizer ("Working with AWS Lambda authorizers for HTTP APIs",
// caching): keyed by the identity sources' values, for every route of
// the authorizer, for its TTL. A warm request invokes the route's function
// alone; two tokens never share an answer; a revoked token keeps working
// until its answer expires, at most the TTL, and is refused after.
func TestAuthorizerCache(t *testing.T) {
	clk := &clock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	auth := &tokenAuthorizer{revoked: map[string]bool{}}
	fx := newFixtureWith(t, cachingAPI(cacheTTL), auth.answer, gateway.Options{Now: clk.Now})
	// send sends one request and checks its status, the tenant the
	// function was handed, and the invocations of each function so far.
	send := func(what, method, path string, headers map[string]string, wantStatus int, wantTenant string, wantAuthorizer, wantItems int64) {
		t.Helper()
		gotStatus, gotTenant := fx.call(t, method, path, headers)
		a, i := fx.gw.Invocations("Authorizer"), fx.gw.Invocations("Items")
		if gotStatus != wantStatus || gotTenant != wantTenant || a != wantAuthorizer || i != wantItems {
			t.Errorf("%s: %d as %q after %d authorizer and %d function invocations, want %d as %q after %d and %d",
				what, gotStatus, gotTenant, a, i, wantStatus, wantTenant, wantAuthorizer, wantItems)
		}
	}

	send("first request", "GET", "/items", bearer("a"), 200, "tenant-a", 1, 1)
	send("warm, another route of the authorizer", "GET", "/items/1", bearer("a"), 200, "tenant-a", 1, 2)
	send("warm, another method", "POST", "/items", bearer("a"), 200, "tenant-a", 1, 3)

	send("another token", "GET", "/items", bearer("b"), 200, "tenant-b", 2, 4)
	for i := range 3 {
		send("a, between b's", "GET", "/items/1", bearer("a"), 200, "tenant-a", 2, int64(5+2*i))
		send("b, between a's", "GET", "/items/1", bearer("b"), 200, "tenant-b", 2, int64(6+2*i))
	}
	// A value differing in case or spacing is another key: it is asked
	// about, never answered with a's grant.
	send("a's token in another spelling", "GET", "/items", map[string]string{"Authorization": "bearer a"}, 200, "tenant-bearer a", 3, 11)

	// The other authorizer keeps its own answers: a's grant under
	// Authorization is not an answer for X-Key.
	send("the other authorizer", "GET", "/keys", map[string]string{"X-Key": "a", "Authorization": "Bearer b"}, 200, "tenant-a", 4, 12)
	send("the other authorizer, warm", "GET", "/keys", map[string]string{"X-Key": "a"}, 200, "tenant-a", 4, 13)

	send("missing identity source", "GET", "/keys", map[string]string{"Authorization": "Bearer a"}, 401, "", 4, 13)
	send("empty identity source", "GET", "/items", map[string]string{"Authorization": ""}, 401, "", 4, 13)

	// A denial is an answer too: kept like a grant.
	send("denied", "GET", "/items", bearer("denied"), 403, "", 5, 13)
	send("denied, warm", "GET", "/items/1", bearer("denied"), 403, "", 5, 13)

	// Revoked at the TTL's last moment: the answers kept for a still
	// hold until they expire, and no longer.
	clk.advance(cacheTTL - time.Nanosecond)
	auth.revoke("a")
	send("revoked, within the TTL", "GET", "/items/1", bearer("a"), 200, "tenant-a", 5, 14)
	send("revoked, within the TTL, the other authorizer", "GET", "/keys", map[string]string{"X-Key": "a"}, 200, "tenant-a", 5, 15)
	clk.advance(time.Nanosecond)
	send("revoked, the TTL over", "GET", "/items/1", bearer("a"), 401, "", 6, 15)
	send("revoked, the TTL over, the other authorizer", "GET", "/keys", map[string]string{"X-Key": "a"}, 401, "", 7, 15)
	// A refusal ("Unauthorized") is no answer to keep: asked again.
	send("revoked, again", "GET", "/items/1", bearer("a"), 401, "", 8, 15)
	// b's answer expired too: asked again, granted again.
	send("b after the TTL", "GET", "/items", bearer("b"), 200, "tenant-b", 9, 16)
}

// TestAuthorizerCacheOff: with a TTL of 0 every request asks the
// authorizer, and a revocation is refused at once.
func TestAuthorizerCacheOff(t *testing.T) {
	auth := &tokenAuthorizer{revoked: map[string]bool{}}
	fx := newFixture(t, cachingAPI(0), auth.answer)
	for i := range 3 {
		if s, tn := fx.call(t, "GET", "/items", bearer("a")); s != 200 || tn != "tenant-a" {
			t.Fatalf("request %d: %d as %q", i, s, tn)
		}
	}
	auth.revoke("a")
	if s, _ := fx.call(t, "GET", "/items", bearer("a")); s != 401 {
		t.Errorf("revoked: %d, want 401", s)
	}
	if n := fx.gw.Invocations("Authorizer"); n != 4 {
		t.Errorf("%d authorizer invocations for 4 requests, want 4", n)
	}
}

// TestAuthorizerCacheEvaluatesPoliciesPerRoute: an IAM-policy answer is
// kept like a simple one, and held against each route it is used for.
func TestAuthorizerCacheEvaluatesPoliciesPerRoute(t *testing.T) {
	clk := &clock{now: time.Now()}
	api := cachingAPI(cacheTTL)
	a := api.Authorizers["Auth"]
	a.SimpleResponses = false
	api.Authorizers["Auth"] = a
	fx := newFixtureWith(t, api, answer(`{"principalId":"p","policyDocument":{"Version":"2012-10-17","Statement":[`+
		`{"Action":"execute-api:Invoke","Effect":"Allow","Resource":"arn:aws:execute-api:*:*:*/$default/GET/*"}]},"context":{"tenantId":"t1"}}`),
		gateway.Options{Now: clk.Now})
	if s, tn := fx.call(t, "GET", "/items", bearer("a")); s != 200 || tn != "t1" {
		t.Errorf("GET: %d as %q", s, tn)
	}
	if s, _ := fx.call(t, "POST", "/items", bearer("a")); s != 403 {
		t.Errorf("POST, which the kept policy does not allow: %d", s)
	}
	if n := fx.gw.Invocations("Authorizer"); n != 1 {
		t.Errorf("%d authorizer invocations, want 1", n)
	}
}

func TestAuthorizerTTLFromTemplate(t *testing.T) {
	tests := []struct {
		name, ttl  string
		parameters map[string]string
		want       time.Duration
		wantErr    bool
	}{
		{"a parameter's default", "!Ref Cache", nil, 42 * time.Second, false},
		{"a parameter overridden", "!Ref Cache", map[string]string{"Cache": "5"}, 5 * time.Second, false},
		{"off", "0", nil, 0, false},
		{"API Gateway's most", "3600", nil, time.Hour, false},
		{"past API Gateway's most", "3601", nil, 0, true},
		{"negative", "-1", nil, 0, true},
		{"not whole seconds", "1.5", nil, 0, true},
		{"not a number", "soon", nil, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			api, err := gateway.ParseTemplate([]byte(keysTemplateWithTTL(tt.ttl)), tt.parameters)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ReauthorizeEvery %s: accepted as %v", tt.ttl, api.Authorizers["Keys"].ResultTTL)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := api.Authorizers["Keys"].ResultTTL; got != tt.want {
				t.Errorf("ResultTTL %v, want %v", got, tt.want)
			}
		})
	}
	// Caching needs a key: an authorizer without identity sources keeps
	// nothing, and one told to cache is refused.
	noIdentity := strings.Replace(keysTemplateWithTTL("0"), "              Headers: [X-Key]\n", "", 1)
	if api, err := gateway.ParseTemplate([]byte(noIdentity), nil); err != nil || api.Authorizers["Keys"].ResultTTL != 0 {
		t.Errorf("no identity source, TTL 0: %v, %v", err, api)
	}
	if _, err := gateway.ParseTemplate([]byte(strings.Replace(noIdentity, "ReauthorizeEvery: 0", "ReauthorizeEvery: 60", 1)), nil); err == nil {
		t.Error("an authorizer caching without identity sources was accepted")
	}
	withContext := strings.Replace(keysTemplateWithTTL("60"), "Headers: [X-Key]", "Headers: [X-Key]\n              Context: [routeKey]", 1)
	if _, err := gateway.ParseTemplate([]byte(withContext), nil); err == nil {
		t.Error("a context identity source, which the cache key would leave out, was accepted")
	}
}
