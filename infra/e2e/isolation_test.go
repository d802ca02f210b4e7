package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/contracts-service/contracts/infra/local/demo"
	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
	"github.com/contracts-service/contracts/shared/ids"
)

const (
	// The second tenant's names: a Kukkingu tenant-id and a 24-character
	// fabric account, neither of them the first tenant's.
	otherAlias = "tnt_bq3kx9m2v7w5p1r8t6y4z0na"
	otherSite  = "64f0c0ffee0000000000beef"

	// The values of the Aira seed's payment account, which must reach
	// storage and never a log.
	seedTaxID       = "11.222.333/0001-81"
	seedTaxIDDigits = "11222333000181"
	seedEmail       = "jsmith@example.com"
	// invalidTaxID fails its check digits: refused, and no less personal.
	invalidTaxID = "11.222.333/0001-82"
)

// catalog is what both tenants' plan catalogs hold: the plans the seeds
// name. The second tenant has the same plans as the first, so a refusal
// of its request can only come from whose records the request names,
// never from a plan it lacks.
var catalog = demo.Plans

// dialect is how a request carries its token and names its tenant.
type dialect int

const (
	dialectKukkingu dialect = iota
	dialectAira
	dialectFabric
	dialectEasyBilling
)

// namesTenant reports whether the dialect's requests name their tenant in
// a header, which the function checks against the credential.
func (d dialect) namesTenant() bool { return d == dialectKukkingu || d == dialectFabric }

// headers are those of a well-formed request of the dialect, with token
// and, where the dialect asks for it, the tenant named as name.
func (d dialect) headers(token, name string) map[string]string {
	h := map[string]string{"Content-Type": "application/json"}
	switch d {
	case dialectKukkingu:
		h["Authorization"] = "Bearer " + token
		h["tenant-id"] = name
	case dialectAira:
		// Aira's clients send the token as X-API-KEY.
		h["X-API-KEY"] = token
	case dialectFabric:
		h["Authorization"] = "Bearer " + token
		h["x-site-context"] = `{"account":"` + name + `"}`
	case dialectEasyBilling:
		h["Authorization"] = "Bearer " + token
		h["trace-id"] = "5b2e6c1a-8f3d-4e7b-9a10-2c4d6e8f0a1b"
	}
	return h
}

// party is a tenant with the names its requests give in headers.
type party struct {
	tenant
	// site is the tenant's fabric x-site-context account.
	site string
}

func (p party) name(d dialect) string {
	if d == dialectFabric {
		return p.site
	}
	return p.alias
}

func (p party) headers(d dialect) map[string]string { return d.headers(p.token, p.name(d)) }

// routeCase is one request of the second tenant, aimed at the first
// tenant's records through one route of the template.
type routeCase struct {
	route  string // the template's route key
	about  string
	d      dialect
	params map[string]string
	query  string
	body   string
	// items names the array of a list answer; empty for a route that
	// addresses one record.
	items string
	// want is the status a create answers; zero for a request that must
	// find nothing (404, or an empty list).
	want int
	// sent is the method and path template to send, for the $default
	// route, which has none of its own.
	sent string
}

func (c routeCase) request() string {
	if c.sent != "" {
		return c.sent
	}
	return c.route
}

func (c routeCase) method() string {
	m, _, _ := strings.Cut(c.request(), " ")
	return m
}

func (c routeCase) path(t *testing.T) string {
	t.Helper()
	_, p, _ := strings.Cut(c.request(), " ")
	for k, v := range c.params {
		p = strings.ReplaceAll(p, "{"+k+"}", url.PathEscape(v))
	}
	if strings.Contains(p, "{") {
		t.Fatalf("%s (%s): a path parameter has no value", c.route, c.about)
	}
	if c.query != "" {
		p += "?" + c.query
	}
	return p
}

func (c routeCase) String() string { return c.route + " (" + c.about + ")" }

// holdings are the first tenant's records, one through each dialect, and
// every identifier that reaches them.
type holdings struct {
	clientID                        string
	kukkingu                        string
	aira, customer, account         string
	customerExternalID              string
	organization, fabric, fabricRef string
	billingAccount, billing         string
	billingNumber, segment, action  string
	// numbers are the tenant's contract numbers, one per record above.
	numbers []string
}

// contractIDs are every identifier of a contract of the first tenant: the
// ids each dialect hands out and the numbers of the shared sequence.
func (h holdings) contractIDs() []string {
	return append([]string{h.kukkingu, h.aira, h.fabric, h.billing}, h.numbers...)
}

// randomIDs are the ids of the first tenant's records that are drawn at
// random, and so can be no other tenant's.
func (h holdings) randomIDs() []string {
	return []string{h.kukkingu, h.aira, h.fabric, h.billing, h.customer, h.account, h.segment}
}

// identifiers are every id, number and reference of the first tenant's
// records.
func (h holdings) identifiers() []string {
	return append(append(h.randomIDs(), h.numbers...), h.fabricRef, h.action)
}

// names are every value of h a request may carry, in a fixed order, so
// that two holdings' names pair up.
func (h holdings) names() []string {
	return append(h.identifiers(), h.clientID, h.organization, h.billingAccount, h.customerExternalID)
}

// ghost returns holdings shaped like h whose every name exists in no
// tenant. What the second tenant is answered about h must be what it is
// answered about these; any difference tells it which of the first
// tenant's records exist.
func ghost(h holdings) holdings {
	g := holdings{
		clientID: ids.LowerAlnum("clnt_", 24), kukkingu: ids.LowerAlnum("ctr_", 24),
		aira: ids.UUID(), customer: ids.UUID(), account: ids.UUID(), customerExternalID: ids.LowerAlnum("cust_", 16),
		organization: ids.LowerAlnum("org-", 8), fabric: ids.Hex(12), fabricRef: ids.LowerAlnum("CONTRACT-", 8),
		billingAccount: "ACC-0000000901", billing: ids.UUID(), segment: ids.UUID(), action: "CA-0000000901",
	}
	for i, n := range h.numbers {
		g.numbers = append(g.numbers, contract.FormatNumber(int64(901+i)))
		if n == h.billingNumber {
			g.billingNumber = g.numbers[i]
		}
	}
	return g
}

