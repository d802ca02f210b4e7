package fabric

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// benchCreateBody is the create of infra/events/fabric-create.json.
const benchCreateBody = `{"contractId":"CONTRACT-2024-001","startDate":"2024-01-01T00:00:00.000Z","endDate":"2024-12-31T23:59:59.000Z",` +
	`"contractType":"standard","priceListId":100001,"status":"DRAFT","additionalAttributes":{"region":"north"}}`

// BenchmarkWire measures the dialect's own work on a request, the scope
// of the performance target: decode and validate the body, map it to the
// domain, and encode the answer; no routing, logging, domain rules or
// store. make bench reports it beside the whole request's cost.
func BenchmarkWire(b *testing.B) {
	h := NewHandler(nil, nil)
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	b.Run("fabric/create", func(b *testing.B) {
		r := &httpapi.Request{Event: httpapitest.Request{Body: benchCreateBody}.Event()}
		b.ReportAllocs()
		for b.Loop() {
			var in contractFields
			if err := r.DecodeJSON(&in); err != nil {
				b.Fatal(err)
			}
			if err := h.validate(&in); err != nil {
				b.Fatal(err)
			}
			c := &contract.Contract{ID: "0123456789abcdef01234567", Number: "CT-0000000001", Reference: *in.ContractID,
				Party: contract.Party{Kind: contract.PartyOrganization, ID: "5f1b2c3d4e5f6a7b8c9d0e1f"}, AccountID: "1234567890abcdef12345678"}
			if err := in.apply(c, at, func() string { return "89abcdef0123456789abcdef" }); err != nil {
				b.Fatal(err)
			}
			c.CreatedAt, c.UpdatedAt = at, at
			if _, err := httpapi.JSON(http.StatusOK, bodyOf(c)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("fabric/list", func(b *testing.B) {
		page := make([]contract.Contract, 20)
		for i := range page {
			end := at.AddDate(1, 0, 0)
			page[i] = contract.Contract{
				ID: fmt.Sprintf("%024x", i), Number: contract.FormatNumber(int64(i + 1)), Reference: fmt.Sprintf("CONTRACT-2024-%03d", i),
				Party:  contract.Party{Kind: contract.PartyOrganization, ID: "5f1b2c3d4e5f6a7b8c9d0e1f"},
				Status: contract.StatusDraft, Type: "standard", AccountID: "1234567890abcdef12345678", Attributes: []byte(`{"region":"north"}`),
				ValidFrom: &at, ValidTo: &end, CreatedAt: at, UpdatedAt: at,
				PriceList: &contract.PriceListLink{ID: "89abcdef0123456789abcdef", PriceListID: 100001, CreatedAt: at, UpdatedAt: at},
			}
		}
		b.ReportAllocs()
		for b.Loop() {
			out := listBody{Query: listQueryBody{Limit: 20, Count: len(page)},
				Data: bodiesOf(len(page), func(i int) *contract.Contract { return &page[i] })}
			if _, err := httpapi.JSON(http.StatusOK, out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
