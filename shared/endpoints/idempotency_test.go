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

	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
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

// siteAccount is the tenants' alias fabric's x-site-context names.
const siteAccount = "1234567890abcdef12345678"

func (c client) do(method, target, key, body string) events.APIGatewayV2HTTPResponse {
	c.t.Helper()
	resp, err := httpapitest.Exchange(c.t, c.rt, httpapitest.Request{Method: method, Target: target, Body: body,
		Headers: map[string]string{"tenant-id": c.tenant, "x-site-context": `{"account":"` + siteAccount + `"}`, "idempotency-key": key},
		Caller:  httpapitest.Caller{TenantID: c.tenant, CredentialID: "cred-" + c.tenant, Aliases: siteAccount},
		// Each attempt has its own request id, as API Gateway gives it.
		RequestID: fmt.Sprintf("req-%d", requests.Add(1))})
	if err != nil {
		c.t.Fatal(err)
	}
	return resp
}

// createdPath is where the contract a Kukkingu create answered reads.
func createdPath(created events.APIGatewayV2HTTPResponse) string {
	var body struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	json.Unmarshal([]byte(created.Body), &body)
	return "/api/v1/contracts/" + body.Data.ID
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

// An expired record no longer holds its key, even before the table's
// TTL deletes it.
func TestIdempotencyExpiredRecord(t *testing.T) {
	store, a, _ := newClients(t)
	old := &idempotency.Claim{TenantID: "tenant-a", Key: "old", Hash: idempotency.Hash("POST", "/api/v1/contracts", seedBody),
		At: time.Now().Add(-idempotency.Retention - time.Minute)}
	if held, err := store.Keep(context.Background(), old, idempotency.Response{Status: 201, Body: "{}"}); err != nil || held != nil {
		t.Fatalf("keep: %v %v", held, err)
	}
	r := a.do("POST", "/api/v1/contracts", "old", seedBody)
	if r.StatusCode != 201 || r.Headers[idempotency.HeaderReplayed] != "" || r.Body == "{}" {
		t.Fatalf("after the record expired: %d %v %s", r.StatusCode, r.Headers, r.Body)
	}
	if n := a.count(); n != 1 {
		t.Fatalf("%d contracts, want 1", n)
	}
}

// Parallel attempts of one request race on one conditional transaction:
// exactly one contract is created, and every attempt answers with it.
func TestIdempotencyUnderConcurrency(t *testing.T) {
	_, a, _ := newClients(t)
	const n = 20
	answers := make(chan events.APIGatewayV2HTTPResponse, n)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			answers <- a.do("POST", "/api/v1/contracts", "burst", seedBody)
		})
	}
	wg.Wait()
	close(answers)
	var bodies []string
	fresh := 0
	for r := range answers {
		if r.StatusCode != 201 {
			t.Errorf("status %d %s, want 201 (the first answer or its replay)", r.StatusCode, r.Body)
		}
		if r.Headers[idempotency.HeaderReplayed] == "" {
			fresh++
		}
		bodies = append(bodies, r.Body)
	}
	if fresh != 1 {
		t.Errorf("%d attempts answered as the first, want 1", fresh)
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Fatalf("attempts of one request answered differently:\n%s\n%s", bodies[0], b)
		}
	}
	if got := a.count(); got != 1 {
		t.Fatalf("%d contracts from one request sent %d times at once, want 1", got, n)
	}
}

