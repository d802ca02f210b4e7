package main

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// report is everything one run measured; report.md.tmpl renders it.
type report struct {
	Settings  settings
	Machine   machine
	Artifacts []artifact
	EndToEnd  []endToEnd
	Cold      []*coldResult
	// Raw is the go test output, as benchstat read it.
	Raw     string
	Stats   stats
	Load    []float64
	Elapsed time.Duration
}

// The dialects and operations of the warm benchmarks, in report order.
var (
	reportDialects = []string{"Kukkingu", "fabric", "Aira", "EasyBilling"}
	reportOps      = []string{"create", "get", "list"}
	// dynamoOps are the operations a round trip may be, in the order the
	// report lists them.
	dynamoOps = []string{"BatchGetItem", "GetItem", "Query", "UpdateItem", "PutItem", "TransactWriteItems", "TransactGetItems", "BatchWriteItem", "DeleteItem"}
)

// The targets, from issue 15 and the README's Performance section.
const (
	coldLimitMS     = 4.0 // init over hello world
	warmLimitRead   = 1.10
	warmLimitCreate = 1.20
	allocLimit      = 50
	cpuLimitNS      = 100_000
)

// limits returns an operation's round trips and handler / floor
// targets.
func limits(op string) (trips, warm float64) {
	if op == "create" {
		return 2, warmLimitCreate
	}
	return 1, warmLimitRead
}

// row is one table row of cells.
type row []string

// target is one line of the Targets table.
type target struct {
	Name, How, Limit, Measured string
	Met                        bool
	Miss                       string
	// Unsure is a miss whose limit lies inside the measure's interval:
	// another run may as well meet it.
	Unsure bool
}

// verdict renders a target's verdict cell.
func (t target) Verdict() string {
	switch {
	case t.Met:
		return "met"
	case t.Unsure:
		return "**inconclusive**: " + t.Miss + ", inside the interval"
	}
	return "**missed** " + t.Miss
}

func (r *report) On() string { return r.Machine.label() }

func (r *report) render(path string) (string, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	funcs := template.FuncMap{
		"join": func(cells row) string { return "| " + strings.Join(cells, " | ") + " |" },
		"ms":   func(d time.Duration) string { return d.Round(time.Second).String() },
		"num":  num,
	}
	t, err := template.New("report").Funcs(funcs).Parse(string(text))
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := t.Execute(&b, r); err != nil {
		return "", err
	}
	return b.String(), nil
}

// cell formats name's median in unit, with its interval, scaled by mul.
func (r *report) cell(name, unit string, mul float64) string {
	st, ok := r.Stats[name][unit]
	if !ok {
		return "–"
	}
	return withCI(st.Center*mul, st)
}

// ratioCell formats a ratio's stat as "1.05x ± 2%".
func ratioCell(st stat) string {
	if math.IsNaN(st.Spread) || st.Center == 0 {
		return ratio(st.Center, 1)
	}
	return fmt.Sprintf("%.2fx ± %.0f%%", st.Center, st.Spread*100)
}

// LoadRange describes the load average samples.
func (r *report) LoadRange() string {
	if len(r.Load) == 0 {
		return "not available"
	}
	lo, hi, sum := math.Inf(1), math.Inf(-1), 0.0
	for _, l := range r.Load {
		lo, hi, sum = math.Min(lo, l), math.Max(hi, l), sum+l
	}
	return fmt.Sprintf("%.1f to %.1f, mean %.1f, on %d CPUs", lo, hi, sum/float64(len(r.Load)), r.Machine.CPUs)
}

// ColdRows are the cold start table: init and first answer, each beside
// hello world's.
func (r *report) ColdRows() []row {
	hello := "ColdStart/HelloWorld"
	var out []row
	for _, c := range r.Cold {
		name := "ColdStart/" + coldName(c.ID)
		cells := row{c.ID, c.First, c.Answered}
		for _, unit := range []string{"init-ms", "first-answer-ms"} {
			v, h := r.Stats.value(name, unit), r.Stats.value(hello, unit)
			diff, rat := "", ""
			if c.ID != helloWorldID {
				diff, rat = fmt.Sprintf("%+.3f ms", v-h), ratio(v, h)
			}
			cells = append(cells, r.cell(name, unit, 1)+" ms", diff, rat)
		}
		cells = append(cells, num(r.Stats.value(name, "init-ddb-requests")), num(r.Stats.value(name, "first-ddb-requests")), r.On())
		out = append(out, cells)
	}
	return out
}

