package fabric_test

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

const (
	listOrg   = "org-acme"
	listCount = 250
	// workers bounds how many requests the fixture has in flight.
	workers = 8
)

// Contracts at the edges of the date filters the tests use.
const (
	lastInstantOfMarch15  = "2024-03-15T23:59:59.999Z"
	firstInstantOfMarch16 = "2024-03-16T00:00:00.000Z"
	firstInstantOfMarch1  = "2024-03-01T00:00:00.000Z"
	lastInstantOfSept30   = "2024-09-30T23:59:59.999Z"
	firstInstantOfOct1    = "2024-10-01T00:00:00.000Z"
)

// listSpec is the i-th contract of the organization under test: varied
// enough that every sort key and filter splits the set.
func listSpec(i int) map[string]any {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	start := base.Add(time.Duration(i)*(31*time.Hour+7*time.Minute) + time.Duration(i)*time.Millisecond)
	end := start.Add(time.Duration(30+(i*13)%300)*24*time.Hour + time.Duration(i)*time.Second)
	m := map[string]any{
		"startDate":            start.Format(time.RFC3339Nano),
		"endDate":              end.Format(time.RFC3339Nano),
		"additionalAttributes": map[string]any{"seq": i},
	}
	switch i {
	case 5:
		m["startDate"] = lastInstantOfMarch15
	case 6:
		m["startDate"] = firstInstantOfMarch16
	case 7:
		m["startDate"] = firstInstantOfMarch1
	case 8:
		m["endDate"] = lastInstantOfSept30
	case 9:
		m["endDate"] = firstInstantOfOct1
	}
	switch {
	case i%10 == 0: // generated
	case i%3 == 0:
		m["contractId"] = fmt.Sprintf("Acme-%03d", i)
	default:
		m["contractId"] = fmt.Sprintf("ORD-%04d", i)
	}
	switch i % 4 {
	case 1:
		m["contractType"] = "Wholesale"
	case 2:
		m["contractType"] = "RETAIL"
	case 3:
		m["contractType"] = "wholesale-ACME"
	}
	if s := []string{"ACTIVE", "DRAFT", "INACTIVE", "ACTIVE", ""}[i%5]; s != "" {
		m["status"] = s
	}
	if i%6 != 0 {
		m["priceListId"] = 1000 + (i*7919)%500
	}
	return m
}

// job is one request of the fixture.
type job struct {
	who                  tenant
	method, target, body string
}

// runAll serves jobs with a bounded pool of workers and returns the
// answers in the order of jobs; any answer but 200 fails the test.
func (a *api) runAll(t *testing.T, jobs []job) []map[string]any {
	t.Helper()
	requests := make([]httpapitest.Request, len(jobs))
	for i, j := range jobs {
		requests[i] = request(j.who, j.method, j.target, j.body)
	}
	out := make([]map[string]any, len(jobs))
	for i, r := range httpapitest.ExchangeAll(t, a.rt, workers, requests) {
		if r.Status != http.StatusOK {
			t.Fatalf("%s %s: %d %s", jobs[i].method, jobs[i].target, r.Status, r.Raw)
		}
		out[i] = r.Body
	}
	return out
}

// listFixture is the organization under test, as last answered for each
// contract, by _id, deleted ones included.
type listFixture struct {
	a        *api
	byID     map[string]map[string]any
	bySeq    []map[string]any
	deleted  int
	outsider map[string]bool // _ids of contracts of other organizations and tenants
}

