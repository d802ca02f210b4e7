package ddb_test

import (
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// GetRelated reads a contract's customer, payment account and plans in
// one round trip, within the contract's tenant only.
func TestGetRelated(t *testing.T) {
	store, _, faults := ddbtest.NewFaultyStore(t)
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	cu := &contract.Customer{TenantID: "t1", ID: "cust-1", ExternalID: "ext-1", Name: "Acme", CreatedAt: at, UpdatedAt: at}
	pa := &contract.PaymentAccount{TenantID: "t1", ID: "pa-1", CustomerID: "cust-1", BusinessName: "Acme Ltda", CreatedAt: at, UpdatedAt: at}
	if err := store.CreateCustomer(ctx, cu); err != nil {
		t.Fatal(err)
	}
	c := newContract("t1", "ctr_related", "cust-1")
	c.Party.Kind = contract.PartyCustomer
	c.PaymentAccountID, c.PlanIDs = "pa-1", []string{"plan-a", "plan-b", "plan-a"}
	if err := create(store, c); err != nil {
		t.Fatal(err)
	}
	n, _ := store.NextContractNumber(ctx, "t1")
	other := newContract("t1", "ctr_carrier", "cust-1")
	other.Number = contract.FormatNumber(n)
	if err := store.CreateContract(ctx, other, contract.Companions{PaymentAccount: pa}); err != nil {
		t.Fatal(err)
	}
	if err := store.PutPlans(ctx, "t1", []contract.Plan{{ID: "plan-a", Name: "A"}, {ID: "plan-b", Name: "B"}}); err != nil {
		t.Fatal(err)
	}

	faults.Reset()
	rel, err := store.GetRelated(ctx, "t1", c)
	if err != nil {
		t.Fatal(err)
	}
	if rel.Customer == nil || rel.Customer.Name != "Acme" || rel.PaymentAccount == nil || rel.PaymentAccount.BusinessName != "Acme Ltda" ||
		len(rel.Plans) != 2 || rel.Plans["plan-b"].Name != "B" {
		t.Fatalf("related: %+v", rel)
	}
	if n := faults.Calls("BatchGetItem"); n != 1 {
		t.Errorf("%d BatchGetItem calls, want one round trip", n)
	}

	// Another tenant naming the same ids finds nothing of t1's.
	if _, err := store.GetRelated(ctx, "t2", c); contract.KindOf(err) != contract.KindNotFound {
		t.Errorf("another tenant: %v, want KindNotFound", err)
	}
	missing := *c
	missing.PaymentAccountID = "pa-missing"
	if _, err := store.GetRelated(ctx, "t1", &missing); contract.KindOf(err) != contract.KindNotFound {
		t.Errorf("a missing payment account: %v, want KindNotFound", err)
	}
}
