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

func TestCompanionsAreKeptForTheReadsThatShowThem(t *testing.T) {
	s := New()
	ctx := context.Background()
	cu := &contract.Customer{TenantID: "a", ID: "cu-1", ExternalID: "ext-1", Name: "Acme"}
	first := &contract.PaymentAccount{TenantID: "a", ID: "pa-1", CustomerID: "cu-1", TaxID: "1"}
	c := &contract.Contract{TenantID: "a", Number: contract.FormatNumber(1), ID: "x1", PaymentAccountID: "pa-1", Version: 1}
	if err := s.CreateContract(ctx, c, contract.Companions{Customer: cu, PaymentAccount: first}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetCustomer(ctx, "a", "cu-1")
	if err != nil || got.Name != "Acme" {
		t.Fatalf("customer: %+v, %v", got, err)
	}
	got.Name = "changed"
	if again, _ := s.GetCustomer(ctx, "a", "cu-1"); again.Name != "Acme" {
		t.Fatal("a caller's change reached the stored customer")
	}
	// A replace may bring a new payment account of the same customer.
	c.Version = 2
	second := &contract.PaymentAccount{TenantID: "a", ID: "pa-2", CustomerID: "cu-1", TaxID: "2"}
	if err := s.ReplaceContract(ctx, c, contract.Companions{PaymentAccount: second}); err != nil {
		t.Fatal(err)
	}
	if pa, err := s.GetPaymentAccount(ctx, "a", "pa-2"); err != nil || pa.TaxID != "2" {
		t.Fatalf("payment account: %+v, %v", pa, err)
	}
	list, _ := s.ListPaymentAccounts(ctx, "a", "cu-1")
	if len(list) != 2 || list[0].ID != "pa-1" || list[1].ID != "pa-2" {
		t.Fatalf("listed %+v, want pa-1 then pa-2", list)
	}
	if none, err := s.ListPaymentAccounts(ctx, "a", "cu-2"); err != nil || none == nil || len(none) != 0 {
		t.Fatalf("a customer without accounts: %v, %v; want an empty list", none, err)
	}
	for name, err := range map[string]error{
		"customer":        func() error { _, err := s.GetCustomer(ctx, "b", "cu-1"); return err }(),
		"payment account": func() error { _, err := s.GetPaymentAccount(ctx, "a", "pa-9"); return err }(),
	} {
		if contract.KindOf(err) != contract.KindNotFound {
			t.Errorf("missing %s: err = %v, want not found", name, err)
		}
	}
	// A taken payment account id refuses the whole write.
	c.Version = 3
	if err := s.ReplaceContract(ctx, c, contract.Companions{PaymentAccount: first}); contract.KindOf(err) != contract.KindConflict {
		t.Fatalf("taken payment account id: err = %v, want conflict", err)
	}
	if stored, _ := s.GetContract(ctx, "a", "x1"); stored.Version != 2 {
		t.Fatalf("the refused replace was stored: version %d", stored.Version)
	}
	if err := s.CreateCustomer(ctx, &contract.Customer{TenantID: "a", ID: "cu-2", ExternalID: "ext-1"}); contract.KindOf(err) != contract.KindConflict {
		t.Fatalf("a customer with a taken externalId: err = %v, want conflict", err)
	}
}

func TestCatalogHoldsWhatWasPut(t *testing.T) {
	s := New()
	ctx := context.Background()
	if err := s.PutPlans(ctx, "a", []contract.Plan{{ID: "p1", Name: "one", Currencies: []string{"USD"}}, {ID: "p2", Name: "two", BillingCycleType: "yearly", Currencies: []string{"EUR"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPlans(ctx, "a", []contract.Plan{{ID: "p2", Name: "two again", Currencies: []string{"BRL"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetPlans(ctx, "a", []string{"p1", "p2", "p3"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["p1"].BillingCycleType != contract.DefaultBillingCycleType || got["p2"].Name != "two again" || got["p2"].Currencies[0] != "BRL" {
		t.Fatalf("plans %+v", got)
	}
	got["p1"].Currencies[0] = "XXX"
	if again, _ := s.GetPlans(ctx, "a", []string{"p1"}); again["p1"].Currencies[0] != "USD" {
		t.Fatal("a caller's change reached the catalog")
	}
	if other, _ := s.GetPlans(ctx, "b", []string{"p1"}); len(other) != 0 {
		t.Fatalf("another tenant's catalog holds %v", other)
	}
}

func TestActionsApplyAllOrNothing(t *testing.T) {
	s := New()
	ctx := context.Background()
	existing := create(t, s, "a", "x1", contract.Party{Kind: contract.PartyAccount, ID: "acc"})
	_, n, _ := s.DrawNumbers(ctx, "a", 0)
	if n != 1 {
		t.Fatalf("the first action number is %d: actions must have a counter of their own", n)
	}
	newContract := func(number int64, id string) *contract.Contract {
		return &contract.Contract{TenantID: "a", Number: contract.FormatNumber(number), ID: id, Party: contract.Party{Kind: contract.PartyAccount, ID: "acc"}, Version: 1}
	}
	action := func(number int64) *contract.Action {
		return &contract.Action{TenantID: "a", Number: contract.FormatActionNumber(number), SegmentIDs: []string{"s1"}}
	}
	changed := *existing
	changed.Version = 2
	if err := s.ApplyActions(ctx, action(1), []*contract.Contract{newContract(2, "x2")}, []*contract.Contract{&changed}, "msg-1"); err != nil {
		t.Fatal(err)
	}
	if a, err := s.GetAction(ctx, "a", "CA-0000000001"); err != nil || a.SegmentIDs[0] != "s1" {
		t.Fatalf("action: %+v, %v", a, err)
	}
	if c, err := s.GetContract(ctx, "a", "x2"); err != nil || c.Number != "CT-0000000002" {
		t.Fatalf("created contract: %+v, %v", c, err)
	}
	for _, tc := range []struct {
		name    string
		action  *contract.Action
		created []*contract.Contract
		changed []*contract.Contract
		dedupe  string
		want    func(error) bool
	}{
		{"a redelivery", action(2), []*contract.Contract{newContract(3, "x3")}, nil, "msg-1", func(err error) bool { return errors.Is(err, contract.ErrAlreadyApplied) }},
		{"a stale change", action(2), []*contract.Contract{newContract(3, "x3")}, []*contract.Contract{&changed}, "", func(err error) bool { return errors.Is(err, contract.ErrVersionConflict) }},
		{"a taken id", action(2), []*contract.Contract{newContract(3, "x3"), newContract(4, "x2")}, nil, "", func(err error) bool { return contract.KindOf(err) == contract.KindConflict }},
		{"a taken action number", action(1), []*contract.Contract{newContract(3, "x3")}, nil, "", func(err error) bool { return err != nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.ApplyActions(ctx, tc.action, tc.created, tc.changed, tc.dedupe); !tc.want(err) {
				t.Fatalf("err = %v", err)
			}
			if _, err := s.GetContract(ctx, "a", "x3"); contract.KindOf(err) != contract.KindNotFound {
				t.Fatal("a refused request stored a contract")
			}
		})
	}
	if _, err := s.GetAction(ctx, "a", "CA-0000000002"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("a refused request stored its action: err = %v", err)
	}
}