// A refusal is an answer too: a retry of a refused request gets it again
// without running, and the key stays bound to that request.
// A refusal for what the tenant's data holds is kept under its key and
// replayed, as any answer is; a refusal of the request as sent (its body's
// shape, a header the key does not cover) keeps nothing, so the request
// mended and sent again under the same key is applied, once.
func TestIdempotentRefusals(t *testing.T) {
	_, a, _ := newClients(t)
	missing := a.do("PATCH", "/api/v1/contracts/ctr_000000000000000000000000", "gone", `{"name":"x"}`)
	again := a.do("PATCH", "/api/v1/contracts/ctr_000000000000000000000000", "gone", `{"name":"x"}`)
	if missing.StatusCode != 404 || again.StatusCode != 404 || again.Body != missing.Body || again.Headers[idempotency.HeaderReplayed] != "true" {
		t.Fatalf("a 404 and its retry: %d %s / %d %v %s", missing.StatusCode, missing.Body, again.StatusCode, again.Headers, again.Body)
	}

	bad := `{"clientId":"clnt_1","name":"","amountMinor":5000,"currencyCode":"EUR"}`
	first := a.do("POST", "/api/v1/contracts", "mended", bad)
	if first.StatusCode != 400 {
		t.Fatalf("a body without a name: %d %s", first.StatusCode, first.Body)
	}
	// tenant-id names a tenant the caller's credential is not.
	wrongTenant, err := httpapitest.Exchange(t, a.rt, httpapitest.Request{Method: "POST", Target: "/api/v1/contracts", Body: seedBody,
		Headers: map[string]string{"tenant-id": "tenant-b", "idempotency-key": "mended"},
		Caller:  httpapitest.Caller{TenantID: a.tenant, CredentialID: "cred-" + a.tenant}})
	if err != nil || wrongTenant.StatusCode != 403 {
		t.Fatalf("a tenant-id of another tenant: %d %s %v", wrongTenant.StatusCode, wrongTenant.Body, err)
	}
	mended := a.do("POST", "/api/v1/contracts", "mended", seedBody)
	retry := a.do("POST", "/api/v1/contracts", "mended", seedBody)
	if mended.StatusCode != 201 || mended.Headers[idempotency.HeaderReplayed] != "" || retry.Body != mended.Body || retry.Headers[idempotency.HeaderReplayed] != "true" {
		t.Fatalf("the mended request and its retry: %d %v %s / %d %v", mended.StatusCode, mended.Headers, mended.Body, retry.StatusCode, retry.Headers)
	}
	if n := a.count(); n != 1 {
		t.Fatalf("%d contracts, want 1", n)
	}
}

