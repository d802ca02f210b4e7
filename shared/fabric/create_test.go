package fabric_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

const orgA = "5f1b2c3d4e5f6a7b8c9d0e1f"

// seedResponseFields are the fields of the seed's response schema this
// service can know: all but addressId.
var seedResponseFields = []string{
	"_id", "accountId", "additionalAttributes", "contractId", "contractPriceList", "contractType",
	"createdAt", "endDate", "isDeleted", "onContract", "partyId", "promotionStacking",
	"startDate", "status", "updatedAt",
}

func TestCreateSeedRequest(t *testing.T) {
	a := newAPI(t)
	seed := httpapitest.ReadFile(t, "testdata/seed-create.json")
	var sent map[string]any
	if err := json.Unmarshal([]byte(seed), &sent); err != nil {
		t.Fatal(err)
	}
	got := a.create(t, tenantA, orgA, seed)

	if !reflect.DeepEqual(keys(got), seedResponseFields) {
		t.Fatalf("fields %v, want %v", keys(got), seedResponseFields)
	}
	want := map[string]any{
		"accountId":            tenantA.account,
		"partyId":              orgA,
		"contractId":           sent["contractId"],
		"contractType":         sent["contractType"],
		"status":               sent["status"],
		"startDate":            sent["startDate"],
		"endDate":              sent["endDate"],
		"additionalAttributes": sent["additionalAttributes"],
		"isDeleted":            false,
		"onContract":           false,
		"promotionStacking":    false,
	}
	for k, v := range want {
		if !reflect.DeepEqual(got[k], v) {
			t.Errorf("%s = %#v, want %#v", k, got[k], v)
		}
	}
	if id, _ := got["_id"].(string); !hexIDPattern.MatchString(id) {
		t.Errorf("_id %q is not 24 hex digits", got["_id"])
	}
	for _, k := range []string{"createdAt", "updatedAt"} {
		if s, _ := got[k].(string); !instantPattern.MatchString(s) {
			t.Errorf("%s %q is not UTC with milliseconds", k, got[k])
		}
	}
	if got["createdAt"] != got["updatedAt"] {
		t.Errorf("a new contract has createdAt %v but updatedAt %v", got["createdAt"], got["updatedAt"])
	}

	link, ok := got["contractPriceList"].(map[string]any)
	if !ok {
		t.Fatalf("contractPriceList = %#v, want the price list relation", got["contractPriceList"])
	}
	if !reflect.DeepEqual(keys(link), []string{"_id", "contractId", "createdAt", "priceListId", "updatedAt"}) {
		t.Errorf("contractPriceList fields %v", keys(link))
	}
	if link["priceListId"] != sent["priceListId"] || link["contractId"] != sent["contractId"] {
		t.Errorf("contractPriceList = %v, want priceListId %v and contractId %v", link, sent["priceListId"], sent["contractId"])
	}
	if id, _ := link["_id"].(string); !hexIDPattern.MatchString(id) || id == got["_id"] {
		t.Errorf("the relation's _id %q must be its own 24 hex digits", link["_id"])
	}
	if s, _ := link["createdAt"].(string); !instantPattern.MatchString(s) || link["updatedAt"] != s {
		t.Errorf("a new relation is stamped %v/%v, want one instant", link["createdAt"], link["updatedAt"])
	}

	// What the create answered is what is stored.
	if back := a.get(t, tenantA, orgA, got["_id"].(string)); !reflect.DeepEqual(back, got) {
		t.Errorf("read back\n%v\nwant\n%v", back, got)
	}
}

