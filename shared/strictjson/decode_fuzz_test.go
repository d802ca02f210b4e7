package strictjson

import (
	stdjson "encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/contracts-service/contracts/shared/contract"
)

// plainTarget has a field of each shape the walk tells apart by kind
// alone, nested, embedded and behind pointers: for these the walk must
// find everything json/v2 refuses.
type plainTarget struct {
	Promoted
	Name  string               `json:"name"`
	N     int8                 `json:"n"`
	U     uint32               `json:"u"`
	F     float32              `json:"f"`
	B     *bool                `json:"b"`
	Kids  []plainTarget        `json:"kids"`
	Attrs map[string]*int64    `json:"attrs"`
	Raw   stdjson.RawMessage   `json:"raw"`
	Any   any                  `json:"any"`
	Num   *stdjson.Number      `json:"num"`
	Deep  map[string][]float64 `json:"deep"`
}

// Promoted is embedded in plainTarget, and json/v2 promotes its fields.
type Promoted struct {
	Note string `json:"note"`
}

// level reads itself from text, as enums often do.
type level int

func (l *level) UnmarshalText(b []byte) error {
	n, err := strconv.Atoi(string(b))
	*l = level(n)
	return err
}

// ownTarget adds the fields whose JSON json/v2 checks beyond its kind:
// base64, RFC 3339, a number quoted in a string, a text method, an array
// of fixed length. The walk may leave those to json/v2.
type ownTarget struct {
	plainTarget
	Bytes  []byte    `json:"bytes"`
	At     time.Time `json:"at"`
	Quoted int       `json:"quoted,string"`
	Level  level     `json:"level"`
	Fixed  [2]int    `json:"fixed"`
}

// fuzzTargets are the destinations FuzzDecode decodes into; plain reports
// whether the walk alone must find every refusal.
var fuzzTargets = []struct {
	new   func() any
	plain bool
}{
	{func() any { return new(any) }, true},
	{func() any { return new(plainTarget) }, true},
	{func() any { return new(map[string]stdjson.RawMessage) }, true},
	{func() any { return new([]int8) }, true},
	{func() any { return new(ownTarget) }, false},
}

// FuzzDecode holds strict decoding to json/v2's own reading of JSON: it
// never calls valid JSON malformed, never passes malformed JSON, never
// panics and never answers a fault, whatever the destination. Where the
// destination's JSON is told by kind alone, the walk finds everything
// json/v2 refuses (json/v2 never refuses a body the walk passed), and a
// body refused only for some fields decodes without them.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{}`, `[]`, `null`, `0`, `"x"`, `{"a":[1,{"b":null}],"c":true}`,
		`{"a":1,"a":2}`, `{"a":1e400}`, `[-0.0e-0]`, `{"a":"\u0000"}`,
		`{"a":1} `, `{"a":1}x`, `{"a":`, `[1,2`, `{"a" 1}`, "\xff",
		`{"name":"x","NAME":1,"n":128,"u":-1,"f":1e39,"kids":[{"note":"y","kids":[{"attrs":{"a":1.5}}]}]}`,
		`{"raw":{"x":[1,2]},"any":{"k":9007199254740993},"num":"1","deep":{"a":[1,"2"]}}`,
		`{"bytes":"!!","at":"yesterday","quoted":"1e3","level":"x","fixed":[1,2,3]}`,
		strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		valid := jsontext.Value(data).IsValid(jsontext.AllowDuplicateNames(true))
		for _, target := range fuzzTargets {
			v := target.new()
			err := Decode(data, v)
			if err == nil {
				if !valid || !stdjson.Valid(data) {
					t.Fatalf("passed malformed JSON %q into %T", data, v)
				}
				continue
			}
			if contract.KindOf(err) != contract.KindInvalid {
				t.Fatalf("%q into %T: %v is not a refusal", data, v, err)
			}
			if valid && (strings.HasPrefix(err.Error(), "the body is not valid JSON") || strings.HasPrefix(err.Error(), "the body holds data after")) {
				t.Fatalf("calls valid JSON %q malformed: %v", data, err)
			}
			if !target.plain || !valid {
				continue
			}
			root, _ := shapeOf(reflect.TypeOf(v).Elem())
			w, err := walk(data, root, false)
			switch {
			case err != nil || w.stopped:
			case len(w.fields) == 0:
				t.Fatalf("json/v2 refuses %q into %T, which the walk passed: %v", data, v, json.Unmarshal(data, target.new(), strict))
			default:
				if err := json.Unmarshal(without(data, w.refused), target.new(), around); err != nil {
					t.Fatalf("%q into %T, without its refused values %q: %v", data, v, without(data, w.refused), err)
				}
			}
		}
	})
}

