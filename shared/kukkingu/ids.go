package kukkingu

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/contracts-service/contracts/shared/contract"
)

// Every contract has a Kukkingu id. One made through Kukkingu keeps the
// id it was given, "ctr_" and 24 random lowercase alphanumerics. One made
// through another API gets an id derived from its contract number,
// "ctr_ct" and the number's digits zero-padded to 22
// (CT-0000000042 -> ctr_ct0000000000000000000042): the documented id
// shape, and a form ("ct" and 22 digits) the generator never draws
// (newID), so a derived id never names a Kukkingu contract.
//
// Deriving the id rather than storing one (an alias item written with the
// contract) costs no write: no other API's create has to know Kukkingu,
// contracts stored before the rule have their ids with no backfill, and
// the id reads back by one strongly consistent GetItem of the contract's
// number, where a stored alias would take an index query or a second
// read. What it gives away is the contract number, which every API's
// clients in the tenant can see anyway.
const (
	derivedMarker = "ct"
	derivedDigits = idLength - len(derivedMarker)
)

// numberDigits is the width of a contract number's digits (CT- and ten).
const numberDigits = len("0000000001")

// idOf is c's Kukkingu id.
func idOf(c *contract.Contract) string {
	if c.Owner() == contract.APIKukkingu {
		return c.ID
	}
	return derivedID(c.Number)
}

// derivedID is the Kukkingu id of the contract numbered number.
func derivedID(number string) string { return string(appendDerivedID(nil, number)) }

// appendDerivedID appends derivedID(number) to b: a list writes the ids
// of a page into one buffer rather than allocate each.
func appendDerivedID(b []byte, number string) []byte {
	digits := strings.TrimPrefix(number, "CT-")
	b = append(b, idPrefix+derivedMarker...)
	for range derivedDigits - len(digits) {
		b = append(b, '0')
	}
	return append(b, digits...)
}

// isDerivedForm reports whether id has the form derived ids take, which
// no generated id has.
func isDerivedForm(id string) bool {
	digits, ok := strings.CutPrefix(id, idPrefix+derivedMarker)
	return ok && len(digits) == derivedDigits && strings.Trim(digits, "0123456789") == ""
}

// numberOfDerived is the contract number a derived id names; ok is false
// for an id of the derived form that no contract number gives.
func numberOfDerived(id string) (number string, ok bool) {
	if !isDerivedForm(id) {
		return "", false
	}
	digits := id[len(idPrefix+derivedMarker):]
	cut := len(digits) - numberDigits
	if strings.Trim(digits[:cut], "0") != "" {
		return "", false
	}
	return "CT-" + digits[cut:], true
}

// newID draws a new Kukkingu contract id with draw, again whenever it
// has the derived form (under 1 in 10^15 of draws), so a
// generated id never names another API's contract.
func newID(draw func() string) string {
	for {
		if id := draw(); !isDerivedForm(id) {
			return id
		}
	}
}

// clientPrefix starts Kukkingu's client ids.
const clientPrefix = "clnt_"

// partyClient is the client a contract of another API shows. A Kukkingu
// contract shows the clientId it was written with; another API's is
// filed under a party Kukkingu does not know (an Aira customer, a fabric
// organization, an EasyBilling account), which it shows as a client id of
// Kukkingu's shape, "clnt_" and 24 lowercase hex digits of the SHA-256 of
// the party's kind and id: every contract of one party shows the same
// client, and different parties different ones. It names no Kukkingu
// client, so a list filtered by it (clientId) is empty.
func partyClient(party contract.Party) string { return string(appendPartyClient(nil, party)) }

// appendPartyClient appends partyClient(party) to b.
func appendPartyClient(b []byte, party contract.Party) []byte {
	h := sha256.New()
	h.Write([]byte(party.Kind))
	h.Write([]byte{0})
	h.Write([]byte(party.ID))
	var sum [sha256.Size]byte
	b = append(b, clientPrefix...)
	return hex.AppendEncode(b, h.Sum(sum[:0])[:idLength/2])
}
