package easybilling_test

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// TestRenew, TestUpdatePrice and TestEarlyRenewKeepingTerms: the actions
// that carry the current segment's plan over, without naming it.
func TestRenew(t *testing.T) {
	a := newAPI(t)
	for _, ref := range refs {
		t.Run(ref.name, func(t *testing.T) {
			before := info(t, a.act(t, tenantA, prod, request(t, "ACC-1", act1("create-contract-with-plan",
				with(term(seedPlan, start, end, "CNY"), "contractPrice", 12.5)))))
			// Renewed on its expirationDate, the contract runs on with no
			// gap and no overlap.
			got := a.act(t, tenantA, prod, request(t, "ACC-1", act1("renew",
				with(ref.of(before), "effectiveDate", end, "expirationDate", "2091-12-31"))))
			c, segs := a.checkNewSegment(t, got, "renew", map[string]any{
				"planId": seedPlan, "currency": []any{"CNY"}, "contractPrice": 12.5, "effectiveDate": end,
				"expirationDate": "2091-12-31", "billingCycleDay": 31.0, "billingCycleType": "monthly",
			})
			if was := segments(t, before)[0]; !reflect.DeepEqual(segs[0], was) {
				t.Errorf("the renewed segment reads\n%v\nwas\n%v", segs[0], was)
			}
			if c["effectiveDate"] != start || c["expirationDate"] != "2091-12-31" {
				t.Errorf("contract spans %v to %v, want %s to 2091-12-31", c["effectiveDate"], c["expirationDate"], start)
			}
		})
	}
}

func TestUpdatePrice(t *testing.T) {
	a := newAPI(t)
	for _, ref := range refs {
		t.Run(ref.name, func(t *testing.T) {
			before := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD", "CNY")
			current := segments(t, before)[0]
			body := request(t, "ACC-1", act1("update-price", with(ref.of(before),
				"contractSegmentId", current["id"], "planId", seedPlan, "effectiveDate", "2090-06-30")))
			// The price goes in as written, so its text is kept.
			body = strings.Replace(body, `"planId"`, `"contractPrice":49.90,"planId"`, 1)
			r := a.do(t, tenantA, "POST", prod+"/contract-actions", body)
			_, segs := a.checkNewSegment(t, must(t, 200, r), "update-price", map[string]any{
				"planId": seedPlan, "currency": []any{"USD", "CNY"}, "contractPrice": 49.9, "effectiveDate": "2090-06-30",
				"expirationDate": end, "billingCycleDay": 30.0,
			})
			if want := with(current, "expirationDate", "2090-06-30"); !reflect.DeepEqual(segs[0], want) {
				t.Errorf("the repriced segment reads\n%v\nwant it as written, ending where the new price starts\n%v", segs[0], want)
			}
			if !strings.Contains(r.Raw, `"contractPrice":49.90`) {
				t.Errorf("the price is not kept as written: %s", r.Raw)
			}
		})
	}
}

// TestEarlyRenewKeepingTerms renews early without naming a plan or
// currencies: the current ones carry over.
func TestEarlyRenewKeepingTerms(t *testing.T) {
	a := newAPI(t)
	tests := []struct {
		name   string
		entry  obj
		plan   string
		cycle  string
		coins  []any
		refFor func(map[string]any) obj
	}{
		{"currency only, by contractNumber", obj{"currency": []string{"CNY"}}, seedPlan, "monthly", []any{"CNY"}, byNumber},
		{"same terms, by contractId", obj{}, seedPlan, "monthly", []any{"USD"}, byID},
		{"empty currency keeps them", obj{"currency": []string{}}, seedPlan, "monthly", []any{"USD"}, byID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
			entry := with(tt.refFor(before), "effectiveDate", "2090-10-20", "expirationDate", "2091-10-19")
			for k, v := range tt.entry {
				entry[k] = v
			}
			got := a.act(t, tenantA, prod, request(t, "ACC-1", act1("early-renew", entry)))
			c, segs := a.checkNewSegment(t, got, "early-renew", map[string]any{
				"planId": tt.plan, "currency": tt.coins, "effectiveDate": "2090-10-20", "expirationDate": "2091-10-19",
				"billingCycleDay": 20.0, "billingCycleType": tt.cycle,
			})
			if segs[0]["expirationDate"] != "2090-10-20" {
				t.Errorf("the renewed segment ends %v, want 2090-10-20, where the renewal starts", segs[0]["expirationDate"])
			}
			if c["expirationDate"] != "2091-10-19" {
				t.Errorf("contract expires %v, want 2091-10-19", c["expirationDate"])
			}
		})
	}
}

// TestRenewEndsAfterItStarts: a renewal's expirationDate must be after its
// effectiveDate, as a create's must.
func TestRenewEndsAfterItStarts(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	for _, exp := range []string{"2091-01-01", "2090-12-31"} {
		r := a.do(t, tenantA, "POST", prod+"/contract-actions", request(t, "ACC-1", act1("renew",
			with(byNumber(c), "effectiveDate", "2091-01-01", "expirationDate", exp))))
		refused(t, r, http.StatusUnprocessableEntity, "actions[0].renew[0].expirationDate")
	}
}

