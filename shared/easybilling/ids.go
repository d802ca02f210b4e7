package easybilling

import (
	"crypto/sha256"
	"encoding/binary"
	"strings"

	"github.com/contracts-service/contracts/shared/contract"
)

// A contract another API made reads here within EasyBilling's documented
// shapes (the README's table "One contract in every reader's fields"):
// its id, and its one segment's, are UUIDs derived from its number, and
// its party shows as an account number derived from the party.
//
// The ids are version 8 UUIDs (RFC 9562's version for ids of an
// application's own layout): "00000000-0000-8000-800" and a marker (0
// for the contract, 1 for its segment), then "-" and the number's digits
// zero-padded to 12 (CT-0000000042 is 00000000-0000-8000-8000-000000000042).
// Every UUID the service draws is version 4 (ids.UUID) and no other id of
// any API is a UUID of another version, so a derived id never names a
// contract an API made, and the form shows what it is to whoever reads it.
//
// Deriving rather than storing them costs no write at any create, gives
// every contract stored before the rule its ids at once, and reads back by
// one strongly consistent GetItem of the number the id carries (as
// Kukkingu's derived ids do); what they show is the contract number,
// which every API of the tenant can read anyway.
const (
	derivedContractPrefix = "00000000-0000-8000-8000-"
	derivedSegmentPrefix  = "00000000-0000-8000-8001-"
	derivedDigits         = 12
)

// numberDigits is the width of a contract number's digits (CT- and ten).
const numberDigits = len("0000000001")

// foreign reports whether c was made through another API than
// EasyBilling, and so reads here in the fields the README's table gives
// it rather than as stored.
func foreign(c *contract.Contract) bool { return c.Owner() != contract.APIEasyBilling }

// derivedContractID is the id the contract numbered number shows here
// when another API made it.
func derivedContractID(number string) string { return derived(derivedContractPrefix, number) }

// derivedSegmentID is the id of the one segment such a contract shows.
func derivedSegmentID(number string) string { return derived(derivedSegmentPrefix, number) }

func derived(prefix, number string) string {
	digits := strings.TrimPrefix(number, "CT-")
	var b strings.Builder
	b.Grow(len(prefix) + derivedDigits)
	b.WriteString(prefix)
	for range derivedDigits - len(digits) {
		b.WriteByte('0')
	}
	b.WriteString(digits)
	return b.String()
}

// isDerivedForm reports whether ref has the form of a derived contract
// id, which no id an API hands out has.
func isDerivedForm(ref string) bool {
	digits, ok := strings.CutPrefix(ref, derivedContractPrefix)
	return ok && len(digits) == derivedDigits && strings.Trim(digits, "0123456789") == ""
}

// numberOfDerived is the contract number a derived contract id names; ok
// is false for a ref that is not of the derived form or that no contract
// number gives.
func numberOfDerived(ref string) (number string, ok bool) {
	if !isDerivedForm(ref) {
		return "", false
	}
	digits := ref[len(derivedContractPrefix):]
	cut := len(digits) - numberDigits
	if strings.Trim(digits[:cut], "0") != "" {
		return "", false
	}
	return "CT-" + digits[cut:], true
}

// accountSpace is how many account numbers of EasyBilling's shape, ACC-
// and ten digits, there are.
const accountSpace = 10_000_000_000

// partyAccount is the account number another API's party shows as: "ACC-"
// and ten digits, the first eight bytes of the SHA-256 of the party's kind
// and id, as a big-endian integer, modulo 10^10. Every contract of one
// party shows the same account. Ten digits are all the documented shape
// holds, so two parties of a tenant share one with odds of about
// n²/(2·10^10) for n parties (1 in 20,000 at 1,000, 1 in 200 at 10,000).
// It names no EasyBilling account: the list's accountNumber filters
// EasyBilling's own accounts, as Kukkingu's clientId filters its own
// clients, so a list by it shows none of the party's contracts.
func partyAccount(party contract.Party) string {
	h := sha256.New()
	h.Write([]byte(party.Kind))
	h.Write([]byte{0})
	h.Write([]byte(party.ID))
	var sum [sha256.Size]byte
	n := binary.BigEndian.Uint64(h.Sum(sum[:0])) % accountSpace
	var b [len("ACC-0000000000")]byte
	copy(b[:], "ACC-")
	for i := len(b) - 1; i >= len("ACC-"); i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}
