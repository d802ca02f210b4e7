package fabric_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/httpapi"
)

// A list page shows as many contracts as fit in one Lambda response:
// contracts with attributes near the 64 KiB a body may hold (written as
// "<", which every answer escapes to six characters) pass 6 MB well
// before the 100 a page may hold. The page's query.limit then says how
// many it shows, count how many match, and the pages that follow from
// offset + limit list every contract once, in order.
func TestListPagesFitOneResponse(t *testing.T) {
	a := newAPI(t)
	const contracts = 20
	var want []string
	for i := range contracts {
		id := fmt.Sprintf("LARGE-%02d", i)
		// Written out: encoding/json would send each "<" as \u003c.
		a.create(t, tenantA, "org-1", `{"contractId": "`+id+`", "startDate": "2024-01-01T00:00:00.000Z", `+
			`"endDate": "2024-12-31T00:00:00.000Z", "additionalAttributes": {"notes": "`+strings.Repeat("<", 60_000)+`"}}`)
		want = append(want, id)
	}
	var listed []string
	pages := 0
	for offset := 0; offset < contracts; pages++ {
		r := a.do(t, tenantA, "GET", fmt.Sprintf("%s?limit=100&sortBy=contractId&sortOrder=asc&offset=%d", contractsPath("org-1"), offset), "")
		if r.Status != http.StatusOK {
			t.Fatalf("page %d: %d", pages, r.Status)
		}
		resp := events.APIGatewayV2HTTPResponse{StatusCode: r.Status, Headers: map[string]string{"Content-Type": "application/json"}, Body: r.Raw}
		if size := httpapi.PayloadSize(resp); size > httpapi.MaxPayloadBytes {
			t.Fatalf("page %d answers %d bytes, over Lambda's %d", pages, size, httpapi.MaxPayloadBytes)
		}
		query := r.Body["query"].(map[string]any)
		data := r.Body["data"].([]any)
		// A page cut short says so in its limit; a whole one echoes 100.
		limit := 100
		if len(data) < contracts-offset {
			limit = len(data)
		}
		if len(data) == 0 || query["count"] != float64(contracts) || query["offset"] != float64(offset) || query["limit"] != float64(limit) {
			t.Fatalf("page %d: query %v with %d contracts", pages, query, len(data))
		}
		for _, c := range data {
			listed = append(listed, c.(map[string]any)["contractId"].(string))
		}
		offset += int(query["limit"].(float64))
	}
	if pages < 2 || strings.Join(listed, ",") != strings.Join(want, ",") {
		t.Fatalf("%d pages listed %v, want %v", pages, listed, want)
	}
}
