package easybilling_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
	"github.com/contracts-service/contracts/shared/httpapi/openapitest"
)

// refusalFixture holds contracts in every state an action can meet.
type refusalFixture struct {
	a *api
	// active has one segment, start to end, on seedPlan in USD.
	active map[string]any
	// switched has moved to proPlan on 2090-07-01: two segments.
	switched map[string]any
	canceled map[string]any
	expired  map[string]any
	// otherAccount is ACC-2's, otherTenant tenant B's.
	otherAccount map[string]any
	otherTenant  map[string]any
}

func newRefusalFixture(t *testing.T) *refusalFixture {
	t.Helper()
	a := newAPI(t)
	f := &refusalFixture{a: a}
	f.active = a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	f.switched = a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	f.switched = info(t, a.act(t, tenantA, prod, request(t, "ACC-1", act1("switch-plan",
		with(byNumber(f.switched), "planId", proPlan, "effectiveDate", "2090-07-01", "currency", []string{"USD"})))))
	f.canceled = a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	f.canceled = info(t, a.act(t, tenantA, prod, request(t, "ACC-1", act1("cancel", with(byNumber(f.canceled), "effectiveDate", "2090-03-31")))))
	f.expired = a.create(t, tenantA, "ACC-1", seedPlan, "2020-01-01", "2020-12-31", "USD")
	f.otherAccount = a.create(t, tenantA, "ACC-2", seedPlan, start, end, "USD")
	for range 10 {
		// Tenant B's numbers run past tenant A's, so its contract's
		// number names nothing in tenant A.
		f.otherTenant = a.create(t, tenantB, "ACC-1", seedPlan, start, end, "USD")
	}
	return f
}

// changes are an entry of each change type that the active contract
// would take, for the checks that hold whatever the type.
func changes(ref obj, current map[string]any) map[string]obj {
	return map[string]obj{
		"switch-plan":  with(ref, "planId", proPlan, "effectiveDate", "2090-03-01", "currency", []string{"USD"}),
		"renew":        with(ref, "effectiveDate", "2091-01-01", "expirationDate", "2091-12-31"),
		"early-renew":  with(ref, "planId", proPlan, "effectiveDate", "2090-03-01", "expirationDate", "2091-12-31"),
		"update-price": with(ref, "contractSegmentId", current["id"], "contractPrice", 10, "effectiveDate", "2090-03-01"),
		"cancel":       with(ref, "effectiveDate", "2090-03-01"),
	}
}

