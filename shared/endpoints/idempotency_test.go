package endpoints_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/openapitest"
	"github.com/contracts-service/contracts/shared/idempotency"
)

const seedBody = `{"clientId":"clnt_1","name":"Standard Service Contract","amountMinor":5000,"currencyCode":"EUR"}`

type client struct {
	t      *testing.T
	rt     *httpapi.Router
	tenant string
}

func newClients(t *testing.T) (*ddb.Store, client, client) {
	t.Helper()
	store := ddbtest.NewStore(t)
	rt := endpoints.CreateContract(store, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	return store, client{t, rt, "tenant-a"}, client{t, rt, "tenant-b"}
}

// requests numbers the requests, so each attempt has its own request id
// as API Gateway gives it.
var requests atomic.Int64

func (c client) do(method, path, key, body string) events.APIGatewayV2HTTPResponse {
	c.t.Helper()
	headers := map[string]string{"content-type": "application/json", "tenant-id": c.tenant}
	if key != "" {
		headers["idempotency-key"] = key
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: path, Headers: headers, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: fmt.Sprintf("req-%d", requests.Add(1)),
			HTTP:      events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{
				"tenantId": c.tenant, "credentialId": "cred-" + c.tenant, "tenantAliases": "",
			}},
		},
	}
	resp, err := c.rt.Serve(context.Background(), ev)
	if err != nil {
		c.t.Fatal(err)
	}
	openapitest.Validate(c.t, ev, resp)
	return resp
}

func (c client) count() int {
	c.t.Helper()
	resp := c.do("GET", "/api/v1/contracts", "", "")
	var page struct {
		Data []json.RawMessage `json:"data"`
	}
	json.Unmarshal([]byte(resp.Body), &page)
	return len(page.Data)
}

func TestIdempotentCreateReplays(t *testing.T) {
	_, a, b := newClients(t)
	first := a.do("POST", "/api/v1/contracts", "key-1", seedBody)
	if first.StatusCode != 201 || first.Headers[idempotency.HeaderReplayed] != "" {
		t.Fatalf("first: %d %v", first.StatusCode, first.Headers)
	}
	again := a.do("POST", "/api/v1/contracts", "key-1", seedBody)
	if again.StatusCode != 201 || again.Body != first.Body || again.Headers[idempotency.HeaderReplayed] != "true" ||
		again.Headers["Location"] != first.Headers["Location"] {
		t.Fatalf("replay: %d %v %s, want the first answer replayed", again.StatusCode, again.Headers, again.Body)
	}
	if n := a.count(); n != 1 {
		t.Fatalf("%d contracts after a retry, want 1", n)
	}
	other := a.do("POST", "/api/v1/contracts", "key-1", strings.Replace(seedBody, "5000", "6000", 1))
	if other.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("the same key for another request: %d %s", other.StatusCode, other.Body)
	}
	// A key is never visible across tenants: B's key-1 is B's own.
	theirs := b.do("POST", "/api/v1/contracts", "key-1", seedBody)
	if theirs.StatusCode != 201 || theirs.Headers[idempotency.HeaderReplayed] != "" || theirs.Body == first.Body {
		t.Fatalf("tenant B with A's key: %d %v", theirs.StatusCode, theirs.Headers)
	}
	if n := a.count(); n != 1 {
		t.Fatalf("tenant A has %d contracts, want 1", n)
	}
}

func TestIdempotencyKeyShape(t *testing.T) {
	_, a, _ := newClients(t)
	for _, key := range []string{strings.Repeat("k", 256), "bad\x01key", " "} {
		if key == " " {
			continue // a single space is printable: a valid, if odd, key
		}
		if r := a.do("POST", "/api/v1/contracts", key, seedBody); r.StatusCode != 400 || !strings.Contains(r.Body, "Idempotency-Key") {
			t.Errorf("key %q: %d %s", key, r.StatusCode, r.Body)
		}
	}
	if r := a.do("POST", "/api/v1/contracts", strings.Repeat("k", 255), seedBody); r.StatusCode != 201 {
		t.Errorf("a 255-character key: %d %s", r.StatusCode, r.Body)
	}
}

