package aira_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/contracts-service/contracts/shared/aira"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
	"github.com/contracts-service/contracts/shared/kukkingu"
)

const seedPlan = "3c90c3cc-0d44-4b50-8888-8dd25736052a"

var uuidPattern = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// api drives the Aira routes (and Kukkingu's, for cross-dialect checks)
// through the function's router, over a fresh DynamoDB Local table, and
// checks every response against infra/openapi.yaml.
type api struct {
	t      *testing.T
	rt     *httpapi.Router
	client *dynamodb.Client
	table  string
}

func newAPI(t *testing.T) *api {
	t.Helper()
	client, table := ddbtest.NewTable(t)
	store := ddb.New(client, table)
	for _, tenant := range []string{"tenant-a", "tenant-b"} {
		err := store.PutPlans(context.Background(), tenant, []contract.Plan{
			{ID: seedPlan, Name: "Plano Pro", Description: "Mensal", Currencies: []string{"BRL"}},
			{ID: "plan-basic", Name: "Plano Basico", Currencies: []string{"BRL"}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	rt := httpapi.NewRouter(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	service := contract.NewService(store)
	aira.NewHandler(service, store).Register(rt)
	kukkingu.NewHandler(service).Register(rt)
	return &api{t: t, rt: rt, client: client, table: table}
}

type response = httpapitest.Reply

func (a *api) do(tenant, method, target, body string) response {
	a.t.Helper()
	return httpapitest.Send(a.t, a.rt, httpapitest.Request{Method: method, Target: target, Body: body,
		Headers: map[string]string{"tenant-id": tenant}, Caller: httpapitest.Caller{TenantID: tenant, CredentialID: "cred-" + tenant}, RequestID: "req"})
}

func (a *api) must(status int, r response) map[string]any {
	a.t.Helper()
	if r.Status != status {
		a.t.Fatalf("status %d, want %d: %v", r.Status, status, r.Body)
	}
	return r.Body
}

// itemTypes counts the table's items by entity type: only a test may
// scan, to prove a refused write left nothing behind.
func (a *api) itemTypes() map[string]int {
	a.t.Helper()
	out, err := a.client.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String(a.table)})
	if err != nil {
		a.t.Fatal(err)
	}
	counts := map[string]int{}
	for _, it := range out.Items {
		var item struct {
			Type string `dynamodbav:"type"`
		}
		if err := attributevalue.UnmarshalMap(it, &item); err != nil {
			a.t.Fatal(err)
		}
		counts[item.Type]++
	}
	return counts
}

func seed(t *testing.T) map[string]any {
	t.Helper()
	return httpapitest.ReadEvent(t, "testdata/seed-create.json")
}

// with returns a copy of body with the value at a dotted path replaced, or
// removed when value is nil.
func with(body map[string]any, path string, value any) map[string]any {
	var cp map[string]any
	json.Unmarshal([]byte(httpapitest.MustJSON(body)), &cp)
	parts := strings.Split(path, ".")
	m := cp
	for _, p := range parts[:len(parts)-1] {
		m = m[p].(map[string]any)
	}
	if value == nil {
		delete(m, parts[len(parts)-1])
	} else {
		m[parts[len(parts)-1]] = value
	}
	return cp
}

// shape lists an object's keys at every depth, for comparing a response's
// shape with the seed's regardless of values.
func shape(v any, prefix string) []string {
	var keys []string
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			keys = append(keys, prefix+k)
			keys = append(keys, shape(child, prefix+k+".")...)
		}
	case []any:
		for _, child := range x {
			keys = append(keys, shape(child, prefix+"[].")...)
		}
	}
	sort.Strings(keys)
	return keys
}

func TestCreateSeedRequest(t *testing.T) {
	a := newAPI(t)
	got := a.must(201, a.do("tenant-a", "POST", "/v1/contracts/", httpapitest.MustJSON(seed(t))))
	want := httpapitest.ReadEvent(t, "testdata/seed-response.json")
	if g, w := shape(got, ""), shape(want, ""); !reflect.DeepEqual(g, w) {
		t.Fatalf("shape differs from the seed's:\n got %v\nwant %v", g, w)
	}
	c := got["contract"].(map[string]any)
	for _, id := range []any{c["id"], got["customer"].(map[string]any)["id"], got["paymentAccount"].(map[string]any)["id"]} {
		if !uuidPattern.MatchString(id.(string)) {
			t.Errorf("id %v is not a UUID", id)
		}
	}
	if c["status"] != "active" || c["startDate"] != "2023-12-25" || c["endDate"] != "2023-12-25" || c["billingEndDay"] != 16.0 {
		t.Errorf("contract %v", c)
	}
	if p := c["plans"].([]any)[0].(map[string]any); p["id"] != seedPlan || p["name"] != "Plano Pro" || p["description"] != "Mensal" {
		t.Errorf("plan %v, want the catalog's", p)
	}
	if !reflect.DeepEqual(got["customer"].(map[string]any)["customFields"], want["customer"].(map[string]any)["customFields"]) {
		t.Errorf("customer %v", got["customer"])
	}
	// The trailing slash is optional, and GET answers the same wrapper.
	read := a.must(200, a.do("tenant-a", "GET", "/v1/contracts/"+c["id"].(string), ""))
	if !reflect.DeepEqual(read, got) {
		t.Errorf("read back %v, want %v", read, got)
	}
	a.must(201, a.do("tenant-a", "POST", "/v1/contracts", httpapitest.MustJSON(with(with(seed(t), "customer.externalId", "another"), "contract.endDate", nil))))
}

func TestCreateRefusals(t *testing.T) {
	a := newAPI(t)
	s := seed(t)
	existingID := "00000000-0000-4000-8000-000000000000"
	tests := []struct {
		name   string
		body   map[string]any
		status int
		fields []string
	}{
		{"customer and customerId", with(s, "customerId", existingID), 400, []string{"customer"}},
		{"neither customer nor customerId", with(s, "customer", nil), 400, []string{"customer"}},
		{"paymentAccount and paymentAccountId", with(s, "paymentAccountId", existingID), 400, []string{"paymentAccount"}},
		{"neither payment account", with(s, "paymentAccount", nil), 400, []string{"paymentAccount"}},
		{"bad email", with(s, "paymentAccount.email", "not-an-email"), 400, []string{"paymentAccount.email"}},
		{"unknown UF", with(s, "paymentAccount.address.state", "XX"), 400, []string{"paymentAccount.address.state"}},
		{"bad CEP", with(s, "paymentAccount.address.zipCode", "1234-567"), 400, []string{"paymentAccount.address.zipCode"}},
		{"CNPJ with a wrong check digit", with(s, "paymentAccount.taxId", "11.222.333/0001-82"), 400, []string{"paymentAccount.taxId"}},
		{"valid CPF", with(s, "paymentAccount.taxId", "529.982.247-25"), 201, nil},
		{"CEP without hyphen", with(with(s, "paymentAccount.address.zipCode", "69900062"), "customer.externalId", "cep"), 201, nil},
		{"billingEndDay 32", with(s, "contract.billingEndDay", 32), 400, []string{"contract.billingEndDay"}},
		{"scheduledPaymentDay 0", with(s, "contract.paymentSettings.scheduledPaymentDay", 0), 400, []string{"contract.paymentSettings.scheduledPaymentDay"}},
		{"negative dueOffsetDays", with(s, "contract.paymentSettings.dueOffsetDays", -1), 400, []string{"contract.paymentSettings.dueOffsetDays"}},
		{"negative minimum amount", with(s, "contract.billingSettings.billingCycleMinimumAmount", -1), 400, []string{"contract.billingSettings.billingCycleMinimumAmount"}},
		{"no plans", with(s, "contract.planIds", []any{}), 400, []string{"contract.planIds"}},
		{"endDate before startDate", with(s, "contract.endDate", "2023-12-24"), 400, []string{"contract.endDate"}},
		{"not a calendar date", with(s, "contract.startDate", "2023-02-29"), 400, []string{"contract.startDate"}},
		{"customFields with a number", with(s, "contract.customFields", map[string]any{"a": 1}), 400, []string{"contract.customFields"}},
		{"unknown plan", with(s, "contract.planIds", []any{seedPlan, "nope"}), 422, []string{"contract.planIds[1]"}},
		{"customerId of nobody", with(with(s, "customer", nil), "customerId", existingID), 404, []string{"customerId"}},
		{"paymentAccountId of nobody", with(with(s, "paymentAccount", nil), "paymentAccountId", existingID), 404, []string{"paymentAccountId"}},
		{"status other than active or draft", with(s, "contract.status", "canceled"), 400, []string{"contract.status"}},
		{"a plan twice", with(s, "contract.planIds", []string{"3c90c3cc-0d44-4b50-8888-8dd25736052a", "3c90c3cc-0d44-4b50-8888-8dd25736052a"}), 400, []string{"contract.planIds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.do("tenant-a", "POST", "/v1/contracts/", httpapitest.MustJSON(tt.body))
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %v", r.Status, tt.status, r.Body)
			}
			if tt.fields != nil && !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), tt.fields) {
				t.Fatalf("fields %v, want %v", httpapitest.ProblemFields(r.Body), tt.fields)
			}
		})
	}
}