func newListFixture(t *testing.T) *listFixture {
	t.Helper()
	a := newAPI(t)
	// One request first, so the document is loaded outside the workers.
	a.do(t, tenantA, "GET", contractsPath(listOrg), "")

	var jobs []job
	for i := range listCount {
		jobs = append(jobs, job{tenantA, "POST", contractsPath(listOrg), body(t, listSpec(i))})
	}
	// Contracts that must never be listed: another organization of the
	// tenant and the same organization id in another tenant, with
	// contractIds and types that the filters under test would match.
	const outsiders = 20
	for i := range outsiders {
		spec := listSpec(i)
		spec["contractId"] = fmt.Sprintf("Acme-%03d", i)
		spec["contractType"] = "Wholesale"
		spec["status"] = "ACTIVE"
		jobs = append(jobs, job{tenantA, "POST", contractsPath("org-globex"), body(t, spec)})
		jobs = append(jobs, job{tenantB, "POST", contractsPath(listOrg), body(t, spec)})
	}
	created := a.runAll(t, jobs)

	f := &listFixture{a: a, byID: map[string]map[string]any{}, outsider: map[string]bool{}}
	for i, c := range created {
		if i < listCount {
			f.bySeq = append(f.bySeq, c)
		} else {
			f.outsider[c["_id"].(string)] = true
		}
	}

	// Updates move contracts in updatedAt order away from creation order;
	// deletes leave contracts only includeDeleted lists.
	var changes []job
	var changed []int
	for i := range listCount {
		path := contractPath(listOrg, f.bySeq[i]["_id"].(string))
		switch {
		case i%25 == 11:
			changes = append(changes, job{tenantA, "DELETE", path, ""})
		case i%20 == 3:
			changes = append(changes, job{tenantA, "PUT", path, `{"contractType":"Wholesale","status":"ACTIVE"}`})
		default:
			continue
		}
		changed = append(changed, i)
	}
	// Two of org-globex's contracts are deleted: it lists the others.
	for _, c := range []map[string]any{created[listCount], created[listCount+2]} {
		changes = append(changes, job{tenantA, "DELETE", contractPath("org-globex", c["_id"].(string)), ""})
	}
	for k, c := range a.runAll(t, changes) {
		if k < len(changed) {
			f.bySeq[changed[k]] = c
		}
	}
	for _, c := range f.bySeq {
		f.byID[c["_id"].(string)] = c
		if c["isDeleted"] == true {
			f.deleted++
		}
	}
	if len(f.byID) != listCount {
		t.Fatalf("%d distinct contracts, want %d", len(f.byID), listCount)
	}
	return f
}

// matching returns the fixture's contracts that keep passes, unordered.
func (f *listFixture) matching(includeDeleted bool, keep func(map[string]any) bool) []map[string]any {
	var out []map[string]any
	for _, c := range f.bySeq {
		if (includeDeleted || c["isDeleted"] == false) && (keep == nil || keep(c)) {
			out = append(out, c)
		}
	}
	return out
}

// page is one answer of the list.
func (f *listFixture) page(t *testing.T, query url.Values) (offset, limit, count int, data []map[string]any) {
	t.Helper()
	r := f.a.do(t, tenantA, "GET", contractsPath(listOrg)+"?"+query.Encode(), "")
	if r.Status != http.StatusOK {
		t.Fatalf("list ?%s: %d %s", query.Encode(), r.Status, r.Raw)
	}
	q := r.Body["query"].(map[string]any)
	for _, c := range r.Body["data"].([]any) {
		data = append(data, c.(map[string]any))
	}
	return int(q["offset"].(float64)), int(q["limit"].(float64)), int(q["count"].(float64)), data
}

// walk reads every window of query, limit contracts at a time, checking
// each window's bookkeeping, and returns the contracts in answer order.
func (f *listFixture) walk(t *testing.T, query url.Values, limit int) []map[string]any {
	t.Helper()
	var all []map[string]any
	total := -1
	for offset := 0; total < 0 || offset < total; offset += limit {
		if offset > 10*listCount {
			t.Fatalf("?%s does not end", query.Encode())
		}
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("offset", strconv.Itoa(offset))
		q.Set("limit", strconv.Itoa(limit))
		gotOffset, gotLimit, count, data := f.page(t, q)
		if gotOffset != offset || gotLimit != limit {
			t.Fatalf("?%s answered offset %d limit %d", q.Encode(), gotOffset, gotLimit)
		}
		if total >= 0 && count != total {
			t.Fatalf("?%s: count changed from %d to %d between windows", q.Encode(), total, count)
		}
		total = count
		if want := min(limit, max(count-offset, 0)); len(data) != want {
			t.Fatalf("?%s: %d contracts in the window, want %d of %d", q.Encode(), len(data), want, count)
		}
		all = append(all, data...)
		if count == 0 {
			break
		}
	}
	return all
}

