package aira_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/aira"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/dialecttest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// stored returns the tenant's contract id as stored, or nil.
func stored(s *contracttest.Store, tenantID, id string) *contract.Contract {
	c, err := s.GetContract(context.Background(), tenantID, id)
	if err != nil {
		return nil
	}
	return c
}

// What the tenant of every fuzzed request already holds: a customer with
// a payment account, and another customer with one, so that requests
// naming existing records can succeed or be refused as the other
// customer's.
const (
	fzPlan              = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
	fzCustomerID        = "0f6a1f64-5717-4562-b3fc-2c963f66afa6"
	fzAccountID         = "1b9d6bcd-bbfd-4b2d-9b5d-ab8dfbbd4bed"
	fzOtherCustomerID   = "6ec0bd7f-11c0-43da-975e-2a8ad9ebae0b"
	fzOtherAccountID    = "9c858901-8a57-4791-81fe-4c455b099bc9"
	fzTakenExternalID   = "cust-taken"
	fzOtherExternalID   = "cust-other"
	fzUnknownCustomerID = "5a9e3f1c-7b2d-4e8f-9a6b-3c1d2e4f5a6b"
)

var fzUUID = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// newFzStoreWithParties is a store whose tenant has the plans and the
// existing customers and payment accounts the seeds name.
func newFzStoreWithParties(t testing.TB) *contracttest.Store {
	store := contracttest.New()
	if err := store.PutPlans(context.Background(), dialecttest.Tenant, []contract.Plan{
		{ID: fzPlan, Name: "Plano Pro", Description: "Mensal", Currencies: []string{"BRL"}},
		{ID: "plan-basic", Name: "Plano Basico", Currencies: []string{"BRL"}},
	}); err != nil {
		t.Fatal(err)
	}
	at := dialecttest.Now.Add(-time.Hour)
	address := contract.Address{ZipCode: "69900-062", Number: "1", Street: "Rua A", City: "Rio Branco", State: "AC", Country: "Brasil"}
	for _, r := range []struct{ customer, external, account string }{
		{fzCustomerID, fzTakenExternalID, fzAccountID},
		{fzOtherCustomerID, fzOtherExternalID, fzOtherAccountID},
	} {
		err := store.AddCompanions(dialecttest.Tenant, contract.Companions{
			Customer: &contract.Customer{TenantID: dialecttest.Tenant, ID: r.customer, ExternalID: r.external, Name: "Existing",
				CreatedAt: at, UpdatedAt: at, CreatedBy: dialecttest.CredentialID, UpdatedBy: dialecttest.CredentialID},
			PaymentAccount: &contract.PaymentAccount{TenantID: dialecttest.Tenant, ID: r.account, CustomerID: r.customer,
				BusinessName: "Existing Ltda", TaxID: "11222333000181", Email: "a@example.com", Address: address,
				CreatedAt: at, UpdatedAt: at, CreatedBy: dialecttest.CredentialID, UpdatedBy: dialecttest.CredentialID},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return store
}

// newFzAPI serves the real Aira handler over store.
func newFzAPI(store *contracttest.Store) *dialecttest.API {
	return dialecttest.New(store, func(service *contract.Service, rt *httpapi.Router) {
		aira.NewHandler(service, store).Register(rt)
	})
}

// fzBase is the state every fuzzed request starts from, built once
// through the handler: the parties, and two contracts with the seed
// request's terms, one active (of the existing customer and payment
// account) and one canceled, with their answers.
type fzBase struct {
	store              *contracttest.Store
	active, canceled   string // ids
	activeAt, cancelAt string // answers to a read
}

var fzBaseState dialecttest.Once[*fzBase]

func fzBaseFor(t *testing.T) *fzBase {
	return fzBaseState.Get(t, func(t testing.TB) *fzBase {
		b := httpapitest.ReadFile(t, "testdata/seed-create.json")
		var seed map[string]json.RawMessage
		if err := json.Unmarshal([]byte(b), &seed); err != nil {
			t.Fatal(err)
		}
		a := newFzAPI(newFzStoreWithParties(t))
		base := &fzBase{store: a.Store}
		for _, c := range []struct {
			id   *string
			body string
		}{
			{&base.active, `{"customerId":"` + fzCustomerID + `","paymentAccountId":"` + fzAccountID + `","contract":` + string(seed["contract"]) + `}`},
			// Its own externalId, so that the seed's stays free for the
			// creates that start from it.
			{&base.canceled, strings.Replace(b, "cust_1234567890abcdef", "cust_base", 1)},
		} {
			r := a.Serve(t, "POST", "/v1/contracts/", c.body, fzCreateStatuses...)
			if r.StatusCode != http.StatusCreated {
				t.Fatalf("setup: %d %s", r.StatusCode, r.Body)
			}
			*c.id = httpapitest.Decode[fzAnswer](t, r.Body).Contract.ID
		}
		a.Serve(t, "POST", "/v1/contracts/"+base.canceled+"/cancel", "", http.StatusOK)
		// The creates that start from the seed must be able to succeed
		// over this state, or the fuzzing never leaves the refusals.
		if r := newFzAPI(a.Store.Clone()).Serve(t, "POST", "/v1/contracts/", b, fzCreateStatuses...); r.StatusCode != http.StatusCreated {
			t.Fatalf("the seed request does not create over the base state: %d %s", r.StatusCode, r.Body)
		}
		base.activeAt = a.Serve(t, "GET", "/v1/contracts/"+base.active, "", http.StatusOK).Body
		base.cancelAt = a.Serve(t, "GET", "/v1/contracts/"+base.canceled, "", http.StatusOK).Body
		return base
	})
}

// newFzAPIFromBase serves the handler over a fork of the base state.
func newFzAPIFromBase(t *testing.T) (*dialecttest.API, *fzBase) {
	base := fzBaseFor(t)
	return newFzAPI(base.store.Clone()), base
}

// fzAnswer is the part of a contract answer the properties look at.
type fzAnswer struct {
	Contract struct {
		ID     string `json:"id"`
		Status string `json:"status"`
		Plans  []struct {
			ID string `json:"id"`
		} `json:"plans"`
		StartDate       string          `json:"startDate"`
		EndDate         *string         `json:"endDate"`
		BillingEndDay   *int            `json:"billingEndDay,omitempty"`
		PaymentSettings json.RawMessage `json:"paymentSettings,omitempty"`
		BillingSettings json.RawMessage `json:"billingSettings,omitempty"`
		CustomFields    json.RawMessage `json:"customFields"`
	} `json:"contract"`
	Customer struct {
		ID string `json:"id"`
	} `json:"customer"`
	PaymentAccount struct {
		ID string `json:"id"`
	} `json:"paymentAccount"`
}

// fzCustomerAnswer is a customer as Aira answers it.
type fzCustomerAnswer struct {
	ID           string          `json:"id"`
	ExternalID   string          `json:"externalId"`
	Name         string          `json:"name"`
	CustomFields json.RawMessage `json:"customFields"`
}

// readBack checks that a contract answer reads back unchanged, and that
// its own fields, sent back as a replace, are accepted and change nothing,
// the version included: what the service writes passes its own
// validation, and a replace with nothing to change writes nothing.
func readBack(t *testing.T, a *dialecttest.API, answer string) {
	t.Helper()
	got := httpapitest.Decode[fzAnswer](t, answer)
	path := "/v1/contracts/" + got.Contract.ID
	if r := a.Serve(t, "GET", path, "", http.StatusOK, http.StatusNotFound); r.StatusCode != http.StatusOK || !httpapitest.SameJSON(r.Body, answer) {
		t.Fatalf("read back %d %s, want %s", r.StatusCode, r.Body, answer)
	}
	if got.Contract.Status == string(contract.StatusCanceled) {
		return
	}
	fields := map[string]any{
		"startDate": got.Contract.StartDate, "endDate": got.Contract.EndDate, "customFields": got.Contract.CustomFields,
		"planIds": []string{},
	}
	for _, p := range got.Contract.Plans {
		fields["planIds"] = append(fields["planIds"].([]string), p.ID)
	}
	if got.Contract.BillingEndDay != nil {
		fields["billingEndDay"] = *got.Contract.BillingEndDay
	}
	if got.Contract.PaymentSettings != nil {
		fields["paymentSettings"] = got.Contract.PaymentSettings
	}
	if got.Contract.BillingSettings != nil {
		fields["billingSettings"] = got.Contract.BillingSettings
	}
	again, err := json.Marshal(map[string]any{"contract": fields})
	if err != nil {
		t.Fatal(err)
	}
	before := stored(a.Store, dialecttest.Tenant, got.Contract.ID)
	r := a.Serve(t, "PUT", path, string(again), http.StatusOK, http.StatusBadRequest, http.StatusNotFound,
		http.StatusConflict, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity)
	if r.StatusCode != http.StatusOK || !httpapitest.SameJSON(r.Body, answer) {
		t.Fatalf("the answer's own fields, sent back as a replace %s, answer %d %s; want %s", again, r.StatusCode, r.Body, answer)
	}
	if after := stored(a.Store, dialecttest.Tenant, got.Contract.ID); after.Version != before.Version {
		t.Fatalf("a replace with nothing to change stored version %d over %d", after.Version, before.Version)
	}
}

// The statuses each fuzzed route documents, short of 401 (the authorizer
// has let every request in) and 5xx.
var (
	fzCreateStatuses   = []int{201, 400, 404, 409, 413, 415, 422}
	fzReplaceStatuses  = []int{200, 400, 404, 409, 413, 415, 422}
	fzCustomerStatuses = []int{201, 400, 409, 413, 415, 422}
)

func fzSeed(f *testing.F) string {
	return httpapitest.ReadFile(f, "testdata/seed-create.json")
}

// fzEdit returns the seed with the value at a dotted path replaced by raw
// JSON, or removed when raw is empty.
func fzEdit(f *testing.F, seed, path, raw string) string {
	var root map[string]any
	if err := json.Unmarshal([]byte(seed), &root); err != nil {
		f.Fatal(err)
	}
	parts := strings.Split(path, ".")
	m := root
	for _, p := range parts[:len(parts)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			f.Fatalf("%s: no object at %s", path, p)
		}
		m = next
	}
	if raw == "" {
		delete(m, parts[len(parts)-1])
	} else {
		m[parts[len(parts)-1]] = json.RawMessage(raw)
	}
	b, err := json.Marshal(root)
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}

const fzMinimalContract = `{"startDate":"2024-01-01","planIds":["` + fzPlan + `"]}`

// fzCreateSeeds are create bodies: the seed request and, for each refusal
// class, a body that meets it.
func fzCreateSeeds(f *testing.F) []string {
	seed := fzSeed(f)
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	existing := `{"customerId":"` + fzCustomerID + `","paymentAccountId":"` + fzAccountID + `","contract":` + fzMinimalContract + `}`
	return []string{
		seed,
		existing,
		`{"customerId":"` + fzCustomerID + `","paymentAccount":` + fzEditRaw(f, seed, "paymentAccount") + `,"contract":` + fzMinimalContract + `}`,
		`{"customerId":"` + fzUnknownCustomerID + `","paymentAccountId":"` + fzAccountID + `","contract":` + fzMinimalContract + `}`,
		`{"customerId":"` + fzCustomerID + `","paymentAccountId":"` + fzUnknownCustomerID + `","contract":` + fzMinimalContract + `}`,
		`{"customerId":"` + fzCustomerID + `","paymentAccountId":"` + fzOtherAccountID + `","contract":` + fzMinimalContract + `}`,
		`{"customerId":"not-a-uuid","paymentAccountId":"` + fzAccountID + `","contract":` + fzMinimalContract + `}`,
		`{"paymentAccountId":"` + fzAccountID + `","contract":` + fzMinimalContract + `}`,
		`{"customerId":"` + fzCustomerID + `","contract":` + fzMinimalContract + `}`,
		`{"customerId":"` + fzCustomerID + `","paymentAccountId":"` + fzAccountID + `"}`,
		`{"customerId":"` + fzCustomerID + `","paymentAccountId":"` + fzAccountID + `","contract":null}`,
		fzEdit(f, seed, "customerId", `"`+fzCustomerID+`"`),
		fzEdit(f, seed, "customer.externalId", `"`+fzTakenExternalID+`"`),
		fzEdit(f, seed, "customer.externalId", `""`),
		fzEdit(f, seed, "customer.name", `"`+strings.Repeat("é", 256)+`"`),
		fzEdit(f, seed, "customer.customFields", `{"a":["x","y"],"b":"z"}`),
		fzEdit(f, seed, "customer.customFields", `{"a":1}`),
		fzEdit(f, seed, "customer.customFields", `[]`),
		fzEdit(f, seed, "paymentAccount.taxId", `"11.222.333/0001-82"`),
		fzEdit(f, seed, "paymentAccount.taxId", `"529.982.247-25"`),
		fzEdit(f, seed, "paymentAccount.email", `"not-an-email"`),
		fzEdit(f, seed, "paymentAccount.address.zipCode", `"6990-0062"`),
		fzEdit(f, seed, "paymentAccount.address.state", `"XX"`),
		fzEdit(f, seed, "paymentAccount.address", `null`),
		fzEdit(f, seed, "paymentAccount.address.country", `"`+strings.Repeat("b", 65)+`"`),
		fzEdit(f, seed, "contract.endDate", `"2023-12-24"`),
		fzEdit(f, seed, "contract.endDate", `null`),
		fzEdit(f, seed, "contract.startDate", `"2023-02-29"`),
		fzEdit(f, seed, "contract.startDate", `"2023-12-25T00:00:00Z"`),
		fzEdit(f, seed, "contract.startDate", `"9999-12-31"`),
		fzEdit(f, seed, "contract.startDate", `"0000-01-01"`),
		fzEdit(f, seed, "contract.status", `"draft"`),
		fzEdit(f, seed, "contract.status", `"canceled"`),
		fzEdit(f, seed, "contract.billingEndDay", `0`),
		fzEdit(f, seed, "contract.billingEndDay", `32`),
		fzEdit(f, seed, "contract.billingEndDay", `9007199254740992`),
		fzEdit(f, seed, "contract.billingEndDay", `1e400`),
		fzEdit(f, seed, "contract.billingEndDay", `16.0`),
		fzEdit(f, seed, "contract.planIds", `["plan-unknown","`+fzPlan+`","plan-gone"]`),
		fzEdit(f, seed, "contract.planIds", `[]`),
		fzEdit(f, seed, "contract.planIds", `[""]`),
		fzEdit(f, seed, "contract.planIds", `["`+strings.Repeat("p,", 20)+`"]`),
		fzEdit(f, seed, "contract.planIds", `[`+strings.TrimSuffix(strings.Repeat(`"plan-basic",`, 21), ",")+`]`),
		fzEdit(f, seed, "contract.paymentSettings", `{"scheduledPaymentDay":0,"dueOffsetDays":366}`),
		fzEdit(f, seed, "contract.paymentSettings", `{"scheduledPaymentDay":1}`),
		fzEdit(f, seed, "contract.billingSettings.billingCycleMinimumAmount", `-1`),
		fzEdit(f, seed, "contract.billingSettings.billingCycleMinimumAmount", `1e400`),
		fzEdit(f, seed, "contract.billingSettings.billingCycleMinimumAmount", `1e2`),
		fzEdit(f, seed, "contract.billingSettings.billingCycleMinimumAmount", `10.50`),
		fzEdit(f, seed, "contract.billingSettings.billingCycleMinimumAmount", `"ten"`),
		fzEdit(f, seed, "contract.billingSettings.billingCycleMinimumAmount", `null`),
		fzEdit(f, seed, "contract.customFields", deep),
		fzEdit(f, seed, "contract.customFields", `{"k":`+deep+`}`),
		fzEdit(f, seed, "contract.customFields", `{"k":"a\u0000b"}`),
		fzEdit(f, seed, "contract.unknown", `1`),
		strings.Replace(seed, `"contract": {`, `"contract": {"startDate":"2020-01-01",`, 1),
		strings.Replace(seed, `"customer": {`, `"Customer": {`, 1),
		strings.Replace(seed, `"Acme Inc."`, "\"Acme \xff\"", 1),
		`{"customer":null,"customerId":null,"paymentAccount":null,"paymentAccountId":null,"contract":null}`,
		`null`, `[]`, `{`, ``, `{}`, seed + `{}`, `"` + strings.Repeat("a", 70000) + `"`,
	}
}

// fzEditRaw returns the raw JSON at a top-level key of seed.
func fzEditRaw(f *testing.F, seed, key string) string {
	var root map[string]json.RawMessage
	if err := json.Unmarshal([]byte(seed), &root); err != nil {
		f.Fatal(err)
	}
	return string(root[key])
}

// hasKey reports whether a JSON object body names key with a value other
// than null.
func hasKey(body, key string) bool {
	var root map[string]json.RawMessage
	return json.Unmarshal([]byte(body), &root) == nil && root[key] != nil && string(root[key]) != "null"
}

// FuzzAiraCreate sends arbitrary create bodies through the real handler.
// Every answer is a documented success or 4xx problem; a refused create
// leaves no contract, customer or payment account behind; a created one is
// stored with exactly the companions the body asked for, reads back as
// answered, and its own fields are a valid replace.
func FuzzAiraCreate(f *testing.F) {
	for _, s := range fzCreateSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		a, _ := newFzAPIFromBase(t)
		resp, before, after := a.Write(t, httpapitest.Request{Method: "POST", Target: "/v1/contracts/", Body: body}, http.StatusCreated, fzCreateStatuses...)
		if resp.StatusCode != http.StatusCreated {
			return
		}
		want := before.Counts
		want.Contracts++
		want.Versions++
		if hasKey(body, "customer") {
			want.Customers++
		}
		if hasKey(body, "paymentAccount") {
			want.PaymentAccounts++
		}
		if after.Counts != want {
			t.Fatalf("a create stored %+v over %+v, want %+v", after.Counts, before.Counts, want)
		}
		got := httpapitest.Decode[fzAnswer](t, resp.Body)
		for _, id := range []string{got.Contract.ID, got.Customer.ID, got.PaymentAccount.ID} {
			if !fzUUID.MatchString(id) {
				t.Fatalf("id %q is not a UUID: %s", id, resp.Body)
			}
		}
		stored := stored(a.Store, dialecttest.Tenant, got.Contract.ID)
		if stored == nil || stored.Party != (contract.Party{Kind: contract.PartyCustomer, ID: got.Customer.ID}) ||
			stored.PaymentAccountID != got.PaymentAccount.ID || string(stored.Status) != got.Contract.Status {
			t.Fatalf("stored %+v for the answer %s", stored, resp.Body)
		}
		readBack(t, a, resp.Body)
	})
}

