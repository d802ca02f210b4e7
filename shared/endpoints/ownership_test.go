package endpoints_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// ownershipPlan is in the tenant's catalog, so EasyBilling and Aira
// creates succeed.
const ownershipPlan = "3c90c3cc-0d44-4b50-8888-8dd25736052a"

// made is a contract one API made: its number and its public id.
type made struct {
	api        contract.API
	number, id string
}

// contractsOfEveryAPI creates one contract through each API and returns
// them with the clients of the three functions.
func contractsOfEveryAPI(t *testing.T, store *ddb.Store) (creates, actions, organizations client, all []made) {
	t.Helper()
	ctx := context.Background()
	ddbtest.PutPlans(t, store, "tenant-a", []contract.Plan{{ID: ownershipPlan, Name: "Pro", Currencies: []string{"BRL", "USD"}}})
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	creates = client{t, endpoints.CreateContract(store, log), "tenant-a"}
	actions = client{t, endpoints.ContractActions(store, log), "tenant-a"}
	organizations = client{t, endpoints.OrganizationContracts(store, log), "tenant-a"}
	created := func(r events.APIGatewayV2HTTPResponse, status int) map[string]any {
		t.Helper()
		if r.StatusCode != status {
			t.Fatalf("create: %d %s", r.StatusCode, r.Body)
		}
		var body map[string]any
		json.Unmarshal([]byte(r.Body), &body)
		return body
	}
	k := created(creates.do("POST", "/api/v1/contracts", "", seedBody), 201)["data"].(map[string]any)
	seed := httpapitest.ReadFile(t, "../aira/testdata/seed-create.json")
	a := created(creates.do("POST", "/v1/contracts/", "", seed), 201)["contract"].(map[string]any)
	f := created(organizations.do("POST", "/v1/organizations/org-1/contracts", "",
		`{"contractId":"C-1","startDate":"2024-01-01T00:00:00.000Z","endDate":"2024-12-31T00:00:00.000Z"}`), 200)
	e := created(actions.do("POST", "/api/contract-actions", "", `{"accountNumber":"ACC-0000000001","actions":[{"type":"create-contract-with-plan",
		"createContractWithPlan":[{"planId":"`+ownershipPlan+`","effectiveDate":"2090-01-01","expirationDate":"2091-01-01","currency":["USD"]}]}]}`), 200)["contractInfo"].(map[string]any)
	all = []made{
		{contract.APIKukkingu, "CT-0000000001", k["id"].(string)},
		{contract.APIAira, "CT-0000000002", a["id"].(string)},
		{contract.APIFabric, "CT-0000000003", f["_id"].(string)},
		{contract.APIEasyBilling, "CT-0000000004", e["id"].(string)},
	}
	for _, m := range all {
		if c, err := store.GetContract(ctx, "tenant-a", m.number); err != nil || c.ID != m.id || c.Owner() != m.api {
			t.Fatalf("%s's contract %s: %+v %v", m.api, m.number, c, err)
		}
	}
	return creates, actions, organizations, all
}

// writeCase is how a write route addresses an existing contract, and
// which API the route belongs to.
type writeCase struct {
	api    contract.API
	target func(ref string) string
	body   func(ref string) string
	// unreachable is set for routes that address contracts only within
	// their own scope (fabric's organization): another API's contract is
	// not found there at all.
	unreachable bool
}

func ebAction(typ, entry string) func(string) string {
	key := map[string]string{"switch-plan": "switchPlan", "renew": "renew", "early-renew": "earlyRenew",
		"update-price": "updatePrice", "cancel": "cancel"}[typ]
	return func(ref string) string {
		return `{"accountNumber":"ACC-0000000001","actions":[{"type":"` + typ + `","` + key + `":[{"contractNumber":"` + ref + `",` + entry + `}]}]}`
	}
}

