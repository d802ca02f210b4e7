package main

import (
	"math"
	"strings"
	"testing"
	"time"
)

// benchstatCSV is benchstat -format csv's output for one input file, as
// v0.0.0-20260908200009 writes it: a table per unit, warnings and
// configuration lines in between.
const benchstatCSV = `goos: linux
goarch: amd64
pkg: github.com/contracts-service/contracts/bench
cpu: Intel(R) Xeon(R) Processor
,bench.txt,
,sec/op,CI
Warm/Kukkingu/get/handler-2,0.0012,3%
Warm/Kukkingu/get/floor-2,0.001,2%
"ListScale/fabric/status=DRAFT,offset=20/contracts=100-2",0.004,∞
geomean,0.002,

,bench.txt,
,roundtrips/op,CI
Warm/Kukkingu/get/handler-2,2,0%
`

func TestParseBenchstatReadsEveryUnitsTable(t *testing.T) {
	s, err := parseBenchstat(benchstatCSV)
	if err != nil {
		t.Fatal(err)
	}
	if st, ok := s["Warm/Kukkingu/get/handler"]["sec/op"]; !ok || st.Center != 0.0012 || math.Abs(st.Spread-0.03) > 1e-9 {
		t.Fatalf("handler sec/op: %+v, %v", st, ok)
	}
	if st, ok := s["ListScale/fabric/status=DRAFT,offset=20/contracts=100"]["sec/op"]; !ok || st.Center != 0.004 || !math.IsNaN(st.Spread) {
		t.Fatalf("a quoted name with no interval: %+v, %v", st, ok)
	}
	if v := s.value("Warm/Kukkingu/get/handler", "roundtrips/op"); v != 2 {
		t.Fatalf("roundtrips/op %v", v)
	}
	if _, ok := s["geomean"]; ok {
		t.Fatal("the geomean row is no benchmark")
	}
	if _, err := parseBenchstat("goos: linux\n"); err == nil {
		t.Fatal("an output with no table must be an error, not an empty report")
	}
}

// testReport is a run's results with the stats given, for rendering.
func testReport(s stats) *report {
	return &report{
		Settings: settings{Starts: 3, Rounds: 5, Count: 6, Sizes: "100,50000"},
		Machine:  machine{CPUs: 2, GOOS: "linux", GOARCH: "amd64", CPUModel: "test CPU", GoVersion: "go", DynamoDBLocal: "x", Date: time.Unix(0, 0)},
		Cold:     []*coldResult{{ID: helloWorldID}, {ID: "CreateContractFunction", MostInitCalls: 1}},
		EndToEnd: []endToEnd{{Dialect: "Kukkingu", Function: "CreateContractFunction", Route: "GET /api/v1/contracts/{contractId}", AuthorizerTTL: 5 * time.Minute, MaxInvocations: 1}},
		Stats:    s,
	}
}

func TestReportJudgesTheTargets(t *testing.T) {
	s := stats{
		"ColdStart/HelloWorld":                        {"init-ms": {3, math.NaN()}, "init-ddb-requests": {0, 0}},
		"ColdStart/CreateContractFunction":            {"init-ms": {9, math.NaN()}, "init-ddb-requests": {0, 0}},
		"EndToEnd/Kukkingu/get/gateway":               {"sec/op": {0.004, 0.05}, "invocations/op": {1, 0}},
		"EndToEnd/Kukkingu/get/floor":                 {"sec/op": {0.002, 0.05}},
		"Warm/Kukkingu/get":                           {"handler-sec/op": {0.002, 0.02}, "floor-sec/op": {0.001, 0.02}, "handler-to-floor": {2, 0.03}, "roundtrips/op": {1, 0}, "Query/op": {1, 0}},
		"Warm/Kukkingu/create":                        {"handler-sec/op": {0.005, 0.02}, "floor-sec/op": {0.005, 0.02}, "handler-to-floor": {1, 0.03}, "roundtrips/op": {3, 0}},
		"Warm/Kukkingu/list":                          {"handler-sec/op": {0.002, 0.05}, "floor-sec/op": {0.002, 0.05}, "handler-to-floor": {1.12, 0.05}, "roundtrips/op": {1, 0}},
		"ListScale/fabric/default/contracts=100":      {"p50-ms": {4, math.NaN()}},
		"ListScale/fabric/default/contracts=50000":    {"p50-ms": {6, math.NaN()}},
		"ListScale/Kukkingu/clientId/contracts=100":   {"p50-ms": {2, math.NaN()}},
		"ListScale/Kukkingu/clientId/contracts=50000": {"p50-ms": {5, math.NaN()}},
		"AllocSites/aira/create": {"sec/op": {1e-4, math.NaN()}, "objects:github.com/contracts-service/contracts/shared/aira.decode": {12, math.NaN()},
			"objects:reflect.unsafe_New": {30, math.NaN()}},
		"Handler/aira/create": {"allocs/op": {60, 0}},
		"Wire/aira/create":    {"sec/op": {30e-6, 0.01}, "allocs/op": {125, 0}},
	}
	out, err := testReport(s).render("report.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"| CreateContractFunction: init over hello world (p50) |", "| ≤ +4 ms | +6.000 ms | **missed** by 2.000 ms |",
		"| DynamoDB requests during init, all functions |", "| 0 | 1 | **missed** (see section 1) |",
		"| Kukkingu get: handler / floor (p50) |", "| ≤ 1.10x | 2.000x | **missed** by 0.900x |",
		"| Kukkingu list: handler / floor (p50) |", "| ≤ 1.10x | 1.120x | **inconclusive**: by 0.020x, inside the interval |",
		"- Kukkingu list: handler / floor (p50): 1.120x (limit ≤ 1.10x), **inconclusive**: by 0.020x, inside the interval.",
		"| Kukkingu create: DynamoDB round trips |", "| ≤ 2 | 3 | **missed** by 1",
		"| Kukkingu get: DynamoDB round trips |", "| ≤ 1 | 1 | met |",
		"| Kukkingu get end to end: Lambda invocations per warm request |", "| 1 | 1 | met |",
		"| fabric list `default`: p50 at 50,000 over 100 |", "| ≤ 2x | 1.50x (read units – → –) | met |",
		"| Kukkingu list `clientId`: p50 at 50,000 over 100 |", "| ≤ 2x | 2.50x (read units – → –) | **missed**",
		"| Wire/aira/create: allocations per request, no I/O |", "| < 50 | 125 | **missed** by 76 |",
		"| Kukkingu | get | 2 ± 2% ms | 1 ± 2% ms | 2.00x ± 3% | ≤ 1.10x | **missed** by 0.900x | Query |",
		"| Kukkingu | create | 3 | ≤ 2 | **missed** by 1 (see Misses) | none |", "| Kukkingu | get | 1 | ≤ 1 | met | Query |",
		"| aira/create | `reflect.unsafe_New` | 30 | 50% |", "| aira/create | `shared/aira.decode` | 12 | 20% |",
		"about 1,000 per second", "test CPU, 2 logical CPUs", "## Misses",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if strings.Contains(out, "<no value>") {
		t.Error("the template names a field the report does not have")
	}
}
