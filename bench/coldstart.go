package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/infra/local/runtimeapi"
)

// coldTarget is one bootstrap to start, with the first request it gets.
type coldTarget struct {
	// First says what the first request is, for the table.
	ID, Path, First string
	// Function is the template's function (timeout, memory, environment);
	// the hello world borrows the first function's.
	Function gateway.Function
	Payload  []byte
	// check reads the answer; it returns what the table shows of it
	// ("200", "authorized") or an error if the answer is not the expected
	// kind of success.
	check func(resp []byte) (string, error)
}

// coldResult is what the report shows of one target besides its
// benchmark lines.
type coldResult struct {
	ID, First, Answered string
	Trace               initTrace
	// MostInitCalls is the most DynamoDB requests any start made before
	// its first request: one start that made any is a miss.
	MostInitCalls int
}

// coldName is a target's name in benchmark lines.
func coldName(id string) string {
	if id == helloWorldID {
		return "HelloWorld"
	}
	return id
}

// apiAnswer checks that a function's HTTP API response is a success.
func apiAnswer(resp []byte) (string, error) {
	var r struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(resp, &r); err != nil || r.StatusCode == 0 {
		return "", fmt.Errorf("not an HTTP API response: %.200s", resp)
	}
	if r.StatusCode/100 != 2 {
		return "", fmt.Errorf("answered %d: %.200s", r.StatusCode, r.Body)
	}
	return strconv.Itoa(r.StatusCode), nil
}

// authorizerAnswer checks that the authorizer let the request through.
func authorizerAnswer(resp []byte) (string, error) {
	var r struct {
		IsAuthorized bool `json:"isAuthorized"`
	}
	if err := json.Unmarshal(resp, &r); err != nil || !r.IsAuthorized {
		return "", fmt.Errorf("the authorizer refused a valid token: %.200s", resp)
	}
	return "authorized", nil
}

// anyAnswer accepts whatever the function returned.
func anyAnswer([]byte) (string, error) { return "answered", nil }

// measureColdStarts starts every target starts times, round-robin in a
// fresh random order each round so that drift of the machine (other load,
// CPU frequency) hits every target alike, after one unrecorded start each
// to load the executables into the page cache. traceStarts more starts per
// target run with GODEBUG=inittrace=1 to say where package initialization
// goes; tracing slows a start, so they are kept out of the figures.
//
// Each start is one line of lines: BenchmarkColdStart/<target> with
// init-ms (process start to its first Runtime API next, Lambda's Init
// phase), first-answer-ms (start to the first answer) and the DynamoDB
// requests made during init and during the first request.
func measureColdStarts(ctx context.Context, targets []coldTarget, env map[string]string, proxy *countingProxy, starts int, lines io.Writer) ([]*coldResult, error) {
	results := make([]*coldResult, len(targets))
	for i, t := range targets {
		results[i] = &coldResult{ID: t.ID, First: t.First}
		if _, err := startOnce(ctx, t, env, proxy, nil); err != nil {
			return nil, fmt.Errorf("%s: %w", t.ID, err)
		}
		trace, err := traceInit(ctx, t, env, proxy)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.ID, err)
		}
		results[i].Trace = trace
	}
	order := make([]int, len(targets))
	for i := range order {
		order[i] = i
	}
	for round := 0; round < starts; round++ {
		rand.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
		for _, i := range order {
			s, err := startOnce(ctx, targets[i], env, proxy, nil)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", targets[i].ID, err)
			}
			results[i].Answered = s.answered
			results[i].MostInitCalls = max(results[i].MostInitCalls, s.initCalls)
			fmt.Fprintf(lines, "BenchmarkColdStart/%s 1 %.4f init-ms %.4f first-answer-ms %d init-ddb-requests %d first-ddb-requests\n",
				coldName(targets[i].ID), float64(s.init)/1e6, float64(s.answer)/1e6, s.initCalls, s.requestCalls)
		}
	}
	return results, nil
}

// start is what one cold start measured.
type start struct {
	init, answer            time.Duration
	initCalls, requestCalls int
	answered                string
}

// startOnce starts a fresh process of t (a new execution environment, as
// Lambda makes for a cold start), hands it its first request, and ends it.
func startOnce(ctx context.Context, t coldTarget, env map[string]string, proxy *countingProxy, output *runtimeapi.SharedOutput) (start, error) {
	all := map[string]string{}
	for k, v := range t.Function.Environment {
		all[k] = v
	}
	for k, v := range env {
		all[k] = v
	}
	cfg := runtimeapi.Config{
		Name:           strings.ReplaceAll(t.ID, " ", "-"),
		Path:           t.Path,
		Env:            all,
		Timeout:        t.Function.Timeout,
		MemorySize:     t.Function.MemorySize,
		MaxConcurrency: 1,
	}
	if output != nil {
		// Only when set: a nil *runtimeapi.SharedOutput would be a non-nil Writer.
		cfg.Output = output
	}
	f, err := runtimeapi.NewFunction(cfg)
	if err != nil {
		return start{}, err
	}
	defer f.Close()
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	resp, fnErr, err := f.Invoke(ictx, t.Payload)
	answeredAt := time.Now()
	if err != nil {
		return start{}, err
	}
	if fnErr != nil {
		return start{}, fnErr
	}
	answered, err := t.check(resp)
	if err != nil {
		return start{}, err
	}
	insts := f.Instances()
	if len(insts) != 1 || insts[0].InitDuration == 0 {
		return start{}, fmt.Errorf("the process did not stay up after its first request")
	}
	began, initDone := insts[0].StartedAt, insts[0].StartedAt.Add(insts[0].InitDuration)
	return start{
		init:         insts[0].InitDuration,
		answer:       answeredAt.Sub(began),
		initCalls:    proxy.between(began, initDone),
		requestCalls: proxy.between(initDone, answeredAt),
		answered:     answered,
	}, nil
}

