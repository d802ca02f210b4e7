package fabric_test

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

func TestGet(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, orgA, httpapitest.ReadFile(t, "testdata/seed-create.json"))
	id, ref := c["_id"].(string), c["contractId"].(string)
	// (A contractId never has an _id's shape, so an id names one
	// contract: see TestContractIDNeverShadowsAnID.)

	found := []struct {
		name    string
		who     tenant
		org, id string
		want    map[string]any
	}{
		{"by _id", tenantA, orgA, id, c},
		{"by contractId", tenantA, orgA, ref, c},
		{"by contractId with includeDeleted", tenantA, orgA, ref + "?includeDeleted=true", c},
	}
	for _, tt := range found {
		t.Run(tt.name, func(t *testing.T) {
			if got := a.get(t, tt.who, tt.org, tt.id); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got\n%v\nwant\n%v", got, tt.want)
			}
		})
	}

	notFound := []struct {
		name    string
		who     tenant
		org, id string
	}{
		{"by _id under another organization", tenantA, "org-initech", id},
		{"by contractId under another organization", tenantA, "org-globex", ref},
		{"by _id for another tenant", tenantB, orgA, id},
		{"by contractId for another tenant", tenantB, orgA, ref},
		{"an unknown contractId", tenantA, orgA, "CNTR-2024-ACME-0002"},
		{"an unknown _id", tenantA, orgA, "0123456789abcdef01234567"},
		{"the _id in upper case", tenantA, orgA, strings.ToUpper(id)},
		{"the price list relation's _id", tenantA, orgA, c["contractPriceList"].(map[string]any)["_id"].(string)},
		{"an id longer than any contractId", tenantA, orgA, strings.Repeat("x", 256)},
	}
	for _, tt := range notFound {
		t.Run(tt.name, func(t *testing.T) {
			if r := a.do(t, tt.who, "GET", contractPath(tt.org, tt.id), ""); r.Status != http.StatusNotFound {
				t.Fatalf("status %d, want 404: %s", r.Status, r.Raw)
			}
		})
	}

	t.Run("includeDeleted not a boolean", func(t *testing.T) {
		r := a.do(t, tenantA, "GET", contractPath(orgA, id)+"?includeDeleted=maybe", "")
		if r.Status != http.StatusBadRequest || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"includeDeleted"}) {
			t.Fatalf("got %d %s, want 400 naming includeDeleted", r.Status, r.Raw)
		}
	})
}

