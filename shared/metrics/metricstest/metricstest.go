// Package metricstest reads the EMF records a function's log holds, and
// checks each is one CloudWatch would turn into metrics, for the tests of
// every package that writes them.
package metricstest

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/metrics"
)

// Record is one EMF log line, as JSON decodes it.
type Record map[string]any

// Records returns the log's lines that are EMF records (they have an _aws
// member), each checked with Check.
func Records(t testing.TB, log *bytes.Buffer) []Record {
	t.Helper()
	var out []Record
	for _, line := range strings.Split(strings.TrimSpace(log.String()), "\n") {
		if line == "" {
			continue
		}
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("a log line is not JSON: %v\n%s", err, line)
		}
		if _, ok := r["_aws"]; ok {
			Check(t, r)
			out = append(out, r)
		}
	}
	return out
}

// WithMsg returns the records whose msg is msg.
func WithMsg(records []Record, msg string) []Record {
	var out []Record
	for _, r := range records {
		if r["msg"] == msg {
			out = append(out, r)
		}
	}
	return out
}

// Check fails unless r is what CloudWatch's EMF specification asks: an
// _aws member with a millisecond Timestamp and CloudWatchMetrics
// directives in the service's namespace, whose every dimension names a
// string property and every metric a numeric one; and no dimension is a
// tenant.
func Check(t testing.TB, r Record) {
	t.Helper()
	meta, _ := r["_aws"].(map[string]any)
	if ts, _ := meta["Timestamp"].(float64); ts < 1e12 {
		t.Errorf("_aws.Timestamp = %v, want milliseconds since the epoch: %v", meta["Timestamp"], r)
	}
	directives, _ := meta["CloudWatchMetrics"].([]any)
	if len(directives) == 0 {
		t.Errorf("no CloudWatchMetrics: %v", r)
	}
	for _, d := range directives {
		d, _ := d.(map[string]any)
		if d["Namespace"] != metrics.Namespace {
			t.Errorf("namespace %v, want %s", d["Namespace"], metrics.Namespace)
		}
		sets, _ := d["Dimensions"].([]any)
		for _, set := range sets {
			for _, dim := range set.([]any) {
				name, _ := dim.(string)
				if v, ok := r[name].(string); !ok || v == "" {
					t.Errorf("dimension %s has no string value: %v", name, r)
				}
				if strings.Contains(strings.ToLower(name), "tenant") {
					t.Errorf("dimension %s: a tenant is never a dimension", name)
				}
			}
		}
		ms, _ := d["Metrics"].([]any)
		for _, m := range ms {
			m, _ := m.(map[string]any)
			if _, ok := r[m["Name"].(string)].(float64); !ok {
				t.Errorf("metric %v has no numeric value: %v", m["Name"], r)
			}
			if !slices.Contains([]string{"Count", "Milliseconds"}, m["Unit"].(string)) {
				t.Errorf("metric %v unit %v", m["Name"], m["Unit"])
			}
		}
	}
}

// Dimensions returns the dimension sets of the directive that holds
// metric, or nil.
func Dimensions(r Record, metric string) [][]string {
	meta, _ := r["_aws"].(map[string]any)
	directives, _ := meta["CloudWatchMetrics"].([]any)
	for _, d := range directives {
		d, _ := d.(map[string]any)
		ms, _ := d["Metrics"].([]any)
		for _, m := range ms {
			if m.(map[string]any)["Name"] == metric {
				var out [][]string
				for _, set := range d["Dimensions"].([]any) {
					var names []string
					for _, n := range set.([]any) {
						names = append(names, n.(string))
					}
					out = append(out, names)
				}
				return out
			}
		}
	}
	return nil
}
