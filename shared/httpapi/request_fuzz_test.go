package httpapi_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
	"github.com/contracts-service/contracts/shared/strictjson"
	"github.com/contracts-service/contracts/shared/validate"
)

// fuzzItem, fuzzParty and fuzzBody make a representative destination: a
// field of every JSON kind, nested objects and arrays of them, maps, and
// the types that decode themselves.
type fuzzItem struct {
	Name  string  `json:"name" validate:"required,max=50"`
	Count int32   `json:"count"`
	Price *uint64 `json:"price" validate:"omitempty,max=1000000"`
}

type fuzzParty struct {
	ID string `json:"id" validate:"required"`
}

// fuzzAudit is embedded in fuzzBody: json/v2, as encoding/json, promotes
// the exported fields of an unexported embedded struct.
type fuzzAudit struct {
	Note string `json:"note"`
}

// level is an integer that reads itself from text, as enums often do:
// json/v2 takes only a JSON string for it, and no integer range applies.
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
// reads to the same value and that survives its own re-encoding.
func FuzzDecodeJSON(f *testing.F) {
	seed := httpapitest.ReadFile(f, "../kukkingu/testdata/seed-create.json")
	for _, s := range []struct {
		contentType, body string
		base64            bool
	}{
		{"application/json", `{"name":"n","party":{"id":"p"}}`, false},
		{"application/json", `{"note":"x","name":"n","order":3,"ratio":0.5,"small":1.5,"active":true,"party":{"id":"p"},"items":[{"name":"i","count":2,"price":10}],"attrs":{"k":"v"},"extra":{"any":[1,"x"]},"any":null,"when":"2023-10-05T14:48:00Z","quoted":"42","matrix":[[1,-2]]}`, false},
		{"application/merge-patch+json", `{"name":"n","party":{"id":"p"}}`, true},
		{"application/json; charset=utf-8", seed, false},
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
			if jsontext.Value(body).IsValid(jsontext.AllowDuplicateNames(true)) && (strings.HasPrefix(p.Detail, "the body is not valid JSON") || strings.HasPrefix(p.Detail, "the body holds data after")) {
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
		if !reflect.DeepEqual(plain, got) {
			t.Fatalf("accepted %q as %+v, which encoding/json reads as %+v", body, got, plain)
		}
		// What the service decoded encodes to JSON that it accepts again,
		// unchanged: no bound refuses the service's own output.
		first, err := json.Marshal(got)
		if err != nil {
			t.Fatalf("accepted %q, which does not re-encode: %v", body, err)
		}
		var again fuzzBody
		if err := strictjson.Decode(first, &again); err != nil {
			t.Fatalf("re-encoded body %s refused: %v", first, err)
		}
		second, err := json.Marshal(again)
		if err != nil || !bytes.Equal(first, second) {
			t.Fatalf("re-encoding is not stable:\n%s\n%s", first, second)
		}
	})
}
