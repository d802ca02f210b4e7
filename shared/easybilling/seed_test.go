package easybilling_test

import (
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// recordFields are the fields of the action record that the seed documents
// as its response schema, besides its example's contractActionNumber and
// contractInfo; created and updated are named per variant.
func recordFields(n naming) []string {
	return []string{"id", n.created, n.updated, "createdBy", "updatedBy", "number", "accountId", "contractId",
		"actionType", "contractActionItemRequest", "contractSegmentIds", "status"}
}

// TestSeedRequests sends each seed's request as given and checks the
// answer has the seed example's fields at every level, named as that
// variant of the API names them, with the values that follow from the
// request. The example's values come from another request, so only its
// shape is compared.
func TestSeedRequests(t *testing.T) {
	tests := []struct {
		name, prefix, request, response string
	}{
		{"production", prod, "seed-000-request.json", "seed-000-response.json"},
		{"payment hub sandbox", hub, "seed-001-request.json", "seed-001-response.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := newAPI(t)
			n := namingOf(tt.prefix)
			body := httpapitest.ReadFile(t, "testdata/"+tt.request)
			sent := decode(t, body)
			example := decode(t, httpapitest.ReadFile(t, "testdata/"+tt.response))

			const trace = "5d9f3c1e-8a7b-4c2d-9e0f-1a2b3c4d5e6f"
			r := a.do(t, tenantA, "POST", tt.prefix+"/contract-actions", body, "trace-id", trace)
			got := must(t, http.StatusOK, r)
			if r.Headers["trace-id"] != trace {
				t.Errorf("trace-id %q, want the request's %q", r.Headers["trace-id"], trace)
			}

			wantTop := append(keys(example), recordFields(n)...)
			sort.Strings(wantTop)
			if !reflect.DeepEqual(keys(got), wantTop) {
				t.Errorf("fields %v\nwant %v", keys(got), wantTop)
			}
			if g, w := shape(got["contractInfo"], ""), shape(example["contractInfo"], ""); !reflect.DeepEqual(g, w) {
				t.Errorf("contractInfo's shape differs from the seed's:\n got %v\nwant %v", g, w)
			}
			if !reflect.DeepEqual(got["contractActionItemRequest"], sent) {
				t.Errorf("contractActionItemRequest = %v, want the request %v", got["contractActionItemRequest"], sent)
			}
			checkAudit(t, got, n, tenantA)

			entry := sent["actions"].([]any)[0].(map[string]any)["createContractWithPlan"].([]any)[0].(map[string]any)
			c := info(t, got)
			segs := segments(t, c)
			if len(segs) != 1 {
				t.Fatalf("%d segments, want 1", len(segs))
			}
			seg := segs[0]
			status := "active"
			if contract.Today(time.Now()) > entry["expirationDate"].(string) {
				status = "expired"
			}
			for _, check := range []struct {
				name      string
				got, want any
			}{
				{"contractInfo.accountNumber", c["accountNumber"], sent["accountNumber"]},
				{"contractInfo.effectiveDate", c["effectiveDate"], entry["effectiveDate"]},
				{"contractInfo.expirationDate", c["expirationDate"], entry["expirationDate"]},
				{"contractInfo.status", c["status"], status},
				{"segment.accountNumber", seg["accountNumber"], sent["accountNumber"]},
				{"segment.contractNumber", seg["contractNumber"], c["contractNumber"]},
				{"segment.previousContractSegmentId", seg["previousContractSegmentId"], nil},
				{"segment.planId", seg["planId"], entry["planId"]},
				{"segment.currency", seg["currency"], entry["currency"]},
				{"segment.effectiveDate", seg["effectiveDate"], entry["effectiveDate"]},
				{"segment.expirationDate", seg["expirationDate"], entry["expirationDate"]},
				{"segment.billingCycleDay", seg["billingCycleDay"], 1.0},
				{"segment.billingCycleType", seg["billingCycleType"], "monthly"},
				{"segment.status", seg["status"], status},
				{"number", got["number"], got["contractActionNumber"]},
				{"accountId", got["accountId"], sent["accountNumber"]},
				{"contractId", got["contractId"], c["id"]},
				{"actionType", got["actionType"], "create-contract-with-plan"},
				{"contractSegmentIds", got["contractSegmentIds"], []any{seg["id"]}},
				{"status", got["status"], "active"},
			} {
				if !reflect.DeepEqual(check.got, check.want) {
					t.Errorf("%s = %#v, want %#v", check.name, check.got, check.want)
				}
			}
			for _, id := range []any{got["id"], c["id"], seg["id"]} {
				if s, _ := id.(string); !uuidPattern.MatchString(s) {
					t.Errorf("id %v is not a UUID", id)
				}
			}
			if s, _ := c["contractNumber"].(string); !contractPattern.MatchString(s) {
				t.Errorf("contractNumber %v is not CT- and ten digits", c["contractNumber"])
			}
			if s, _ := got["contractActionNumber"].(string); !actionPattern.MatchString(s) {
				t.Errorf("contractActionNumber %v is not CA- and ten digits", got["contractActionNumber"])
			}
			if got[n.created] != got[n.updated] || c[n.created] != c[n.updated] {
				t.Errorf("a new record has distinct %s and %s", n.created, n.updated)
			}

			// Without a trace-id the service makes one up, a UUID.
			r = a.do(t, tenantA, "GET", tt.prefix+"/contracts/"+c["contractNumber"].(string), "")
			read := must(t, http.StatusOK, r)
			if !uuidPattern.MatchString(r.Headers["trace-id"]) {
				t.Errorf("generated trace-id %q is not a UUID", r.Headers["trace-id"])
			}
			if !reflect.DeepEqual(read, c) {
				t.Errorf("read back\n%v\nwant the answer's\n%v", read, c)
			}
			record := a.action(t, tenantA, tt.prefix, got["contractActionNumber"].(string))
			want := map[string]any{}
			for k, v := range got {
				if k != "contractInfo" {
					want[k] = v
				}
			}
			if !reflect.DeepEqual(record, want) {
				t.Errorf("action read back\n%v\nwant\n%v", record, want)
			}
		})
	}
}