func TestSoftDelete(t *testing.T) {
	a := newAPI(t)
	seed := httpapitest.ReadFile(t, "testdata/seed-create.json")
	c := a.create(t, tenantA, orgA, seed)
	id, ref := c["_id"].(string), c["contractId"].(string)

	t.Run("refused outside its organization and tenant", func(t *testing.T) {
		for _, tt := range []struct {
			who tenant
			org string
		}{{tenantA, "org-globex"}, {tenantB, orgA}} {
			for _, byID := range []string{id, ref} {
				if r := a.do(t, tt.who, "DELETE", contractPath(tt.org, byID), ""); r.Status != http.StatusNotFound {
					t.Fatalf("%s deletes %s of %s: %d %s", tt.who.id, byID, tt.org, r.Status, r.Raw)
				}
			}
		}
		if got := a.get(t, tenantA, orgA, id); !reflect.DeepEqual(got, c) {
			t.Fatalf("refused deletes changed the contract: %v", got)
		}
	})

	r := a.do(t, tenantA, "DELETE", contractPath(orgA, ref), "")
	if r.Status != http.StatusOK {
		t.Fatalf("delete: %d %s", r.Status, r.Raw)
	}
	deleted := r.Body
	if deleted["isDeleted"] != true {
		t.Fatalf("delete answered isDeleted %v", deleted["isDeleted"])
	}
	if !reflect.DeepEqual(without(deleted, "isDeleted", "updatedAt"), without(c, "isDeleted", "updatedAt")) {
		t.Fatalf("delete changed more than isDeleted and updatedAt:\n%v\nwas\n%v", deleted, c)
	}
	if deleted["updatedAt"].(string) < c["updatedAt"].(string) {
		t.Fatalf("updatedAt went back from %v to %v", c["updatedAt"], deleted["updatedAt"])
	}

	for _, byID := range []string{id, ref} {
		t.Run("GET by "+byID, func(t *testing.T) {
			for _, q := range []string{"", "?includeDeleted=false"} {
				if r := a.do(t, tenantA, "GET", contractPath(orgA, byID)+q, ""); r.Status != http.StatusNotFound {
					t.Fatalf("GET%s after delete: %d %s", q, r.Status, r.Raw)
				}
			}
			r := a.do(t, tenantA, "GET", contractPath(orgA, byID)+"?includeDeleted=true", "")
			if r.Status != http.StatusOK || !reflect.DeepEqual(r.Body, deleted) {
				t.Fatalf("GET with includeDeleted: %d %v, want %v", r.Status, r.Body, deleted)
			}
		})
	}
	t.Run("the contractId stays taken", func(t *testing.T) {
		r := a.do(t, tenantA, "POST", contractsPath(orgA), seed)
		if r.Status != http.StatusBadRequest || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"contractId"}) || r.Body["code"] != "CONTRACT_ID_TAKEN" {
			t.Fatalf("create with a deleted contract's contractId: %d %s", r.Status, r.Raw)
		}
	})
	t.Run("deleted once only", func(t *testing.T) {
		for _, byID := range []string{id, ref} {
			if r := a.do(t, tenantA, "DELETE", contractPath(orgA, byID), ""); r.Status != http.StatusNotFound {
				t.Fatalf("delete again by %s: %d %s", byID, r.Status, r.Raw)
			}
		}
	})
	t.Run("no update after delete", func(t *testing.T) {
		for _, byID := range []string{id, ref} {
			if r := a.do(t, tenantA, "PUT", contractPath(orgA, byID), `{"status":"ACTIVE"}`); r.Status != http.StatusNotFound {
				t.Fatalf("update by %s: %d %s", byID, r.Status, r.Raw)
			}
		}
		r := a.do(t, tenantA, "GET", contractPath(orgA, id)+"?includeDeleted=true", "")
		if !reflect.DeepEqual(r.Body, deleted) {
			t.Fatalf("refused requests changed the deleted contract: %v", r.Body)
		}
	})
}

