package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// results is everything one run measured.
type results struct {
	Settings   settings
	Machine    machine
	Load       []float64
	Artifacts  []artifact
	Cold       []*coldResult
	Warm       []*latency
	Trips      []roundTrips
	Capacity   []capacity
	InProcess  []inProcessCost
	GoBench    []goBench
	GoBenchRaw string
	Allocs     []allocProfile
	Throughput []throughputCell
	Elapsed    time.Duration
}

func jsonBytes(v any) ([]byte, error) { return json.Marshal(v) }

// The targets the service holds itself to.
const (
	// coldStartBudget is what a function's init may add to a hello-world
	// Go function's.
	coldStartBudget = 4 * time.Millisecond
	// lambdaPerfGoInit is Go's cold start on provided.al2023 arm64 as the
	// public lambda-perf benchmark measures it on Lambda.
	lambdaPerfGoInit = "about 42 ms"
	// maxAllocs and maxCPU bound one request's handler work without I/O.
	maxAllocs = 50
	maxCPU    = 100 * time.Microsecond
)

// warmTarget is the largest handler/floor ratio of an operation's p50.
func warmTarget(op string) float64 {
	if op == "create" {
		return 1.2
	}
	return 1.1
}

// tripTarget is the most DynamoDB round trips an operation may take.
func tripTarget(op string) int {
	if op == "create" {
		return 2
	}
	return 1
}

// verdict is one target, as measured.
type verdict struct {
	Kind string // cold, init-calls, warm, trips, allocs, cpu
	What string
	// How says how it was measured, in short.
	How      string
	Target   string
	Measured string
	Met      bool
	// Miss says by how much a missed target was missed.
	Miss string
}

func (v verdict) cell() string {
	if v.Met {
		return "met"
	}
	return "**missed** by " + v.Miss
}

func (r *results) hello() *coldResult {
	for _, c := range r.Cold {
		if c.ID == helloWorldID {
			return c
		}
	}
	return nil
}

func (r *results) goBench(dialect, op string) (goBench, bool) {
	name := "BenchmarkHandler/" + strings.ToLower(dialect) + "/" + op
	for _, b := range r.GoBench {
		if b.Name == name {
			return b, true
		}
	}
	return goBench{}, false
}

// cpuPerOp is a benchmark's CPU per request: its cpu-ns/op where the
// platform reports it, else its wall time.
func cpuPerOp(b goBench) (float64, string) {
	if v := b.median("cpu-ns/op"); !math.IsNaN(v) {
		return v, "cpu-ns/op"
	}
	return b.median("ns/op"), "ns/op"
}

// verdicts checks every target against the results.
func (r *results) verdicts() []verdict {
	var vs []verdict
	hello := r.hello()
	starts, initCalls := 0, 0
	for _, c := range r.Cold {
		for _, n := range c.InitCalls {
			starts++
			initCalls += n
		}
		if c == hello || hello == nil {
			continue
		}
		d := percentile(c.Init, 50) - percentile(hello.Init, 50)
		v := verdict{Kind: "cold", What: c.ID + ": init over hello world (p50)", Target: fmt.Sprintf("≤ +%g ms", coldStartBudget.Seconds()*1000),
			How:      fmt.Sprintf("start to first Runtime API next, median of %d starts, interleaved with hello world", len(c.Init)),
			Measured: signedMS(d) + " ms", Met: d <= coldStartBudget}
		if !v.Met {
			v.Miss = ms(d-coldStartBudget) + " ms"
		}
		vs = append(vs, v)
	}
	vs = append(vs, verdict{Kind: "init-calls", What: "DynamoDB requests during init, all functions", Target: "0",
		How:      "counted by a proxy in front of DynamoDB Local, every start",
		Measured: fmt.Sprintf("%d in %d starts", initCalls, starts), Met: initCalls == 0, Miss: fmt.Sprintf("%d requests", initCalls)})
	for _, l := range r.Warm {
		ours, fl := percentile(l.Ours, 50), percentile(l.Floor, 50)
		q := float64(ours) / float64(fl)
		t := warmTarget(l.Op)
		v := verdict{Kind: "warm", What: fmt.Sprintf("%s %s: handler / floor (p50)", l.Dialect, l.Op), Target: fmt.Sprintf("≤ %.2fx", t),
			How:      fmt.Sprintf("in-process router on DynamoDB Local vs the same SDK calls replayed, %d interleaved rounds", len(l.Ours)),
			Measured: fmt.Sprintf("%.3fx", q), Met: q <= t}
		if !v.Met {
			v.Miss = fmt.Sprintf("%.3fx (%s ms over the %s ms allowed)", q-t, ms(ours-time.Duration(t*float64(fl))), ms(time.Duration(t*float64(fl))))
		}
		vs = append(vs, v)
	}
	for _, tr := range r.Trips {
		t := tripTarget(tr.Op)
		v := verdict{Kind: "trips", What: fmt.Sprintf("%s %s: DynamoDB round trips", tr.Dialect, tr.Op), Target: fmt.Sprintf("≤ %d", t),
			How:      "HTTP requests counted at the SDK client's HTTPClient, 20 calls, most seen",
			Measured: tripRange(tr), Met: tr.Max <= t}
		if !v.Met {
			v.Miss = fmt.Sprintf("%d", tr.Max-t)
			if _, ok := byDesign(tr.Dialect, tr.Op); ok {
				v.Miss += " (by the dialect's design: see Misses)"
			}
		}
		vs = append(vs, v)
	}
	for _, b := range r.GoBench {
		if !judged(b, r.GoBench) {
			continue
		}
		name := strings.TrimPrefix(b.Name, "Benchmark")
		scope := "a whole request over an in-memory store"
		if strings.HasPrefix(b.Name, "BenchmarkWire/") {
			scope = "decode, validate, map and encode alone (the dialect's BenchmarkWire)"
		}
		allocs := b.median("allocs/op")
		v := verdict{Kind: "allocs", What: name + ": allocations per request, no I/O", Target: fmt.Sprintf("< %d", maxAllocs),
			How:      fmt.Sprintf("go test -benchmem, %s, median of %d runs", scope, len(b.Values["allocs/op"])),
			Measured: formatValue(allocs), Met: allocs < maxAllocs}
		if !v.Met {
			v.Miss = fmt.Sprintf("%.0f (%.1fx)", allocs-maxAllocs+1, allocs/maxAllocs)
		}
		vs = append(vs, v)
		cpu, unit := cpuPerOp(b)
		c := verdict{Kind: "cpu", What: name + ": CPU per request, no I/O", Target: fmt.Sprintf("< %d µs", maxCPU.Microseconds()),
			How:      fmt.Sprintf("go test benchmark, %s (%s), median of %d runs", scope, unit, len(b.Values[unit])),
			Measured: us(int64(cpu)), Met: cpu < float64(maxCPU.Nanoseconds())}
		if !c.Met {
			c.Miss = us(int64(cpu) - maxCPU.Nanoseconds())
		}
		vs = append(vs, c)
	}
	return vs
}