func TestCreateDefaults(t *testing.T) {
	a := newAPI(t)
	dates := map[string]any{"startDate": "2024-01-01T00:00:00.000Z", "endDate": "2024-12-31T23:59:59.999Z"}
	with := func(extra map[string]any) string {
		m := map[string]any{}
		for k, v := range dates {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return body(t, m)
	}

	t.Run("only the dates", func(t *testing.T) {
		got := a.create(t, tenantA, orgA, with(nil))
		if want := []string{"_id", "accountId", "contractId", "createdAt", "endDate", "isDeleted", "onContract", "partyId", "promotionStacking", "startDate", "status", "updatedAt"}; !reflect.DeepEqual(keys(got), want) {
			t.Errorf("fields %v, want %v", keys(got), want)
		}
		if got["status"] != "DRAFT" {
			t.Errorf("status %v, want DRAFT", got["status"])
		}
		if id, _ := got["contractId"].(string); !generatedPattern.MatchString(id) {
			t.Errorf("generated contractId %q is not 15 digits starting 201", got["contractId"])
		}
	})
	t.Run("without priceListId there is no price list relation", func(t *testing.T) {
		got := a.create(t, tenantA, orgA, with(map[string]any{"contractId": "CNTR-NO-PRICE-LIST", "status": "ACTIVE"}))
		if _, ok := got["contractPriceList"]; ok {
			t.Errorf("contractPriceList = %v, want none", got["contractPriceList"])
		}
		if got["status"] != "ACTIVE" || got["contractId"] != "CNTR-NO-PRICE-LIST" {
			t.Errorf("got %v", got)
		}
	})
	t.Run("null optional fields are the same as none", func(t *testing.T) {
		got := a.create(t, tenantA, orgA, with(map[string]any{
			"contractId": nil, "contractType": nil, "priceListId": nil, "status": nil, "additionalAttributes": nil,
		}))
		for _, k := range []string{"contractType", "contractPriceList", "additionalAttributes"} {
			if _, ok := got[k]; ok {
				t.Errorf("%s = %v, want none", k, got[k])
			}
		}
		if id, _ := got["contractId"].(string); got["status"] != "DRAFT" || !generatedPattern.MatchString(id) {
			t.Errorf("got status %v, contractId %v; want the defaults", got["status"], got["contractId"])
		}
	})
	t.Run("dates with offsets are answered in UTC", func(t *testing.T) {
		got := a.create(t, tenantA, orgA, body(t, map[string]any{"startDate": "2024-01-01T02:00:00+02:00", "endDate": "2024-06-30T18:30:00.5-05:30"}))
		if got["startDate"] != "2024-01-01T00:00:00.000Z" || got["endDate"] != "2024-07-01T00:00:00.500Z" {
			t.Errorf("startDate %v, endDate %v", got["startDate"], got["endDate"])
		}
	})
	t.Run("price list 0 and the largest safe integer", func(t *testing.T) {
		for _, id := range []int64{0, 9007199254740991} {
			got := a.create(t, tenantA, orgA, with(map[string]any{"priceListId": id}))
			link, _ := got["contractPriceList"].(map[string]any)
			if link == nil || link["priceListId"] != float64(id) {
				t.Errorf("priceListId %d: contractPriceList %v", id, got["contractPriceList"])
			}
		}
	})
	t.Run("generated contractIds are distinct and find the contract", func(t *testing.T) {
		seen := map[string]string{}
		for range 5 {
			got := a.create(t, tenantA, orgA, with(nil))
			id := got["contractId"].(string)
			if !generatedPattern.MatchString(id) {
				t.Fatalf("generated contractId %q", id)
			}
			if other, dup := seen[id]; dup {
				t.Fatalf("contractId %s given to %s and %s", id, other, got["_id"])
			}
			seen[id] = got["_id"].(string)
			if back := a.get(t, tenantA, orgA, id); back["_id"] != got["_id"] {
				t.Fatalf("GET by the generated contractId %s found %v", id, back["_id"])
			}
		}
	})
}

// TestGeneratedContractIDAvoidsChosenOnes covers a client that picked, as
// its own contractId, the one the service would generate next: the
// generated one must not collide with it.
func TestGeneratedContractIDAvoidsChosenOnes(t *testing.T) {
	a := newAPI(t)
	dates := `"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z"`
	// A fresh table numbers its first contracts 1, 2, ...: the second
	// contract's generated contractId would be 201000000000002.
	chosen := a.create(t, tenantA, orgA, `{`+dates+`,"contractId":"201000000000002"}`)
	got := a.create(t, tenantA, orgA, `{`+dates+`}`)
	id, _ := got["contractId"].(string)
	if !generatedPattern.MatchString(id) || id == chosen["contractId"] {
		t.Fatalf("generated contractId %q next to the chosen %v", id, chosen["contractId"])
	}
	if back := a.get(t, tenantA, orgA, "201000000000002"); back["_id"] != chosen["_id"] {
		t.Fatalf("the chosen contractId now finds %v, want %v", back["_id"], chosen["_id"])
	}
}

// TestContractIDNeverShadowsAnID: a contractId of the _id shape would
// make GET, PUT and DELETE by that id act on another contract. It is
// refused; an _id keeps naming its contract, and 24 hex digits in upper
// case (not an _id) remain a contractId like any other.
func TestContractIDNeverShadowsAnID(t *testing.T) {
	a := newAPI(t)
	dates := `"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z"`
	first := a.create(t, tenantA, orgA, `{`+dates+`,"contractId":"FIRST-1"}`)
	id := first["_id"].(string)
	r := a.do(t, tenantA, "POST", contractsPath(orgA), `{`+dates+`,"contractId":"`+id+`"}`)
	if r.Status != http.StatusBadRequest || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"contractId"}) {
		t.Fatalf("a contractId equal to another contract's _id: %d %s", r.Status, r.Raw)
	}
	for _, method := range []string{"GET", "PUT", "DELETE"} {
		body := ""
		if method == "PUT" {
			body = `{"contractType":"renamed"}`
		}
		got := a.do(t, tenantA, method, contractPath(orgA, id), body)
		if got.Status != http.StatusOK || got.Body["contractId"] != "FIRST-1" {
			t.Fatalf("%s by _id: %d %s, want the first contract", method, got.Status, got.Raw)
		}
	}
	upper := strings.ToUpper(id)
	if got := a.create(t, tenantA, orgA, `{`+dates+`,"contractId":"`+upper+`"}`); got["contractId"] != upper {
		t.Fatalf("an upper-case hex contractId: %v", got)
	}
}

