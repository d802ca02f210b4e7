package contract_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
)

// A wrapped *Error is renamed as KindOf finds it: through the wrapping,
// whose text stays for the logs, and with what it wraps still found.
func TestRenameFieldsOfAWrappedError(t *testing.T) {
	cause := errors.New("ddb: condition failed")
	inner := &contract.Error{Kind: contract.KindConflict, Code: "TAKEN", Message: "the amount is taken",
		Fields: []contract.FieldError{{Field: "amount", Message: "is taken"}}, Err: cause}
	wrapped := fmt.Errorf("create contract CT-0000000001: %w", inner)
	err := contract.RenameFields(wrapped, map[string]string{"amount": "amountMinor"})
	var e *contract.Error
	if !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "amountMinor" || e.Message != inner.Message || e.Code != "TAKEN" {
		t.Fatalf("errors.As found %+v", e)
	}
	if contract.KindOf(err) != contract.KindConflict || !errors.Is(err, cause) || !errors.Is(err, inner) {
		t.Errorf("the renamed error lost its kind or what it wraps: %v", err)
	}
	if err.Error() != wrapped.Error() {
		t.Errorf("text %q, want the wrapped error's %q", err.Error(), wrapped.Error())
	}
	if inner.Fields[0].Field != "amount" {
		t.Error("RenameFields changed the error it was given")
	}
}

// An Error's text carries its cause, for the logs; its Message, which is
// what clients see, does not.
func TestErrorTextCarriesTheCause(t *testing.T) {
	cause := errors.New("ThrottlingException: rate exceeded")
	if got := contract.Unavailable(cause).Error(); !strings.Contains(got, "ThrottlingException") ||
		!strings.HasPrefix(got, contract.Unavailable(cause).Message) {
		t.Errorf("Error() = %q, want the message and the cause", got)
	}
	if got := contract.NotFound("ctr_1").Error(); got != contract.NotFound("ctr_1").Message {
		t.Errorf("Error() of an error without a cause = %q, want its message", got)
	}
}