// us formats nanoseconds as microseconds.
func us(ns int64) string { return fmt.Sprintf("%.1f µs", float64(ns)/1000) }

func tripRange(tr roundTrips) string {
	if tr.Min == tr.Max {
		return fmt.Sprint(tr.Max)
	}
	return fmt.Sprintf("%d–%d", tr.Min, tr.Max)
}

// table writes a Markdown table.
type table struct {
	b    *strings.Builder
	cols int
}

func newTable(b *strings.Builder, header ...string) *table {
	b.WriteString("| " + strings.Join(header, " | ") + " |\n")
	b.WriteString("|" + strings.Repeat("---|", len(header)) + "\n")
	return &table{b: b, cols: len(header)}
}

func (t *table) row(cells ...string) {
	for len(cells) < t.cols {
		cells = append(cells, "")
	}
	for i, c := range cells {
		cells[i] = strings.ReplaceAll(c, "|", `\|`)
	}
	t.b.WriteString("| " + strings.Join(cells, " | ") + " |\n")
}

// render writes the whole report.
func render(r *results) string {
	var b strings.Builder
	m := r.Machine
	on := m.label()
	s := r.Settings
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (`infra/dynamodb-local.sh run -- go run ./bench`) on %s, in %s; "+
		"regenerate it rather than edit it. The numbers only report: no target fails a run.\n\n",
		m.Date.Format("2006-01-02 15:04 MST"), r.Elapsed.Round(time.Second))

	fmt.Fprintf(&b, "## Machine\n\n")
	fmt.Fprintf(&b, "Every row below was measured on this machine, in one run; its **on** column repeats the short form `%s`.\n\n", on)
	t := newTable(&b, "", "")
	t.row("CPU", fmt.Sprintf("%s, %d logical CPUs (runtime.NumCPU)", m.CPUModel, m.CPUs))
	t.row("OS / architecture", m.GOOS+" / "+m.GOARCH+" (bootstraps are built for it, not for Lambda's arm64)")
	if m.MemoryMiB > 0 {
		t.row("Memory", fmt.Sprintf("%.1f GiB", float64(m.MemoryMiB)/1024))
	}
	t.row("Go", m.GoVersion)
	t.row("DynamoDB Local", m.DynamoDBLocal+", in memory, on the same machine")
	if len(r.Load) > 0 {
		lo, hi, sum := r.Load[0], r.Load[0], 0.0
		for _, v := range r.Load {
			lo, hi, sum = math.Min(lo, v), math.Max(hi, v), sum+v
		}
		t.row("Load average (1 min) during the run", fmt.Sprintf("%.1f to %.1f, mean %.1f, on %d CPUs: the benchmarks shared the machine with whatever else ran; the comparisons interleave so both sides see the same load", lo, hi, sum/float64(len(r.Load)), m.CPUs))
	}
	t.row("Counts", fmt.Sprintf("%d cold starts per bootstrap (+1 unrecorded, +%d traced); %d warm rounds after %d unrecorded; %d creates per throughput run; go test -count %d",
		s.Starts, traceStarts, s.Rounds, s.Warmup, s.Creates, s.Count))
	b.WriteString("\n")

	vs := r.verdicts()
	fmt.Fprintf(&b, "## Targets\n\n")
	t = newTable(&b, "Target", "How", "Limit", "Measured", "Verdict", "on")
	for _, v := range vs {
		t.row(v.What, v.How, v.Target, v.Measured, v.cell(), on)
	}
	b.WriteString("\n")

	renderCold(&b, r, on)
	renderArtifacts(&b, r, on)
	renderWarm(&b, r, on)
	renderTrips(&b, r, on)
	renderGoBench(&b, r, on)
	renderThroughput(&b, r, on)
	renderMisses(&b, r, vs)

	fmt.Fprintf(&b, "## Raw `go test` output\n\n")
	args := goBenchArgs(s.Count)
	for i, a := range args {
		if strings.ContainsAny(a, "^$*") {
			args[i] = "'" + a + "'"
		}
	}
	fmt.Fprintf(&b, "`%s %s`, as run for section 5; benchstat reads it as is.\n\n", s.Go, strings.Join(args, " "))
	b.WriteString("```\n" + strings.TrimRight(r.GoBenchRaw, "\n") + "\n```\n")
	return b.String()
}

