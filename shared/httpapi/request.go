package httpapi

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/idempotency"
	"github.com/contracts-service/contracts/shared/strictjson"
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
	// Claim is the request's use of its Idempotency-Key, or nil when it
	// sent none (see Router.UseIdempotency). A write handler passes it to
	// the domain's write, which stores the key's record, with the answer
	// AnswerOnWrite renders, in the write's own transaction.
	Claim *idempotency.Claim
	// routeKey is the route the request matched, as template.yaml
	// declares it.
	routeKey string
	// TenantAliases are the identifiers the tenant answers to in headers,
	// besides its id.
	TenantAliases []string
}

// RawPath is the request's path as the client sent it, the stage
// included when it called a named stage by the API's own endpoint (a
// custom domain's mapping takes it out): what a Location the client
// follows is built from.
func (r *Request) RawPath() string { return rawPath(&r.Event) }

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
	tenant := auth.Tenant{ID: r.Actor.TenantID, Aliases: r.TenantAliases}
	return tenant.Names(name)
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
// everything strictjson.Decode refuses.
func (r *Request) DecodeJSON(v any) error {
	body, err := r.jsonBody()
	if err != nil {
		return err
	}
	return strictjson.Decode(body, v)
}

// DecodeValid is DecodeJSON followed by check, the rules of the decoded
// value (its validator tags, pairs of fields sent together), answering
// every failing field of both at once, as strictjson.DecodeValid does.
func (r *Request) DecodeValid(v any, check func() error) error {
	body, err := r.jsonBody()
	if err != nil {
		return err
	}
	return strictjson.DecodeValid(body, v, check)
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
	if enc := r.Header("content-encoding"); enc != "" && !strings.EqualFold(enc, "identity") {
		return nil, &statusError{http.StatusUnsupportedMediaType, "the body must be sent without a Content-Encoding (" + enc + " is not read)"}
	}
	if !isJSONMediaType(r.Header("content-type")) {
		return nil, &statusError{http.StatusUnsupportedMediaType, "the body must be sent as Content-Type: application/json (UTF-8)"}
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, contract.Errorf(contract.KindInvalid, "the body is empty; a JSON object is required")
	}
	if !utf8.Valid(body) {
		return nil, contract.Errorf(contract.KindInvalid, "the body is not valid UTF-8")
	}
	// A JSON decoder takes null for a struct as its zero value, which
	// would let "null" through as an empty object.
	if trimmed[0] != '{' {
		return nil, contract.Errorf(contract.KindInvalid, "the body must be a JSON object")
	}
	return body, nil
}

// isJSONMediaType reports whether a Content-Type names JSON:
// application/json or a +json type, with no charset but UTF-8, the one
// JSON is exchanged in (RFC 8259, 8.1). The plain "application/json" most
// clients send is recognised without parsing.
func isJSONMediaType(ct string) bool {
	if ct == "application/json" {
		return true
	}
	mt, params, err := mime.ParseMediaType(ct)
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "utf8") {
		return false
	}
	return err == nil && (mt == "application/json" || strings.HasSuffix(mt, "+json"))
}