// Markers of the first tenant's records that the second tenant never
// sends: an answer to the second tenant holding one has leaked.
const (
	privateName = "Tenant A private contract"
	privateType = "tenant-a-private"
)

func newHTTPClient(t *testing.T, srv *httptest.Server) client {
	t.Helper()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server at %s, want loopback", srv.URL)
	}
	return client{t: t, base: srv.URL, http: srv.Client()}
}

func field(t *testing.T, v any, path ...any) string {
	t.Helper()
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				t.Fatalf("no element %d in %v", k, l)
			}
			v = l[k]
		}
	}
	s, ok := v.(string)
	if !ok || s == "" {
		t.Fatalf("no string at %v", path)
	}
	return s
}

func mustStatus(t *testing.T, r reply, status int, what string) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: %d %s, want %d", what, r.status, r.body, status)
	}
	if len(r.body) == 0 {
		return nil
	}
	return r.json(t)
}

// billingAccount is the account the first tenant's EasyBilling contract
// is filed under.
const billingAccount = "ACC-0000000001"

const billingCreate = `{"accountNumber": "` + billingAccount + `", "actions": [{"type": "create-contract-with-plan",
  "createContractWithPlan": [{"planId": "` + demo.MonthlyPlanID + `", "effectiveDate": "2026-02-01",
  "expirationDate": "2027-02-01", "currency": ["USD"]}]}]}`

const fabricCreate = `{"contractId": "CONTRACT-A-001", "startDate": "2024-01-01T00:00:00.000Z",
  "endDate": "2024-12-31T23:59:59.000Z", "contractType": "` + privateType + `", "priceListId": 100001}`

// createHoldings makes one record of a through every dialect.
func createHoldings(t *testing.T, c client, a party) holdings {
	t.Helper()
	h := holdings{clientID: "clnt_z2b3mo8qa5kzptgsu26q2wmh", organization: "org-a", billingAccount: billingAccount}

	kukkinguBody := strings.Replace(httpapitest.Seed(t, "kukkingu"), "Standard Service Contract", privateName, 1)
	k := mustStatus(t, c.do("POST", "/api/v1/contracts", a.headers(dialectKukkingu), kukkinguBody), 201, "Kukkingu create")
	h.kukkingu = field(t, k, "data", "id")

	ai := mustStatus(t, c.do("POST", "/v1/contracts/", a.headers(dialectAira), httpapitest.Seed(t, "aira")), 201, "Aira create")
	h.aira = field(t, ai, "contract", "id")
	h.customer = field(t, ai, "customer", "id")
	h.customerExternalID = field(t, ai, "customer", "externalId")
	h.account = field(t, ai, "paymentAccount", "id")

	f := mustStatus(t, c.do("POST", "/v1/organizations/"+h.organization+"/contracts", a.headers(dialectFabric), fabricCreate), 200, "fabric create")
	h.fabric = field(t, f, "_id")
	h.fabricRef = field(t, f, "contractId")

	eb := mustStatus(t, c.do("POST", "/api/contract-actions", a.headers(dialectEasyBilling), billingCreate), 200, "EasyBilling create")
	h.billing = field(t, eb, "contractInfo", "id")
	h.billingNumber = field(t, eb, "contractInfo", "contractNumber")
	h.segment = field(t, eb, "contractInfo", "contractSegments", 0, "id")
	h.action = field(t, eb, "contractActionNumber")

	// Every dialect files its contracts under the tenant's one sequence,
	// so the tenant's numbers are the first four; each must reach one of
	// its contracts, or the second tenant's 404 on it would prove nothing.
	for n := 1; n <= 4; n++ {
		number := contract.FormatNumber(int64(n))
		r := c.do("GET", "/api/v1/contracts/"+number, a.headers(dialectKukkingu), "")
		if r.status != 200 {
			t.Fatalf("the first tenant cannot read its contract %s: %d %s", number, r.status, r.body)
		}
		h.numbers = append(h.numbers, number)
	}
	if !contains(h.numbers, h.billingNumber) {
		t.Fatalf("EasyBilling contract %s is not among %v", h.billingNumber, h.numbers)
	}
	for _, id := range []string{h.kukkingu, h.aira, h.fabric, h.billing} {
		if r := c.do("GET", "/api/v1/contracts/"+id, a.headers(dialectKukkingu), ""); r.status != 200 {
			t.Fatalf("the first tenant cannot read its contract %s: %d %s", id, r.status, r.body)
		}
	}
	return h
}

// snapshot reads every record of a as a, through every read route.
func snapshot(t *testing.T, c client, a party, h holdings) map[string]string {
	t.Helper()
	type read struct {
		d    dialect
		path string
	}
	reads := []read{
		{dialectKukkingu, "/api/v1/contracts/" + h.kukkingu},
		{dialectKukkingu, "/api/v1/contracts?clientId=" + h.clientID},
		{dialectKukkingu, "/api/v1/contracts?limit=100"},
		{dialectAira, "/v1/contracts/" + h.aira},
		{dialectAira, "/v1/payment-accounts/by-customer?customerId=" + h.customer},
		{dialectFabric, "/v1/organizations/" + h.organization + "/contracts/" + h.fabricRef},
		{dialectFabric, "/v1/organizations/" + h.organization + "/contracts/" + h.fabric + "?includeDeleted=true"},
		{dialectFabric, "/v1/organizations/" + h.organization + "/contracts?includeDeleted=true"},
	}
	for _, prefix := range []string{"/api", "/payment-hub/api"} {
		reads = append(reads,
			read{dialectEasyBilling, prefix + "/contracts/" + h.billingNumber},
			read{dialectEasyBilling, prefix + "/contracts?accountNumber=" + h.billingAccount},
			read{dialectEasyBilling, prefix + "/contract-actions/" + h.action},
		)
	}
	out := map[string]string{}
	for _, r := range reads {
		got := c.do("GET", r.path, a.headers(r.d), "")
		if got.status != 200 {
			t.Fatalf("the first tenant reads %s: %d %s", r.path, got.status, got.body)
		}
		out[r.path] = string(got.body)
	}
	return out
}

