package kukkingu

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// benchCreateBody is the create request of Kukkingu's documentation.
const benchCreateBody = `{"clientId":"clnt_z2b3mo8qa5kzptgsu26q2wmh","name":"Standard Service Contract","amountMinor":5000,"currencyCode":"EUR","description":"This contract covers standard service terms and conditions.","order":13,"validFrom":"2023-10-05T14:48:00.000Z","validTo":"2023-10-05T14:48:00.000Z"}`

// BenchmarkWire measures the dialect's own work on a request, the scope
// of the performance target: decode and validate the body, map it to the
// domain, and encode the answer; no routing, logging, domain rules or
// store. make bench reports it beside the whole request's cost.
func BenchmarkWire(b *testing.B) {
	h := NewHandler(nil)
	b.Run("kukkingu/create", func(b *testing.B) {
		r := &httpapi.Request{Event: httpapitest.Request{Body: benchCreateBody}.Event()}
		b.ReportAllocs()
		for b.Loop() {
			var in contractFields
			if err := r.DecodeJSON(&in); err != nil {
				b.Fatal(err)
			}
			if err := h.validator.Struct(&in); err != nil {
				b.Fatal(err)
			}
			c := &contract.Contract{ID: "ctr_z23aoo8naxk68ewcr64tchh5", Number: "CT-0000000001"}
			if err := in.apply(c); err != nil {
				b.Fatal(err)
			}
			c.CreatedAt, c.UpdatedAt = time.Now(), time.Now()
			if _, err := httpapi.JSON(http.StatusCreated, dataEnvelope{Data: bodyOf(c, "2023-10-05")}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kukkingu/list", func(b *testing.B) {
		page := make([]contract.Contract, 20)
		for i := range page {
			from, minor, order := time.Date(2023, 10, 5, 14, 48, 0, 0, time.UTC), int64(5000), int64(13)
			page[i] = contract.Contract{
				ID: fmt.Sprintf("ctr_%024d", i), Number: contract.FormatNumber(int64(i + 1)),
				Party: contract.Party{Kind: contract.PartyClient, ID: "clnt_z2b3mo8qa5kzptgsu26q2wmh"}, Name: "Standard Service Contract",
				Amount: &contract.Money{Minor: minor, Currency: "EUR"}, Description: "This contract covers standard service terms and conditions.",
				Order: &order, ValidFrom: &from, ValidTo: &from, CreatedAt: from, UpdatedAt: from,
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			next := contract.EncodeCursor(page[len(page)-1].Number)
			out := listBody{Data: bodiesOf(len(page), func(i int) *contract.Contract { return &page[i] }, "2023-10-05"), NextCursor: &next}
			if _, err := httpapi.JSON(http.StatusOK, out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
