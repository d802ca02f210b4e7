package kukkingu_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi/dialecttest"
)

// derivedClient is the shape of the client id another API's party shows.
var derivedClient = regexp.MustCompile(`^clnt_[0-9a-f]{24}$`)

// derivedIDOf is the Kukkingu id the README documents for another API's
// contract: "ctr_ct" and its number's digits zero-padded to 22.
func derivedIDOf(number string) string {
	return "ctr_ct000000000000" + strings.TrimPrefix(number, "CT-")
}

// TestOtherAPIsContractsInKukkinguSchema reads contracts as the other APIs
// store them, at the edges of each field's source, through every Kukkingu
// read: each answer is held to infra/openapi.yaml by api.do, and each
// field to the source the README's table names.
func TestOtherAPIsContractsInKukkinguSchema(t *testing.T) {
	service := contract.NewService(ddbtest.NewStore(t))
	today := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	service.Now = func() time.Time { return today }
	a := newAPIOver(t, service)
	actor := contract.Actor{TenantID: tenantA.id, CredentialID: "cred"}
	day := func(s string) *time.Time {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		return &d
	}
	at := func(s string) *time.Time { return dialecttest.Instant(t, s) }
	account := contract.Party{Kind: contract.PartyAccount, ID: "ACC-0000000001"}
	longReference := strings.Repeat("é", 127) + "x" // 255 bytes, 128 characters
	tests := []struct {
		name                 string
		c                    contract.Contract
		wantName             string
		wantCurrency         string
		wantFrom, wantTo     string
		sameClientAsPrevious bool
	}{
		{
			name: "EasyBilling: the currency of the segment in effect today, ending at midnight of its expirationDate",
			c: contract.Contract{ID: "979b1d96-1d82-4270-9d95-9db7c77fc237", Party: account, ValidFrom: day("2026-01-01"), ValidTo: day("2027-01-01"),
				Segments: []contract.Segment{
					{ID: "s1", EffectiveDate: "2026-01-01", ExpirationDate: "2027-01-01", Currencies: []string{"BRL", "USD"}},
					{ID: "s2", PreviousID: "s1", EffectiveDate: "2026-02-15", ExpirationDate: "2027-01-01", Currencies: []string{"USD"}},
					{ID: "s3", PreviousID: "s2", EffectiveDate: "2026-06-01", ExpirationDate: "2027-01-01", Currencies: []string{"EUR"}},
				}},
			wantCurrency: "USD", wantFrom: "2026-01-01T00:00:00.000Z", wantTo: "2027-01-01T00:00:00.000Z",
		},
		{
			name: "EasyBilling: before its first segment begins, and a currency not of ISO 4217's shape",
			c: contract.Contract{ID: "1a9b1d96-1d82-4270-9d95-9db7c77fc237", Party: account, ValidFrom: day("2027-01-01"), ValidTo: day("2027-02-01"),
				Segments: []contract.Segment{{ID: "s4", EffectiveDate: "2027-01-01", ExpirationDate: "2027-02-01", Currencies: []string{"usd"}}}},
			wantCurrency: "XXX", wantFrom: "2027-01-01T00:00:00.000Z", wantTo: "2027-02-01T00:00:00.000Z", sameClientAsPrevious: true,
		},
		{
			name: "Aira: no end, no currency",
			c: contract.Contract{ID: "2b9b1d96-1d82-4270-9d95-9db7c77fc237", Party: contract.Party{Kind: contract.PartyCustomer, ID: "3c9b1d96-1d82-4270-9d95-9db7c77fc237"},
				ValidFrom: day("2024-01-01"), PlanIDs: []string{"p"}},
			wantCurrency: "XXX", wantFrom: "2024-01-01T00:00:00.000Z",
		},
		{
			name: "fabric: named by its contractId, the longest one",
			c: contract.Contract{ID: "64f0c0ffee0000000000beef", Party: contract.Party{Kind: contract.PartyOrganization, ID: "ACC-0000000001"},
				Reference: longReference, ValidFrom: at("2024-01-01T00:00:00.123Z"), ValidTo: at("2024-12-31T23:59:59.999Z")},
			wantName: longReference, wantCurrency: "XXX", wantFrom: "2024-01-01T00:00:00.123Z", wantTo: "2024-12-31T23:59:59.999Z",
		},
	}
	own := a.create(tenantA, `{"clientId":"clnt_z2b3mo8qa5kzptgsu26q2wmh","name":"n","amountMinor":1,"currencyCode":"EUR"}`)
	ownNumber := "CT-0000000001"
	clients := dialecttest.DerivedParties{What: "client"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a.t = t
			c := tt.c
			dialecttest.CreateAsOwner(t, service, actor, &c)
			id := derivedIDOf(c.Number)
			if !idPattern.MatchString(id) {
				t.Fatalf("the derived id %s is not of Kukkingu's shape", id)
			}
			var listed map[string]any
			for _, item := range a.do(tenantA, "GET", "/api/v1/contracts?limit=100", "").Body["data"].([]any) {
				if item.(map[string]any)["id"] == id {
					listed = item.(map[string]any)
				}
			}
			if listed == nil {
				t.Fatalf("%s is not listed under %s", c.Number, id)
			}
			for _, ref := range []string{id, c.Number, c.ID} {
				r := a.do(tenantA, "GET", "/api/v1/contracts/"+ref, "")
				if r.Status != http.StatusOK {
					t.Fatalf("GET by %s: %d %v", ref, r.Status, r.Body)
				}
				got := r.Body["data"].(map[string]any)
				if keys(got) != keys(listed) {
					t.Errorf("GET by %s answers %v, the list %v", ref, got, listed)
				}
				for k, v := range listed {
					if got[k] != v {
						t.Errorf("GET by %s: %s is %v, listed as %v", ref, k, got[k], v)
					}
				}
			}
			wantName := tt.wantName
			if wantName == "" {
				wantName = c.Number
			}
			if listed["name"] != wantName || listed["amountMinor"] != float64(0) || listed["currencyCode"] != tt.wantCurrency {
				t.Errorf("name %v, amountMinor %v, currencyCode %v; want %s, 0, %s", listed["name"], listed["amountMinor"], listed["currencyCode"], wantName, tt.wantCurrency)
			}
			if tt.wantTo == "" {
				if _, ok := listed["validTo"]; ok {
					t.Errorf("validTo %v for a contract without an end", listed["validTo"])
				}
			} else if listed["validTo"] != tt.wantTo {
				t.Errorf("validTo %v, want %s", listed["validTo"], tt.wantTo)
			}
			if listed["validFrom"] != tt.wantFrom || listed["createdAt"] != "2026-03-01T12:00:00.000Z" {
				t.Errorf("validFrom %v, createdAt %v", listed["validFrom"], listed["createdAt"])
			}
			client, _ := listed["client"].(string)
			if !derivedClient.MatchString(client) || client == c.Party.ID {
				t.Errorf("client %q, want one derived from the party", client)
			}
			clients.Check(t, client, tt.name, tt.sameClientAsPrevious)
			// The derived client is no Kukkingu client: it filters nothing.
			if r := a.do(tenantA, "GET", "/api/v1/contracts?clientId="+client, ""); len(r.Body["data"].([]any)) != 0 {
				t.Errorf("clientId=%s lists %v", client, r.Body["data"])
			}
			// Kukkingu reads it and changes it not: by its derived id, a
			// write is refused as one on another API's contract.
			for _, method := range []string{"PATCH", "DELETE"} {
				body := ""
				if method == "PATCH" {
					body = `{"name":"Taken over"}`
				}
				r := a.do(tenantA, method, "/api/v1/contracts/"+id, body)
				if want := "CONTRACT_OWNED_BY_" + strings.ToUpper(string(c.Owner())); r.Status != http.StatusConflict || r.Body["code"] != want {
					t.Errorf("%s by the derived id: %d %v, want 409 %s", method, r.Status, r.Body, want)
				}
			}
		})
	}
	a.t = t
	// A derived id names only another API's contract: the derived form of
	// a Kukkingu contract's number, and one no number gives, are unknown.
	for _, id := range []string{derivedIDOf(ownNumber), "ctr_ct100000000000" + "0000000001", derivedIDOf("CT-0000000099")} {
		for _, method := range []string{"GET", "PATCH", "DELETE"} {
			body := ""
			if method == "PATCH" {
				body = `{"name":"n2"}`
			}
			if r := a.do(tenantA, method, "/api/v1/contracts/"+id, body); r.Status != http.StatusNotFound {
				t.Errorf("%s %s: %d %v, want 404", method, id, r.Status, r.Body)
			}
		}
	}
	if r := a.do(tenantA, "GET", "/api/v1/contracts/"+own["id"].(string), ""); r.Status != http.StatusOK || r.Body["data"].(map[string]any)["name"] != "n" {
		t.Errorf("the Kukkingu contract changed: %d %v", r.Status, r.Body)
	}
	// Tenant B reads none of tenant A's contracts by their derived ids.
	for n := 1; n <= len(tests)+1; n++ {
		if r := a.do(tenantB, "GET", "/api/v1/contracts/"+derivedIDOf(contract.FormatNumber(int64(n))), ""); r.Status != http.StatusNotFound {
			t.Errorf("tenant B reads %s: %d", contract.FormatNumber(int64(n)), r.Status)
		}
	}
}
