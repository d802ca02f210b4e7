package trigger

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSampleEvents recognises every sample event of infra/events, the same
// payloads sam local invoke and the end-to-end tests send.
func TestSampleEvents(t *testing.T) {
	files, err := filepath.Glob("../../infra/events/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sample events: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := HTTP
			switch {
			case name == "authorizer.json":
				want = Unknown // an authorizer request has no route handler
			case strings.HasPrefix(name, "sqs-"):
				want = SQS
			case strings.HasPrefix(name, "eventbridge-"):
				want = EventBridge
			case strings.HasPrefix(name, "direct-"):
				want = Direct
			}
			got, _ := Recognise(raw)
			if got != want {
				t.Fatalf("Recognise = %v, want %v", got, want)
			}
		})
	}
}

func TestRecognise(t *testing.T) {
	tests := []struct {
		name string
		raw  string
		want Kind
	}{
		{"http", `{"version":"2.0","routeKey":"GET /x","requestContext":{}}`, HTTP},
		{"http payload 1.0 is not ours", `{"version":"1.0","routeKey":"GET /x","requestContext":{}}`, Unknown},
		{"sqs", `{"Records":[{"eventSource":"aws:sqs","body":"{}"}]}`, SQS},
		{"s3 records are not sqs", `{"Records":[{"eventSource":"aws:s3"}]}`, Unknown},
		{"mixed records", `{"Records":[{"eventSource":"aws:sqs"},{"eventSource":"aws:sns"}]}`, Unknown},
		{"empty records", `{"Records":[]}`, Unknown},
		{"eventbridge", `{"detail-type":"ContractActionRequested","detail":{}}`, EventBridge},
		{"direct", `{"tenantId":"t","request":{}}`, Direct},
		{"tenant without request", `{"tenantId":"t"}`, Unknown},
		{"empty object", `{}`, Unknown},
		{"array", `[]`, Unknown},
		{"null", `null`, Unknown},
		{"not json", `{`, Unknown},
		{"wrong types", `{"Records":"x"}`, Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Recognise(json.RawMessage(tt.raw))
			if got != tt.want || (got == Unknown) != (err != nil) {
				t.Fatalf("Recognise(%s) = %v, %v; want %v", tt.raw, got, err, tt.want)
			}
		})
	}
}

// FuzzRecognise: any input is one kind or Unknown with ErrUnknown, never
// a panic, and the kind is stable.
func FuzzRecognise(f *testing.F) {
	for _, seed := range []string{
		`{"version":"2.0","routeKey":"GET /x","requestContext":{}}`,
		`{"Records":[{"eventSource":"aws:sqs"}]}`,
		`{"detail-type":"x","detail":{}}`,
		`{"tenantId":"t","request":{}}`,
		`{"Records":[{"eventSource":"aws:sqs"}],"detail-type":"x","detail":{}}`,
		`null`, `{`, ``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		k, err := Recognise(raw)
		if (k == Unknown) != (err != nil) {
			t.Fatalf("kind %v with error %v", k, err)
		}
		if k2, _ := Recognise(raw); k2 != k {
			t.Fatalf("unstable: %v then %v", k, k2)
		}
	})
}