// TestEveryFailingFieldAtOnce: a refusal lists the fields the tags refuse
// and those the action types refuse together.
func TestEveryFailingFieldAtOnce(t *testing.T) {
	a := newAPI(t)
	body := request(t, "ACC-1",
		act1("create-contract-with-plan", obj{"planId": seedPlan}),
		obj{"type": "nope"},
	)
	refused(t, a.do(t, tenantA, "POST", prod+"/contract-actions", body), http.StatusBadRequest,
		"actions[0].createContractWithPlan[0].currency", "actions[0].createContractWithPlan[0].effectiveDate",
		"actions[0].createContractWithPlan[0].expirationDate", "actions[1].type")
}

// TestRefusalsNameTheFieldSent: an entry that names its contract by
// contractId is told about contractId, and a contractNumber too long is
// named by its path as sent.
func TestRefusalsNameTheFieldSent(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	other := a.create(t, tenantA, "ACC-2", seedPlan, start, end, "USD")
	a.act(t, tenantA, prod, request(t, "ACC-1", act1("cancel", with(byNumber(c), "effectiveDate", "2090-03-01"))))
	tests := []struct {
		name   string
		entry  obj
		status int
		field  string
	}{
		{"unknown contractId", obj{"contractId": "4f8e2d1c-0000-4000-8000-000000000000", "effectiveDate": "2090-03-01"}, 404, "contractId"},
		{"another account's contract by contractId", with(byID(other), "effectiveDate", "2090-03-01"), 404, "contractId"},
		{"a canceled contract by contractId", with(byID(c), "effectiveDate", "2090-03-01"), 422, "contractId"},
		{"contractNumber over 64 characters", obj{"contractNumber": strings.Repeat("C", 65), "effectiveDate": "2090-03-01"}, 400, "contractNumber"},
		{"contractId over 64 characters", obj{"contractId": strings.Repeat("C", 65), "effectiveDate": "2090-03-01"}, 400, "contractId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.do(t, tenantA, "POST", prod+"/contract-actions", request(t, "ACC-1", act1("cancel", tt.entry)))
			refused(t, r, tt.status, "actions[0].cancel[0]."+tt.field)
		})
	}
}

// TestDatesAcrossAPIs: each API's dates mapped at its edge onto the one
// half-open period of the domain, as the README's Dates table says. An
// Aira contract of 2024-01-01 to 2024-12-31 (its endDate an inclusive
// whole day) reads through EasyBilling as 2024-01-01 to 2025-01-01 (the
// first day it is no longer in effect), and through Aira again as it was
// written. A Kukkingu contract whose validTo falls inside a day reads
// through EasyBilling as expiring the day after: the first it no longer
// touches.
func TestDatesAcrossAPIs(t *testing.T) {
	a := newAPI(t)
	aira := `{"customer": {"externalId": "cust-dates", "name": "Acme Inc."},
		"paymentAccount": {"businessName": "Acme Comercio Ltda", "taxId": "11.222.333/0001-81", "email": "billing@example.com",
			"address": {"zipCode": "69900-062", "number": "100", "street": "Rua Rio Grande do Sul", "neighborhood": "Centro",
				"city": "Rio Branco", "state": "AC", "country": "Brasil"}},
		"contract": {"startDate": "2024-01-01", "endDate": "2024-12-31", "planIds": ["` + seedPlan + `"]}}`
	r, err := serve(t, a.other, tenantA, "POST", "/v1/contracts/", aira)
	if err != nil || r.Status != http.StatusCreated {
		t.Fatalf("Aira create: %d %s %v", r.Status, r.Raw, err)
	}
	id := r.Body["contract"].(map[string]any)["id"].(string)
	got := must(t, http.StatusOK, a.do(t, tenantA, "GET", prod+"/contracts/"+id, ""))
	if got["effectiveDate"] != "2024-01-01" || got["expirationDate"] != "2025-01-01" || got["status"] != "expired" {
		t.Errorf("the Aira contract reads through EasyBilling as %v to %v, %v; want 2024-01-01 to 2025-01-01, expired",
			got["effectiveDate"], got["expirationDate"], got["status"])
	}
	r, err = serve(t, a.other, tenantA, "GET", "/v1/contracts/"+id, "")
	if err != nil || r.Status != http.StatusOK {
		t.Fatalf("Aira get: %d %s %v", r.Status, r.Raw, err)
	}
	if c := r.Body["contract"].(map[string]any); c["startDate"] != "2024-01-01" || c["endDate"] != "2024-12-31" {
		t.Errorf("the Aira contract reads back through Aira as %v to %v", c["startDate"], c["endDate"])
	}

	r, err = serve(t, a.other, tenantA, "POST", "/api/v1/contracts", `{"clientId":"clnt_1","name":"n","amountMinor":1,"currencyCode":"EUR",
		"validFrom":"2024-01-01T14:48:00.000Z","validTo":"2024-12-31T23:59:59.000Z"}`, "tenant-id", tenantA.id)
	if err != nil || r.Status != http.StatusCreated {
		t.Fatalf("Kukkingu create: %d %s %v", r.Status, r.Raw, err)
	}
	got = must(t, http.StatusOK, a.do(t, tenantA, "GET", prod+"/contracts/"+r.Body["data"].(map[string]any)["id"].(string), ""))
	if got["effectiveDate"] != "2024-01-01" || got["expirationDate"] != "2025-01-01" || got["status"] != "expired" {
		t.Errorf("the Kukkingu contract reads through EasyBilling as %v to %v, %v", got["effectiveDate"], got["expirationDate"], got["status"])
	}
}

