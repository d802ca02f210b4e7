package contracttest

import (
	"errors"
	"slices"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
)

// Refused fails t unless err is a *contract.Error of kind naming exactly
// fields, in order: the check of every test of a refusal of the domain or
// of a store.
func Refused(t testing.TB, err error, kind contract.Kind, fields ...string) {
	t.Helper()
	var e *contract.Error
	if !errors.As(err, &e) || e.Kind != kind {
		t.Fatalf("err = %v, want %v", err, kind)
	}
	var got []string
	for _, f := range e.Fields {
		got = append(got, f.Field)
	}
	if !slices.Equal(got, fields) {
		t.Fatalf("err %v names %v, want %v", err, got, fields)
	}
}