// initTrace is what the Go runtime's inittrace says of a bootstrap's
// package initializers, the code that runs before main: per package, the
// median over a few traced starts, so one start that the machine
// interrupted does not make a package look slow.
type initTrace struct {
	Packages int
	// Clock is the time all package initializers took together.
	Clock  time.Duration
	Allocs int64
	// All is every package, slowest first.
	All []packageInit
}

type packageInit struct {
	Package string
	Clock   time.Duration
	Allocs  int64
}

// traceStarts is how many traced starts the medians come from.
const traceStarts = 5

// inittraceLine is one line of GODEBUG=inittrace=1.
var inittraceLine = regexp.MustCompile(`^init (\S+) @[0-9.]+ ms, ([0-9.]+) ms clock, \d+ bytes, (\d+) allocs`)

// traceInit starts t traceStarts times with GODEBUG=inittrace=1 and
// takes each package initializer's median.
func traceInit(ctx context.Context, t coldTarget, env map[string]string, proxy *countingProxy) (initTrace, error) {
	traced := map[string]string{"GODEBUG": "inittrace=1"}
	for k, v := range env {
		traced[k] = v
	}
	var runs [][]packageInit
	for i := 0; i < traceStarts; i++ {
		out := &runtimeapi.SharedOutput{W: new(bytes.Buffer)}
		if _, err := startOnce(ctx, t, traced, proxy, out); err != nil {
			return initTrace{}, err
		}
		runs = append(runs, parseInitTrace(out.String()))
	}
	return summarizeInitTraces(runs), nil
}

// parseInitTrace reads the package initializers of one traced start.
func parseInitTrace(output string) []packageInit {
	var out []packageInit
	for _, line := range strings.Split(output, "\n") {
		m := inittraceLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		clock, _ := strconv.ParseFloat(m[2], 64)
		allocs, _ := strconv.ParseInt(m[3], 10, 64)
		out = append(out, packageInit{Package: m[1], Clock: time.Duration(clock * float64(time.Millisecond)), Allocs: allocs})
	}
	return out
}

// summarizeInitTraces takes, per package, the median clock of the runs
// (allocations do not vary) and sums them.
func summarizeInitTraces(runs [][]packageInit) initTrace {
	clocks := map[string][]time.Duration{}
	last := map[string]packageInit{}
	var order []string
	for _, run := range runs {
		for _, p := range run {
			if _, seen := clocks[p.Package]; !seen {
				order = append(order, p.Package)
			}
			clocks[p.Package] = append(clocks[p.Package], p.Clock)
			last[p.Package] = p
		}
	}
	var tr initTrace
	all := make([]packageInit, 0, len(order))
	for _, name := range order {
		p := last[name]
		slices.Sort(clocks[name])
		p.Clock = clocks[name][len(clocks[name])/2]
		tr.Packages++
		tr.Clock += p.Clock
		tr.Allocs += p.Allocs
		all = append(all, p)
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Clock > all[j].Clock })
	tr.All = all
	return tr
}

// initGroups sorts packages by what brings them into a binary, by path
// prefix; the first match wins, and a package that matches none is
// otherInitGroup's.
var initGroups = []struct {
	name     string
	prefixes []string
}{
	{"SDK default config and credential chain", []string{"github.com/aws/aws-sdk-go-v2/config", "github.com/aws/aws-sdk-go-v2/credentials",
		"github.com/aws/aws-sdk-go-v2/feature/ec2/imds", "github.com/aws/aws-sdk-go-v2/service/sso", "github.com/aws/aws-sdk-go-v2/service/sts",
		"github.com/aws/aws-sdk-go-v2/service/signin", "github.com/aws/aws-sdk-go-v2/internal/v4a", "github.com/aws/aws-sdk-go-v2/aws/protocol/",
		"github.com/aws/smithy-go/encoding/xml"}},
	{"DynamoDB client and SDK core", []string{"github.com/aws/aws-sdk-go-v2", "github.com/aws/smithy-go"}},
	{"validator and its dependencies", []string{"github.com/go-playground/", "github.com/gabriel-vasile/", "github.com/leodido/", "golang.org/x/"}},
	{"the service's packages", []string{"github.com/contracts-service/"}},
	{"aws-lambda-go", []string{"github.com/aws/aws-lambda-go"}},
}

const otherInitGroup = "Go runtime and standard library"

func initGroupNames() []string {
	var names []string
	for _, g := range initGroups {
		names = append(names, g.name)
	}
	return append(names, otherInitGroup)
}

func initGroupOf(pkg string) string {
	for _, g := range initGroups {
		for _, p := range g.prefixes {
			if strings.HasPrefix(pkg, p) {
				return g.name
			}
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
