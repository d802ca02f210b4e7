package kukkingu_test

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/httpapi"
)

// A list page shows as many contracts as fit in one Lambda response:
// contracts with descriptions at their longest (10,000 characters, written
// as "<", which every answer escapes to six) pass 6 MB before the 100 a
// page may hold. The page's nextCursor then goes on after the last one
// shown, and reading on lists every contract once, in order.
func TestListPagesFitOneResponse(t *testing.T) {
	a := newAPI(t)
	const contracts = 100
	var want []string
	for range contracts {
		// Written out: encoding/json would send each "<" as \u003c.
		c := a.create(tenantA, `{"clientId": "clnt_1", "name": "`+strings.Repeat("<", 255)+`", "amountMinor": 1, `+
			`"currencyCode": "EUR", "description": "`+strings.Repeat("<", 10_000)+`"}`)
		want = append(want, c["id"].(string))
	}
	var listed []string
	cursor, pages := "", 0
	for ; pages == 0 || cursor != ""; pages++ {
		q := url.Values{"limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		r := a.do(tenantA, "GET", "/api/v1/contracts?"+q.Encode(), "")
		if r.Status != http.StatusOK {
			t.Fatalf("page %d: %d", pages, r.Status)
		}
		if size := httpapi.PayloadSize(events.APIGatewayV2HTTPResponse{StatusCode: r.Status, Headers: r.Headers, Body: r.Raw}); size > httpapi.MaxPayloadBytes {
			t.Fatalf("page %d answers %d bytes, over Lambda's %d", pages, size, httpapi.MaxPayloadBytes)
		}
		data := r.Body["data"].([]any)
		if len(data) == 0 {
			t.Fatalf("page %d is empty", pages)
		}
		for _, c := range data {
			listed = append(listed, c.(map[string]any)["id"].(string))
		}
		cursor, _ = r.Body["nextCursor"].(string)
	}
	if pages < 2 || !reflect.DeepEqual(listed, want) {
		t.Fatalf("%d pages listed %d contracts, want the %d created, in order", pages, len(listed), len(want))
	}
}