// walkCases aims every route of the template at h from the second tenant.
func walkCases(h holdings) []routeCase {
	id := func(name, v string) map[string]string { return map[string]string{name: v} }
	var cases []routeCase
	add := func(c routeCase) { cases = append(cases, c) }

	airaContract := `{"startDate": "2024-01-01", "endDate": "2024-12-31", "planIds": ["` + demo.AiraPlanID + `"]}`
	add(routeCase{route: "GET /api/v1/contracts", about: "the first tenant's client", d: dialectKukkingu, query: "clientId=" + h.clientID, items: "data"})
	add(routeCase{route: "GET /api/v1/contracts", about: "every contract", d: dialectKukkingu, query: "limit=100", items: "data"})
	add(routeCase{route: "POST /v1/contracts", about: "the first tenant's customer and payment account", d: dialectAira,
		body: `{"customerId": "` + h.customer + `", "paymentAccountId": "` + h.account + `", "contract": ` + airaContract + `}`})
	add(routeCase{route: "POST /v1/contracts/", about: "a new customer with the first tenant's payment account", d: dialectAira,
		body: `{"customer": {"externalId": "cust_tenant_b", "name": "Tenant B customer"}, "paymentAccountId": "` + h.account + `", "contract": ` + airaContract + `}`})
	add(routeCase{route: "GET /v1/payment-accounts/by-customer", about: "the first tenant's customer", d: dialectAira, query: "customerId=" + h.customer, items: "items"})
	add(routeCase{route: "PUT /v1/contracts/{id}", about: "the first tenant's contract and payment account", d: dialectAira, params: id("id", h.aira),
		body: `{"paymentAccountId": "` + h.account + `", "contract": ` + airaContract + `}`})
	org := h.organization
	for _, base := range []string{"", "/data-customer"} {
		add(routeCase{route: "GET " + base + "/v1/organizations/{organizationId}/contracts", about: "the first tenant's organization", d: dialectFabric,
			params: id("organizationId", org), query: "includeDeleted=true", items: "data"})
		add(routeCase{route: "GET " + base + "/v1/organizations/{organizationId}/contracts", about: "a search for the first tenant's contractId", d: dialectFabric,
			params: id("organizationId", org), query: "search=" + url.QueryEscape(h.fabricRef), items: "data"})
	}

	for _, target := range h.contractIDs() {
		add(routeCase{route: "GET /api/v1/contracts/{contractId}", about: target, d: dialectKukkingu, params: id("contractId", target)})
		add(routeCase{route: "PATCH /api/v1/contracts/{contractId}", about: target, d: dialectKukkingu, params: id("contractId", target), body: `{"name": "Taken over"}`})
		add(routeCase{route: "DELETE /api/v1/contracts/{contractId}", about: target, d: dialectKukkingu, params: id("contractId", target)})
		add(routeCase{route: "GET /v1/contracts/{id}", about: target, d: dialectAira, params: id("id", target)})
		add(routeCase{route: "PUT /v1/contracts/{id}", about: target, d: dialectAira, params: id("id", target), body: `{"contract": ` + airaContract + `}`})
		add(routeCase{route: "POST /v1/contracts/{id}/cancel", about: target, d: dialectAira, params: id("id", target)})
		add(routeCase{route: "POST /v1/contracts/{id}/activate", about: target, d: dialectAira, params: id("id", target)})
	}
	// A path no route declares reaches the $default route, whose answer
	// must not tell whether what it names exists. Its authorizer is
	// keyed by Authorization, as the Bearer APIs send it.
	for _, target := range h.contractIDs() {
		add(routeCase{route: "$default", about: target, d: dialectEasyBilling, sent: "GET /api/v2/contracts/{contractId}", params: id("contractId", target)})
	}
	for _, base := range []string{"", "/data-customer"} {
		for _, target := range append(h.contractIDs(), h.fabricRef) {
			p := map[string]string{"organizationId": org, "contractId": target}
			item := base + "/v1/organizations/{organizationId}/contracts/{contractId}"
			add(routeCase{route: "GET " + item, about: target, d: dialectFabric, params: p, query: "includeDeleted=true"})
			add(routeCase{route: "PUT " + item, about: target, d: dialectFabric, params: p, body: `{"status": "INACTIVE"}`})
			add(routeCase{route: "DELETE " + item, about: target, d: dialectFabric, params: p})
			add(routeCase{route: "POST " + item + "/resurrect", about: target, d: dialectFabric, params: p})
		}
	}

	changes := func(ref string) map[string]string {
		return map[string]string{
			"switch-plan":  `"switchPlan": [{` + ref + `, "planId": "` + demo.MonthlyPlanID + `", "effectiveDate": "2026-06-01", "currency": ["USD"]}]`,
			"renew":        `"renew": [{` + ref + `, "effectiveDate": "2027-02-02", "expirationDate": "2028-02-01"}]`,
			"early-renew":  `"earlyRenew": [{` + ref + `, "planId": "` + demo.MonthlyPlanID + `", "effectiveDate": "2026-06-01", "expirationDate": "2027-06-01"}]`,
			"update-price": `"updatePrice": [{` + ref + `, "contractSegmentId": "` + h.segment + `", "contractPrice": 10, "effectiveDate": "2026-06-01"}]`,
			"cancel":       `"cancel": [{` + ref + `, "effectiveDate": "2026-06-30"}]`,
		}
	}
	for _, prefix := range []string{"/api", "/payment-hub/api", "/billing/api"} {
		for _, target := range h.contractIDs() {
			add(routeCase{route: "GET " + prefix + "/contracts/{contractNumber}", about: target, d: dialectEasyBilling, params: id("contractNumber", target)})
		}
		add(routeCase{route: "GET " + prefix + "/contracts", about: "the first tenant's account", d: dialectEasyBilling, query: "accountNumber=" + h.billingAccount, items: "items"})
		add(routeCase{route: "GET " + prefix + "/contract-actions/{contractActionNumber}", about: h.action, d: dialectEasyBilling, params: id("contractActionNumber", h.action)})
		for _, ref := range []string{`"contractNumber": "` + h.billingNumber + `"`, `"contractId": "` + h.billing + `"`} {
			byType := changes(ref)
			types := make([]string, 0, len(byType))
			for typ := range byType {
				types = append(types, typ)
			}
			sort.Strings(types)
			for _, typ := range types {
				add(routeCase{route: "POST " + prefix + "/contract-actions", about: typ + " of " + ref, d: dialectEasyBilling,
					body: `{"accountNumber": "` + h.billingAccount + `", "actions": [{"type": "` + typ + `", ` + byType[typ] + `}]}`})
			}
		}
	}
	return cases
}

