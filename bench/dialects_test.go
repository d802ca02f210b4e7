package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/bench/internal/memstore"
	"github.com/contracts-service/contracts/infra/local/gateway"
)

// TestDialectsServeTheirRequests checks each registration the way the
// benchmarks use it, over the in-memory store: a create succeeds and
// hands out an id, a get of that id and a list succeed. A registration
// that builds a request its dialect refuses fails here, in a second,
// rather than in the middle of a run against DynamoDB Local.
func TestDialectsServeTheirRequests(t *testing.T) {
	if len(dialects) == 0 {
		t.Fatal("no dialect registered")
	}
	for i := range dialects {
		d := &dialects[i]
		t.Run(d.Name, func(t *testing.T) {
			rt := d.Router(memstore.New(), discardLogger(d.Function))
			ctx := context.Background()
			resp, err := serve(ctx, rt, d.Create(benchTenant))
			if err != nil {
				t.Fatal(err)
			}
			id, err := d.CreatedID(resp)
			if err != nil {
				t.Fatal(err)
			}
			again, err := serve(ctx, rt, d.Create(benchTenant))
			if err != nil {
				t.Fatal(err)
			}
			if other, _ := d.CreatedID(again); other == id {
				t.Fatalf("two creates handed out the same id %q: Create must make a new contract each call", id)
			}
			if _, err := serve(ctx, rt, d.Get(benchTenant, id)); err != nil {
				t.Fatal(err)
			}
			list, err := serve(ctx, rt, d.List(benchTenant))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(list.Body, id) {
				t.Fatalf("the list does not show the contract created: %.300s", list.Body)
			}
		})
	}
}

// TestDialectsNameTemplateFunctions checks that every dialect names a
// function template.yaml declares, and that the routes its events carry
// are that function's.
func TestDialectsNameTemplateFunctions(t *testing.T) {
	api, err := gateway.LoadTemplate("../"+gateway.TemplateFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dialects {
		if _, ok := api.Functions[d.Function]; !ok {
			t.Errorf("%s: function %s is not in the template", d.Name, d.Function)
			continue
		}
		for _, ev := range []string{d.Create(benchTenant).RouteKey, d.Get(benchTenant, "x").RouteKey, d.List(benchTenant).RouteKey} {
			found := false
			for _, r := range api.Routes {
				found = found || (r.Key() == ev && r.Function == d.Function)
			}
			if !found {
				t.Errorf("%s: route %s is not a route of %s", d.Name, ev, d.Function)
			}
		}
	}
}

func TestAPIEventFillsThePathAndAuthorizerContext(t *testing.T) {
	ev := apiEvent(benchTenant, "GET /v1/organizations/{organizationId}/contracts/{contractId}",
		map[string]string{"organizationId": "org", "contractId": "c1"}, map[string]string{"limit": "5"}, map[string]string{"X-Site-Context": "s"}, "")
	if ev.RawPath != "/v1/organizations/org/contracts/c1" || ev.RequestContext.HTTP.Path != ev.RawPath || ev.RequestContext.HTTP.Method != "GET" {
		t.Fatalf("path %q, %q, method %q", ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method)
	}
	if ev.Headers["x-site-context"] != "s" || ev.RawQueryString != "limit=5" {
		t.Fatalf("headers %v, query %q", ev.Headers, ev.RawQueryString)
	}
	lambda := ev.RequestContext.Authorizer.Lambda
	if lambda["tenantId"] != benchTenant.ID || lambda["credentialId"] != benchTenant.CredentialID {
		t.Fatalf("authorizer context %v", lambda)
	}
}

func TestColdStartAnswers(t *testing.T) {
	if got, err := apiAnswer(true)([]byte(`{"statusCode":200,"body":"{}"}`)); err != nil || got != "200" {
		t.Fatalf("200: %q, %v", got, err)
	}
	if _, err := apiAnswer(true)([]byte(`{"statusCode":501,"body":"{}"}`)); err == nil {
		t.Fatal("a dialect's read must succeed, not answer 501")
	}
	if got, err := apiAnswer(false)([]byte(`{"statusCode":501}`)); err != nil || got != "501" {
		t.Fatalf("declared route: %q, %v", got, err)
	}
	if _, err := apiAnswer(false)([]byte(`{"statusCode":500}`)); err == nil {
		t.Fatal("a 500 is never a good first answer")
	}
	body, _ := json.Marshal(map[string]any{"isAuthorized": true})
	if got, err := authorizerAnswer(body); err != nil || got != "authorized" {
		t.Fatalf("authorizer: %q, %v", got, err)
	}
	if _, err := authorizerAnswer([]byte(`{"isAuthorized":false}`)); err == nil {
		t.Fatal("a refusal of a valid token must fail the run")
	}
}

func TestReportShowsMissesWithTheirSize(t *testing.T) {
	ms := func(v ...float64) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x*float64(time.Millisecond)))
		}
		return out
	}
	r := &results{
		Settings: settings{Starts: 3, Rounds: 3, Warmup: 1, Creates: 10, Count: 1, RunLimit: time.Second},
		Machine:  machine{CPUs: 2, GOOS: "linux", GOARCH: "amd64", CPUModel: "test CPU", GoVersion: "go", DynamoDBLocal: "x", Date: time.Unix(0, 0)},
		Cold: []*coldResult{
			{ID: helloWorldID, Init: ms(3, 3, 3), Answer: ms(4, 4, 4), InitCalls: []int{0, 0, 0}, RequestCalls: []int{0, 0, 0}},
			{ID: "CreateContractFunction", Init: ms(9, 9, 9), Answer: ms(20, 20, 20), InitCalls: []int{0, 0, 0}, RequestCalls: []int{1, 1, 1}},
		},
		Warm:    []*latency{{Dialect: "Kukkingu", Op: "get", Ours: ms(2, 2, 2), Floor: ms(1, 1, 1)}},
		Trips:   []roundTrips{{Dialect: "Kukkingu", Op: "get", Min: 1, Max: 1, Ops: []string{"Query"}}},
		GoBench: parseGoBench(goTestOutput),
	}
	out := render(r)
	for _, want := range []string{
		"## 1. Cold start", "## 2. Artifacts", "## 3. Warm latency", "## 4. DynamoDB round trips", "## 5. Handler CPU", "## 6. Throughput",
		"**missed** by 2.000 ms",  // 6 ms over hello world against 4
		"**missed** by 0.900x",    // 2.00x against 1.10x
		"**missed** by 32 (1.6x)", // 81 allocations against fewer than 50
		"### Cold start over hello world", "### Warm latency over the floor", "### Allocations per request",
		"test CPU, 2 logical CPUs",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(out, "### Round trips") || strings.Contains(out, "### CPU per request") {
		t.Error("the report explains a miss that did not happen")
	}
}
