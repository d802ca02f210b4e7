package easybilling

import (
	"regexp"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ids"
)

// uuidShape is a lowercase UUID of the RFC's variant, of any version.
var uuidShape = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestDerivedIDs(t *testing.T) {
	for _, n := range []int64{1, 42, 9999999999} {
		number := contract.FormatNumber(n)
		for _, id := range []string{derivedContractID(number), derivedSegmentID(number)} {
			if m := uuidShape.FindStringSubmatch(id); m == nil || m[1] != "8" {
				t.Errorf("%s -> %s, not a version 8 UUID", number, id)
			}
		}
		id := derivedContractID(number)
		if back, ok := numberOfDerived(id); !ok || back != number {
			t.Errorf("%s -> %s -> %s %v", number, id, back, ok)
		}
		if derivedSegmentID(number) == id || isDerivedForm(derivedSegmentID(number)) {
			t.Errorf("%s: the segment's id %s is the contract's form", number, derivedSegmentID(number))
		}
	}
	if id := derivedContractID("CT-0000000042"); id != "00000000-0000-8000-8000-000000000042" {
		t.Errorf("CT-0000000042 -> %s, not the documented form", id)
	}
	for _, ref := range []string{
		"00000000-0000-8000-8000-100000000001", // of the form, but no number gives it
		"00000000-0000-8000-8000-0000000001",   // too short
		"00000000-0000-8000-8000-00000000000a",
		"00000000-0000-8000-8001-000000000001", // a segment's
		"00000000-0000-0000-0000-000000000000",
		"979b1d96-1d82-4270-9d95-9db7c77fc237",
		"CT-0000000001",
	} {
		if number, ok := numberOfDerived(ref); ok {
			t.Errorf("%s names %s", ref, number)
		}
	}
	// Every id the service draws is a version 4 UUID, never of the form.
	for range 1000 {
		if id := ids.UUID(); isDerivedForm(id) {
			t.Fatalf("drew %s", id)
		}
	}
}

func TestPartyAccounts(t *testing.T) {
	shape := regexp.MustCompile(`^ACC-\d{10}$`)
	parties := []contract.Party{
		{Kind: contract.PartyClient, ID: "clnt_z2b3mo8qa5kzptgsu26q2wmh"},
		{Kind: contract.PartyOrganization, ID: "clnt_z2b3mo8qa5kzptgsu26q2wmh"}, // the same id, another kind
		{Kind: contract.PartyOrganization, ID: "org-1"},
		{Kind: contract.PartyCustomer, ID: "3c9b1d96-1d82-4270-9d95-9db7c77fc237"},
		{Kind: contract.PartyCustomer, ID: ""},
	}
	seen := map[string]contract.Party{}
	for _, p := range parties {
		a := partyAccount(p)
		if !shape.MatchString(a) || partyAccount(p) != a {
			t.Errorf("%v -> %s, not one account of EasyBilling's shape", p, a)
		}
		if other, ok := seen[a]; ok {
			t.Errorf("%v and %v both show %s", p, other, a)
		}
		seen[a] = p
	}
}