func TestRefusals(t *testing.T) {
	f := newRefusalFixture(t)
	a := f.a
	active, switched := byNumber(f.active), byNumber(f.switched)
	create := func(entries ...obj) obj { return act1("create-contract-with-plan", entries...) }
	good := term(seedPlan, start, end, "USD")
	cpw := "actions[0].createContractWithPlan[0]."

	type refusal struct {
		name    string
		actions []obj
		status  int
		fields  []string
	}
	tests := []refusal{
		// The shape of the request.
		{"unknown type", []obj{{"type": "pause"}}, 400, []string{"actions[0].type"}},
		{"the prepaid-credits create, which is not served", []obj{{"type": "create-contract-with-plan-item", "createContractWithPlan": []any{good}}}, 400, []string{"actions[0].type"}},
		{"payload key of another type", []obj{{"type": "renew", "cancel": []any{with(active, "effectiveDate", "2090-03-01")}}}, 400, []string{"actions[0].cancel", "actions[0].renew"}},
		{"a second payload key", []obj{with(create(good), "cancel", []any{with(active, "effectiveDate", "2090-03-01")})}, 400, []string{"actions[0].cancel"}},
		{"missing payload", []obj{{"type": "cancel"}}, 400, []string{"actions[0].cancel"}},
		{"empty payload", []obj{{"type": "switch-plan", "switchPlan": []any{}}}, 400, []string{"actions[0].switchPlan"}},
		{"missing type", []obj{{"cancel": []any{with(active, "effectiveDate", "2090-03-01")}}}, 400, []string{"actions[0].type"}},
		{"no actions", []obj{}, 400, []string{"actions"}},
		{"26 actions", func() []obj {
			var list []obj
			for range 26 {
				list = append(list, create(good))
			}
			return list
		}(), 400, []string{"actions"}},
		{"both contractNumber and contractId", []obj{act1("cancel", with(active, "contractId", f.active["id"], "effectiveDate", "2090-03-01"))}, 400, []string{"actions[0].cancel[0].contractNumber"}},
		{"neither contractNumber nor contractId", []obj{act1("renew", obj{"effectiveDate": "2091-01-01", "expirationDate": "2091-12-31"})}, 400, []string{"actions[0].renew[0].contractNumber"}},
		{"not a calendar date", []obj{create(with(good, "effectiveDate", "2090-02-30"))}, 400, []string{cpw + "effectiveDate"}},
		{"not a date", []obj{create(with(good, "expirationDate", "31/12/2090"))}, 400, []string{cpw + "expirationDate"}},
		{"a date-time", []obj{act1("cancel", with(active, "effectiveDate", "2090-03-01T00:00:00Z"))}, 400, []string{"actions[0].cancel[0].effectiveDate"}},
		{"not a currency", []obj{create(with(good, "currency", []string{"USD", "ABC"}))}, 400, []string{cpw + "currency[1]"}},
		{"no currency", []obj{create(with(good, "currency", []string{}))}, 400, []string{cpw + "currency"}},
		{"a currency twice", []obj{create(with(good, "currency", []string{"USD", "USD"}))}, 400, []string{cpw + "currency"}},
		{"11 currencies", []obj{create(with(good, "currency", []string{"USD", "USD", "USD", "USD", "USD", "USD", "USD", "USD", "USD", "USD", "USD"}))}, 400, []string{cpw + "currency"}},
		{"negative price", []obj{create(with(good, "contractPrice", -1))}, 400, []string{cpw + "contractPrice"}},
		// 32 characters are taken (TestLargeContracts); the price is kept in every segment after it.
		{"a price of 33 characters", []obj{create(with(good, "contractPrice", json.Number("1"+strings.Repeat("0", 32))))}, 400, []string{cpw + "contractPrice"}},
		{"update-price without a price", []obj{act1("update-price", with(active, "contractSegmentId", segments(t, f.active)[0]["id"], "effectiveDate", "2090-03-01"))}, 400, []string{"actions[0].updatePrice[0].contractPrice"}},
		{"13 entries", []obj{create(good, good, good, good, good, good, good, good, good, good, good, good, good)}, 400, []string{"actions[0].createContractWithPlan"}},
		{"no planId", []obj{create(with(good, "planId", ""))}, 400, []string{cpw + "planId"}},
		{"every failing field of the entries at once", []obj{create(obj{"planId": seedPlan}), create(good, obj{"planId": seedPlan, "effectiveDate": "2091-02-30"})}, 400, []string{cpw + "currency", cpw + "effectiveDate", cpw + "expirationDate", "actions[1].createContractWithPlan[1].currency", "actions[1].createContractWithPlan[1].effectiveDate", "actions[1].createContractWithPlan[1].expirationDate"}},
		{"every failing action at once", []obj{{"type": "nope"}, {"type": "cancel"}, {"type": "renew", "cancel": []any{with(active, "effectiveDate", "2090-03-01")}}}, 400, []string{"actions[0].type", "actions[1].cancel", "actions[2].cancel", "actions[2].renew"}},

		// Dates and terms that do not fit.
		{"expiration on the effective date", []obj{create(with(good, "expirationDate", start))}, 422, []string{cpw + "expirationDate"}},
		{"expiration before the effective date", []obj{create(with(good, "expirationDate", "2089-12-31"))}, 422, []string{cpw + "expirationDate"}},
		{"overlapping entries", []obj{create(term(seedPlan, start, "2090-06-30", "USD"), term(seedPlan, "2090-06-29", end, "USD"))}, 422, []string{"actions[0].createContractWithPlan[1].effectiveDate"}},
		{"entries out of order", []obj{create(term(seedPlan, "2091-01-01", "2091-06-30", "USD"), good)}, 422, []string{"actions[0].createContractWithPlan[1].effectiveDate"}},
		{"plan not in the catalog", []obj{create(with(good, "planId", "no-such-plan"))}, 422, []string{cpw + "planId"}},
		{"currency the plan does not bill in", []obj{create(with(good, "currency", []string{"USD", "EUR"}))}, 422, []string{cpw + "currency[1]"}},
		// Every rule the creates break, named at once; a change's
		// refusal after them joins them.
		{"every currency the plan does not bill in", []obj{create(with(good, "currency", []string{"USD", "JPY", "GBP"}))}, 422, []string{cpw + "currency[1]", cpw + "currency[2]"}},
		{"an unknown plan beside dates in the wrong order", []obj{create(with(good, "planId", "no-such-plan", "expirationDate", "2089-12-31"))}, 422, []string{cpw + "planId", cpw + "expirationDate"}},
		{"two creates on unknown plans", []obj{create(with(good, "planId", "no-such-plan-1")), create(good), create(with(good, "planId", "no-such-plan-2"))}, 422,
			[]string{cpw + "planId", "actions[2].createContractWithPlan[0].planId"}},
		{"a create's refusal beside a change's", []obj{create(with(good, "planId", "no-such-plan")), act1("switch-plan", with(changes(active, nil)["switch-plan"], "planId", "no-such-plan"))}, 422,
			[]string{cpw + "planId", "actions[1].switchPlan[0].planId"}},
		{"a change's refusal, then a create's", []obj{act1("switch-plan", with(changes(active, nil)["switch-plan"], "planId", "no-such-plan")), create(with(good, "planId", "no-such-plan"))}, 422,
			[]string{"actions[0].switchPlan[0].planId", "actions[1].createContractWithPlan[0].planId"}},
		{"a create's refusal beside an unknown contract", []obj{create(with(good, "planId", "no-such-plan")), act1("cancel", obj{"contractNumber": "CT-0000009999", "effectiveDate": "2090-03-01"})}, 404,
			[]string{"actions[1].cancel[0].contractNumber"}},
		{"switch to a plan not in the catalog", []obj{act1("switch-plan", with(changes(active, nil)["switch-plan"], "planId", "no-such-plan"))}, 422, []string{"actions[0].switchPlan[0].planId"}},
		{"switch to a currency the plan does not bill in", []obj{act1("switch-plan", with(changes(active, nil)["switch-plan"], "currency", []string{"CNY"}))}, 422, []string{"actions[0].switchPlan[0].currency[0]"}},
		{"early-renew onto a plan not in the catalog", []obj{act1("early-renew", with(changes(active, nil)["early-renew"], "planId", "no-such-plan"))}, 422, []string{"actions[0].earlyRenew[0].planId"}},
		{"early-renew onto a currency the new plan lacks", []obj{act1("early-renew", with(changes(active, nil)["early-renew"], "currency", []string{"CNY"}))}, 422, []string{"actions[0].earlyRenew[0].currency[0]"}},
		{"switch-plan on the segment's first day", []obj{act1("switch-plan", with(changes(active, nil)["switch-plan"], "effectiveDate", start))}, 422, []string{"actions[0].switchPlan[0].effectiveDate"}},
		{"switch-plan before the segment", []obj{act1("switch-plan", with(changes(active, nil)["switch-plan"], "effectiveDate", "2089-06-01"))}, 422, []string{"actions[0].switchPlan[0].effectiveDate"}},
		{"switch-plan after the segment", []obj{act1("switch-plan", with(changes(active, nil)["switch-plan"], "effectiveDate", "2091-01-01"))}, 422, []string{"actions[0].switchPlan[0].effectiveDate"}},
		{"switch-plan inside a superseded segment", []obj{act1("switch-plan", with(changes(switched, nil)["switch-plan"], "effectiveDate", "2090-05-01"))}, 422, []string{"actions[0].switchPlan[0].effectiveDate"}},
		{"early-renew after the segment", []obj{act1("early-renew", with(changes(active, nil)["early-renew"], "effectiveDate", "2091-01-01", "expirationDate", "2091-12-31"))}, 422, []string{"actions[0].earlyRenew[0].effectiveDate"}},
		{"early-renew ending inside the segment", []obj{act1("early-renew", with(changes(active, nil)["early-renew"], "expirationDate", "2090-12-30"))}, 422, []string{"actions[0].earlyRenew[0].expirationDate"}},
		{"update-price before the segment", []obj{act1("update-price", with(changes(active, segments(t, f.active)[0])["update-price"], "effectiveDate", "2089-12-31"))}, 422, []string{"actions[0].updatePrice[0].effectiveDate"}},
		{"update-price after the segment", []obj{act1("update-price", with(changes(active, segments(t, f.active)[0])["update-price"], "effectiveDate", "2091-01-01"))}, 422, []string{"actions[0].updatePrice[0].effectiveDate"}},
		{"update-price of a superseded segment", []obj{act1("update-price", changes(switched, segments(t, f.switched)[0])["update-price"])}, 422, []string{"actions[0].updatePrice[0].contractSegmentId"}},
		{"update-price of an unknown segment", []obj{act1("update-price", with(changes(active, segments(t, f.active)[0])["update-price"], "contractSegmentId", "4f8e2d1c-0000-4000-8000-000000000000"))}, 422, []string{"actions[0].updatePrice[0].contractSegmentId"}},
		{"update-price naming another plan", []obj{act1("update-price", with(changes(active, segments(t, f.active)[0])["update-price"], "planId", proPlan))}, 422, []string{"actions[0].updatePrice[0].planId"}},
		{"cancel before the contract", []obj{act1("cancel", with(active, "effectiveDate", "2089-12-31"))}, 422, []string{"actions[0].cancel[0].effectiveDate"}},
		{"cancel after the contract", []obj{act1("cancel", with(active, "effectiveDate", "2091-01-01"))}, 422, []string{"actions[0].cancel[0].effectiveDate"}},
		{"renew inside the segment", []obj{act1("renew", with(active, "effectiveDate", "2090-06-01", "expirationDate", "2091-12-31"))}, 422, []string{"actions[0].renew[0].effectiveDate"}},
		{"renew on the segment's last day", []obj{act1("renew", with(active, "effectiveDate", "2090-12-30", "expirationDate", "2091-12-31"))}, 422, []string{"actions[0].renew[0].effectiveDate"}},
		{"switch-plan on the expirationDate", []obj{act1("switch-plan", with(changes(active, nil)["switch-plan"], "effectiveDate", end))}, 422, []string{"actions[0].switchPlan[0].effectiveDate"}},
		{"early-renew on the expirationDate", []obj{act1("early-renew", with(changes(active, nil)["early-renew"], "effectiveDate", end))}, 422, []string{"actions[0].earlyRenew[0].effectiveDate"}},
		{"update-price on the expirationDate", []obj{act1("update-price", with(changes(active, segments(t, f.active)[0])["update-price"], "effectiveDate", end))}, 422, []string{"actions[0].updatePrice[0].effectiveDate"}},

		// Contracts the account cannot act on.
		{"unknown contract", []obj{act1("cancel", obj{"contractNumber": "CT-0000009999", "effectiveDate": "2090-03-01"})}, 404, []string{"actions[0].cancel[0].contractNumber"}},

		// Which action and which entry a refusal names.
		{"the second action", []obj{act1("cancel", with(active, "effectiveDate", "2090-03-01")), act1("switch-plan", with(changes(switched, nil)["switch-plan"], "planId", "no-such-plan", "effectiveDate", "2090-08-01"))}, 422, []string{"actions[1].switchPlan[0].planId"}},
		{"the second entry", []obj{act1("cancel", with(active, "effectiveDate", "2090-03-01"), with(switched, "effectiveDate", "2089-01-01"))}, 422, []string{"actions[0].cancel[1].effectiveDate"}},
		{"the same contract, changed by an earlier action", []obj{act1("cancel", with(active, "effectiveDate", "2090-03-01")), act1("renew", changes(active, nil)["renew"])}, 422, []string{"actions[1].renew[0].contractNumber"}},
	}
	for typ, entry := range changes(byNumber(f.canceled), segments(t, f.canceled)[0]) {
		tests = append(tests, refusal{typ + " of a canceled contract", []obj{act1(typ, entry)}, 422, []string{"actions[0]." + payloadKeys[typ] + "[0].contractNumber"}})
	}
	for typ, entry := range changes(byNumber(f.expired), segments(t, f.expired)[0]) {
		tests = append(tests, refusal{typ + " of an expired contract", []obj{act1(typ, entry)}, 422, []string{"actions[0]." + payloadKeys[typ] + "[0].contractNumber"}})
	}
	for typ, entry := range changes(byNumber(f.otherAccount), segments(t, f.otherAccount)[0]) {
		tests = append(tests, refusal{typ + " of another account's contract", []obj{act1(typ, entry)}, 404, []string{"actions[0]." + payloadKeys[typ] + "[0].contractNumber"}})
	}
	for typ, entry := range changes(byNumber(f.otherTenant), segments(t, f.otherTenant)[0]) {
		tests = append(tests, refusal{typ + " of another tenant's contract", []obj{act1(typ, entry)}, 404, []string{"actions[0]." + payloadKeys[typ] + "[0].contractNumber"}})
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, prefix := range []string{prod, hub} {
				r := a.do(t, tenantA, "POST", prefix+"/contract-actions", request(t, "ACC-1", tt.actions...))
				refused(t, r, tt.status, tt.fields...)
			}
		})
	}

	// Nothing above changed a contract or recorded an action.
	for _, c := range []map[string]any{f.active, f.switched, f.canceled, f.expired, f.otherAccount} {
		if got := a.contract(t, tenantA, prod, c["contractNumber"].(string)); !reflect.DeepEqual(got, c) {
			t.Errorf("a refused request changed %v:\n%v\nwas\n%v", c["contractNumber"], got, c)
		}
	}
	// The fixture's seven requests were the tenant's last to succeed.
	refused(t, a.do(t, tenantA, "GET", prod+"/contract-actions/CA-0000000008", ""), 404)
}

