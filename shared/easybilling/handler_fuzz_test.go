package easybilling_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/easybilling"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/dialecttest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
	"github.com/contracts-service/contracts/shared/strictjson"
)

// hasSegment reports whether one of the tenant's contracts has segment id.
func hasSegment(s *contracttest.Store, tenantID, id string) bool {
	return slices.ContainsFunc(s.Contracts(tenantID), func(c *contract.Contract) bool {
		return slices.ContainsFunc(c.Segments, func(seg contract.Segment) bool { return seg.ID == id })
	})
}

// What the tenant of every fuzzed request holds: the seed's plan, and one
// contract of account ACC-1 with one segment, in effect on the pinned day
// (dialecttest.Now), so that every change action can apply to it.
const (
	fzPlan      = "16ad814a-dd1b-41c8-9b4b-4e8551170fee"
	fzAccount   = "ACC-1"
	fzNumber    = "CT-0000000001"
	fzID        = "8f14e45f-ceea-467f-a0e6-1c4b7e2d9a31"
	fzSegmentID = "c9f0f895-fb98-4b91-9c3e-6d1e2a7b4f50"
)

var fzBase dialecttest.Once[*contracttest.Store]

// fzBaseStore is the state every fuzzed request starts from.
func fzBaseStore(t testing.TB) *contracttest.Store {
	return fzBase.Get(t, func(t testing.TB) *contracttest.Store {
		ctx := context.Background()
		s := contracttest.New()
		at := dialecttest.Now.Add(-24 * time.Hour)
		from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		to := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		n, err := s.NextContractNumber(ctx, dialecttest.Tenant)
		if err != nil || contract.FormatNumber(n) != fzNumber {
			t.Fatalf("drew %d, %v", n, err)
		}
		for _, err := range []error{
			s.CreateTenant(ctx, auth.Tenant{ID: dialecttest.Tenant, CreatedAt: at}),
			s.PutPlans(ctx, dialecttest.Tenant, []contract.Plan{{ID: fzPlan, Name: "Standard", Currencies: []string{"USD", "CNY"}}}),
			s.CreateContract(ctx, &contract.Contract{
				TenantID: dialecttest.Tenant, Number: fzNumber, ID: fzID, Party: contract.Party{Kind: contract.PartyAccount, ID: fzAccount},
				Status: contract.StatusActive, Version: 1, ValidFrom: &from, ValidTo: &to,
				CreatedAt: at, UpdatedAt: at, CreatedBy: dialecttest.CredentialID, UpdatedBy: dialecttest.CredentialID,
				Segments: []contract.Segment{{
					ID: fzSegmentID, PlanID: fzPlan, Currencies: []string{"USD"}, EffectiveDate: "2026-01-01", ExpirationDate: "2027-01-01",
					BillingCycleDay: 1, BillingCycleType: contract.DefaultBillingCycleType, Price: "49.90",
					CreatedAt: at, UpdatedAt: at, CreatedBy: dialecttest.CredentialID, UpdatedBy: dialecttest.CredentialID,
				}},
			}, contract.Companions{}, nil),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		return s
	}).Clone()
}

// fzAPI serves the real EasyBilling handler over a fork of the base
// state, every answer with a trace-id.
type fzAPI struct {
	*dialecttest.API
	handler *easybilling.Handler
}

func newFzAPI(t *testing.T) *fzAPI {
	store := fzBaseStore(t)
	var h *easybilling.Handler
	a := dialecttest.New(store, func(service *contract.Service, rt *httpapi.Router) {
		h = easybilling.NewHandler(service, store)
		h.Register(rt)
	})
	a.Check = func(t testing.TB, r httpapitest.Request, resp events.APIGatewayV2HTTPResponse) {
		if resp.Headers["trace-id"] == "" {
			t.Fatalf("%s %s: %d without a trace-id", r.Method, r.Target, resp.StatusCode)
		}
	}
	return &fzAPI{API: a, handler: h}
}

// fzAnswer is the part of an action answer the properties look at.
type fzAnswer struct {
	ContractActionNumber      string          `json:"contractActionNumber"`
	ContractInfo              json.RawMessage `json:"contractInfo"`
	ContractActionItemRequest json.RawMessage `json:"contractActionItemRequest"`
	ContractSegmentIDs        []string        `json:"contractSegmentIds"`
	AccountID                 string          `json:"accountId"`
}

// checkApplied holds an applied request to its record: one action, the
// first the tenant has, recording the request as sent and only segments
// that exist, and answering the contract as it reads back. answer is the
// action body, HTTP's or a direct invocation's.
func (a *fzAPI) checkApplied(t *testing.T, before dialecttest.State, request, answer []byte) {
	t.Helper()
	after := a.State(dialecttest.Tenant)
	if after.Actions != before.Actions+1 || after.ActionNumbers != before.ActionNumbers+1 || int64(after.Contracts-before.Contracts) != after.Numbers-before.Numbers {
		t.Fatalf("an applied request stored %+v over %+v", after, before)
	}
	got := httpapitest.Decode[fzAnswer](t, string(answer))
	if got.ContractActionNumber != contract.FormatActionNumber(after.ActionNumbers) || !httpapitest.SameJSON(string(got.ContractActionItemRequest), string(request)) {
		t.Fatalf("the record of %s: %s", request, answer)
	}
	for _, id := range got.ContractSegmentIDs {
		if !hasSegment(a.Store, dialecttest.Tenant, id) {
			t.Fatalf("the record names segment %s, which no contract has: %s", id, answer)
		}
	}
	info := httpapitest.Decode[struct {
		ContractNumber string `json:"contractNumber"`
	}](t, string(got.ContractInfo))
	if r := a.Serve(t, "GET", "/api/contracts/"+info.ContractNumber, "", http.StatusOK); !httpapitest.SameJSON(r.Body, string(got.ContractInfo)) {
		t.Fatalf("contract %s reads back as %s, answered as %s", info.ContractNumber, r.Body, got.ContractInfo)
	}
	a.Serve(t, "GET", "/api/contract-actions/"+got.ContractActionNumber, "", http.StatusOK)
}

// fzActionsStatuses are the statuses POST /api/contract-actions documents,
// short of 401 (the authorizer has let every request in) and 5xx.
var fzActionsStatuses = []int{200, 400, 404, 409, 413, 415, 422}

func fzRequest(account string, actions ...string) string {
	return `{"accountNumber":"` + account + `","actions":[` + strings.Join(actions, ",") + `]}`
}

func fzAction(typ, key string, entries ...string) string {
	return `{"type":"` + typ + `","` + key + `":[` + strings.Join(entries, ",") + `]}`
}

// fzSeeds are request bodies: the seed requests, an applied example of
// each action type on the existing contract, and, for each refusal class,
// a request that meets it.
func fzSeeds(f *testing.F) []string {
	var seeds []string
	for _, name := range []string{"testdata/seed-000-request.json", "testdata/seed-001-request.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		seeds = append(seeds, string(b))
	}
	create := func(effective, expiration, currencies string) string {
		return `{"planId":"` + fzPlan + `","effectiveDate":"` + effective + `","expirationDate":"` + expiration + `","currency":` + currencies + `}`
	}
	byNumber := `"contractNumber":"` + fzNumber + `"`
	byID := `"contractId":"` + fzID + `"`
	deep := strings.Repeat("[", 40) + strings.Repeat("]", 40)
	seeds = append(seeds,
		fzRequest(fzAccount, fzAction("create-contract-with-plan", "createContractWithPlan", create("2026-02-01", "2027-02-01", `["USD","CNY"]`), create("2027-02-02", "2028-02-01", `["CNY"]`))),
		fzRequest(fzAccount, fzAction("switch-plan", "switchPlan", `{`+byNumber+`,"planId":"`+fzPlan+`","effectiveDate":"2026-07-01","currency":["CNY"]}`)),
		fzRequest(fzAccount, fzAction("renew", "renew", `{`+byID+`,"effectiveDate":"2027-01-01","expirationDate":"2027-12-31"}`)),
		fzRequest(fzAccount, fzAction("early-renew", "earlyRenew", `{`+byNumber+`,"effectiveDate":"2026-09-01","expirationDate":"2027-08-31"}`)),
		fzRequest(fzAccount, fzAction("update-price", "updatePrice", `{`+byNumber+`,"contractSegmentId":"`+fzSegmentID+`","contractPrice":59.90,"effectiveDate":"2026-07-01"}`)),
		fzRequest(fzAccount, fzAction("cancel", "cancel", `{`+byID+`,"effectiveDate":"2026-06-30"}`)),
		fzRequest(fzAccount,
			fzAction("update-price", "updatePrice", `{`+byNumber+`,"contractSegmentId":"`+fzSegmentID+`","contractPrice":0,"effectiveDate":"2026-07-01"}`),
			fzAction("renew", "renew", `{`+byNumber+`,"effectiveDate":"2027-01-01","expirationDate":"2027-12-31"}`),
			fzAction("create-contract-with-plan", "createContractWithPlan", create("2026-02-01", "2027-02-01", `["USD"]`))),
		// Refusals: each class.
		fzRequest(fzAccount, fzAction("cancel", "cancel", `{`+byID+`,"effectiveDate":"2026-06-30"}`), fzAction("renew", "renew", `{`+byID+`,"effectiveDate":"2027-01-01","expirationDate":"2027-12-31"}`)),
		fzRequest("ACC-2", fzAction("cancel", "cancel", `{`+byNumber+`,"effectiveDate":"2026-06-30"}`)),
		fzRequest(fzAccount, fzAction("cancel", "cancel", `{"contractNumber":"CT-0000000099","effectiveDate":"2026-06-30"}`)),
		fzRequest(fzAccount, fzAction("cancel", "cancel", `{`+byNumber+`,`+byID+`,"effectiveDate":"2026-06-30"}`)),
		fzRequest(fzAccount, fzAction("cancel", "cancel", `{"effectiveDate":"2026-06-30"}`)),
		fzRequest(fzAccount, fzAction("cancel", "cancel", `{"contractNumber":"`+strings.Repeat("C", 65)+`","effectiveDate":"2026-06-30"}`)),
		fzRequest(fzAccount, fzAction("cancel", "cancel", `{`+byNumber+`,"effectiveDate":"2027-06-30"}`)),
		fzRequest(fzAccount, fzAction("switch-plan", "switchPlan", `{`+byNumber+`,"planId":"plan-unknown","effectiveDate":"2026-07-01","currency":["USD"]}`)),
		fzRequest(fzAccount, fzAction("switch-plan", "switchPlan", `{`+byNumber+`,"planId":"`+fzPlan+`","effectiveDate":"2026-01-01","currency":["EUR"]}`)),
		fzRequest(fzAccount, fzAction("switch-plan", "switchPlan", `{`+byNumber+`,"planId":"`+fzPlan+`","effectiveDate":"2026-07-01","currency":["usd"]}`)),
		fzRequest(fzAccount, fzAction("renew", "renew", `{`+byNumber+`,"effectiveDate":"2026-12-31","expirationDate":"2027-12-31"}`)),
		fzRequest(fzAccount, fzAction("early-renew", "earlyRenew", `{`+byNumber+`,"effectiveDate":"2026-09-01","expirationDate":"2026-10-01"}`)),
		fzRequest(fzAccount, fzAction("update-price", "updatePrice", `{`+byNumber+`,"contractSegmentId":"seg-stale","contractPrice":1,"effectiveDate":"2026-07-01"}`)),
		fzRequest(fzAccount, fzAction("update-price", "updatePrice", `{`+byNumber+`,"contractSegmentId":"`+fzSegmentID+`","planId":"plan-other","contractPrice":1,"effectiveDate":"2026-07-01"}`)),
		fzRequest(fzAccount, fzAction("update-price", "updatePrice", `{`+byNumber+`,"contractSegmentId":"`+fzSegmentID+`","contractPrice":-1,"effectiveDate":"2026-07-01"}`)),
		fzRequest(fzAccount, fzAction("update-price", "updatePrice", `{`+byNumber+`,"contractSegmentId":"`+fzSegmentID+`","contractPrice":1e400,"effectiveDate":"2026-07-01"}`)),
		fzRequest(fzAccount, fzAction("update-price", "updatePrice", `{`+byNumber+`,"contractSegmentId":"`+fzSegmentID+`","contractPrice":1e308,"effectiveDate":"2026-07-01"}`)),
		fzRequest(fzAccount, fzAction("update-price", "updatePrice", `{`+byNumber+`,"contractSegmentId":"`+fzSegmentID+`","contractPrice":1E2,"effectiveDate":"2026-07-01"}`)),
		fzRequest(fzAccount, fzAction("update-price", "updatePrice", `{`+byNumber+`,"contractSegmentId":"`+fzSegmentID+`","contractPrice":null,"effectiveDate":"2026-07-01"}`)),
		fzRequest(fzAccount, fzAction("create-contract-with-plan", "createContractWithPlan", create("2026-02-01", "2026-02-01", `["USD"]`))),
		fzRequest(fzAccount, fzAction("create-contract-with-plan", "createContractWithPlan", create("2026-02-30", "2027-02-01", `["USD"]`))),
		fzRequest(fzAccount, fzAction("create-contract-with-plan", "createContractWithPlan", create("2026-02-01", "2027-02-01", `[]`))),
		fzRequest(fzAccount, fzAction("create-contract-with-plan", "createContractWithPlan", create("2026-02-01", "2027-02-01", `["USD","CNY","USD","CNY","USD","CNY","USD","CNY","USD","CNY","USD"]`))),
		fzRequest(fzAccount, fzAction("create-contract-with-plan", "createContractWithPlan", create("2026-02-01", "2027-02-01", `["USD"]`), create("2027-01-01", "2028-02-01", `["USD"]`))),
		fzRequest(fzAccount, fzAction("create-contract-with-plan", "createContractWithPlan", create("0000-01-01", "9999-12-31", `["USD"]`))),
		fzRequest(fzAccount, fzAction("create-contract-with-plan", "createContractWithPlan")),
		fzRequest(fzAccount, fzAction("create-contract-with-plan", "renew", `{`+byNumber+`,"effectiveDate":"2027-01-01","expirationDate":"2027-12-31"}`)),
		fzRequest(fzAccount, fzAction("suspend", "suspend")),
		fzRequest(fzAccount, `{"type":"cancel","cancel":[{`+byNumber+`,"effectiveDate":"2026-06-30"}],"renew":null}`),
		fzRequest(fzAccount, `{"type":null}`),
		fzRequest(fzAccount),
		fzRequest(""),
		fzRequest(strings.Repeat("A", 65), fzAction("cancel", "cancel", `{`+byNumber+`,"effectiveDate":"2026-06-30"}`)),
		fzRequest(fzAccount, slices.Repeat([]string{fzAction("create-contract-with-plan", "createContractWithPlan", create("2026-02-01", "2027-02-01", `["USD"]`))}, 25)...),
		fzRequest(fzAccount, slices.Repeat([]string{fzAction("create-contract-with-plan", "createContractWithPlan", create("2026-02-01", "2027-02-01", `["USD"]`))}, 26)...),
		`{"accountNumber":"ACC-1","accountNumber":"ACC-2","actions":[]}`,
		`{"AccountNumber":"ACC-1","actions":[]}`,
		`{"accountNumber":"ACC-1","actions":`+deep+`}`,
		`{"accountNumber":"ACC-1","actions":[{"type":"cancel","cancel":[{"contractNumber":"CT-0000000001","effectiveDate":"2026-06-30","effectiveDate":"2026-07-01"}]}]}`,
		"{\"accountNumber\":\"ACC-\xff\",\"actions\":[]}",
		`{"accountNumber":"ACC-1\u0000","actions":[]}`,
		`{"accountNumber":1e400,"actions":[]}`,
		`{"accountNumber":null,"actions":null}`,
		`null`, `[]`, `{`, ``, `{}`, `"x"`, seeds[0]+`{}`,
	)
	return seeds
}

// FuzzContractActions sends arbitrary contract-actions bodies through the
// real handler over a tenant with one contract. Every answer is a
// documented success or 4xx problem with a trace-id; a refused request
// writes nothing and draws no number; an applied one records exactly one
// action, as sent, and its contract reads back as answered.
func FuzzContractActions(f *testing.F) {
	for _, s := range fzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		a := newFzAPI(t)
		resp, before, _ := a.Write(t, httpapitest.Request{Method: "POST", Target: "/api/contract-actions", Body: body}, http.StatusOK, fzActionsStatuses...)
		if resp.StatusCode != http.StatusOK {
			return
		}
		a.checkApplied(t, before, []byte(body), []byte(resp.Body))
	})
}

