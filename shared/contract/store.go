package contract

import (
	"context"
	"encoding/base64"
	"strings"

	"github.com/contracts-service/contracts/shared/idempotency"
)

// Store is what the domain needs from storage. The DynamoDB adapter
// implements it; tests use the in-memory one of package contracttest.
//
// Every method is scoped by tenant: an implementation never returns or
// changes a contract of another tenant than the one it is given.
//
// A write that takes an *idempotency.Claim honours a request's
// Idempotency-Key: when the claim is not nil, the store renders the
// claim's answer (Claim.Render) as it builds the write, stores the key's
// record with it in the same all-or-nothing write, and marks the claim
// Written once that write has committed. A key that already holds an
// unexpired record refuses the whole write with an
// *idempotency.UsedError, writing nothing. The claim's type lives in
// package idempotency, which imports nothing of the service: the domain,
// the stores and the HTTP glue that makes claims all import it, and it
// imports none of them, so imports keep running one way.
type Store interface {
	// NextContractNumber draws the tenant's next contract number. Each
	// call returns a number no other call of the tenant ever returns.
	NextContractNumber(ctx context.Context, tenantID string) (int64, error)

	// CreateContract stores c, which has its number, the new records of
	// with and the record of claim's key (when claim is not nil), all or
	// nothing. It fails with a KindConflict *Error, writing nothing, if
	// c.ID is already taken in the tenant (field "id"), c.Reference among
	// the party's contracts (field "reference") or a new customer's
	// externalId (field "externalId"). A c without a number is given the
	// tenant's next one, as NextContractNumber would draw it, except that
	// a create refused draws none; if c's party is a customer, it is also
	// refused as CheckParties refuses a customer and payment account that
	// are neither stored nor in with, and otherwise given copies of them
	// (c.Customer, c.PaymentAccount).
	CreateContract(ctx context.Context, c *Contract, with Companions, claim *idempotency.Claim) error

	// GetContract returns the contract with the given public ID or
	// number, deleted or not; a missing one is a KindNotFound *Error.
	GetContract(ctx context.Context, tenantID, id string) (*Contract, error)

	// GetContractByReference returns the party's contract with the given
	// reference, deleted or not; a missing one is a KindNotFound *Error.
	GetContractByReference(ctx context.Context, tenantID string, party Party, reference string) (*Contract, error)

	// ListContracts returns one page of the tenant's contracts, in number
	// order; deleted ones only if the query asks for them.
	ListContracts(ctx context.Context, tenantID string, q ListQuery) (Page, error)

	// ReplaceContract stores c in place of the stored contract with the
	// same number, the new records of with and the record of claim's key
	// (when claim is not nil), all or nothing, provided the stored one
	// still has version c.Version-1; otherwise it returns
	// ErrVersionConflict.
	ReplaceContract(ctx context.Context, c *Contract, with Companions, claim *idempotency.Claim) error
}

// ListQuery selects a page of contracts. A zero Party lists every contract
// of the tenant; otherwise only those with that party.
type ListQuery struct {
	Party Party
	// IncludeDeleted lists deleted contracts too.
	IncludeDeleted bool
	// Limit is the most contracts a page holds; the caller bounds it.
	Limit int
	// After is the number of the last contract of the previous page, or
	// empty for the first page.
	After string
}

// Page is one page of a list. Next, when not empty, is the After of the
// following page.
type Page struct {
	Contracts []Contract
	Next      string
}

const cursorPrefix = "c1:"

// EncodeCursor turns a Page's Next into the opaque cursor clients send
// back. It carries only a contract number: the tenant and party come from
// the request, so a cursor cannot reach into another tenant's data.
func EncodeCursor(next string) string {
	if next == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + next))
}

// DecodeCursor reverses EncodeCursor. A cursor the service did not issue
// is a KindInvalid *Error naming the field.
func DecodeCursor(field, cursor string) (string, error) {
	if cursor == "" {
		return "", nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	next, ok := strings.CutPrefix(string(raw), cursorPrefix)
	if err != nil || !ok || !validNumber(next) {
		return "", Invalid(FieldError{Field: field, Message: "is not a cursor this service issued"})
	}
	return next, nil
}

// validNumber reports whether s has the form FormatNumber produces.
func validNumber(s string) bool {
	d, ok := strings.CutPrefix(s, "CT-")
	if !ok || len(d) != 10 {
		return false
	}
	for _, r := range d {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// IsNumber reports whether s is a contract number ("CT-" and ten digits),
// as opposed to a dialect's public id.
func IsNumber(s string) bool { return validNumber(s) }