func renderCold(b *strings.Builder, r *results, on string) {
	hello := r.hello()
	fmt.Fprintf(b, "## 1. Cold start\n\n")
	fmt.Fprintf(b, "Each bootstrap, built with its Makefile target (`make build-<LogicalId> ARCH=%s GOOS=%s`), and a hello-world aws-lambda-go "+
		"function built with the very same recipe, started %d times each as new processes under the local Lambda Runtime API emulation "+
		"(infra/local/runtimeapi), round-robin in a fresh random order per round. **init** is the time from the process's start to its "+
		"first `next` request to the Runtime API (Lambda's Init phase); **first answer** is the time from the start to the answer of its "+
		"first request: for the authorizer an authorizer event with a valid token, for a function that serves a registered dialect a "+
		"read of an existing contract, for any other its first GET route. DynamoDB requests are counted by a proxy in front of DynamoDB "+
		"Local that the functions' AWS_ENDPOINT_URL_DYNAMODB points at.\n\n",
		r.Machine.GOARCH, r.Machine.GOOS, r.Settings.Starts)
	fmt.Fprintf(b, "On Lambda, Go on provided.al2023 arm64 starts in %s (the public lambda-perf benchmark), nearly all of it Lambda's own "+
		"environment setup. What a function adds over hello world is what our code costs; the target is at most +%g ms.\n\n",
		lambdaPerfGoInit, coldStartBudget.Seconds()*1000)
	t := newTable(b, "Function", "first request", "answer", "init p50", "init p90", "init − hello (p50)", "init / hello (p50)",
		"first answer p50", "first answer p90", "first answer − hello (p50)", "first answer / hello (p50)", "DynamoDB requests in init", "in first request", "on")
	for _, c := range r.Cold {
		d, q, da, qa := "", "", "", ""
		if hello != nil && c != hello {
			d = signedMS(percentile(c.Init, 50)-percentile(hello.Init, 50)) + " ms"
			q = ratio(float64(percentile(c.Init, 50)), float64(percentile(hello.Init, 50)))
			da = signedMS(percentile(c.Answer, 50)-percentile(hello.Answer, 50)) + " ms"
			qa = ratio(float64(percentile(c.Answer, 50)), float64(percentile(hello.Answer, 50)))
		}
		t.row(c.ID, c.First, c.Answered, ms(percentile(c.Init, 50))+" ms", ms(percentile(c.Init, 90))+" ms", d, q,
			ms(percentile(c.Answer, 50))+" ms", ms(percentile(c.Answer, 90))+" ms", da, qa,
			fmt.Sprintf("%d (max of %d)", maxInt(c.InitCalls), len(c.InitCalls)), fmt.Sprintf("%d", maxInt(c.RequestCalls)), on)
	}
	b.WriteString("\n")
	var firsts []string
	for _, c := range r.Cold {
		d := dialectOf(c.ID)
		if d == nil {
			continue
		}
		for _, l := range r.Warm {
			if l.Dialect != d.Name || l.Op != "get" {
				continue
			}
			first := percentile(c.Answer, 50) - percentile(c.Init, 50)
			warm := percentile(l.Ours, 50)
			firsts = append(firsts, fmt.Sprintf("%s answers its first %s get %s ms after its init, where a warm get takes %s ms "+
				"(section 3), %s ms more", c.ID, d.Name, ms(first), ms(warm), ms(first-warm)))
		}
	}
	if len(firsts) > 0 {
		fmt.Fprintf(b, "No target covers the first request, but it is part of what a client waits for: %s. The difference is paid once "+
			"per execution environment: most likely the SDK's first call (opening the connection, resolving the endpoint and "+
			"credentials, deriving the signing key, filling reflection caches) and the first use of the handler's own caches. "+
			"On Lambda a TLS handshake to DynamoDB adds to it.\n\n", strings.Join(firsts, "; "))
	}
	fmt.Fprintf(b, "Where init goes before `main`: Go runs every linked package's initializer first. `GODEBUG=inittrace=1`, per package the "+
		"median of %d traced starts (tracing slows a start; these are not part of the figures above):\n\n", traceStarts)
	t = newTable(b, "Function", "packages", "package init", "− hello", "allocs", "heaviest packages", "on")
	for _, c := range r.Cold {
		var heavy []string
		for i, p := range c.Trace.All {
			if i == 3 {
				break
			}
			heavy = append(heavy, fmt.Sprintf("%s %s ms", p.Package, ms(p.Clock)))
		}
		d := ""
		if hello != nil && c != hello {
			d = signedMS(c.Trace.Clock-hello.Trace.Clock) + " ms"
		}
		t.row(c.ID, fmt.Sprint(c.Trace.Packages), ms(c.Trace.Clock)+" ms", d, fmt.Sprint(c.Trace.Allocs), strings.Join(heavy, ", "), on)
	}
	b.WriteString("\n")
	fmt.Fprintf(b, "The same package init by what links it in:\n\n")
	groups := initGroupNames()
	header := append([]string{"Function"}, groups...)
	t = newTable(b, append(header, "on")...)
	for _, c := range r.Cold {
		sums := groupInit(c.Trace)
		row := []string{c.ID}
		for _, g := range groups {
			row = append(row, ms(sums[g])+" ms")
		}
		t.row(append(row, on)...)
	}
	b.WriteString("\n")
}

// initGroups sorts packages by what brings them into a binary; the first
// matching prefix wins.
var initGroups = []struct{ name, prefix string }{
	{"SDK default config and credential chain", "github.com/aws/aws-sdk-go-v2/config"},
	{"SDK default config and credential chain", "github.com/aws/aws-sdk-go-v2/credentials"},
	{"SDK default config and credential chain", "github.com/aws/aws-sdk-go-v2/feature/ec2/imds"},
	{"SDK default config and credential chain", "github.com/aws/aws-sdk-go-v2/service/sso"},
	{"SDK default config and credential chain", "github.com/aws/aws-sdk-go-v2/service/sts"},
	{"SDK default config and credential chain", "github.com/aws/aws-sdk-go-v2/service/signin"},
	{"SDK default config and credential chain", "github.com/aws/aws-sdk-go-v2/internal/v4a"},
	{"SDK default config and credential chain", "github.com/aws/aws-sdk-go-v2/aws/protocol/"},
	{"SDK default config and credential chain", "github.com/aws/smithy-go/encoding/xml"},
	{"DynamoDB client and SDK core", "github.com/aws/aws-sdk-go-v2"},
	{"DynamoDB client and SDK core", "github.com/aws/smithy-go"},
	{"validator and its dependencies", "github.com/go-playground/"},
	{"validator and its dependencies", "github.com/gabriel-vasile/"},
	{"validator and its dependencies", "github.com/leodido/"},
	{"validator and its dependencies", "golang.org/x/"},
	{"the service's packages", "github.com/contracts-service/"},
	{"aws-lambda-go", "github.com/aws/aws-lambda-go"},
}

const otherInitGroup = "Go runtime and standard library"

func initGroupNames() []string {
	var names []string
	seen := map[string]bool{}
	for _, g := range initGroups {
		if !seen[g.name] {
			seen[g.name] = true
			names = append(names, g.name)
		}
	}
	return append(names, otherInitGroup)
}

func initGroupOf(pkg string) string {
	for _, g := range initGroups {
		if strings.HasPrefix(pkg, g.prefix) {
			return g.name
		}
	}
	return otherInitGroup
}