// createCases are the second tenant's creates that reuse the first
// tenant's identifiers. Each must succeed in the second tenant's own
// namespace: a conflict would tell it the first tenant's record exists.
// Where a create names a unique identifier, a second one must then
// conflict, showing uniqueness is enforced, per tenant.
func createCases(t *testing.T, h holdings) []routeCase {
	org := map[string]string{"organizationId": h.organization}
	fabricBody := strings.Replace(fabricCreate, privateType, "tenant-b-own", 1)
	customer := `{"externalId": "` + h.customerExternalID + `", "name": "Tenant B customer"}`
	return []routeCase{
		{route: "POST /api/v1/contracts", about: "the first tenant's client", d: dialectKukkingu, body: strings.Replace(httpapitest.Seed(t, "kukkingu"), "Standard Service Contract", "Tenant B contract", 1), want: 201},
		{route: "POST /v1/customers/", about: "the first tenant's customer externalId", d: dialectAira, body: customer, want: 201},
		{route: "POST /v1/customers", about: "the same externalId again, now the second tenant's own", d: dialectAira, body: customer, want: 409},
		{route: "POST /v1/organizations/{organizationId}/contracts", about: "the first tenant's organization and contractId", d: dialectFabric, params: org, body: fabricBody, want: 200},
		{route: "POST /v1/organizations/{organizationId}/contracts", about: "the same contractId again, now the second tenant's own", d: dialectFabric, params: org, body: fabricBody, want: 400},
		{route: "POST /api/contract-actions", about: "the first tenant's account", d: dialectEasyBilling, body: billingCreate, want: 200},
		{route: "POST /payment-hub/api/contract-actions", about: "the first tenant's account", d: dialectEasyBilling, body: billingCreate, want: 200},
		{route: "POST /billing/api/contract-actions", about: "the first tenant's account", d: dialectEasyBilling, body: billingCreate, want: 200},
		{route: "POST /data-customer/v1/organizations/{organizationId}/contracts", about: "the same contractId again, under fabric's /data-customer base path", d: dialectFabric, params: org, body: fabricBody, want: 400},
	}
}

// leaked returns the first tenant's values an answer holds that its
// request did not: the ids given, the credential its records name as
// their author, and what its records say ("Acme" is the Aira seed's
// customer and business).
func leaked(answer, request string, a party, known []string) []string {
	var out []string
	values := append(append([]string{}, known...), a.credentialID, privateName, privateType, seedTaxID, seedTaxIDDigits, seedEmail, "Acme")
	for _, v := range values {
		if strings.Contains(answer, v) && !strings.Contains(request, v) {
			out = append(out, v)
		}
	}
	return out
}

// isProblem reports whether body is one of the service's problems (an
// RFC 9457 type and status), not API Gateway's own {"message": ...}.
func isProblem(body []byte) bool {
	var p struct {
		Type   string `json:"type"`
		Status int    `json:"status"`
	}
	return json.Unmarshal(body, &p) == nil && strings.HasPrefix(p.Type, "https://") && p.Status >= 400
}