// InitRows are where package initialization goes, per bootstrap.
func (r *report) InitRows() []row {
	var out []row
	var hello time.Duration
	for _, c := range r.Cold {
		tr := c.Trace
		diff := ""
		if c.ID == helloWorldID {
			hello = tr.Clock
		} else {
			diff = fmt.Sprintf("%+.3f ms", float64(tr.Clock-hello)/1e6)
		}
		var heavy []string
		for _, p := range tr.All[:min(3, len(tr.All))] {
			heavy = append(heavy, fmt.Sprintf("%s %.3f ms", p.Package, float64(p.Clock)/1e6))
		}
		out = append(out, row{c.ID, fmt.Sprint(tr.Packages), fmt.Sprintf("%.3f ms", float64(tr.Clock)/1e6), diff, fmt.Sprint(tr.Allocs), strings.Join(heavy, ", "), r.On()})
	}
	return out
}

// InitGroupNames heads the table of package init by what links it in.
func (r *report) InitGroupNames() row {
	return append(append(row{"Function"}, initGroupNames()...), "on")
}

// InitGroupRows are package init by what links it in.
func (r *report) InitGroupRows() []row {
	var out []row
	for _, c := range r.Cold {
		g := groupInit(c.Trace)
		cells := row{c.ID}
		for _, name := range initGroupNames() {
			cells = append(cells, fmt.Sprintf("%.3f ms", float64(g[name])/1e6))
		}
		out = append(out, append(cells, r.On()))
	}
	return out
}

// ArtifactRows are the bootstraps' and zips' sizes.
func (r *report) ArtifactRows() []row {
	var out []row
	for _, a := range r.Artifacts {
		out = append(out, row{a.Function, bytesHuman(a.Bootstrap), bytesHuman(a.Zip), ratio(float64(a.Zip), float64(r.Artifacts[0].Zip)), r.On()})
	}
	return out
}

// operations lists the operations name reported, as "Query + GetItem".
func (r *report) operations(name string) string {
	var ops []string
	for _, op := range dynamoOps {
		if n := r.Stats.value(name, op+"/op"); n > 0 {
			s := op
			if n > 1 {
				s = fmt.Sprintf("%s ×%s", op, num(n))
			}
			ops = append(ops, s)
		}
	}
	if len(ops) == 0 {
		return "none"
	}
	return strings.Join(ops, " + ")
}

// WarmRows are the warm latency table.
func (r *report) WarmRows() []row {
	var out []row
	for _, d := range reportDialects {
		for _, op := range reportOps {
			name, t := "Warm/"+d+"/"+op, r.warmTarget(d, op)
			out = append(out, row{d, op, r.cell(name, "handler-sec/op", 1e3) + " ms", r.cell(name, "floor-sec/op", 1e3) + " ms",
				ratioCell(r.Stats[name]["handler-to-floor"]), t.Limit, t.Verdict(), r.operations(name), r.On()})
		}
	}
	return out
}

// warmTarget judges d's op by BenchmarkWarm's handler / floor ratio.
func (r *report) warmTarget(d, op string) target {
	v := r.Stats.value("Warm/"+d+"/"+op, "handler-to-floor")
	_, wl := limits(op)
	spread := r.Stats["Warm/"+d+"/"+op]["handler-to-floor"].Spread
	t := target{Name: d + " " + op + ": handler / floor (p50)", How: "BenchmarkWarm, in-process router on DynamoDB Local in turns with the same SDK calls replayed, median of " + fmt.Sprint(r.Settings.Count) + " runs' ratios",
		Limit: fmt.Sprintf("≤ %.2fx", wl), Measured: fmt.Sprintf("%.3fx", v), Met: v <= wl, Miss: fmt.Sprintf("by %.3fx", v-wl)}
	t.Unsure = !t.Met && v*(1-spread) <= wl
	return t
}