func groupInit(tr initTrace) map[string]time.Duration {
	sums := map[string]time.Duration{}
	for _, p := range tr.All {
		sums[initGroupOf(p.Package)] += p.Clock
	}
	return sums
}

// ofWhich names the parts of a function's package init.
func ofWhich(parts []string) string {
	if len(parts) == 0 {
		return "none of it in the dependencies this report names"
	}
	return "of which " + strings.Join(parts, ", ")
}

// initOf is the init time of the packages whose path starts with prefix.
func initOf(tr initTrace, prefix string) time.Duration {
	var sum time.Duration
	for _, p := range tr.All {
		if strings.HasPrefix(p.Package, prefix) {
			sum += p.Clock
		}
	}
	return sum
}

func maxInt(xs []int) int {
	m := 0
	for _, x := range xs {
		if x > m {
			m = x
		}
	}
	return m
}

func renderArtifacts(b *strings.Builder, r *results, on string) {
	fmt.Fprintf(b, "## 2. Artifacts\n\n")
	fmt.Fprintf(b, "The bootstraps of section 1 (built for %s/%s; Lambda's arm64 builds differ by a few percent), and the deployment "+
		"package sam would upload: the bootstrap alone in a zip, Deflate, made in memory with archive/zip.\n\n", r.Machine.GOOS, r.Machine.GOARCH)
	var hello artifact
	for _, a := range r.Artifacts {
		if a.Function == helloWorldID {
			hello = a
		}
	}
	t := newTable(b, "Function", "bootstrap", "zip", "zip / hello", "on")
	for _, a := range r.Artifacts {
		t.row(a.Function, bytesHuman(a.Bootstrap), bytesHuman(a.Zip), ratio(float64(a.Zip), float64(hello.Zip)), on)
	}
	b.WriteString("\n")
}

func renderWarm(b *strings.Builder, r *results, on string) {
	fmt.Fprintf(b, "## 3. Warm latency\n\n")
	fmt.Fprintf(b, "Each dialect's router (shared/endpoints, as the function's main builds it) over a ddb.Store on DynamoDB Local, called "+
		"in-process with API Gateway HTTP API events that carry the authorizer's context, in one process; beside it the **floor**: the "+
		"very DynamoDB operations the handler issued, captured from a real call and replayed with the SDK alone, in the same order "+
		"(same items, same sizes). A create's replay writes new items, as a create does: each number the create drew (its contract "+
		"number, and EasyBilling's action number) becomes the number the replay's own update of that counter returns, formatted "+
		"alike, and every other value the create generated (ids, and the unique values its request chose) a random one of the same "+
		"shape and length. Each dialect has a tenant of its own, seeded through the dialect with %d contracts, so a list of "+
		"contracts reads a full page. %d rounds after %d unrecorded, each round one of every operation of every dialect through the handler and "+
		"through the floor, back to back, which one first alternating, so noise hits both alike. The same SDK client (and "+
		"connection pool) serves both.\n\n",
		seedContracts, r.Settings.Rounds, r.Settings.Warmup)
	renderRequests(b)
	t := newTable(b, "Dialect", "operation", "handler p50", "handler p99", "floor p50", "floor p99", "handler / floor p50", "handler / floor p99", "target", "verdict", "floor's operations", "on")
	for _, l := range r.Warm {
		ours50, fl50 := percentile(l.Ours, 50), percentile(l.Floor, 50)
		q := float64(ours50) / float64(fl50)
		target := warmTarget(l.Op)
		verdict := "met"
		if q > target {
			verdict = fmt.Sprintf("**missed** by %.3fx", q-target)
		}
		t.row(l.Dialect, l.Op, ms(ours50)+" ms", ms(percentile(l.Ours, 99))+" ms", ms(fl50)+" ms", ms(percentile(l.Floor, 99))+" ms",
			fmt.Sprintf("%.3fx", q), ratio(float64(percentile(l.Ours, 99)), float64(percentile(l.Floor, 99))),
			fmt.Sprintf("≤ %.2fx", target), verdict, opsString(l.FloorOps), on)
	}
	b.WriteString("\n")
	if len(r.InProcess) == 0 {
		return
	}
	fmt.Fprintf(b, "What the difference is made of: the same requests served in-process with DynamoDB's answers replayed from "+
		"memory (the very bytes DynamoDB Local sent to each captured call), so no network and no database run, only the process's "+
		"own work: the handler through ddb.Store and the SDK, the floor through the SDK alone, in alternating turns. CPU is the "+
		"process's user and system time per request, garbage collection included; **handler − floor** is what the service's code "+
		"adds to the SDK's; the last column is the dialect's share of it, measured over an in-memory store in section 5.\n\n")
	t = newTable(b, "Dialect", "operation", "handler CPU", "floor CPU", "handler − floor", "handler allocs", "floor allocs", "handler wall", "floor wall", "dialect alone (section 5)", "on")
	for _, c := range r.InProcess {
		dialect := ""
		if g, ok := r.goBench(c.Dialect, c.Op); ok {
			v, _ := cpuPerOp(g)
			dialect = us(int64(v))
		}
		t.row(c.Dialect, c.Op, us(c.Handler.CPU.Nanoseconds()), us(c.Floor.CPU.Nanoseconds()), us((c.Handler.CPU - c.Floor.CPU).Nanoseconds()),
			fmt.Sprintf("%.0f", c.Handler.Allocs), fmt.Sprintf("%.0f", c.Floor.Allocs), us(c.Handler.Wall.Nanoseconds()), us(c.Floor.Wall.Nanoseconds()), dialect, on)
	}
	b.WriteString("\n")
}

// renderRequests lists the requests each dialect's operations send, and
// how they differ from the samples they come from.
func renderRequests(b *strings.Builder) {
	if len(dialects) == 0 {
		return
	}
	fmt.Fprintf(b, "The requests are the samples of infra/events, bodies as sent, so the items written are the size real clients cause:\n\n")
	t := newTable(b, "Dialect", "function", "create", "get", "list")
	route := func(ev events.APIGatewayV2HTTPRequest) string { return "`" + ev.RouteKey + "`" }
	var notes []string
	for i := range dialects {
		d := &dialects[i]
		c := Created{ID: "{id}", Scope: "{id}"}
		list := route(d.List(benchTenant, c))
		if d.ListWhat != "" {
			list += ": " + d.ListWhat
		}
		t.row(d.Name, d.Function, route(d.Create(benchTenant)), route(d.Get(benchTenant, c)), list)
		if d.Notes != "" {
			notes = append(notes, fmt.Sprintf("- **%s**: %s", d.Name, d.Notes))
		}
	}
	b.WriteString("\n")
	if len(notes) > 0 {
		b.WriteString(strings.Join(notes, "\n") + "\n\n")
	}
}

