package e2e_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/infra/local/demo"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// TestLargeListThroughLambda lists, through the built bootstrap and the
// Runtime API's bound on a response (6,291,556 bytes, as Lambda's), a
// fabric organization of 101 contracts with 64 KB of additionalAttributes
// each: limit=100 would answer over 6 MB, which Lambda drops (a 502). The
// first window shows as many as fit, query.limit says how many, and the
// windows from offset + limit on list every contract once.
func TestLargeListThroughLambda(t *testing.T) {
	ddbClient, table := ddbtest.NewTable(t)
	store := ddb.New(ddbClient, table)
	stack := startStack(t, table, "AuthorizerFunction", "OrganizationContractsFunction")
	a := newTenant(t, store, "tenant-a", demo.Alias, demo.SiteAccount)
	srv := httptest.NewServer(stack.Gateway)
	t.Cleanup(srv.Close)
	c := client{t: t, base: srv.URL, http: srv.Client()}
	headers := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + a.token,
		"x-site-context": `{"account":"` + demo.SiteAccount + `"}`}

	const contracts = 101
	attributes := strings.Repeat("x", 64_000)
	for i := range contracts {
		body := fmt.Sprintf(`{"contractId": "BIG-%03d", "startDate": "2024-01-01T00:00:00.000Z", "endDate": "2024-12-31T00:00:00.000Z", `+
			`"additionalAttributes": {"notes": "%s"}}`, i, attributes)
		if r := c.do("POST", "/v1/organizations/org-1/contracts", headers, body); r.status != 200 {
			t.Fatalf("create %d: %d %.300s", i, r.status, r.body)
		}
	}
	var listed []string
	pages := 0
	for offset := 0; offset < contracts; pages++ {
		r := c.do("GET", fmt.Sprintf("/v1/organizations/org-1/contracts?limit=100&sortBy=contractId&sortOrder=asc&offset=%d", offset), headers, "")
		if r.status != 200 {
			t.Fatalf("window at %d: %d %.300s", offset, r.status, r.body)
		}
		var page struct {
			Query struct{ Offset, Limit, Count int }
			Data  []struct {
				ContractID string `json:"contractId"`
			}
		}
		if err := json.Unmarshal(r.body, &page); err != nil {
			t.Fatal(err)
		}
		if len(page.Data) == 0 || page.Query.Count != contracts || page.Query.Offset != offset ||
			len(page.Data) < contracts-offset && page.Query.Limit != len(page.Data) {
			t.Fatalf("window at %d: query %+v with %d contracts", offset, page.Query, len(page.Data))
		}
		for _, d := range page.Data {
			listed = append(listed, d.ContractID)
		}
		offset += page.Query.Limit
	}
	if pages < 2 || len(listed) != contracts || listed[0] != "BIG-000" || listed[contracts-1] != fmt.Sprintf("BIG-%03d", contracts-1) {
		t.Fatalf("%d windows listed %d contracts", pages, len(listed))
	}
	for i := 1; i < len(listed); i++ {
		if listed[i] <= listed[i-1] {
			t.Fatalf("%s listed after %s", listed[i], listed[i-1])
		}
	}
}
