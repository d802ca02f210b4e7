package derivedid_test

import (
	"context"
	"encoding/hex"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/derivedid"
)

var form = derivedid.Form{Prefix: "x-", Digits: 12}

// An id reads back to the number it was derived from, and only an id of
// the form that some number gives reads back at all.
func TestFormReadsBackItsNumbers(t *testing.T) {
	for _, number := range []string{"CT-0000000001", "CT-0000000042", "CT-9999999999"} {
		id := form.Of(number)
		if got, ok := form.Number(id); !ok || got != number || !form.Has(id) || string(form.Append([]byte("a"), number)) != "a"+id {
			t.Errorf("%s -> %s -> %q, %v", number, id, got, ok)
		}
	}
	if id := form.Of("CT-0000000042"); id != "x-000000000042" {
		t.Errorf("CT-0000000042 -> %s, want x-000000000042", id)
	}
	for _, id := range []string{"x-100000000042", "x-00000000042", "x-0000000000042", "y-000000000042", "x-00000000004a", ""} {
		if _, ok := form.Number(id); ok {
			t.Errorf("%q reads as a number", id)
		}
	}
	// A form too narrow for a number's ten digits reads none back.
	if _, ok := (derivedid.Form{Prefix: "y-", Digits: 4}).Number("y-0042"); ok {
		t.Error("a four-digit form reads a number")
	}
}

// Find reads a derived id by its number, only for another API's
// contract; any other ref goes to get as it is.
func TestFind(t *testing.T) {
	contracts := map[string]*contract.Contract{
		"CT-0000000001": {Number: "CT-0000000001", Party: contract.Party{Kind: contract.PartyClient, ID: "clnt_1"}},
		"CT-0000000002": {Number: "CT-0000000002", Party: contract.Party{Kind: contract.PartyOrganization, ID: "org"}},
	}
	get := func(_ context.Context, ref string) (*contract.Contract, error) {
		if c, ok := contracts[ref]; ok {
			return c, nil
		}
		return nil, contract.NotFound(ref)
	}
	own := contracts["CT-0000000001"].Owner()
	for _, tt := range []struct {
		ref, want string
	}{
		{"CT-0000000001", "CT-0000000001"},
		{form.Of("CT-0000000002"), "CT-0000000002"},
		{form.Of("CT-0000000001"), ""}, // the API's own contract has its own id
		{form.Of("CT-0000000003"), ""},
		{"x-100000000002", ""},
	} {
		c, err := form.Find(context.Background(), own, tt.ref, get)
		switch {
		case tt.want == "" && contract.KindOf(err) != contract.KindNotFound:
			t.Errorf("%s: %+v, %v; want not found", tt.ref, c, err)
		case tt.want != "" && (err != nil || c.Number != tt.want):
			t.Errorf("%s: %+v, %v; want %s", tt.ref, c, err, tt.want)
		}
	}
}

// A party's digest is the SHA-256 of its kind, a zero byte and its id
// (pinned: the client ids and account numbers clients already hold are
// derived from it), so a kind and id that only concatenate alike differ.
func TestPartyDigest(t *testing.T) {
	a := contract.Party{Kind: contract.PartyClient, ID: "x"}
	if got := derivedid.PartyDigest(a); hex.EncodeToString(got[:]) != "2c7417f451355a6b47b880f9e8e42dbb3c58cbdcdae61ed3ac837e0cd01b39fc" {
		t.Fatalf("digest of %+v is %x, which is not SHA-256(\"client\\x00x\")", a, got)
	}
	b := contract.Party{Kind: contract.PartyClient + "x", ID: ""}
	if derivedid.PartyDigest(a) == derivedid.PartyDigest(b) {
		t.Fatal("two parties, one digest")
	}
}