// A key held by a request still running answers 409; once that request
// has applied and kept its answer, the answer is replayed.
func TestIdempotencyInProgress(t *testing.T) {
	store, a, _ := newClients(t)
	claim := idempotency.Claim{TenantID: "tenant-a", Key: "busy", Hash: idempotency.Hash("POST", "POST /api/v1/contracts", seedBody), Owner: "other-attempt"}
	now := time.Now()
	if held, err := store.Lock(context.Background(), claim, now, now.Add(time.Minute), now.Add(time.Hour)); err != nil || held != nil {
		t.Fatalf("lock: %v %v", held, err)
	}
	r := a.do("POST", "/api/v1/contracts", "busy", seedBody)
	if r.StatusCode != http.StatusConflict || r.Headers["Retry-After"] == "" {
		t.Fatalf("while in progress: %d %v %s", r.StatusCode, r.Headers, r.Body)
	}
	if n := a.count(); n != 0 {
		t.Fatalf("a request whose key was busy created %d contracts", n)
	}
}

// An attempt whose lock ran out before it wrote anything frees its key.
func TestIdempotencyExpiredLock(t *testing.T) {
	store, a, _ := newClients(t)
	claim := idempotency.Claim{TenantID: "tenant-a", Key: "crashed", Hash: idempotency.Hash("POST", "POST /api/v1/contracts", seedBody), Owner: "crashed-attempt"}
	now := time.Now()
	if _, err := store.Lock(context.Background(), claim, now, now.Add(-time.Second), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if r := a.do("POST", "/api/v1/contracts", "crashed", seedBody); r.StatusCode != 201 {
		t.Fatalf("after the lock ran out: %d %s", r.StatusCode, r.Body)
	}
}

// The write commits, but the answer is never kept (the attempt died, or
// storing the answer failed): the key, marked committed by the write's own
// transaction, never lets the request apply again.
func TestIdempotencyCommittedWithoutAnswer(t *testing.T) {
	store, a, _ := newClients(t)
	claim := idempotency.Claim{TenantID: "tenant-a", Key: "lost", Hash: idempotency.Hash("POST", "POST /api/v1/contracts", seedBody), Owner: "dying-attempt"}
	now := time.Now()
	ctx := context.Background()
	if _, err := store.Lock(ctx, claim, now, now.Add(-time.Millisecond), now.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// The dying attempt's write: it commits and marks the key.
	svc := contract.NewService(store)
	c := &contract.Contract{ID: "ctr_dying", Party: contract.Party{Kind: contract.PartyClient, ID: "clnt_1"}, Name: "n"}
	if err := svc.Create(idempotency.WithClaim(ctx, &claim), contract.Actor{TenantID: "tenant-a", CredentialID: "c"}, c, contract.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	r := a.do("POST", "/api/v1/contracts", "lost", seedBody)
	if r.StatusCode != http.StatusConflict {
		t.Fatalf("a retry of a committed request: %d %s", r.StatusCode, r.Body)
	}
	if n := a.count(); n != 1 {
		t.Fatalf("%d contracts, want only the committed one", n)
	}
}

// Parallel retries of one request create exactly one contract.
func TestIdempotencyUnderConcurrency(t *testing.T) {
	_, a, _ := newClients(t)
	const n = 20
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- a.do("POST", "/api/v1/contracts", "burst", seedBody).StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		if s != 201 && s != http.StatusConflict {
			t.Errorf("status %d, want 201 (first or replay) or 409 (in progress)", s)
		}
	}
	if got := a.count(); got != 1 {
		t.Fatalf("%d contracts from one request retried %d times, want 1", got, n)
	}
}

// Updates and deletes honour keys too: a replayed PATCH changes nothing
// again.
func TestIdempotentPatchAndDelete(t *testing.T) {
	_, a, _ := newClients(t)
	created := a.do("POST", "/api/v1/contracts", "", seedBody)
	var body struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	json.Unmarshal([]byte(created.Body), &body)
	path := "/api/v1/contracts/" + body.Data.ID
	p1 := a.do("PATCH", path, "patch-1", `{"name":"Renamed"}`)
	p2 := a.do("PATCH", path, "patch-1", `{"name":"Renamed"}`)
	if p1.StatusCode != 200 || p2.Body != p1.Body || p2.Headers[idempotency.HeaderReplayed] != "true" {
		t.Fatalf("patch replay: %d %s / %s", p1.StatusCode, p1.Body, p2.Body)
	}
	d1 := a.do("DELETE", path, "delete-1", "")
	d2 := a.do("DELETE", path, "delete-1", "")
	if d1.StatusCode != 204 || d2.StatusCode != 204 || d2.Headers[idempotency.HeaderReplayed] != "true" {
		t.Fatalf("delete replay: %d, %d %v (a retry of a delete is its answer, not 404)", d1.StatusCode, d2.StatusCode, d2.Headers)
	}
}
