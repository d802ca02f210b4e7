package endpoints_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// TestRoundTripsPerOperation counts the DynamoDB calls of each create
// and get of every API, unkeyed, on a warm function (its plan cache
// holds the plans named): every create draws its numbers in one
// UpdateItem and writes in one transaction, and every get is one read.
// A create the store may refuse for what it holds (a fabric contractId
// or an Aira externalId taken, an Aira customerId or paymentAccountId
// missing) reads that with the tenant's counter instead, and claims the
// next number in its transaction, so a refusal draws no number. A keyed
// write adds the read of its key (see TestIdempotencyRoundTrips).
func TestRoundTripsPerOperation(t *testing.T) {
	store, _, faults := ddbtest.NewFaultyStore(t)
	creates, actions, organizations, all := contractsOfEveryAPI(t, store)
	seed := httpapitest.ReadFile(t, "../aira/testdata/seed-create.json")
	var airaSeed map[string]any
	json.Unmarshal([]byte(seed), &airaSeed)
	aira, fabric := all[1], all[2]
	airaExisting := func() string {
		var got struct {
			Customer       struct{ ID string } `json:"customer"`
			PaymentAccount struct{ ID string } `json:"paymentAccount"`
		}
		r := creates.do("GET", "/v1/contracts/"+aira.id, "", "")
		json.Unmarshal([]byte(r.Body), &got)
		body := map[string]any{"contract": airaSeed["contract"], "customerId": got.Customer.ID, "paymentAccountId": got.PaymentAccount.ID}
		b, _ := json.Marshal(body)
		return string(b)
	}()
	airaNew := strings.Replace(seed, `"externalId": "`, `"externalId": "trips-`, 1)
	if airaNew == seed {
		t.Fatal("the Aira seed has no externalId to change")
	}
	for _, tt := range []struct {
		name   string
		c      client
		method string
		path   string
		body   string
		status int
		want   string // the calls, as fmt prints a map of operation to count
	}{
		{"Kukkingu create", creates, "POST", "/api/v1/contracts", seedBody, 201, "map[TransactWriteItems:1 UpdateItem:1]"},
		{"EasyBilling create", actions, "POST", "/api/contract-actions", `{"accountNumber":"ACC-0000000001","actions":[{"type":"create-contract-with-plan",
			"createContractWithPlan":[{"planId":"` + ownershipPlan + `","effectiveDate":"2090-01-01","expirationDate":"2091-01-01","currency":["USD"]}]}]}`,
			200, "map[TransactWriteItems:1 UpdateItem:1]"},
		{"EasyBilling change", actions, "POST", "/api/contract-actions", `{"accountNumber":"ACC-0000000001","actions":[{"type":"renew",
			"renew":[{"contractNumber":"` + all[3].number + `","effectiveDate":"2091-01-01","expirationDate":"2092-01-01"}]}]}`,
			200, "map[GetItem:1 TransactWriteItems:1 UpdateItem:1]"},
		{"fabric create, contractId generated", organizations, "POST", "/v1/organizations/org-1/contracts",
			`{"startDate":"2024-01-01T00:00:00.000Z","endDate":"2024-12-31T00:00:00.000Z"}`, 200, "map[TransactWriteItems:1 UpdateItem:1]"},
		{"fabric create, contractId given", organizations, "POST", "/v1/organizations/org-1/contracts",
			`{"contractId":"C-2","startDate":"2024-01-01T00:00:00.000Z","endDate":"2024-12-31T00:00:00.000Z"}`, 200,
			"map[BatchGetItem:1 TransactWriteItems:1]"},
		{"Aira create, new customer and payment account", creates, "POST", "/v1/contracts/", airaNew, 201,
			"map[BatchGetItem:1 TransactWriteItems:1]"},
		{"Aira create, existing customer and payment account", creates, "POST", "/v1/contracts/", airaExisting, 201,
			"map[BatchGetItem:1 TransactWriteItems:1]"},

		{"Kukkingu get by id", creates, "GET", "/api/v1/contracts/" + all[0].id, "", 200, "map[Query:1]"},
		{"Kukkingu get by number", creates, "GET", "/api/v1/contracts/" + all[0].number, "", 200, "map[GetItem:1]"},
		{"Aira get", creates, "GET", "/v1/contracts/" + aira.id, "", 200, "map[Query:1]"},
		{"fabric get by contractId", organizations, "GET", "/v1/organizations/org-1/contracts/C-1", "", 200, "map[GetItem:1]"},
		{"fabric get by _id", organizations, "GET", "/v1/organizations/org-1/contracts/" + fabric.id, "", 200, "map[Query:1]"},
		{"EasyBilling get contract", actions, "GET", "/api/contracts/" + all[3].number, "", 200, "map[GetItem:1]"},
		{"EasyBilling get action", actions, "GET", "/api/contract-actions/CA-0000000001", "", 200, "map[GetItem:1]"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.t = t
			faults.Reset()
			r := tt.c.do(tt.method, tt.path, "", tt.body)
			calls := map[string]int{}
			for _, op := range []string{"GetItem", "BatchGetItem", "PutItem", "UpdateItem", "TransactWriteItems", "Query", "TransactGetItems"} {
				if n := faults.Calls(op); n > 0 {
					calls[op] = n
				}
			}
			if r.StatusCode != tt.status {
				t.Fatalf("%d, want %d: %s", r.StatusCode, tt.status, r.Body)
			}
			if got := fmt.Sprint(calls); got != tt.want {
				t.Errorf("called %s, want %s", got, tt.want)
			}
		})
	}
}

