package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// wirePackages are the dialect packages whose BenchmarkWire measures the
// performance target's scope: a request's decode, validate, map and
// encode, alone.
var wirePackages = []string{"./shared/kukkingu", "./shared/fabric", "./shared/aira", "./shared/easybilling"}

// goBenchArgs runs the handler benchmarks (whole requests, bench/) and
// the dialects' wire benchmarks the way a developer would, so the raw
// output can go straight to benchstat.
func goBenchArgs(count int) []string {
	args := []string{"test", "-bench", "^Benchmark(Handler|Wire)$", "-benchmem", "-count", strconv.Itoa(count), "-run", "^$", "./bench/..."}
	return append(args, wirePackages...)
}

// judged reports whether a Go benchmark carries the allocation and CPU
// targets: a wire benchmark always (it measures the target's scope); a
// whole-request benchmark only where its operation has no wire benchmark,
// so that an operation without one is held to the stricter measure.
func judged(b goBench, all []goBench) bool {
	rest, ok := strings.CutPrefix(b.Name, "BenchmarkHandler/")
	if !ok {
		return true
	}
	for _, o := range all {
		if o.Name == "BenchmarkWire/"+rest {
			return false
		}
	}
	return true
}

// runGoBench runs the Go benchmarks in a child process group and returns
// their raw output.
func runGoBench(ctx context.Context, root, goCmd string, count int) (string, error) {
	out, err := run(ctx, root, nil, goCmd, goBenchArgs(count)...)
	return string(out), err
}

// goBench is one benchmark's results over every -count run: the values
// of each unit (ns/op, allocs/op, ...).
type goBench struct {
	Name   string
	Values map[string][]float64
}

// median returns the median of unit's values, or NaN if none.
func (b goBench) median(unit string) float64 { return medianFloat(b.Values[unit]) }

// benchLine is one result line of go test -bench: the name with its
// GOMAXPROCS suffix, the iterations, then value-unit pairs.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.+)$`)

// parseGoBench collects the results of go test -bench output by
// benchmark, in the order they first appear.
func parseGoBench(output string) []goBench {
	byName := map[string]*goBench{}
	var order []string
	for _, line := range strings.Split(output, "\n") {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		b := byName[m[1]]
		if b == nil {
			b = &goBench{Name: m[1], Values: map[string][]float64{}}
			byName[m[1]] = b
			order = append(order, m[1])
		}
		f := strings.Fields(m[2])
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			b.Values[f[i+1]] = append(b.Values[f[i+1]], v)
		}
	}
	out := make([]goBench, 0, len(order))
	for _, name := range order {
		out = append(out, *byName[name])
	}
	return out
}

// units lists the units a set of benchmarks reported, ns/op first.
func units(bs []goBench) []string {
	seen := map[string]bool{}
	var us []string
	for _, b := range bs {
		for u := range b.Values {
			if !seen[u] {
				seen[u] = true
				us = append(us, u)
			}
		}
	}
	rank := map[string]int{"ns/op": 0, "cpu-ns/op": 1, "B/op": 2, "allocs/op": 3}
	sort.Slice(us, func(i, j int) bool {
		ri, iok := rank[us[i]]
		rj, jok := rank[us[j]]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		}
		return us[i] < us[j]
	})
	return us
}

// formatValue formats a benchmark value for a table.
func formatValue(v float64) string {
	switch {
	case v != v:
		return "n/a"
	case v >= 100 || v == float64(int64(v)):
		return fmt.Sprintf("%.0f", v)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}
