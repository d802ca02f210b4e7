package easybilling_test

import (
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi/dialecttest"
)

var (
	// derivedAccount is the shape of the account number another API's
	// party shows: EasyBilling's own, ACC- and ten digits.
	derivedAccount = regexp.MustCompile(`^ACC-\d{10}$`)
	// datePattern is EasyBilling's date, a calendar day.
	datePattern = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`)
)

// derivedIDOf and derivedSegmentIDOf are the ids the README documents for
// another API's contract and its segment: version 8 UUIDs carrying the
// number's digits, zero-padded to 12.
func derivedIDOf(number string) string {
	return "00000000-0000-8000-8000-00" + strings.TrimPrefix(number, "CT-")
}

func derivedSegmentIDOf(number string) string {
	return "00000000-0000-8000-8001-00" + strings.TrimPrefix(number, "CT-")
}

// TestOtherAPIsContractsInEasyBillingSchema reads contracts as the other
// APIs store them, at the edges of each field's source, through every
// EasyBilling read: by number, by the id their API gave them and by the
// id derived for them, under each base path. Each answer is held to
// infra/openapi.yaml by api.do, and each field to the source the
// README's table names. Their dates are far from today, so the day the
// test runs does not change what they read as.
func TestOtherAPIsContractsInEasyBillingSchema(t *testing.T) {
	a := newAPI(t)
	service := contract.NewService(a.store)
	actor := contract.Actor{TenantID: tenantA.id, CredentialID: tenantA.credential()}
	at := func(s string) *time.Time { return dialecttest.Instant(t, s) }
	client := contract.Party{Kind: contract.PartyClient, ID: "clnt_z2b3mo8qa5kzptgsu26q2wmh"}
	org := contract.Party{Kind: contract.PartyOrganization, ID: "org-1"}
	tests := []struct {
		name string
		c    contract.Contract
		// wantFrom empty: the day the contract was created.
		wantFrom, wantTo, wantStatus, wantCurrency, wantPlan string
		sameAccountAsPrevious                                bool
	}{
		{
			name: "Kukkingu: its currency, no end, a start inside a day",
			c: contract.Contract{ID: "ctr_z23aoo8naxk68ewcr64tchh5", Party: client, Name: "n", Status: contract.StatusActive,
				Amount: &contract.Money{Minor: 5000, Currency: "EUR"}, ValidFrom: at("2024-01-01T14:48:00.000Z")},
			wantFrom: "2024-01-01", wantTo: "9999-12-31", wantStatus: "active", wantCurrency: "EUR", wantPlan: noPlanID,
		},
		{
			name: "Kukkingu: no start, an end inside a day, a currency not of ISO 4217's shape",
			c: contract.Contract{ID: "ctr_a23aoo8naxk68ewcr64tchh5", Party: client, Name: "n", Status: contract.StatusActive,
				Amount: &contract.Money{Minor: 1, Currency: "eur"}, ValidTo: at("2089-12-31T23:59:59.999Z")},
			wantTo: "2090-01-01", wantStatus: "active", wantCurrency: "XXX", wantPlan: noPlanID, sameAccountAsPrevious: true,
		},
		{
			name: "Kukkingu: no start, ended before it was made",
			c: contract.Contract{ID: "ctr_b23aoo8naxk68ewcr64tchh5", Party: client, Name: "n", Status: contract.StatusActive,
				Amount: &contract.Money{Minor: 1, Currency: "USD"}, ValidTo: at("2020-01-01T00:00:00.000Z")},
			wantFrom: "2020-01-01", wantTo: "2020-01-01", wantStatus: "expired", wantCurrency: "USD", wantPlan: noPlanID, sameAccountAsPrevious: true,
		},
		{
			name: "Aira: a draft whose end has come, its first plan",
			c: contract.Contract{ID: "2b9b1d96-1d82-4270-9d95-9db7c77fc237", Party: contract.Party{Kind: contract.PartyCustomer, ID: "3c9b1d96-1d82-4270-9d95-9db7c77fc237"},
				Status: contract.StatusDraft, PlanIDs: []string{seedPlan, proPlan}, ValidFrom: at("2024-01-31T00:00:00Z"), ValidTo: at("2025-01-01T00:00:00Z")},
			wantFrom: "2024-01-31", wantTo: "2025-01-01", wantStatus: "expired", wantCurrency: "XXX", wantPlan: seedPlan,
		},
		{
			name: "Aira: canceled, no end",
			c: contract.Contract{ID: "4d9b1d96-1d82-4270-9d95-9db7c77fc237", Party: contract.Party{Kind: contract.PartyCustomer, ID: "5e9b1d96-1d82-4270-9d95-9db7c77fc237"},
				Status: contract.StatusCanceled, PlanIDs: []string{proPlan}, ValidFrom: at("2024-02-29T00:00:00Z")},
			wantFrom: "2024-02-29", wantTo: "9999-12-31", wantStatus: "canceled", wantCurrency: "XXX", wantPlan: proPlan,
		},
		{
			name: "fabric: INACTIVE before its end",
			c: contract.Contract{ID: "64f0c0ffee0000000000beef", Party: org, Reference: "C-1", Status: contract.StatusInactive,
				ValidFrom: at("2024-03-15T10:00:00.000Z"), ValidTo: at("2090-03-15T10:00:00.500Z")},
			wantFrom: "2024-03-15", wantTo: "2090-03-16", wantStatus: "canceled", wantCurrency: "XXX", wantPlan: noPlanID,
		},
		{
			name: "fabric: DRAFT, of the same organization",
			c: contract.Contract{ID: "64f0c0ffee0000000000bee0", Party: org, Reference: "C-2", Status: contract.StatusDraft,
				ValidFrom: at("2090-01-01T00:00:00.000Z"), ValidTo: at("2091-01-01T00:00:00.000Z")},
			wantFrom: "2090-01-01", wantTo: "2091-01-01", wantStatus: "canceled", wantCurrency: "XXX", wantPlan: noPlanID, sameAccountAsPrevious: true,
		},
		{
			name: "fabric: ACTIVE, ending at the last instant the dates can write",
			c: contract.Contract{ID: "64f0c0ffee0000000000bee1", Party: contract.Party{Kind: contract.PartyOrganization, ID: "org-2"}, Reference: "C-3",
				Status: contract.StatusActive, ValidFrom: at("2024-01-01T00:00:00.000Z"), ValidTo: at("9999-12-31T23:59:59.999Z")},
			wantFrom: "2024-01-01", wantTo: "9999-12-31", wantStatus: "active", wantCurrency: "XXX", wantPlan: noPlanID,
		},
	}
	own := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	accounts := dialecttest.DerivedParties{What: "account"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tt.c
			dialecttest.CreateAsOwner(t, service, actor, &c)
			id := derivedIDOf(c.Number)
			got := a.contract(t, tenantA, prod, c.Number)
			// Every read answers the same, but for the naming of the
			// timestamps under the sandbox's path.
			for _, prefix := range []string{prod, hub, "/billing/api"} {
				for _, ref := range []string{c.Number, c.ID, id} {
					again := a.contract(t, tenantA, prefix, ref)
					if prefix == hub {
						again = renamed(again, namedAt, namedOn).(map[string]any)
					}
					if !reflect.DeepEqual(again, got) {
						t.Errorf("GET %s/contracts/%s answers %v, by number %v", prefix, ref, again, got)
					}
				}
			}
			checkAudit(t, got, namedOn, tenantA)
			account, _ := got["accountNumber"].(string)
			wantFrom := tt.wantFrom
			if wantFrom == "" {
				wantFrom = got["createdOn"].(string)[:len("2006-01-02")]
			}
			if got["id"] != id || got["contractNumber"] != c.Number || !derivedAccount.MatchString(account) ||
				got["effectiveDate"] != wantFrom || got["expirationDate"] != tt.wantTo || got["status"] != tt.wantStatus {
				t.Errorf("id %v, number %v, account %v, %v to %v, %v; want %s, %s, an ACC- number, %s to %s, %s",
					got["id"], got["contractNumber"], account, got["effectiveDate"], got["expirationDate"], got["status"],
					id, c.Number, wantFrom, tt.wantTo, tt.wantStatus)
			}
			segs := segments(t, got)
			if len(segs) != 1 {
				t.Fatalf("%d segments, want one spanning the contract", len(segs))
			}
			seg := segs[0]
			from, err := time.Parse(time.DateOnly, wantFrom)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]any{
				"accountNumber": account, "contractNumber": c.Number, "previousContractSegmentId": nil,
				"effectiveDate": wantFrom, "expirationDate": tt.wantTo, "currency": []any{tt.wantCurrency},
				"planId": tt.wantPlan, "billingCycleDay": float64(from.Day()), "billingCycleType": "monthly",
				"status": tt.wantStatus, "id": derivedSegmentIDOf(c.Number),
				"createdOn": got["createdOn"], "updatedOn": got["updatedOn"], "createdBy": got["createdBy"], "updatedBy": got["updatedBy"],
			}
			if !reflect.DeepEqual(seg, want) {
				t.Errorf("the segment is %v, want %v", seg, want)
			}
			for _, d := range []any{got["effectiveDate"], got["expirationDate"]} {
				if s, _ := d.(string); !datePattern.MatchString(s) {
					t.Errorf("date %v is not a calendar day", d)
				}
			}
			accounts.Check(t, account, tt.name, tt.sameAccountAsPrevious)
			// The derived account names no EasyBilling account: its list
			// shows none of the party's contracts.
			if listed := a.list(t, tenantA, prod, account, 20); len(listed) != 0 {
				t.Errorf("accountNumber=%s lists %v", account, listed)
			}
			// EasyBilling reads it and changes it not: by number, by the
			// id its API gave it and by its derived id, an action is
			// refused as one on another API's contract, whatever account
			// the request names, and changes nothing.
			owner := "CONTRACT_OWNED_BY_" + strings.ToUpper(string(c.Owner()))
			for _, ref := range []obj{{"contractNumber": c.Number}, {"contractId": c.ID}, {"contractId": id}} {
				for _, acct := range []string{account, "ACC-1"} {
					r := a.do(t, tenantA, "POST", prod+"/contract-actions", request(t, acct,
						act1("cancel", with(ref, "effectiveDate", "2091-06-30"))))
					field := "contractNumber"
					if _, ok := ref["contractId"]; ok {
						field = "contractId"
					}
					refused(t, r, http.StatusConflict, "actions[0].cancel[0]."+field)
					if r.Body["code"] != owner {
						t.Errorf("%v for %s: code %v, want %s", ref, acct, r.Body["code"], owner)
					}
				}
			}
			if again := a.contract(t, tenantA, prod, id); !reflect.DeepEqual(again, got) {
				t.Errorf("refused actions changed it: %v, was %v", again, got)
			}
			// Another tenant reads none of it.
			for _, ref := range []string{c.Number, c.ID, id} {
				refused(t, a.do(t, tenantB, "GET", prod+"/contracts/"+ref, ""), http.StatusNotFound)
			}
		})
	}
	// A derived id names only another API's contract: the derived form of
	// an EasyBilling contract's number, one no number gives, and one of a
	// number no contract has are unknown, read or acted on.
	for _, ref := range []string{derivedIDOf(own["contractNumber"].(string)), "00000000-0000-8000-8000-100000000001", derivedIDOf("CT-0000000999")} {
		refused(t, a.do(t, tenantA, "GET", prod+"/contracts/"+ref, ""), http.StatusNotFound)
		r := a.do(t, tenantA, "POST", prod+"/contract-actions", request(t, "ACC-1",
			act1("cancel", obj{"contractId": ref, "effectiveDate": "2090-06-30"})))
		refused(t, r, http.StatusNotFound, "actions[0].cancel[0].contractId")
	}
	// The EasyBilling contract reads as it was made, by its own id.
	if got := a.contract(t, tenantA, prod, own["id"].(string)); !uuidPattern.MatchString(got["id"].(string)) ||
		got["accountNumber"] != "ACC-1" || got["contractNumber"] != own["contractNumber"] || got["status"] != "active" {
		t.Errorf("the EasyBilling contract reads %v", got)
	}
}

// noPlanID is the planId of a contract that names no plan: RFC 9562's
// Nil UUID.
const noPlanID = "00000000-0000-0000-0000-000000000000"
