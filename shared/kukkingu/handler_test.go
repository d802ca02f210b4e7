package kukkingu_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
	"github.com/contracts-service/contracts/shared/kukkingu"
)

// api drives the Kukkingu routes through the same router the function
// uses, over a fresh DynamoDB Local table, and checks every response
// against infra/openapi.yaml.
type api struct {
	t  *testing.T
	rt *httpapi.Router
}

func newAPI(t *testing.T) *api {
	t.Helper()
	return newAPIOver(t, contract.NewService(ddbtest.NewStore(t)))
}

// newAPIOver is newAPI over a given service, for tests that also write
// contracts as other APIs would.
func newAPIOver(t *testing.T, service *contract.Service) *api {
	t.Helper()
	rt := httpapi.NewRouter(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	kukkingu.NewHandler(service).Register(rt)
	return &api{t: t, rt: rt}
}

// tenant is who a request acts for, as the authorizer would hand it over.
type tenant struct{ id, aliases, header string }

var (
	tenantA = tenant{id: "tenant-a", aliases: "tnt_pfh0haxfpzowht3oi213cqos", header: "tnt_pfh0haxfpzowht3oi213cqos"}
	tenantB = tenant{id: "tenant-b", header: "tenant-b"}
)

type response = httpapitest.Reply

func (a *api) do(who tenant, method, target, body string, headers ...string) response {
	a.t.Helper()
	h := map[string]string{"tenant-id": who.header}
	maps.Copy(h, httpapitest.Headers(headers...))
	return httpapitest.Send(a.t, a.rt, httpapitest.Request{Method: method, Target: target, Body: body, Headers: h,
		Caller: httpapitest.Caller{TenantID: who.id, CredentialID: "cred-" + who.id, Aliases: who.aliases}})
}

func (a *api) create(who tenant, body string) map[string]any {
	a.t.Helper()
	r := a.do(who, "POST", "/api/v1/contracts", body)
	if r.Status != http.StatusCreated {
		a.t.Fatalf("create: %d %v", r.Status, r.Body)
	}
	return r.Body["data"].(map[string]any)
}

var (
	idPattern   = regexp.MustCompile(`^ctr_[a-z0-9]{24}$`)
	timePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
)

func TestCreateSeedRequest(t *testing.T) {
	a := newAPI(t)
	r := a.do(tenantA, "POST", "/api/v1/contracts", httpapitest.ReadFile(t, "testdata/seed-create.json"))
	if r.Status != http.StatusCreated {
		t.Fatalf("status %d: %v", r.Status, r.Body)
	}
	got := r.Body["data"].(map[string]any)
	var seed map[string]map[string]any
	if err := json.Unmarshal([]byte(httpapitest.ReadFile(t, "testdata/seed-response.json")), &seed); err != nil {
		t.Fatal(err)
	}
	want := seed["data"]
	if keys(got) != keys(want) {
		t.Fatalf("fields %s, want the seed's %s", keys(got), keys(want))
	}
	for k, v := range want {
		switch k {
		case "id":
			if !idPattern.MatchString(got[k].(string)) {
				t.Errorf("id %q does not look like ctr_ + 24 lowercase alphanumerics", got[k])
			}
		case "createdAt", "updatedAt":
			if !timePattern.MatchString(got[k].(string)) {
				t.Errorf("%s %q is not in the seed's format", k, got[k])
			}
		default:
			if !reflect.DeepEqual(got[k], v) {
				t.Errorf("%s = %v, want %v", k, got[k], v)
			}
		}
	}
	if r.Headers["Location"] != "/api/v1/contracts/"+got["id"].(string) {
		t.Errorf("Location = %q", r.Headers["Location"])
	}
}

// Called at a named stage by the API's own endpoint, a create's Location
// keeps the stage: resolved against the endpoint, it is where the
// contract reads.
func TestCreateLocationKeepsTheStage(t *testing.T) {
	a := newAPI(t)
	r := httpapitest.Send(t, a.rt, httpapitest.Request{Method: "POST", Target: "/api/v1/contracts", Stage: "prod",
		Body: `{"clientId":"clnt_1","name":"n","amountMinor":1,"currencyCode":"EUR"}`, Headers: map[string]string{"tenant-id": tenantA.header},
		Caller: httpapitest.Caller{TenantID: tenantA.id, CredentialID: "cred-a", Aliases: tenantA.aliases}})
	id, _ := r.Body["data"].(map[string]any)["id"].(string)
	if r.Status != http.StatusCreated || r.Headers["Location"] != "/prod/api/v1/contracts/"+id {
		t.Fatalf("%d, Location %q", r.Status, r.Headers["Location"])
	}
	if got := httpapitest.Send(t, a.rt, httpapitest.Request{Method: "GET", Target: strings.TrimPrefix(r.Headers["Location"], "/prod"), Stage: "prod",
		Headers: map[string]string{"tenant-id": tenantA.header}, Routes: a.rt.RouteKeys(),
		Caller: httpapitest.Caller{TenantID: tenantA.id, CredentialID: "cred-a", Aliases: tenantA.aliases}}); got.Status != http.StatusOK {
		t.Fatalf("reading the Location: %d %v", got.Status, got.Body)
	}
}

func keys(m map[string]any) string { return strings.Join(slices.Sorted(maps.Keys(m)), ",") }

func TestCreateRefusals(t *testing.T) {
	a := newAPI(t)
	valid := `"clientId":"c","name":"n","amountMinor":1,"currencyCode":"EUR"`
	tests := []struct {
		name   string
		body   string
		status int
		fields []string
	}{
		{"every required field missing", `{}`, 400, []string{"amountMinor", "clientId", "currencyCode", "name"}},
		{"nulls for required fields", `{"clientId":null,"name":null,"amountMinor":null,"currencyCode":null}`, 400, []string{"amountMinor", "clientId", "currencyCode", "name"}},
		{"empty name", `{"clientId":"c","name":"","amountMinor":1,"currencyCode":"EUR"}`, 400, []string{"name"}},
		{"name of 256", `{"clientId":"c","name":"` + strings.Repeat("x", 256) + `","amountMinor":1,"currencyCode":"EUR"}`, 400, []string{"name"}},
		{"a NUL in clientId and a line break in name", `{"clientId":"c\u0000","name":"two\nlines","amountMinor":1,"currencyCode":"EUR"}`, 400, []string{"clientId", "name"}},
		{"fractional amount", `{"clientId":"c","name":"n","amountMinor":1.5,"currencyCode":"EUR"}`, 400, []string{"amountMinor"}},
		{"string amount", `{"clientId":"c","name":"n","amountMinor":"5000","currencyCode":"EUR"}`, 400, []string{"amountMinor"}},
		{"amount past 2^53-1", `{"clientId":"c","name":"n","amountMinor":9007199254740992,"currencyCode":"EUR"}`, 400, []string{"amountMinor"}},
		{"amount past int64", `{"clientId":"c","name":"n","amountMinor":92233720368547758070,"currencyCode":"EUR"}`, 400, []string{"amountMinor"}},
		{"negative amount", `{"clientId":"c","name":"n","amountMinor":-1,"currencyCode":"EUR"}`, 400, []string{"amountMinor"}},
		{"unknown currency", `{"clientId":"c","name":"n","amountMinor":1,"currencyCode":"ZZZ"}`, 400, []string{"currencyCode"}},
		{"lower-case currency", `{"clientId":"c","name":"n","amountMinor":1,"currencyCode":"eur"}`, 400, []string{"currencyCode"}},
		{"order past 2^53-1", `{` + valid + `,"order":9007199254740992}`, 400, []string{"order"}},
		{"validFrom with an offset", `{` + valid + `,"validFrom":"2023-10-05T14:48:00+01:00"}`, 400, []string{"validFrom"}},
		{"validTo on 29 February of a common year", `{` + valid + `,"validTo":"2023-02-29T00:00Z"}`, 400, []string{"validTo"}},
		{"validTo before validFrom", `{` + valid + `,"validFrom":"2023-10-05T14:48:00Z","validTo":"2023-10-05T14:47:59.999Z"}`, 400, []string{"validTo"}},
		{"unknown field", `{` + valid + `,"tenantId":"other"}`, 400, []string{"tenantId"}},
		{"not an object", `[1]`, 400, nil},
		{"malformed", `{"clientId":`, 400, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := a.do(tenantA, "POST", "/api/v1/contracts", tt.body)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %v", r.Status, tt.status, r.Body)
			}
			if got := httpapitest.ProblemFields(r.Body); tt.fields != nil && !reflect.DeepEqual(got, tt.fields) {
				t.Fatalf("fields %v, want %v", got, tt.fields)
			}
		})
	}
	list := a.do(tenantA, "GET", "/api/v1/contracts", "")
	if n := len(list.Body["data"].([]any)); n != 0 {
		t.Fatalf("refused creates left %d contracts", n)
	}
}