// listLength returns how many items a list answer holds under key.
func listLength(t *testing.T, r reply, key string) int {
	t.Helper()
	var page map[string]json.RawMessage
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatalf("list %s: %v", r.body, err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(page[key], &items); err != nil || items == nil {
		t.Fatalf("list %s has no array %q", r.body, key)
	}
	return len(items)
}

// TestTenantIsolationEveryRoute has a second tenant aim every route of the
// template at a first tenant's records, made through every dialect: it
// must find nothing, change nothing, and be refused when its headers name
// the first tenant; a revoked token is refused on every route. The second
// tenant first tries to take the first's names, and is refused: had it
// got one, a header naming the first tenant would pass for it.
func TestTenantIsolationEveryRoute(t *testing.T) {
	ddbClient, table := ddbtest.NewTable(t)
	store := ddb.New(ddbClient, table)
	stack := startStack(t, table)
	srv := httptest.NewServer(stack.Gateway)
	t.Cleanup(srv.Close)
	c := newHTTPClient(t, srv)

	a := party{tenant: newTenant(t, store, "tenant-a", demo.Alias, demo.SiteAccount), site: demo.SiteAccount}
	for _, grab := range []auth.Tenant{
		{ID: "tenant-b", Aliases: []string{otherAlias, demo.Alias}},
		{ID: "tenant-b", Aliases: []string{otherAlias, otherSite, demo.SiteAccount}},
		{ID: "tenant-b", Aliases: []string{a.id}},
		{ID: demo.Alias},
	} {
		grab.CreatedAt = time.Now()
		var taken *auth.TakenError
		if err := store.CreateTenant(context.Background(), grab); !errors.As(err, &taken) {
			t.Fatalf("a second tenant %s with %v: %v, want a name taken", grab.ID, grab.Aliases, err)
		}
	}
	b := party{tenant: newTenant(t, store, "tenant-b", otherAlias, otherSite), site: otherSite}
	for _, tn := range []party{a, b} {
		ddbtest.PutPlans(t, store, tn.id, catalog)
	}
	h := createHoldings(t, c, a)
	before := snapshot(t, c, a, h)

	walk, creates := walkCases(h), createCases(t, h)
	routes := map[string]bool{}
	for _, r := range stack.API.Routes {
		routes[r.Key()] = true
	}
	first := map[string]routeCase{}
	for _, tc := range append(append([]routeCase{}, walk...), creates...) {
		if !routes[tc.route] {
			t.Errorf("case %s names a route the template does not declare", tc)
		}
		if _, ok := first[tc.route]; !ok {
			first[tc.route] = tc
		}
	}
	for _, r := range stack.API.Routes {
		if _, ok := first[r.Key()]; !ok {
			t.Errorf("route %s has no isolation case", r.Key())
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	t.Run("the second tenant finds nothing", func(t *testing.T) {
		c := newHTTPClient(t, srv)
		g := ghost(h)
		ghostWalk := walkCases(g)
		var pairs []string
		for i, n := range h.names() {
			pairs = append(pairs, n, g.names()[i])
		}
		asGhost := strings.NewReplacer(pairs...)
		for i, tc := range walk {
			path := tc.path(t)
			got := c.do(tc.method(), path, b.headers(tc.d), tc.body)
			gc := ghostWalk[i]
			nothing := c.do(gc.method(), gc.path(t), b.headers(gc.d), gc.body)
			if got.status != nothing.status || asGhost.Replace(string(got.body)) != string(nothing.body) {
				t.Errorf("%s: answered %d %s, but about records that exist nowhere %d %s", tc, got.status, got.body, nothing.status, nothing.body)
			}
			switch {
			case tc.items != "" && got.status == 200:
				if n := listLength(t, got, tc.items); n != 0 {
					t.Errorf("%s: %d items: %s", tc, n, got.body)
				}
			case got.status != 404:
				t.Errorf("%s: %d %s, want 404", tc, got.status, got.body)
				continue
			case !isProblem(got.body):
				// The gateway's own 404 ({"message":"Not Found"}) would
				// mean the path missed the route, and the function never
				// saw the request. (EasyBilling's routes serve problems
				// as application/json, so the body tells, not its type.)
				t.Errorf("%s: a 404 that is not the function's problem (%q): %s", tc, got.header.Get("Content-Type"), got.body)
			}
			if l := leaked(string(got.body), path+tc.body, a, h.identifiers()); len(l) > 0 {
				t.Errorf("%s: the answer holds the first tenant's %q: %s", tc, l, got.body)
			}
		}
	})

	t.Run("headers naming the first tenant are refused", func(t *testing.T) {
		c := newHTTPClient(t, srv)
		for _, r := range stack.API.Routes {
			tc := first[r.Key()]
			if !tc.d.namesTenant() {
				continue
			}
			names := []string{a.name(tc.d)}
			if tc.d == dialectKukkingu {
				names = append(names, a.id)
			}
			for _, name := range names {
				got := c.do(tc.method(), tc.path(t), tc.d.headers(b.token, name), tc.body)
				if got.status != 403 || got.header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("%s naming %s with the second tenant's token: %d %s, want 403", tc, name, got.status, got.body)
				}
			}
		}
	})

	t.Run("a revoked token is refused on every route", func(t *testing.T) {
		c := newHTTPClient(t, srv)
		cred, token := auth.NewToken(b.id, time.Now())
		if err := store.CreateCredential(context.Background(), cred); err != nil {
			t.Fatal(err)
		}
		revoked := b
		revoked.token = token
		if got := c.do("GET", "/api/v1/contracts", revoked.headers(dialectKukkingu), ""); got.status != 200 {
			t.Fatalf("before revocation: %d %s", got.status, got.body)
		}
		if err := store.RevokeCredential(context.Background(), cred.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		// The gateway keeps the authorizer's grant for its TTL (see
		// TestRevocationBound): past it, the token works nowhere.
		gatewayClock.advance(authorizerTTL(t, stack))
		for _, r := range stack.API.Routes {
			tc := first[r.Key()]
			got := c.do(tc.method(), tc.path(t), revoked.headers(tc.d), tc.body)
			if got.status != 401 || string(got.body) != `{"message":"Unauthorized"}` {
				t.Errorf("%s with a revoked token: %d %s", r.Key(), got.status, got.body)
			}
		}
	})

	t.Run("creates stay in the second tenant's namespace", func(t *testing.T) {
		c := newHTTPClient(t, srv)
		for _, tc := range creates {
			path := tc.path(t)
			got := c.do(tc.method(), path, b.headers(tc.d), tc.body)
			if got.status != tc.want {
				t.Errorf("%s: %d %s, want %d", tc, got.status, got.body, tc.want)
				continue
			}
			// Numbers run per tenant, so the second tenant's own may
			// equal the first tenant's; only ids drawn at random tell.
			if l := leaked(string(got.body), path+tc.body, a, h.randomIDs()); len(l) > 0 {
				t.Errorf("%s: the answer holds the first tenant's %q: %s", tc, l, got.body)
			}
		}
		// The second tenant now lists its own records under the first
		// tenant's client, organization and account, and only those.
		for _, l := range []struct {
			d           dialect
			path, items string
			want        int
		}{
			{dialectKukkingu, "/api/v1/contracts?clientId=" + h.clientID, "data", 1},
			{dialectFabric, "/v1/organizations/" + h.organization + "/contracts?includeDeleted=true", "data", 1},
			{dialectEasyBilling, "/api/contracts?accountNumber=" + h.billingAccount, "items", 3},
		} {
			got := c.do("GET", l.path, b.headers(l.d), "")
			if got.status != 200 || listLength(t, got, l.items) != l.want {
				t.Errorf("the second tenant lists %s: %d %s, want its %d own", l.path, got.status, got.body, l.want)
			}
			if leak := leaked(string(got.body), l.path, a, h.randomIDs()); len(leak) > 0 {
				t.Errorf("the second tenant lists %s with the first tenant's %q: %s", l.path, leak, got.body)
			}
		}
	})

	after := snapshot(t, c, a, h)
	for path, was := range before {
		if after[path] != was {
			t.Errorf("the first tenant's %s changed:\nnow %s\nwas %s", path, after[path], was)
		}
	}
}

// logSink keeps every line the stack writes, with who wrote it.
type logSink struct {
	mu    sync.Mutex
	lines []logLine
}

type logLine struct {
	source, text string
}

func (s *logSink) writer(source string) io.Writer { return sinkWriter{s: s, source: source} }

func (s *logSink) all() []logLine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]logLine(nil), s.lines...)
}

