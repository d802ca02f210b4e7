// Package derivedid is how an API shows the contracts other APIs made in
// its own shapes without storing anything for them: an id derived from
// the contract's number, which reads back to the contract, and a digest
// of its party, from which the API derives the party's name in its own
// shape. Kukkingu and EasyBilling use it (see their ids.go for their
// forms, and the README's table "One contract in every reader's fields").
//
// Deriving rather than storing costs no write at any create, gives every
// contract stored before the rule its ids at once, and reads back by one
// strongly consistent GetItem of the number the id carries; what a
// derived id shows is the contract number, which every API's clients in
// the tenant can read anyway.
package derivedid

import (
	"context"
	"crypto/sha256"
	"strings"

	"github.com/contracts-service/contracts/shared/contract"
)

// numberDigits is the width of a contract number's digits (CT- and ten).
const numberDigits = len("0000000001")

// Form is one API's form of derived ids: Prefix, then the contract
// number's digits zero-padded to Digits (at least numberDigits). An API
// picks a form it never hands out otherwise, so that a derived id never
// names a contract the API made.
type Form struct {
	Prefix string
	Digits int
}

// Of is the id of the contract numbered number in form f.
func (f Form) Of(number string) string { return string(f.Append(nil, number)) }

// Append appends f.Of(number) to b: a list writes the ids of a page into
// one buffer rather than allocate each.
func (f Form) Append(b []byte, number string) []byte {
	digits := strings.TrimPrefix(number, "CT-")
	b = append(b, f.Prefix...)
	for range f.Digits - len(digits) {
		b = append(b, '0')
	}
	return append(b, digits...)
}

// Has reports whether id has form f.
func (f Form) Has(id string) bool {
	digits, ok := strings.CutPrefix(id, f.Prefix)
	return ok && len(digits) == f.Digits && strings.Trim(digits, "0123456789") == ""
}

// Number is the contract number id names; ok is false for an id not of
// form f, or of the form but given by no contract number (a non-zero
// digit in its padding).
func (f Form) Number(id string) (number string, ok bool) {
	if !f.Has(id) {
		return "", false
	}
	digits := id[len(f.Prefix):]
	cut := len(digits) - numberDigits
	if cut < 0 || strings.Trim(digits[:cut], "0") != "" {
		return "", false
	}
	return "CT-" + digits[cut:], true
}

// Find reads the contract ref names for api, by get (contract.Service's
// Get, which takes a number or an id). A ref not of form f is the
// contract's own id or number. A ref of the form names the contract of
// its number if another API than api made it, and is not found
// otherwise, as an unknown id is.
func (f Form) Find(ctx context.Context, api contract.API, ref string, get func(ctx context.Context, ref string) (*contract.Contract, error)) (*contract.Contract, error) {
	if !f.Has(ref) {
		return get(ctx, ref)
	}
	number, ok := f.Number(ref)
	if !ok {
		return nil, contract.NotFound(ref)
	}
	c, err := get(ctx, number)
	if contract.KindOf(err) == contract.KindNotFound || err == nil && c.Owner() == api {
		return nil, contract.NotFound(ref)
	}
	return c, err
}

// PartyDigest is the SHA-256 of a party's kind and id: every contract of
// one party gives the same digest, and different parties different ones.
func PartyDigest(p contract.Party) [sha256.Size]byte {
	h := sha256.New()
	h.Write([]byte(p.Kind))
	h.Write([]byte{0})
	h.Write([]byte(p.ID))
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	return sum
}