// tripTarget judges d's op by its DynamoDB round trips.
func (r *report) tripTarget(d, op string) target {
	trips := r.Stats.value("Warm/"+d+"/"+op, "roundtrips/op")
	tl, _ := limits(op)
	return target{Name: d + " " + op + ": DynamoDB round trips", How: "HTTP requests counted at the SDK client's HTTPClient (BenchmarkWarm's roundtrips/op)",
		Limit: "≤ " + num(tl), Measured: num(trips), Met: trips <= tl, Miss: "by " + num(trips-tl) + " (see Misses)"}
}

// ReplayRows are the in-process table: DynamoDB's answers from memory.
func (r *report) ReplayRows() []row {
	var out []row
	for _, d := range reportDialects {
		for _, op := range reportOps {
			base := "Warm/" + d + "/" + op + "/replayed-"
			hc, fc := r.Stats.value(base+"handler", "cpu-sec/op"), r.Stats.value(base+"floor", "cpu-sec/op")
			out = append(out, row{d, op, r.cell(base+"handler", "cpu-sec/op", 1e6) + " µs", r.cell(base+"floor", "cpu-sec/op", 1e6) + " µs",
				num((hc-fc)*1e6) + " µs", num(r.Stats.value(base+"handler", "allocs/op")), num(r.Stats.value(base+"floor", "allocs/op")),
				num(r.Stats.value(base+"handler", "sec/op")*1e6) + " µs", num(r.Stats.value(base+"floor", "sec/op")*1e6) + " µs",
				num(r.Stats.value("Handler/"+strings.ToLower(d)+"/"+op, "cpu-sec/op")*1e6) + " µs", r.On()})
		}
	}
	return out
}

// TripRows are the round trips and consumed capacity table.
func (r *report) TripRows() []row {
	var out []row
	for _, d := range reportDialects {
		for _, op := range reportOps {
			h, t := "Warm/"+d+"/"+op, r.tripTarget(d, op)
			limit, verdict := t.Limit, t.Verdict()
			if op == "list" {
				limit, verdict = "none (section 7)", ""
			}
			capacity := func(prefix string) string {
				return fmt.Sprintf("%s R + %s W", num(r.Stats.value(h, prefix+"RCU/op")), num(r.Stats.value(h, prefix+"WCU/op")))
			}
			out = append(out, row{d, op, t.Measured, limit, verdict, r.operations(h),
				num(r.Stats.value(h, "req-B/op")) + " / " + num(r.Stats.value(h, "floor-req-B/op")), capacity(""), capacity("floor-"), r.On()})
		}
	}
	return out
}

// benchRank turns a Handler, Wire or AllocSites name into a key that
// sorts by dialect, then operation, in report order.
var benchRank = strings.NewReplacer("/kukkingu/", "/0/", "/fabric/", "/1/", "/aira/", "/2/", "/easybilling/", "/3/",
	"/create", "/0", "/get", "/1", "/list", "/2")

// benchOrder sorts Handler, Wire and AllocSites names in report order.
func benchOrder(names []string) []string {
	sort.Slice(names, func(i, j int) bool { return benchRank.Replace(names[i]) < benchRank.Replace(names[j]) })
	return names
}

// judged says whether a Handler or Wire benchmark carries the allocation
// and CPU target: every Wire one, and a Handler one without a Wire twin.
func (r *report) judged(name string) bool {
	rest, isHandler := strings.CutPrefix(name, "Handler/")
	if !isHandler {
		return true
	}
	_, hasWire := r.Stats["Wire/"+rest]
	return !hasWire
}