// dialectNamed returns the registered dialect of that name, or nil.
func dialectNamed(name string) *Dialect {
	for i := range dialects {
		if dialects[i].Name == name {
			return &dialects[i]
		}
	}
	return nil
}

// byDesign returns the dialect's explanation of an operation's round
// trips beyond its target, if it has one.
func byDesign(dialect, op string) (TripNote, bool) {
	d := dialectNamed(dialect)
	if d == nil {
		return TripNote{}, false
	}
	n, ok := d.ByDesign[op]
	return n, ok
}

func renderTrips(b *strings.Builder, r *results, on string) {
	fmt.Fprintf(b, "## 4. DynamoDB round trips and consumed capacity\n\n")
	fmt.Fprintf(b, "Round trips are the HTTP requests the SDK client sent (its aws.HTTPClient wrapped to count them, so retries would "+
		"count), over 20 calls of each operation through the handler. Consumed capacity comes from a second pass through a client that "+
		"asks every call for ReturnConsumedCapacity TOTAL: the handler's own calls and the floor's replays, averaged over 5 calls. "+
		"Request bytes are what the handler's call that the floor was captured from sent, and what a replay of the floor sent: "+
		"equal bytes mean the floor wrote and read the same items. (Two creates of one request can differ by a byte per timestamp: "+
		"the store writes instants with RFC 3339's shortest fraction, trailing zeros dropped.)\n\n")
	caps := map[string]capacity{}
	for _, c := range r.Capacity {
		caps[c.Dialect+"/"+c.Op] = c
	}
	t := newTable(b, "Dialect", "operation", "round trips", "target", "verdict", "operations", "request bytes (handler / floor)",
		"capacity units, handler", "capacity units, floor", "on")
	for _, tr := range r.Trips {
		target := tripTarget(tr.Op)
		verdict := "met"
		if tr.Max > target {
			verdict = fmt.Sprintf("**missed** by %d", tr.Max-target)
			if _, ok := byDesign(tr.Dialect, tr.Op); ok {
				verdict += " (by the dialect's design: see Misses)"
			}
		}
		c := caps[tr.Dialect+"/"+tr.Op]
		t.row(tr.Dialect, tr.Op, tripRange(tr), fmt.Sprintf("≤ %d", target), verdict, opsString(tr.Ops),
			fmt.Sprintf("%d / %d", tr.Bytes, tr.FloorBytes),
			capacityCell(c.Ours, c.OursPerCall, tr.Ops, c.OursReported), capacityCell(c.Floor, c.FloorPerCall, tr.FloorOps, c.FloorReported), on)
	}
	b.WriteString("\n")
	fmt.Fprintf(b, "There is no target for capacity. The units follow DynamoDB's on-demand rules: a read unit per 4 KB read "+
		"strongly consistent, half that for eventually consistent reads (index queries are), a write unit per 1 KB written, twice "+
		"that inside a transaction, and each write of an item also writes its entries in the indexes it is projected into (GSI1 and "+
		"GSI2 project ALL, so a contract is written three times).\n\n")
}

// capacityCell shows an operation's units and each call's share.
func capacityCell(total float64, perCall []float64, ops []string, reported bool) string {
	if !reported {
		return "not reported by DynamoDB Local"
	}
	var parts []string
	if len(perCall) == len(ops) && len(ops) > 1 {
		for i, u := range perCall {
			parts = append(parts, fmt.Sprintf("%s %g", ops[i], u))
		}
		return fmt.Sprintf("%g (%s)", total, strings.Join(parts, " + "))
	}
	return fmt.Sprintf("%g", total)
}

func renderGoBench(b *strings.Builder, r *results, on string) {
	fmt.Fprintf(b, "## 5. Handler CPU and allocations, no I/O\n\n")
	fmt.Fprintf(b, "Go benchmarks with `b.ReportAllocs`, medians of %d runs (`-count %d`), of two scopes:\n\n"+
		"- **Wire/<dialect>/<op>** (`BenchmarkWire` in each dialect's package): the dialect's own work on a request and nothing "+
		"else: decode and validate the body, map it to the domain, encode the answer (for a list, encode a page of 20). This is the "+
		"scope of the target (\"decode+validate+encode\"), and these rows carry it.\n"+
		"- **Handler/<dialect>/<op>** (bench/handler_bench_test.go): the dialect's router served in-process over an in-memory store "+
		"(bench/internal/memstore), from the API Gateway event to the response: routing, decoding, validation, mapping, the domain's "+
		"rules, the store's work in memory, encoding, the request's log line (JSON, to a discarded writer). It shows what the rest of "+
		"the request adds; an operation without a wire row is held to the target on this stricter measure.\n\n"+
		"**cpu-ns/op** is the process's user+system CPU time per request, garbage collection on other threads included; **ns/op** "+
		"is wall time, which other load on the machine inflates (where no cpu-ns/op is reported, ns/op stands for CPU).\n\n",
		r.Settings.Count, r.Settings.Count)
	unitList := units(r.GoBench)
	header := append([]string{"Benchmark"}, unitList...)
	header = append(header, "targets", "verdict", "on")
	t := newTable(b, header...)
	for _, g := range r.GoBench {
		row := []string{strings.TrimPrefix(g.Name, "Benchmark")}
		for _, u := range unitList {
			row = append(row, formatValue(g.median(u)))
		}
		allocs := g.median("allocs/op")
		cpu, _ := cpuPerOp(g)
		var misses []string
		if allocs >= maxAllocs {
			misses = append(misses, fmt.Sprintf("allocs by %.0f", allocs-maxAllocs+1))
		}
		if cpu >= float64(maxCPU.Nanoseconds()) {
			misses = append(misses, "CPU by "+us(int64(cpu)-maxCPU.Nanoseconds()))
		}
		verdict := "met"
		if len(misses) > 0 {
			verdict = "**missed**: " + strings.Join(misses, ", ")
		}
		target := fmt.Sprintf("< %d allocs, < %d µs CPU", maxAllocs, maxCPU.Microseconds())
		if !judged(g, r.GoBench) {
			target, verdict = "(whole request: the Wire row carries the target)", ""
		}
		t.row(append(row, target, verdict, on)...)
	}
	b.WriteString("\n")
	if len(r.Allocs) > 0 {
		fmt.Fprintf(b, "Where the allocations come from: the same requests over the same in-memory store, %d of each, served with "+
			"every allocation profiled (`runtime.MemProfileRate = 1`); per operation, the functions that allocated most objects "+
			"(the top of each allocation's stack, runtime internals skipped, as `pprof -top` counts flat allocations; the service's own packages by their path in the module):\n\n", allocProfileRuns)
		t := newTable(b, "Handler", "allocating function", "objects per request", "share", "on")
		for _, p := range r.Allocs {
			for _, s := range p.Sites {
				fn := strings.TrimPrefix(s.Function, "github.com/contracts-service/contracts/")
				t.row(p.Name, "`"+fn+"`", fmt.Sprintf("%.1f", s.PerRequest), fmt.Sprintf("%.0f%%", s.Share*100), on)
			}
		}
		b.WriteString("\n")
	}
}

