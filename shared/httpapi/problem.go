package httpapi

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
)

// ProblemContentType is the media type of every error body (RFC 9457).
const ProblemContentType = "application/problem+json"

// Problem is an RFC 9457 problem details body. Errors lists every failing
// field of a validation failure at once.
//
// Beside RFC 9457's members, every problem carries message and code: the
// shape fabric's clients read ({"code", "message"}), and the message
// member API Gateway's own answers carry, so one reader serves every
// client of every dialect.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Message is what went wrong, as a sentence a person can act on: the
	// detail, or the title when there is none.
	Message string `json:"message"`
	// Code is a stable machine-readable name of the problem: the
	// domain error's own (CONTRACT_OWNED_BY_FABRIC) where the status
	// alone does not tell two refusals apart, the status's otherwise
	// (NOT_FOUND).
	Code   string                `json:"code"`
	Errors []contract.FieldError `json:"errors,omitempty"`
}

// newProblem is the problem of a status, with the status's type, title
// and code; code, when set, is the problem's own.
func newProblem(status int, detail, code string, fields []contract.FieldError) Problem {
	kind := problemKinds[status]
	p := Problem{Type: "https://contracts.example.com/problems/" + kind.slug, Title: http.StatusText(status), Status: status,
		Detail: detail, Message: detail, Code: code, Errors: fields}
	if status == http.StatusInternalServerError {
		p.Type = "about:blank"
	}
	if p.Message == "" {
		p.Message = p.Title
	}
	if p.Code == "" {
		p.Code = kind.code
	}
	return p
}

// kindStatus maps each domain error kind to its HTTP status. It is the
// only place that does; a kind it does not name is a 500.
var kindStatus = map[contract.Kind]int{
	contract.KindInvalid:       http.StatusBadRequest,
	contract.KindUnauthorized:  http.StatusUnauthorized,
	contract.KindForbidden:     http.StatusForbidden,
	contract.KindNotFound:      http.StatusNotFound,
	contract.KindConflict:      http.StatusConflict,
	contract.KindUnprocessable: http.StatusUnprocessableEntity,
	contract.KindUnavailable:   http.StatusServiceUnavailable,
}

func statusOf(k contract.Kind) int {
	if status, ok := kindStatus[k]; ok {
		return status
	}
	return http.StatusInternalServerError
}

// problemKinds name each status a problem can have: the last segment of
// its stable type URI, which clients can switch on, and its code.
var problemKinds = map[int]struct{ slug, code string }{
	400: {"invalid-request", "INVALID_REQUEST"},
	401: {"unauthorized", "UNAUTHORIZED"},
	403: {"forbidden", "FORBIDDEN"},
	404: {"not-found", "NOT_FOUND"},
	405: {"method-not-allowed", "METHOD_NOT_ALLOWED"},
	409: {"conflict", "CONFLICT"},
	413: {"payload-too-large", "PAYLOAD_TOO_LARGE"},
	415: {"unsupported-media-type", "UNSUPPORTED_MEDIA_TYPE"},
	422: {"unprocessable", "UNPROCESSABLE"},
	500: {"", "INTERNAL_ERROR"},
	501: {"not-implemented", "NOT_IMPLEMENTED"},
	503: {"unavailable", "UNAVAILABLE"},
}

// RetryAfterSeconds is the Retry-After of a 503.
const RetryAfterSeconds = "2"

// ProblemResponse returns a problem+json response with the given status
// and detail.
func ProblemResponse(status int, detail string, fields ...contract.FieldError) events.APIGatewayV2HTTPResponse {
	return problemResponse(newProblem(status, detail, "", fields))
}

func problemResponse(p Problem) events.APIGatewayV2HTTPResponse {
	body, _ := json.Marshal(p) // a Problem always encodes
	return events.APIGatewayV2HTTPResponse{
		StatusCode: p.Status,
		Headers:    map[string]string{"Content-Type": ProblemContentType},
		Body:       string(body),
	}
}

// errorResponse turns a handler's error into the client's response: a
// domain *Error shows its Message (never its Error text, which carries
// the cause for the logs); anything else is a 500 whose body says nothing
// of the cause (the caller logs it).
func errorResponse(err error) events.APIGatewayV2HTTPResponse {
	var se *statusError
	if errors.As(err, &se) {
		return ProblemResponse(se.status, se.detail)
	}
	status := statusOf(contract.KindOf(err))
	if status == http.StatusInternalServerError {
		return ProblemResponse(status, "The service failed to handle the request. It has been logged; retry later.")
	}
	// Only the domain error's own message: text wrapped around it is for
	// logs, not clients. Any status but 500 means KindOf found one.
	var e *contract.Error
	errors.As(err, &e)
	resp := problemResponse(newProblem(status, e.Message, e.Code, e.Fields))
	if status == http.StatusServiceUnavailable {
		// The SDK has already retried with backoff inside the request's
		// time; a client that waits this long gives the table time to
		// recover instead of retrying into the same overload.
		resp.Headers["Retry-After"] = RetryAfterSeconds
	}
	return resp
}