func TestCreateRefusals(t *testing.T) {
	a := newAPI(t)
	const dates = `"startDate":"2024-01-01T00:00:00.000Z","endDate":"2024-12-31T23:59:59.999Z"`
	with := func(fields string) string { return `{` + dates + `,` + fields + `}` }
	tests := []struct {
		name   string
		body   string
		fields []string // nil: a refusal of the body as a whole
	}{
		{"startDate missing", `{"endDate":"2024-12-31T23:59:59.999Z"}`, []string{"startDate"}},
		{"endDate missing", `{"startDate":"2024-01-01T00:00:00.000Z"}`, []string{"endDate"}},
		{"both dates missing", `{"contractId":"CNTR-1"}`, []string{"endDate", "startDate"}},
		{"startDate null", `{"startDate":null,"endDate":"2024-12-31T23:59:59.999Z"}`, []string{"startDate"}},
		{"endDate equal to startDate", `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-01-01T00:00:00.000Z"}`, []string{"endDate"}},
		{"endDate one millisecond before startDate", `{"startDate":"2024-01-01T00:00:00.000Z","endDate":"2023-12-31T23:59:59.999Z"}`, []string{"endDate"}},
		{"endDate the same instant in another offset", `{"startDate":"2024-01-01T10:00:00+02:00","endDate":"2024-01-01T08:00:00Z"}`, []string{"endDate"}},
		{"endDate before startDate once offsets apply", `{"startDate":"2024-01-01T10:00:00+02:00","endDate":"2024-01-01T09:00:00+03:00"}`, []string{"endDate"}},
		{"startDate a date without a time", `{"startDate":"2024-01-01","endDate":"2024-12-31T23:59:59.999Z"}`, []string{"startDate"}},
		{"endDate without a time zone", `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T23:59:59"}`, []string{"endDate"}},
		{"startDate without seconds", `{"startDate":"2024-01-01T00:00Z","endDate":"2024-12-31T23:59:59Z"}`, []string{"startDate"}},
		{"startDate not a calendar date", `{"startDate":"2023-02-29T00:00:00Z","endDate":"2024-12-31T23:59:59Z"}`, []string{"startDate"}},
		{"startDate at hour 24", `{"startDate":"2024-01-01T24:00:00Z","endDate":"2024-12-31T23:59:59Z"}`, []string{"startDate"}},
		{"endDate with a space for T", `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31 23:59:59Z"}`, []string{"endDate"}},
		{"endDate in another format", `{"startDate":"2024-01-01T00:00:00Z","endDate":"12/31/2024"}`, []string{"endDate"}},
		{"startDate as epoch milliseconds", `{"startDate":1704067200000,"endDate":"2024-12-31T23:59:59Z"}`, []string{"startDate"}},
		{"startDate empty", `{"startDate":"","endDate":"2024-12-31T23:59:59Z"}`, []string{"startDate"}},
		{"contractId of 1 character", with(`"contractId":"A"`), []string{"contractId"}},
		{"contractId empty", with(`"contractId":""`), []string{"contractId"}},
		{"contractId of 256 characters", with(`"contractId":"` + strings.Repeat("C", 256) + `"`), []string{"contractId"}},
		{"contractId not ASCII", with(`"contractId":"CNTR-été"`), []string{"contractId"}},
		{"contractId with a control character", with(`"contractId":"CNTR\t1"`), []string{"contractId"}},
		{"contractId a number", with(`"contractId":12345`), []string{"contractId"}},
		{"contractId of an _id's shape", with(`"contractId":"65a1b2c3d4e5f60718293a4b"`), []string{"contractId"}},
		{"contractType of 256 characters", with(`"contractType":"` + strings.Repeat("t", 256) + `"`), []string{"contractType"}},
		{"status in lower case", with(`"status":"active"`), []string{"status"}},
		{"status unknown", with(`"status":"CANCELED"`), []string{"status"}},
		{"priceListId a string", with(`"priceListId":"100045"`), []string{"priceListId"}},
		{"priceListId a fraction", with(`"priceListId":1.5`), []string{"priceListId"}},
		{"priceListId negative", with(`"priceListId":-1`), []string{"priceListId"}},
		{"priceListId past 2^53-1", with(`"priceListId":9007199254740992`), []string{"priceListId"}},
		{"priceListId past int64", with(`"priceListId":92233720368547758070`), []string{"priceListId"}},
		{"additionalAttributes a string", with(`"additionalAttributes":"NET30"`), []string{"additionalAttributes"}},
		{"additionalAttributes an array", with(`"additionalAttributes":[{"paymentTerms":"NET30"}]`), []string{"additionalAttributes"}},
		{"additionalAttributes a number", with(`"additionalAttributes":7`), []string{"additionalAttributes"}},
		{"unknown field", with(`"addressId":"65a1b2c3d4e5f60718293a4b"`), []string{"addressId"}},
		{"a field only answers carry", with(`"isDeleted":false`), []string{"isDeleted"}},
		{"every failing field at once", `{"startDate":"soon","endDate":"2024-12-31T23:59:59Z","contractId":"A","status":"NEW","priceListId":-5}`, []string{"contractId", "priceListId", "startDate", "status"}},
		{"not an object", `[` + with(`"status":"ACTIVE"`) + `]`, nil},
		{"null", `null`, nil},
		{"malformed", `{"startDate":`, nil},
		{"trailing data", with(`"status":"ACTIVE"`) + `{}`, nil},
		{"empty body", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.do(t, tenantA, "POST", contractsPath(orgA), tt.body)
			if r.Status != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.Status, r.Raw)
			}
			if tt.fields != nil && !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), tt.fields) {
				t.Fatalf("fields %v, want %v: %s", httpapitest.ProblemFields(r.Body), tt.fields, r.Raw)
			}
		})
	}

	t.Run("not sent as JSON", func(t *testing.T) {
		r := a.do(t, tenantA, "POST", contractsPath(orgA), with(`"status":"ACTIVE"`), "content-type", "text/plain")
		if r.Status != http.StatusUnsupportedMediaType {
			t.Fatalf("status %d, want 415: %s", r.Status, r.Raw)
		}
	})
	t.Run("body over the limit", func(t *testing.T) {
		huge := with(`"additionalAttributes":{"notes":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`)
		r := a.do(t, tenantA, "POST", contractsPath(orgA), huge)
		if r.Status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", r.Status)
		}
	})

	list := a.do(t, tenantA, "GET", contractsPath(orgA)+"?includeDeleted=true", "")
	if count := list.Body["query"].(map[string]any)["count"]; count != float64(0) {
		t.Fatalf("refused creates left %v contracts", count)
	}
}

