package strictjson_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/strictjson"
)

type inner struct {
	Count int64 `json:"count"`
}

// payload has a field of each JSON kind, so every refusal can be
// provoked.
type payload struct {
	Name   string            `json:"name"`
	Order  int64             `json:"order"`
	Ratio  float64           `json:"ratio"`
	Small  float32           `json:"small"`
	Active bool              `json:"active"`
	Tags   []string          `json:"tags"`
	Inner  *inner            `json:"inner"`
	Attrs  map[string]string `json:"attrs"`
	Price  *json.Number      `json:"price"`
	Size   uint16            `json:"size"`
	Extra  json.RawMessage   `json:"extra"`
}

const safeRange = "must be an integer from -9007199254740991 to 9007199254740991"

// many joins n items made by item with commas.
func many(n int, item func(i int) string) string {
	parts := make([]string, n)
	for i := range parts {
		parts[i] = item(i)
	}
	return strings.Join(parts, ",")
}

// fieldsOf returns the fields a refusal names, or fails the test when err
// is not a refusal.
func fieldsOf(t *testing.T, err error) []contract.FieldError {
	t.Helper()
	var e *contract.Error
	if !errors.As(err, &e) || e.Kind != contract.KindInvalid {
		t.Fatalf("err = %v, want a refusal", err)
	}
	return e.Fields
}