// TestRefusedBodies covers what is refused before the actions are read.
func TestRefusedBodies(t *testing.T) {
	a := newAPI(t)
	seed := httpapitest.ReadFile(t, "testdata/seed-000-request.json")
	tests := []struct {
		name, body string
		headers    []string
		status     int
		fields     []string
	}{
		{"no accountNumber", `{"actions":[{"type":"cancel","cancel":[{"contractNumber":"CT-0000000001","effectiveDate":"2090-01-01"}]}]}`, nil, 400, []string{"accountNumber"}},
		{"accountNumber over 64 characters", strings.Replace(seed, "ACC-0000000001", strings.Repeat("A", 65), 1), nil, 400, []string{"accountNumber"}},
		{"unknown field", strings.Replace(seed, `"accountNumber"`, `"account":1,"accountNumber"`, 1), nil, 400, []string{"account"}},
		{"unknown payload key", `{"accountNumber":"ACC-1","actions":[{"type":"pause","pause":[{}]}]}`, nil, 400, nil},
		{"actions not an array", `{"accountNumber":"ACC-1","actions":{}}`, nil, 400, nil},
		{"malformed JSON", `{"accountNumber":`, nil, 400, nil},
		{"empty body", ``, nil, 400, nil},
		{"not an object", `[]`, nil, 400, nil},
		{"not JSON", seed, []string{"content-type", "text/plain"}, 415, nil},
		{"no content type", seed, []string{"content-type", ""}, 415, nil},
		{"over 64 KiB", `{"accountNumber":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `","actions":[]}`, nil, 413, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, prefix := range []string{prod, hub} {
				r := a.do(t, tenantA, "POST", prefix+"/contract-actions", tt.body, tt.headers...)
				if tt.fields == nil {
					if r.Status != tt.status || r.Headers["trace-id"] == "" {
						t.Fatalf("status %d (trace-id %q), want %d: %s", r.Status, r.Headers["trace-id"], tt.status, r.Raw)
					}
					continue
				}
				refused(t, r, tt.status, tt.fields...)
			}
		})
	}
	if got := a.list(t, tenantA, prod, "ACC-0000000001", 20); len(got) != 0 {
		t.Errorf("refused bodies made contracts: %v", got)
	}

	t.Run("no authorizer context", func(t *testing.T) {
		ev := sent(tenantA, "POST", prod+"/contract-actions", seed).Event()
		ev.RequestContext.Authorizer = nil
		resp, err := a.rt.Serve(t.Context(), ev)
		if err != nil {
			t.Fatal(err)
		}
		openapitest.Validate(t, ev, resp)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("status %d, want 401", resp.StatusCode)
		}
	})
}