type sinkWriter struct {
	s      *logSink
	source string
}

func (w sinkWriter) Write(p []byte) (int, error) {
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.s.lines = append(w.s.lines, logLine{source: w.source, text: line})
	}
	return len(p), nil
}

const gatewaySource = "gateway"

// startLoggedStack is startStack with every function's output and the
// gateway's access log kept in sink.
func startLoggedStack(t *testing.T, table string, sink *logSink) *gateway.Stack {
	t.Helper()
	_, api, paths := loadStack(t, nil, nil)
	return runStack(t, api, paths, table, "debug", gateway.StackConfig{
		MaxConcurrency: 4,
		Output:         sink.writer,
		Gateway:        gateway.Options{AccessLog: sink.writer(gatewaySource), Now: gatewayClock.Now},
	})
}

// secret is a value no log line may hold.
type secret struct {
	what, value string
}

// tokenSecrets are the forms of a token that must never be logged: the
// token, its stored hash, and its secret part (what follows the
// credential id, which is logged as the principal).
func tokenSecrets(what, token string) []secret {
	hash := auth.Hash(token)
	out := []secret{{what + " token", token}, {what + " token hash", hash}, {what + " token hash, upper case", strings.ToUpper(hash)}}
	if rest, ok := strings.CutPrefix(token, "ctk_"); ok && len(rest) > 33 {
		out = append(out, secret{what + " token secret", rest[33:]})
	}
	return out
}

// stringsOf returns every string of a decoded JSON value, keys included:
// a value logged escaped ("\/", "\u0040") is a leak all the same.
func stringsOf(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []any:
		var out []string
		for _, e := range x {
			out = append(out, stringsOf(e)...)
		}
		return out
	case map[string]any:
		var out []string
		for k, e := range x {
			out = append(append(out, k), stringsOf(e)...)
		}
		return out
	}
	return nil
}