// handlerTarget judges a Handler or Wire benchmark.
func (r *report) handlerTarget(name string) (allocs, cpu float64, misses []string) {
	allocs = r.Stats.value(name, "allocs/op")
	cpu = r.Stats.value(name, "cpu-sec/op") * 1e9
	if math.IsNaN(cpu) {
		cpu = r.Stats.value(name, "sec/op") * 1e9
	}
	if !(allocs < allocLimit) {
		misses = append(misses, fmt.Sprintf("allocs by %s", num(allocs-allocLimit+1)))
	}
	if !(cpu < cpuLimitNS) {
		misses = append(misses, fmt.Sprintf("CPU by %s µs", num((cpu-cpuLimitNS)/1e3)))
	}
	return allocs, cpu, misses
}

// HandlerRows are the no-I/O table.
func (r *report) HandlerRows() []row {
	var out []row
	names := append(benchOrder(r.Stats.with("Handler/", "allocs/op")), benchOrder(r.Stats.with("Wire/", "allocs/op"))...)
	for _, n := range names {
		cells := row{n, r.cell(n, "sec/op", 1e9), r.cell(n, "cpu-sec/op", 1e9), num(r.Stats.value(n, "B/op")), num(r.Stats.value(n, "allocs/op"))}
		if !r.judged(n) {
			cells = append(cells, "(whole request: the Wire row carries the target)", "")
		} else if _, _, misses := r.handlerTarget(n); len(misses) > 0 {
			cells = append(cells, "< 50 allocs, < 100 µs CPU", "**missed**: "+strings.Join(misses, ", "))
		} else {
			cells = append(cells, "< 50 allocs, < 100 µs CPU", "met")
		}
		out = append(out, append(cells, r.On()))
	}
	return out
}

// AllocRows are the allocation sites of each handler operation.
func (r *report) AllocRows() []row {
	var out []row
	for _, n := range benchOrder(r.Stats.with("AllocSites/", "sec/op")) {
		m := r.Stats[n]
		units := slices.Collect(maps.Keys(m))
		sort.Slice(units, func(i, j int) bool {
			return m[units[i]].Center > m[units[j]].Center || m[units[i]].Center == m[units[j]].Center && units[i] < units[j]
		})
		op := strings.TrimPrefix(n, "AllocSites/")
		total := r.Stats.value("Handler/"+op, "allocs/op")
		for _, u := range units {
			if fn, ok := strings.CutPrefix(u, "objects:"); ok {
				fn = strings.TrimPrefix(fn, "github.com/contracts-service/contracts/")
				out = append(out, row{op, "`" + fn + "`", num(m[u].Center), fmt.Sprintf("%.0f%%", 100*m[u].Center/total), r.On()})
			}
		}
	}
	return out
}

// ThroughputRows are creates per second by dialect, tenants and clients.
func (r *report) ThroughputRows() []row {
	var out []row
	for _, d := range reportDialects {
		for _, tenants := range []int{1, 32} { // BenchmarkThroughput's spreads
			for _, clients := range []int{1, 8, 32} {
				base := fmt.Sprintf("Throughput/%s/tenants=%d/clients=%d/", d, tenants, clients)
				h, f := r.Stats.value(base+"handler", "creates/s"), r.Stats.value(base+"floor", "creates/s")
				out = append(out, row{d, fmt.Sprint(tenants), fmt.Sprint(clients), num(h), num(f), ratio(h, f), num(r.Stats.value(base+"raw", "creates/s")), r.On()})
			}
		}
	}
	return out
}

// EndToEndRows are the warm requests through the gateway.
func (r *report) EndToEndRows() []row {
	var out []row
	for _, e := range r.EndToEnd {
		base := "EndToEnd/" + e.Dialect + "/get/"
		g, f := r.Stats.value(base+"gateway", "sec/op"), r.Stats.value(base+"floor", "sec/op")
		out = append(out, row{e.Dialect, e.Function, "`" + e.Route + "`", e.AuthorizerTTL.String(), r.cell(base+"gateway", "sec/op", 1e3) + " ms",
			r.cell(base+"floor", "sec/op", 1e3) + " ms", ratio(g, f), num(r.Stats.value(base+"gateway", "invocations/op")),
			num(r.Stats.value(base+"gateway", "roundtrips/op")), num(r.Stats.value(base+"floor", "roundtrips/op")), r.On()})
	}
	return out
}