func TestUpdateFields(t *testing.T) {
	a := newAPI(t)
	// Each case updates its own contract, created from the seed under its
	// own contractId.
	tests := []struct {
		name  string
		patch string
		// want holds the fields the update changes; nil means removed.
		want map[string]any
	}{
		{"startDate", `{"startDate":"2024-02-01T00:00:00.000Z"}`, map[string]any{"startDate": "2024-02-01T00:00:00.000Z"}},
		{"startDate with an offset", `{"startDate":"2024-02-01T01:30:00+01:30"}`, map[string]any{"startDate": "2024-02-01T00:00:00.000Z"}},
		{"endDate", `{"endDate":"2025-06-30T12:00:00.250Z"}`, map[string]any{"endDate": "2025-06-30T12:00:00.250Z"}},
		{"both dates past the stored endDate", `{"startDate":"2026-01-01T00:00:00Z","endDate":"2026-12-31T00:00:00Z"}`,
			map[string]any{"startDate": "2026-01-01T00:00:00.000Z", "endDate": "2026-12-31T00:00:00.000Z"}},
		{"status", `{"status":"INACTIVE"}`, map[string]any{"status": "INACTIVE"}},
		{"status to DRAFT", `{"status":"DRAFT"}`, map[string]any{"status": "DRAFT"}},
		{"contractType", `{"contractType":"RETAIL"}`, map[string]any{"contractType": "RETAIL"}},
		{"contractType cleared", `{"contractType":null}`, map[string]any{"contractType": nil}},
		{"additionalAttributes replaced as a whole", `{"additionalAttributes":{"region":"APAC"}}`, map[string]any{"additionalAttributes": map[string]any{"region": "APAC"}}},
		{"additionalAttributes emptied", `{"additionalAttributes":{}}`, map[string]any{"additionalAttributes": map[string]any{}}},
		{"additionalAttributes cleared", `{"additionalAttributes":null}`, map[string]any{"additionalAttributes": nil}},
		{"priceListId cleared", `{"priceListId":null}`, map[string]any{"contractPriceList": nil}},
		{"every field at once", `{"startDate":"2024-03-01T00:00:00Z","endDate":"2024-09-01T00:00:00Z","status":"DRAFT","contractType":null,"additionalAttributes":{"a":[1,2]}}`,
			map[string]any{"startDate": "2024-03-01T00:00:00.000Z", "endDate": "2024-09-01T00:00:00.000Z", "status": "DRAFT", "contractType": nil, "additionalAttributes": map[string]any{"a": []any{1.0, 2.0}}}},
		{"nothing", `{}`, nil},
		// A client that sends back the fields it read sends the
		// contractId the contract has ($REF): no change, and no refusal.
		{"contractId as it is, beside contractType", `{"contractId":"$REF","contractType":"RETAIL"}`, map[string]any{"contractType": "RETAIL"}},
	}
	seed := httpapitest.ReadFile(t, "testdata/seed-create.json")
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := "CNTR-UPDATE-" + string(rune('A'+i))
			before := a.create(t, tenantA, orgA, strings.Replace(seed, "CNTR-2024-ACME-0001", ref, 1))
			r := a.do(t, tenantA, "PUT", contractPath(orgA, ref), strings.ReplaceAll(tt.patch, "$REF", ref))
			if r.Status != http.StatusOK {
				t.Fatalf("update: %d %s", r.Status, r.Raw)
			}
			want := without(before, "updatedAt")
			for k, v := range tt.want {
				if v == nil {
					delete(want, k)
				} else {
					want[k] = v
				}
			}
			if got := without(r.Body, "updatedAt"); !reflect.DeepEqual(got, want) {
				t.Fatalf("updated\n%v\nwant\n%v", got, want)
			}
			if r.Body["updatedAt"].(string) < before["updatedAt"].(string) {
				t.Fatalf("updatedAt went back from %v to %v", before["updatedAt"], r.Body["updatedAt"])
			}
			if back := a.get(t, tenantA, orgA, ref); !reflect.DeepEqual(back, r.Body) {
				t.Fatalf("read back\n%v\nwant\n%v", back, r.Body)
			}
		})
	}
}

func TestUpdatePriceList(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, orgA, `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z","contractId":"CNTR-PL"}`)
	path := contractPath(orgA, c["_id"].(string))
	put := func(t *testing.T, patch string) map[string]any {
		t.Helper()
		r := a.do(t, tenantA, "PUT", path, patch)
		if r.Status != http.StatusOK {
			t.Fatalf("update %s: %d %s", patch, r.Status, r.Raw)
		}
		return r.Body
	}
	linkOf := func(c map[string]any) map[string]any {
		link, _ := c["contractPriceList"].(map[string]any)
		return link
	}

	added := put(t, `{"priceListId":500}`)
	first := linkOf(added)
	if first == nil || first["priceListId"] != 500.0 || first["contractId"] != "CNTR-PL" || !hexIDPattern.MatchString(first["_id"].(string)) {
		t.Fatalf("added relation %v", added["contractPriceList"])
	}
	if first["createdAt"] != first["updatedAt"] || first["createdAt"].(string) < c["createdAt"].(string) {
		t.Fatalf("a relation added by an update is stamped %v/%v, want one instant after the contract's creation", first["createdAt"], first["updatedAt"])
	}

	changed := linkOf(put(t, `{"priceListId":501}`))
	if changed["_id"] != first["_id"] || changed["createdAt"] != first["createdAt"] || changed["priceListId"] != 501.0 {
		t.Fatalf("changing the price list made %v, want %v with priceListId 501", changed, first)
	}
	if changed["updatedAt"].(string) < first["updatedAt"].(string) {
		t.Fatalf("the relation's updatedAt went back: %v then %v", first["updatedAt"], changed["updatedAt"])
	}

	// Sending the price list it already has is no change to the relation.
	if same := linkOf(put(t, `{"priceListId":501,"status":"ACTIVE"}`)); !reflect.DeepEqual(same, changed) {
		t.Fatalf("the same priceListId changed the relation: %v, was %v", same, changed)
	}
	// Nor is an update of other fields.
	if same := linkOf(put(t, `{"contractType":"RETAIL"}`)); !reflect.DeepEqual(same, changed) {
		t.Fatalf("an update of other fields changed the relation: %v, was %v", same, changed)
	}

	if removed := put(t, `{"priceListId":null}`); removed["contractPriceList"] != nil {
		t.Fatalf("removed relation still answered: %v", removed["contractPriceList"])
	}
	again := linkOf(put(t, `{"priceListId":501}`))
	if again == nil || again["_id"] == first["_id"] {
		t.Fatalf("a relation added after a removal is %v, want a new one (not %v)", again, first["_id"])
	}
}

