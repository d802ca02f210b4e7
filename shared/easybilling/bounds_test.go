package easybilling_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/easybilling"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/dialecttest"
)

// renewals are n renew entries for the contract ref names, each a month
// long and contiguous: the first starts on from, the contract's
// expirationDate, and each on the expirationDate of the one before.
func renewals(ref obj, from string, n int) []obj {
	day, _ := time.Parse(time.DateOnly, from)
	out := make([]obj, n)
	for i := range out {
		until := day.AddDate(0, 1, 0)
		out[i] = with(ref, "effectiveDate", day.Format(time.DateOnly), "expirationDate", until.Format(time.DateOnly))
		day = until
	}
	return out
}

// maxEntries is the most entries an action holds.
const maxEntries = 25

// renewActions are renew actions holding entries, maxEntries an action.
func renewActions(entries []obj) []obj {
	var out []obj
	for len(entries) > 0 {
		n := min(maxEntries, len(entries))
		out = append(out, act1("renew", entries[:n]...))
		entries = entries[n:]
	}
	return out
}

// prepare applies a request, failing unless it is 200, and returns the
// answer. Its answer is not checked against
// the document, as every other is: the API tests check answers of every
// shape, and checking one that shows a contract of 200 segments costs
// about a second.
func (a *api) prepare(t testing.TB, body string) map[string]any {
	t.Helper()
	ev := sent(tenantA, "POST", prod+"/contract-actions", body).Event()
	resp, err := a.rt.Serve(context.Background(), ev)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%d %v: %.500s", resp.StatusCode, err, resp.Body)
	}
	return decode(t, resp.Body)
}

// lastDay is the expiration of a contract's last segment.
func lastDay(t testing.TB, c map[string]any) string {
	t.Helper()
	segs := segments(t, c)
	return segs[len(segs)-1]["expirationDate"].(string)
}

// A contract holds contract.MaxSegments segments and no more: a request
// that brings it exactly to the bound applies (with an Idempotency-Key
// too, whose retry gets the answer again), and a request that would pass
// it, at once or part way through, is refused naming the entry that
// would, writes nothing and draws no number.
func TestSegmentBound(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD") // CA-0000000001
	full := a.do(t, tenantA, "POST", prod+"/contract-actions",
		request(t, "ACC-1", renewActions(renewals(byNumber(c), end, contract.MaxSegments-1))...))
	answer := must(t, http.StatusOK, full) // CA-0000000002
	c = info(t, answer)
	if n := len(segments(t, c)); n != contract.MaxSegments {
		t.Fatalf("%d segments, want %d", n, contract.MaxSegments)
	}
	t.Logf("the answer showing a contract of %d segments takes %d bytes", contract.MaxSegments, len(full.Raw))

	for field, ref := range map[string]obj{"contractNumber": byNumber(c), "contractId": byID(c)} {
		refused(t, a.do(t, tenantA, "POST", prod+"/contract-actions", request(t, "ACC-1", renewActions(renewals(ref, lastDay(t, c), 1))...)),
			http.StatusUnprocessableEntity, "actions[0].renew[0]."+field)
	}
	d := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD") // CA-0000000003
	entries := renewals(byNumber(d), end, contract.MaxSegments)
	last := len(entries) - 1
	refused(t, a.do(t, tenantA, "POST", prod+"/contract-actions", request(t, "ACC-1", renewActions(entries)...)),
		http.StatusUnprocessableEntity, fmt.Sprintf("actions[%d].renew[%d].contractNumber", last/maxEntries, last%maxEntries))
	if got := a.contract(t, tenantA, prod, d["contractNumber"].(string)); !reflect.DeepEqual(got, d) {
		t.Fatalf("a refused request changed the contract:\n%v\nwas\n%v", got, d)
	}
	if got := a.contract(t, tenantA, prod, c["contractNumber"].(string)); !reflect.DeepEqual(got, c) {
		t.Fatal("a refused request changed the full contract")
	}

	// Keyed, the request that fills a contract applies and its retry gets
	// the same answer: the kept answer fits beside the write.
	e := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD") // CA-0000000004
	body := request(t, "ACC-1", renewActions(renewals(byNumber(e), end, contract.MaxSegments-1))...)
	first := a.do(t, tenantA, "POST", prod+"/contract-actions", body, "idempotency-key", "fill-e")
	must(t, http.StatusOK, first) // CA-0000000005
	again := a.do(t, tenantA, "POST", prod+"/contract-actions", body, "idempotency-key", "fill-e")
	if again.Status != http.StatusOK || again.Raw != first.Raw || again.Headers["Idempotent-Replayed"] != "true" {
		t.Fatalf("the retry got %d (replayed %q), not the first answer", again.Status, again.Headers["Idempotent-Replayed"])
	}

	// The refusals drew no number.
	got := a.act(t, tenantA, prod, request(t, "ACC-1", act1("cancel", with(byNumber(d), "effectiveDate", "2090-06-30"))))
	if got["contractActionNumber"] != "CA-0000000006" {
		t.Fatalf("the next request is %v, want CA-0000000006", got["contractActionNumber"])
	}
}

