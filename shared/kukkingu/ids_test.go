package kukkingu

import (
	"regexp"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi/dialecttest"
	"github.com/contracts-service/contracts/shared/ids"
)

var idShape = regexp.MustCompile(`^ctr_[a-z0-9]{24}$`)

func TestDerivedIDs(t *testing.T) {
	dialecttest.DerivedIDs{
		Of: derivedIDs.Of, NumberOf: derivedIDs.Number, Documented: "ctr_ct0000000000000000000042",
		Shape: func(id string) bool { return idShape.MatchString(id) && derivedIDs.Has(id) },
	}.Check(t,
		"ctr_ct1000000000000000000001", // of the form, but no number gives it
		"ctr_ct00000000000000000001",   // too short
		"ctr_ct000000000000000000000a",
		"ctr_cu0000000000000000000001",
		"ctr_z23aoo8naxk68ewcr64tchh5",
		"CT-0000000001",
	)
}

// TestGeneratedIDsAreNeverDerived: newID draws again whenever a draw has
// the derived form, so a generated id never names another API's contract.
func TestGeneratedIDsAreNeverDerived(t *testing.T) {
	draws := []string{"ctr_ct0000000000000000000001", "ctr_ct9999999999999999999999", "ctr_ct0000000000000000000012", "ctr_ct000000000000000000001a"}
	i := 0
	got := newID(func() string { i++; return draws[i-1] })
	if got != draws[3] || i != 4 {
		t.Fatalf("newID returned %s after %d draws", got, i)
	}
	for range 1000 {
		if id := newID(func() string { return ids.LowerAlnum(idPrefix, idLength) }); !idShape.MatchString(id) || derivedIDs.Has(id) {
			t.Fatalf("generated %s", id)
		}
	}
}

func TestPartyClients(t *testing.T) {
	parties := []contract.Party{
		{Kind: contract.PartyAccount, ID: "ACC-0000000001"},
		{Kind: contract.PartyOrganization, ID: "ACC-0000000001"},
		{Kind: contract.PartyCustomer, ID: "3c90c3cc-0d44-4b50-8888-8dd25736052a"},
		{Kind: contract.PartyOrganization, ID: "org-1"},
		{Kind: contract.PartyOrganization, ID: "org-"},
	}
	dialecttest.CheckPartyNames(t, partyClient, regexp.MustCompile(`^clnt_[0-9a-f]{24}$`), parties...)
	own := &contract.Contract{ID: "ctr_z23aoo8naxk68ewcr64tchh5", Number: "CT-0000000001", Party: contract.Party{Kind: contract.PartyClient, ID: "clnt_1"}}
	if got := bodyOf(own, "2026-01-01"); got.Client != "clnt_1" || got.ID != own.ID {
		t.Errorf("a Kukkingu contract shows client %s and id %s, not its own", got.Client, got.ID)
	}
	other := &contract.Contract{ID: "979b1d96-1d82-4270-9d95-9db7c77fc237", Number: "CT-0000000002", Party: parties[0]}
	if got := bodyOf(other, "2026-01-01"); got.Client != partyClient(parties[0]) || got.ID != derivedIDs.Of(other.Number) {
		t.Errorf("an EasyBilling contract shows client %s and id %s", got.Client, got.ID)
	}
}