// TestDecodeRefusals covers what json/v2 alone decodes silently or refuses
// one at a time: duplicate and case-folded names, integers past 2^53-1,
// numbers past a double, bodies past the bounds; every refusal of a body
// at once, and paths down to the array element.
func TestDecodeRefusals(t *testing.T) {
	longKey := strings.Repeat("é", 80) // 160 bytes, cut at a rune
	tests := []struct {
		name string
		body string
		want []contract.FieldError
	}{
		{"duplicate key", `{"name":"a","name":"b"}`, []contract.FieldError{{Field: "name", Message: "appears more than once"}}},
		{"duplicate key spelled with an escape", `{"name":"a","n\u0061me":"b"}`, []contract.FieldError{{Field: "name", Message: "appears more than once"}}},
		{"duplicate nested key", `{"inner":{"count":1,"count":2}}`, []contract.FieldError{{Field: "inner.count", Message: "appears more than once"}}},
		{"duplicate map key", `{"attrs":{"k":"a","j":"b","k":"c"}}`, []contract.FieldError{{Field: "attrs.k", Message: "appears more than once"}}},
		{"duplicate key in a large object", `{"attrs":{` + many(40, func(i int) string { return fmt.Sprintf(`"k%d":"v"`, i) }) + `,"k7":"again"}}`,
			[]contract.FieldError{{Field: "attrs.k7", Message: "appears more than once"}}},
		{"upper-case key", `{"NAME":"x"}`, []contract.FieldError{{Field: "NAME", Message: `is not a known field (names are case-sensitive: did you mean "name"?)`}}},
		{"mixed-case nested key", `{"inner":{"Count":1}}`, []contract.FieldError{{Field: "inner.Count", Message: `is not a known field (names are case-sensitive: did you mean "count"?)`}}},
		{"key that folds to a field", `{"tag\u017f":["a"]}`, []contract.FieldError{{Field: "tagſ", Message: `is not a known field (names are case-sensitive: did you mean "tags"?)`}}},
		{"unknown field", `{"nmae":"x"}`, []contract.FieldError{{Field: "nmae", Message: "is not a known field"}}},
		{"integer past 2^53-1", `{"order":9007199254740992}`, []contract.FieldError{{Field: "order", Message: safeRange}}},
		{"integer below -(2^53-1)", `{"order":-9007199254740992}`, []contract.FieldError{{Field: "order", Message: safeRange}}},
		{"integer past int64", `{"order":9223372036854775808}`, []contract.FieldError{{Field: "order", Message: safeRange}}},
		{"integer written with a fraction", `{"order":5.0}`, []contract.FieldError{{Field: "order", Message: safeRange + ", without a fraction or exponent"}}},
		{"integer written with an exponent", `{"order":5e0}`, []contract.FieldError{{Field: "order", Message: safeRange + ", without a fraction or exponent"}}},
		{"negative into unsigned", `{"size":-1}`, []contract.FieldError{{Field: "size", Message: "must be an integer from 0 to 65535"}}},
		{"minus zero into unsigned", `{"size":-0}`, []contract.FieldError{{Field: "size", Message: "must be an integer from 0 to 65535"}}},
		{"nested integer past 2^53-1", `{"inner":{"count":18014398509481984}}`, []contract.FieldError{{Field: "inner.count", Message: safeRange}}},
		{"number past float64", `{"ratio":1e400}`, []contract.FieldError{{Field: "ratio", Message: "must be a number from -1.7976931348623157e+308 to 1.7976931348623157e+308"}}},
		{"number past float32", `{"small":1e39}`, []contract.FieldError{{Field: "small", Message: "must be a number from -3.4028234663852886e+38 to 3.4028234663852886e+38"}}},
		{"price past float64", `{"price":-1e309}`, []contract.FieldError{{Field: "price", Message: "must be a number from -1.7976931348623157e+308 to 1.7976931348623157e+308"}}},
		{"price as a string", `{"price":"12.50"}`, []contract.FieldError{{Field: "price", Message: "must be a number"}}},
		{"string into integer", `{"order":"5"}`, []contract.FieldError{{Field: "order", Message: "must be an integer"}}},
		{"boolean into string", `{"name":true}`, []contract.FieldError{{Field: "name", Message: "must be a string"}}},
		{"array into object", `{"inner":[]}`, []contract.FieldError{{Field: "inner", Message: "must be an object"}}},
		{"object into array", `{"tags":{}}`, []contract.FieldError{{Field: "tags", Message: "must be an array"}}},
		{"number into boolean", `{"active":1}`, []contract.FieldError{{Field: "active", Message: "must be a boolean"}}},
		{"array element of the wrong type", `{"tags":["a","b",3]}`, []contract.FieldError{{Field: "tags[2]", Message: "must be a string"}}},
		{"array too long", `{"tags":[` + many(strictjson.MaxArrayLength+1, func(int) string { return `"t"` }) + `]}`,
			[]contract.FieldError{{Field: "tags", Message: "has more than 1000 elements"}}},
		{"object with too many members", `{"attrs":{` + many(strictjson.MaxObjectMembers+1, func(i int) string { return fmt.Sprintf(`"%d":""`, i) }) + `}}`,
			[]contract.FieldError{{Field: "attrs", Message: "has more than 1000 members"}}},
		{"every refusal at once", `{"name":"a","NAME":"b","order":1.5,"inner":{"count":"x","extra":[1,1]},"tags":[1],"name":"c"}`, []contract.FieldError{
			{Field: "NAME", Message: `is not a known field (names are case-sensitive: did you mean "name"?)`},
			{Field: "order", Message: safeRange + ", without a fraction or exponent"},
			{Field: "inner.count", Message: "must be an integer"},
			{Field: "inner.extra", Message: "is not a known field"},
			{Field: "tags[0]", Message: "must be a string"},
			{Field: "name", Message: "appears more than once"},
		}},
		{"empty key", `{"":1}`, []contract.FieldError{{Field: `[""]`, Message: "is not a known field"}}},
		{"key with a dot", `{"attrs":{"a.b":"x","a.b":"y"}}`, []contract.FieldError{{Field: `attrs["a.b"]`, Message: "appears more than once"}}},
		{"long unknown key", `{"` + longKey + `":1}`, []contract.FieldError{{Field: strings.Repeat("é", 50) + "…", Message: "is not a known field"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got payload
			if fields := fieldsOf(t, strictjson.Decode([]byte(tt.body), &got)); !reflect.DeepEqual(fields, tt.want) {
				t.Fatalf("fields = %q\nwant     %q", fields, tt.want)
			}
		})
	}
}

// TestDecodeRefusesTheBody covers the refusals of a body as a whole, which
// name no field. Where JSON's grammar is broken, the answer says about
// where, as jsontext reports it.
func TestDecodeRefusesTheBody(t *testing.T) {
	const at = "the body is not valid JSON (at byte "
	tests := []struct{ name, body, want string }{
		{"empty", ``, "the body is not valid JSON (it ends too early)"},
		{"truncated", `{"name":`, "the body is not valid JSON (it ends too early)"},
		{"malformed", `{"name":}`, at},
		{"trailing comma", `{"name":"x",}`, at},
		{"unquoted key", `{name:"x"}`, at},
		{"invalid UTF-8", "{\"name\":\"\xff\"}", "the body is not valid UTF-8"},
		{"escaped lone surrogate", `{"name":"\ud800"}`, at},
		{"raw control character", "{\"name\":\"a\tb\"}", at},
		{"data after the value", `{"name":"x"} x`, "the body holds data after the JSON value"},
		{"a second value", `{"name":"x"}{}`, "the body holds data after the JSON value"},
		{"an array for an object", `[{"name":"x"}]`, "the body must be a JSON object"},
		{"a string for an object", `"x"`, "the body must be a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := strictjson.Decode([]byte(tt.body), &payload{})
			if len(fieldsOf(t, err)) != 0 || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("err = %v %+v, want %q", err, err, tt.want)
			}
		})
	}
}