func renderThroughput(b *strings.Builder, r *results, on string) {
	fmt.Fprintf(b, "## 6. Throughput\n\n")
	fmt.Fprintf(b, "Creates per second through the handler (in-process, as in section 3) with 1, 8 and 32 concurrent clients, all in one "+
		"tenant (one counter item, one partition) and spread over %d tenants, beside the same creates' floor (every DynamoDB operation "+
		"of a create, replayed as in section 3: the counter update and the transaction, and for Aira and EasyBilling the plan read, "+
		"for EasyBilling the action counter too) and DynamoDB Local's raw TransactWriteItems of the same items alone (the numbers "+
		"taken outside every counter's range). Each cell is %d creates of each kind (bounded to %s per kind), in %d slices that take "+
		"turns, so a burst of other load lands on all three; the handler's requests of a slice are built before it starts. The "+
		"dialects run one after the other in the same tenants, so they share each tenant's contract counter, as in production.\n\n",
		throughputTenants, r.Settings.Creates, r.Settings.RunLimit, throughputChunks)
	t := newTable(b, "Dialect", "tenants", "clients", "handler creates/s", "floor creates/s", "handler / floor", "raw TransactWriteItems/s", "errors (handler, floor, raw)", "on")
	for _, c := range r.Throughput {
		errs := fmt.Sprintf("%d, %d, %d", c.Ours.Errors, c.Floor.Errors, c.Raw.Errors)
		for _, x := range []rate{c.Ours, c.Floor, c.Raw} {
			if x.FirstErr != "" {
				errs += "; first: " + truncate(x.FirstErr, 120)
				break
			}
		}
		cut := ""
		if c.Ours.Cut || c.Floor.Cut || c.Raw.Cut {
			cut = " (time bound reached)"
		}
		t.row(c.Dialect, fmt.Sprint(c.Tenants), fmt.Sprint(c.Clients), fmt.Sprintf("%.0f%s", c.Ours.perSecond(), cut), fmt.Sprintf("%.0f", c.Floor.perSecond()),
			ratio(c.Ours.perSecond(), c.Floor.perSecond()), fmt.Sprintf("%.0f", c.Raw.perSecond()), errs, on)
	}
	b.WriteString("\n")
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, c := range r.Throughput {
		if q := c.Ours.perSecond() / c.Floor.perSecond(); !math.IsNaN(q) && !math.IsInf(q, 0) {
			lo, hi = math.Min(lo, q), math.Max(hi, q)
		}
	}
	fmt.Fprintf(b, "There is no target here. DynamoDB Local is one JVM process on the same %d CPUs as the benchmark and serialises much "+
		"of its work, so these figures say how the service scales against it, not what DynamoDB itself sustains (on demand, a table "+
		"serves thousands of writes per second per partition; a single item, such as a tenant's counter, up to 1,000).", r.Machine.CPUs)
	if lo <= hi {
		fmt.Fprintf(b, " The handler's own work per create (%s, section 5) is small against DynamoDB Local's "+
			"milliseconds, so handler / floor only scatters around 1 here (%.2fx to %.2fx) as other load comes and goes; a ratio "+
			"well below that scatter across all cells would be the handler holding a lock or a connection.", createWork(r), lo, hi)
	}
	b.WriteString("\n\n")
}