// A create refused inside its transaction (a second customer with the same
// externalId) writes neither the contract nor the new payment account.
func TestRefusedCreateLeavesNoOrphan(t *testing.T) {
	a := newAPI(t)
	a.must(201, a.do("tenant-a", "POST", "/v1/contracts/", httpapitest.MustJSON(seed(t))))
	before := a.itemTypes()
	r := a.do("tenant-a", "POST", "/v1/contracts/", httpapitest.MustJSON(seed(t)))
	if r.Status != 409 || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"customer.externalId"}) {
		t.Fatalf("got %d %v, want 409 naming customer.externalId", r.Status, r.Body)
	}
	after := a.itemTypes()
	// Only the contract counter moves: a drawn number is never reused.
	delete(before, "counter")
	delete(after, "counter")
	if !reflect.DeepEqual(before, after) {
		t.Fatalf("a refused create changed the table: before %v, after %v", before, after)
	}
	a.must(409, a.do("tenant-a", "POST", "/v1/customers", `{"externalId":"cust_1234567890abcdef","name":"Dup"}`))
}

func TestLifecycle(t *testing.T) {
	a := newAPI(t)
	created := a.must(201, a.do("tenant-a", "POST", "/v1/contracts/", httpapitest.MustJSON(with(seed(t), "contract.status", "draft"))))
	id := created["contract"].(map[string]any)["id"].(string)
	customerID := created["customer"].(map[string]any)["id"].(string)
	firstAccount := created["paymentAccount"].(map[string]any)["id"].(string)
	if created["contract"].(map[string]any)["status"] != "draft" {
		t.Fatalf("created %v, want a draft", created["contract"])
	}
	path := "/v1/contracts/" + id

	// Replace the contract's fields, with a new payment account.
	replace := map[string]any{
		"paymentAccount": seed(t)["paymentAccount"],
		"contract":       with(seed(t), "contract.endDate", "2024-12-24")["contract"],
	}
	replaced := a.must(200, a.do("tenant-a", "PUT", path, httpapitest.MustJSON(replace)))
	newAccount := replaced["paymentAccount"].(map[string]any)["id"].(string)
	if newAccount == firstAccount || replaced["contract"].(map[string]any)["endDate"] != "2024-12-24" ||
		replaced["customer"].(map[string]any)["id"] != customerID {
		t.Fatalf("replaced %v", replaced)
	}
	accounts := a.must(200, a.do("tenant-a", "GET", "/v1/payment-accounts/by-customer?customerId="+customerID, ""))
	if items := accounts["items"].([]any); len(items) != 2 || items[0].(map[string]any)["id"] != firstAccount {
		t.Fatalf("payment accounts %v, want both, oldest first", items)
	}
	for _, bad := range []struct {
		name, body string
		status     int
	}{
		{"status", httpapitest.MustJSON(map[string]any{"contract": with(replace["contract"].(map[string]any), "status", "active")}), 400},
		{"customer", httpapitest.MustJSON(map[string]any{"customerId": customerID, "contract": replace["contract"]}), 400},
		{"both payment accounts", httpapitest.MustJSON(map[string]any{"paymentAccountId": firstAccount, "paymentAccount": replace["paymentAccount"], "contract": replace["contract"]}), 400},
	} {
		if r := a.do("tenant-a", "PUT", path, bad.body); r.Status != bad.status {
			t.Errorf("replace with %s: %d %v, want %d", bad.name, r.Status, r.Body, bad.status)
		}
	}

	// The contract as read, its status included, sent back: the same
	// status is no change of status.
	same := a.must(200, a.do("tenant-a", "PUT", path, httpapitest.MustJSON(map[string]any{"contract": with(replace["contract"].(map[string]any), "status", "draft")})))
	if same["contract"].(map[string]any)["status"] != "draft" {
		t.Fatalf("replaced with its own status: %v", same["contract"])
	}

	// Another customer's payment account is refused.
	other := a.must(201, a.do("tenant-a", "POST", "/v1/contracts/", httpapitest.MustJSON(with(seed(t), "customer.externalId", "other"))))
	otherAccount := other["paymentAccount"].(map[string]any)["id"].(string)
	if r := a.do("tenant-a", "PUT", path, httpapitest.MustJSON(map[string]any{"paymentAccountId": otherAccount, "contract": replace["contract"]})); r.Status != 422 {
		t.Errorf("another customer's payment account: %d %v", r.Status, r.Body)
	}

	// Transitions: draft -> active -> canceled, and nothing else.
	a.must(200, a.do("tenant-a", "POST", path+"/activate", ""))
	r := a.do("tenant-a", "POST", path+"/activate", "")
	if r.Status != 409 || !strings.Contains(r.Body["detail"].(string), "active") {
		t.Errorf("activating an active contract: %d %v", r.Status, r.Body)
	}
	canceled := a.must(200, a.do("tenant-a", "POST", path+"/cancel", ""))
	if canceled["contract"].(map[string]any)["status"] != "canceled" {
		t.Errorf("canceled %v", canceled)
	}
	for _, action := range []string{"/cancel", "/activate"} {
		if r := a.do("tenant-a", "POST", path+action, ""); r.Status != 409 || !strings.Contains(r.Body["detail"].(string), "canceled") {
			t.Errorf("%s on a canceled contract: %d %v", action, r.Status, r.Body)
		}
	}
	if r := a.do("tenant-a", "PUT", path, httpapitest.MustJSON(replace)); r.Status != 409 {
		t.Errorf("replacing a canceled contract: %d %v", r.Status, r.Body)
	}
}

