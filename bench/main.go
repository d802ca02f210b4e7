// Command bench measures the contracts service and writes BENCHMARKS.md:
// cold starts of every function's bootstrap beside a hello-world Go
// function, artifact sizes, warm latency of each dialect's handlers beside
// the bare DynamoDB calls they make, DynamoDB round trips and consumed
// capacity per operation, handler CPU and allocations with no I/O (Go
// benchmarks), and create throughput under concurrency.
//
// It runs against DynamoDB Local, under infra/dynamodb-local.sh (make
// bench):
//
//	infra/dynamodb-local.sh run -- go run ./bench
//
// The benchmarks only report. No number fails a run; a run fails only
// when something could not be measured (a build, a request that did not
// succeed). Everything it starts, servers and processes, listens on
// 127.0.0.1 only, is bounded in count and time, and is ended when it
// returns, whether it succeeded or not.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/shared/ddb"
)

// settings are the run's counts, kept modest so a full run stays within
// a few minutes on a two-core machine.
type settings struct {
	Out string
	Go  string
	// Starts is the cold starts per bootstrap.
	Starts int
	// Warmup and Rounds are the unrecorded and recorded warm rounds.
	Warmup, Rounds int
	// Creates bounds each throughput run; RunLimit bounds its time.
	Creates  int
	RunLimit time.Duration
	// Count is go test's -count for the handler benchmarks.
	Count int
}

func main() {
	var s settings
	flag.StringVar(&s.Out, "out", "BENCHMARKS.md", "report to write, relative to the repository root")
	flag.StringVar(&s.Go, "go", "go", "go command used for the builds and the Go benchmarks")
	flag.IntVar(&s.Starts, "starts", 30, "cold starts per bootstrap")
	flag.IntVar(&s.Warmup, "warmup", 50, "unrecorded warm rounds")
	flag.IntVar(&s.Rounds, "rounds", 500, "recorded warm rounds (one of each operation, handler and floor)")
	flag.IntVar(&s.Creates, "creates", 400, "creates per throughput run")
	flag.DurationVar(&s.RunLimit, "run-limit", 45*time.Second, "time bound of each throughput run")
	flag.IntVar(&s.Count, "count", 5, "go test -count of the handler benchmarks")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A last bound on the whole run, far above its usual length, so a
	// wedged dependency cannot keep it going.
	ctx, cancel := context.WithTimeout(ctx, 30*time.Minute)
	err := runAll(ctx, s)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// started is when the run began, for the progress lines.
var started = time.Now()

func progress(msg string) {
	fmt.Fprintf(os.Stderr, "bench: [%s] %s\n", time.Since(started).Round(time.Second), msg)
}

// runAll runs every measurement and writes the report. Every process and
// server it starts is ended by its deferred calls, on every path.
func runAll(ctx context.Context, s settings) error {
	began := time.Now()
	endpoint := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	if endpoint == "" {
		// Benchmarking against a real account's table would cost money and
		// measure the network: refuse rather than guess.
		return errors.New("AWS_ENDPOINT_URL_DYNAMODB is not set; run it under DynamoDB Local: infra/dynamodb-local.sh run -- go run ./bench")
	}
	root, err := gateway.RepoRoot()
	if err != nil {
		return err
	}
	api, err := gateway.LoadTemplate(filepath.Join(root, gateway.TemplateFile), nil)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(api.Functions))
	for id := range api.Functions {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, d := range dialects {
		if _, ok := api.Functions[d.Function]; !ok {
			return fmt.Errorf("dialect %s names function %s, which template.yaml does not declare", d.Name, d.Function)
		}
	}

	tmp, err := os.MkdirTemp("", "contracts-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	r := &results{Settings: s}
	r.Machine = describeMachine(ctx, root, s.Go)
	load := startLoadSampler(2 * time.Second)
	defer load.Stop()

	progress("building the bootstraps with the Makefile's targets")
	paths, err := buildFunctions(ctx, root, tmp, s.Go, ids)
	if err != nil {
		return err
	}
	helloPath, err := buildHelloWorld(ctx, root, tmp, s.Go, ids[0])
	if err != nil {
		return err
	}
	for _, id := range append([]string{helloWorldID}, ids...) {
		p := helloPath
		if id != helloWorldID {
			p = paths[id]
		}
		a, err := measureArtifact(id, p)
		if err != nil {
			return err
		}
		r.Artifacts = append(r.Artifacts, a)
	}

	progress("running the handler benchmarks (go test -bench)")
	raw, err := runGoBench(ctx, root, s.Go, s.Count)
	if err != nil {
		return err
	}
	r.GoBenchRaw, r.GoBench = raw, parseGoBench(raw)
	if r.Allocs, err = profileAllocs(ctx); err != nil {
		return err
	}

	trips := &tripCounter{}
	client, err := newClient(ctx, trips)
	if err != nil {
		return err
	}
	table := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), os.Getpid())
	if err := ddb.EnsureTable(ctx, client, table); err != nil {
		return err
	}
	defer func() {
		// Even after a failure or an interrupt: DynamoDB Local may be
		// shared with other runs.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		client.DeleteTable(dctx, &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	}()
	store := ddb.New(client, table)

	progress("setting up tenants and contracts")
	var warm []*warmDialect
	for i := range dialects {
		d := &dialects[i]
		// The account alias is 24 characters, as fabric's x-site-context
		// account must be.
		t, err := newTenant(ctx, store, fmt.Sprintf("bench-warm-%d", i), fmt.Sprintf("tnt_benchwarm%015d", i), fmt.Sprintf("benchwarm%015d", i))
		if err != nil {
			return err
		}
		w, err := setUpWarm(ctx, d, store, t)
		if err != nil {
			return err
		}
		warm = append(warm, w)
	}

	progress("measuring cold starts")
	proxy, err := startProxy(endpoint)
	if err != nil {
		return err
	}
	defer proxy.Close()
	targets, err := coldTargets(api, ids, paths, helloPath, warm)
	if err != nil {
		return err
	}
	env := map[string]string{"TABLE_NAME": table, "AWS_ENDPOINT_URL_DYNAMODB": proxy.url}
	for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		env[k] = os.Getenv(k)
	}
	if r.Cold, err = measureColdStarts(ctx, targets, env, proxy, s.Starts, progress); err != nil {
		return err
	}

	progress("measuring warm latency against the floor")
	if r.Warm, err = measureWarm(ctx, warm, client, s.Warmup, s.Rounds, progress); err != nil {
		return err
	}
	progress("counting round trips and consumed capacity")
	if r.Trips, err = measureRoundTrips(ctx, warm, client, 20); err != nil {
		return err
	}
	capClient, err := newClient(ctx, &tripCounter{}, withConsumedCapacity)
	if err != nil {
		return err
	}
	if r.Capacity, err = measureCapacity(ctx, warm, capClient, table, 5); err != nil {
		return err
	}
	progress("measuring in-process cost with DynamoDB's answers replayed")
	if r.InProcess, err = measureInProcess(ctx, warm, table, 2000); err != nil {
		return err
	}

	progress("measuring throughput")
	var tps []Tenant
	for i := 0; i < throughputTenants; i++ {
		t, err := newTenant(ctx, store, fmt.Sprintf("bench-tp-%02d", i), fmt.Sprintf("tnt_benchtp%017d", i), fmt.Sprintf("benchtp%017d", i))
		if err != nil {
			return err
		}
		tps = append(tps, t)
	}
	if r.Throughput, err = measureThroughput(ctx, store, client, tps, s.Creates, s.RunLimit, progress); err != nil {
		return err
	}

	r.Load = load.Stop()
	r.Elapsed = time.Since(began)
	out := s.Out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := os.WriteFile(out, []byte(render(r)), 0o644); err != nil {
		return err
	}
	progress(fmt.Sprintf("wrote %s in %s", s.Out, r.Elapsed.Round(time.Second)))
	return nil
}

