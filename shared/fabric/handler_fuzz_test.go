package fabric_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/fabric"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/dialecttest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// byReference returns the stored contract of the organization with the
// given contractId, or nil.
func byReference(s *contracttest.Store, org, reference string) *contract.Contract {
	c, err := s.GetContractByReference(context.Background(), dialecttest.Tenant, contract.Party{Kind: contract.PartyOrganization, ID: org}, reference)
	if err != nil {
		return nil
	}
	return c
}

// The tenant of every fuzzed request answers to the account as an alias;
// another 24-character account is not its own.
const (
	fzAliases      = "acme-retail,1234567890abcdef12345678"
	fzAccount      = "1234567890abcdef12345678"
	fzOtherAccount = "abcdefabcdefabcdefabcdef"
	fzOrg          = "5f1b2c3d4e5f6a7b8c9d0e1f"
	fzOtherOrg     = "org-other"
	fzSeedID       = "CNTR-2024-ACME-0001"
	// fzNextGenerated is the contractId the next create without one would
	// be given (the base store holds four contracts), already chosen by a
	// client: the create must draw again.
	fzNextGenerated = "201000000000005"
	fzTaken         = "CNTR-TAKEN"
	fzDeleted       = "CNTR-DELETED"
)

func fzSiteContext(account string) string {
	b, err := json.Marshal(map[string]string{"account": account})
	if err != nil {
		panic(err)
	}
	return string(b)
}

// newFzAPI serves the real fabric handler over store, to a caller whose
// tenant has the account as an alias, sending that account as the
// x-site-context of every request that does not send its own (an empty
// one sends no header at all).
func newFzAPI(store *contracttest.Store) *dialecttest.API {
	a := dialecttest.New(store, func(service *contract.Service, rt *httpapi.Router) {
		fabric.NewHandler(service, store).Register(rt)
	})
	a.Caller.Aliases = fzAliases
	a.Headers = map[string]string{"x-site-context": fzSiteContext(fzAccount)}
	return a
}

func fzContracts(org string) string { return "/v1/organizations/" + org + "/contracts" }

func fzContract(org, id string) string { return fzContracts(org) + "/" + id }

// fzBody is a contract as fabric answers it.
type fzBody struct {
	ID                   string          `json:"_id"`
	ContractID           string          `json:"contractId"`
	CreatedAt            string          `json:"createdAt"`
	EndDate              string          `json:"endDate"`
	IsDeleted            bool            `json:"isDeleted"`
	OnContract           bool            `json:"onContract"`
	PartyID              string          `json:"partyId"`
	PromotionStacking    bool            `json:"promotionStacking"`
	StartDate            string          `json:"startDate"`
	Status               string          `json:"status"`
	UpdatedAt            string          `json:"updatedAt"`
	AccountID            string          `json:"accountId,omitempty"`
	AdditionalAttributes json.RawMessage `json:"additionalAttributes,omitempty"`
	ContractPriceList    *struct {
		ID          string `json:"_id"`
		ContractID  string `json:"contractId"`
		PriceListID int64  `json:"priceListId"`
		CreatedAt   string `json:"createdAt"`
		UpdatedAt   string `json:"updatedAt"`
	} `json:"contractPriceList,omitempty"`
	ContractType string `json:"contractType,omitempty"`
}

// writableOf is what a client that read c would send back as an update.
func writableOf(c fzBody) map[string]any {
	w := map[string]any{"startDate": c.StartDate, "endDate": c.EndDate, "status": c.Status}
	if c.ContractType != "" {
		w["contractType"] = c.ContractType
	}
	if c.ContractPriceList != nil {
		w["priceListId"] = c.ContractPriceList.PriceListID
	}
	if c.AdditionalAttributes != nil {
		w["additionalAttributes"] = c.AdditionalAttributes
	}
	return w
}

var (
	fzInternalID = regexp.MustCompile(`^[0-9a-f]{24}$`)
	// fzGenerated is the contractId fabric gives a contract created
	// without one.
	fzGenerated = regexp.MustCompile(`^201\d{12}$`)
)

