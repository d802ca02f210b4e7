// Package eventschema validates contract events against
// infra/contract-event.schema.json, the schema the README documents and
// the stack registers, so that the schema cannot drift from what the
// function puts on the bus: the tests of the mapping and the end-to-end
// tests hand every event they see to Event or Detail.
package eventschema

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// Path returns the schema's path, found from this source file rather than
// the working directory, which is each test's own package directory.
func Path() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("eventschema: cannot locate its source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "infra", "contract-event.schema.json"), nil
}

// The schema is compiled once per test binary: the whole event, and its
// detail alone.
var (
	once          sync.Once
	event, detail *jsonschema.Schema
	loadErr       error
)

func load() error {
	once.Do(func() {
		path, err := Path()
		if err != nil {
			loadErr = err
			return
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			loadErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			loadErr = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		// date-time and the other formats are asserted, not only noted.
		c.AssertFormat()
		const url = "https://contracts-service.invalid/contract-event.schema.json"
		if loadErr = c.AddResource(url, doc); loadErr != nil {
			return
		}
		if event, loadErr = c.Compile(url); loadErr != nil {
			return
		}
		detail, loadErr = c.Compile(url + "#/definitions/ContractEventDetail")
	})
	return loadErr
}

func validate(t testing.TB, which func() *jsonschema.Schema, raw []byte) {
	t.Helper()
	if err := load(); err != nil {
		t.Fatalf("eventschema: %v", err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Errorf("the event is not JSON: %v\n%s", err, raw)
		return
	}
	if err := which().Validate(v); err != nil {
		t.Errorf("the event does not match infra/contract-event.schema.json: %v\n%s", err, raw)
	}
}

// Event fails the test unless raw, an event as EventBridge delivers it to
// a target (envelope and detail), matches the schema.
func Event(t testing.TB, raw []byte) {
	t.Helper()
	validate(t, func() *jsonschema.Schema { return event }, raw)
}

// Detail fails the test unless raw, an event's detail, matches the
// schema's ContractEventDetail.
func Detail(t testing.TB, raw []byte) {
	t.Helper()
	validate(t, func() *jsonschema.Schema { return detail }, raw)
}
