package contract

import (
	"errors"
	"fmt"
)

// Kind classifies an Error by what the caller can do about it. The HTTP
// layer maps each kind to one status code, in one place.
type Kind int

// The kinds of Error. KindInternal is the zero value so that an error that
// was never classified is treated as the service's fault, never the caller's.
const (
	KindInternal      Kind = iota // a fault of the service; its detail is never shown
	KindInvalid                   // the request is malformed or a field breaks a shape rule
	KindUnauthorized              // no credential, or one that is unknown or revoked
	KindForbidden                 // the credential may not act on what the request names
	KindNotFound                  // the named resource does not exist for this tenant
	KindConflict                  // the request clashes with the current state
	KindUnprocessable             // well-formed, but refers to things that do not fit together
	KindUnavailable               // a dependency is overloaded or down; retrying later may work
)

// FieldError names one failing field by its JSON path as the client sent it
// (for example "validTo" or "actions[0].planId") and says what is wrong.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is a domain error: a Kind, a message written for the API's client,
// and, for validation failures, every failing field at once.
type Error struct {
	Kind Kind
	// Code, when set, is a stable machine-readable name of the problem
	// (CONTRACT_OWNED_BY_FABRIC), for clients that must tell apart two
	// refusals of one kind.
	Code    string
	Message string
	Fields  []FieldError
	// Err is the cause, for logs; clients see only Message.
	Err error
}

// Error returns the message followed by the cause, for logs. Clients see
// the Message alone (the HTTP layer answers with it, never with Error).
func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Unavailable returns a KindUnavailable *Error: a dependency is overloaded
// or unreachable and the client should retry later. cause is kept for the
// logs.
func Unavailable(cause error) *Error {
	return &Error{Kind: KindUnavailable, Message: "the service is busy; retry after the time in Retry-After", Err: cause}
}

// Errorf returns an *Error of the given kind with a formatted message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns a KindInvalid *Error listing the failing fields.
func Invalid(fields ...FieldError) *Error {
	return &Error{Kind: KindInvalid, Message: "the request has invalid fields", Fields: fields}
}

// JoinInvalid answers the refusals of several checks of one request as
// one: every failing field of all of them, each named once (its first
// message kept). An error that is not a KindInvalid *Error (a fault, a
// refusal of another kind) stands alone and is returned as it is. nil
// errors are skipped; all nil is nil.
func JoinInvalid(errs ...error) error { return join(KindInvalid, errs) }

// JoinUnprocessable is JoinInvalid for refusals of KindUnprocessable:
// the rules one request breaks, every one named in one answer, under the
// first refusal's message.
func JoinUnprocessable(errs ...error) error { return join(KindUnprocessable, errs) }

func join(kind Kind, errs []error) error {
	var fields []FieldError
	named := map[string]bool{}
	var first *Error
	var firstErr error
	for _, err := range errs {
		if err == nil {
			continue
		}
		var e *Error
		if !errors.As(err, &e) || e.Kind != kind {
			return err
		}
		if first == nil {
			first, firstErr = e, err
		}
		for _, f := range e.Fields {
			if !named[f.Field] {
				named[f.Field] = true
				fields = append(fields, f)
			}
		}
	}
	switch {
	case first == nil:
		return nil
	case len(fields) == 0:
		// A refusal of the body as a whole has no fields to join.
		return firstErr
	case kind == KindInvalid:
		return Invalid(fields...)
	}
	return &Error{Kind: kind, Code: first.Code, Message: first.Message, Fields: fields}
}

// KindOf returns the Kind of the first *Error in err's chain, or
// KindInternal when there is none.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// ErrVersionConflict reports that a contract changed between the read and
// the write of an update. Service.Update retries on it; it reaches a client
// only when the retries run out.
var ErrVersionConflict = &Error{Kind: KindConflict, Code: "CONTRACT_CHANGED_CONCURRENTLY", Message: "the contract was changed concurrently; retry the request"}

// ErrNotDeleted refuses to undelete a contract that is not deleted.
var ErrNotDeleted = &Error{Kind: KindConflict, Code: "CONTRACT_NOT_DELETED", Message: "the contract is not deleted"}

// Transient reports whether err refuses a request for a reason a retry of
// it may not meet: a dependency that is down or overloaded, or a race
// lost to other writers more often than the service retries. Such an
// answer asks the client to retry, so it is never kept as the request's
// final answer.
func Transient(err error) bool {
	return KindOf(err) == KindUnavailable || errors.Is(err, ErrVersionConflict)
}

// Taken returns the KindConflict *Error for a value that must be unique
// (field names it) and is already taken.
func Taken(field, value string) *Error {
	return &Error{Kind: KindConflict, Message: "a record with this " + field + " already exists",
		Fields: []FieldError{{Field: field, Message: fmt.Sprintf("%q is already taken", value)}}}
}

// NotFound returns the KindNotFound *Error for a contract id.
func NotFound(id string) *Error {
	return Errorf(KindNotFound, "contract %q not found", id)
}
