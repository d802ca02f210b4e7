package endpoints_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// kukkinguIDOf is a contract's Kukkingu id as the README documents it: a
// Kukkingu contract's own, and for another API's, "ctr_ct" and its
// number's digits zero-padded to 22.
func kukkinguIDOf(m made) string {
	if m.api == contract.APIKukkingu {
		return m.id
	}
	return "ctr_ct000000000000" + strings.TrimPrefix(m.number, "CT-")
}

// easyBillingIDOf is a contract's id in EasyBilling's answers as the
// README documents it: an EasyBilling contract's own, and for another
// API's, "00000000-0000-8000-8000-" and its number's digits zero-padded
// to 12.
func easyBillingIDOf(m made) string {
	if m.api == contract.APIEasyBilling {
		return m.id
	}
	return "00000000-0000-8000-8000-00" + strings.TrimPrefix(m.number, "CT-")
}

// TestEveryDialectReadsEveryContract creates a contract through every
// API and reads each through every API that can see it, every answer
// checked against infra/openapi.yaml (client.do): Kukkingu by its
// Kukkingu id, by number, by the id its API gave it, and in its list;
// EasyBilling by its EasyBilling id, by number and by the id its API gave
// it, under each of its base paths, and in its account's list. Aira and
// fabric see only their own. Kukkingu's and EasyBilling's answers hold
// each field to the source the README's table names.
func TestEveryDialectReadsEveryContract(t *testing.T) {
	store := ddbtest.NewStore(t)
	creates, actions, organizations, all := contractsOfEveryAPI(t, store)
	decode := func(r string) map[string]any {
		var body map[string]any
		if err := json.Unmarshal([]byte(r), &body); err != nil {
			t.Fatal(err)
		}
		return body
	}
	listed := map[string]map[string]any{}
	for _, item := range decode(creates.do("GET", "/api/v1/contracts?limit=100", "", "").Body)["data"].([]any) {
		c := item.(map[string]any)
		listed[c["id"].(string)] = c
	}
	if len(listed) != len(all) {
		t.Fatalf("Kukkingu lists %d contracts, want %d: %v", len(listed), len(all), listed)
	}
	// What each API's contract shows in Kukkingu's fields (the README's
	// table): contractsOfEveryAPI's Kukkingu seed body, Aira's seed, a
	// fabric contract C-1 and an EasyBilling one in USD.
	want := map[contract.API]struct {
		name     string
		amount   float64
		currency string
	}{
		contract.APIKukkingu:    {"Standard Service Contract", 5000, "EUR"},
		contract.APIAira:        {"CT-0000000002", 0, "XXX"},
		contract.APIFabric:      {"C-1", 0, "XXX"},
		contract.APIEasyBilling: {"CT-0000000004", 0, "USD"},
	}
	millis := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	clients := map[string]contract.API{}
	for _, m := range all {
		t.Run(string(m.api), func(t *testing.T) {
			creates.t, actions.t, organizations.t = t, t, t
			id := kukkinguIDOf(m)
			got, ok := listed[id]
			if !ok {
				t.Fatalf("Kukkingu lists no contract %s", id)
			}
			w := want[m.api]
			if got["name"] != w.name || got["amountMinor"] != w.amount || got["currencyCode"] != w.currency {
				t.Errorf("Kukkingu shows name %v, amountMinor %v, currencyCode %v; want %s, %v, %s",
					got["name"], got["amountMinor"], got["currencyCode"], w.name, w.amount, w.currency)
			}
			for _, field := range []string{"createdAt", "updatedAt", "validFrom", "validTo"} {
				if v, ok := got[field]; ok && !millis.MatchString(v.(string)) {
					t.Errorf("%s %v, not to the millisecond", field, v)
				}
			}
			client := got["client"].(string)
			if other, ok := clients[client]; ok {
				t.Errorf("client %s shows for %s's contract and %s's", client, m.api, other)
			}
			clients[client] = m.api
			if m.api != contract.APIKukkingu && (!strings.HasPrefix(client, "clnt_") || len(client) != len("clnt_")+24) {
				t.Errorf("client %s, not of Kukkingu's shape", client)
			}
			for _, ref := range []string{id, m.number, m.id} {
				r := creates.do("GET", "/api/v1/contracts/"+ref, "", "")
				if r.StatusCode != http.StatusOK {
					t.Errorf("Kukkingu GET by %s: %d %s", ref, r.StatusCode, r.Body)
					continue
				}
				data, _ := json.Marshal(decode(r.Body)["data"])
				listedAs, _ := json.Marshal(got)
				if string(data) != string(listedAs) {
					t.Errorf("Kukkingu GET by %s answers %s, the list %s", ref, data, listedAs)
				}
			}
			// EasyBilling: every base path and every id answer the same,
			// but for the sandbox's names of the timestamps.
			var eb map[string]any
			for _, base := range []string{"/api", "/billing/api", "/payment-hub/api"} {
				for _, ref := range []string{easyBillingIDOf(m), m.number, m.id} {
					r := actions.do("GET", base+"/contracts/"+ref, "", "")
					if r.StatusCode != http.StatusOK {
						t.Errorf("EasyBilling GET %s/contracts/%s: %d %s", base, ref, r.StatusCode, r.Body)
						continue
					}
					body := r.Body
					if base == "/payment-hub/api" {
						body = strings.NewReplacer(`"createdAt"`, `"createdOn"`, `"updatedAt"`, `"updatedOn"`).Replace(body)
					}
					if eb == nil {
						eb = decode(body)
						continue
					}
					if got := decode(body); !reflect.DeepEqual(got, eb) {
						t.Errorf("EasyBilling GET %s/contracts/%s answers %v, by its id %v", base, ref, got, eb)
					}
				}
			}
			checkEasyBillingFields(t, m, eb)
			// An account's list shows its own contracts: the account
			// another API's party shows as names none.
			r := actions.do("GET", "/api/contracts?accountNumber="+eb["accountNumber"].(string), "", "")
			var numbers []any
			for _, item := range decode(r.Body)["items"].([]any) {
				numbers = append(numbers, item.(map[string]any)["contractNumber"])
			}
			var want []any
			if m.api == contract.APIEasyBilling {
				want = []any{m.number}
			}
			if !reflect.DeepEqual(numbers, want) {
				t.Errorf("EasyBilling lists %v for %s, %s's contract's account; want %v", numbers, eb["accountNumber"], m.api, want)
			}
			aira := http.StatusNotFound
			if m.api == contract.APIAira {
				aira = http.StatusOK
			}
			if r := creates.do("GET", "/v1/contracts/"+m.id, "", ""); r.StatusCode != aira {
				t.Errorf("Aira GET %s: %d %s, want %d", m.id, r.StatusCode, r.Body, aira)
			}
			fabric := http.StatusNotFound
			if m.api == contract.APIFabric {
				fabric = http.StatusOK
			}
			for _, base := range []string{"", "/data-customer"} {
				for _, ref := range []string{m.id, m.number} {
					if m.api == contract.APIFabric && ref == m.number {
						ref = "C-1" // fabric names its contracts by _id or contractId
					}
					if r := organizations.do("GET", base+"/v1/organizations/org-1/contracts/"+ref, "", ""); r.StatusCode != fabric {
						t.Errorf("fabric GET %s: %d %s, want %d", ref, r.StatusCode, r.Body, fabric)
					}
				}
			}
		})
	}
}