func TestUpdateRefusals(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, orgA, httpapitest.ReadFile(t, "testdata/seed-create.json"))
	path := contractPath(orgA, c["contractId"].(string))
	tests := []struct {
		name, patch string
		status      int
		fields      []string // nil: a refusal of the body as a whole
		message     string   // when set, what the first field's refusal says
	}{
		{"endDate before the stored startDate", `{"endDate":"2023-12-31T23:59:59.999Z"}`, 400, []string{"endDate"}, ""},
		{"endDate equal to the stored startDate", `{"endDate":"2024-01-01T00:00:00Z"}`, 400, []string{"endDate"}, ""},
		{"startDate after the stored endDate", `{"startDate":"2025-01-01T00:00:00Z"}`, 400, []string{"endDate"}, ""},
		{"startDate equal to the stored endDate", `{"startDate":"2024-12-31T23:59:59.999Z"}`, 400, []string{"endDate"}, ""},
		{"both dates, in the wrong order", `{"startDate":"2024-06-01T00:00:00Z","endDate":"2024-05-01T00:00:00Z"}`, 400, []string{"endDate"}, ""},
		{"startDate cleared", `{"startDate":null}`, 400, []string{"startDate"}, ""},
		{"endDate cleared", `{"endDate":null}`, 400, []string{"endDate"}, ""},
		{"startDate a date only", `{"startDate":"2024-02-01"}`, 400, []string{"startDate"}, ""},
		{"contractId", `{"contractId":"CNTR-OTHER"}`, 400, []string{"contractId"}, "cannot be changed"},
		{"contractId null", `{"contractId":null}`, 400, []string{"contractId"}, "cannot be changed"},
		{"contractId beside a bad startDate", `{"contractId":"CNTR-OTHER","startDate":"2025-01-01T00:00:00Z"}`, 400, []string{"contractId", "endDate"}, "cannot be changed"},
		{"_id", `{"_id":"0123456789abcdef01234567"}`, 400, []string{"_id"}, ""},
		{"isDeleted", `{"isDeleted":true}`, 400, []string{"isDeleted"}, ""},
		{"an unknown field", `{"addressId":"x"}`, 400, []string{"addressId"}, ""},
		{"status unknown", `{"status":"ARCHIVED"}`, 400, []string{"status"}, ""},
		{"priceListId a string", `{"priceListId":"500"}`, 400, []string{"priceListId"}, ""},
		{"priceListId negative", `{"priceListId":-1}`, 400, []string{"priceListId"}, ""},
		{"additionalAttributes an array", `{"additionalAttributes":["NET30"]}`, 400, []string{"additionalAttributes"}, ""},
		{"contractType of 256 characters", `{"contractType":"` + strings.Repeat("t", 256) + `"}`, 400, []string{"contractType"}, ""},
		{"not an object", `[{"status":"ACTIVE"}]`, 400, nil, ""},
		{"null", `null`, 400, nil, ""},
		{"malformed", `{"status":`, 400, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.do(t, tenantA, "PUT", path, tt.patch)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Raw)
			}
			if tt.fields != nil && !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), tt.fields) {
				t.Fatalf("fields %v, want %v: %s", httpapitest.ProblemFields(r.Body), tt.fields, r.Raw)
			}
			if tt.message != "" && messageOf(r.Body, tt.fields[0]) != tt.message {
				t.Fatalf("%s: %q, want %q", tt.fields[0], messageOf(r.Body, tt.fields[0]), tt.message)
			}
		})
	}
	t.Run("not sent as JSON", func(t *testing.T) {
		r := a.do(t, tenantA, "PUT", path, `{"status":"DRAFT"}`, "content-type", "text/plain")
		if r.Status != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d, want 415: %s", r.Status, r.Raw)
		}
	})
	t.Run("body over the limit", func(t *testing.T) {
		r := a.do(t, tenantA, "PUT", path, `{"additionalAttributes":{"notes":"`+strings.Repeat("x", httpapi.MaxBodyBytes)+`"}}`)
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", r.Status)
		}
	})
	t.Run("outside its organization and tenant", func(t *testing.T) {
		for _, tt := range []struct {
			who tenant
			org string
		}{{tenantA, "org-globex"}, {tenantB, orgA}} {
			for _, id := range []string{c["_id"].(string), c["contractId"].(string)} {
				if r := a.do(t, tt.who, "PUT", contractPath(tt.org, id), `{"status":"INACTIVE"}`); r.Status != http.StatusNotFound {
					t.Fatalf("%s updates %s of %s: %d %s", tt.who.id, id, tt.org, r.Status, r.Raw)
				}
			}
		}
		if r := a.do(t, tenantA, "PUT", contractPath(orgA, "CNTR-UNKNOWN"), `{"status":"INACTIVE"}`); r.Status != http.StatusNotFound {
			t.Fatalf("unknown contract: %d %s", r.Status, r.Raw)
		}
	})
	if got := a.get(t, tenantA, orgA, c["_id"].(string)); !reflect.DeepEqual(got, c) {
		t.Fatalf("refused updates changed the contract:\n%v\nwas\n%v", got, c)
	}
}