// coldTargets lists what the cold-start runs start: the hello world, then
// every function with the first request it would get. A function that
// serves a registered dialect reads an existing contract; the authorizer
// authorizes a valid token; a function whose routes are only declared
// gets its first route (a GET if it has one).
func coldTargets(api *gateway.API, ids []string, paths map[string]string, helloPath string, warm []*warmDialect) ([]coldTarget, error) {
	authorizers := map[string]bool{}
	for _, a := range api.Authorizers {
		authorizers[a.Function] = true
	}
	var firstRoute gateway.Route
	if len(api.Routes) > 0 {
		firstRoute = api.Routes[0]
	}
	targets := []coldTarget{{ID: helloWorldID, Path: helloPath, First: "`{}`", Payload: []byte(`{}`), check: anyAnswer,
		Function: gateway.Function{Timeout: api.Functions[ids[0]].Timeout, MemorySize: api.Functions[ids[0]].MemorySize}}}
	for _, id := range ids {
		t := coldTarget{ID: id, Path: paths[id], Function: api.Functions[id]}
		var payload any
		switch {
		case authorizers[id]:
			payload, t.check = authorizerEvent(warm[0].tenant, firstRoute.Key()), authorizerAnswer
			t.First = "authorizer event, valid token"
		case dialectOf(id) != nil:
			var w *warmDialect
			for _, c := range warm {
				if c.d.Function == id {
					w = c
					break
				}
			}
			payload, t.check = w.d.Get(w.tenant, w.existing), apiAnswer(true)
			t.First = w.d.Name + " get of an existing contract"
		default:
			route, ok := routeOf(api, id)
			if !ok {
				return nil, fmt.Errorf("function %s has no route and is no authorizer: nothing to send it", id)
			}
			params := map[string]string{}
			for _, seg := range strings.Split(route.Path, "/") {
				if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
					params[seg[1:len(seg)-1]] = "bench-" + seg[1:len(seg)-1]
				}
			}
			payload, t.check = apiEvent(warm[0].tenant, route.Key(), params, nil, nil, ""), apiAnswer(false)
			t.First = "`" + route.Key() + "`, no dialect registered"
		}
		var err error
		if t.Payload, err = jsonBytes(payload); err != nil {
			return nil, err
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// routeOf returns a function's first GET route, or its first route.
func routeOf(api *gateway.API, id string) (gateway.Route, bool) {
	var first *gateway.Route
	for i, r := range api.Routes {
		if r.Function != id {
			continue
		}
		if r.Method == "GET" {
			return r, true
		}
		if first == nil {
			first = &api.Routes[i]
		}
	}
	if first == nil {
		return gateway.Route{}, false
	}
	return *first, true
}
