package httpapi

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
)

// FuzzCheckJSON holds the scan to encoding/json's own verdict: it must
// never call valid JSON malformed, never pass malformed JSON, and never
// panic, whatever the destination.
func FuzzCheckJSON(f *testing.F) {
	for _, seed := range []string{
		`{}`, `[]`, `null`, `0`, `"x"`, `{"a":[1,{"b":null}],"c":true}`,
		`{"a":1,"a":2}`, `{"a":1e400}`, `[-0.0e-0]`, `{"a":"\u0000"}`,
		`{"a":1} `, `{"a":1}x`, `{"a":`, `[1,2`, `{"a" 1}`, "\xff",
		strings.Repeat("[", MaxJSONDepth+1) + strings.Repeat("]", MaxJSONDepth+1),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, root := range []*shape{nil, shapeOf(&fuzzTarget{}), shapeOf(&map[string]json.RawMessage{}), shapeOf(&[]int8{})} {
			err := checkJSON(data, root)
			if err == nil {
				if !json.Valid(data) {
					t.Fatalf("the scan passed malformed JSON %q", data)
				}
				continue
			}
			if contract.KindOf(err) != contract.KindInvalid {
				t.Fatalf("scan error %v is not a refusal", err)
			}
			if json.Valid(data) && (strings.HasPrefix(err.Error(), "the body is not valid JSON") || strings.HasPrefix(err.Error(), "the body holds data after")) {
				t.Fatalf("the scan calls valid JSON %q malformed: %v", data, err)
			}
		}
	})
}

// fuzzTarget has a field of each shape the scan tells apart.
type fuzzTarget struct {
	Embedded
	Name   string            `json:"name"`
	N      int8              `json:"n"`
	U      uint32            `json:"u"`
	F      float32           `json:"f"`
	B      bool              `json:"b"`
	Kids   []fuzzTarget      `json:"kids"`
	Attrs  map[string]*int64 `json:"attrs"`
	Raw    json.RawMessage   `json:"raw"`
	Any    any               `json:"any"`
	At     time.Time         `json:"at"`
	Quoted int               `json:"quoted,string"`
	Bytes  []byte            `json:"bytes"`
	Num    json.Number       `json:"num"`
}

// Embedded is promoted into fuzzTarget, as encoding/json promotes it.
type Embedded struct {
	Note string `json:"note"`
}

// The types below provoke each rule by which encoding/json names or hides
// a field.
type (
	tieA struct {
		X int
		Y int `json:"y"`
	}
	tieB struct {
		X int
	}
	tagWins struct {
		Z int `json:"Shared"`
	}
	untagged struct{ Shared int }
	deep     struct{ tieA }
	fieldsT  struct {
		tieA
		tieB
		tagWins
		untagged
		deep
		Plain   int
		Renamed int `json:"other_name"`
		Dash    int `json:"-"`
		//lint:ignore SA5008 a tag of "-," names the field "-", one of the rules provoked here
		DashComma int `json:"-,"`
		//lint:ignore SA5008 a name encoding/json refuses, so the field keeps its own, another rule provoked here
		BadTag  int   `json:"a\\b"`
		Options int   `json:",omitempty"`
		Ptr     *tieA `json:"ptr"`
		//lint:ignore U1000 encoding/json never sees it, which is what the test checks
		private int
		Unicode string `json:"名前"`
	}
)

// TestJSONFieldsMatchEncodingJSON checks that the field names the scan
// accepts are exactly those encoding/json decodes into: a name it alone
// knew would pass unknown fields, one it missed would refuse good ones.
func TestJSONFieldsMatchEncodingJSON(t *testing.T) {
	sh := shapeOf(&fieldsT{})
	var known []string
	for name := range sh.fields {
		known = append(known, name)
	}
	candidates := append([]string{
		"X", "Y", "y", "Z", "Shared", "shared", "Plain", "Renamed", "other_name",
		"Dash", "-", "DashComma", "BadTag", `a\b`, "Options", "ptr", "Ptr", "private", "名前", "Unicode",
		"tieA", "tieB", "deep",
	}, known...)
	for _, name := range candidates {
		body, _ := json.Marshal(map[string]any{name: nil})
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		decodes := dec.Decode(&fieldsT{}) == nil
		_, scanKnows := sh.fields[name]
		folds := false
		for _, k := range known {
			folds = folds || strings.EqualFold(k, name)
		}
		switch {
		case scanKnows && !decodes:
			t.Errorf("the scan accepts %q, encoding/json does not", name)
		case !scanKnows && decodes && !folds:
			t.Errorf("encoding/json decodes %q, the scan does not know it", name)
		}
	}
	want := map[string]bool{"X": false, "y": true, "Shared": true, "Plain": true, "other_name": true, "-": true, "BadTag": true, "Options": true, "ptr": true, "名前": true}
	for name, present := range want {
		if _, ok := sh.fields[name]; ok != present {
			t.Errorf("field %q known = %v, want %v (known: %v)", name, ok, present, known)
		}
	}
}

// seedFields mirrors the Kukkingu create body, so the benchmark decodes
// what the service decodes most.
type seedFields struct {
	ClientID     string  `json:"clientId"`
	Name         string  `json:"name"`
	AmountMinor  *int64  `json:"amountMinor"`
	CurrencyCode string  `json:"currencyCode"`
	Description  *string `json:"description,omitempty"`
	Order        *int64  `json:"order,omitempty"`
	ValidFrom    *string `json:"validFrom,omitempty"`
	ValidTo      *string `json:"validTo,omitempty"`
}

// BenchmarkDecodeSeed prices the scan against plain decoding of the
// Kukkingu seed request.
func BenchmarkDecodeSeed(b *testing.B) {
	body, err := os.ReadFile("../kukkingu/testdata/seed-create.json")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("json.Unmarshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v seedFields
			if err := json.Unmarshal(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json.Decoder strict", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v seedFields
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("checkJSON", func(b *testing.B) {
		sh := shapeOf(&seedFields{})
		b.ReportAllocs()
		for b.Loop() {
			if err := checkJSON(body, sh); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DecodeStrict", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v seedFields
			if err := DecodeStrict(body, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