func TestDecodeAcceptsAtTheBounds(t *testing.T) {
	price := json.Number("-0.5e-3")
	tests := []struct {
		name string
		body string
		want payload
	}{
		{"largest safe integer", `{"order":9007199254740991}`, payload{Order: 1<<53 - 1}},
		{"smallest safe integer", `{"order":-9007199254740991}`, payload{Order: -(1<<53 - 1)}},
		{"negative zero", `{"order":-0}`, payload{}},
		{"large float", `{"ratio":1.7976931348623157e308}`, payload{Ratio: 1.7976931348623157e308}},
		{"float that underflows to zero", `{"ratio":1e-400}`, payload{}},
		{"a price kept as written", `{"price":-0.5e-3}`, payload{Price: &price}},
		// Free-form JSON says nothing of its numbers: CheckSafeIntegers
		// holds what a client sends to be kept to 2^53-1.
		{"free-form numbers of any size", `{"extra":[9007199254740992,-92233720368547758080,-0,1.5e300]}`,
			payload{Extra: json.RawMessage(`[9007199254740992,-92233720368547758080,-0,1.5e300]`)}},
		// NUL is valid JSON; whether a field may hold it is its
		// validator's rule, not the decoder's.
		{"escaped NUL", `{"name":"a\u0000b"}`, payload{Name: "a\x00b"}},
		{"same key in sibling objects", `{"inner":{"count":1},"attrs":{"count":"x"}}`, payload{Inner: &inner{Count: 1}, Attrs: map[string]string{"count": "x"}}},
		{"keys differing in case in a map", `{"attrs":{"k":"a","K":"b"}}`, payload{Attrs: map[string]string{"k": "a", "K": "b"}}},
		{"nulls", `{"name":null,"inner":null,"tags":null,"price":null}`, payload{}},
		{"surrounding whitespace", " \n\t{\"name\":\"x\"}\r\n ", payload{Name: "x"}},
		{"longest array", `{"tags":[` + many(strictjson.MaxArrayLength, func(int) string { return `"t"` }) + `]}`,
			payload{Tags: strings.Split(strings.Repeat("t", strictjson.MaxArrayLength), "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got payload
			if err := strictjson.Decode([]byte(tt.body), &got); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("decoded %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeBounds(t *testing.T) {
	nest := func(depth int) string {
		return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
	}
	var v any
	if err := strictjson.Decode([]byte(nest(strictjson.MaxDepth)), &v); err != nil {
		t.Fatalf("%d levels refused: %v", strictjson.MaxDepth, err)
	}
	err := strictjson.Decode([]byte(nest(strictjson.MaxDepth+1)), &v)
	want := []contract.FieldError{{Field: strings.TrimSuffix(strings.Repeat("a.", strictjson.MaxDepth), "."), Message: "nests more than 32 levels deep"}}
	if fields := fieldsOf(t, err); !reflect.DeepEqual(fields, want) {
		t.Fatalf("%d levels: %v %+v", strictjson.MaxDepth+1, err, fields)
	}
	// Arrays count as levels too.
	deepArrays := strings.Repeat("[", strictjson.MaxDepth+1) + strings.Repeat("]", strictjson.MaxDepth+1)
	if fields := fieldsOf(t, strictjson.Decode([]byte(deepArrays), &v)); len(fields) != 1 || !strings.HasPrefix(fields[0].Field, "[0]") {
		t.Fatalf("deep arrays: %+v", fields)
	}
	// A bound of the body itself names no field.
	long := "[" + strings.TrimSuffix(strings.Repeat("0,", strictjson.MaxArrayLength+1), ",") + "]"
	err = strictjson.Decode([]byte(long), &[]int{})
	if len(fieldsOf(t, err)) != 0 || !strings.Contains(err.Error(), "more than 1000 elements") {
		t.Fatalf("long top-level array: %v", err)
	}
	// A hostile body made only of brackets is refused at the bound, not
	// after building anything.
	brackets := strings.Repeat("[", 64<<10)
	fieldsOf(t, strictjson.Decode([]byte(brackets), &v))
	// So many refusals that the answer would outgrow the body are cut.
	err = strictjson.Decode([]byte("{"+many(50, func(i int) string { return fmt.Sprintf(`"u%d":1`, i) })+"}"), &payload{})
	if len(fieldsOf(t, err)) != 20 || !strings.Contains(err.Error(), "first 20") {
		t.Fatalf("50 unknown fields: %v", err)
	}
}

func TestDecodeDestinations(t *testing.T) {
	tests := []struct {
		name    string
		data    string
		into    func() any
		wantErr bool
	}{
		{"object into map", `{"a":1}`, func() any { return &map[string]any{} }, false},
		{"array into slice", `[1,2]`, func() any { return &[]int{} }, false},
		{"anything into any", `{"a":[true,null,"x",1.5]}`, func() any { return new(any) }, false},
		{"raw member values", `{"a":[1, 2],"b":{"c":null}}`, func() any { return &map[string]json.RawMessage{} }, false},
		{"number past a double into any", `{"a":[1e400]}`, func() any { return new(any) }, true},
		{"duplicate inside a raw value", `{"a":{"b":1,"b":2}}`, func() any { return &map[string]json.RawMessage{} }, true},
		{"unknown field", `{"nope":1}`, func() any { return &payload{} }, true},
		{"trailing data", `{"a":1} {}`, func() any { return &map[string]any{} }, true},
		{"wrong type", `{"order":"x"}`, func() any { return &payload{} }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := strictjson.Decode([]byte(tt.data), tt.into())
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && contract.KindOf(err) != contract.KindInvalid {
				t.Fatalf("err %v is not KindInvalid", err)
			}
		})
	}
}

// TestDecodeIntoWhatCannotHoldJSON holds a destination json/v2 cannot
// decode into to be the service's fault, never the client's.
func TestDecodeIntoWhatCannotHoldJSON(t *testing.T) {
	var p payload
	for name, v := range map[string]any{
		"not a pointer": p,
		"nil pointer":   (*payload)(nil),
		"a channel":     new(struct{ C chan int }),
	} {
		if err := strictjson.Decode([]byte(`{}`), v); err == nil || contract.KindOf(err) != contract.KindInternal {
			t.Errorf("%s: err = %v, want a fault", name, err)
		}
	}
}

// TestDecodeValid holds DecodeValid to answering the decode's refusals
// and check's at once, with check run on the rest of the body.
func TestDecodeValid(t *testing.T) {
	required := func(p *payload) func() error {
		return func() error {
			var fields []contract.FieldError
			if p.Name == "" {
				fields = append(fields, contract.FieldError{Field: "name", Message: "is required"})
			}
			if p.Inner == nil || p.Inner.Count < 1 {
				fields = append(fields, contract.FieldError{Field: "inner.count", Message: "must be at least 1"})
			}
			if len(fields) > 0 {
				return contract.Invalid(fields...)
			}
			return nil
		}
	}
	tests := []struct {
		name string
		body string
		want []contract.FieldError // nil: accepted
	}{
		{"valid", `{"name":"n","inner":{"count":2}}`, nil},
		{"check alone", `{"inner":{"count":0}}`, []contract.FieldError{{Field: "name", Message: "is required"}, {Field: "inner.count", Message: "must be at least 1"}}},
		{"both at once, the rest decoded", `{"name":"n","order":"x","inner":{"count":0}}`,
			[]contract.FieldError{{Field: "order", Message: "must be an integer"}, {Field: "inner.count", Message: "must be at least 1"}}},
		{"a refused field is named once", `{"name":5,"inner":{"count":2},"colour":"red"}`,
			[]contract.FieldError{{Field: "name", Message: "must be a string"}, {Field: "colour", Message: "is not a known field"}}},
		{"values after a refused one still decode", `{"tags":[1,"a"],"colour":{"x":[1]},"name":"n","inner":{"count":3}}`,
			[]contract.FieldError{{Field: "tags[0]", Message: "must be a string"}, {Field: "colour", Message: "is not a known field"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p payload
			err := strictjson.DecodeValid([]byte(tt.body), &p, required(&p))
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if fields := fieldsOf(t, err); !reflect.DeepEqual(fields, tt.want) {
				t.Fatalf("fields = %q\nwant     %q", fields, tt.want)
			}
		})
	}

	// A body refused as a whole is refused without check.
	for _, body := range []string{`{"name":`, `[1]`, `{"tags":[` + many(1001, func(int) string { return "1" }) + `]}`} {
		called := false
		err := strictjson.DecodeValid([]byte(body), &payload{}, func() error { called = true; return nil })
		if err == nil || called {
			t.Errorf("%.20s: err = %v, check called %v", body, err, called)
		}
	}
	// A fault of check stands alone.
	fault := errors.New("boom")
	if err := strictjson.DecodeValid([]byte(`{"order":"x"}`), &payload{}, func() error { return fault }); err != fault {
		t.Errorf("err = %v, want check's fault", err)
	}
}

func TestCheckKeys(t *testing.T) {
	patch := map[string]json.RawMessage{
		"name": json.RawMessage(`"x"`), "nmae": json.RawMessage(`null`),
		"NAME": json.RawMessage(`null`), "": json.RawMessage(`null`),
	}
	want := []contract.FieldError{
		{Field: `[""]`, Message: "is not a known field"},
		{Field: "NAME", Message: `is not a known field (names are case-sensitive: did you mean "name"?)`},
		{Field: "nmae", Message: "is not a known field"},
	}
	if fields := fieldsOf(t, strictjson.CheckKeys(patch, payload{})); !reflect.DeepEqual(fields, want) {
		t.Fatalf("CheckKeys = %+v, want %+v", fields, want)
	}
	if err := strictjson.CheckKeys(map[string]json.RawMessage{"order": json.RawMessage(`null`)}, &payload{}); err != nil {
		t.Fatalf("a known key refused: %v", err)
	}
	if err := strictjson.CheckKeys(patch, map[string]any{}); err != nil {
		t.Fatalf("a map takes any key, got %v", err)
	}
}

// Decodes running at once (a Lambda instance serves one request at a
// time, the local gateway many) each get their own answer: the walk's
// state is reused from one body to the next, and a refusal handed out
// must not change when another body is walked (make test runs it under
// -race).
func TestConcurrentDecodes(t *testing.T) {
	bodies := []struct {
		body string
		want []contract.FieldError
	}{
		{`{"name":"a","order":1,"tags":["x"]}`, nil},
		{`{"name":1,"nmae":"b"}`, []contract.FieldError{{Field: "name", Message: "must be a string"}, {Field: "nmae", Message: "is not a known field"}}},
		{`{"inner":{"count":"x","count":2}}`, []contract.FieldError{{Field: "inner.count", Message: "must be an integer"}, {Field: "inner.count", Message: "appears more than once"}}},
		{`{"attrs":{"k\u00e9":"v","kë":1}}`, []contract.FieldError{{Field: "attrs.kë", Message: "must be a string"}}},
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				tt := bodies[(g+i)%len(bodies)]
				var got payload
				err := strictjson.Decode([]byte(tt.body), &got)
				if tt.want == nil {
					if err != nil {
						t.Errorf("%s: %v", tt.body, err)
					}
					continue
				}
				var e *contract.Error
				if !errors.As(err, &e) || !reflect.DeepEqual(e.Fields, tt.want) {
					t.Errorf("%s: %v, want %+v", tt.body, err, tt.want)
				}
			}
		})
	}
	wg.Wait()
}

func TestCheckSafeIntegers(t *testing.T) {
	const msg = "must be an integer from -9007199254740991 to 9007199254740991 (a larger one can be sent as a string)"
	for _, tt := range []struct {
		raw  string
		want []contract.FieldError
	}{
		{``, nil},
		{`{"a":[9007199254740991,-9007199254740991,-0,1.5e300,1e30,"9007199254740992"]}`, nil},
		{`{"a":[1,{"n":9007199254740992}],"b":-92233720368547758080}`, []contract.FieldError{{Field: "attrs.a[1].n", Message: msg}, {Field: "attrs.b", Message: msg}}},
		{`[12345678901234567890]`, []contract.FieldError{{Field: "attrs[0]", Message: msg}}},
		{`12345678901234567890`, nil}, // not an object or array: refused for its type, not here
	} {
		err := strictjson.CheckSafeIntegers("attrs", []byte(tt.raw))
		if tt.want == nil {
			if err != nil {
				t.Errorf("%s: %v", tt.raw, err)
			}
			continue
		}
		if fields := fieldsOf(t, err); !reflect.DeepEqual(fields, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.raw, fields, tt.want)
		}
	}
}
