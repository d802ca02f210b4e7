package httpapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
)

// MaxBodyBytes bounds request bodies. A contract is a few hundred bytes;
// 64 KiB leaves room for large descriptions and attribute maps while keeping
// a hostile body from costing memory and CPU (API Gateway's own bound is
// 10 MB).
const MaxBodyBytes = 64 << 10

// Authorizer context keys: what the authorizer hands to every function.
const (
	ContextTenantID      = auth.ContextTenantID
	ContextCredentialID  = auth.ContextCredentialID
	ContextTenantAliases = auth.ContextTenantAliases
)

// Request is an API Gateway HTTP API (payload v2) request, with the actor
// the authorizer established.
type Request struct {
	Event events.APIGatewayV2HTTPRequest
	Actor contract.Actor
	// routeKey is the route the request matched, as template.yaml
	// declares it.
	routeKey string
	// TenantAliases are the identifiers the tenant answers to in headers,
	// besides its id.
	TenantAliases []string
}

// PathParam returns a path parameter of the route.
func (r *Request) PathParam(name string) string { return r.Event.PathParameters[name] }

// Query returns a query string parameter, and whether it was present.
func (r *Request) Query(name string) (string, bool) {
	v, ok := r.Event.QueryStringParameters[name]
	return v, ok
}