func TestTenantIsolation(t *testing.T) {
	a := newAPI(t)
	created := a.must(201, a.do("tenant-a", "POST", "/v1/contracts/", httpapitest.MustJSON(seed(t))))
	id := created["contract"].(map[string]any)["id"].(string)
	customerID := created["customer"].(map[string]any)["id"].(string)
	accountID := created["paymentAccount"].(map[string]any)["id"].(string)
	for _, req := range []struct{ method, path, body string }{
		{"GET", "/v1/contracts/" + id, ""},
		{"PUT", "/v1/contracts/" + id, httpapitest.MustJSON(map[string]any{"contract": seed(t)["contract"]})},
		{"POST", "/v1/contracts/" + id + "/cancel", ""},
		{"POST", "/v1/contracts/" + id + "/activate", ""},
		{"GET", "/v1/payment-accounts/by-customer?customerId=" + customerID, ""},
	} {
		if r := a.do("tenant-b", req.method, req.path, req.body); r.Status != 404 {
			t.Errorf("tenant B %s %s: %d %v", req.method, req.path, r.Status, r.Body)
		}
	}
	// Tenant B cannot hang a contract on tenant A's customer or account.
	if r := a.do("tenant-b", "POST", "/v1/contracts/", httpapitest.MustJSON(with(with(seed(t), "customer", nil), "customerId", customerID))); r.Status != 404 {
		t.Errorf("tenant B on A's customer: %d", r.Status)
	}
	if r := a.do("tenant-b", "POST", "/v1/contracts/", httpapitest.MustJSON(with(with(seed(t), "paymentAccount", nil), "paymentAccountId", accountID))); r.Status != 404 {
		t.Errorf("tenant B on A's payment account: %d", r.Status)
	}
	// A Kukkingu contract is not an Aira contract.
	k := a.do("tenant-a", "POST", "/api/v1/contracts", `{"clientId":"c","name":"n","amountMinor":1,"currencyCode":"EUR"}`)
	if r := a.do("tenant-a", "GET", "/v1/contracts/"+k.Body["data"].(map[string]any)["id"].(string), ""); r.Status != 404 {
		t.Errorf("a Kukkingu contract through Aira: %d", r.Status)
	}
}

