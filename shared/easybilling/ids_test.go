package easybilling

import (
	"regexp"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi/dialecttest"
	"github.com/contracts-service/contracts/shared/ids"
)

// uuidShape is a lowercase UUID of the RFC's variant, of any version.
var uuidShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestDerivedIDs(t *testing.T) {
	dialecttest.DerivedIDs{
		Of: derivedContractIDs.Of, NumberOf: derivedContractIDs.Number, Documented: "00000000-0000-8000-8000-000000000042",
		Shape: func(id string) bool { return isVersion8(id) && derivedContractIDs.Has(id) },
	}.Check(t,
		"00000000-0000-8000-8000-100000000001", // of the form, but no number gives it
		"00000000-0000-8000-8000-0000000001",   // too short
		"00000000-0000-8000-8000-00000000000a",
		"00000000-0000-8000-8001-000000000001", // a segment's
		"00000000-0000-0000-0000-000000000000",
		"979b1d96-1d82-4270-9d95-9db7c77fc237",
		"CT-0000000001",
	)
	// A segment's id is of its own form, beside its contract's.
	for _, n := range []int64{1, 42, 9999999999} {
		number := contract.FormatNumber(n)
		if id := derivedSegmentIDs.Of(number); !isVersion8(id) || id == derivedContractIDs.Of(number) || derivedContractIDs.Has(id) {
			t.Errorf("%s: the segment's id %s is not a version 8 UUID of its own form", number, id)
		}
	}
	// Every id the service draws is a version 4 UUID, never of the form.
	for range 1000 {
		if id := ids.UUID(); derivedContractIDs.Has(id) {
			t.Fatalf("drew %s", id)
		}
	}
}

// isVersion8 reports whether id is a version 8 UUID.
func isVersion8(id string) bool {
	m := uuidShape.FindStringSubmatch(id)
	return m != nil && m[1] == "8"
}

func TestPartyAccounts(t *testing.T) {
	dialecttest.CheckPartyNames(t, partyAccount, regexp.MustCompile(`^ACC-\d{10}$`),
		contract.Party{Kind: contract.PartyClient, ID: "clnt_z2b3mo8qa5kzptgsu26q2wmh"},
		contract.Party{Kind: contract.PartyOrganization, ID: "clnt_z2b3mo8qa5kzptgsu26q2wmh"}, // the same id, another kind
		contract.Party{Kind: contract.PartyOrganization, ID: "org-1"},
		contract.Party{Kind: contract.PartyCustomer, ID: "3c9b1d96-1d82-4270-9d95-9db7c77fc237"},
		contract.Party{Kind: contract.PartyCustomer, ID: ""},
	)
}
