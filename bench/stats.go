package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// stat is benchstat's summary of one benchmark's values in one unit: the
// median and the 95% confidence interval's half-width, relative ("± 3%"
// is 0.03), or NaN where the samples are too few for one.
type stat struct {
	Center, Spread float64
}

// stats are benchstat's summaries by benchmark name (without the
// GOMAXPROCS suffix) and unit. benchstat writes ns/op as sec/op and
// cpu-ns/op as cpu-sec/op, in seconds.
type stats map[string]map[string]stat

// benchstat runs golang.org/x/perf's benchstat, a tool dependency of the
// module, over benchmark lines and reads its CSV.
func benchstat(ctx context.Context, root, goCmd, dir, lines string) (stats, error) {
	in := filepath.Join(dir, "bench.txt")
	if err := os.WriteFile(in, []byte(lines), 0o644); err != nil {
		return nil, err
	}
	if keep := os.Getenv("BENCH_KEEP_INPUT"); keep != "" {
		os.WriteFile(keep, []byte(lines), 0o644)
	}
	// Its warnings go to stderr, apart: mixed in, they would cut lines.
	cmd := exec.CommandContext(ctx, goCmd, "tool", "benchstat", "-format", "csv", in)
	cmd.Dir = root
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("benchstat: %w\n%s", err, stderr.String())
	}
	return parseBenchstat(string(out))
}

// procsSuffix is the -GOMAXPROCS suffix go test adds to names.
var procsSuffix = regexp.MustCompile(`-\d+$`)

// parseBenchstat reads benchstat's CSV: per unit a table whose header is
// ",<unit>,CI" and whose rows are "<name>,<median>,<x%|∞>". Warnings
// and configuration lines in between are skipped.
func parseBenchstat(out string) (stats, error) {
	s := stats{}
	unit := ""
	for _, line := range strings.Split(out, "\n") {
		if !strings.Contains(line, ",") {
			continue
		}
		rec, err := csv.NewReader(strings.NewReader(line)).Read()
		if err != nil || len(rec) < 3 {
			continue
		}
		if rec[0] == "" {
			unit = rec[1]
			continue
		}
		v, err := strconv.ParseFloat(rec[1], 64)
		if err != nil || unit == "" || rec[0] == "geomean" {
			continue
		}
		spread := math.NaN()
		// The interval is "3%" in CSV ("± 3%" in text), "∞" when the
		// samples are too few.
		if p, ok := strings.CutSuffix(strings.TrimPrefix(strings.TrimSpace(rec[2]), "± "), "%"); ok {
			if f, err := strconv.ParseFloat(p, 64); err == nil {
				spread = f / 100
			}
		}
		name := procsSuffix.ReplaceAllString(rec[0], "")
		if s[name] == nil {
			s[name] = map[string]stat{}
		}
		s[name][unit] = stat{v, spread}
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("benchstat summarised nothing:\n%.2000s", out)
	}
	return s, nil
}

// value is name's median in unit, or NaN.
func (s stats) value(name, unit string) float64 {
	if st, ok := s[name][unit]; ok {
		return st.Center
	}
	return math.NaN()
}

// with returns the names that have a stat in unit and start with prefix,
// sorted.
func (s stats) with(prefix, unit string) []string {
	var out []string
	for name, units := range s {
		if _, ok := units[unit]; ok && strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

// num formats a value with three significant digits, and thousands
// separated past 9,999; NaN as "–".
func num(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v-math.Round(v)) < 1e-3 && math.Abs(v) < 10000:
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64)
	case math.Abs(v) >= 10000:
		s := strconv.FormatFloat(math.Round(v), 'f', 0, 64)
		for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
			s = s[:i] + "," + s[i:]
		}
		return s
	case math.Abs(v) >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case math.Abs(v) >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case math.Abs(v) >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	default:
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
}

// withCI formats a stat as "1.23 ± 4%", or the value alone when there is
// no interval.
func withCI(v float64, st stat) string {
	if math.IsNaN(st.Spread) {
		return num(v)
	}
	return fmt.Sprintf("%s ± %.0f%%", num(v), st.Spread*100)
}

// ratio formats a/b as "1.23x", or "–".
func ratio(a, b float64) string {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return "–"
	}
	return fmt.Sprintf("%.2fx", a/b)
}

// bytesHuman formats a size in bytes as MiB.
func bytesHuman(n int64) string { return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20)) }