// An update holds what it sends to the rules, not what is stored: an
// additionalAttributes integer past 2^53-1, refused when sent since it
// would not read back in a JavaScript client, stored before that rule,
// stops no change of another field and stays as it was.
func TestUpdateKeepsWhatWasStoredBeforeARule(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, orgA, httpapitest.ReadFile(t, "testdata/seed-create.json"))
	path := contractPath(orgA, c["contractId"].(string))
	big := `{"orderId":12345678901234567890}`
	if r := a.do(t, tenantA, "PUT", path, `{"additionalAttributes":`+big+`}`); r.Status != 400 ||
		!reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"additionalAttributes.orderId"}) {
		t.Fatalf("a big integer sent: %d %s", r.Status, r.Raw)
	}
	actor := contract.Actor{TenantID: tenantA.id, CredentialID: "cred", Via: contract.APIFabric}
	if _, err := a.service.Update(context.Background(), actor, nil, c["_id"].(string), func(c *contract.Contract) error {
		c.Attributes = json.RawMessage(big)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := a.do(t, tenantA, "PUT", path, `{"status":"DRAFT"}`)
	if r.Status != 200 || r.Body["status"] != "DRAFT" || !strings.Contains(r.Raw, big) {
		t.Fatalf("a change of another field: %d %s", r.Status, r.Raw)
	}
}

// TestConcurrentUpdates sends updates of different fields at once: each
// is merged onto the contract as stored, so none is lost.
func TestConcurrentUpdates(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, orgA, `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z","contractId":"CNTR-RACE"}`)
	path := contractPath(orgA, c["_id"].(string))
	patches := []string{
		`{"status":"ACTIVE"}`,
		`{"contractType":"WHOLESALE"}`,
		`{"priceListId":77}`,
		`{"additionalAttributes":{"paymentTerms":"NET60"}}`,
		`{"endDate":"2025-12-31T00:00:00Z"}`,
		`{"startDate":"2023-06-01T00:00:00Z"}`,
	}
	var wg sync.WaitGroup
	for _, p := range patches {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := a.serve(t, tenantA, "PUT", path, p)
			if err != nil {
				t.Error(err)
			} else if r.Status != http.StatusOK {
				t.Errorf("update %s: %d %s", p, r.Status, r.Raw)
			}
		}()
	}
	wg.Wait()
	got := a.get(t, tenantA, orgA, c["_id"].(string))
	link, _ := got["contractPriceList"].(map[string]any)
	if got["status"] != "ACTIVE" || got["contractType"] != "WHOLESALE" || link == nil || link["priceListId"] != 77.0 ||
		!reflect.DeepEqual(got["additionalAttributes"], map[string]any{"paymentTerms": "NET60"}) ||
		got["endDate"] != "2025-12-31T00:00:00.000Z" || got["startDate"] != "2023-06-01T00:00:00.000Z" {
		t.Fatalf("an update was lost: %v", got)
	}
}