// scaleName matches a ListScale benchmark's name.
var scaleName = regexp.MustCompile(`^ListScale/([^/]+)/(.+)/contracts=(\d+)$`)

// scaleDialects are BenchmarkListScale's, in report order.
var scaleDialects = []string{"fabric", "Kukkingu", "EasyBilling"}

// ScaleTable is one dialect's list scaling table.
type ScaleTable struct {
	Dialect string
	Sizes   []string
	Rows    []row
}

// ScaleTables are the list pages by the size of what is listed.
func (r *report) ScaleTables() []ScaleTable {
	var tables []ScaleTable
	sizes := strings.Split(r.Settings.Sizes, ",")
	for _, d := range scaleDialects {
		t := ScaleTable{Dialect: d}
		for _, s := range sizes {
			n, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
			t.Sizes = append(t.Sizes, num(n))
		}
		var shapes []string
		for _, n := range r.Stats.with("ListScale/"+d+"/", "p50-ms") {
			m := scaleName.FindStringSubmatch(n)
			if m != nil && !slices.Contains(shapes, m[2]) {
				shapes = append(shapes, m[2])
			}
		}
		sort.SliceStable(shapes, func(i, j int) bool { return scaleRank(shapes[i]) < scaleRank(shapes[j]) })
		for _, shape := range shapes {
			cells := row{shape}
			name := func(size string) string {
				return "ListScale/" + d + "/" + shape + "/contracts=" + strings.TrimSpace(size)
			}
			for _, s := range sizes {
				cells = append(cells, num(r.Stats.value(name(s), "p50-ms")))
			}
			last := name(sizes[len(sizes)-1])
			cells = append(cells, ratio(r.Stats.value(last, "p50-ms"), r.Stats.value(name(sizes[0]), "p50-ms")),
				num(r.Stats.value(last, "read-units")), num(r.Stats.value(last, "round-trips")), r.On())
			t.Rows = append(t.Rows, cells)
		}
		tables = append(tables, t)
	}
	return tables
}

// scaleTargets are fabric's list shapes held to 2x: windows of index keys alone.
var scaleTargets = map[string]bool{"default": true, "status=ACTIVE": true, "offset=20": true, "status=DRAFT,offset=20": true,
	"sortBy=contractId,asc": true, "sortBy=contractId,desc": true, "sortBy=endDate,status=INACTIVE,includeDeleted": true}

// scaleRank keeps the shapes in BenchmarkListScale's order.
func scaleRank(shape string) int {
	order := []string{"default", "status=ACTIVE", "offset=20", "status=DRAFT,offset=20", "sortBy=contractId,asc",
		"sortBy=contractId,desc", "sortBy=endDate,status=INACTIVE,includeDeleted", "offset=1000", "offset=10000", "startDate-in-a-month", "search=acme", "whole-organization"}
	if i := slices.Index(order, shape); i >= 0 {
		return i
	}
	return len(order)
}

