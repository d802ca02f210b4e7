// Command bench measures the contracts service and writes BENCHMARKS.md.
//
// Most of it is Go benchmarks (bench's _test.go files and each dialect's
// BenchmarkWire), which it runs with go test -bench. It adds what Go
// benchmarks cannot do: it builds the bootstraps with the Makefile's
// targets, starts them cold under the local Runtime API beside a
// hello-world Go function, sizes the artifacts, and sends warm requests end
// to end through the local gateway, authorizer included. Its own
// measurements are benchmark lines too, so benchstat (golang.org/x/perf)
// takes the medians and confidence intervals of everything; the report is
// rendered from report.md.tmpl. It runs against DynamoDB Local (make
// bench):
//
//	infra/dynamodb-local.sh run -- go run ./bench
//
// No number fails a run; a run fails only when something could not be
// measured. Everything it starts listens on 127.0.0.1 and is ended when
// it returns.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/contracts-service/contracts/infra/local/gateway"
)

// settings are the run's counts, kept modest so a full run stays within
// ten minutes on a two-core machine.
type settings struct {
	Out, Go string
	// Starts is the cold starts per bootstrap; Rounds the end-to-end warm
	// requests per dialect.
	Starts, Rounds int
	// Count is go test's -count (benchstat needs 6 for a 95% interval).
	Count int
	// Sizes are the list scaling fixtures' sizes.
	Sizes string
	// Only, if set, keeps the go test runs whose pattern it matches.
	Only string
}

func main() {
	var s settings
	flag.StringVar(&s.Out, "out", "BENCHMARKS.md", "report to write, relative to the repository root")
	flag.StringVar(&s.Go, "go", "go", "go command used for the builds and the Go benchmarks")
	flag.IntVar(&s.Starts, "starts", 30, "cold starts per bootstrap")
	flag.IntVar(&s.Rounds, "rounds", 200, "end-to-end warm requests per dialect")
	flag.IntVar(&s.Count, "count", 6, "go test -count of the benchmarks")
	flag.StringVar(&s.Sizes, "scale-sizes", "100,1000,10000,50000", "contracts per organization, client and account in the list scaling fixture")
	flag.StringVar(&s.Only, "only", "", "run only the go test runs whose -bench pattern contains this (for a quick look; the report then lacks the rest)")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// A last bound on the whole run, far above its usual length.
	ctx, cancel := context.WithTimeout(ctx, 40*time.Minute)
	err := runAll(ctx, s)
	cancel()
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

var started = time.Now()

// progress says on stderr how far the run is.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: [%s] %s\n", time.Since(started).Round(time.Second), fmt.Sprintf(format, args...))
}

// goBenches are the go test runs, in order: each a benchmark pattern, its
// packages and flags. -count is added to every one but those with their
// own.
func goBenches(s settings) [][]string {
	wire := []string{"./shared/kukkingu", "./shared/fabric", "./shared/aira", "./shared/easybilling"}
	return [][]string{
		append([]string{"-bench", "^Benchmark(Handler|Wire)$", "-benchmem", "-benchtime", "3000x", "./bench"}, wire...),
		{"-bench", "^BenchmarkAllocSites$", "-benchtime", "1000x", "-count", "1", "./bench"},
		{"-bench", "^BenchmarkWarm$", "-benchtime", "50x", "./bench"},
		{"-bench", "^BenchmarkThroughput$", "-benchtime", "100x", "-count", "1", "./bench"},
		{"-bench", "^BenchmarkListScale$", "-benchtime", "30x", "-count", "1", "./bench", "-args", "-scale-sizes=" + s.Sizes},
	}
}

// runAll runs every measurement and writes the report. Every process and
// server it starts is ended by its deferred calls, on every path.
func runAll(ctx context.Context, s settings) error {
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
	ids := slices.Sorted(maps.Keys(api.Functions))
	tmp, err := os.MkdirTemp("", "contracts-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	r := &report{Settings: s, Machine: describeMachine(ctx, root, s.Go)}
	load := startLoadSampler(2 * time.Second)
	defer load.Stop()

	progress("building the bootstraps with the Makefile's targets")
	paths, err := gateway.Build(ctx, root, tmp, ids, nil, "GO="+s.Go)
	if err != nil {
		return err
	}
	if paths[helloWorldID], err = buildHelloWorld(ctx, root, tmp, s.Go, ids[0]); err != nil {
		return err
	}
	for _, id := range append([]string{helloWorldID}, ids...) {
		a, err := measureArtifact(id, paths[id])
		if err != nil {
			return err
		}
		r.Artifacts = append(r.Artifacts, a)
	}

	var lines bytes.Buffer
	fmt.Fprintf(&lines, "pkg: bench\n")
	st, err := startStack(ctx, api, paths, endpoint)
	if err != nil {
		return err
	}
	defer st.close(context.WithoutCancel(ctx))
	progress("end to end through the local gateway")
	if r.EndToEnd, err = st.measureEndToEnd(ctx, s.Rounds, &lines); err != nil {
		return err
	}
	progress("cold starts")
	targets, err := st.coldTargets(api, ids, paths)
	if err != nil {
		return err
	}
	if r.Cold, err = measureColdStarts(ctx, targets, st.env, st.proxy, s.Starts, &lines); err != nil {
		return err
	}
	st.close(ctx)

	var raw strings.Builder
	for _, args := range goBenches(s) {
		if !strings.Contains(args[1], s.Only) {
			continue
		}
		progress("go test %s", strings.Join(args, " "))
		full := []string{"test", "-run", "^$", "-timeout", "30m"}
		if !slices.Contains(args, "-count") {
			full = append(full, "-count", fmt.Sprint(s.Count))
		}
		full = append(full, args...)
		out, err := run(ctx, root, nil, s.Go, full...)
		if err != nil {
			return err
		}
		raw.Write(out)
	}
	r.Raw = raw.String()
	progress("benchstat")
	if r.Stats, err = benchstat(ctx, root, s.Go, tmp, lines.String()+"\n"+r.Raw); err != nil {
		return err
	}
	r.Load = load.Stop()
	r.Elapsed = time.Since(started)
	out := s.Out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	text, err := r.render(filepath.Join(root, "bench", "report.md.tmpl"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, []byte(text), 0o644); err != nil {
		return err
	}
	progress("wrote %s in %s", s.Out, r.Elapsed.Round(time.Second))
	return nil
}