func TestSubMillisecondDates(t *testing.T) {
	a := newAPI(t)
	r := a.do(t, tenantA, "POST", contractsPath(orgA), `{"startDate":"2024-01-01T00:00:00.0001Z","endDate":"2024-01-01T00:00:00.0009Z"}`)
	if r.Status != http.StatusBadRequest || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"endDate"}) {
		t.Fatalf("dates within one millisecond: %d %s, want 400 naming endDate", r.Status, r.Raw)
	}
	c := a.create(t, tenantA, orgA, `{"startDate":"2024-01-01T00:00:00.0001Z","endDate":"2024-01-01T00:00:00.0019Z","contractId":"CNTR-SUBMS"}`)
	u := a.do(t, tenantA, "PUT", contractPath(orgA, "CNTR-SUBMS"), `{"status":"ACTIVE"}`)
	if u.Status != http.StatusOK || u.Body["startDate"] != c["startDate"] || u.Body["endDate"] != c["endDate"] {
		t.Fatalf("update of the status: %d %s, want the dates of %v", u.Status, u.Raw, c)
	}
}

func TestCommaFractionRefused(t *testing.T) {
	a := newAPI(t)
	r := a.do(t, tenantA, "POST", contractsPath(orgA), `{"startDate":"2024-01-01T00:00:00,5Z","endDate":"2024-12-31T00:00:00Z"}`)
	if r.Status != http.StatusBadRequest || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"startDate"}) {
		t.Fatalf("%d %s, want 400 naming startDate", r.Status, r.Raw)
	}
}

func TestUpdateStatusNull(t *testing.T) {
	a := newAPI(t)
	c := a.create(t, tenantA, orgA, httpapitest.ReadFile(t, "testdata/seed-create.json"))
	r := a.do(t, tenantA, "PUT", contractPath(orgA, c["_id"].(string)), `{"status":null}`)
	if r.Status != http.StatusBadRequest || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"status"}) {
		t.Fatalf("%d %s, want 400 naming status", r.Status, r.Raw)
	}
	if got := a.get(t, tenantA, orgA, c["_id"].(string)); got["status"] != "ACTIVE" {
		t.Fatalf("status %v, want ACTIVE", got["status"])
	}
}

func TestListRefusesEveryParameterAtOnce(t *testing.T) {
	a := newAPI(t)
	r := a.do(t, tenantA, "GET", contractsPath(orgA)+"?limit=0&includeDeleted=maybe", "")
	if r.Status != http.StatusBadRequest || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"includeDeleted", "limit"}) {
		t.Fatalf("%d %s, want 400 naming includeDeleted and limit", r.Status, r.Raw)
	}
}

