package easybilling_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// The catalog every tenant of the tests has: the seed's plan, and a second
// plan on another billing cycle so a change of plan shows in the segment.
const (
	seedPlan = "16ad814a-dd1b-41c8-9b4b-4e8551170fee" // USD, CNY; monthly
	proPlan  = "5b0e7a8c-3f4d-4e21-9c6b-2d8f1a7e4c90" // USD, EUR; quarterly
)

var catalog = []contract.Plan{
	{ID: seedPlan, Name: "Standard", Currencies: []string{"USD", "CNY"}},
	{ID: proPlan, Name: "Pro", BillingCycleType: "quarterly", Currencies: []string{"USD", "EUR"}},
}

// Route prefixes: production names its timestamps createdOn/updatedOn, the
// payment-hub sandbox createdAt/updatedAt.
const (
	prod = "/api"
	hub  = "/payment-hub/api"
)

var (
	uuidPattern      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	contractPattern  = regexp.MustCompile(`^CT-\d{10}$`)
	actionPattern    = regexp.MustCompile(`^CA-\d{10}$`)
	timestampPattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)
)

// tenant is who a request acts for, as the authorizer hands it over.
type tenant struct{ id string }

func (w tenant) credential() string { return "cred-" + w.id }

var (
	tenantA = tenant{id: "tenant-a"}
	tenantB = tenant{id: "tenant-b"}
)

// api drives ContractActionsFunction's router over a fresh DynamoDB Local
// table and checks every response against infra/openapi.yaml. other is
// CreateContractFunction's router over the same table, for contracts of
// other dialects.
type api struct {
	rt    *httpapi.Router
	other *httpapi.Router
	store *ddb.Store
}

func newAPI(t *testing.T) *api {
	t.Helper()
	store := ddbtest.NewStore(t)
	for _, who := range []tenant{tenantA, tenantB} {
		ddbtest.PutPlans(t, store, who.id, catalog)
	}
	log := slog.New(slog.DiscardHandler)
	return &api{rt: endpoints.ContractActions(store, log), other: endpoints.CreateContract(store, log), store: store}
}

type response = httpapitest.Reply

// sent is a request of who as sent; headers are name/value pairs over the
// defaults, an empty value removing the header.
func sent(who tenant, method, target, body string, headers ...string) httpapitest.Request {
	h := map[string]string{"authorization": "Bearer token"}
	maps.Copy(h, httpapitest.Headers(headers...))
	// API Gateway names the route it matched, of the whole API's.
	return httpapitest.Request{Method: method, Target: target, Body: body, Headers: h,
		Caller: httpapitest.Caller{TenantID: who.id, CredentialID: who.credential()}, Routes: endpoints.APIRouteKeys()}
}

// serve sends one request through rt and validates the exchange against
// the document. It never stops the test, so workers may call it
// concurrently: a document mismatch is reported with t.Errorf, anything
// else returned.
func serve(t testing.TB, rt *httpapi.Router, who tenant, method, target, body string, headers ...string) (response, error) {
	t.Helper()
	return httpapitest.ExchangeJSON(t, rt, sent(who, method, target, body, headers...))
}

func (a *api) do(t testing.TB, who tenant, method, target, body string, headers ...string) response {
	t.Helper()
	return httpapitest.Send(t, a.rt, sent(who, method, target, body, headers...))
}

// must fails the test unless r has status.
func must(t testing.TB, status int, r response) map[string]any {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	return r.Body
}

// act posts a contract-actions request under prefix and returns the
// answer, failing unless it is 200.
func (a *api) act(t testing.TB, who tenant, prefix, body string) map[string]any {
	t.Helper()
	return must(t, http.StatusOK, a.do(t, who, "POST", prefix+"/contract-actions", body))
}

// contract reads a contract back under prefix, failing unless it is 200.
func (a *api) contract(t testing.TB, who tenant, prefix, ref string) map[string]any {
	t.Helper()
	return must(t, http.StatusOK, a.do(t, who, "GET", prefix+"/contracts/"+url.PathEscape(ref), ""))
}