func TestTenantHeader(t *testing.T) {
	a := newAPI(t)
	seed := httpapitest.ReadFile(t, "testdata/seed-create.json")
	tests := []struct {
		name   string
		header string
		status int
	}{
		{"alias", "tnt_pfh0haxfpzowht3oi213cqos", 201},
		{"tenant id", "tenant-a", 201},
		{"missing", "", 400},
		{"another tenant", "tenant-b", 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			who := tenantA
			who.header = tt.header
			r := a.do(who, "POST", "/api/v1/contracts", seed)
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d: %v", r.Status, tt.status, r.Body)
			}
			if tt.status == 400 && !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"tenant-id"}) {
				t.Fatalf("a missing header must be named: %v", r.Body)
			}
		})
	}
	// A missing header is named beside the body's failing fields; a
	// header naming another tenant is a 403 whatever the body holds.
	missing := tenantA
	missing.header = ""
	if r := a.do(missing, "POST", "/api/v1/contracts", `{"clientId":1,"amountMinor":-1}`); r.Status != 400 ||
		!reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{"amountMinor", "clientId", "currencyCode", "name", "tenant-id"}) {
		t.Fatalf("a missing header beside a bad body: %d %v", r.Status, r.Body)
	}
	other := tenantA
	other.header = "tenant-b"
	if r := a.do(other, "POST", "/api/v1/contracts", `{"clientId":1}`); r.Status != 403 {
		t.Fatalf("another tenant's header beside a bad body: %d %v", r.Status, r.Body)
	}
}