// FuzzAiraReplace sends arbitrary replace bodies through the real handler
// onto a contract made from the seed request, active or canceled. A
// refused replace changes nothing; a canceled contract is never replaced;
// an applied one keeps its id and customer, reads back as answered, and
// its own fields are again a valid replace.
func FuzzAiraReplace(f *testing.F) {
	seed := fzSeed(f)
	contractOf := fzEditRaw(f, seed, "contract")
	accountOf := fzEditRaw(f, seed, "paymentAccount")
	for _, s := range []string{
		`{"contract":` + contractOf + `}`,
		`{"contract":` + fzMinimalContract + `}`,
		`{"paymentAccountId":"` + fzAccountID + `","contract":` + fzMinimalContract + `}`,
		`{"paymentAccountId":"` + fzOtherAccountID + `","contract":` + fzMinimalContract + `}`,
		`{"paymentAccountId":"` + fzUnknownCustomerID + `","contract":` + fzMinimalContract + `}`,
		`{"paymentAccount":` + accountOf + `,"contract":` + fzMinimalContract + `}`,
		`{"paymentAccount":` + accountOf + `,"paymentAccountId":"` + fzAccountID + `","contract":` + fzMinimalContract + `}`,
		`{"contract":{"startDate":"2024-01-01","planIds":["` + fzPlan + `"],"status":"active"}}`,
		`{"contract":{"startDate":"2024-01-01","endDate":"2023-12-31","planIds":["` + fzPlan + `"]}}`,
		`{"contract":{"startDate":"2024-01-01","planIds":["plan-unknown"]}}`,
		`{"contract":{"startDate":"2024-01-01","planIds":["` + fzPlan + `"],"billingEndDay":1e400}}`,
		`{"contract":{"startDate":"2024-01-01","planIds":["` + fzPlan + `"],"customFields":` + strings.Repeat(`{"a":`, 40) + `""` + strings.Repeat("}", 40) + `}}`,
		`{"contract":{"startDate":"2024-01-01","startDate":"2024-01-02","planIds":["` + fzPlan + `"]}}`,
		"{\"contract\":{\"startDate\":\"2024-01-01\",\"planIds\":[\"\xff\"]}}",
		`{"customerId":"` + fzCustomerID + `","contract":` + fzMinimalContract + `}`,
		`{"contract":null}`, `{}`, `null`, `[]`, `{`, ``,
	} {
		f.Add(false, s)
		f.Add(true, s)
	}
	f.Fuzz(func(t *testing.T, canceled bool, body string) {
		a, base := newFzAPIFromBase(t)
		id, current := base.active, base.activeAt
		if canceled {
			id, current = base.canceled, base.cancelAt
		}
		path := "/v1/contracts/" + id
		resp, before, after := a.Write(t, httpapitest.Request{Method: "PUT", Target: path, Body: body}, http.StatusOK, fzReplaceStatuses...)
		if resp.StatusCode != http.StatusOK {
			if r := a.Serve(t, "GET", path, "", http.StatusOK); !httpapitest.SameJSON(r.Body, current) {
				t.Fatalf("a refused replace changed the contract: %s -> %s", current, r.Body)
			}
			return
		}
		if canceled {
			t.Fatalf("a canceled contract was replaced: %s", resp.Body)
		}
		// A replace that changes nothing is answered the contract as it
		// was, and stores no version.
		want := before.Counts
		if !httpapitest.SameJSON(resp.Body, current) {
			want.Versions++
		}
		if hasKey(body, "paymentAccount") {
			want.PaymentAccounts++
		}
		if after.Counts != want {
			t.Fatalf("a replace stored %+v over %+v, want %+v", after.Counts, before.Counts, want)
		}
		was, got := httpapitest.Decode[fzAnswer](t, current), httpapitest.Decode[fzAnswer](t, resp.Body)
		if got.Contract.ID != id || got.Customer != was.Customer || got.Contract.Status != was.Contract.Status {
			t.Fatalf("a replace changed id, customer or status: %s -> %s", current, resp.Body)
		}
		readBack(t, a, resp.Body)
	})
}

