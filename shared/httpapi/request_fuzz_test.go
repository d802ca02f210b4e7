package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/validate"
)

// refusal is one field a 400 must name, with its message.
type refusal struct{ field, message string }

const safeRange = "must be an integer from -9007199254740991 to 9007199254740991"

// TestDecodeJSONScanRefusals covers what the scan before decoding adds:
// refusals of what encoding/json decodes silently (duplicate and
// case-folded keys, integers past 2^53-1, bodies past the bounds), and
// field paths down to the array element.
func TestDecodeJSONScanRefusals(t *testing.T) {
	many := func(n int, item func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = item(i)
		}
		return strings.Join(parts, ",")
	}
	longKey := strings.Repeat("é", 80) // 160 bytes, cut at a rune
	tests := []struct {
		name string
		body string
		want []refusal
	}{
		{"duplicate key", `{"name":"a","name":"b"}`, []refusal{{"name", "appears more than once"}}},
		{"duplicate key spelled with an escape", `{"name":"a","n\u0061me":"b"}`, []refusal{{"name", "appears more than once"}}},
		{"duplicate nested key", `{"inner":{"count":1,"count":2}}`, []refusal{{"inner.count", "appears more than once"}}},
		{"duplicate map key", `{"attrs":{"k":"a","j":"b","k":"c"}}`, []refusal{{"attrs.k", "appears more than once"}}},
		{"duplicate key in a large object", `{"attrs":{` + many(40, func(i int) string { return fmt.Sprintf(`"k%d":"v"`, i) }) + `,"k7":"again"}}`,
			[]refusal{{"attrs.k7", "appears more than once"}}},
		{"upper-case key", `{"NAME":"x"}`, []refusal{{"NAME", `is not a known field (names are case-sensitive: did you mean "name"?)`}}},
		{"mixed-case nested key", `{"inner":{"Count":1}}`, []refusal{{"inner.Count", `is not a known field (names are case-sensitive: did you mean "count"?)`}}},
		{"key that folds to a field", `{"tag\u017f":["a"]}`, []refusal{{"tagſ", `is not a known field (names are case-sensitive: did you mean "tags"?)`}}},
		{"integer past 2^53-1", `{"order":9007199254740992}`, []refusal{{"order", safeRange}}},
		{"integer below -(2^53-1)", `{"order":-9007199254740992}`, []refusal{{"order", safeRange}}},
		{"integer written with a fraction", `{"order":5.0}`, []refusal{{"order", safeRange + ", without a fraction or exponent"}}},
		{"integer written with an exponent", `{"order":5e0}`, []refusal{{"order", safeRange + ", without a fraction or exponent"}}},
		{"nested integer past 2^53-1", `{"inner":{"count":18014398509481984}}`, []refusal{{"inner.count", safeRange}}},
		{"number past float64", `{"ratio":1e400}`, []refusal{{"ratio", "must be a number from -1.7976931348623157e+308 to 1.7976931348623157e+308"}}},
		{"array element of the wrong type", `{"tags":["a","b",3]}`, []refusal{{"tags[2]", "must be a string"}}},
		{"array too long", `{"tags":[` + many(httpapi.MaxJSONArrayLength+1, func(int) string { return `"t"` }) + `]}`,
			[]refusal{{"tags", "has more than 1000 elements"}}},
		{"object with too many members", `{"attrs":{` + many(httpapi.MaxJSONObjectMembers+1, func(i int) string { return fmt.Sprintf(`"%d":""`, i) }) + `}}`,
			[]refusal{{"attrs", "has more than 1000 members"}}},
		{"every refusal at once", `{"name":"a","NAME":"b","order":1.5,"name":"c"}`, []refusal{
			{"NAME", `is not a known field (names are case-sensitive: did you mean "name"?)`},
			{"order", safeRange + ", without a fraction or exponent"},
			{"name", "appears more than once"},
		}},
		{"empty key", `{"":1}`, []refusal{{`[""]`, "is not a known field"}}},
		{"key with a dot", `{"attrs":{"a.b":"x","a.b":"y"}}`, []refusal{{`attrs["a.b"]`, "appears more than once"}}},
		{"long unknown key", `{"` + longKey + `":1}`, []refusal{{strings.Repeat("é", 50) + "…", "is not a known field"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got payload
			var called bool
			p := problemOf(t, serve(t, decodeRouter(&got, &called), jsonEvent("application/json", tt.body)), http.StatusBadRequest)
			var gotFields []refusal
			for _, f := range p.Errors {
				gotFields = append(gotFields, refusal{f.Field, f.Message})
			}
			if !reflect.DeepEqual(gotFields, tt.want) {
				t.Fatalf("errors = %q\nwant     %q", gotFields, tt.want)
			}
		})
	}
}