// TestVariantsNameOnlyTimestampsDifferently reads what one variant wrote
// through the other: the same values, with only the audit timestamps
// renamed.
func TestVariantsNameOnlyTimestampsDifferently(t *testing.T) {
	a := newAPI(t)
	got := a.act(t, tenantA, prod, httpapitest.ReadFile(t, "testdata/seed-000-request.json"))
	c := info(t, got)
	for _, ref := range []string{c["contractNumber"].(string), c["id"].(string)} {
		read := a.contract(t, tenantA, hub, ref)
		checkAudit(t, read, namedAt, tenantA)
		if want := renamed(c, namedOn, namedAt); !reflect.DeepEqual(read, want) {
			t.Errorf("payment hub read %s as\n%v\nwant\n%v", ref, read, want)
		}
	}
	record := a.action(t, tenantA, hub, got["contractActionNumber"].(string))
	checkAudit(t, record, namedAt, tenantA)
	delete(got, "contractInfo")
	if want := renamed(got, namedOn, namedAt); !reflect.DeepEqual(record, want) {
		t.Errorf("payment hub read the action as\n%v\nwant\n%v", record, want)
	}
	page := a.list(t, tenantA, hub, "ACC-0000000001", 20)
	if len(page) != 1 || !reflect.DeepEqual(page[0], renamed(c, namedOn, namedAt)) {
		t.Errorf("payment hub lists %v", page)
	}
}

// TestTraceID checks the trace-id is echoed, or made up, on every kind of
// answer the dialect gives.
func TestTraceID(t *testing.T) {
	a := newAPI(t)
	seed := httpapitest.ReadFile(t, "testdata/seed-000-request.json")
	tests := []struct {
		name, method, target, body string
		headers                    []string
		status                     int
	}{
		{"created", "POST", prod + "/contract-actions", seed, nil, 200},
		{"refused", "POST", hub + "/contract-actions", `{"accountNumber":"ACC-1","actions":[]}`, nil, 400},
		{"not JSON", "POST", prod + "/contract-actions", seed, []string{"content-type", "text/plain"}, 415},
		{"not found", "GET", prod + "/contracts/CT-0000009999", "", nil, 404},
		{"listed", "GET", hub + "/contracts?accountNumber=ACC-1", "", nil, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const trace = "trace-0f8fad5b"
			r := a.do(t, tenantA, tt.method, tt.target, tt.body, append([]string{"trace-id", trace}, tt.headers...)...)
			if r.Status != tt.status || r.Headers["trace-id"] != trace {
				t.Errorf("sent trace-id: %d with trace-id %q, want %d with %q", r.Status, r.Headers["trace-id"], tt.status, trace)
			}
			r = a.do(t, tenantA, tt.method, tt.target, tt.body, tt.headers...)
			if r.Status != tt.status || !uuidPattern.MatchString(r.Headers["trace-id"]) {
				t.Errorf("no trace-id: %d with trace-id %q, want %d with a new UUID", r.Status, r.Headers["trace-id"], tt.status)
			}
			// A trace-id too long to log is replaced, not echoed.
			r = a.do(t, tenantA, tt.method, tt.target, tt.body, append([]string{"trace-id", strings.Repeat("t", 129)}, tt.headers...)...)
			if r.Status != tt.status || !uuidPattern.MatchString(r.Headers["trace-id"]) {
				t.Errorf("long trace-id: %d with trace-id %q, want %d with a new UUID", r.Status, r.Headers["trace-id"], tt.status)
			}
		})
	}
}