// action reads a contract action back under prefix, failing unless it is
// 200.
func (a *api) action(t testing.TB, who tenant, prefix, number string) map[string]any {
	t.Helper()
	return must(t, http.StatusOK, a.do(t, who, "GET", prefix+"/contract-actions/"+url.PathEscape(number), ""))
}

// list reads every page of an account's contracts, pageSize at a time,
// checking the paging fields of each page.
func (a *api) list(t testing.TB, who tenant, prefix, account string, pageSize int) []map[string]any {
	t.Helper()
	var all []map[string]any
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("the list never ends")
		}
		q := url.Values{"accountNumber": {account}, "pageSize": {fmt.Sprint(pageSize)}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		page := must(t, http.StatusOK, a.do(t, who, "GET", prefix+"/contracts?"+q.Encode(), ""))
		items := objects(t, page["items"])
		if page["pageSize"] != float64(pageSize) || len(items) > pageSize {
			t.Fatalf("page of %d items answers pageSize %v, asked %d", len(items), page["pageSize"], pageSize)
		}
		all = append(all, items...)
		hasMore, _ := page["hasMore"].(bool)
		next, isString := page["cursor"].(string)
		// A page holds fewer than pageSize items and more follow when
		// its contracts would not fit in one response.
		if hasMore != isString || (hasMore && len(items) == 0) {
			t.Fatalf("page %d: hasMore %v with cursor %v after %d items", pages, page["hasMore"], page["cursor"], len(items))
		}
		if !hasMore {
			return all
		}
		cursor = next
	}
}

// objects is a JSON array of objects.
func objects(t testing.TB, v any) []map[string]any {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v is not an array", v)
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		if out[i], ok = e.(map[string]any); !ok {
			t.Fatalf("item %d, %v, is not an object", i, e)
		}
	}
	return out
}

// segments are a contract's segments, oldest first.
func segments(t testing.TB, c map[string]any) []map[string]any {
	t.Helper()
	return objects(t, c["contractSegments"])
}

// info is the contract of an action's answer.
func info(t testing.TB, answer map[string]any) map[string]any {
	t.Helper()
	c, ok := answer["contractInfo"].(map[string]any)
	if !ok {
		t.Fatalf("no contractInfo in %v", answer)
	}
	return c
}

func decode(t testing.TB, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("%v\n%s", err, s)
	}
	return m
}

// obj is a JSON object of a request, written inline.
type obj = map[string]any

// request is a contract-actions body for account.
func request(t testing.TB, account string, actions ...obj) string {
	t.Helper()
	list := make([]any, len(actions))
	for i, a := range actions {
		list[i] = a
	}
	return httpapitest.MustJSON(obj{"accountNumber": account, "actions": list})
}

// payloadKeys maps each action type to the key of its entries.
var payloadKeys = map[string]string{
	"create-contract-with-plan": "createContractWithPlan",
	"switch-plan":               "switchPlan",
	"renew":                     "renew",
	"early-renew":               "earlyRenew",
	"update-price":              "updatePrice",
	"cancel":                    "cancel",
}

// act1 is an action of type typ with entries under its own payload key.
func act1(typ string, entries ...obj) obj {
	list := make([]any, len(entries))
	for i, e := range entries {
		list[i] = e
	}
	return obj{"type": typ, payloadKeys[typ]: list}
}

// term is a create-contract-with-plan entry.
func term(plan, effective, expiration string, currencies ...string) obj {
	return obj{"planId": plan, "effectiveDate": effective, "expirationDate": expiration, "currency": currencies}
}

// with returns a copy of e with fields set, pairs of name and value.
func with(e obj, pairs ...any) obj {
	out := obj{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		out[pairs[i].(string)] = pairs[i+1]
	}
	return out
}

// byNumber and byID name a contract in an entry.
func byNumber(c map[string]any) obj { return obj{"contractNumber": c["contractNumber"]} }
func byID(c map[string]any) obj     { return obj{"contractId": c["id"]} }

// create makes a one-segment contract for account under prefix and returns
// its contractInfo.
func (a *api) create(t testing.TB, who tenant, account, plan, effective, expiration string, currencies ...string) map[string]any {
	t.Helper()
	return info(t, a.act(t, who, prod, request(t, account, act1("create-contract-with-plan", term(plan, effective, expiration, currencies...)))))
}

