package easybilling

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// benchContract is the contract the sample's create-contract-with-plan
// makes, numbered k, as the domain returns it: one segment on the
// sample's plan, made and last changed at made.
func benchContract(k int, made time.Time) contract.Contract {
	from := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	return contract.Contract{
		TenantID: "demo", ID: fmt.Sprintf("5d1c3e9a-7b2f-4c8d-9e0a-%012d", k), Number: contract.FormatNumber(int64(k + 1)),
		Party: contract.Party{Kind: contract.PartyAccount, ID: "ACC-0000000001"}, Status: contract.StatusActive, Version: 1,
		ValidFrom: &from, ValidTo: &to, CreatedAt: made, UpdatedAt: made,
		CreatedBy: "9f86d081884c7d659a2feaa0c55ad015", UpdatedBy: "9f86d081884c7d659a2feaa0c55ad015",
		Segments: []contract.Segment{{
			ID: fmt.Sprintf("8e2b4d6f-1a3c-4e5b-8d7f-%012d", k), PlanID: "16ad814a-dd1b-41c8-9b4b-4e8551170fee",
			Currencies: []string{"USD"}, EffectiveDate: "2026-02-01", ExpirationDate: "2027-02-01",
			BillingCycleDay: 1, BillingCycleType: "monthly", CreatedAt: made, UpdatedAt: made,
			CreatedBy: "9f86d081884c7d659a2feaa0c55ad015", UpdatedBy: "9f86d081884c7d659a2feaa0c55ad015",
		}},
	}
}

// BenchmarkWire measures the dialect's own work on a request, the scope
// of the performance target: decode and validate the body, map it to the
// domain, and encode the answer; no routing, logging, domain rules or
// store. The create is the sample's contract-actions request
// (infra/events/contract-actions.json), its answer rendered from the
// contract and action record the domain makes of it; the list encodes a
// full page of 20 such contracts, as the list route does.
func BenchmarkWire(b *testing.B) {
	h := NewHandler(nil, nil)
	made := time.Date(2026, 1, 15, 10, 30, 0, 123456789, time.UTC)
	now := made.Add(time.Hour)
	b.Run("easybilling/create", func(b *testing.B) {
		sample := httpapitest.ReadFile(b, "../../infra/events/contract-actions.json")
		r := &httpapi.Request{}
		if err := json.Unmarshal([]byte(sample), &r.Event); err != nil {
			b.Fatal(err)
		}
		c := benchContract(0, made)
		a := &contract.Action{
			TenantID: "demo", ID: "2c4e6a8b-0d1f-4a3b-9c5d-7e9f1a3b5c7d", Number: "CA-0000000001",
			AccountNumber: "ACC-0000000001", ContractID: c.ID, Type: "create-contract-with-plan",
			SegmentIDs: []string{c.Segments[0].ID}, Status: contract.StatusActive, CreatedAt: made, UpdatedAt: made,
			CreatedBy: c.CreatedBy, UpdatedBy: c.UpdatedBy,
		}
		// wire is the dialect's work: decode, validate, map to the
		// domain's request and to the action record's request.
		wire := func() []contract.Terms {
			call := &actionsCall{}
			if err := r.DecodeJSON(&call.in); err != nil {
				b.Fatal(err)
			}
			if err := h.check(&call.in); err != nil {
				b.Fatal(err)
			}
			a.Request = requestBody(r)
			req := domainRequest(&call.in, a.Request, "")
			var terms []contract.Terms
			for _, e := range req.Actions[0].Entries {
				terms = append(terms, e.Terms)
			}
			return terms
		}
		s := c.Segments[0]
		want := []contract.Terms{{PlanID: s.PlanID, Currencies: s.Currencies, EffectiveDate: s.EffectiveDate, ExpirationDate: s.ExpirationDate}}
		if terms := wire(); !reflect.DeepEqual(terms, want) {
			b.Fatalf("terms %+v, want %+v", terms, want)
		}
		b.ReportAllocs()
		for b.Loop() {
			wire()
			if _, err := httpapi.JSON(http.StatusOK, actionBodyOf(a, &c, namedOn, now)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("easybilling/list", func(b *testing.B) {
		page := contract.Page{Contracts: make([]contract.Contract, 20)}
		for i := range page.Contracts {
			page.Contracts[i] = benchContract(i, made)
		}
		page.Next = page.Contracts[len(page.Contracts)-1].Number
		b.ReportAllocs()
		for b.Loop() {
			if _, err := httpapi.JSON(http.StatusOK, pageOf(page, len(page.Contracts), namedOn, now)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