// Every write that succeeds under an Idempotency-Key keeps the key's
// record in its own transaction, on every write route of every API: none
// puts the record apart afterwards (PutItem), which would leave a moment
// in which the change is made and its answer not kept, so a retry after
// a lost answer would apply it again.
func TestKeyedWritesKeepTheirKeyInTheirTransaction(t *testing.T) {
	store, _, faults := ddbtest.NewFaultyStore(t)
	creates, actions, organizations, all := contractsOfEveryAPI(t, store)
	kukkingu, aira := all[0], all[1]
	seed := strings.Replace(string(httpapitest.ReadFile(t, "../aira/testdata/seed-create.json")), `"externalId": "`, `"externalId": "keyed-`, 1)
	fabric := "/v1/organizations/org-1/contracts/"
	for _, tt := range []struct {
		name         string
		c            client
		method, path string
		body         string
	}{
		{"Kukkingu create", creates, "POST", "/api/v1/contracts", seedBody},
		{"Kukkingu patch", creates, "PATCH", "/api/v1/contracts/" + kukkingu.id, `{"name":"Renamed"}`},
		{"Kukkingu delete", creates, "DELETE", "/api/v1/contracts/" + kukkingu.id, ""},
		{"Aira create", creates, "POST", "/v1/contracts/", seed},
		{"Aira replace", creates, "PUT", "/v1/contracts/" + aira.id, `{"contract":{"startDate":"2023-12-25","endDate":"2025-12-24",
			"planIds":["` + ownershipPlan + `"],"customFields":{}}}`},
		{"Aira cancel", creates, "POST", "/v1/contracts/" + aira.id + "/cancel", ""},
		{"Aira customer", creates, "POST", "/v1/customers/", `{"externalId":"keyed-customer","name":"Keyed"}`},
		{"fabric create", organizations, "POST", "/v1/organizations/org-1/contracts",
			`{"contractId":"K-1","startDate":"2024-01-01T00:00:00.000Z","endDate":"2024-12-31T00:00:00.000Z"}`},
		{"fabric update", organizations, "PUT", fabric + "C-1", `{"status":"ACTIVE"}`},
		{"fabric delete", organizations, "DELETE", fabric + "C-1", ""},
		{"fabric resurrect", organizations, "POST", fabric + "C-1/resurrect", ""},
		{"EasyBilling actions", actions, "POST", "/api/contract-actions", `{"accountNumber":"ACC-0000000001","actions":[{"type":"renew",
			"renew":[{"contractNumber":"` + all[3].number + `","effectiveDate":"2091-01-01","expirationDate":"2092-01-01"}]}]}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.t = t
			faults.Reset()
			r := tt.c.do(tt.method, tt.path, "keyed "+tt.name, tt.body)
			if r.StatusCode >= 300 {
				t.Fatalf("%d %s", r.StatusCode, r.Body)
			}
			if n := faults.Calls("PutItem"); n != 0 {
				t.Errorf("kept its key's record apart from its write (%d PutItem)", n)
			}
		})
	}
}