// A patch holds what it sends to the rules, not what is stored: a name of
// two lines, refused when sent, stored before that rule, stops no change
// of another field and stays as it was.
func TestPatchKeepsWhatWasStoredBeforeARule(t *testing.T) {
	service := contract.NewService(ddbtest.NewStore(t))
	a := newAPIOver(t, service)
	created := a.create(tenantA, httpapitest.ReadFile(t, "testdata/seed-create.json"))
	path := "/api/v1/contracts/" + created["id"].(string)
	if r := a.do(tenantA, "PATCH", path, `{"name":"two\nlines"}`); r.Status != 400 {
		t.Fatalf("a name of two lines sent: %d %v", r.Status, r.Body)
	}
	actor := contract.Actor{TenantID: tenantA.id, CredentialID: "cred", Via: contract.APIKukkingu}
	if _, err := service.Update(context.Background(), actor, nil, created["id"].(string), func(c *contract.Contract) error {
		c.Name = "two\nlines"
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r := a.do(tenantA, "PATCH", path, `{"amountMinor":2}`)
	if data, _ := r.Body["data"].(map[string]any); r.Status != 200 || data["amountMinor"] != 2.0 || data["name"] != "two\nlines" {
		t.Fatalf("a change of another field: %d %v", r.Status, r.Body)
	}
}

func TestGetPatchDelete(t *testing.T) {
	a := newAPI(t)
	created := a.create(tenantA, httpapitest.ReadFile(t, "testdata/seed-create.json"))
	path := "/api/v1/contracts/" + created["id"].(string)

	got := a.do(tenantA, "GET", path, "")
	if got.Status != 200 || !reflect.DeepEqual(got.Body["data"], created) {
		t.Fatalf("read back %d %v, want %v", got.Status, got.Body, created)
	}
	if r := a.do(tenantB, "GET", path, ""); r.Status != 404 {
		t.Fatalf("another tenant reads it: %d", r.Status)
	}
	if r := a.do(tenantA, "GET", "/api/v1/contracts/ctr_000000000000000000000000", ""); r.Status != 404 {
		t.Fatalf("unknown id: %d", r.Status)
	}

	p := a.do(tenantA, "PATCH", path, `{"name":"Renamed","description":null,"amountMinor":7000}`, "content-type", "application/merge-patch+json")
	if p.Status != 200 {
		t.Fatalf("patch: %d %v", p.Status, p.Body)
	}
	data := p.Body["data"].(map[string]any)
	if data["name"] != "Renamed" || data["amountMinor"] != float64(7000) || data["description"] != nil ||
		data["createdAt"] != created["createdAt"] || data["id"] != created["id"] || data["order"] != float64(13) {
		t.Fatalf("patched contract: %v", data)
	}
	refusals := []struct {
		name, body string
		status     int
		field      string
	}{
		{"clear a required field", `{"name":null}`, 400, "name"},
		{"bad amount", `{"amountMinor":-5}`, 400, "amountMinor"},
		{"validTo before validFrom", `{"validTo":"2023-10-05T14:00Z"}`, 400, "validTo"},
		{"unknown field", `{"id":"ctr_x"}`, 400, "id"},
	}
	for _, tt := range refusals {
		t.Run("patch "+tt.name, func(t *testing.T) {
			r := a.do(tenantA, "PATCH", path, tt.body)
			if r.Status != tt.status || !reflect.DeepEqual(httpapitest.ProblemFields(r.Body), []string{tt.field}) {
				t.Fatalf("got %d %v, want %d naming %s", r.Status, r.Body, tt.status, tt.field)
			}
		})
	}
	if r := a.do(tenantA, "GET", path, ""); !reflect.DeepEqual(r.Body["data"], data) {
		t.Fatalf("refused patches changed the contract: %v", r.Body)
	}
	if r := a.do(tenantB, "PATCH", path, `{"name":"stolen"}`); r.Status != 404 {
		t.Fatalf("another tenant patches it: %d", r.Status)
	}

	if r := a.do(tenantB, "DELETE", path, ""); r.Status != 404 {
		t.Fatalf("another tenant deletes it: %d", r.Status)
	}
	if r := a.do(tenantA, "DELETE", path, ""); r.Status != 204 || r.Body != nil {
		t.Fatalf("delete: %d %v", r.Status, r.Body)
	}
	for _, method := range []string{"GET", "DELETE"} {
		if r := a.do(tenantA, method, path, ""); r.Status != 404 {
			t.Fatalf("%s after delete: %d", method, r.Status)
		}
	}
	if r := a.do(tenantA, "PATCH", path, `{"name":"x"}`); r.Status != 404 {
		t.Fatalf("patch after delete: %d", r.Status)
	}
}

func TestList(t *testing.T) {
	a := newAPI(t)
	var ids []string
	for i, client := range []string{"clnt_a", "clnt_b", "clnt_a", "clnt_a", "clnt_b"} {
		c := a.create(tenantA, `{"clientId":"`+client+`","name":"c`+string(rune('0'+i))+`","amountMinor":1,"currencyCode":"USD"}`)
		ids = append(ids, c["id"].(string))
	}
	a.create(tenantB, `{"clientId":"clnt_a","name":"b's","amountMinor":1,"currencyCode":"USD"}`)

	walk := func(query string) []string {
		t.Helper()
		var got []string
		target := "/api/v1/contracts?" + query
		for pages := 0; pages < 10; pages++ {
			r := a.do(tenantA, "GET", target, "")
			if r.Status != 200 {
				t.Fatalf("list %s: %d %v", target, r.Status, r.Body)
			}
			for _, c := range r.Body["data"].([]any) {
				got = append(got, c.(map[string]any)["id"].(string))
			}
			next, _ := r.Body["nextCursor"].(string)
			if next == "" {
				return got
			}
			target = "/api/v1/contracts?" + query + "&cursor=" + url.QueryEscape(next)
		}
		t.Fatal("pagination does not end")
		return nil
	}
	if got := walk("limit=2"); !reflect.DeepEqual(got, ids) {
		t.Fatalf("all pages: %v, want %v", got, ids)
	}
	if got := walk("clientId=clnt_a&limit=1"); !reflect.DeepEqual(got, []string{ids[0], ids[2], ids[3]}) {
		t.Fatalf("clientId filter: %v", got)
	}
	if got := walk("clientId=clnt_none"); len(got) != 0 {
		t.Fatalf("unknown client: %v", got)
	}
	for _, q := range []string{"limit=0", "limit=101", "limit=x", "cursor=bogus", "clientId="} {
		if r := a.do(tenantA, "GET", "/api/v1/contracts?"+q, ""); r.Status != 400 {
			t.Errorf("%s: %d, want 400", q, r.Status)
		}
	}
}