// checkSet checks that got holds each of want exactly once, as last
// answered, and nothing else.
func (f *listFixture) checkSet(t *testing.T, got, want []map[string]any) {
	t.Helper()
	seen := map[string]bool{}
	for _, c := range got {
		id := c["_id"].(string)
		switch {
		case f.outsider[id]:
			t.Fatalf("listed %s of another organization or tenant: %v", id, c)
		case seen[id]:
			t.Fatalf("listed %s twice", id)
		case f.byID[id] == nil:
			t.Fatalf("listed an unknown contract: %v", c)
		case !reflect.DeepEqual(c, f.byID[id]):
			t.Fatalf("listed\n%v\nbut it reads\n%v", c, f.byID[id])
		}
		seen[id] = true
	}
	if len(got) != len(want) {
		t.Fatalf("listed %d contracts, want %d", len(got), len(want))
	}
	for _, c := range want {
		if !seen[c["_id"].(string)] {
			t.Fatalf("did not list %v", c)
		}
	}
}

// sortKey is how the list orders contracts by one field: the field's
// value, and whether the contract lacks it (which sorts as the greatest).
type sortKey func(c map[string]any) (string, bool)

func stringField(name string) sortKey {
	return func(c map[string]any) (string, bool) { s, ok := c[name].(string); return s, !ok }
}

var sortKeys = map[string]sortKey{
	"contractId": stringField("contractId"),
	// Instants are all answered in one fixed-width UTC form, so their text
	// orders as they do.
	"startDate": stringField("startDate"),
	"endDate":   stringField("endDate"),
	"updatedAt": stringField("updatedAt"),
	"status":    stringField("status"),
	"priceListId": func(c map[string]any) (string, bool) {
		link, ok := c["contractPriceList"].(map[string]any)
		if !ok {
			return "", true
		}
		return fmt.Sprintf("%020.0f", link["priceListId"].(float64)), false
	},
}

func (k sortKey) compare(a, b map[string]any) int {
	av, aMissing := k(a)
	bv, bMissing := k(b)
	if aMissing || bMissing {
		switch {
		case aMissing && bMissing:
			return 0
		case aMissing:
			return 1
		}
		return -1
	}
	return cmp.Compare(av, bv)
}

// checkOrder checks that got is want ordered by key: the same contracts,
// and at each position a contract with the key the sorted want has there.
// Contracts with equal keys may come in any order between them; updatedAt
// is stored finer than the milliseconds answered, so equal answers may
// still be ordered.
func (f *listFixture) checkOrder(t *testing.T, got, want []map[string]any, key sortKey, descending bool) {
	t.Helper()
	f.checkSet(t, got, want)
	sorted := slices.Clone(want)
	slices.SortStableFunc(sorted, func(a, b map[string]any) int {
		if descending {
			return -key.compare(a, b)
		}
		return key.compare(a, b)
	})
	for i := range sorted {
		gv, gm := key(got[i])
		wv, wm := key(sorted[i])
		if gv != wv || gm != wm {
			t.Fatalf("position %d holds %v (%q), want %q", i, got[i]["_id"], gv, wv)
		}
	}
}

func ids(cs []map[string]any) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c["_id"].(string)
	}
	return out
}

