package endpoints_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
	"github.com/contracts-service/contracts/shared/idempotency"
)

// TestEveryFailingFieldAtOnce: a body's type errors, pair rules and value
// errors are answered together, so a client fixes its request in one
// round, not one refusal at a time.
func TestEveryFailingFieldAtOnce(t *testing.T) {
	store := ddbtest.NewStore(t)
	creates, actions, organizations, _ := contractsOfEveryAPI(t, store)
	verbatim := httpapitest.ReadFile(t, "../aira/testdata/seed-verbatim.json")
	for _, tt := range []struct {
		name string
		c    client
		path string
		body string
		want []string // fields that must all be named
	}{
		{"Kukkingu: a string amount beside a bad currency", creates, "/api/v1/contracts",
			`{"clientId":"c","name":"n","amountMinor":"5000","currencyCode":"EURO"}`, []string{"amountMinor", "currencyCode"}},
		{"Kukkingu: an unknown key beside a missing name", creates, "/api/v1/contracts",
			`{"clientId":"c","amountMinor":1,"currencyCode":"EUR","colour":"red"}`, []string{"colour", "name"}},
		// The Aira seed's request as its documentation shows it: both
		// of each pair, and placeholders where a CNPJ and a CEP go.
		{"Aira: the seed's request verbatim", creates, "/v1/contracts/", verbatim,
			[]string{"customer", "paymentAccount", "paymentAccount.taxId", "paymentAccount.address.zipCode"}},
		{"fabric: a numeric contractId beside a bad status and attributes", organizations, "/v1/organizations/org-1/contracts",
			`{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z","contractId":7,"status":"NEW","additionalAttributes":[]}`,
			[]string{"contractId", "status", "additionalAttributes"}},
		{"EasyBilling: a numeric account beside an unknown action type", actions, "/api/contract-actions",
			`{"accountNumber":1,"actions":[{"type":"suspend"}]}`, []string{"accountNumber", "actions[0].type"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.t = t
			r := tt.c.do("POST", tt.path, "", tt.body)
			var p struct {
				Errors []struct{ Field string } `json:"errors"`
			}
			json.Unmarshal([]byte(r.Body), &p)
			var named []string
			for _, f := range p.Errors {
				named = append(named, f.Field)
			}
			for _, f := range tt.want {
				if r.StatusCode != 400 || !slices.Contains(named, f) {
					t.Errorf("%d naming %v, want 400 naming %v: %s", r.StatusCode, named, tt.want, r.Body)
					break
				}
			}
		})
	}
}

// TestEveryRouteRefusesWhatItCannotRead: on every route of every API, an
// identifier that is not UTF-8 once decoded (API Gateway passes %FF on
// as the byte) and, on every write, an Idempotency-Key outside printable
// ASCII are 400s naming it, as infra/openapi.yaml declares for each
// route (every exchange is checked against it).
func TestEveryRouteRefusesWhatItCannotRead(t *testing.T) {
	for name, rt := range httpRouters(ddbtest.NewStore(t)) {
		c := client{t, rt, "tenant-a"}
		for _, route := range rt.RouteKeys() {
			method, template, _ := strings.Cut(route, " ")
			t.Run(name+" "+route, func(t *testing.T) {
				c.t = t
				if strings.Contains(template, "{") {
					resp := c.do(method, fillParams(template, "%FF"), "", `{}`)
					if resp.StatusCode != http.StatusBadRequest {
						t.Errorf("an identifier that is not UTF-8: %d %s", resp.StatusCode, resp.Body)
					}
				}
				if method == "GET" {
					return
				}
				resp := c.do(method, fillParams(template, "one"), "clé", `{}`)
				var body map[string]any
				_ = json.Unmarshal([]byte(resp.Body), &body)
				if resp.StatusCode != http.StatusBadRequest || !slices.Contains(httpapitest.ProblemFields(body), idempotency.HeaderKey) {
					t.Errorf("a key outside printable ASCII: %d %s", resp.StatusCode, resp.Body)
				}
			})
		}
	}
}
