package localevents

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
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

// The template's filter passes a contract item's records, a soft delete
// and a removal included, and nothing else the table's writes put on the
// stream; the content filters Lambda also has are refused, not
// approximated.
func TestStreamMappingFilter(t *testing.T) {
	mappings, err := StreamMappings(templatePath)
	if err != nil {
		t.Fatal(err)
	}
	f := mappings[0].Filter
	image := func(typ string) map[string]events.DynamoDBAttributeValue {
		return map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute("TENANT#a"), "type": events.NewStringAttribute(typ)}
	}
	record := func(name string, old, new map[string]events.DynamoDBAttributeValue) events.DynamoDBEventRecord {
		return events.DynamoDBEventRecord{EventName: name, Change: events.DynamoDBStreamRecord{OldImage: old, NewImage: new}}
	}
	for _, tc := range []struct {
		name string
		rec  events.DynamoDBEventRecord
		want bool
	}{
		{"a new contract", record("INSERT", nil, image("contract")), true},
		{"a changed contract", record("MODIFY", image("contract"), image("contract")), true},
		{"a removed contract", record("REMOVE", image("contract"), nil), true},
		{"a counter", record("MODIFY", image("counter"), image("counter")), false},
		{"an Idempotency-Key record", record("INSERT", nil, image("idempotency-key")), false},
		{"a published event's record, expired", record("REMOVE", image("published-event"), nil), false},
		{"an item of no type", record("INSERT", nil, map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute("x")}), false},
		{"a type that is a number", record("INSERT", nil, map[string]events.DynamoDBAttributeValue{"type": events.NewNumberAttribute("1")}), false},
	} {
		if got := f.Match(tc.rec); got != tc.want {
			t.Errorf("%s: passed %v, want %v", tc.name, got, tc.want)
		}
	}
	for _, pattern := range []string{
		`{"dynamodb": {"NewImage": {"type": {"S": [{"prefix": "con"}]}}}}`,
		`{"dynamodb": {"NewImage": {"type": {"S": [["contract"]]}}}}`,
		`{"dynamodb": "contract"}`,
		`{"dynamodb": `,
	} {
		if _, err := ParseFilter([]string{pattern}); err == nil {
			t.Errorf("the pattern %s was taken", pattern)
		}
	}
	if f, err := ParseFilter(nil); err != nil || !f.Match(record("INSERT", nil, image("counter"))) {
		t.Errorf("no patterns: %v, %v; want every record passed", f, err)
	}
}