// FuzzAiraCustomer sends arbitrary customer bodies through the real
// handler. A refused one stores nothing; a created one is stored as
// answered, and its externalId is then taken (409 naming it).
func FuzzAiraCustomer(f *testing.F) {
	for _, s := range []string{
		`{"externalId":"cust_1234567890abcdef","name":"Acme Inc.","customFields":{"custom_field_1":"value1","custom_field_2":"value2"}}`,
		`{"externalId":"e","name":"n"}`,
		`{"externalId":"e","name":"n","customFields":{}}`,
		`{"externalId":"e","name":"n","customFields":{"a":["x","y"],"b":[]}}`,
		`{"externalId":"e","name":"n","customFields":{"a":{"b":"c"}}}`,
		`{"externalId":"e","name":"n","customFields":{"a":1e400}}`,
		`{"externalId":"e","name":"n","customFields":{"a":9007199254740993}}`,
		`{"externalId":"e","name":"n","customFields":"x"}`,
		`{"externalId":"e","name":"n","customFields":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
		`{"externalId":"` + fzTakenExternalID + `","name":"n"}`,
		`{"externalId":"","name":"n"}`,
		`{"externalId":"e","name":""}`,
		`{"externalId":"` + strings.Repeat("x", 256) + `","name":"n"}`,
		`{"externalId":"` + strings.Repeat("é", 255) + `","name":"n"}`,
		`{"externalId":"e","name":"a\u0000b"}`,
		"{\"externalId\":\"e\",\"name\":\"\xff\"}",
		`{"externalId":"e","externalId":"f","name":"n"}`,
		`{"externalId":"e","ExternalId":"f","name":"n"}`,
		`{"externalId":"e","name":"n","id":"` + fzCustomerID + `"}`,
		`{"externalId":1,"name":"n"}`,
		`{"externalId":null,"name":null,"customFields":null}`,
		`null`, `[]`, `{`, ``, `{}`, `{"externalId":"e","name":"n"}{}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		a, _ := newFzAPIFromBase(t)
		resp, before, after := a.Write(t, httpapitest.Request{Method: "POST", Target: "/v1/customers", Body: body}, http.StatusCreated, fzCustomerStatuses...)
		if resp.StatusCode != http.StatusCreated {
			return
		}
		if want := (contracttest.Counts{Contracts: before.Contracts, Customers: before.Customers + 1, PaymentAccounts: before.PaymentAccounts, Versions: before.Versions}); after.Counts != want {
			t.Fatalf("a customer create stored %+v over %+v", after.Counts, before.Counts)
		}
		got := httpapitest.Decode[fzCustomerAnswer](t, resp.Body)
		stored, err := a.Store.GetCustomer(context.Background(), dialecttest.Tenant, got.ID)
		if err != nil || !fzUUID.MatchString(got.ID) || stored.ExternalID != got.ExternalID || stored.Name != got.Name {
			t.Fatalf("stored %+v (%v) for the answer %s", stored, err, resp.Body)
		}
		if want := stored.CustomFields; want != nil && !httpapitest.SameJSON(string(want), string(got.CustomFields)) ||
			want == nil && string(got.CustomFields) != "{}" {
			t.Fatalf("stored customFields %s, answered %s", want, got.CustomFields)
		}
		again := a.Serve(t, "POST", "/v1/customers", body, fzCustomerStatuses...)
		p := httpapitest.Decode[httpapi.Problem](t, again.Body)
		if again.StatusCode != http.StatusConflict || len(p.Errors) != 1 || p.Errors[0].Field != "externalId" {
			t.Fatalf("a second customer with externalId %q: %d %s", got.ExternalID, again.StatusCode, again.Body)
		}
	})
}