// TestLargeContracts works with many contracts as large as they may
// grow: contract.MaxSegments segments each, every field at its longest (a
// plan id of 128 characters, ten currencies, a price of 32). Each takes
// about 105 KB stored and about 155 KB of a list's answer: 48 of them pass
// both what one DynamoDB transaction may write (4 MB) and what one Lambda
// response may hold (6 MB).
//
// A list page shows as many as fit in one response, and its cursor goes
// on after the last one shown, so reading on gives every contract once. A
// request that changes them all is refused as too large, naming its
// actions, with nothing written and no number drawn; the same changes
// split into smaller requests apply.
func TestLargeContracts(t *testing.T) {
	a := newAPI(t)
	long := contract.Plan{ID: strings.Repeat("p", 128), Name: "Long", Currencies: strings.Fields("USD EUR CNY BRL JPY GBP CHF CAD AUD SEK")}
	if err := a.store.PutPlans(context.Background(), tenantA.id, []contract.Plan{long}); err != nil {
		t.Fatal(err)
	}
	// A request holds the renewals of three (625 entries at most).
	const contracts = 48
	var full []map[string]any
	for len(full) < contracts {
		var entries []obj
		for range 3 {
			c := info(t, a.prepare(t, request(t, "ACC-1", act1("create-contract-with-plan",
				with(term(long.ID, start, end, long.Currencies...), "contractPrice", json.Number("1234567890123456.123456789012345"))))))
			full = append(full, c)
			entries = append(entries, renewals(byNumber(c), end, contract.MaxSegments-1)...)
		}
		a.prepare(t, request(t, "ACC-1", renewActions(entries)...))
	}

	t.Run("pages fit one response and go on", func(t *testing.T) {
		var listed []string
		cursor, pages := "", 0
		for ; pages == 0 || cursor != ""; pages++ {
			q := url.Values{"accountNumber": {"ACC-1"}, "pageSize": {"100"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			ev := sent(tenantA, "GET", prod+"/contracts?"+q.Encode(), "").Event()
			resp, err := a.rt.Serve(context.Background(), ev)
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("page %d: %d %v", pages, resp.StatusCode, err)
			}
			if size := httpapi.PayloadSize(resp); size > httpapi.MaxPayloadBytes {
				t.Fatalf("page %d answers %d bytes, over Lambda's %d", pages, size, httpapi.MaxPayloadBytes)
			}
			t.Logf("page %d: %d bytes of payload", pages, httpapi.PayloadSize(resp))
			page := decode(t, resp.Body)
			items := objects(t, page["items"])
			for _, c := range items {
				listed = append(listed, c["contractNumber"].(string))
			}
			hasMore, _ := page["hasMore"].(bool)
			cursor, _ = page["cursor"].(string)
			if hasMore != (cursor != "") || len(items) == 0 || page["pageSize"] != float64(100) {
				t.Fatalf("page %d: %d items, hasMore %v, cursor %q, pageSize %v", pages, len(items), hasMore, cursor, page["pageSize"])
			}
		}
		var want []string
		for _, c := range full {
			want = append(want, c["contractNumber"].(string))
		}
		if pages < 2 || !reflect.DeepEqual(listed, want) {
			t.Fatalf("%d pages listed %v, want %v", pages, listed, want)
		}
	})

	t.Run("a request past 4 MB is refused", func(t *testing.T) {
		// Each is canceled on its expirationDate, the last renewal's.
		renewed := renewals(obj{}, end, contract.MaxSegments-1)
		until := renewed[len(renewed)-1]["expirationDate"]
		cancels := func(cs []map[string]any) string {
			var actions []obj
			for len(cs) > 0 {
				n := min(maxEntries, len(cs))
				var entries []obj
				for _, c := range cs[:n] {
					entries = append(entries, with(byNumber(c), "effectiveDate", until))
				}
				actions = append(actions, act1("cancel", entries...))
				cs = cs[n:]
			}
			return request(t, "ACC-1", actions...)
		}
		first, last := full[0]["contractNumber"].(string), full[contracts-1]["contractNumber"].(string)
		before := []map[string]any{a.contract(t, tenantA, prod, first), a.contract(t, tenantA, prod, last)}
		refused(t, a.do(t, tenantA, "POST", prod+"/contract-actions", cancels(full)), http.StatusUnprocessableEntity, "actions")
		after := []map[string]any{a.contract(t, tenantA, prod, first), a.contract(t, tenantA, prod, last)}
		if !reflect.DeepEqual(after, before) {
			t.Fatal("the refused request changed the contracts")
		}
		next := contracts + contracts/3 + 1 // the creates and the renewals took the numbers before
		for _, half := range [][]map[string]any{full[:contracts/2], full[contracts/2:]} {
			got := a.prepare(t, cancels(half))
			if want := contract.FormatActionNumber(int64(next)); got["contractActionNumber"] != want {
				t.Fatalf("the request after the refusal is %v, want %s", got["contractActionNumber"], want)
			}
			next++
		}
	})
}

// A request that comes by a queue, a bus or a direct invocation is held
// to the HTTP route's bound on bodies: at it the request applies, one
// byte past it it is refused naming the request, and nothing is written.
func TestInvocationBodyBound(t *testing.T) {
	f := newFzAPI(t)
	log := slog.New(slog.DiscardHandler)
	request := func(size int) []byte {
		body := `{"accountNumber": "ACC-1", "actions": [{"type": "create-contract-with-plan", "createContractWithPlan": [` +
			`{"planId": "` + fzPlan + `", "effectiveDate": "2090-01-01", "expirationDate": "2090-12-31", "currency": ["USD"]}]}]}`
		return []byte(body + strings.Repeat(" ", size-len(body)))
	}
	if _, err := f.handler.HandleDirect(context.Background(), f.Store, log, easybilling.Invocation{TenantID: dialecttest.Tenant, Request: request(httpapi.MaxBodyBytes)}); err != nil {
		t.Fatalf("a request of %d bytes: %v", httpapi.MaxBodyBytes, err)
	}
	before := f.State(dialecttest.Tenant)
	_, err := f.handler.HandleDirect(context.Background(), f.Store, log, easybilling.Invocation{TenantID: dialecttest.Tenant, Request: request(httpapi.MaxBodyBytes + 1)})
	if err == nil || !strings.Contains(err.Error(), "request: must be at most") {
		t.Fatalf("a request one byte over: %v", err)
	}
	if after := f.State(dialecttest.Tenant); after != before {
		t.Fatal("the refused request wrote something")
	}
}

// With an Idempotency-Key, the key's record is one more item of the
// request's transaction: 98 changed contracts, the action record and the
// key's record fit DynamoDB's 100 items, 99 are refused naming the
// actions, with nothing written.
func TestTransactionItemBoundKeyed(t *testing.T) {
	a := newAPI(t)
	for range 4 {
		var creates []obj
		for range 25 {
			creates = append(creates, act1("create-contract-with-plan", term(seedPlan, start, end, "USD")))
		}
		a.act(t, tenantA, prod, request(t, "ACC-1", creates...))
	}
	contracts := a.list(t, tenantA, prod, "ACC-1", 100)
	cancel := func(n int) string {
		var actions []obj
		for i := 0; i < n; i += maxEntries {
			var entries []obj
			for _, c := range contracts[i:min(i+maxEntries, n)] {
				entries = append(entries, with(byNumber(c), "effectiveDate", "2090-06-01"))
			}
			actions = append(actions, act1("cancel", entries...))
		}
		return request(t, "ACC-1", actions...)
	}
	refused(t, a.do(t, tenantA, "POST", prod+"/contract-actions", cancel(99), "idempotency-key", "k99"), http.StatusUnprocessableEntity, "actions")
	if got := a.list(t, tenantA, prod, "ACC-1", 100); !reflect.DeepEqual(got, contracts) {
		t.Fatal("a refused request changed contracts")
	}
	must(t, http.StatusOK, a.do(t, tenantA, "POST", prod+"/contract-actions", cancel(98), "idempotency-key", "k98"))
}