// readBack checks that a contract answer reads back unchanged by its _id
// and its contractId, and that its own fields, sent back as an update, are
// accepted and change nothing: what the service writes passes its own
// validation.
func readBack(t *testing.T, a *dialecttest.API, org, answer string) {
	t.Helper()
	got := httpapitest.Decode[fzBody](t, answer)
	ids := []string{got.ID}
	// API Gateway hands the function a path already decoded, so only a
	// contractId that needs no escaping is read back through one.
	if url.PathEscape(got.ContractID) == got.ContractID {
		ids = append(ids, got.ContractID)
	}
	for _, id := range ids {
		r := a.Serve(t, "GET", fzContract(org, id), "", http.StatusOK, http.StatusNotFound)
		if r.StatusCode != http.StatusOK || !httpapitest.SameJSON(r.Body, answer) {
			t.Fatalf("read back by %q: %d %s, want %s", id, r.StatusCode, r.Body, answer)
		}
	}
	again, err := json.Marshal(writableOf(got))
	if err != nil {
		t.Fatal(err)
	}
	r := a.Serve(t, "PUT", fzContract(org, got.ID), string(again), fzUpdateStatuses...)
	if r.StatusCode != http.StatusOK || !httpapitest.SameJSON(r.Body, answer) {
		t.Fatalf("the answer's own fields, sent back as an update %s, answer %d %s; want %s", again, r.StatusCode, r.Body, answer)
	}
}

// The statuses each fuzzed route documents, short of 401 (the authorizer
// has let every request in) and 5xx.
var (
	fzCreateStatuses = []int{200, 400, 403, 409, 413, 415, 422}
	fzUpdateStatuses = []int{200, 400, 403, 404, 409, 413, 415, 422}
	fzListStatuses   = []int{200, 400, 403}
)

func fzSeed(tb testing.TB) string {
	return httpapitest.ReadFile(tb, "testdata/seed-create.json")
}

// fzWith returns body with its top-level key set to raw JSON, or removed
// when raw is empty.
func fzWith(tb testing.TB, body, key, raw string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		tb.Fatal(err)
	}
	if raw == "" {
		delete(m, key)
	} else {
		m[key] = json.RawMessage(raw)
	}
	b, err := json.Marshal(m)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

var fzBase dialecttest.Once[*contracttest.Store]

// fzBaseStore is what every fuzzed request starts from, built once through
// the handler: in the organization, a contract whose client-chosen
// contractId is the next generated one, a taken contractId and a deleted
// one; the seed's contractId in another organization only.
func fzBaseStore(t testing.TB) *contracttest.Store {
	return fzBase.Get(t, func(t testing.TB) *contracttest.Store {
		a := newFzAPI(contracttest.New())
		seed := fzSeed(t)
		for _, c := range []struct{ org, id string }{
			{fzOrg, fzNextGenerated}, {fzOrg, fzTaken}, {fzOrg, fzDeleted}, {fzOtherOrg, fzSeedID},
		} {
			r := a.Serve(t, "POST", fzContracts(c.org), fzWith(t, seed, "contractId", `"`+c.id+`"`), 200)
			if r.StatusCode != http.StatusOK {
				t.Fatalf("setup: %d %s", r.StatusCode, r.Body)
			}
		}
		a.Serve(t, "DELETE", fzContract(fzOrg, fzDeleted), "", 200)
		return a.Store
	}).Clone()
}

