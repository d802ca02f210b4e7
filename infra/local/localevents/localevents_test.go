package localevents

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

const templatePath = "../../../template.yaml"

// The template's stream mapping is read as it is declared: the function
// and table it names, and every setting the local mapping follows.
func TestStreamMappingsOfTheTemplate(t *testing.T) {
	mappings, err := StreamMappings(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(mappings) != 1 {
		t.Fatalf("mappings %+v, want the contract events'", mappings)
	}
	m := mappings[0]
	data, err := os.ReadFile(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(data, &tpl); err != nil {
		t.Fatal(err)
	}
	p := tpl.Resources[m.LogicalID].Properties
	if m.Function != "ContractEventsFunction" || m.Table != "ContractsTable" || m.StartingPosition != "TRIM_HORIZON" ||
		m.OnFailure != "ContractEventsFailureQueue" || !m.ReportBatchItemFailures {
		t.Errorf("mapping %+v", m)
	}
	if m.BatchSize != p["BatchSize"] || m.MaximumRetryAttempts != p["MaximumRetryAttempts"] || m.Bisect != p["BisectBatchOnFunctionError"] ||
		m.MaximumRecordAge != time.Duration(p["MaximumRecordAgeInSeconds"].(int))*time.Second {
		t.Errorf("mapping %+v, template %v", m, p)
	}
}

// .local/events.env reads as a shell reads it: every value as written,
// quotes included.
func TestEventsEnvFile(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	b := &Bus{Endpoint: "http://127.0.0.1:5000", Region: "us-east-1", Name: "bus", QueueURL: "http://127.0.0.1:5000/123456789012/it's a queue", FailureQueueURL: "f"}
	path := filepath.Join(t.TempDir(), "events.env")
	if err := b.WriteEnv(path); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("bash", "-c", `set -a; . "$0"; env`, path).Output()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			got[k] = v
		}
	}
	for k, v := range b.Env() {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, k := range []string{"EVENTS_ENDPOINT", "EVENTS_QUEUE_URL", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID"} {
		if got[k] == "" {
			t.Errorf("%s is not set", k)
		}
	}
}
