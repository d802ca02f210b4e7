package fabric_test

import (
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/fabric"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// api drives the fabric routes through the same router the function uses,
// over a fresh DynamoDB Local table, and checks every response against
// infra/openapi.yaml.
type api struct {
	rt *httpapi.Router
	// service writes past the dialect, as contracts stored before a
	// rule of the dialect's were.
	service *contract.Service
}

func newAPI(t *testing.T) *api {
	t.Helper()
	rt := httpapi.NewRouter(slog.New(slog.NewJSONHandler(io.Discard, nil)))
	store := ddbtest.NewStore(t)
	service := contract.NewService(store)
	fabric.NewHandler(service, store).Register(rt)
	return &api{rt: rt, service: service}
}

// tenant is who a request acts for, as the authorizer hands it over, and
// the account its x-site-context names by default.
type tenant struct{ id, aliases, account string }

var (
	tenantA = tenant{id: "tenant-a", aliases: "acme-retail,1234567890abcdef12345678", account: "1234567890abcdef12345678"}
	tenantB = tenant{id: "tenant-b", aliases: "abcdefabcdefabcdefabcdef", account: "abcdefabcdefabcdefabcdef"}
)

// siteContext is an x-site-context header naming account.
func siteContext(account string) string {
	b, err := json.Marshal(map[string]string{"account": account})
	if err != nil {
		panic(err)
	}
	return string(b)
}

func contractsPath(org string) string { return "/v1/organizations/" + org + "/contracts" }

func contractPath(org, id string) string { return contractsPath(org) + "/" + id }

type response = httpapitest.Reply

// serve sends one request (see request) and validates the exchange
// against the document. It never stops the test, so workers may call it
// concurrently: a document mismatch is reported through t.Errorf and
// anything else is returned.
func (a *api) serve(t testing.TB, who tenant, method, target, body string, headers ...string) (response, error) {
	t.Helper()
	return httpapitest.ExchangeJSON(t, a.rt, request(who, method, target, body, headers...))
}

// request is a request of who; headers are name/value pairs overriding
// the defaults, an empty value removing the header.
func request(who tenant, method, target, body string, headers ...string) httpapitest.Request {
	h := map[string]string{"x-site-context": siteContext(who.account)}
	maps.Copy(h, httpapitest.Headers(headers...))
	return httpapitest.Request{Method: method, Target: target, Body: body, Headers: h,
		Caller: httpapitest.Caller{TenantID: who.id, CredentialID: "cred-" + who.id, Aliases: who.aliases}}
}

func (a *api) do(t testing.TB, who tenant, method, target, body string, headers ...string) response {
	t.Helper()
	return httpapitest.Send(t, a.rt, request(who, method, target, body, headers...))
}

// create creates a contract in org and returns it, failing unless the
// answer is 200.
func (a *api) create(t testing.TB, who tenant, org, body string) map[string]any {
	t.Helper()
	r := a.do(t, who, "POST", contractsPath(org), body)
	if r.Status != http.StatusOK {
		t.Fatalf("create in %s: %d %s", org, r.Status, r.Raw)
	}
	return r.Body
}

// get reads a contract, failing unless the answer is 200.
func (a *api) get(t testing.TB, who tenant, org, id string) map[string]any {
	t.Helper()
	r := a.do(t, who, "GET", contractPath(org, id), "")
	if r.Status != http.StatusOK {
		t.Fatalf("get %s in %s: %d %s", id, org, r.Status, r.Raw)
	}
	return r.Body
}

// body is a request body built from fields, for cases where writing the
// JSON out would hide what differs between cases.
func body(t testing.TB, fields map[string]any) string {
	t.Helper()
	b, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	hexIDPattern     = regexp.MustCompile(`^[0-9a-f]{24}$`)
	instantPattern   = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	generatedPattern = regexp.MustCompile(`^201\d{12}$`)
)

// messageOf is what a problem response says of field.
func messageOf(body map[string]any, field string) string {
	list, _ := body["errors"].([]any)
	for _, e := range list {
		if m := e.(map[string]any); m["field"] == field {
			s, _ := m["message"].(string)
			return s
		}
	}
	return ""
}

// keys lists, sorted, the members of an object.
func keys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }

// without returns a copy of m without the named keys.
func without(m map[string]any, names ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, n := range names {
		delete(out, n)
	}
	return out
}