// TestLongContractActionNumber: a path too long for a key is not found,
// not a failure of the service.
func TestLongContractActionNumber(t *testing.T) {
	a := newAPI(t)
	for _, prefix := range []string{prod, hub} {
		refused(t, a.do(t, tenantA, "GET", prefix+"/contract-actions/CA-"+strings.Repeat("1", 1100), ""), http.StatusNotFound)
	}
}

// TestTooManyContractsInOneRequest: a request that changes more contracts
// than one transaction can hold is refused as too large (422), and writes
// nothing.
func TestTooManyContractsInOneRequest(t *testing.T) {
	a := newAPI(t)
	var contracts []map[string]any
	for range 4 {
		var creates []obj
		for range 25 {
			creates = append(creates, act1("create-contract-with-plan", term(seedPlan, start, end, "USD")))
		}
		a.act(t, tenantA, prod, request(t, "ACC-1", creates...))
	}
	contracts = a.list(t, tenantA, prod, "ACC-1", 100)
	if len(contracts) != 100 {
		t.Fatalf("%d contracts", len(contracts))
	}
	var actions []obj
	for i := range 4 {
		var entries []obj
		for _, c := range contracts[25*i : 25*(i+1)] {
			entries = append(entries, with(byNumber(c), "effectiveDate", "2090-06-01"))
		}
		actions = append(actions, act1("cancel", entries...))
	}
	r := a.do(t, tenantA, "POST", prod+"/contract-actions", request(t, "ACC-1", actions...))
	refused(t, r, http.StatusUnprocessableEntity, "actions")
	if got := a.list(t, tenantA, prod, "ACC-1", 100); !reflect.DeepEqual(got, contracts) {
		t.Errorf("a refused request changed contracts")
	}
	// 99 changed contracts and the action record fit.
	actions[3][payloadKeys["cancel"]] = actions[3][payloadKeys["cancel"]].([]any)[:24]
	a.act(t, tenantA, prod, request(t, "ACC-1", actions...))
}

// TestRefusedRequestsDrawNoNumbers: a refused request burns no contract
// number, so the next contract takes the number after the last one.
func TestRefusedRequestsDrawNoNumbers(t *testing.T) {
	a := newAPI(t)
	good := act1("create-contract-with-plan", term(seedPlan, start, end, "USD"))
	for i, actions := range [][]obj{
		{act1("create-contract-with-plan", term("no-such-plan", start, end, "USD"))},
		{good, act1("create-contract-with-plan", term(seedPlan, start, end, "EUR"))},
	} {
		r := a.do(t, tenantA, "POST", prod+"/contract-actions", request(t, "ACC-1", actions...))
		if r.Status != http.StatusUnprocessableEntity {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Raw)
		}
	}
	got := info(t, a.act(t, tenantA, prod, request(t, "ACC-1", good)))
	if got["contractNumber"] != "CT-0000000001" {
		t.Errorf("the first contract made is %v, want CT-0000000001", got["contractNumber"])
	}
}

// TestRetryDrawsNoNumbers: a request that loses a race is applied again,
// under the numbers it drew the first time.
func TestRetryDrawsNoNumbers(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	racing := &racingStore{Store: a.store}
	racing.races.Store(1)
	r, err := serve(t, router(racing), tenantA, "POST", prod+"/contract-actions", request(t, "ACC-1",
		act1("create-contract-with-plan", term(seedPlan, start, end, "USD")),
		act1("cancel", with(byNumber(c), "effectiveDate", "2090-06-30"))))
	if err != nil {
		t.Fatal(err)
	}
	got := must(t, http.StatusOK, r)
	if got["contractActionNumber"] != "CA-0000000002" {
		t.Errorf("the retried request is %v, want CA-0000000002", got["contractActionNumber"])
	}
	if n := a.list(t, tenantA, prod, "ACC-1", 20); len(n) != 2 || n[1]["contractNumber"] != "CT-0000000002" {
		t.Errorf("the retried request's contract is %v, want CT-0000000002", n)
	}
}
