package contract_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
)

// The order every store's ListOrdered is held to: missing values last
// ascending (first descending), ties by number in the order's direction,
// the status order by status then last change, periods with both ends in,
// search in lower case on reference and type.
func TestSelectOrdered(t *testing.T) {
	org := contract.Party{Kind: contract.PartyOrganization, ID: "o"}
	at := func(d int) *time.Time { t := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d); return &t }
	deleted := at(99)
	all := []contract.Contract{
		{Number: "CT-0000000001", Party: org, Reference: "b", Type: "Retail", Status: contract.StatusDraft, ValidFrom: at(5), UpdatedAt: *at(1), PriceList: &contract.PriceListLink{PriceListID: 7}},
		{Number: "CT-0000000002", Party: org, Reference: "a", Status: contract.StatusActive, ValidFrom: nil, UpdatedAt: *at(1)},
		{Number: "CT-0000000003", Party: org, Reference: "B", Type: "wholesale", Status: contract.StatusActive, ValidFrom: at(5), UpdatedAt: *at(2), PriceList: &contract.PriceListLink{PriceListID: -1}},
		{Number: "CT-0000000004", Party: org, Reference: "c", Status: contract.StatusInactive, ValidFrom: at(3), UpdatedAt: *at(0), DeletedAt: deleted},
		{Number: "CT-0000000005", Party: contract.Party{Kind: contract.PartyOrganization, ID: "other"}, Reference: "a", Status: contract.StatusActive, UpdatedAt: *at(3)},
		{Number: "CT-0000000006", Party: org, Reference: "d", Status: contract.StatusExpired, UpdatedAt: *at(3)},
	}
	three := []contract.Status{contract.StatusActive, contract.StatusDraft, contract.StatusInactive}
	tests := []struct {
		name  string
		q     contract.OrderedQuery
		want  []string
		count int
	}{
		{"updatedAt, ties by number", contract.OrderedQuery{SortBy: contract.SortUpdatedAt}, []string{"1", "2", "3"}, 3},
		{"updatedAt descending reverses the ties too", contract.OrderedQuery{Descending: true}, []string{"3", "2", "1"}, 3},
		{"deleted ones too", contract.OrderedQuery{IncludeDeleted: true}, []string{"4", "1", "2", "3"}, 4},
		{"reference by bytes", contract.OrderedQuery{SortBy: contract.SortReference}, []string{"3", "2", "1"}, 3},
		{"a missing start last", contract.OrderedQuery{SortBy: contract.SortValidFrom}, []string{"1", "3", "2"}, 3},
		{"a missing start first, descending", contract.OrderedQuery{SortBy: contract.SortValidFrom, Descending: true}, []string{"2", "3", "1"}, 3},
		{"price list, negative first, none last", contract.OrderedQuery{SortBy: contract.SortPriceList}, []string{"3", "1", "2"}, 3},
		{"status, then last change", contract.OrderedQuery{SortBy: contract.SortStatus, IncludeDeleted: true}, []string{"2", "3", "1", "4"}, 4},
		{"one status", contract.OrderedQuery{Statuses: []contract.Status{contract.StatusActive}}, []string{"2", "3"}, 2},
		{"a status not listed", contract.OrderedQuery{Statuses: []contract.Status{contract.StatusExpired}}, []string{"6"}, 1},
		{"a window", contract.OrderedQuery{Offset: 1, Limit: 1}, []string{"2"}, 3},
		{"a window past the end", contract.OrderedQuery{Offset: 1 << 62, Limit: 10}, nil, 3},
		{"a period holds both ends", contract.OrderedQuery{ValidFrom: &contract.Period{From: *at(3), To: *at(5)}, IncludeDeleted: true}, []string{"4", "1", "3"}, 3},
		{"a period holds no missing start", contract.OrderedQuery{ValidFrom: &contract.Period{From: *at(-999), To: *at(999)}}, []string{"1", "3"}, 2},
		{"an empty period", contract.OrderedQuery{ValidFrom: &contract.Period{From: *at(5), To: *at(4)}}, nil, 0},
		{"search ignores case", contract.OrderedQuery{Search: "b"}, []string{"1", "3"}, 2},
		{"search on type", contract.OrderedQuery{Search: "SALE"}, []string{"3"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.Party = org
			if q.Statuses == nil {
				q.Statuses = three
			}
			if q.Limit == 0 {
				q.Limit = 10
			}
			page := contract.SelectOrdered(all, q)
			var got []string
			for _, c := range page.Contracts {
				got = append(got, c.Number[len(c.Number)-1:])
			}
			if !reflect.DeepEqual(got, tt.want) || page.Count != tt.count {
				t.Fatalf("got %v count %d, want %v count %d", got, page.Count, tt.want, tt.count)
			}
		})
	}
}
