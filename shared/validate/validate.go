// Package validate checks the shape of decoded requests with
// go-playground/validator struct tags and reports every failing field at
// once, named by its JSON path as the client sent it.
package validate

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/go-playground/validator/v10"

	"github.com/contracts-service/contracts/shared/contract"
)

// Validator wraps a configured validator.Validate. Create one per process
// (it caches struct metadata) and share it.
type Validator struct {
	v *validator.Validate
	// messages holds the failure messages of tags registered with
	// RegisterPattern.
	messages map[string]string
}

// New returns a Validator that names fields by their json tags.
func New() *Validator {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			return f.Name
		}
		return name
	})
	val := &Validator{v: v, messages: map[string]string{}}
	val.RegisterPattern("singleline", "must be one line of text, without control characters", SingleLine)
	return val
}

// SingleLine reports whether s holds no control character (a NUL, an
// escape, a line break or tab) and no Unicode line or paragraph
// separator: what an identifier or a name a client filters on may hold,
// so that it reads back, logs and exports as one line.
func SingleLine(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' })
}

// RegisterPattern adds a tag that accepts strings for which ok is true;
// message is what a failure says (for example "must be a date-time like
// 2023-10-05T14:48:00.000Z").
func (val *Validator) RegisterPattern(tag, message string, ok func(string) bool) {
	val.messages[tag] = message
	err := val.v.RegisterValidation(tag, func(fl validator.FieldLevel) bool {
		return ok(fl.Field().String())
	})
	if err != nil {
		panic(fmt.Sprintf("validate: register %s: %v", tag, err))
	}
}

// Struct validates s and returns a contract KindInvalid *Error naming
// every failing field, or nil.
func (val *Validator) Struct(s any) error {
	err := val.v.Struct(s)
	if err == nil {
		return nil
	}
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) {
		return fmt.Errorf("validate: %w", err)
	}
	fields := make([]contract.FieldError, 0, len(ves))
	for _, fe := range ves {
		fields = append(fields, contract.FieldError{Field: fieldPath(fe.Namespace()), Message: val.message(fe)})
	}
	return contract.Invalid(fields...)
}

// fieldPath drops the Go struct name that starts a validator namespace, so
// "createRequest.client.name" becomes "client.name".
func fieldPath(ns string) string {
	_, rest, found := strings.Cut(ns, ".")
	if !found {
		return ns
	}
	return rest
}

// bound is the message of a min or max tag: "at least" or "at most" its
// parameter, counted in characters for a string and items for a slice.
func bound(fe validator.FieldError, which string) string {
	switch fe.Kind() {
	case reflect.String:
		return fmt.Sprintf("must be %s %s characters", which, fe.Param())
	case reflect.Slice:
		return fmt.Sprintf("must have %s %s items", which, fe.Param())
	}
	return "must be " + which + " " + fe.Param()
}

func (val *Validator) message(fe validator.FieldError) string {
	if m, ok := val.messages[fe.Tag()]; ok {
		return m
	}
	p := fe.Param()
	isString := fe.Kind() == reflect.String
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min":
		return bound(fe, "at least")
	case "max":
		return bound(fe, "at most")
	case "len":
		if isString {
			return fmt.Sprintf("must be exactly %s characters", p)
		}
		return "must have length " + p
	case "gte":
		return "must be at least " + p
	case "lte":
		return "must be at most " + p
	case "iso4217":
		return "must be an ISO 4217 currency code, such as EUR"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(p, " ", ", ")
	case "email":
		return "must be an email address"
	case "uuid", "uuid4":
		return "must be a UUID"
	case "unique":
		return "must not name an item twice"
	default:
		return "is invalid (" + fe.Tag() + ")"
	}
}