func TestContractIDUniqueInOrganization(t *testing.T) {
	a := newAPI(t)
	req := `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z","contractId":"CNTR-DUP-01"}`
	first := a.create(t, tenantA, orgA, req)

	t.Run("same organization", func(t *testing.T) {
		// A retried create must not make a second contract.
		for range 2 {
			r := a.do(t, tenantA, "POST", contractsPath(orgA), req)
			// fabric documents a taken contractId as a 400, with
			// its {"code", "message"} error body.
			if r.Status != http.StatusBadRequest || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"contractId"}) ||
				r.Body["code"] != "CONTRACT_ID_TAKEN" || r.Body["message"] != "contract id already exists" {
				t.Fatalf("duplicate: %d %s, want 400 CONTRACT_ID_TAKEN naming contractId", r.Status, r.Raw)
			}
		}
		if got := a.get(t, tenantA, orgA, "CNTR-DUP-01"); got["_id"] != first["_id"] {
			t.Fatalf("contractId now finds %v, want %v", got["_id"], first["_id"])
		}
	})
	t.Run("another organization", func(t *testing.T) {
		other := a.create(t, tenantA, "org-globex", req)
		if other["_id"] == first["_id"] || other["partyId"] != "org-globex" {
			t.Fatalf("got %v", other)
		}
	})
	t.Run("another tenant's organization of the same id", func(t *testing.T) {
		other := a.create(t, tenantB, orgA, req)
		if other["_id"] == first["_id"] || other["accountId"] != tenantB.account {
			t.Fatalf("got %v", other)
		}
	})
	t.Run("concurrent creates with one contractId", func(t *testing.T) {
		// Exactly one of racing creates wins; the others are told why.
		const n = 6
		req := `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z","contractId":"CNTR-RACE-01"}`
		statuses := make(chan int, n)
		errs := make(chan error, n)
		for range n {
			go func() {
				r, err := a.serve(t, tenantA, "POST", contractsPath(orgA), req)
				statuses <- r.Status
				errs <- err
			}()
		}
		won := 0
		for range n {
			if err := <-errs; err != nil {
				t.Error(err)
			}
			switch s := <-statuses; s {
			case http.StatusOK:
				won++
			case http.StatusBadRequest:
			default:
				t.Errorf("status %d, want 200 or 400", s)
			}
		}
		if won != 1 {
			t.Fatalf("%d creates won, want exactly 1", won)
		}
	})
}