// Targets are every target the run judges, in the report's order.
func (r *report) Targets() []target {
	var out []target
	helloInit := r.Stats.value("ColdStart/HelloWorld", "init-ms")
	initCalls := 0
	for _, c := range r.Cold {
		name := "ColdStart/" + coldName(c.ID)
		initCalls = max(initCalls, c.MostInitCalls)
		if c.ID == helloWorldID {
			continue
		}
		d := r.Stats.value(name, "init-ms") - helloInit
		out = append(out, target{Name: c.ID + ": init over hello world (p50)", How: "start to first Runtime API next, median of " + fmt.Sprint(r.Settings.Starts) + " starts, interleaved with hello world",
			Limit: fmt.Sprintf("≤ +%.0f ms", coldLimitMS), Measured: fmt.Sprintf("%+.3f ms", d), Met: d <= coldLimitMS, Miss: fmt.Sprintf("by %.3f ms", d-coldLimitMS)})
	}
	out = append(out, target{Name: "DynamoDB requests during init, all functions", How: "counted by a proxy in front of DynamoDB Local, every start (the most any start made)",
		Limit: "0", Measured: num(float64(initCalls)), Met: initCalls == 0, Miss: "(see section 1)"})
	for _, e := range r.EndToEnd {
		out = append(out, target{Name: e.Dialect + " get end to end: Lambda invocations per warm request", How: "the local gateway's invocation counts, route and authorizer, the most any of " + fmt.Sprint(r.Settings.Rounds) + " requests cost",
			Limit: "1", Measured: num(float64(e.MaxInvocations)), Met: e.MaxInvocations <= 1, Miss: "(see section 3)"})
	}
	for _, d := range reportDialects {
		for _, op := range reportOps {
			out = append(out, r.warmTarget(d, op))
			if op != "list" { // a list page's cost is section 7's target
				out = append(out, r.tripTarget(d, op))
			}
		}
	}
	sizes := strings.Split(r.Settings.Sizes, ",")
	first, last := strings.TrimSpace(sizes[0]), strings.TrimSpace(sizes[len(sizes)-1])
	names := r.Stats.with("ListScale/", "p50-ms")
	rank := func(n string) int {
		m := scaleName.FindStringSubmatch(n)
		return slices.Index(scaleDialects, m[1])*100 + scaleRank(m[2])
	}
	sort.SliceStable(names, func(i, j int) bool { return rank(names[i]) < rank(names[j]) })
	for _, n := range names {
		m := scaleName.FindStringSubmatch(n)
		if m == nil || m[3] != last || (m[1] == "fabric" && !scaleTargets[m[2]]) {
			continue
		}
		small := "ListScale/" + m[1] + "/" + m[2] + "/contracts=" + first
		v := r.Stats.value(n, "p50-ms") / r.Stats.value(small, "p50-ms")
		lastN, _ := strconv.ParseFloat(last, 64)
		firstN, _ := strconv.ParseFloat(first, 64)
		out = append(out, target{Name: fmt.Sprintf("%s list `%s`: p50 at %s over %s", m[1], m[2], num(lastN), num(firstN)), How: "BenchmarkListScale, in-process router over DynamoDB Local",
			Limit: "≤ 2x", Measured: fmt.Sprintf("%.2fx (read units %s → %s)", v, num(r.Stats.value(small, "read-units")), num(r.Stats.value(n, "read-units"))), Met: v <= 2, Miss: "(see section 7)"})
	}
	for _, n := range append(benchOrder(r.Stats.with("Handler/", "allocs/op")), benchOrder(r.Stats.with("Wire/", "allocs/op"))...) {
		if !r.judged(n) {
			continue
		}
		allocs, cpu, _ := r.handlerTarget(n)
		out = append(out,
			target{Name: n + ": allocations per request, no I/O", How: "go test -benchmem, median of " + fmt.Sprint(r.Settings.Count) + " runs", Limit: "< 50", Measured: num(allocs), Met: allocs < allocLimit, Miss: fmt.Sprintf("by %s", num(allocs-allocLimit+1))},
			target{Name: n + ": CPU per request, no I/O", How: "go test benchmark (cpu-ns/op, or ns/op where none), median of " + fmt.Sprint(r.Settings.Count) + " runs", Limit: "< 100 µs", Measured: num(cpu/1e3) + " µs", Met: cpu < cpuLimitNS, Miss: fmt.Sprintf("by %s µs", num((cpu-cpuLimitNS)/1e3))})
	}
	return notMeasured(out)
}

// notMeasured marks the targets whose value is missing from the run.
func notMeasured(ts []target) []target {
	for i := range ts {
		if strings.HasPrefix(ts[i].Measured, "–") || strings.Contains(ts[i].Measured, "NaN") {
			ts[i].Met, ts[i].Measured, ts[i].Miss = false, "–", "(not measured in this run)"
		}
	}
	return ts
}

// Misses are the targets missed.
func (r *report) Misses() []target {
	var out []target
	for _, t := range r.Targets() {
		if !t.Met {
			out = append(out, t)
		}
	}
	return out
}
