// Package dialecttest is what the dialects' tests share beyond the event
// builder of httpapitest.
//
// Above all, the harness of their fuzz tests: one dialect's real handler
// behind a router, over the in-memory store, with the clock pinned so
// that a corpus entry answers the same on every run. It holds, in one
// place, what every dialect's fuzz test holds its answers to: the
// exchange matches infra/openapi.yaml and the service's rule (see
// httpapitest.Serve), and a refused write leaves the tenant's store as it
// was (see API.Write). What each dialect's properties are (what a success
// must store and answer) stays in its own test.
//
// Then, for the tests of how a dialect shows the other APIs' contracts:
// CreateAsOwner stores one as its own API does; DerivedIDs and
// CheckPartyNames check the ids and party names a dialect derives for
// them, and DerivedParties the names it shows, case after case.
package dialecttest

import (
	"context"
	"log/slog"
	"maps"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// Tenant is who every fuzzed request acts for, with the credential
// CredentialID.
const (
	Tenant       = "tenant-f"
	CredentialID = "cred-f"
)

// Now is the pinned clock of every fuzzed request: a corpus entry answers
// the same on every run, and a write that changes nothing answers what a
// read does.
var Now = time.Date(2026, 6, 15, 12, 0, 0, 0, time.UTC)

// API serves one dialect's handler over an in-memory store.
type API struct {
	Router *httpapi.Router
	Store  *contracttest.Store
	// Caller is who every request acts for: Tenant with CredentialID,
	// unless the dialect's test gives it more (its aliases).
	Caller httpapitest.Caller
	// Headers are sent with every request; a request's own are set over
	// them, and one with an empty value is left out.
	Headers map[string]string
	// Check, when set, holds every answer to a rule of the dialect's own
	// as well as the service's.
	Check func(t testing.TB, r httpapitest.Request, resp events.APIGatewayV2HTTPResponse)
}

// New serves over store the routes register registers on the router,
// with a service whose clock reads Now.
func New(store *contracttest.Store, register func(*contract.Service, *httpapi.Router)) *API {
	service := contract.NewService(store)
	service.Now = func() time.Time { return Now }
	rt := httpapi.NewRouter(slog.New(slog.DiscardHandler))
	register(service, rt)
	return &API{Router: rt, Store: store, Caller: httpapitest.Caller{TenantID: Tenant, CredentialID: CredentialID}}
}

// Serve is ServeRequest for a request of method to target with body.
func (a *API) Serve(t testing.TB, method, target, body string, allowed ...int) events.APIGatewayV2HTTPResponse {
	t.Helper()
	return a.ServeRequest(t, httpapitest.Request{Method: method, Target: target, Body: body}, allowed...)
}

// ServeRequest sends r as Caller, with Headers under its own, checks the
// exchange against infra/openapi.yaml, and holds the answer to the
// service's rule (httpapitest.Serve: one of allowed when any are given,
// never a 5xx, an error as a problem+json naming its fields, a success
// as a body that reads back strictly) and to Check.
func (a *API) ServeRequest(t testing.TB, r httpapitest.Request, allowed ...int) events.APIGatewayV2HTTPResponse {
	t.Helper()
	if r.Caller == (httpapitest.Caller{}) {
		r.Caller = a.Caller
	}
	if r.RequestID == "" {
		r.RequestID = "req-fuzz"
	}
	headers := maps.Clone(a.Headers)
	if headers == nil {
		headers = map[string]string{}
	}
	maps.Copy(headers, r.Headers)
	r.Headers = headers
	resp := httpapitest.Serve(t, a.Router, r, allowed...)
	if a.Check != nil {
		a.Check(t, r, resp)
	}
	return resp
}

// State is what a refused write must leave as it was: the tenant's
// records and its contracts' versions, and the contract and action
// numbers it has drawn (a request answered 4xx draws none).
type State struct {
	contracttest.Counts
	Numbers, ActionNumbers int64
}

// State returns the State of the store's tenant tenantID.
func (a *API) State(tenantID string) State {
	numbers, actions := a.Store.Drawn(tenantID)
	return State{Counts: a.Store.Counts(tenantID), Numbers: numbers, ActionNumbers: actions}
}

// Write is ServeRequest for r, a request that writes when it is answered
// applied: any other answer is a refusal, and fails t if it changed the
// State of the caller's tenant. It returns the answer and the State
// before and after it, for the checks of what an applied write stored.
func (a *API) Write(t testing.TB, r httpapitest.Request, applied int, allowed ...int) (resp events.APIGatewayV2HTTPResponse, before, after State) {
	t.Helper()
	tenantID := a.Caller.TenantID
	if r.Caller != (httpapitest.Caller{}) {
		tenantID = r.Caller.TenantID
	}
	before = a.State(tenantID)
	resp = a.ServeRequest(t, r, allowed...)
	after = a.State(tenantID)
	if resp.StatusCode != applied && after != before {
		t.Fatalf("%s %s: a refusal (%d) changed the store: %+v -> %+v\n%s", r.Method, r.Target, resp.StatusCode, before, after, resp.Body)
	}
	return resp, before, after
}

// Once is a state that many fuzzed requests start from, built once, at
// the first Get, by the first test that asks for it (through the handler,
// so that it holds what the dialect writes). Each request then works on
// its own fork of it (contracttest.Store.Clone) or only reads it.
type Once[T any] struct {
	once  sync.Once
	built bool
	v     T
}

// Get returns the state, built by build at the first call. A build that
// failed fails that test, and every later one that asks for the state.
func (o *Once[T]) Get(t testing.TB, build func(testing.TB) T) T {
	t.Helper()
	o.once.Do(func() {
		o.v = build(t)
		o.built = true
	})
	if !o.built {
		t.Fatal("the state the fuzzed requests start from could not be built")
	}
	return o.v
}

// CreateAsOwner creates c through service as the API that owns it does:
// an Aira contract with the customer and payment account it names. It
// fails t on an error.
func CreateAsOwner(t testing.TB, service *contract.Service, actor contract.Actor, c *contract.Contract) {
	t.Helper()
	var opts contract.CreateOptions
	if c.Party.Kind == contract.PartyCustomer {
		opts.With = contracttest.NewParties(c)
	}
	if err := service.Create(context.Background(), actor, nil, c, opts); err != nil {
		t.Fatal(err)
	}
}

// Instant is the RFC 3339 date-time s, as a contract's dates hold it;
// text that is not one fails t.
func Instant(t testing.TB, s string) *time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return &at
}

