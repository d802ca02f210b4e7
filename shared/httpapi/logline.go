package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
)

// quoted matches a Go-quoted value inside a message ("%q is already
// taken"), which is how every message of the service quotes what a client
// sent.
var quoted = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)

// Redact elides the values a message quotes: a refusal is logged by what
// was wrong with which field, never with the value, which may be personal.
func Redact(msg string) string { return quoted.ReplaceAllString(msg, `"…"`) }

// refusalAttrs are the attributes a request's line adds for a refused
// request (a 4xx): the problem's code and message and, for each failing
// field, its name and what is wrong with it, values elided. The answer's
// problem body is read back, so every refusal, whoever wrote it (a
// handler, the router, an idempotent replay), is logged the same way.
func refusalAttrs(resp events.APIGatewayV2HTTPResponse) []slog.Attr {
	if resp.StatusCode < http.StatusBadRequest || resp.StatusCode >= http.StatusInternalServerError {
		return nil
	}
	var p Problem
	if err := json.Unmarshal([]byte(resp.Body), &p); err != nil || p.Code == "" {
		return []slog.Attr{slog.String("problem", "the answer is not a problem body")}
	}
	attrs := []slog.Attr{slog.String("code", p.Code), slog.String("problem", Redact(p.Message))}
	if len(p.Errors) > 0 {
		fields := make([]contract.FieldError, len(p.Errors))
		for i, f := range p.Errors {
			fields[i] = contract.FieldError{Field: f.Field, Message: Redact(f.Message)}
		}
		attrs = append(attrs, slog.Any("fields", fields))
	}
	return attrs
}
