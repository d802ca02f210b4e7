package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contracts-service/contracts/infra/local/demo"
	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// testClock is the time a gateway keeps its authorizer answers by, moved
// on by hand, so a test sees an answer expire without waiting for it: the
// machine's time moved on, or, with a base, that time standing still but
// for the moves.
type testClock struct {
	mu     sync.Mutex
	base   time.Time
	offset time.Duration
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base.IsZero() {
		return time.Now().Add(c.offset)
	}
	return c.base.Add(c.offset)
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

// gatewayClock is the clock of startStack's gateways. Moving it on only
// expires kept answers, which makes a gateway ask its authorizer again.
var gatewayClock = &testClock{}

// authorizerTTL is the longest any authorizer of stack keeps an answer.
func authorizerTTL(t *testing.T, stack *gateway.Stack) time.Duration {
	t.Helper()
	var ttl time.Duration
	for _, a := range stack.API.Authorizers {
		ttl = max(ttl, a.ResultTTL)
	}
	return ttl
}

// requestCounter stands in front of DynamoDB Local, one endpoint per
// function, and counts the requests each function's bootstrap sends.
type requestCounter struct {
	upstream *url.URL
	mu       sync.Mutex
	counts   map[string]*atomic.Int64
}

func (c *requestCounter) endpoint(t *testing.T, function string) string {
	t.Helper()
	n := new(atomic.Int64)
	c.mu.Lock()
	c.counts[function] = n
	c.mu.Unlock()
	proxy := httputil.NewSingleHostReverseProxy(c.upstream)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (c *requestCounter) count(function string) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if n := c.counts[function]; n != nil {
		return n.Load()
	}
	return 0
}

// startCountedStack runs the built bootstraps against table, with the
// template's parameters overridden by parameters, a gateway that tells
// time by clock, and each function's DynamoDB requests counted.
func startCountedStack(t *testing.T, table string, parameters map[string]string, clock *testClock) (*gateway.Stack, *requestCounter) {
	t.Helper()
	upstream, err := url.Parse(os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"))
	if err != nil || upstream.Host == "" {
		t.Fatalf("AWS_ENDPOINT_URL_DYNAMODB %q: %v", os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"), err)
	}
	counter := &requestCounter{upstream: upstream, counts: map[string]*atomic.Int64{}}
	_, api, paths := loadStack(t, parameters, func(id string) string { return counter.endpoint(t, id) })
	stack := runStack(t, api, paths, table, "info", gateway.StackConfig{
		MaxConcurrency: 2,
		Output:         func(string) io.Writer { return io.Discard },
		Gateway:        gateway.Options{Now: clock.Now},
	})
	return stack, counter
}

// TestAuthorizerCacheEndToEnd runs the built bootstraps behind the local
// gateway, which caches the authorizers' answers as API Gateway does for
// the template's AuthorizerCacheSeconds (here 60): a warm authenticated
// request invokes the route's function and nothing else, and reads no
// credential; two tenants' tokens never share an answer; a revoked token
// keeps working until its answer expires, 60 seconds at most, and is
// refused on every route after; a request without its route's identity
// source invokes nothing.
func TestAuthorizerCacheEndToEnd(t *testing.T) {
	const ttl = 60 * time.Second
	client, table := ddbtest.NewTable(t)
	store := ddb.New(client, table)
	// Standing still, so however slowly the requests run, an answer
	// expires exactly when the test moves the clock past its TTL.
	clock := &testClock{base: time.Now()}
	stack, dynamo := startCountedStack(t, table, map[string]string{"AuthorizerCacheSeconds": "60"}, clock)
	for name, a := range stack.API.Authorizers {
		if a.ResultTTL != ttl {
			t.Fatalf("authorizer %s keeps answers %v, want the parameter's %v", name, a.ResultTTL, ttl)
		}
	}
	srv := httptest.NewServer(stack.Gateway)
	t.Cleanup(srv.Close)
	c := newHTTPClient(t, srv)
	a := party{tenant: newTenant(t, store, "tenant-a", demo.Alias, demo.SiteAccount), site: demo.SiteAccount}
	b := party{tenant: newTenant(t, store, "tenant-b", otherAlias, otherSite), site: otherSite}

	var functions []string
	for id := range stack.API.Functions {
		functions = append(functions, id)
	}
	sort.Strings(functions)
	type costs struct{ invocations, authorizer, credentialReads int64 }
	measure := func() costs {
		var n costs
		for _, id := range functions {
			n.invocations += stack.Gateway.Invocations(id)
		}
		n.authorizer = stack.Gateway.Invocations("AuthorizerFunction")
		n.credentialReads = dynamo.count("AuthorizerFunction")
		return n
	}
	// send makes one request and checks what it cost: the invocations of
	// every function, the authorizer's among them, and whether the
	// authorizer read DynamoDB.
	send := func(what, method, path string, headers map[string]string, body string, status int, want costs) reply {
		t.Helper()
		before := measure()
		got := c.do(method, path, headers, body)
		after := measure()
		spent := costs{after.invocations - before.invocations, after.authorizer - before.authorizer, after.credentialReads - before.credentialReads}
		if got.status != status {
			t.Errorf("%s: %d %s, want %d", what, got.status, got.body, status)
		}
		if spent.invocations != want.invocations || spent.authorizer != want.authorizer || (spent.credentialReads > 0) != (want.credentialReads > 0) {
			t.Errorf("%s cost %d invocations (%d of the authorizer) and %d credential reads, want %d (%d) and %s",
				what, spent.invocations, spent.authorizer, spent.credentialReads, want.invocations, want.authorizer,
				map[bool]string{true: "some", false: "none"}[want.credentialReads > 0])
		}
		return got
	}
	cold := costs{invocations: 2, authorizer: 1, credentialReads: 1}
	warm := costs{invocations: 1}
	refusedAtTheGateway := costs{}
	gatewayRefusal := func(what string, r reply) {
		t.Helper()
		if string(r.body) != `{"message":"Unauthorized"}` {
			t.Errorf("%s: %s, want API Gateway's own 401", what, r.body)
		}
	}
	ka, kb := a.headers(dialectKukkingu), b.headers(dialectKukkingu)

	send("a's first request", "GET", "/api/v1/contracts", ka, "", 200, cold)
	created := send("a's create, warm", "POST", "/api/v1/contracts", ka, httpapitest.Seed(t, "kukkingu"), 201, warm)
	path := "/api/v1/contracts/" + field(t, created.json(t), "data", "id")
	send("a's get, warm", "GET", path, ka, "", 200, warm)
	send("a on fabric's routes, warm", "GET", "/v1/organizations/org-1/contracts", a.headers(dialectFabric), "", 200, warm)
	send("a on EasyBilling's routes, warm", "GET", "/api/contracts?accountNumber=ACC-0000000001", a.headers(dialectEasyBilling), "", 200, warm)

	// b's token is another key: asked about, and answered as b.
	send("b's first request, for a's contract", "GET", path, kb, "", 404, cold)
	for range 3 {
		send("a, between b's", "GET", path, ka, "", 200, warm)
		send("b, between a's", "GET", path, kb, "", 404, warm)
	}

	// Aira's routes have an authorizer of their own, keyed by X-API-KEY.
	aira := "/v1/contracts/7b1e0c52-8d7f-4b8e-9a51-2f1d6c0e4a10"
	send("a's first request on Aira's routes", "GET", aira, a.headers(dialectAira), "", 404, cold)
	send("a on Aira's routes, warm", "GET", aira, a.headers(dialectAira), "", 404, warm)
	gatewayRefusal("Aira's route without X-API-KEY",
		send("Aira's route without X-API-KEY", "GET", aira, ka, "", 401, refusedAtTheGateway))
	gatewayRefusal("Kukkingu's route without Authorization",
		send("Kukkingu's route without Authorization", "GET", path, map[string]string{"tenant-id": demo.Alias}, "", 401, refusedAtTheGateway))

	// Revoked: a's token works until the answers kept for it expire,
	// and nowhere after.
	if err := store.RevokeCredential(context.Background(), a.credentialID, time.Now()); err != nil {
		t.Fatal(err)
	}
	clock.advance(ttl - time.Second)
	send("a revoked, within the TTL", "GET", path, ka, "", 200, warm)
	send("a revoked, within the TTL, on Aira's routes", "GET", aira, a.headers(dialectAira), "", 404, warm)
	clock.advance(time.Second)
	gatewayRefusal("a revoked, the TTL over",
		send("a revoked, the TTL over", "GET", path, ka, "", 401, costs{invocations: 1, authorizer: 1, credentialReads: 1}))
	gatewayRefusal("a revoked, the TTL over, on Aira's routes",
		send("a revoked, the TTL over, on Aira's routes", "GET", aira, a.headers(dialectAira), "", 401, costs{invocations: 1, authorizer: 1, credentialReads: 1}))
	// b's answer expired as well: b is asked about again, and still b.
	send("b after the TTL", "GET", path, kb, "", 404, cold)
	if got := c.do("GET", "/api/v1/contracts", kb, ""); strings.Contains(string(got.body), strings.TrimPrefix(path, "/api/v1/contracts/")) {
		t.Errorf("b's list shows a's contract: %s", got.body)
	}
}
