package easybilling

import (
	"encoding/binary"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/derivedid"
)

// A contract another API made reads here within EasyBilling's documented
// shapes (the README's table "One contract in every reader's fields"):
// its id, and its one segment's, are UUIDs derived from its number
// (derivedid), and its party shows as an account number derived from the
// party.
//
// The ids are version 8 UUIDs (RFC 9562's version for ids of an
// application's own layout): "00000000-0000-8000-800" and a marker (0
// for the contract, 1 for its segment), then "-" and the number's digits
// zero-padded to 12 (CT-0000000042 is 00000000-0000-8000-8000-000000000042).
// Every UUID the service draws is version 4 (ids.UUID) and no other id of
// any API is a UUID of another version, so a derived id never names a
// contract an API made, and the form shows what it is to whoever reads it.
var (
	derivedContractIDs = derivedid.Form{Prefix: "00000000-0000-8000-8000-", Digits: 12}
	derivedSegmentIDs  = derivedid.Form{Prefix: "00000000-0000-8000-8001-", Digits: 12}
)

// foreign reports whether c was made through another API than
// EasyBilling, and so reads here in the fields the README's table gives
// it rather than as stored.
func foreign(c *contract.Contract) bool { return c.Owner() != contract.APIEasyBilling }

// accountSpace is how many account numbers of EasyBilling's shape, ACC-
// and ten digits, there are.
const accountSpace = 10_000_000_000

// partyAccount is the account number another API's party shows as: "ACC-"
// and ten digits, the first eight bytes of the party's digest
// (derivedid.PartyDigest), as a big-endian integer, modulo 10^10. Every contract of one
// party shows the same account. Ten digits are all the documented shape
// holds, so two parties of a tenant share one with odds of about
// n²/(2·10^10) for n parties (1 in 20,000 at 1,000, 1 in 200 at 10,000).
// It names no EasyBilling account: the list's accountNumber filters
// EasyBilling's own accounts, as Kukkingu's clientId filters its own
// clients, so a list by it shows none of the party's contracts.
func partyAccount(party contract.Party) string {
	sum := derivedid.PartyDigest(party)
	n := binary.BigEndian.Uint64(sum[:]) % accountSpace
	var b [len("ACC-0000000000")]byte
	copy(b[:], "ACC-")
	for i := len(b) - 1; i >= len("ACC-"); i-- {
		b[i] = byte('0' + n%10)
		n /= 10
	}
	return string(b[:])
}