// TestWritesRefuseAnotherAPIsContract walks every write route of every
// function against a contract of every other API, by its number, by its
// own id and, on Kukkingu's and EasyBilling's routes, by the id it shows
// there: a contract is changed only through the API that made it. Routes
// that can name it answer 409 with a code naming the owner; fabric's,
// which reach only their organization's contracts, do not find it.
// Either way the contract is left exactly as it was.
func TestWritesRefuseAnotherAPIsContract(t *testing.T) {
	store := ddbtest.NewStore(t)
	creates, actions, organizations, all := contractsOfEveryAPI(t, store)
	airaReplace := func(string) string {
		seed, _ := os.ReadFile("../aira/testdata/seed-create.json")
		var body map[string]any
		json.Unmarshal(seed, &body)
		out, _ := json.Marshal(map[string]any{"contract": body["contract"]})
		return string(out)
	}
	none := func(string) string { return "" }
	path := func(prefix string) func(string) string { return func(ref string) string { return prefix + ref } }
	// Each write route of template.yaml that acts on an existing
	// contract; creates make a contract of their own API.
	cases := map[string]writeCase{
		"PATCH /api/v1/contracts/{contractId}":  {contract.APIKukkingu, path("/api/v1/contracts/"), func(string) string { return `{"name":"Taken over"}` }, false},
		"DELETE /api/v1/contracts/{contractId}": {contract.APIKukkingu, path("/api/v1/contracts/"), none, false},
		"PUT /v1/contracts/{id}":                {contract.APIAira, path("/v1/contracts/"), airaReplace, false},
		"POST /v1/contracts/{id}/cancel":        {contract.APIAira, func(ref string) string { return "/v1/contracts/" + ref + "/cancel" }, none, false},
		"POST /v1/contracts/{id}/activate":      {contract.APIAira, func(ref string) string { return "/v1/contracts/" + ref + "/activate" }, none, false},
	}
	for _, base := range []string{"", "/data-customer"} {
		org := base + "/v1/organizations/org-1/contracts/"
		cases["PUT "+base+"/v1/organizations/{organizationId}/contracts/{contractId}"] = writeCase{contract.APIFabric, path(org), func(string) string { return `{"status":"ACTIVE"}` }, true}
		cases["DELETE "+base+"/v1/organizations/{organizationId}/contracts/{contractId}"] = writeCase{contract.APIFabric, path(org), none, true}
		cases["POST "+base+"/v1/organizations/{organizationId}/contracts/{contractId}/resurrect"] = writeCase{contract.APIFabric, func(ref string) string { return org + ref + "/resurrect" }, none, true}
	}
	creating := map[string]bool{
		"POST /api/v1/contracts": true, "POST /v1/contracts": true, "POST /v1/contracts/": true,
		"POST /v1/customers": true, "POST /v1/customers/": true,
		"POST /v1/organizations/{organizationId}/contracts": true, "POST /data-customer/v1/organizations/{organizationId}/contracts": true,
	}
	// EasyBilling changes contracts through the actions of one route per
	// variant; every change type is walked on each.
	ebTypes := map[string]func(string) string{
		"switch-plan":  ebAction("switch-plan", `"planId":"`+ownershipPlan+`","effectiveDate":"2090-06-01","currency":["USD"]`),
		"renew":        ebAction("renew", `"effectiveDate":"2091-01-01","expirationDate":"2092-01-01"`),
		"early-renew":  ebAction("early-renew", `"effectiveDate":"2090-06-01","expirationDate":"2092-01-01"`),
		"update-price": ebAction("update-price", `"contractSegmentId":"seg","contractPrice":10,"effectiveDate":"2090-06-01"`),
		"cancel":       ebAction("cancel", `"effectiveDate":"2090-06-01"`),
	}
	for _, route := range []string{"POST /api/contract-actions", "POST /payment-hub/api/contract-actions", "POST /billing/api/contract-actions"} {
		for typ, body := range ebTypes {
			_, p, _ := strings.Cut(route, " ")
			cases[route+" "+typ] = writeCase{contract.APIEasyBilling, func(string) string { return p }, body, false}
		}
		creating[route] = false // walked above, per action type
	}
	routers := map[contract.API]client{contract.APIKukkingu: creates, contract.APIAira: creates,
		contract.APIFabric: organizations, contract.APIEasyBilling: actions}
	// No write route is left out: a new one must say how it addresses a
	// contract, or that it only creates.
	for _, c := range []client{creates, actions, organizations} {
		for _, route := range c.rt.RouteKeys() {
			if strings.HasPrefix(route, "GET ") || creating[route] {
				continue
			}
			if _, ok := cases[route]; !ok && !strings.Contains(route, "contract-actions") {
				t.Errorf("write route %s is not walked", route)
			}
		}
	}
	for name, wc := range cases {
		for _, m := range all {
			if m.api == wc.api {
				continue
			}
			refs := []string{m.number, m.id}
			switch wc.api {
			case contract.APIKukkingu:
				refs = append(refs, kukkinguIDOf(m)) // the id Kukkingu shows it under
			case contract.APIEasyBilling:
				refs = append(refs, easyBillingIDOf(m)) // the id EasyBilling shows it under
			}
			for _, ref := range refs {
				t.Run(name+" on "+string(m.api)+" "+ref, func(t *testing.T) {
					before, err := store.GetContract(context.Background(), "tenant-a", m.number)
					if err != nil {
						t.Fatal(err)
					}
					method, _, _ := strings.Cut(name, " ")
					c := routers[wc.api]
					c.t = t
					r := c.do(method, wc.target(ref), "", wc.body(ref))
					var problem map[string]any
					json.Unmarshal([]byte(r.Body), &problem)
					switch {
					case wc.unreachable:
						if r.StatusCode != http.StatusNotFound {
							t.Errorf("%d %s, want 404: the route reaches only its own scope", r.StatusCode, r.Body)
						}
					default:
						want := "CONTRACT_OWNED_BY_" + strings.ToUpper(string(m.api))
						if r.StatusCode != http.StatusConflict || problem["code"] != want {
							t.Errorf("%d %s, want 409 with code %s", r.StatusCode, r.Body, want)
						}
					}
					after, err := store.GetContract(context.Background(), "tenant-a", m.number)
					if err != nil || after.Version != before.Version || after.Deleted() || after.Status != before.Status {
						t.Errorf("the contract changed: version %d -> %d, deleted %v, status %s -> %s (%v)",
							before.Version, after.Version, after.Deleted(), before.Status, after.Status, err)
					}
				})
			}
		}
	}
}