// platformLine reports whether a function's line is one the Runtime API
// writes in the platform's voice rather than the function's.
func platformLine(s string) bool {
	for _, p := range []string{"START RequestId: ", "END RequestId: ", "REPORT RequestId: "} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

func randomToken(t *testing.T) string {
	t.Helper()
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// TestLogsCarryNoSecrets runs every dialect, their refusals and the
// authorizer with good, bad and revoked tokens, and reads every line the
// functions and the gateway wrote: none may hold a token, its hash or its
// secret, nor a payment account's taxId or email; and every line a
// function writes is JSON naming the request it belongs to.
func TestLogsCarryNoSecrets(t *testing.T) {
	ddbClient, table := ddbtest.NewTable(t)
	store := ddb.New(ddbClient, table)
	sink := &logSink{}
	stack := startLoggedStack(t, table, sink)
	srv := httptest.NewServer(stack.Gateway)
	t.Cleanup(srv.Close)
	c := newHTTPClient(t, srv)
	ctx := context.Background()

	a := party{tenant: newTenant(t, store, "tenant-a", demo.Alias, demo.SiteAccount), site: demo.SiteAccount}
	b := party{tenant: newTenant(t, store, "tenant-b", otherAlias, otherSite), site: otherSite}
	ddbtest.PutPlans(t, store, a.id, catalog)
	revokedCred, revokedToken := auth.NewToken(a.id, time.Now())
	if err := store.CreateCredential(ctx, revokedCred); err != nil {
		t.Fatal(err)
	}
	// A token never stored, and one with a real credential id but another
	// secret: the authorizer must not log either on its way to refusing.
	_, unknownToken := auth.NewToken(a.id, time.Now())
	// A real token only ever sent in query strings.
	queryCred, queryToken := auth.NewToken(a.id, time.Now())
	if err := store.CreateCredential(ctx, queryCred); err != nil {
		t.Fatal(err)
	}
	wrongSecret := "ctk_" + a.credentialID + "_" + randomToken(t)
	var junk [12]byte
	rand.Read(junk[:])
	malformed := "not-a-token-" + hex.EncodeToString(junk[:])

	expect := func(r reply, status int, what string) reply {
		t.Helper()
		if r.status != status {
			t.Errorf("%s: %d %s, want %d", what, r.status, r.body, status)
		}
		return r
	}
	with := func(h map[string]string, k, v string) map[string]string {
		out := map[string]string{}
		for hk, hv := range h {
			out[hk] = hv
		}
		if v == "" {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}

	// Kukkingu.
	kh := a.headers(dialectKukkingu)
	created := expect(c.do("POST", "/api/v1/contracts", kh, httpapitest.Seed(t, "kukkingu")), 201, "Kukkingu create")
	kid := field(t, created.json(t), "data", "id")
	expect(c.do("GET", "/api/v1/contracts/"+kid, with(with(kh, "Authorization", ""), "X-API-KEY", a.token), ""), 401, "Kukkingu get with X-API-KEY, not its identity source")
	expect(c.do("GET", "/api/v1/contracts?clientId=clnt_z2b3mo8qa5kzptgsu26q2wmh", kh, ""), 200, "Kukkingu list")
	expect(c.do("PATCH", "/api/v1/contracts/"+kid, kh, `{"name": "Renamed", "description": null}`), 200, "Kukkingu patch")
	expect(c.do("PATCH", "/api/v1/contracts/"+kid, kh, `{"amountMinor": "lots"}`), 400, "Kukkingu invalid patch")
	expect(c.do("POST", "/api/v1/contracts", kh, `{"clientId": ""}`), 400, "Kukkingu invalid create")
	expect(c.do("GET", "/api/v1/contracts/"+kid, with(kh, "tenant-id", ""), ""), 400, "Kukkingu without tenant-id")
	expect(c.do("GET", "/api/v1/contracts/"+kid, with(kh, "tenant-id", otherAlias), ""), 403, "Kukkingu naming another tenant")
	expect(c.do("DELETE", "/api/v1/contracts/"+kid, kh, ""), 204, "Kukkingu delete")
	expect(c.do("GET", "/api/v1/contracts/"+kid, kh, ""), 404, "Kukkingu get after delete")

	// Aira, with payment accounts carrying the taxId and the email.
	ah := a.headers(dialectAira)
	seed := httpapitest.Seed(t, "aira")
	for _, v := range []string{seedTaxID, seedEmail} {
		if !strings.Contains(seed, v) {
			t.Fatalf("the Aira seed no longer holds %q", v)
		}
	}
	var seedBody map[string]any
	if err := json.Unmarshal([]byte(seed), &seedBody); err != nil {
		t.Fatal(err)
	}
	account, _ := json.Marshal(seedBody["paymentAccount"])
	ai := expect(c.do("POST", "/v1/contracts/", ah, seed), 201, "Aira create").json(t)
	aid := field(t, ai, "contract", "id")
	customer := field(t, ai, "customer", "id")
	draft := expect(c.do("POST", "/v1/contracts", ah, `{"customerId": "`+customer+`", "paymentAccount": `+string(account)+
		`, "contract": {"startDate": "2024-01-01", "endDate": null, "planIds": ["`+demo.AiraPlanID+`"], "status": "draft"}}`), 201, "Aira draft for the customer").json(t)
	draftID := field(t, draft, "contract", "id")
	expect(c.do("GET", "/v1/contracts/"+aid, ah, ""), 200, "Aira get")
	expect(c.do("PUT", "/v1/contracts/"+aid, ah, `{"paymentAccount": `+string(account)+`, "contract": {"startDate": "2024-01-01", "endDate": "2024-12-31", "planIds": ["`+demo.AiraPlanID+`"]}}`), 200, "Aira replace with a new payment account")
	expect(c.do("POST", "/v1/contracts/"+draftID+"/activate", ah, ""), 200, "Aira activate")
	expect(c.do("POST", "/v1/contracts/"+aid+"/cancel", ah, ""), 200, "Aira cancel")
	expect(c.do("POST", "/v1/contracts/"+aid+"/activate", ah, ""), 409, "Aira activate a canceled contract")
	expect(c.do("POST", "/v1/customers", ah, `{"externalId": "cust_logs_1", "name": "Logs Ltda"}`), 201, "Aira customer")
	expect(c.do("POST", "/v1/customers/", ah, `{"externalId": "cust_logs_1", "name": "Logs Ltda"}`), 409, "Aira customer again")
	expect(c.do("GET", "/v1/payment-accounts/by-customer?customerId="+customer, ah, ""), 200, "Aira payment accounts")
	expect(c.do("GET", "/v1/payment-accounts/by-customer?customerId=7b1e0c52-8d7f-4b8e-9a51-2f1d6c0e4a10", ah, ""), 404, "Aira payment accounts of no customer")
	badZip := strings.Replace(seed, "69900-062", "not-a-cep", 1)
	expect(c.do("POST", "/v1/contracts/", ah, badZip), 400, "Aira create with a bad CEP")
	unknownPlan := strings.Replace(seed, demo.AiraPlanID, "00000000-0000-4000-8000-000000000000", 1)
	expect(c.do("POST", "/v1/contracts/", ah, unknownPlan), 422, "Aira create with an unknown plan")
	badTaxID := strings.Replace(seed, seedTaxID, invalidTaxID, 1)
	expect(c.do("POST", "/v1/contracts/", ah, badTaxID), 400, "Aira create with a bad taxId")

	// fabric.
	fh := a.headers(dialectFabric)
	orgPath := "/v1/organizations/org-logs/contracts"
	expect(c.do("POST", orgPath, fh, fabricCreate), 200, "fabric create")
	expect(c.do("POST", orgPath, fh, fabricCreate), 400, "fabric create again")
	expect(c.do("GET", orgPath+"?sortBy=startDate&sortOrder=asc&search=CONTRACT&limit=10", fh, ""), 200, "fabric list")
	expect(c.do("GET", orgPath+"/CONTRACT-A-001", fh, ""), 200, "fabric get")
	expect(c.do("PUT", orgPath+"/CONTRACT-A-001", fh, `{"status": "ACTIVE"}`), 200, "fabric update")
	expect(c.do("PUT", orgPath+"/CONTRACT-A-001", fh, `{"contractId": "other"}`), 400, "fabric update of contractId")
	expect(c.do("DELETE", orgPath+"/CONTRACT-A-001", fh, ""), 200, "fabric delete")
	expect(c.do("GET", orgPath, with(fh, "x-site-context", ""), ""), 400, "fabric without x-site-context")
	expect(c.do("GET", orgPath, dialectFabric.headers(a.token, otherSite), ""), 403, "fabric naming another tenant's account")

	// EasyBilling, under both prefixes.
	eh := a.headers(dialectEasyBilling)
	for _, prefix := range []string{"/api", "/payment-hub/api"} {
		eb := expect(c.do("POST", prefix+"/contract-actions", eh, billingCreate), 200, prefix+" create").json(t)
		number := field(t, eb, "contractInfo", "contractNumber")
		act := field(t, eb, "contractActionNumber")
		expect(c.do("POST", prefix+"/contract-actions", with(eh, "trace-id", ""), `{"accountNumber": "ACC-0000000001", "actions": [{"type": "cancel",
		  "cancel": [{"contractNumber": "`+number+`", "effectiveDate": "2026-06-30"}]}]}`), 200, prefix+" cancel")
		expect(c.do("GET", prefix+"/contracts/"+number, eh, ""), 200, prefix+" get contract")
		expect(c.do("GET", prefix+"/contracts?accountNumber=ACC-0000000001&pageSize=20", eh, ""), 200, prefix+" list")
		expect(c.do("GET", prefix+"/contract-actions/"+act, eh, ""), 200, prefix+" get action")
		expect(c.do("POST", prefix+"/contract-actions", eh, `{}`), 400, prefix+" empty request")
		expect(c.do("POST", prefix+"/contract-actions", eh, `{"accountNumber": "ACC-0000000001", "actions": [{"type": "cancel",
		  "cancel": [{"contractNumber": "CT-0000009999", "effectiveDate": "2026-06-30"}]}]}`), 404, prefix+" cancel of no contract")
	}

	// The other tenant, and the authorizer's refusals.
	expect(c.do("GET", "/api/v1/contracts", b.headers(dialectKukkingu), ""), 200, "second tenant's list")
	expect(c.do("GET", "/v1/contracts/"+aid, b.headers(dialectAira), ""), 404, "second tenant reads the first's contract")
	expect(c.do("GET", "/api/v1/contracts", dialectKukkingu.headers(b.token, demo.Alias), ""), 403, "second tenant naming the first")
	expect(c.do("GET", "/api/v1/contracts", dialectKukkingu.headers(revokedToken, demo.Alias), ""), 200, "a token before revocation")
	if err := store.RevokeCredential(ctx, revokedCred.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Past the authorizer's answers kept for it, the token is refused.
	gatewayClock.advance(authorizerTTL(t, stack))
	bad := map[string]string{"revoked": revokedToken, "unknown": unknownToken, "wrong-secret": wrongSecret, "malformed": malformed}
	for what, token := range bad {
		for _, d := range []dialect{dialectKukkingu, dialectAira, dialectFabric, dialectEasyBilling} {
			path := map[dialect]string{
				dialectKukkingu: "/api/v1/contracts", dialectAira: "/v1/contracts/" + aid,
				dialectFabric: orgPath, dialectEasyBilling: "/api/contracts?accountNumber=ACC-0000000001",
			}[d]
			expect(c.do("GET", path, d.headers(token, a.name(d)), ""), 401, what+" token")
		}
	}
	expect(c.do("GET", "/api/v1/contracts", with(kh, "Authorization", ""), ""), 401, "no token")
	expect(c.do("GET", "/api/v1/contracts", with(kh, "Authorization", "Basic "+a.token), ""), 401, "a token under another scheme")

	// Tokens sent in query strings, as some clients do: as a value, as a
	// name, beside the header and instead of it. The access log records
	// the request all the same, and must hold none of them.
	expect(c.do("GET", "/api/v1/contracts?access_token="+a.token+"&limit=5", kh, ""), 200, "a token in the query, beside the header")
	expect(c.do("GET", "/api/contracts?accountNumber=ACC-0000000001&"+b.token, eh, ""), 200, "a token as a query name")
	expect(c.do("GET", "/api/v1/contracts?api_key="+queryToken, with(kh, "Authorization", ""), ""), 401, "a token in the query alone")
	expect(c.do("GET", "/v1/organizations/org-logs/contracts?token="+queryToken+"&limit=1", fh, ""), 200, "fabric with a token in the query")

	// The same function's other triggers: a queue, a rule, a direct call.
	for _, f := range []string{"sqs-contract-actions.json", "eventbridge-contract-action.json", "direct-contract-actions.json"} {
		testTriggerEvent(t, stack, a.tenant, f, loadEvent(t, f, a.tenant))
	}

	// Close flushes what the processes wrote before it reads the sink.
	stack.Close()
	lines := sink.all()

	var secrets []secret
	for what, token := range map[string]string{"first tenant's": a.token, "second tenant's": b.token, "revoked": revokedToken,
		"unknown": unknownToken, "wrong-secret": wrongSecret, "malformed": malformed, "query-string": queryToken} {
		secrets = append(secrets, tokenSecrets(what, token)...)
	}
	secrets = append(secrets, secret{"taxId", seedTaxID}, secret{"taxId without punctuation", seedTaxIDDigits}, secret{"email", seedEmail},
		secret{"refused taxId", invalidTaxID})

	wrote := map[string]int{}
	refusals := 0
	for _, l := range lines {
		texts := []string{l.text}
		var decoded map[string]any
		isJSON := json.Unmarshal([]byte(l.text), &decoded) == nil
		if isJSON {
			texts = append(texts, stringsOf(decoded)...)
		}
		for _, s := range secrets {
			for _, text := range texts {
				if strings.Contains(text, s.value) {
					t.Errorf("[%s] a line holds the %s: %s", l.source, s.what, strings.ReplaceAll(l.text, s.value, "<"+s.what+">"))
					break
				}
			}
		}
		if l.source == gatewaySource || platformLine(l.text) {
			continue
		}
		wrote[l.source]++
		if id, _ := decoded["requestId"].(string); !isJSON || id == "" {
			t.Errorf("[%s] a line that is not JSON with a requestId: %s", l.source, l.text)
		}
		if decoded["msg"] == "refused: unknown or revoked credential" {
			refusals++
		}
	}
	// A capture that caught nothing would pass everything above. (The
	// table's stream, not the gateway, invokes ContractEventsFunction.)
	for _, id := range invokedByGateway(stack.API) {
		if wrote[id] == 0 {
			t.Errorf("%s wrote no line of its own", id)
		}
	}
	if want := len(bad) * 4; refusals < want {
		t.Errorf("the authorizer logged %d refusals of a bad token, want at least %d", refusals, want)
	}
	gatewayLines := 0
	for _, l := range lines {
		if l.source == gatewaySource {
			gatewayLines++
		}
	}
	if gatewayLines == 0 {
		t.Error("the gateway wrote no access log line")
	}
}