// faultyClient is a client whose router's store calls DynamoDB through
// injectable faults.
func faultyClient(t *testing.T) (client, *ddbtest.Faults) {
	t.Helper()
	store, _, faults := ddbtest.NewFaultyStore(t)
	rt := endpoints.CreateContract(store, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	return client{t, rt, "tenant-a"}, faults
}

// The create's transaction commits, but every answer DynamoDB sends back
// is lost, retries included: the client gets a 503. Its retry with the
// same key finds the key's record, written by that transaction, and gets
// the create's answer: one contract, one number, one answer.
func TestIdempotencyLostAnswer(t *testing.T) {
	a, faults := faultyClient(t)
	faults.Inject("TransactWriteItems", ddbtest.RetryAttempts, ddbtest.LostResponse)
	lost := a.do("POST", "/api/v1/contracts", "lost", seedBody)
	if lost.StatusCode != http.StatusServiceUnavailable || lost.Headers["Retry-After"] == "" {
		t.Fatalf("with every answer lost: %d %v %s", lost.StatusCode, lost.Headers, lost.Body)
	}
	retry := a.do("POST", "/api/v1/contracts", "lost", seedBody)
	if retry.StatusCode != 201 || retry.Headers[idempotency.HeaderReplayed] != "true" {
		t.Fatalf("the retry: %d %v %s", retry.StatusCode, retry.Headers, retry.Body)
	}
	var created struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	json.Unmarshal([]byte(retry.Body), &created)
	got := a.do("GET", "/api/v1/contracts/"+created.Data.ID, "", "")
	if got.StatusCode != 200 || !strings.Contains(retry.Body, strings.TrimSuffix(strings.TrimPrefix(got.Body, `{"data":`), "}")) {
		t.Fatalf("the replayed contract reads back as %d %s\nreplayed: %s", got.StatusCode, got.Body, retry.Body)
	}
	if n := a.count(); n != 1 {
		t.Fatalf("%d contracts, want 1", n)
	}
}

// A key costs one read of its record before the write: a keyed create is
// that read, the counter and one transaction; a retry of it is the read
// alone, so a replay draws no number; a keyed update is the read, the
// read by id (a query of the id index) and one transaction; a refusal is
// the read, what the handler read (the index, then the id item, to be
// sure) and one conditional put that keeps it.
func TestIdempotencyRoundTrips(t *testing.T) {
	a, faults := faultyClient(t)
	calls := func() map[string]int {
		out := map[string]int{}
		for _, op := range []string{"GetItem", "PutItem", "UpdateItem", "TransactWriteItems", "Query"} {
			if n := faults.Calls(op); n > 0 {
				out[op] = n
			}
		}
		faults.Reset()
		return out
	}
	created := a.do("POST", "/api/v1/contracts", "trips-1", seedBody)
	if got := calls(); fmt.Sprint(got) != fmt.Sprint(map[string]int{"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}) {
		t.Errorf("a keyed create called %v", got)
	}
	a.do("POST", "/api/v1/contracts", "trips-1", seedBody)
	if got := calls(); fmt.Sprint(got) != fmt.Sprint(map[string]int{"GetItem": 1}) {
		t.Errorf("a keyed create's retry called %v", got)
	}
	a.do("PATCH", createdPath(created), "trips-2", `{"name":"Renamed"}`)
	if got := calls(); fmt.Sprint(got) != fmt.Sprint(map[string]int{"GetItem": 1, "Query": 1, "TransactWriteItems": 1}) {
		t.Errorf("a keyed update called %v", got)
	}
	a.do("PATCH", "/api/v1/contracts/ctr_missing", "trips-3", `{"name":"Renamed"}`)
	if got := calls(); fmt.Sprint(got) != fmt.Sprint(map[string]int{"GetItem": 2, "PutItem": 1, "Query": 1}) {
		t.Errorf("a keyed refusal called %v", got)
	}
}

// Replays draw no contract number: five retries of a keyed create leave
// the next create the very next number.
func TestIdempotentReplayDrawsNoNumber(t *testing.T) {
	store, a, _ := newClients(t)
	a.do("POST", "/api/v1/contracts", "numbered", seedBody)
	for range 5 {
		if r := a.do("POST", "/api/v1/contracts", "numbered", seedBody); r.Headers[idempotency.HeaderReplayed] != "true" {
			t.Fatalf("retry: %d %v", r.StatusCode, r.Headers)
		}
	}
	n, err := store.NextContractNumber(context.Background(), "tenant-a")
	if err != nil || n != 2 {
		t.Fatalf("the number after one create and five replays: %d %v, want 2", n, err)
	}
}

// A 409 that asks for a retry (the update lost every race with other
// writers) is not the request's final answer: the retry with the same key
// runs again and applies.
func TestIdempotencyTransientConflictIsNotKept(t *testing.T) {
	a, faults := faultyClient(t)
	created := a.do("POST", "/api/v1/contracts", "", seedBody)
	path := createdPath(created)
	// Every attempt of the update finds its version taken by another
	// writer: the contract's condition fails, the key's holds.
	faults.Inject("TransactWriteItems", 100, ddbtest.Canceled("ConditionalCheckFailed", "None"))
	lost := a.do("PATCH", path, "raced", `{"name":"Renamed"}`)
	if lost.StatusCode != http.StatusConflict {
		t.Fatalf("an update that lost every race: %d %s", lost.StatusCode, lost.Body)
	}
	faults.Inject("TransactWriteItems", 0, nil)
	retry := a.do("PATCH", path, "raced", `{"name":"Renamed"}`)
	if retry.StatusCode != 200 || retry.Headers[idempotency.HeaderReplayed] != "" || !strings.Contains(retry.Body, "Renamed") {
		t.Fatalf("the retry the 409 asked for: %d %v %s", retry.StatusCode, retry.Headers, retry.Body)
	}
}

// A key is bound to the resource it was sent to: the same key and body
// sent to another resource is a 422 and leaves that resource as it was,
// never a replay of the first resource's answer.
func TestIdempotencyKeyIsBoundToTheResource(t *testing.T) {
	store, a, _ := newClients(t)
	fabricRouter := endpoints.OrganizationContracts(store, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	fab := client{t, fabricRouter, "tenant-a"}
	id := func(r events.APIGatewayV2HTTPResponse) string {
		var body struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		json.Unmarshal([]byte(r.Body), &body)
		return body.Data.ID
	}
	x, y := id(a.do("POST", "/api/v1/contracts", "", seedBody)), id(a.do("POST", "/api/v1/contracts", "", seedBody))
	reused := func(r events.APIGatewayV2HTTPResponse) bool {
		return r.StatusCode == http.StatusUnprocessableEntity && r.Headers[idempotency.HeaderReplayed] == "" &&
			strings.Contains(r.Body, idempotency.HeaderKey)
	}
	if r := a.do("PATCH", "/api/v1/contracts/"+x, "patch", `{"name":"Renamed"}`); r.StatusCode != 200 {
		t.Fatalf("patch X: %d %s", r.StatusCode, r.Body)
	}
	if r := a.do("PATCH", "/api/v1/contracts/"+y, "patch", `{"name":"Renamed"}`); !reused(r) {
		t.Errorf("the patch's key on another contract: %d %v %s", r.StatusCode, r.Headers, r.Body)
	}
	if r := a.do("GET", "/api/v1/contracts/"+y, "", ""); !strings.Contains(r.Body, "Standard Service Contract") {
		t.Errorf("Y after the refused patch: %s", r.Body)
	}
	if r := a.do("DELETE", "/api/v1/contracts/"+x, "delete", ""); r.StatusCode != 204 {
		t.Fatalf("delete X: %d %s", r.StatusCode, r.Body)
	}
	if r := a.do("DELETE", "/api/v1/contracts/"+y, "delete", ""); !reused(r) {
		t.Errorf("the delete's key on another contract: %d %v %s", r.StatusCode, r.Headers, r.Body)
	}
	if r := a.do("GET", "/api/v1/contracts/"+y, "", ""); r.StatusCode != 200 {
		t.Errorf("Y after the refused delete: %d %s", r.StatusCode, r.Body)
	}
	create := `{"contractId":"C-1","startDate":"2024-01-01T00:00:00.000Z","endDate":"2024-12-31T00:00:00.000Z"}`
	if r := fab.do("POST", "/v1/organizations/org-1/contracts", "fabric", create); r.StatusCode != 200 {
		t.Fatalf("fabric create in org-1: %d %s", r.StatusCode, r.Body)
	}
	if r := fab.do("POST", "/v1/organizations/org-2/contracts", "fabric", create); !reused(r) {
		t.Errorf("the create's key in another organization: %d %v %s", r.StatusCode, r.Headers, r.Body)
	}
	if r := fab.do("GET", "/v1/organizations/org-2/contracts", "", ""); !strings.Contains(r.Body, `"count":0`) {
		t.Errorf("org-2 after the refused create: %s", r.Body)
	}
}

// Every write route of every function, walked: a key used on one
// resource (whatever answer it kept: applied, or refused for what the
// tenant holds) and reused on another of the same route, or with another
// query, is a 422. Each route's first use is a body its API reads, so
// that its answer is kept (a refusal of the body's shape keeps nothing:
// TestIdempotentRefusals).
func TestIdempotencyKeyReusedOnEveryWriteRoute(t *testing.T) {
	const easyBilling = `{"accountNumber":"ACC-1","actions":[{"type":"create-contract-with-plan","createContractWithPlan":[{"planId":"no-such-plan","effectiveDate":"2026-01-01","expirationDate":"2027-01-01","currency":["USD"]}]}]}`
	const airaContract = `{"startDate":"2024-01-01","planIds":["no-such-plan"]}`
	bodies := map[string]string{ // by path, aliases' prefixes left out
		"/api/v1/contracts":  seedBody,
		"/v1/contracts":      `{"customerId":"0f8fad5b-d9cb-469f-a165-70867728950e","paymentAccountId":"7c9e6679-7425-40de-944b-e07fc1f90ae7","contract":` + airaContract + `}`,
		"/v1/contracts/":     `{"customerId":"0f8fad5b-d9cb-469f-a165-70867728950e","paymentAccountId":"7c9e6679-7425-40de-944b-e07fc1f90ae7","contract":` + airaContract + `}`,
		"/v1/contracts/{id}": `{"contract":` + airaContract + `}`,
		"/v1/customers":      `{"externalId":"reuse","name":"Reuse"}`,
		"/v1/customers/":     `{"externalId":"reuse-slash","name":"Reuse"}`,
		"/v1/organizations/{organizationId}/contracts": `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z"}`,
		"/api/contract-actions":                        easyBilling,
	}
	for name, rt := range httpRouters(ddbtest.NewStore(t)) {
		c := client{t, rt, "tenant-a"}
		for _, route := range rt.RouteKeys() {
			method, template, _ := strings.Cut(route, " ")
			if method == "GET" {
				continue
			}
			t.Run(name+" "+route, func(t *testing.T) {
				c.t = t
				one, other := template, template+"?variant=2"
				if strings.Contains(template, "{") {
					one, other = fillParams(template, "one"), fillParams(template, "other")
				}
				key := "reuse " + route
				path := template
				for _, alias := range []string{"/billing", "/payment-hub", "/data-customer"} {
					path = strings.TrimPrefix(path, alias)
				}
				body, ok := bodies[path]
				if !ok {
					body = `{}`
				}
				first := c.do(method, one, key, body)
				if first.StatusCode >= 500 || first.StatusCode == http.StatusBadRequest {
					t.Fatalf("first use: %d %s (a 400 keeps nothing: give the route a body its API reads)", first.StatusCode, first.Body)
				}
				again := c.do(method, one, key, body)
				second := c.do(method, other, key, body)
				if again.Headers[idempotency.HeaderReplayed] != "true" || again.Body != first.Body {
					t.Fatalf("a retry of the first use: %d %v %s", again.StatusCode, again.Headers, again.Body)
				}
				if second.StatusCode != http.StatusUnprocessableEntity || second.Headers[idempotency.HeaderReplayed] != "" {
					t.Errorf("the key reused on %s: %d %v %s", other, second.StatusCode, second.Headers, second.Body)
				}
			})
		}
	}
}

// httpRouters are the routers of the functions API Gateway calls, by
// function, over store.
func httpRouters(store *ddb.Store) map[string]*httpapi.Router {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	return map[string]*httpapi.Router{
		"CreateContract":        endpoints.CreateContract(store, log),
		"ContractActions":       endpoints.ContractActions(store, log),
		"OrganizationContracts": endpoints.OrganizationContracts(store, log),
	}
}

// fillParams replaces every {param} of a route template with value.
func fillParams(template, value string) string {
	parts := strings.Split(template, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, "{") {
			parts[i] = value + "-" + strings.Trim(p, "{}")
		}
	}
	return strings.Join(parts, "/")
}

// Updates and deletes honour keys too: a replayed PATCH changes nothing
// again.
func TestIdempotentPatchAndDelete(t *testing.T) {
	_, a, _ := newClients(t)
	created := a.do("POST", "/api/v1/contracts", "", seedBody)
	path := createdPath(created)
	p1 := a.do("PATCH", path, "patch-1", `{"name":"Renamed"}`)
	p2 := a.do("PATCH", path, "patch-1", `{"name":"Renamed"}`)
	if p1.StatusCode != 200 || p2.Body != p1.Body || p2.Headers[idempotency.HeaderReplayed] != "true" {
		t.Fatalf("patch replay: %d %s / %s", p1.StatusCode, p1.Body, p2.Body)
	}
	// A patch that changes nothing writes nothing, and its answer is
	// kept under its key all the same.
	n1 := a.do("PATCH", path, "patch-nothing", `{"name":"Renamed"}`)
	n2 := a.do("PATCH", path, "patch-nothing", `{"name":"Renamed"}`)
	if n1.StatusCode != 200 || n1.Body != p1.Body || n2.Body != n1.Body || n2.Headers[idempotency.HeaderReplayed] != "true" {
		t.Fatalf("a patch that changes nothing, and its retry: %d %s / %v %s", n1.StatusCode, n1.Body, n2.Headers, n2.Body)
	}
	d1 := a.do("DELETE", path, "delete-1", "")
	d2 := a.do("DELETE", path, "delete-1", "")
	if d1.StatusCode != 204 || d2.StatusCode != 204 || d2.Headers[idempotency.HeaderReplayed] != "true" {
		t.Fatalf("delete replay: %d, %d %v (a retry of a delete is its answer, not 404)", d1.StatusCode, d2.StatusCode, d2.Headers)
	}
}