// Header returns a request header. API Gateway's HTTP API lower-cases
// header names; the lookup also accepts other casings so that events
// written by hand work the same.
func (r *Request) Header(name string) string {
	if v, ok := r.Event.Headers[strings.ToLower(name)]; ok {
		return v
	}
	for k, v := range r.Event.Headers {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}

// NamesTenant reports whether name is the request's tenant id or one of
// its aliases.
func (r *Request) NamesTenant(name string) bool {
	if name == r.Actor.TenantID {
		return true
	}
	for _, a := range r.TenantAliases {
		if a == name {
			return true
		}
	}
	return false
}

// statusError is an error that carries its own HTTP status, for the
// transport-level refusals (413, 415) that have no domain kind.
type statusError struct {
	status int
	detail string
}

func (e *statusError) Error() string { return e.detail }

// DecodeJSON reads the body as one JSON object into v. It refuses, with a
// 4xx naming the problem: a body over MaxBodyBytes (413), a content type
// other than JSON (415), an empty body, invalid UTF-8, malformed JSON, and
// everything DecodeStrict refuses.
func (r *Request) DecodeJSON(v any) error {
	body, err := r.jsonBody()
	if err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// DecodeValid is DecodeJSON followed by check, the rules of the decoded
// value (its validator tags, pairs of fields sent together), answering
// every failing field of both at once: a value of the wrong type or an
// unknown key does not hide a bad value elsewhere in the body. check runs
// when the body decoded, or was refused only for fields it names, around
// which the rest decoded; a body refused as a whole (malformed, not an
// object, past a bound) is refused without it. A field the decoding named
// is not named again by check.
func (r *Request) DecodeValid(v any, check func() error) error {
	body, err := r.jsonBody()
	if err != nil {
		return err
	}
	return decodeValid(body, v, check)
}

// DecodeStrictValid is DecodeStrict followed by check, answering every
// failing field of both at once, as Request.DecodeValid does: for the
// bodies that come without HTTP (a queue's message, an event's detail).
func DecodeStrictValid(data []byte, v any, check func() error) error {
	if !utf8.Valid(data) {
		return contract.Errorf(contract.KindInvalid, "the body is not valid UTF-8")
	}
	return decodeValid(data, v, check)
}

// decodeValid is DecodeStrictValid for data known to be UTF-8.
func decodeValid(body []byte, v any, check func() error) error {
	err := decodeScanned(body, v)
	partial, ok := err.(*fieldRefusals)
	if err != nil && !ok {
		return err
	}
	if ok {
		// Decode around the refused fields: encoding/json skips a value
		// of the wrong type or an unknown key and goes on, and the scan
		// has already refused what it would take silently.
		_ = json.Unmarshal(body, v)
		err = partial.err
	}
	return mergeFields(err, check())
}

// mergeFields answers decoding's field refusals and check's together.
// check's verdict stands alone when decoding refused nothing, and when it
// is no field refusal (a fault, or a refusal of another kind).
func mergeFields(decoded, checked error) error {
	if decoded == nil {
		return checked
	}
	if checked != nil && contract.KindOf(checked) != contract.KindInvalid {
		return checked
	}
	err := contract.JoinInvalid(decoded, checked)
	var e *contract.Error
	if errors.As(err, &e) && len(e.Fields) > maxFieldErrors {
		e.Fields = e.Fields[:maxFieldErrors]
	}
	return err
}

// jsonBody is the request's body, once it is known to be a JSON object
// sent as JSON within MaxBodyBytes.
func (r *Request) jsonBody() ([]byte, error) {
	body := []byte(r.Event.Body)
	if r.Event.IsBase64Encoded {
		decoded, err := base64.StdEncoding.DecodeString(r.Event.Body)
		if err != nil {
			return nil, contract.Errorf(contract.KindInvalid, "the body is not valid base64")
		}
		body = decoded
	}
	if len(body) > MaxBodyBytes {
		return nil, &statusError{http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is over %d bytes", MaxBodyBytes)}
	}
	if !isJSONMediaType(r.Header("content-type")) {
		return nil, &statusError{http.StatusUnsupportedMediaType, "the body must be sent as Content-Type: application/json"}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, contract.Errorf(contract.KindInvalid, "the body is empty; a JSON object is required")
	}
	if !utf8.Valid(body) {
		return nil, contract.Errorf(contract.KindInvalid, "the body is not valid UTF-8")
	}
	// encoding/json decodes null into a struct as a no-op, which would let
	// "null" through as an empty object.
	if trimmed[0] != '{' {
		return nil, contract.Errorf(contract.KindInvalid, "the body must be a JSON object")
	}
	return body, nil
}

// isJSONMediaType reports whether a Content-Type names JSON:
// application/json or a +json type, with any parameters. The plain
// "application/json" most clients send is recognised without parsing.
func isJSONMediaType(ct string) bool {
	if ct == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}

// DecodeStrict decodes one JSON value from data into v, with errors that
// name the field ("items[3].name"). Besides malformed JSON and invalid
// UTF-8 it refuses what encoding/json would let through: unknown fields,
// keys that match a field only when case is ignored, duplicate keys, data
// after the value, integers beyond ±(2^53-1) (contract.MaxSafeInteger) or
// written with a fraction or exponent, numbers beyond float64's range, and
// nesting, arrays or objects past MaxJSONDepth, MaxJSONArrayLength and
// MaxJSONObjectMembers.
func DecodeStrict(data []byte, v any) error {
	if !utf8.Valid(data) {
		return contract.Errorf(contract.KindInvalid, "the body is not valid UTF-8")
	}
	return decodeStrict(data, v)
}

// decodeStrict is DecodeStrict for data already known to be UTF-8.
func decodeStrict(data []byte, v any) error {
	err := decodeScanned(data, v)
	if partial, ok := err.(*fieldRefusals); ok {
		return partial.err
	}
	return err
}

// decodeScanned is decodeStrict, but a body refused only for fields it
// names is refused with a *fieldRefusals, which DecodeValid decodes
// around.
func decodeScanned(data []byte, v any) error {
	if err := checkJSON(data, shapeOf(v)); err != nil {
		return err
	}
	// The scan has refused unknown fields and data after the value. The
	// decoder refuses unknown fields again, as a backstop should the scan
	// ever read a struct's fields differently from encoding/json; data
	// after the value it need not look for.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	return nil
}

// decodeError turns encoding/json's errors into client-facing ones that
// name the field, without echoing Go type names. A destination encoding/json
// cannot decode into at all is the service's fault, not the client's.
func decodeError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var invalid *json.InvalidUnmarshalError
	switch {
	case errors.As(err, &invalid):
		return fmt.Errorf("httpapi: decode: %w", err)
	case errors.As(err, &syntax):
		return contract.Errorf(contract.KindInvalid, "the body is not valid JSON (at byte %d)", syntax.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return contract.Errorf(contract.KindInvalid, "the body is not valid JSON (it ends too early)")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return contract.Errorf(contract.KindInvalid, "the body must be a JSON object")
		}
		return contract.Invalid(contract.FieldError{Field: typ.Field, Message: "must be " + jsonKind(typ.Type, typ.Value)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return contract.Invalid(contract.FieldError{Field: name, Message: "is not a known field"})
	default:
		return contract.Errorf(contract.KindInvalid, "the body could not be read as the expected JSON object")
	}
}

// jsonKind describes a Go type in JSON's terms for an error message; got is
// encoding/json's description of the value ("number 1.5", "string").
func jsonKind(t reflect.Type, got string) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if strings.HasPrefix(got, "number") {
			lo, hi := integerRange(t)
			return fmt.Sprintf("an integer from %d to %d", lo, hi)
		}
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}