// fzCreateSeeds are create bodies: the seed request and, for each refusal
// class, a body that meets it.
func fzCreateSeeds(f *testing.F) []string {
	seed := fzSeed(f)
	deep := strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40)
	with := func(key, raw string) string { return fzWith(f, seed, key, raw) }
	minimal := `{"startDate":"2024-01-01T00:00:00Z","endDate":"2024-01-01T00:00:00.001Z"}`
	return []string{
		seed, minimal,
		with("contractId", ""), with("contractId", `null`), with("contractId", `"`+fzTaken+`"`), with("contractId", `"`+fzDeleted+`"`),
		with("contractId", `"`+fzNextGenerated+`"`), with("contractId", `"x"`), with("contractId", `"`+strings.Repeat("c", 256)+`"`),
		with("contractId", `"caf\u00e9"`), with("contractId", `"CNTR 2024/ACME?#%"`), with("contractId", `"tab\there"`), with("contractId", `1`),
		with("startDate", `"2024-01-01"`), with("startDate", `"2024-01-01T00:00:00"`), with("startDate", `"2024-01-01T00:00:00,5Z"`),
		with("startDate", `"2024-02-30T00:00:00Z"`), with("startDate", `null`), with("startDate", ""),
		with("endDate", `"2024-01-01T00:00:00.000Z"`), with("endDate", `"2024-01-01T00:00:00.0009Z"`),
		with("endDate", `"2023-12-31T23:59:59.999999999-00:01"`),
		with("status", `"ARCHIVED"`), with("status", `"active"`), with("status", `null`), with("status", `"INACTIVE"`),
		with("contractType", `"`+strings.Repeat("t", 256)+`"`), with("contractType", `null`), with("contractType", `""`),
		with("priceListId", `-1`), with("priceListId", `9007199254740991`), with("priceListId", `9007199254740992`),
		with("priceListId", `1e400`), with("priceListId", `1.5`), with("priceListId", `"100045"`), with("priceListId", `null`),
		with("additionalAttributes", `[]`), with("additionalAttributes", `"x"`), with("additionalAttributes", `null`),
		with("additionalAttributes", `{}`), with("additionalAttributes", deep), with("additionalAttributes", `{"n":1e400}`),
		with("additionalAttributes", `{"n":123456789012345678901234567890}`), with("additionalAttributes", `{"s":"a\u0000b"}`),
		with("onContract", `true`), with("_id", `"65a1b2c3d4e5f60718293a4b"`),
		strings.Replace(seed, `"contractType": "WHOLESALE",`, `"contractType": "WHOLESALE", "contractType": "RETAIL",`, 1),
		strings.Replace(seed, `"status"`, `"Status"`, 1),
		strings.Replace(seed, `"Jane Doe"`, "\"Jane \xff\"", 1),
		`{"startDate":null,"endDate":null,"contractId":null,"contractType":null,"priceListId":null,"status":null,"additionalAttributes":null}`,
		`null`, `[]`, `{`, ``, `{}`, seed + `{}`,
	}
}

// fzSiteContexts are x-site-context headers: the tenant's account, each
// refusal class, and JSON's corners.
var fzSiteContexts = []string{
	fzSiteContext(fzAccount),
	`{"account":"` + fzAccount + `","channel":12,"stage":"production","date":"2024-01-01"}`,
	fzSiteContext(fzOtherAccount),
	fzSiteContext("acme-retail"),
	fzSiteContext(dialecttest.Tenant),
	fzSiteContext(strings.Repeat("é", 12)),
	`{"account":null}`, `{"account":123456789012345678901234}`, `{}`, `[]`, `null`, `"` + fzAccount + `"`,
	`{"account":"` + fzOtherAccount + `","account":"` + fzAccount + `"}`,
	"{\"account\":\"" + fzAccount[:23] + "\xff\"}",
	`{"account":"` + fzAccount + `"`, "",
}

// FuzzFabricCreate sends arbitrary create bodies under arbitrary
// x-site-context headers through the real handler. Every answer is a
// documented success or 4xx problem; a refused create stores nothing; a
// created contract belongs to the path's organization and the header's
// account, is stored under the contractId it answers, reads back as
// answered, and its own fields are a valid update that changes nothing.
func FuzzFabricCreate(f *testing.F) {
	for _, s := range fzCreateSeeds(f) {
		f.Add(fzSiteContext(fzAccount), s)
	}
	seed := fzSeed(f)
	for _, h := range fzSiteContexts {
		f.Add(h, seed)
	}
	f.Fuzz(func(t *testing.T, siteContext, body string) {
		a := newFzAPI(fzBaseStore(t))
		resp, before, after := a.Write(t, httpapitest.Request{
			Method: "POST", Target: fzContracts(fzOrg), Body: body, Headers: map[string]string{"x-site-context": siteContext},
		}, http.StatusOK, fzCreateStatuses...)
		if resp.StatusCode != http.StatusOK {
			return
		}
		if after.Counts != (contracttest.Counts{Contracts: before.Contracts + 1, Versions: before.Versions + 1}) {
			t.Fatalf("a create stored %v over %v", after.Counts, before.Counts)
		}
		got := httpapitest.Decode[fzBody](t, resp.Body)
		var sent struct {
			ContractID *string `json:"contractId"`
		}
		if err := json.Unmarshal([]byte(body), &sent); err != nil {
			t.Fatalf("created from %q, which encoding/json does not read: %v", body, err)
		}
		if sent.ContractID != nil && got.ContractID != *sent.ContractID || got.PartyID != fzOrg || got.AccountID != fzAccount ||
			got.IsDeleted || !fzInternalID.MatchString(got.ID) {
			t.Fatalf("created %s from %q", resp.Body, body)
		}
		if sent.ContractID == nil && !fzGenerated.MatchString(got.ContractID) {
			t.Fatalf("created without a contractId, given %q", got.ContractID)
		}
		if stored := byReference(a.Store, fzOrg, got.ContractID); stored == nil || stored.ID != got.ID || stored.Version != 1 {
			t.Fatalf("stored %+v for the answer %s", stored, resp.Body)
		}
		readBack(t, a, fzOrg, resp.Body)
	})
}