// createWork says how much CPU a create costs the dialects' handlers on
// their own, from section 5's benchmarks.
func createWork(r *results) string {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, d := range dialects {
		if g, ok := r.goBench(d.Name, "create"); ok {
			v, _ := cpuPerOp(g)
			if !math.IsNaN(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	switch {
	case lo > hi:
		return "tens of microseconds of CPU"
	case lo == hi:
		return us(int64(lo)) + " of CPU"
	}
	return us(int64(lo)) + " to " + us(int64(hi)) + " of CPU, by dialect"
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// renderMisses explains each missed target: the likely reason, from what
// this run measured, and what would close the gap.
func renderMisses(b *strings.Builder, r *results, vs []verdict) {
	missed := map[string][]verdict{}
	for _, v := range vs {
		if !v.Met {
			missed[v.Kind] = append(missed[v.Kind], v)
		}
	}
	fmt.Fprintf(b, "## Misses: likely reasons and plans\n\n")
	if len(missed) == 0 {
		fmt.Fprintf(b, "Every target was met in this run.\n\n")
		return
	}
	for _, kind := range []string{"cold", "init-calls", "warm", "trips", "allocs", "cpu"} {
		list := missed[kind]
		if len(list) == 0 {
			continue
		}
		var names []string
		for _, v := range list {
			names = append(names, v.What+" "+v.Measured+" (limit "+v.Target+")")
		}
		fmt.Fprintf(b, "### %s\n\n", missTitle(kind))
		fmt.Fprintf(b, "Missed: %s.\n\n", strings.Join(names, "; "))
		b.WriteString(missDiagnosis(kind, r))
		b.WriteString("\n")
	}
}

func missTitle(kind string) string {
	return map[string]string{
		"cold":       "Cold start over hello world",
		"init-calls": "DynamoDB requests during init",
		"warm":       "Warm latency over the floor",
		"trips":      "Round trips",
		"allocs":     "Allocations per request",
		"cpu":        "CPU per request",
	}[kind]
}

// missDiagnosis writes the reason and plan of one kind of miss, with the
// numbers of this run that support it.
func missDiagnosis(kind string, r *results) string {
	var b strings.Builder
	switch kind {
	case "cold":
		hello := r.hello()
		var worst *coldResult
		for _, c := range r.Cold {
			if c != hello && (worst == nil || percentile(c.Init, 50) > percentile(worst.Init, 50)) {
				worst = c
			}
		}
		if hello == nil || worst == nil {
			return ""
		}
		hs, ws := groupInit(hello.Trace), groupInit(worst.Trace)
		var art, helloArt artifact
		for _, a := range r.Artifacts {
			switch a.Function {
			case worst.ID:
				art = a
			case helloWorldID:
				helloArt = a
			}
		}
		dInit := percentile(worst.Init, 50) - percentile(hello.Init, 50)
		dPkg := worst.Trace.Clock - hello.Trace.Clock
		// The parts named are those this run measured: a part the
		// service has already cut is neither blamed nor planned for.
		var parts []string
		part := func(group, what string) {
			if v := ws[group] - hs[group]; v > 0 {
				parts = append(parts, fmt.Sprintf("%s %s ms", what, ms(v)))
			}
		}
		part("DynamoDB client and SDK core", "the DynamoDB client and SDK core")
		part("SDK default config and credential chain", "the SDK's default config and credential chain (SSO, SSO OIDC, STS, sign-in, "+
			"IMDS, shared config files: `config.LoadDefaultConfig` links all of them, though a Lambda function gets its credentials "+
			"from environment variables)")
		part("validator and its dependencies", "go-playground/validator and its dependencies")
		part("the service's packages", "the service's own packages")
		fmt.Fprintf(&b, "**Likely reason.** The code a function runs before its first `next` is mostly other people's package "+
			"initializers, not the service's: Go runs the initializer of every package linked in before `main`. %s's init is %s ms "+
			"over hello world; its package initializers alone take %s ms more (%s ms against %s ms, section 1's inittrace), %s. "+
			"The rest is loading a %.1fx larger executable (%s against %s) and `main`'s own work (the logger, loading the "+
			"configuration, the client, the router and its validators).\n\n",
			worst.ID, signedMS(dInit), signedMS(dPkg), ms(worst.Trace.Clock), ms(hello.Trace.Clock), ofWhich(parts),
			float64(art.Bootstrap)/float64(helloArt.Bootstrap), bytesHuman(art.Bootstrap), bytesHuman(helloArt.Bootstrap))
		var heavy []string
		for i, p := range worst.Trace.All {
			if i == 5 {
				break
			}
			heavy = append(heavy, fmt.Sprintf("`%s` %s ms (%d allocs)", p.Package, ms(p.Clock), p.Allocs))
		}
		fmt.Fprintf(&b, "Its heaviest initializers: %s.\n\n", strings.Join(heavy, ", "))
		var plan []string
		if ws["SDK default config and credential chain"] > 0 {
			plan = append(plan, "Build the DynamoDB client in shared/ddb from the Lambda environment (AWS_REGION, the AWS_ACCESS_KEY_ID / "+
				"AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN Lambda sets, AWS_ENDPOINT_URL_DYNAMODB as BaseEndpoint) with "+
				"`dynamodb.New(dynamodb.Options{...})` instead of `config.LoadDefaultConfig`: the credential chain's packages and their "+
				"initializers leave every binary, and so does reading shared config files at init. Keep LoadDefaultConfig for infra/admin.")
		}
		if initOf(worst.Trace, "github.com/contracts-service/contracts/shared/auth") > 50*time.Microsecond {
			plan = append(plan, "Stop linking shared/auth into the API functions: httpapi imports it only for the authorizer context key "+
				"names; move those constants to a small package. shared/auth compiles its token and id regular expressions at package "+
				"init; checking the token's shape with a loop over its bytes would also take that off the authorizer's init.")
		}
		if ws["validator and its dependencies"] > 0 {
			plan = append(plan, "Replace go-playground/validator with hand-written checks of the few rules the dialects use (required, "+
				"lengths, ranges, ISO 4217, the date patterns): its initializer, its dependencies (mimetype, locales, x/text, x/crypto) "+
				"and its per-request reflection go (see the allocation profile in section 5).")
		}
		if initOf(worst.Trace, "github.com/aws/aws-sdk-go-v2/service/dynamodbstreams") > 0 {
			plan = append(plan, "Encode and decode items by hand in shared/ddb instead of with feature/dynamodb/attributevalue, which also "+
				"links in the DynamoDB Streams types and their schemas.")
		}
		if len(plan) == 0 {
			plan = append(plan, "Profile `main` itself (what runs after the package initializers) and the executable's size: the parts "+
				"this report can name are already gone.")
		}
		fmt.Fprintf(&b, "**Plan:**\n\n")
		for i, p := range plan {
			fmt.Fprintf(&b, "%d. %s\n", i+1, p)
		}
		fmt.Fprintf(&b, "\nThen re-run `make bench`. On Lambda the same work weighs more: a function gets CPU in proportion to its memory "+
			"(one vCPU at 1,769 MB), so at the template's 256 MB CPU-bound init can take several times longer than here, which makes "+
			"the cuts above worth more there, not less.\n")
	case "init-calls":
		fmt.Fprintf(&b, "**Likely reason.** Some function calls DynamoDB before it asks the Runtime API for work: a lookup at init "+
			"(a warm-up read, a table check). **Plan:** move it into the first request, or drop it; the table exists by deployment.\n")
	case "warm":
		fmt.Fprintf(&b, "**Likely reason.** The handler issues the same DynamoDB operations as its floor (section 4: same round trips, "+
			"same request bytes), so the difference is the work around them, all on the request's path. ")
		inproc := map[string]inProcessCost{}
		for _, c := range r.InProcess {
			inproc[c.Dialect+"/"+c.Op] = c
		}
		for _, v := range r.Warm {
			ours, fl := percentile(v.Ours, 50), percentile(v.Floor, 50)
			if float64(ours)/float64(fl) <= warmTarget(v.Op) {
				continue
			}
			fmt.Fprintf(&b, "%s %s is %s ms over its floor at the median. ", v.Dialect, v.Op, signedMS(ours-fl))
			c, ok := inproc[v.Dialect+"/"+v.Op]
			if !ok {
				continue
			}
			extra := c.Handler.CPU - c.Floor.CPU
			fmt.Fprintf(&b, "With DynamoDB's answers replayed from memory (section 3), the handler path costs %s of CPU per request "+
				"against the floor's %s: %s more, and %.0f allocations against %.0f.", us(c.Handler.CPU.Nanoseconds()), us(c.Floor.CPU.Nanoseconds()),
				us(extra.Nanoseconds()), c.Handler.Allocs, c.Floor.Allocs)
			if g, ok := r.goBench(v.Dialect, v.Op); ok {
				dialect, _ := cpuPerOp(g)
				rest := extra - time.Duration(dialect)
				fmt.Fprintf(&b, " Of those, the dialect's own work (routing, decoding, validating, mapping, encoding the response, "+
					"logging) is %s (section 5, over an in-memory store); the other %s is ddb.Store's: encoding the items it writes with "+
					"attributevalue's reflection, decoding every item it reads (contracts and their segments by hand, customers, payment "+
					"accounts and plans by reflection; the floor hands the SDK prebuilt attribute maps and never decodes what comes back), "+
					"and parsing each contract's timestamps.",
					us(int64(dialect)), us(rest.Nanoseconds()))
			}
			b.WriteString(" On this machine DynamoDB Local shares the two CPUs, so each microsecond of CPU the handler spends can also " +
				"wait for a core; the garbage it leaves is collected on the same cores.\n\n")
		}
		fmt.Fprintf(&b, "**Plan:** contracts and their segments are already decoded by a written-out decoder and bodies rendered "+
			"without per-field copies; what is left of the store's share is attributevalue's reflection on the items a write encodes "+
			"and on customers, payment accounts and plans, and parsing each contract's timestamps (kept as RFC 3339 text; a list could "+
			"parse them only when the answer shows them). Write those codecs out too, then re-run and compare "+
			"the in-process table first, as it has none of DynamoDB Local's noise. The gap matters more on Lambda than here: at 256 MB "+
			"the handler's CPU runs on a fraction of a vCPU while DynamoDB's latency stays what it is, so the same work is a larger "+
			"share of each request.\n")
	case "trips":
		fmt.Fprintf(&b, "The targets are what every dialect's storage needs at the least: a create is the counter update and one "+
			"transaction (a transaction cannot read the number its own update draws, so two is the floor); a get by public id or "+
			"number is one read (a Query on GSI1, with two strongly consistent reads only while the index has not caught up, or a "+
			"GetItem); a list page is one Query unless deleted contracts leave it short. The operations each call issued are in "+
			"section 4.\n\n")
		unexplained := false
		for _, tr := range r.Trips {
			if tr.Max <= tripTarget(tr.Op) {
				continue
			}
			fmt.Fprintf(&b, "- **%s %s**: %s round trips (%s) against %d. ", tr.Dialect, tr.Op, tripRange(tr), opsString(tr.Ops), tripTarget(tr.Op))
			if n, ok := byDesign(tr.Dialect, tr.Op); ok {
				fmt.Fprintf(&b, "*Reason, by the dialect's design:* %s *What would remove it:* %s\n", n.Why, n.Cut)
			} else {
				unexplained = true
				fmt.Fprintf(&b, "*Likely reason:* none that the dialect's design explains: a store change to find in shared/ddb and undo.\n")
			}
		}
		b.WriteString("\n")
		if unexplained {
			fmt.Fprintf(&b, "**Plan:** for the misses no design explains, compare the operations with the design's in shared/ddb/keys.go "+
				"and undo the change that added them.\n")
		} else {
			fmt.Fprintf(&b, "**Plan:** none of these is a regression: each is what the dialect's answer or rules ask of the current "+
				"store. Whether to take the cuts above is a trade-off to decide (a cache's staleness, wider items), not a bug to fix.\n")
		}
	case "allocs":
		fmt.Fprintf(&b, "**Likely reason.** Section 5's profile names the allocating code. The service's own share is small by now "+
			"(the request logger is built once per request, response bodies point at the contract's values and share one string for "+
			"their date-times, ids are formatted into one buffer, a warm fabric function reads each x-site-context header once); what "+
			"remains is, per field of the request, the libraries' reflection:\n\n"+
			"- *Decoding*: encoding/json allocates a heap value for every optional field (`*int64`, `*string`: an absent field must be "+
			"told from a zero one) and a string per string field; strict decoding (unknown fields refused) needs a `json.Decoder` and its "+
			"buffers. An Aira create sends about 35 fields in nested objects (customer, payment account and address, contract, settings), "+
			"so it allocates several times what a Kukkingu create does.\n"+
			"- *Validation*: go-playground/validator boxes each field it checks into an interface while walking the struct by "+
			"reflection: about one allocation per validated field.\n"+
			"- *A whole request* (the Handler rows) adds routing (path parameters), the request log line, the domain's copies of what it "+
			"stores, and the in-memory store's own copies.\n\n"+
			"**Plan**, in the order of what it saves: decode the largest bodies (Aira's, EasyBilling's actions) into value fields with "+
			"a presence bit set by a custom UnmarshalJSON instead of pointers, or move to encoding/json/v2 once it is no longer "+
			"experimental (it allocates less for both decoding and encoding); check the simplest rules (required strings, lengths, "+
			"ranges) by hand and leave validator/v10 to the rest. Each step is measurable with `go test -bench Wire -benchmem` in the "+
			"dialect's package and benchstat against the raw output below.\n")
	case "cpu":
		fmt.Fprintf(&b, "**Likely reason.** The same work as the allocations above, and the garbage collection it causes: reflection "+
			"(validator, encoding/json) per field, and, for a list, encoding each contract of the page by reflection. CPU time per "+
			"request also grows when other processes share the cores (caches, hyperthreads): compare the load average under Machine. "+
			"**Plan:** the allocation cuts above; then a CPU profile of the slowest benchmark (`go test -run '^$' -bench <name> "+
			"-cpuprofile cpu.out <package>`) for what remains.\n")
	}
	return b.String()
}