// The types below provoke each rule by which json/v2 names or hides a
// field.
type (
	tieA struct {
		X int
		Y int `json:"y"`
	}
	tieB    struct{ X int }
	tagWins struct {
		Z int `json:"Shared"`
	}
	untagged struct{ Shared int }
	deep     struct{ tieA }
	// A fallback takes the members no field has; json/v2 spells its
	// option "embed", and "inline" before Go 1.27.
	fallbackEmbed struct {
		Known string         `json:"known"`
		Rest  map[string]any `json:",embed"`
	}
	fallbackInline struct {
		Known string         `json:"known"`
		Rest  map[string]any `json:",inline"`
	}
	fieldsT struct {
		tieA
		tieB
		tagWins
		untagged
		deep
		Plain   int
		Renamed int   `json:"other_name"`
		Dash    int   `json:"-"`
		Options int   `json:",omitempty"`
		Ptr     *tieA `json:"ptr"`
		//lint:ignore U1000 json/v2 never sees it, which is what the test checks
		private int
		Unicode string `json:"名前"`
		Quoted  int64  `json:"quoted,string"`
	}
)

// TestNamesAreJSONv2s holds the names the walk knows to those json/v2
// decodes into: a name the walk alone knew would pass unknown fields, one
// it missed would refuse good ones.
func TestNamesAreJSONv2s(t *testing.T) {
	s, err := shapeOf(reflect.TypeFor[fieldsT]())
	if err != nil {
		t.Fatal(err)
	}
	candidates := append([]string{
		"X", "Y", "y", "Z", "Shared", "shared", "Plain", "plain", "Renamed", "other_name",
		"Dash", "-", "Options", "ptr", "Ptr", "private", "名前", "Unicode",
		"tieA", "tieB", "deep", "quoted", "Quoted",
	}, s.names...)
	for _, name := range candidates {
		body, _ := json.Marshal(map[string]any{name: nil})
		decodes := json.Unmarshal(body, &fieldsT{}, json.RejectUnknownMembers(true)) == nil
		if _, known := s.fields[name]; known != decodes {
			t.Errorf("name %q: the walk knows it %v, json/v2 decodes it %v", name, known, decodes)
		}
	}
	want := []string{"Options", "Plain", "Shared", "other_name", "ptr", "quoted", "y", "名前"}
	if !slices.Equal(s.names, want) {
		t.Errorf("names = %q, want %q", s.names, want)
	}
	if q := s.fields["quoted"]; q == nil || q.kind != kindString {
		t.Errorf("a number quoted by its tag is read as %+v, want a string", q)
	}
	if s.open {
		t.Error("a struct without a fallback takes any name")
	}
	// A struct json/v2 gives unknown members to (a fallback) takes any
	// name.
	var opens int
	for _, v := range []any{&fallbackEmbed{}, &fallbackInline{}} {
		body := []byte(`{"known":"k","other":[1]}`)
		f, err := shapeOf(reflect.TypeOf(v).Elem())
		if err != nil {
			t.Fatal(err)
		}
		if decodes := json.Unmarshal(body, v, json.RejectUnknownMembers(true)) == nil; f.open != decodes {
			t.Errorf("%T: the walk takes any name %v, json/v2 %v", v, f.open, decodes)
		}
		if err := Decode(body, v); f.open && err != nil {
			t.Errorf("%T refused an unknown name: %v", v, err)
		}
		if f.open {
			opens++
		}
	}
	if opens != 1 {
		t.Errorf("%d of the fallbacks take any name, want one", opens)
	}
}

// TestNumberIsANumber holds encoding/json's Number, which the wire formats
// use for prices, to a JSON number, kept as written.
func TestNumberIsANumber(t *testing.T) {
	var v struct {
		N stdjson.Number `json:"n"`
	}
	if err := Decode([]byte(`{"n":1.50}`), &v); err != nil || v.N != "1.50" {
		t.Fatalf("n = %q, %v", v.N, err)
	}
	var e *contract.Error
	if err := Decode([]byte(`{"n":"1.50"}`), &v); !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "n" {
		t.Fatalf("a string: %v", err)
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

// BenchmarkDecodeSeed prices strict decoding against json/v2's and
// encoding/json's plain decoding of the Kukkingu seed request.
func BenchmarkDecodeSeed(b *testing.B) {
	body, err := os.ReadFile("../kukkingu/testdata/seed-create.json")
	if err != nil {
		b.Fatal(err)
	}
	for _, bm := range []struct {
		name   string
		decode func(v *seedFields) error
	}{
		{"encoding/json", func(v *seedFields) error { return stdjson.Unmarshal(body, v) }},
		{"json/v2", func(v *seedFields) error { return json.Unmarshal(body, v, strict) }},
		{"walk", func(*seedFields) error {
			root, _ := shapeOf(reflect.TypeFor[seedFields]())
			_, err := walk(body, root, false)
			return err
		}},
		{"Decode", func(v *seedFields) error { return Decode(body, v) }},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var v seedFields
				if err := bm.decode(&v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