func TestList(t *testing.T) {
	f := newListFixture(t)
	live := f.matching(false, nil)
	if len(live) != listCount-f.deleted || f.deleted == 0 {
		t.Fatalf("fixture: %d live and %d deleted contracts", len(live), f.deleted)
	}
	byUpdatedAt := sortKeys["updatedAt"]

	t.Run("defaults", func(t *testing.T) {
		offset, limit, count, data := f.page(t, url.Values{})
		if offset != 0 || limit != 10 || count != len(live) {
			t.Fatalf("query offset %d limit %d count %d, want 0, 10, %d", offset, limit, count, len(live))
		}
		if len(data) != 10 {
			t.Fatalf("%d contracts, want 10", len(data))
		}
		// The first window of the whole list sorted by updatedAt, newest
		// first.
		all := f.walk(t, url.Values{}, 100)
		f.checkOrder(t, all, live, byUpdatedAt, true)
		if !reflect.DeepEqual(ids(data), ids(all[:10])) {
			t.Fatalf("default window %v, want %v", ids(data), ids(all[:10]))
		}
		for _, q := range []string{"sortBy=updatedAt", "sortOrder=desc", "sortBy=updatedAt&sortOrder=desc&offset=0&limit=10"} {
			v, _ := url.ParseQuery(q)
			if _, _, _, d := f.page(t, v); !reflect.DeepEqual(ids(d), ids(data)) {
				t.Fatalf("?%s answered %v, want the default %v", q, ids(d), ids(data))
			}
		}
	})

	for _, by := range []string{"contractId", "startDate", "endDate", "status", "priceListId", "updatedAt"} {
		for _, order := range []string{"asc", "desc"} {
			t.Run("sortBy "+by+" "+order, func(t *testing.T) {
				got := f.walk(t, url.Values{"sortBy": {by}, "sortOrder": {order}}, 100)
				f.checkOrder(t, got, live, sortKeys[by], order == "desc")
			})
		}
	}
	t.Run("sortOrder alone sorts by updatedAt", func(t *testing.T) {
		got := f.walk(t, url.Values{"sortOrder": {"asc"}}, 100)
		f.checkOrder(t, got, live, byUpdatedAt, false)
	})

	t.Run("windows", func(t *testing.T) {
		// Ties on status are broken the same way on every call, so small
		// windows tile the same order as large ones.
		for _, tt := range []struct {
			by     string
			limits []int
		}{{"status", []int{17}}, {"updatedAt", []int{33}}} {
			by := tt.by
			query := url.Values{"sortBy": {by}, "sortOrder": {"asc"}}
			whole := ids(f.walk(t, query, 100))
			for _, limit := range tt.limits {
				if got := ids(f.walk(t, query, limit)); !reflect.DeepEqual(got, whole) {
					t.Fatalf("sortBy %s in windows of %d: %v, want %v", by, limit, got, whole)
				}
			}
			q := url.Values{"sortBy": {by}, "sortOrder": {"asc"}, "offset": {"5"}, "limit": {"10"}}
			if _, _, _, d := f.page(t, q); !reflect.DeepEqual(ids(d), whole[5:15]) {
				t.Fatalf("?%s: %v, want %v", q.Encode(), ids(d), whole[5:15])
			}
		}
		for _, offset := range []int{len(live), len(live) + 1, 10000} {
			q := url.Values{"offset": {strconv.Itoa(offset)}, "limit": {"100"}}
			if gotOffset, _, count, d := f.page(t, q); gotOffset != offset || count != len(live) || len(d) != 0 {
				t.Fatalf("?%s: offset %d count %d, %d contracts", q.Encode(), gotOffset, count, len(d))
			}
		}
		last := len(live) - 1
		q := url.Values{"offset": {strconv.Itoa(last)}, "limit": {"100"}, "sortBy": {"contractId"}}
		if _, _, count, d := f.page(t, q); count != len(live) || len(d) != 1 {
			t.Fatalf("last window: count %d, %d contracts", count, len(d))
		}
	})

	t.Run("includeDeleted", func(t *testing.T) {
		all := f.matching(true, nil)
		got := f.walk(t, url.Values{"includeDeleted": {"true"}}, 100)
		f.checkOrder(t, got, all, byUpdatedAt, true)
		deleted := 0
		for _, c := range got {
			if c["isDeleted"] == true {
				deleted++
			}
		}
		if deleted != f.deleted {
			t.Fatalf("listed %d deleted contracts, want %d", deleted, f.deleted)
		}
		f.checkSet(t, f.walk(t, url.Values{"includeDeleted": {"false"}}, 100), live)
		active := func(c map[string]any) bool { return c["status"] == "ACTIVE" }
		f.checkSet(t, f.walk(t, url.Values{"includeDeleted": {"true"}, "status": {"ACTIVE"}}, 100), f.matching(true, active))
	})

	startIn := func(from, to string) func(map[string]any) bool {
		return func(c map[string]any) bool { s := c["startDate"].(string); return s >= from && s <= to }
	}
	endIn := func(from, to string) func(map[string]any) bool {
		return func(c map[string]any) bool { s := c["endDate"].(string); return s >= from && s <= to }
	}
	contains := func(term string) func(map[string]any) bool {
		term = strings.ToLower(term)
		return func(c map[string]any) bool {
			id, _ := c["contractId"].(string)
			typ, _ := c["contractType"].(string)
			return strings.Contains(strings.ToLower(id), term) || strings.Contains(strings.ToLower(typ), term)
		}
	}
	all := func(preds ...func(map[string]any) bool) func(map[string]any) bool {
		return func(c map[string]any) bool {
			for _, p := range preds {
				if !p(c) {
					return false
				}
			}
			return true
		}
	}
	status := func(s string) func(map[string]any) bool {
		return func(c map[string]any) bool { return c["status"] == s }
	}
	filters := []struct {
		name  string
		query string
		keep  func(map[string]any) bool
		// must and mustNot are startDate or endDate values that the
		// filter must keep and leave out, at the edges of its bounds.
		must, mustNot []string
	}{
		{"status ACTIVE", "status=ACTIVE", status("ACTIVE"), nil, nil},
		{"status DRAFT, the default", "status=DRAFT", status("DRAFT"), nil, nil},
		{"status INACTIVE", "status=INACTIVE", status("INACTIVE"), nil, nil},
		{"startDate between dates, the upper one's whole day included", "startDateFrom=2024-03-01&startDateTo=2024-03-15",
			startIn("2024-03-01T00:00:00.000Z", lastInstantOfMarch15),
			[]string{firstInstantOfMarch1, lastInstantOfMarch15}, []string{firstInstantOfMarch16}},
		{"startDate between date-times", "startDateFrom=2024-05-01T00:00:00Z&startDateTo=2024-06-01T00:00:00Z",
			startIn("2024-05-01T00:00:00.000Z", "2024-06-01T00:00:00.000Z"), nil, nil},
		{"startDate between date-times with offsets", "startDateFrom=" + url.QueryEscape("2024-05-01T02:00:00+02:00") + "&startDateTo=" + url.QueryEscape("2024-05-31T19:00:00-05:00"),
			startIn("2024-05-01T00:00:00.000Z", "2024-06-01T00:00:00.000Z"), nil, nil},
		{"startDate on one day", "startDateFrom=2024-03-15&startDateTo=2024-03-15",
			startIn("2024-03-15T00:00:00.000Z", lastInstantOfMarch15), []string{lastInstantOfMarch15}, []string{firstInstantOfMarch16}},
		{"startDate up to an exact instant", "startDateFrom=2024-03-01T00:00:00Z&startDateTo=2024-03-15T23:59:59.998Z",
			startIn("2024-03-01T00:00:00.000Z", "2024-03-15T23:59:59.998Z"), []string{firstInstantOfMarch1}, []string{lastInstantOfMarch15}},
		{"endDate between dates, the upper one's whole day included", "endDateFrom=2024-09-01&endDateTo=2024-09-30",
			endIn("2024-09-01T00:00:00.000Z", lastInstantOfSept30), []string{lastInstantOfSept30}, []string{firstInstantOfOct1}},
		{"both date ranges and a status", "startDateFrom=2024-02-01&startDateTo=2024-08-31&endDateFrom=2024-06-01&endDateTo=2025-03-31&status=ACTIVE",
			all(startIn("2024-02-01T00:00:00.000Z", "2024-08-31T23:59:59.999Z"), endIn("2024-06-01T00:00:00.000Z", "2025-03-31T23:59:59.999Z"), status("ACTIVE")), nil, nil},
		{"search on contractId and contractType", "search=acme", contains("acme"), nil, nil},
		{"search ignores case", "search=aCmE", contains("acme"), nil, nil},
		{"search on contractType only", "search=RETAIL", contains("retail"), nil, nil},
		{"search on a contractId prefix", "search=ord-01", contains("ord-01"), nil, nil},
		{"search on generated contractIds", "search=20100000000", contains("20100000000"), nil, nil},
		{"search and a status", "search=wholesale&status=DRAFT", all(contains("wholesale"), status("DRAFT")), nil, nil},
		{"search matching nothing", "search=globex", contains("globex"), nil, nil},
		{"an empty range", "startDateFrom=2030-01-01&startDateTo=2030-12-31", startIn("2030", "2031"), nil, nil},
	}
	for _, tt := range filters {
		t.Run(tt.name, func(t *testing.T) {
			query, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			want := f.matching(false, tt.keep)
			got := f.walk(t, query, 100)
			f.checkOrder(t, got, want, byUpdatedAt, true)
			dates := map[string]bool{}
			for _, c := range got {
				dates[c["startDate"].(string)], dates[c["endDate"].(string)] = true, true
			}
			for _, d := range tt.must {
				if !dates[d] {
					t.Errorf("the contract dated %s is not listed", d)
				}
			}
			for _, d := range tt.mustNot {
				if dates[d] {
					t.Errorf("the contract dated %s is listed", d)
				}
			}
		})
	}
	t.Run("filters split the fixture", func(t *testing.T) {
		// A filter that keeps all or nothing would pass the cases above
		// without testing them.
		for _, tt := range filters[:len(filters)-2] {
			if n := len(f.matching(false, tt.keep)); n == 0 || n == len(live) {
				t.Errorf("%s keeps %d of %d contracts", tt.name, n, len(live))
			}
		}
	})

	t.Run("other organizations and tenants", func(t *testing.T) {
		r := f.a.do(t, tenantA, "GET", contractsPath("org-globex")+"?limit=100", "")
		if count := r.Body["query"].(map[string]any)["count"]; r.Status != 200 || count != 18.0 {
			t.Fatalf("org-globex: %d, count %v, want 18", r.Status, count)
		}
		r = f.a.do(t, tenantB, "GET", contractsPath(listOrg)+"?limit=100", "")
		if count := r.Body["query"].(map[string]any)["count"]; r.Status != 200 || count != 20.0 {
			t.Fatalf("tenant B's %s: %d, count %v, want 20", listOrg, r.Status, count)
		}
		for _, c := range r.Body["data"].([]any) {
			if id := c.(map[string]any)["_id"].(string); f.byID[id] != nil {
				t.Fatalf("tenant B lists tenant A's %s", id)
			}
		}
		r = f.a.do(t, tenantA, "GET", contractsPath("org-initech"), "")
		if r.Status != 200 || r.Raw != `{"query":{"offset":0,"limit":10,"count":0},"data":[]}` {
			t.Fatalf("an organization without contracts: %d %s", r.Status, r.Raw)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		tests := []struct {
			query  string
			fields []string
		}{
			{"limit=0", []string{"limit"}},
			{"limit=101", []string{"limit"}},
			{"limit=ten", []string{"limit"}},
			{"limit=", []string{"limit"}},
			{"offset=-1", []string{"offset"}},
			{"offset=1.5", []string{"offset"}},
			{"offset=9007199254740992", []string{"offset"}}, // echoed in the answer: past 2^53-1 a double misreads it
			{"sortBy=name", []string{"sortBy"}},
			{"sortBy=createdAt", []string{"sortBy"}},
			{"sortBy=contractid", []string{"sortBy"}},
			{"sortOrder=up", []string{"sortOrder"}},
			{"sortOrder=DESC", []string{"sortOrder"}},
			{"status=active", []string{"status"}},
			{"status=CANCELED", []string{"status"}},
			{"startDateFrom=2024-01-01", []string{"startDateTo"}},
			{"startDateTo=2024-01-01", []string{"startDateFrom"}},
			{"endDateFrom=2024-01-01", []string{"endDateTo"}},
			{"endDateTo=2024-01-01", []string{"endDateFrom"}},
			{"startDateFrom=q", []string{"startDateFrom", "startDateTo"}}, // what is wrong beside what is missing
			{"startDateFrom=2024-01-01&endDateTo=2024-12-31", []string{"endDateFrom", "startDateTo"}},
			{"startDateFrom=yesterday&startDateTo=2024-01-01", []string{"startDateFrom"}},
			{"startDateFrom=2024-01-01&startDateTo=2024-13-01", []string{"startDateTo"}},
			{"startDateFrom=2024-02-30&startDateTo=2024-03-01", []string{"startDateFrom"}},
			{"endDateFrom=2024-01-01T00:00:00&endDateTo=2024-02-01", []string{"endDateFrom"}},
			{"endDateFrom=2024-01-01&endDateTo=01/02/2024", []string{"endDateTo"}},
			{"startDateFrom=2024-02-01&startDateTo=2024-01-31", []string{"startDateTo"}},
			{"endDateFrom=2024-02-01T00:00:00Z&endDateTo=2024-01-31T23:59:59Z", []string{"endDateTo"}},
			{"search=" + strings.Repeat("s", 256), []string{"search"}},
			{"includeDeleted=maybe", []string{"includeDeleted"}},
			{"limit=0&offset=-1&sortBy=name&sortOrder=up&status=x", []string{"limit", "offset", "sortBy", "sortOrder", "status"}},
		}
		for _, tt := range tests {
			t.Run(tt.query, func(t *testing.T) {
				r := f.a.do(t, tenantA, "GET", contractsPath(listOrg)+"?"+tt.query, "")
				if r.Status != http.StatusBadRequest || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), tt.fields) {
					t.Fatalf("got %d %s, want 400 naming %v", r.Status, r.Raw, tt.fields)
				}
			})
		}
	})
}