// fzInstant is what an update's date-time should come back as: the
// instant sent, in UTC, cut to the millisecond.
func fzInstant(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", false
	}
	return at.UTC().Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z"), true
}

// FuzzFabricUpdate sends arbitrary partial updates through the real
// handler onto a contract made from the seed request. A refused update
// changes nothing; an applied one changes exactly the fields it names
// (null clearing them), keeps the contract's ids and createdAt, reads back
// as answered, and its own fields are again a valid update.
func FuzzFabricUpdate(f *testing.F) {
	for _, s := range []string{
		`{"status":"INACTIVE","priceListId":null}`,
		`{"startDate":"2024-06-01T00:00:00+02:00"}`, `{"endDate":"2024-01-01T00:00:00.000Z"}`,
		`{"endDate":"2023-12-31T23:59:59.999Z"}`, `{"startDate":"2024-12-31T23:59:59.9991Z"}`,
		`{"contractType":null,"additionalAttributes":null}`, `{"contractType":""}`, `{"additionalAttributes":{}}`,
		`{"additionalAttributes":[]}`, `{"additionalAttributes":` + strings.Repeat(`{"a":`, 40) + "1" + strings.Repeat("}", 40) + `}`,
		`{"priceListId":100046}`, `{"priceListId":9007199254740992}`, `{"priceListId":1e400}`, `{"priceListId":1.0}`,
		`{"contractId":"CNTR-OTHER"}`, `{"_id":"65a1b2c3d4e5f60718293a4b"}`, `{"isDeleted":true}`, `{"Status":"ACTIVE"}`,
		`{"status":null}`, `{"startDate":null}`, `{"status":"DELETED"}`, `{"status":"ACTIVE","status":"DRAFT"}`,
		"{\"contractType\":\"\xff\"}", `{"contractType":"a\u0000b"}`,
		`{}`, `null`, `[]`, `{`, ``, `{"status":"ACTIVE"}{}`,
	} {
		f.Add(s)
	}
	seed := fzSeed(f)
	f.Fuzz(func(t *testing.T, patch string) {
		a := newFzAPI(fzBaseStore(t))
		created := a.Serve(t, "POST", fzContracts(fzOrg), seed, fzCreateStatuses...)
		if created.StatusCode != http.StatusOK {
			t.Fatalf("seed create: %d %s", created.StatusCode, created.Body)
		}
		path := fzContract(fzOrg, fzSeedID)
		resp, before, after := a.Write(t, httpapitest.Request{Method: "PUT", Target: path, Body: patch}, http.StatusOK, fzUpdateStatuses...)
		if resp.StatusCode != http.StatusOK {
			if r := a.Serve(t, "GET", path, "", http.StatusOK); !httpapitest.SameJSON(r.Body, created.Body) {
				t.Fatalf("a refused update changed the contract: %s -> %s", created.Body, r.Body)
			}
			return
		}
		// An update that changes nothing is answered the contract as it
		// was, and stores no version.
		counts := contracttest.Counts{Contracts: before.Contracts, Versions: before.Versions + 1}
		if httpapitest.SameJSON(resp.Body, created.Body) {
			counts.Versions--
		}
		if after.Counts != counts {
			t.Fatalf("an update stored %v over %v, want %v", after.Counts, before.Counts, counts)
		}
		was, got := httpapitest.Decode[fzBody](t, created.Body), httpapitest.Decode[fzBody](t, resp.Body)
		if got.ID != was.ID || got.ContractID != was.ContractID || got.CreatedAt != was.CreatedAt || got.PartyID != was.PartyID {
			t.Fatalf("an update changed the contract's identity: %s -> %s", created.Body, resp.Body)
		}

		// What the update should give, worked out apart from the
		// handler: the fields it names replace the answer's, null
		// removes them, and the rest stay.
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(patch), &fields); err != nil {
			t.Fatalf("applied %q, which encoding/json does not read: %v", patch, err)
		}
		want, have := writableOf(was), writableOf(got)
		for k, v := range fields {
			switch {
			// The model does not tell an empty contractType from none.
			case string(v) == "null" || k == "contractType" && string(v) == `""`:
				delete(want, k)
			case k == "startDate" || k == "endDate":
				s, ok := fzInstant(v)
				if !ok {
					t.Fatalf("applied %s %s, which is not an RFC 3339 date-time", k, v)
				}
				want[k] = s
			default:
				want[k] = v
			}
		}
		wantJSON, _ := json.Marshal(want)
		haveJSON, _ := json.Marshal(have)
		if !httpapitest.SameJSON(string(wantJSON), string(haveJSON)) {
			t.Fatalf("update %s of %s answered %s, want the fields %s", patch, created.Body, resp.Body, wantJSON)
		}
		readBack(t, a, fzOrg, resp.Body)
	})
}