func TestDecodeJSONAcceptsAtTheBounds(t *testing.T) {
	many := func(n int, item func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = item(i)
		}
		return strings.Join(parts, ",")
	}
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
		// NUL is valid JSON; whether a field may hold it is its
		// validator's rule, not the decoder's.
		{"escaped NUL", `{"name":"a\u0000b"}`, payload{Name: "a\x00b"}},
		{"same key in sibling objects", `{"inner":{"count":1},"attrs":{"count":"x"}}`, payload{Inner: &inner{Count: 1}, Attrs: map[string]string{"count": "x"}}},
		{"keys differing in case in a map", `{"attrs":{"k":"a","K":"b"}}`, payload{Attrs: map[string]string{"k": "a", "K": "b"}}},
		{"longest array", `{"tags":[` + many(httpapi.MaxJSONArrayLength, func(int) string { return `"t"` }) + `]}`,
			payload{Tags: strings.Split(strings.Repeat("t", httpapi.MaxJSONArrayLength), "")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got payload
			var called bool
			resp := serve(t, decodeRouter(&got, &called), jsonEvent("application/json", tt.body))
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status = %d, body %s", resp.StatusCode, resp.Body)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("decoded %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeStrictBounds(t *testing.T) {
	nest := func(depth int) string {
		return strings.Repeat(`{"a":`, depth-1) + `{}` + strings.Repeat(`}`, depth-1)
	}
	var v any
	if err := httpapi.DecodeStrict([]byte(nest(httpapi.MaxJSONDepth)), &v); err != nil {
		t.Fatalf("%d levels refused: %v", httpapi.MaxJSONDepth, err)
	}
	err := httpapi.DecodeStrict([]byte(nest(httpapi.MaxJSONDepth+1)), &v)
	wantField := strings.TrimSuffix(strings.Repeat("a.", httpapi.MaxJSONDepth), ".")
	var e *contract.Error
	if !asError(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != wantField || e.Fields[0].Message != "nests more than 32 levels deep" {
		t.Fatalf("%d levels: %v %+v", httpapi.MaxJSONDepth+1, err, e)
	}
	// Arrays count as levels too, and a whole body of them is refused
	// without a field to name.
	deepArrays := strings.Repeat("[", httpapi.MaxJSONDepth+1) + strings.Repeat("]", httpapi.MaxJSONDepth+1)
	if err := httpapi.DecodeStrict([]byte(deepArrays), &v); contract.KindOf(err) != contract.KindInvalid {
		t.Fatalf("deep arrays: %v", err)
	}
	long := "[" + strings.TrimSuffix(strings.Repeat("0,", httpapi.MaxJSONArrayLength+1), ",") + "]"
	err = httpapi.DecodeStrict([]byte(long), &[]int{})
	if !asError(err, &e) || len(e.Fields) != 0 || !strings.Contains(e.Message, "more than 1000 elements") {
		t.Fatalf("long top-level array: %v", err)
	}
	// A hostile body of the maximum size made only of brackets is
	// refused at the bound, not after building anything.
	brackets := strings.Repeat("[", httpapi.MaxBodyBytes)
	if err := httpapi.DecodeStrict([]byte(brackets), &v); contract.KindOf(err) != contract.KindInvalid {
		t.Fatalf("a body of brackets: %v", err)
	}
	// So many refusals that the answer would outgrow the body are cut.
	var unknown []string
	for i := range 50 {
		unknown = append(unknown, fmt.Sprintf(`"u%d":1`, i))
	}
	err = httpapi.DecodeStrict([]byte("{"+strings.Join(unknown, ",")+"}"), &payload{})
	if !asError(err, &e) || len(e.Fields) != 20 || !strings.Contains(e.Message, "first 20") {
		t.Fatalf("50 unknown fields: %v, %d listed", err, len(e.Fields))
	}
	// DecodeStrict serves bodies that did not come through DecodeJSON
	// (a merged patch), so it checks UTF-8 itself.
	if err := httpapi.DecodeStrict([]byte("{\"name\":\"\xff\"}"), &payload{}); contract.KindOf(err) != contract.KindInvalid {
		t.Fatalf("invalid UTF-8: %v", err)
	}
}

func asError(err error, target **contract.Error) bool {
	e, ok := err.(*contract.Error)
	*target = e
	return ok
}

// fuzzItem, fuzzParty and fuzzBody make a representative destination: a
// field of every JSON kind, nested objects and arrays of them, maps, and
// the types encoding/json decodes by their own methods.
type fuzzItem struct {
	Name  string  `json:"name" validate:"required,max=50"`
	Count int32   `json:"count"`
	Price *uint64 `json:"price" validate:"omitempty,max=1000000"`
}

type fuzzParty struct {
	ID string `json:"id" validate:"required"`
}

// fuzzAudit is embedded in fuzzBody: encoding/json promotes the exported
// fields of an unexported embedded struct.
type fuzzAudit struct {
	Note string `json:"note"`
}

// level is an integer that reads itself from text, as enums often do:
// encoding/json refuses a JSON number for it with a type error of an
// integer kind that no integer range applies to.
type level int

func (l *level) UnmarshalText(b []byte) error {
	n, err := strconv.Atoi(string(b))
	*l = level(n)
	return err
}

func (l level) MarshalText() ([]byte, error) { return []byte(strconv.Itoa(int(l))), nil }

type fuzzBody struct {
	fuzzAudit
	Name   string            `json:"name" validate:"required,max=255"`
	Order  *int64            `json:"order" validate:"omitempty,min=0"`
	Ratio  float64           `json:"ratio"`
	Small  float32           `json:"small"`
	Active *bool             `json:"active"`
	Party  *fuzzParty        `json:"party" validate:"required"`
	Items  []fuzzItem        `json:"items" validate:"max=10,dive"`
	Attrs  map[string]string `json:"attrs"`
	Extra  json.RawMessage   `json:"extra"`
	Any    any               `json:"any"`
	When   *time.Time        `json:"when"`
	Quoted int64             `json:"quoted,string"`
	Matrix [][]int8          `json:"matrix"`
	Level  level             `json:"level"`
	Secret string            `json:"-"`
}

var fuzzValidator = validate.New()

// fuzzRouter serves "POST /things" by decoding and validating a fuzzBody,
// as a dialect does, and hands the decoded body to got.
func fuzzRouter(got *fuzzBody) *httpapi.Router {
	rt, _ := newRouter()
	rt.Handle("POST /things", func(_ context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		var b fuzzBody
		if err := r.DecodeJSON(&b); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if err := fuzzValidator.Struct(&b); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		*got = b
		return httpapi.NoContent(), nil
	})
	return rt
}

func TestTypeWithItsOwnDecodingIsRefusedByName(t *testing.T) {
	var got fuzzBody
	p := problemOf(t, serve(t, fuzzRouter(&got), jsonEvent("application/json", `{"name":"n","party":{"id":"p"},"level":5}`)), http.StatusBadRequest)
	if len(p.Errors) != 1 || p.Errors[0].Field != "level" {
		t.Fatalf("errors = %+v, want level named", p.Errors)
	}
}

func TestNullForRequiredNestedObjectIsAFieldError(t *testing.T) {
	for _, body := range []string{
		`{"name":"n","party":null}`,
		`{"name":"n"}`,
		`{"name":"n","party":{"id":null}}`,
		`{"name":"n","party":{"id":"p"},"items":[null]}`,
	} {
		var got fuzzBody
		p := problemOf(t, serve(t, fuzzRouter(&got), jsonEvent("application/json", body)), http.StatusBadRequest)
		if len(p.Errors) != 1 || !strings.HasPrefix(p.Errors[0].Field, "party") && !strings.HasPrefix(p.Errors[0].Field, "items[0]") {
			t.Errorf("%s: errors = %+v, want the missing object named", body, p.Errors)
		}
	}
}

// FuzzDecodeJSON sends arbitrary bodies and content types through the
// router to a handler that decodes and validates a representative body.
// Whatever arrives, the answer is a success or a well-formed 4xx problem,
// never a 5xx or a panic; what is accepted is JSON that encoding/json
// reads the same way and that survives its own re-encoding.
func FuzzDecodeJSON(f *testing.F) {
	seed, err := os.ReadFile("../kukkingu/testdata/seed-create.json")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct {
		contentType, body string
		base64            bool
	}{
		{"application/json", `{"name":"n","party":{"id":"p"}}`, false},
		{"application/json", `{"note":"x","name":"n","order":3,"ratio":0.5,"small":1.5,"active":true,"party":{"id":"p"},"items":[{"name":"i","count":2,"price":10}],"attrs":{"k":"v"},"extra":{"any":[1,"x"]},"any":null,"when":"2023-10-05T14:48:00Z","quoted":"42","matrix":[[1,-2]]}`, false},
		{"application/merge-patch+json", `{"name":"n","party":{"id":"p"}}`, true},
		{"application/json; charset=utf-8", string(seed), false},
		{"text/plain", `{}`, false},
		{"application/json", `{"name":"a","name":"b"}`, false},
		{"application/json", `{"NAME":"x"}`, false},
		{"application/json", `{"order":9007199254740992}`, false},
		{"application/json", `{"ratio":1e400}`, false},
		{"application/json", `{"any":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`, false},
		{"application/json", "{\"name\":\"\xff\"}", false},
		{"application/json", `{"name":"n","party":null}`, false},
		{"application/json", `{"quoted":"1e400"}`, false},
		{"application/json", `{"when":"not a time"}`, false},
		{"application/json", `{"level":5}`, false},
	} {
		f.Add(s.contentType, []byte(s.body), s.base64)
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte, isBase64 bool) {
		ev := jsonEvent(contentType, string(body))
		if isBase64 {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
		var got fuzzBody
		resp := serve(t, fuzzRouter(&got), ev)
		switch resp.StatusCode {
		case http.StatusNoContent:
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
			p := problemOf(t, resp, resp.StatusCode)
			if p.Detail == "" {
				t.Fatalf("a %d without a detail: %s", resp.StatusCode, resp.Body)
			}
			if json.Valid(body) && utf8.Valid(body) && (strings.HasPrefix(p.Detail, "the body is not valid JSON") || strings.HasPrefix(p.Detail, "the body holds data after")) {
				t.Fatalf("valid JSON %q called malformed: %s", body, resp.Body)
			}
			return
		default:
			t.Fatalf("status %d for %q %q: %s", resp.StatusCode, contentType, body, resp.Body)
		}
		if !json.Valid(body) {
			t.Fatalf("malformed JSON %q accepted", body)
		}
		// encoding/json alone reads the accepted body to the same value.
		var plain fuzzBody
		if err := json.Unmarshal(body, &plain); err != nil {
			t.Fatalf("accepted %q, which encoding/json refuses: %v", body, err)
		}
		// What the service decoded encodes to JSON that it accepts again,
		// unchanged: no bound refuses the service's own output.
		first, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("accepted %q, which does not re-encode: %v", body, err)
		}
		var again fuzzBody
		if err := httpapi.DecodeStrict(first, &again); err != nil {
			t.Fatalf("re-encoded body %s refused: %v", first, err)
		}
		second, err := json.Marshal(again)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("re-encoding is not stable:\n%s\n%s", first, second)
		}
	})
}

func TestCheckPatchKeys(t *testing.T) {
	patch := map[string]json.RawMessage{
		"name": json.RawMessage(`"x"`), "nmae": json.RawMessage(`null`),
		"NAME": json.RawMessage(`null`), "": json.RawMessage(`null`),
	}
	err := httpapi.CheckPatchKeys(patch, payload{})
	var e *contract.Error
	want := []contract.FieldError{
		{Field: `[""]`, Message: "is not a known field"},
		{Field: "NAME", Message: `is not a known field (names are case-sensitive: did you mean "name"?)`},
		{Field: "nmae", Message: "is not a known field"},
	}
	if !asError(err, &e) || e.Kind != contract.KindInvalid || !reflect.DeepEqual(e.Fields, want) {
		t.Fatalf("CheckPatchKeys = %v %+v, want %+v", err, e, want)
	}
	if err := httpapi.CheckPatchKeys(map[string]json.RawMessage{"order": json.RawMessage(`null`)}, &payload{}); err != nil {
		t.Fatalf("a known key refused: %v", err)
	}
	if err := httpapi.CheckPatchKeys(patch, map[string]any{}); err != nil {
		t.Fatalf("a map takes any key, got %v", err)
	}
}
