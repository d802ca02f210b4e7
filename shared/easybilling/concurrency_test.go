package easybilling_test

import (
	"fmt"
	"net/http"
	"sort"
	"testing"

	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// workers bounds the requests in flight at once.
const workers = 8

// burst serves bodies under prefix with a bounded pool of workers and
// returns the answers in the order of bodies.
func (a *api) burst(t *testing.T, who tenant, prefix string, bodies []string) []response {
	t.Helper()
	requests := make([]httpapitest.Request, len(bodies))
	for i, body := range bodies {
		requests[i] = sent(who, "POST", prefix+"/contract-actions", body)
	}
	return httpapitest.ExchangeAll(t, a.rt, workers, requests)
}

// TestConcurrentCreates: a burst of creates in one tenant hands out every
// contract and action number once, skipping none, and every contract and
// action is stored.
func TestConcurrentCreates(t *testing.T) {
	const n = 50
	a := newAPI(t)
	bodies := make([]string, n)
	for i := range bodies {
		bodies[i] = request(t, "ACC-BURST", act1("create-contract-with-plan", term(seedPlan, start, fmt.Sprintf("2091-01-%02d", 1+i%28), "USD")))
	}
	contracts, actions := map[int]map[string]any{}, map[int]string{}
	for _, r := range a.burst(t, tenantA, prod, bodies[:n/2]) {
		answer := must(t, http.StatusOK, r)
		contracts[numberOf(t, info(t, answer)["contractNumber"])] = info(t, answer)
		actions[numberOf(t, answer["contractActionNumber"])] = answer["contractActionNumber"].(string)
	}
	for _, r := range a.burst(t, tenantA, hub, bodies[n/2:]) {
		answer := must(t, http.StatusOK, r)
		c := renamed(info(t, answer), namedAt, namedOn).(map[string]any)
		contracts[numberOf(t, c["contractNumber"])] = c
		actions[numberOf(t, answer["contractActionNumber"])] = answer["contractActionNumber"].(string)
	}
	if len(contracts) != n || len(actions) != n {
		t.Fatalf("%d requests made %d distinct contract numbers and %d distinct action numbers", n, len(contracts), len(actions))
	}
	for i := 1; i <= n; i++ {
		if contracts[i] == nil || actions[i] == "" {
			t.Errorf("number %d was skipped (contract %v, action %q)", i, contracts[i] != nil, actions[i])
		}
	}
	ids := map[any]bool{}
	for _, c := range contracts {
		ids[c["id"]] = true
		a.checkStored(t, c)
	}
	if len(ids) != n {
		t.Errorf("%d contracts have %d distinct ids", n, len(ids))
	}
	for _, number := range actions {
		a.action(t, tenantA, prod, number)
	}
	listed := a.list(t, tenantA, prod, "ACC-BURST", 7)
	if len(listed) != n {
		t.Fatalf("%d contracts listed, want %d", len(listed), n)
	}
	for i, c := range listed {
		if numberOf(t, c["contractNumber"]) != i+1 {
			t.Errorf("item %d is %v", i, c["contractNumber"])
		}
	}
}

// TestConcurrentChanges races changes of one contract: each is applied to
// the contract as stored, or refused, and none is lost. Whichever wins, the
// chain of segments holds exactly the segments of the answers that
// succeeded.
func TestConcurrentChanges(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	var bodies []string
	for i := range 12 {
		bodies = append(bodies, request(t, "ACC-1", act1("switch-plan",
			with(byNumber(c), "planId", []string{seedPlan, proPlan}[i%2], "effectiveDate", fmt.Sprintf("2090-%02d-15", 1+i), "currency", []string{"USD"}))))
	}
	wrote := map[any]bool{}
	for i, r := range a.burst(t, tenantA, prod, bodies) {
		switch r.Status {
		case http.StatusOK:
			ids := r.Body["contractSegmentIds"].([]any)
			if len(ids) != 1 {
				t.Fatalf("switch %d wrote %v", i, ids)
			}
			wrote[ids[0]] = true
		case http.StatusConflict:
		case http.StatusUnprocessableEntity:
			refused(t, r, http.StatusUnprocessableEntity, "actions[0].switchPlan[0].effectiveDate")
		default:
			t.Fatalf("switch %d: %d %s", i, r.Status, r.Raw)
		}
	}
	chain := segments(t, a.contract(t, tenantA, prod, c["contractNumber"].(string)))
	if len(chain) != 1+len(wrote) {
		t.Fatalf("%d switches succeeded but the contract has %d segments", len(wrote), len(chain))
	}
	var dates []string
	for i, s := range chain {
		dates = append(dates, s["effectiveDate"].(string))
		if i == 0 {
			continue
		}
		checkFollows(t, chain[i-1], s)
		if !wrote[s["id"]] {
			t.Errorf("segment %d, %v, is no answer's", i, s["id"])
		}
	}
	if !sort.StringsAreSorted(dates) {
		t.Errorf("segments start on %v, out of order", dates)
	}
}