// Keys escape and may grow past DynamoDB's key size limits; such keys are
// digested, never refused with a 500.
func TestLongKeys(t *testing.T) {
	a := newAPI(t)
	long := strings.Repeat("x", 1100)
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		if r := a.do(t, tenantA, method, contractPath(orgA, long), `{}`); r.Status != http.StatusNotFound {
			t.Errorf("%s an id of 1100 characters: %d %s, want 404", method, r.Status, r.Raw)
		}
	}
	org := strings.Repeat("o", 255)
	for _, ref := range []string{strings.Repeat("#", 255), strings.Repeat("%", 255)} {
		c := a.create(t, tenantA, org, `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z","contractId":"`+ref+`"}`)
		if got := a.get(t, tenantA, org, c["_id"].(string)); got["contractId"] != ref {
			t.Fatalf("read back %v", got)
		}
		if r := a.do(t, tenantA, "POST", contractsPath(org), `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z","contractId":"`+ref+`"}`); r.Status != http.StatusBadRequest || r.Body["code"] != "CONTRACT_ID_TAKEN" {
			t.Fatalf("the same contractId again: %d %s, want 400 CONTRACT_ID_TAKEN", r.Status, r.Raw)
		}
	}
}

// TestResurrect: fabric's resurrect un-deletes a soft-deleted contract
// (200 with the record, found again), answers 303 to where a contract
// that is not deleted reads, and 404 for one the organization does not
// have. Every route is served under /data-customer too.
func TestResurrect(t *testing.T) {
	a := newAPI(t)
	for _, base := range []string{"", "/data-customer"} {
		t.Run("base "+base, func(t *testing.T) {
			org := "org-resurrect" + strings.ReplaceAll(base, "/", "-")
			path := func(id string) string { return base + contractPath(org, id) }
			created := a.do(t, tenantA, "POST", base+contractsPath(org), `{"contractId":"R-1","startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z"}`)
			if created.Status != http.StatusOK {
				t.Fatalf("create: %d %s", created.Status, created.Raw)
			}
			id := created.Body["_id"].(string)
			if r := a.do(t, tenantA, "POST", path("R-1")+"/resurrect", ""); r.Status != http.StatusSeeOther ||
				r.Headers["Location"] != path("R-1") || r.Body["code"] != "CONTRACT_NOT_DELETED" {
				t.Fatalf("resurrect of a live contract: %d %v %s, want 303 to %s", r.Status, r.Headers, r.Raw, path("R-1"))
			}
			if r := a.do(t, tenantA, "DELETE", path(id), ""); r.Status != http.StatusOK {
				t.Fatalf("delete: %d %s", r.Status, r.Raw)
			}
			if r := a.do(t, tenantA, "GET", path("R-1"), ""); r.Status != http.StatusNotFound {
				t.Fatalf("deleted contract reads: %d", r.Status)
			}
			for _, other := range []struct {
				who     tenant
				org, id string
			}{
				{tenantA, "org-elsewhere", "R-1"}, {tenantB, org, "R-1"}, {tenantA, org, "R-404"},
			} {
				if r := a.do(t, other.who, "POST", base+contractPath(other.org, other.id)+"/resurrect", ""); r.Status != http.StatusNotFound {
					t.Errorf("resurrect of %s in %s by %s: %d %s, want 404", other.id, other.org, other.who.id, r.Status, r.Raw)
				}
			}
			r := a.do(t, tenantA, "POST", path("R-1")+"/resurrect", "")
			if r.Status != http.StatusOK || r.Body["isDeleted"] != false || r.Body["_id"] != id {
				t.Fatalf("resurrect: %d %s", r.Status, r.Raw)
			}
			if got := a.get(t, tenantA, org, "R-1"); got["_id"] != id || got["isDeleted"] != false {
				t.Fatalf("the resurrected contract reads %v", got)
			}
		})
	}
}