func TestReadRefusals(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	first := must(t, 200, a.do(t, tenantA, "GET", prod+"/contracts?accountNumber=ACC-1&pageSize=1", ""))
	tests := []struct {
		name, target string
		status       int
		fields       []string
	}{
		{"unknown contract number", "/contracts/CT-0000009999", 404, nil},
		{"unknown contract id", "/contracts/4f8e2d1c-0000-4000-8000-000000000000", 404, nil},
		{"unknown action", "/contract-actions/CA-0000009999", 404, nil},
		{"a contract number as an action", "/contract-actions/" + c["contractNumber"].(string), 404, nil},
		{"list without accountNumber", "/contracts", 400, []string{"accountNumber"}},
		{"list with an empty accountNumber", "/contracts?accountNumber=", 400, []string{"accountNumber"}},
		{"list with an accountNumber over 64 characters", "/contracts?accountNumber=" + strings.Repeat("A", 65), 400, []string{"accountNumber"}},
		{"pageSize 0", "/contracts?accountNumber=ACC-1&pageSize=0", 400, []string{"pageSize"}},
		{"pageSize 101", "/contracts?accountNumber=ACC-1&pageSize=101", 400, []string{"pageSize"}},
		{"pageSize not a number", "/contracts?accountNumber=ACC-1&pageSize=ten", 400, []string{"pageSize"}},
		{"forged cursor", "/contracts?accountNumber=ACC-1&cursor=Q1QtMDAwMDAwMDAwMQ", 400, []string{"cursor"}},
		{"garbage cursor", "/contracts?accountNumber=ACC-1&cursor=%25%25", 400, []string{"cursor"}},
		{"every failing parameter at once", "/contracts?pageSize=-1&cursor=x", 400, []string{"accountNumber", "cursor", "pageSize"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, prefix := range []string{prod, hub} {
				refused(t, a.do(t, tenantA, "GET", prefix+tt.target, ""), tt.status, tt.fields...)
			}
		})
	}
	// The cursor the service issued is accepted, on both variants.
	for _, prefix := range []string{prod, hub} {
		must(t, 200, a.do(t, tenantA, "GET", prefix+"/contracts?accountNumber=ACC-1&pageSize=1&cursor="+first["cursor"].(string), ""))
	}
}

