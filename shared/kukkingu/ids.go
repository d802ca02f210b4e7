package kukkingu

import (
	"encoding/hex"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/derivedid"
)

// Every contract has a Kukkingu id. One made through Kukkingu keeps the
// id it was given, "ctr_" and 24 random lowercase alphanumerics. One made
// through another API gets an id derived from its contract number
// (derivedid), "ctr_ct" and the number's digits zero-padded to 22
// (CT-0000000042 -> ctr_ct0000000000000000000042): the documented id
// shape, and a form ("ct" and 22 digits) the generator never draws
// (newID), so a derived id never names a Kukkingu contract.
var derivedIDs = derivedid.Form{Prefix: idPrefix + "ct", Digits: idLength - len("ct")}

// newID draws a new Kukkingu contract id with draw, again whenever it
// has the derived form (under 1 in 10^15 of draws), so a
// generated id never names another API's contract.
func newID(draw func() string) string {
	for {
		if id := draw(); !derivedIDs.Has(id) {
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
// Kukkingu's shape, "clnt_" and 24 lowercase hex digits of the party's
// digest (derivedid.PartyDigest): every contract of one party shows the same
// client, and different parties different ones. It names no Kukkingu
// client, so a list filtered by it (clientId) is empty.
func partyClient(party contract.Party) string { return string(appendPartyClient(nil, party)) }

// appendPartyClient appends partyClient(party) to b.
func appendPartyClient(b []byte, party contract.Party) []byte {
	sum := derivedid.PartyDigest(party)
	b = append(b, clientPrefix...)
	return hex.AppendEncode(b, sum[:idLength/2])
}