func TestCustomers(t *testing.T) {
	a := newAPI(t)
	got := a.must(201, a.do("tenant-a", "POST", "/v1/customers/", `{"externalId":"ext-1","name":"Globex","customFields":{"tags":["a","b"]}}`))
	if !uuidPattern.MatchString(got["id"].(string)) || got["externalId"] != "ext-1" {
		t.Fatalf("customer %v", got)
	}
	a.must(201, a.do("tenant-b", "POST", "/v1/customers", `{"externalId":"ext-1","name":"Same id, other tenant"}`))
	for _, tt := range []struct {
		body   string
		status int
	}{
		{`{"externalId":"ext-1","name":"Dup"}`, 409},
		{`{"name":"No external id"}`, 400},
		{`{"externalId":"x","name":"n","customFields":{"a":{"b":1}}}`, 400},
		{`{"externalId":"x","name":"n","customFields":[]}`, 400},
	} {
		if r := a.do("tenant-a", "POST", "/v1/customers", tt.body); r.Status != tt.status {
			t.Errorf("%s: %d %v, want %d", tt.body, r.Status, r.Body, tt.status)
		}
	}
	accounts := a.must(200, a.do("tenant-a", "GET", "/v1/payment-accounts/by-customer?customerId="+got["id"].(string), ""))
	if items := accounts["items"].([]any); len(items) != 0 {
		t.Errorf("a new customer has payment accounts: %v", items)
	}
	if r := a.do("tenant-a", "GET", "/v1/payment-accounts/by-customer", ""); r.Status != 400 {
		t.Errorf("without customerId: %d", r.Status)
	}
	if r := a.do("tenant-a", "GET", "/v1/payment-accounts/by-customer?customerId=nobody", ""); r.Status != http.StatusNotFound {
		t.Errorf("unknown customer: %d", r.Status)
	}
}
