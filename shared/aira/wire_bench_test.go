package aira

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
	"github.com/contracts-service/contracts/shared/ids"
)

// BenchmarkWire measures the dialect's own work on a create, the scope of
// the performance target: decode and validate the body (infra/events/
// aira-create.json's), map it to a contract with its new customer and
// payment account, and encode the answer; no routing, logging, catalog
// read, domain rules or store. make bench reports it beside the whole
// request's cost. (Aira has no list of contracts.)
func BenchmarkWire(b *testing.B) {
	raw := httpapitest.ReadFile(b, "../../infra/events/aira-create.json")
	var sample struct{ Body string }
	if err := json.Unmarshal([]byte(raw), &sample); err != nil {
		b.Fatal(err)
	}
	h := NewHandler(nil, nil)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	plans := map[string]contract.Plan{"3c90c3cc-0d44-4b50-8888-8dd25736052a": {ID: "3c90c3cc-0d44-4b50-8888-8dd25736052a", Name: "Plan"}}
	r := &httpapi.Request{Event: httpapitest.Request{Body: sample.Body}.Event()}
	b.Run("aira/create", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var in createRequest
			if err := r.DecodeJSON(&in); err != nil {
				b.Fatal(err)
			}
			if err := h.validator.Struct(&in); err != nil {
				b.Fatal(err)
			}
			if err := checkContract(in.Contract, "contract."); err != nil {
				b.Fatal(err)
			}
			if !validCustomFields(in.Customer.CustomFields) {
				b.Fatal("customFields refused")
			}
			customer := &contract.Customer{ID: ids.UUID(), ExternalID: in.Customer.ExternalID, Name: in.Customer.Name,
				CustomFields: customFieldsOf(in.Customer.CustomFields), CreatedAt: at, UpdatedAt: at}
			account := in.PaymentAccount.toPaymentAccount(ids.UUID(), customer.ID)
			account.CreatedAt, account.UpdatedAt = at, at
			c := &contract.Contract{ID: ids.UUID(), Number: "CT-0000000001", Party: contract.Party{Kind: contract.PartyCustomer, ID: customer.ID},
				PaymentAccountID: account.ID, Status: contract.StatusActive, CreatedAt: at, UpdatedAt: at}
			in.Contract.apply(c)
			if _, err := httpapi.JSON(http.StatusCreated, contractResponse{
				Contract: contractBodyOf(c, plans), Customer: customerBodyOf(customer), PaymentAccount: paymentAccountBodyOf(account),
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