// refused fails the test unless r is a problem of status naming exactly
// fields (in any order), with a trace-id.
func refused(t testing.TB, r response, status int, fields ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Raw)
	}
	sort.Strings(fields)
	if fields == nil {
		fields = []string{}
	}
	if got := httpapitest.ProblemFields(r.Body); !reflect.DeepEqual(got, fields) {
		t.Fatalf("fields %q, want %q: %s", got, fields, r.Raw)
	}
	if r.Headers["trace-id"] == "" {
		t.Fatalf("a %d has no trace-id", status)
	}
}

// shape lists an object's keys at every depth, for comparing a response's
// shape with the seed's regardless of values; arrays contribute the keys
// of their elements.
func shape(v any, prefix string) []string {
	set := map[string]bool{}
	var walk func(v any, prefix string)
	walk = func(v any, prefix string) {
		switch x := v.(type) {
		case map[string]any:
			for k, child := range x {
				set[prefix+k] = true
				walk(child, prefix+k+".")
			}
		case []any:
			for _, child := range x {
				walk(child, prefix+"[].")
			}
		}
	}
	walk(v, prefix)
	keys := make([]string, 0, len(set))
	for k := range set {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// keys lists, sorted, the members of an object.
func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// naming is the pair of audit timestamp names a route uses, and the pair
// it must never use.
type naming struct{ created, updated, otherCreated, otherUpdated string }

var (
	namedOn = naming{"createdOn", "updatedOn", "createdAt", "updatedAt"}
	namedAt = naming{"createdAt", "updatedAt", "createdOn", "updatedOn"}
)

func namingOf(prefix string) naming {
	if prefix == hub {
		return namedAt
	}
	return namedOn
}

// checkAudit checks, at every depth of v but inside the echoed request,
// that each object with audit fields names its timestamps as n says, as
// microsecond UTC instants, stamped by who.
func checkAudit(t testing.TB, v any, n naming, who tenant) {
	t.Helper()
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["createdBy"]; ok {
				for _, k := range []string{n.created, n.updated} {
					if s, _ := x[k].(string); !timestampPattern.MatchString(s) {
						t.Errorf("%s%s = %v, want a UTC instant with microseconds", path, k, x[k])
					}
				}
				for _, k := range []string{n.otherCreated, n.otherUpdated} {
					if _, ok := x[k]; ok {
						t.Errorf("%s has %s, which the other variant of the API uses", path, k)
					}
				}
				if x["createdBy"] != who.credential() || x["updatedBy"] != who.credential() {
					t.Errorf("%s stamped by %v/%v, want %s", path, x["createdBy"], x["updatedBy"], who.credential())
				}
			}
			for k, child := range x {
				if k != "contractActionItemRequest" {
					walk(child, path+k+".")
				}
			}
		case []any:
			for i, child := range x {
				walk(child, fmt.Sprintf("%s[%d].", path, i))
			}
		}
	}
	walk(v, "")
}

// renamed returns a deep copy of v with the audit timestamps of every
// object renamed from one naming to the other, so answers of the two
// variants of the API can be compared.
func renamed(v any, from, to naming) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, child := range x {
			switch {
			case k == "contractActionItemRequest":
				out[k] = child
				continue
			case k == from.created:
				k = to.created
			case k == from.updated:
				k = to.updated
			}
			out[k] = renamed(child, from, to)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, child := range x {
			out[i] = renamed(child, from, to)
		}
		return out
	}
	return v
}

// renamedAll is renamed for a list of objects.
func renamedAll(list []map[string]any, from, to naming) []map[string]any {
	out := make([]map[string]any, len(list))
	for i, m := range list {
		out[i] = renamed(m, from, to).(map[string]any)
	}
	return out
}

// numberOf is the sequence number of a CT- or CA- number.
func numberOf(t testing.TB, s any) int {
	t.Helper()
	str, _ := s.(string)
	if !contractPattern.MatchString(str) && !actionPattern.MatchString(str) {
		t.Fatalf("%v is not a CT- or CA- number", s)
	}
	n, err := strconv.Atoi(str[3:])
	if err != nil {
		t.Fatal(err)
	}
	return n
}