// TestRefusalsDrawNoNumber: a create refused for a taken value (fabric's
// contractId, Aira's externalId) or for what it sends is answered before
// a contract number is drawn, so the sequence stays contiguous.
func TestRefusalsDrawNoNumber(t *testing.T) {
	store := ddbtest.NewStore(t)
	creates, actions, organizations, _ := contractsOfEveryAPI(t, store)
	seed := httpapitest.ReadFile(t, "../aira/testdata/seed-create.json")
	for _, refused := range []struct {
		name   string
		c      client
		path   string
		body   string
		status int
	}{
		{"fabric's taken contractId", organizations, "/v1/organizations/org-1/contracts",
			`{"contractId":"C-1","startDate":"2024-01-01T00:00:00.000Z","endDate":"2024-12-31T00:00:00.000Z"}`, 400},
		{"Aira's taken externalId", creates, "/v1/contracts/", seed, 409},
		{"Kukkingu's invalid body", creates, "/api/v1/contracts", `{"clientId":"c","name":"","amountMinor":1,"currencyCode":"EUR"}`, 400},
		{"EasyBilling's unknown plan", actions, "/api/contract-actions", `{"accountNumber":"ACC-0000000001","actions":[{"type":"create-contract-with-plan",
			"createContractWithPlan":[{"planId":"no-such-plan","effectiveDate":"2090-01-01","expirationDate":"2091-01-01","currency":["USD"]}]}]}`, 422},
	} {
		if r := refused.c.do("POST", refused.path, "", refused.body); r.StatusCode != refused.status {
			t.Errorf("%s: %d %s, want %d", refused.name, r.StatusCode, r.Body, refused.status)
		}
	}
	// contractsOfEveryAPI made CT-0000000001 to 4; the next is 5.
	r := actions.do("POST", "/api/contract-actions", "", `{"accountNumber":"ACC-0000000001","actions":[{"type":"create-contract-with-plan",
		"createContractWithPlan":[{"planId":"`+ownershipPlan+`","effectiveDate":"2090-01-01","expirationDate":"2091-01-01","currency":["USD"]}]}]}`)
	if !strings.Contains(r.Body, `"contractNumber":"CT-0000000005"`) {
		t.Fatalf("the create after four refusals: %d %s, want CT-0000000005", r.StatusCode, r.Body)
	}
}