func TestSiteContextHeader(t *testing.T) {
	a := newAPI(t)
	req := `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-12-31T00:00:00Z"}`
	tests := []struct {
		name   string
		header string
		status int
	}{
		{"the account alone", siteContext(tenantA.account), 200},
		{"every attribute fabric documents", `{"account":"` + tenantA.account + `","channel":12,"stage":"production","date":"2024-01-01T00:00:00.000Z"}`, 200},
		{"missing", "", 400},
		{"not JSON", tenantA.account, 400},
		{"a JSON array", `["` + tenantA.account + `"]`, 400},
		{"a JSON string", `"` + tenantA.account + `"`, 400},
		{"an object without account", `{"channel":12,"stage":"production"}`, 400},
		{"account null", `{"account":null}`, 400},
		{"account a number", `{"account":123456789012345678901234}`, 400},
		{"account of 23 characters", siteContext(tenantA.account[:23]), 400},
		{"account of 25 characters", siteContext(tenantA.account + "9"), 400},
		{"an alias that is not an account", siteContext("acme-retail"), 400},
		{"another tenant's account", siteContext(tenantB.account), 403},
		{"an account of no tenant", siteContext("ffffffffffffffffffffffff"), 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.do(t, tenantA, "POST", contractsPath(orgA), req, "x-site-context", tt.header)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tt.status, r.Raw)
			}
			if tt.status == 400 && !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"x-site-context"}) {
				t.Fatalf("fields %v, want x-site-context: %s", httpapitest.ProblemFields(r.Body), r.Raw)
			}
			if tt.status == 200 && r.Body["accountId"] != tenantA.account {
				t.Fatalf("accountId %v, want %s", r.Body["accountId"], tenantA.account)
			}
		})
	}

	// Every route checks the header before anything else, so an existing
	// contract is neither shown nor changed to a request without it.
	c := a.create(t, tenantA, orgA, req)
	path := contractPath(orgA, c["_id"].(string))
	routes := []struct{ name, method, target, body string }{
		{"create", "POST", contractsPath(orgA), req},
		{"list", "GET", contractsPath(orgA), ""},
		{"get", "GET", path, ""},
		{"update", "PUT", path, `{"status":"INACTIVE"}`},
		{"delete", "DELETE", path, ""},
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			r := a.do(t, tenantA, rt.method, rt.target, rt.body, "x-site-context", "")
			if r.Status != 400 || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"x-site-context"}) {
				t.Fatalf("without the header: %d %s", r.Status, r.Raw)
			}
			r = a.do(t, tenantA, rt.method, rt.target, rt.body, "x-site-context", `{"account":"short"}`)
			if r.Status != 400 || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"x-site-context"}) {
				t.Fatalf("with a short account: %d %s", r.Status, r.Raw)
			}
			r = a.do(t, tenantA, rt.method, rt.target, rt.body, "x-site-context", siteContext(tenantB.account))
			if r.Status != 403 {
				t.Fatalf("with another tenant's account: %d %s", r.Status, r.Raw)
			}
		})
	}
	if got := a.get(t, tenantA, orgA, c["_id"].(string)); !reflect.DeepEqual(got, c) {
		t.Fatalf("refused requests changed the contract: %v, was %v", got, c)
	}
}