// DerivedParties checks, case after case, the names a dialect derives for
// the parties of other APIs' contracts (an EasyBilling account number, a
// Kukkingu client id): one party shows one name, and another party
// another.
type DerivedParties struct {
	// What is what the name is called in a failure: "account", "client".
	What     string
	previous string
	seen     map[string]string // name -> the case that showed it first
}

// Check holds name, shown for the case named caseName, to the names shown
// before: the one of the case before when sameAsPrevious (the two cases'
// contracts have one party), and one no earlier case showed otherwise.
func (d *DerivedParties) Check(t testing.TB, name, caseName string, sameAsPrevious bool) {
	t.Helper()
	if sameAsPrevious != (name == d.previous) {
		t.Errorf("%s %q after %q: one party shows one %s, another party another", d.What, name, d.previous, d.What)
	}
	if other, ok := d.seen[name]; ok && !sameAsPrevious {
		t.Errorf("%s %q shows for %s too", d.What, name, other)
	}
	if d.seen == nil {
		d.seen = map[string]string{}
	}
	d.previous, d.seen[name] = name, caseName
}

// DerivedIDs is how a dialect names a contract another API made: by an
// id derived from its number, of a form no id the dialect hands out has.
type DerivedIDs struct {
	// Of is the id of the contract numbered number, and NumberOf the
	// number a derived id names (ok false for any other id).
	Of       func(number string) string
	NumberOf func(id string) (number string, ok bool)
	// Shape reports whether id has the dialect's shape of an id, and
	// the derived form.
	Shape func(id string) bool
	// Documented is the id the README gives CT-0000000042.
	Documented string
}

// Check holds d to its rule: numbers across their range (the first, one
// of the README's example, the last) give ids of the derived shape that
// name them again, CT-0000000042's is the documented one, and none of
// notDerived (near the form, or of it without a number that gives it)
// names a number.
func (d DerivedIDs) Check(t testing.TB, notDerived ...string) {
	t.Helper()
	for _, n := range []int64{1, 42, 9999999999} {
		number := contract.FormatNumber(n)
		id := d.Of(number)
		if !d.Shape(id) {
			t.Errorf("%s -> %s, not a derived id of the dialect's shape", number, id)
		}
		if back, ok := d.NumberOf(id); !ok || back != number {
			t.Errorf("%s -> %s -> %s %v", number, id, back, ok)
		}
	}
	if id := d.Of("CT-0000000042"); id != d.Documented {
		t.Errorf("CT-0000000042 -> %s, not the documented form %s", id, d.Documented)
	}
	for _, id := range notDerived {
		if number, ok := d.NumberOf(id); ok {
			t.Errorf("%s names %s", id, number)
		}
	}
}

// CheckPartyNames checks the name nameOf gives each of parties, the
// party another API's contract is filed under: of shape, the same every
// time, and another for each party, a kind's id under another kind
// included.
func CheckPartyNames(t testing.TB, nameOf func(contract.Party) string, shape *regexp.Regexp, parties ...contract.Party) {
	t.Helper()
	seen := map[string]contract.Party{}
	for _, p := range parties {
		name := nameOf(p)
		if !shape.MatchString(name) || nameOf(p) != name {
			t.Errorf("%+v -> %s, not one name of the shape %s", p, name, shape)
		}
		if other, ok := seen[name]; ok {
			t.Errorf("%+v and %+v both show as %s", p, other, name)
		}
		seen[name] = p
	}
}