// fzRawQuery makes s a query string a client could send: every byte a URL
// query may not hold as it is, and every % that does not start an escape,
// is percent-encoded.
func fzRawQuery(s string) string {
	const hex = "0123456789ABCDEF"
	isHex := func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]),
			'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9',
			strings.IndexByte("-._~!$&'()*+,;=:@/?", c) >= 0:
			b.WriteByte(c)
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
		}
	}
	return b.String()
}

// fzPage is a window of the list as fabric answers it.
type fzPage struct {
	Query struct{ Offset, Limit, Count int } `json:"query"`
	Data  []fzBody                           `json:"data"`
}

// fzListParams are the list's query parameters: every refusal names one.
var fzListParams = []string{
	"offset", "limit", "sortBy", "sortOrder", "status", "startDateFrom", "startDateTo",
	"endDateFrom", "endDateTo", "search", "includeDeleted",
}

var (
	fzList      dialecttest.Once[*dialecttest.API]
	fzListTotal [2]int // the organization's contracts, without and with the deleted ones
)

// fzListFixture is a varied organization to list, built once through the
// handler: every status, price lists or none, types or none, dates across
// years, and a deleted contract. Listing writes nothing, so every fuzzed
// request shares it.
func fzListFixture(t *testing.T) *dialecttest.API {
	return fzList.Get(t, func(t testing.TB) *dialecttest.API {
		a := newFzAPI(fzBaseStore(t))
		statuses := []string{"ACTIVE", "DRAFT", "INACTIVE"}
		for i := range 12 {
			c := map[string]any{
				"startDate": time.Date(2020+i%5, time.Month(1+i%12), 1+i, 0, 0, 0, 0, time.UTC).Format(time.RFC3339),
				"endDate":   time.Date(2026+i%3, time.Month(1+i%12), 1+i, 23, 59, 59, 999e6, time.UTC).Format(time.RFC3339Nano),
				"status":    statuses[i%3],
			}
			if i%2 == 0 {
				c["priceListId"] = 100000 + (i*7)%5
			}
			if i%3 != 2 {
				c["contractType"] = []string{"WHOLESALE", "Retail"}[i%2]
			}
			if i%4 != 3 {
				c["contractId"] = "CNTR-" + string(rune('A'+i)) + "-0001"
			}
			body, _ := json.Marshal(c)
			if r := a.Serve(t, "POST", fzContracts(fzOrg), string(body), 200); r.StatusCode != 200 {
				t.Fatalf("list setup: %d %s", r.StatusCode, r.Body)
			}
		}
		a.Serve(t, "DELETE", fzContract(fzOrg, "CNTR-B-0001"), "", 200)
		for _, c := range a.Store.Contracts(dialecttest.Tenant) {
			if c.Party.ID == fzOrg {
				fzListTotal[1]++
				if !c.Deleted() {
					fzListTotal[0]++
				}
			}
		}
		return a
	})
}

