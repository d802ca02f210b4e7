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
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Code is a stable machine-readable name of the problem, when the
	// status alone does not tell two refusals apart.
	Code   string                `json:"code,omitempty"`
	Errors []contract.FieldError `json:"errors,omitempty"`
}

// statusOf maps each domain error kind to its HTTP status. It is the only
// place that does.
func statusOf(k contract.Kind) int {
	switch k {
	case contract.KindInvalid:
		return http.StatusBadRequest
	case contract.KindUnauthorized:
		return http.StatusUnauthorized
	case contract.KindForbidden:
		return http.StatusForbidden
	case contract.KindNotFound:
		return http.StatusNotFound
	case contract.KindConflict:
		return http.StatusConflict
	case contract.KindUnprocessable:
		return http.StatusUnprocessableEntity
	case contract.KindUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// problemType is a stable URI per status, so clients can switch on type.
func problemType(status int) string {
	if status == http.StatusInternalServerError {
		return "about:blank"
	}
	return "https://contracts.example.com/problems/" + map[int]string{
		400: "invalid-request", 401: "unauthorized", 403: "forbidden", 404: "not-found",
		405: "method-not-allowed", 409: "conflict", 413: "payload-too-large",
		415: "unsupported-media-type", 422: "unprocessable", 501: "not-implemented",
		503: "unavailable",
	}[status]
}

// RetryAfterSeconds is the Retry-After of a 503.
const RetryAfterSeconds = "2"

// ProblemResponse returns a problem+json response with the given status
// and detail.
func ProblemResponse(status int, detail string, fields ...contract.FieldError) events.APIGatewayV2HTTPResponse {
	return problemResponse(Problem{Type: problemType(status), Title: http.StatusText(status), Status: status, Detail: detail, Errors: fields})
}

func problemResponse(p Problem) events.APIGatewayV2HTTPResponse {
	body, _ := json.Marshal(p) // a Problem always encodes
	return events.APIGatewayV2HTTPResponse{
		StatusCode: p.Status,
		Headers:    map[string]string{"Content-Type": ProblemContentType},
		Body:       string(body),
	}
}

// ErrorResponse turns a handler's error into the client's response, as
// the router does for errors handlers return: a domain *Error shows its
// message; anything else is a 500 whose body says nothing of the cause
// (the caller logs it). Handlers that decorate every response (a header
// on errors too) use it.
func ErrorResponse(err error) events.APIGatewayV2HTTPResponse { return errorResponse(err) }

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
	resp := problemResponse(Problem{Type: problemType(status), Title: http.StatusText(status), Status: status,
		Detail: e.Message, Code: e.Code, Errors: e.Fields})
	if status == http.StatusServiceUnavailable {
		// The SDK has already retried with backoff inside the request's
		// time; a client that waits this long gives the table time to
		// recover instead of retrying into the same overload.
		resp.Headers["Retry-After"] = RetryAfterSeconds
	}
	return resp
}