// FuzzActionsInvocation sends arbitrary requests, for arbitrary tenants,
// through the direct invocation path. It never panics; an error names the
// problem (a message that is not the one of a fault, with every field the
// HTTP route names) and writes nothing; a success is the action body, and
// the HTTP route applies the same request alike.
func FuzzActionsInvocation(f *testing.F) {
	seeds := fzSeeds(f)
	for _, s := range seeds {
		f.Add(dialecttest.Tenant, []byte(s))
	}
	for _, tenant := range []string{"tenant-x", "", "../tenant-f", "tenant f", strings.Repeat("t", 129), "TENANT-F", "tenant-f\x00"} {
		f.Add(tenant, []byte(seeds[0]))
	}
	log := slog.New(slog.DiscardHandler)
	f.Fuzz(func(t *testing.T, tenant string, request []byte) {
		a := newFzAPI(t)
		before := a.State(tenant)
		out, err := a.handler.HandleDirect(context.Background(), a.Store, log, easybilling.Invocation{TenantID: tenant, Request: request})
		if err != nil {
			if out != nil {
				t.Fatalf("an error with a body: %v, %+v", err, out)
			}
			msg := err.Error()
			if msg == "" || strings.Contains(msg, "failed to apply") {
				t.Fatalf("tenant %q, request %q: the error does not name the problem: %q", tenant, request, msg)
			}
			if after := a.State(tenant); after != before {
				t.Fatalf("a refused invocation changed the store: %+v -> %+v", before, after)
			}
		} else {
			body, merr := json.Marshal(out)
			var v map[string]any
			if merr != nil || strictjson.Decode(body, &v) != nil {
				t.Fatalf("the answer %+v does not encode as JSON that re-decodes: %v", out, merr)
			}
			if tenant != dialecttest.Tenant {
				t.Fatalf("applied for tenant %q, which does not exist", tenant)
			}
			a.checkApplied(t, before, request, body)
		}

		// The HTTP route, which takes the same request for the same
		// tenant, must agree on whether it applies, and name the same
		// fields; it refuses a body over its limit on its own.
		if tenant != dialecttest.Tenant || len(request) > httpapi.MaxBodyBytes {
			return
		}
		h := newFzAPI(t)
		resp := h.Serve(t, "POST", "/api/contract-actions", string(request), fzActionsStatuses...)
		if (resp.StatusCode == http.StatusOK) != (err == nil) {
			t.Fatalf("request %q: HTTP answers %d %s, a direct invocation %v", request, resp.StatusCode, resp.Body, err)
		}
		if err == nil {
			return
		}
		var p httpapi.Problem
		if strictjson.Decode([]byte(resp.Body), &p) == nil {
			for _, fe := range p.Errors {
				if !strings.Contains(err.Error(), fe.Field) {
					t.Fatalf("request %q: HTTP names %q, the direct error does not: %v", request, fe.Field, err)
				}
			}
		}
	})
}