// FuzzFabricListQuery sends arbitrary query strings to the list, parsed
// into queryStringParameters as API Gateway parses them. Every answer is a
// 200 or a 400 naming list parameters; a 200 is a window no larger than
// its limit of the organization's contracts, deleted ones only when asked
// for, counting no more contracts than the organization has.
func FuzzFabricListQuery(f *testing.F) {
	for _, q := range []string{
		"", "offset=0&limit=10", "limit=100", "limit=101", "limit=0", "limit=-1", "limit=1e2", "limit=%2B5", "limit=+5",
		"offset=-1", "offset=9223372036854775807&limit=100", "offset=99999999999999999999", "limit=5&limit=6",
		"sortBy=contractId&sortOrder=asc", "sortBy=priceListId&sortOrder=desc", "sortBy=startDate", "sortBy=endDate&sortOrder=asc",
		"sortBy=status", "sortBy=updatedAt", "sortBy=name", "sortBy=contractId&sortBy=status", "sortOrder=ASC",
		"status=ACTIVE", "status=active", "status=ACTIVE&status=DRAFT", "status=",
		"startDateFrom=2021-01-01&startDateTo=2023-12-31", "startDateFrom=2021-01-01",
		"startDateTo=2021-01-01", "startDateFrom=2024-01-01&startDateTo=2023-01-01",
		"endDateFrom=2026-01-01T00:00:00Z&endDateTo=2027-06-30T23:59:59.999%2B02:00", "endDateFrom=2026-02-30&endDateTo=2027-01-01",
		"startDateFrom=0000-01-01&startDateTo=9999-12-31", "startDateFrom=2024-01-01T00:00:00,5Z&startDateTo=2024-01-02",
		"search=wholesale", "search=CNTR-A", "search=%C3%A9", "search=%FF", "search=" + strings.Repeat("s", 256), "search=a,b&search=c",
		"includeDeleted=true", "includeDeleted=1", "includeDeleted=yes", "includeDeleted=TRUE&includeDeleted=false",
		"unknown=1", "=", "&&&", "a=%zz", "%=%", "limit", "limit=", "offset=1&limit=2&sortBy=priceListId&sortOrder=asc&status=DRAFT&startDateFrom=2020-01-01&startDateTo=2030-01-01&endDateFrom=2026-01-01&endDateTo=2030-01-01&search=cntr&includeDeleted=true",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a := fzListFixture(t)
		raw := fzRawQuery(s)
		query := httpapitest.Query(raw)
		resp := a.Serve(t, "GET", fzContracts(fzOrg)+"?"+raw, "", fzListStatuses...)
		if resp.StatusCode != http.StatusOK {
			p := httpapitest.Decode[httpapi.Problem](t, resp.Body)
			for _, e := range p.Errors {
				if !slices.Contains(fzListParams, e.Field) {
					t.Fatalf("query %q: a refusal names %q, not a list parameter: %s", raw, e.Field, resp.Body)
				}
			}
			return
		}
		page := httpapitest.Decode[fzPage](t, resp.Body)
		includeDeleted, _ := strconv.ParseBool(query["includeDeleted"])
		total := fzListTotal[0]
		if includeDeleted {
			total = fzListTotal[1]
		}
		if len(page.Data) > page.Query.Limit || page.Query.Limit < 1 || page.Query.Limit > 100 || page.Query.Offset < 0 ||
			page.Query.Count > total || page.Query.Count < len(page.Data) {
			t.Fatalf("query %q: a window of %d for %+v of %d contracts", raw, len(page.Data), page.Query, total)
		}
		for _, c := range page.Data {
			if c.PartyID != fzOrg || c.IsDeleted && !includeDeleted || !utf8.ValidString(c.ContractID) {
				t.Fatalf("query %q listed %+v", raw, c)
			}
		}
	})
}
