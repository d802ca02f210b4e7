package memstore

import (
	"context"
	"errors"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
)

// create stores a contract the way contract.Service does: number first.
func create(t *testing.T, s *Store, tenantID, id string, party contract.Party) *contract.Contract {
	t.Helper()
	ctx := context.Background()
	n, err := s.NextContractNumber(ctx, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	c := &contract.Contract{TenantID: tenantID, Number: contract.FormatNumber(n), ID: id, Party: party, Version: 1}
	if err := s.CreateContract(ctx, c, contract.Companions{}); err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNumbersAreSequentialPerTenant(t *testing.T) {
	s := New()
	ctx := context.Background()
	for want := int64(1); want <= 3; want++ {
		if n, _ := s.NextContractNumber(ctx, "a"); n != want {
			t.Fatalf("tenant a: got %d, want %d", n, want)
		}
	}
	if n, _ := s.NextContractNumber(ctx, "b"); n != 1 {
		t.Fatalf("tenant b starts at %d, want 1", n)
	}
}

func TestGetByIDAndNumberReturnsACopy(t *testing.T) {
	s := New()
	ctx := context.Background()
	c := create(t, s, "a", "ctr_1", contract.Party{Kind: contract.PartyClient, ID: "p"})
	for _, key := range []string{"ctr_1", c.Number} {
		got, err := s.GetContract(ctx, "a", key)
		if err != nil || got.ID != "ctr_1" {
			t.Fatalf("GetContract(%q) = %+v, %v", key, got, err)
		}
		got.Name = "changed"
	}
	if again, _ := s.GetContract(ctx, "a", "ctr_1"); again.Name != "" {
		t.Fatal("a caller's change reached the stored contract")
	}
	if _, err := s.GetContract(ctx, "b", "ctr_1"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("another tenant's contract: err = %v, want not found", err)
	}
}

func TestTakenIDIsAConflictAndWritesNothing(t *testing.T) {
	s := New()
	ctx := context.Background()
	create(t, s, "a", "ctr_1", contract.Party{Kind: contract.PartyClient, ID: "p"})
	dup := &contract.Contract{TenantID: "a", Number: contract.FormatNumber(2), ID: "ctr_1"}
	err := s.CreateContract(ctx, dup, contract.Companions{})
	var e *contract.Error
	if !errors.As(err, &e) || e.Kind != contract.KindConflict || e.Fields[0].Field != "id" {
		t.Fatalf("err = %v, want a conflict naming id", err)
	}
	if _, err := s.GetContract(ctx, "a", dup.Number); contract.KindOf(err) != contract.KindNotFound {
		t.Fatal("the refused contract was stored")
	}
}

func TestReferenceIsUniquePerParty(t *testing.T) {
	s := New()
	ctx := context.Background()
	p := contract.Party{Kind: contract.PartyOrganization, ID: "org"}
	c := &contract.Contract{TenantID: "a", Number: contract.FormatNumber(1), ID: "x1", Party: p, Reference: "r"}
	if err := s.CreateContract(ctx, c, contract.Companions{}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetContractByReference(ctx, "a", p, "r")
	if err != nil || got.ID != "x1" {
		t.Fatalf("by reference: %+v, %v", got, err)
	}
	dup := &contract.Contract{TenantID: "a", Number: contract.FormatNumber(2), ID: "x2", Party: p, Reference: "r"}
	if err := s.CreateContract(ctx, dup, contract.Companions{}); contract.KindOf(err) != contract.KindConflict {
		t.Fatalf("taken reference: err = %v, want conflict", err)
	}
	other := &contract.Contract{TenantID: "a", Number: contract.FormatNumber(3), ID: "x3",
		Party: contract.Party{Kind: contract.PartyOrganization, ID: "org2"}, Reference: "r"}
	if err := s.CreateContract(ctx, other, contract.Companions{}); err != nil {
		t.Fatalf("the same reference under another party: %v", err)
	}
}

func TestListPagesInNumberOrderSkippingDeletedAndOtherParties(t *testing.T) {
	s := New()
	ctx := context.Background()
	p := contract.Party{Kind: contract.PartyClient, ID: "p"}
	q := contract.Party{Kind: contract.PartyClient, ID: "q"}
	for i := 0; i < 7; i++ {
		party := p
		if i == 3 {
			party = q
		}
		create(t, s, "a", "ctr_"+string(rune('a'+i)), party)
	}
	deleted, _ := s.GetContract(ctx, "a", contract.FormatNumber(2))
	deleted.Version++
	deleted.DeletedAt = &deleted.CreatedAt
	if err := s.ReplaceContract(ctx, deleted, contract.Companions{}); err != nil {
		t.Fatal(err)
	}

	var got []string
	after := ""
	for pages := 0; pages < 10; pages++ {
		page, err := s.ListContracts(ctx, "a", contract.ListQuery{Party: p, Limit: 2, After: after})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range page.Contracts {
			got = append(got, c.Number)
		}
		if page.Next == "" {
			break
		}
		after = page.Next
	}
	want := []string{"CT-0000000001", "CT-0000000003", "CT-0000000005", "CT-0000000006", "CT-0000000007"}
	if len(got) != len(want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("listed %v, want %v", got, want)
		}
	}

	all, _ := s.ListContracts(ctx, "a", contract.ListQuery{Limit: 100, IncludeDeleted: true})
	if len(all.Contracts) != 7 || all.Next != "" {
		t.Fatalf("with deleted: %d contracts, next %q; want 7 and none", len(all.Contracts), all.Next)
	}
}

func TestReplaceIsAnOptimisticLock(t *testing.T) {
	s := New()
	ctx := context.Background()
	c := create(t, s, "a", "ctr_1", contract.Party{Kind: contract.PartyClient, ID: "p"})
	stale := *c
	c.Version = 2
	if err := s.ReplaceContract(ctx, c, contract.Companions{}); err != nil {
		t.Fatal(err)
	}
	stale.Version = 2 // read at version 1, but 2 is stored now
	if err := s.ReplaceContract(ctx, &stale, contract.Companions{}); !errors.Is(err, contract.ErrVersionConflict) {
		t.Fatalf("stale write: err = %v, want the version conflict", err)
	}
}

func TestCustomerExternalIDIsUniquePerTenant(t *testing.T) {
	s := New()
	ctx := context.Background()
	with := contract.Companions{Customer: &contract.Customer{ExternalID: "ext-1"}}
	first := &contract.Contract{TenantID: "a", Number: contract.FormatNumber(1), ID: "x1"}
	if err := s.CreateContract(ctx, first, with); err != nil {
		t.Fatal(err)
	}
	second := &contract.Contract{TenantID: "a", Number: contract.FormatNumber(2), ID: "x2"}
	var e *contract.Error
	if err := s.CreateContract(ctx, second, with); !errors.As(err, &e) || e.Fields[0].Field != "externalId" {
		t.Fatalf("taken externalId: err = %v, want a conflict naming externalId", err)
	}
	if _, err := s.GetContract(ctx, "a", "x2"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatal("the refused contract was stored")
	}
	other := &contract.Contract{TenantID: "b", Number: contract.FormatNumber(1), ID: "x1"}
	if err := s.CreateContract(ctx, other, with); err != nil {
		t.Fatalf("the same externalId in another tenant: %v", err)
	}
}