// TestNothingHalfWritten sends requests whose last action is refused: the
// actions before it leave no trace, neither a change, a new contract nor
// an action record, and the next request that succeeds takes the number
// after the last one given.
func TestNothingHalfWritten(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	other := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	listed := a.list(t, tenantA, prod, "ACC-1", 20)
	bad := act1("switch-plan", with(byNumber(other), "planId", "no-such-plan", "effectiveDate", "2090-08-01", "currency", []string{"USD"}))
	tests := []struct {
		name  string
		first obj
	}{
		{"switch-plan", act1("switch-plan", with(byNumber(c), "planId", proPlan, "effectiveDate", "2090-04-01", "currency", []string{"USD"}))},
		{"early-renew", act1("early-renew", with(byID(c), "planId", proPlan, "effectiveDate", "2090-04-01", "expirationDate", "2091-12-31"))},
		{"cancel", act1("cancel", with(byNumber(c), "effectiveDate", "2090-04-01"))},
		{"create", act1("create-contract-with-plan", term(seedPlan, start, end, "USD"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, prefix := range []string{prod, hub} {
				r := a.do(t, tenantA, "POST", prefix+"/contract-actions", request(t, "ACC-1", tt.first, bad))
				refused(t, r, 422, "actions[1].switchPlan[0].planId")
			}
			if got := a.contract(t, tenantA, prod, c["contractNumber"].(string)); !reflect.DeepEqual(got, c) {
				t.Errorf("the first action was applied:\n%v\nwas\n%v", got, c)
			}
			if got := a.list(t, tenantA, hub, "ACC-1", 1); !reflect.DeepEqual(got, renamedAll(listed, namedOn, namedAt)) {
				t.Errorf("the account's contracts changed:\n%v\nwere\n%v", got, listed)
			}
			for _, prefix := range []string{prod, hub} {
				refused(t, a.do(t, tenantA, "GET", prefix+"/contract-actions/CA-0000000003", ""), 404)
			}
		})
	}
	got := a.act(t, tenantA, prod, request(t, "ACC-1", act1("cancel", with(byNumber(c), "effectiveDate", "2090-04-01"))))
	if got["contractActionNumber"] != "CA-0000000003" {
		t.Errorf("the first request to succeed after the refusals is %v, want CA-0000000003", got["contractActionNumber"])
	}
}