// checkEasyBillingFields holds what EasyBilling shows of m's contract,
// got, to the sources the README's table names: contractsOfEveryAPI's
// Kukkingu seed body (no dates), Aira's seed (2023-12-25, one day, on the
// demo plan), a DRAFT fabric contract C-1 of 2024, and an EasyBilling one
// of 2090 in USD.
func checkEasyBillingFields(t *testing.T, m made, got map[string]any) {
	t.Helper()
	created, _ := got["createdOn"].(string)
	if len(created) < len("2006-01-02") {
		t.Fatalf("createdOn %v", got["createdOn"])
	}
	want := map[contract.API]struct {
		from, to, status, currency, plan string
	}{
		contract.APIKukkingu:    {created[:len("2006-01-02")], "9999-12-31", "active", "EUR", "00000000-0000-0000-0000-000000000000"},
		contract.APIAira:        {"2023-12-25", "2023-12-26", "expired", "XXX", ownershipPlan},
		contract.APIFabric:      {"2024-01-01", "2024-12-31", "expired", "XXX", "00000000-0000-0000-0000-000000000000"},
		contract.APIEasyBilling: {"2090-01-01", "2091-01-01", "active", "USD", ownershipPlan},
	}[m.api]
	account, _ := got["accountNumber"].(string)
	switch {
	case m.api == contract.APIEasyBilling && account != "ACC-0000000001",
		m.api != contract.APIEasyBilling && (!regexp.MustCompile(`^ACC-\d{10}$`).MatchString(account) || account == "ACC-0000000001"):
		t.Errorf("accountNumber %s", account)
	}
	if got["id"] != easyBillingIDOf(m) || got["effectiveDate"] != want.from || got["expirationDate"] != want.to || got["status"] != want.status {
		t.Errorf("EasyBilling shows id %v, %v to %v, %v; want %s, %s to %s, %s",
			got["id"], got["effectiveDate"], got["expirationDate"], got["status"], easyBillingIDOf(m), want.from, want.to, want.status)
	}
	segments, _ := got["contractSegments"].([]any)
	if len(segments) != 1 {
		t.Fatalf("%d segments, want 1", len(segments))
	}
	seg := segments[0].(map[string]any)
	if seg["accountNumber"] != account || seg["effectiveDate"] != want.from || seg["expirationDate"] != want.to || seg["status"] != want.status ||
		!reflect.DeepEqual(seg["currency"], []any{want.currency}) || seg["planId"] != want.plan || seg["billingCycleType"] != "monthly" {
		t.Errorf("its segment %v; want %s to %s, %s, [%s], plan %s, monthly", seg, want.from, want.to, want.status, want.currency, want.plan)
	}
}
