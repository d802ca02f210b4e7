package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/infra/local/gateway"
)

// TestDialectsServeTheirRequests checks each registration the way the
// benchmarks use it, over the in-memory store: the tenant's setup and
// seeds succeed, two creates succeed and generate nothing alike, a get of
// the first seed answers it, and a list shows seeded records (which ones
// depends on the list's order). A registration that
// builds a request its dialect refuses fails here, in a second, rather
// than in the middle of a run against DynamoDB Local.
func TestDialectsServeTheirRequests(t *testing.T) {
	if len(dialects) == 0 {
		t.Fatal("no dialect registered")
	}
	for i := range dialects {
		d := &dialects[i]
		t.Run(d.Name, func(t *testing.T) {
			ctx := context.Background()
			m, err := inMemory(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			var made []Created
			for _, ev := range m.requests("create", 2) {
				resp, err := serve(ctx, m.router, ev)
				if err != nil {
					t.Fatal(err)
				}
				c, err := d.Created(resp)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(c.Fresh, c.ID) {
					t.Errorf("a get names the contract by %q, which is not among the values the create generated %v", c.ID, c.Fresh)
				}
				made = append(made, c)
			}
			for _, v := range made[0].Fresh {
				if slices.Contains(made[1].Fresh, v) {
					t.Fatalf("two creates both generated %q: Create must make a new contract each call", v)
				}
			}
			get, err := serve(ctx, m.router, m.requests("get", 1)[0])
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(get.Body, m.existing.ID) {
				t.Fatalf("the get does not show %q: %.300s", m.existing.ID, get.Body)
			}
			list, err := serve(ctx, m.router, m.requests("list", 1)[0])
			if err != nil {
				t.Fatal(err)
			}
			shown := 0
			for _, c := range m.seeds {
				if c.Listed != "" && strings.Contains(list.Body, c.Listed) {
					shown++
				}
			}
			if shown == 0 {
				t.Fatalf("the list shows none of the %d seeded records: %.300s", len(m.seeds), list.Body)
			}
		})
	}
}

// TestDialectsNameTemplateFunctions checks that every dialect names a
// function template.yaml declares, that the routes its events carry are
// that function's, and that it explains round trips only of operations
// the benchmarks measure.
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
		c := Created{ID: "x", Scope: "y"}
		for _, ev := range []string{d.Create(benchTenant).RouteKey, d.seedRequest(benchTenant).RouteKey, d.Get(benchTenant, c).RouteKey, d.List(benchTenant, c).RouteKey} {
			found := false
			for _, r := range api.Routes {
				found = found || (r.Key() == ev && r.Function == d.Function)
			}
			if !found {
				t.Errorf("%s: route %s is not a route of %s", d.Name, ev, d.Function)
			}
		}
		for op, note := range d.ByDesign {
			if !slices.Contains(warmOps, op) || note.Why == "" || note.Cut == "" {
				t.Errorf("%s: round trips explained for %q (%+v): not a measured operation, or half explained", d.Name, op, note)
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
	if lambda["tenantId"] != benchTenant.ID || lambda["credentialId"] != benchTenant.CredentialID || lambda["tenantAliases"] != benchTenant.Alias+","+benchTenant.Account {
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

func TestReportExplainsRoundTripMisses(t *testing.T) {
	aira := dialectNamed("Aira")
	if aira == nil || aira.ByDesign["get"].Why == "" {
		t.Fatal("the test needs Aira's get, explained by its design")
	}
	base := func(trips ...roundTrips) *results {
		return &results{
			Settings: settings{Starts: 1, Rounds: 1, Warmup: 1, Creates: 4, Count: 1, RunLimit: time.Second},
			Machine:  machine{CPUs: 2, GOOS: "linux", GOARCH: "amd64", CPUModel: "test CPU", GoVersion: "go", DynamoDBLocal: "x", Date: time.Unix(0, 0)},
			Trips:    trips,
		}
	}
	for _, tc := range []struct {
		name        string
		trips       []roundTrips
		want, avoid []string
	}{
		{
			name:  "a miss the dialect's design explains",
			trips: []roundTrips{{Dialect: "Aira", Op: "get", Min: 4, Max: 4, Ops: []string{"Query", "GetItem", "GetItem", "BatchGetItem"}}},
			want: []string{"### Round trips", "**missed** by 3 (by the dialect's design: see Misses)", "**Aira get**: 4 round trips (Query + GetItem + GetItem + BatchGetItem) against 1",
				aira.ByDesign["get"].Why, aira.ByDesign["get"].Cut, "none of these is a regression"},
			avoid: []string{"none that the dialect's design explains"},
		},
		{
			name:  "a miss no design explains",
			trips: []roundTrips{{Dialect: "Kukkingu", Op: "get", Min: 1, Max: 2, Ops: []string{"GetItem", "GetItem"}}},
			want:  []string{"### Round trips", "**Kukkingu get**: 1–2 round trips", "none that the dialect's design explains", "undo the change"},
			avoid: []string{"(by the dialect's design", "none of these is a regression"},
		},
		{
			name:  "no miss",
			trips: []roundTrips{{Dialect: "Kukkingu", Op: "create", Min: 2, Max: 2, Ops: []string{"UpdateItem", "TransactWriteItems"}}},
			avoid: []string{"### Round trips"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := render(base(tc.trips...))
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the report lacks %q", w)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(out, a) {
					t.Errorf("the report says %q", a)
				}
			}
		})
	}
}

func TestReportListsEveryDialectsRequests(t *testing.T) {
	out := render(&results{Settings: settings{Count: 1}, Machine: machine{Date: time.Unix(0, 0)}})
	for _, d := range dialects {
		row := fmt.Sprintf("| %s | %s | `%s` |", d.Name, d.Function, d.Create(benchTenant).RouteKey)
		if !strings.Contains(out, row) {
			t.Errorf("the report lacks the requests of %s (%q)", d.Name, row)
		}
		if d.Notes != "" && !strings.Contains(out, d.Notes) {
			t.Errorf("the report lacks the notes on %s's requests", d.Name)
		}
	}
}

// TestColdStartPlanNamesOnlyWhatWasMeasured checks that the cold start's
// plan proposes cutting a dependency only when the run found it in the
// function's package init.
func TestColdStartPlanNamesOnlyWhatWasMeasured(t *testing.T) {
	ms := func(v float64) []time.Duration {
		return []time.Duration{time.Duration(v * float64(time.Millisecond))}
	}
	pkg := func(path string, clock float64) packageInit {
		return packageInit{Package: path, Clock: time.Duration(clock * float64(time.Millisecond))}
	}
	const configPlan, authPlan, validatorPlan, streamsPlan = "instead of `config.LoadDefaultConfig`", "Stop linking shared/auth",
		"Replace go-playground/validator", "links in the DynamoDB Streams types"
	for _, tc := range []struct {
		name        string
		packages    []packageInit
		want, avoid []string
	}{
		{
			name: "every dependency linked",
			packages: []packageInit{pkg("github.com/aws/aws-sdk-go-v2/config", 0.5), pkg("github.com/contracts-service/contracts/shared/auth", 0.4),
				pkg("github.com/go-playground/validator/v10", 0.8), pkg("github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/schemas", 0.1)},
			want: []string{configPlan, authPlan, validatorPlan, streamsPlan, "the SDK's default config and credential chain"},
		},
		{
			name:     "the credential chain and shared/auth already gone",
			packages: []packageInit{pkg("github.com/go-playground/validator/v10", 0.8), pkg("github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas", 0.9)},
			want:     []string{validatorPlan, "go-playground/validator and its dependencies 0.800 ms"},
			avoid:    []string{configPlan, authPlan, streamsPlan, "credential chain"},
		},
		{
			name:     "nothing this report names",
			packages: []packageInit{pkg("github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas", 0.9)},
			want:     []string{"Profile `main` itself"},
			avoid:    []string{configPlan, authPlan, validatorPlan, streamsPlan},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fn := &coldResult{ID: "CreateContractFunction", Init: ms(12), Answer: ms(20), InitCalls: []int{0}, RequestCalls: []int{1},
				Trace: summarizeInitTraces([][]packageInit{tc.packages})}
			hello := &coldResult{ID: helloWorldID, Init: ms(3), Answer: ms(4), InitCalls: []int{0}, RequestCalls: []int{0}}
			out := missDiagnosis("cold", &results{Cold: []*coldResult{hello, fn}})
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("the diagnosis lacks %q", w)
				}
			}
			for _, a := range tc.avoid {
				if strings.Contains(out, a) {
					t.Errorf("the diagnosis says %q", a)
				}
			}
		})
	}
}
