package ddb_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// GetRelated reads a contract's customer, payment account and plans in
// one round trip, within the contract's tenant only.
func TestGetRelated(t *testing.T) {
	store, _, faults := ddbtest.NewFaultyStore(t)
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	cu := &contract.Customer{TenantID: "t1", ID: "cust-1", ExternalID: "ext-1", Name: "Acme", CreatedAt: at, UpdatedAt: at}
	pa := &contract.PaymentAccount{TenantID: "t1", ID: "pa-1", CustomerID: "cust-1", BusinessName: "Acme Ltda", CreatedAt: at, UpdatedAt: at}
	if err := store.CreateCustomer(ctx, cu, nil); err != nil {
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
	if err := store.CreateContract(ctx, other, contract.Companions{PaymentAccount: pa}, nil); err != nil {
		t.Fatal(err)
	}
	ddbtest.PutPlans(t, store, "t1", []contract.Plan{{ID: "plan-a", Name: "A", Currencies: []string{"USD"}}, {ID: "plan-b", Name: "B", Currencies: []string{"USD"}}})

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

// A customer takes payment accounts up to contract.MaxPaymentAccounts,
// with a contract's create or replace, and refuses the next one naming
// the payment account, with nothing written. A new customer made with its
// first payment account counts it.
func TestPaymentAccountBound(t *testing.T) {
	store := ddbtest.NewStore(t)
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	account := func(i int) *contract.PaymentAccount {
		return &contract.PaymentAccount{TenantID: "t1", ID: fmt.Sprintf("pa-%d", i), CustomerID: "cust-1", CreatedAt: at, UpdatedAt: at}
	}
	withAccount := func(i int) (*contract.Contract, error) {
		c := newContract("t1", fmt.Sprintf("ctr_%d", i), "cust-1")
		c.Party.Kind = contract.PartyCustomer
		c.PaymentAccountID = fmt.Sprintf("pa-%d", i)
		n, err := store.NextContractNumber(ctx, "t1")
		if err != nil {
			return nil, err
		}
		c.Number = contract.FormatNumber(n)
		if i == 1 {
			cu := &contract.Customer{TenantID: "t1", ID: "cust-1", ExternalID: "ext-1", Name: "Acme", CreatedAt: at, UpdatedAt: at}
			return c, store.CreateContract(ctx, c, contract.Companions{Customer: cu, PaymentAccount: account(i)}, nil)
		}
		return c, store.CreateContract(ctx, c, contract.Companions{PaymentAccount: account(i)}, nil)
	}
	var last *contract.Contract
	for i := 1; i <= contract.MaxPaymentAccounts; i++ {
		c, err := withAccount(i)
		if err != nil {
			t.Fatalf("payment account %d: %v", i, err)
		}
		last = c
	}
	cu, err := store.GetCustomer(ctx, "t1", "cust-1")
	if err != nil || cu.PaymentAccounts != contract.MaxPaymentAccounts {
		t.Fatalf("the customer counts %d payment accounts: %v", cu.PaymentAccounts, err)
	}

	past := contract.MaxPaymentAccounts + 1
	_, err = withAccount(past)
	contracttest.Refused(t, err, contract.KindUnprocessable, "paymentAccount")
	replaced := *last
	replaced.Version++
	replaced.PaymentAccountID = fmt.Sprintf("pa-%d", past)
	contracttest.Refused(t, store.ReplaceContract(ctx, &replaced, contract.Companions{PaymentAccount: account(past)}, nil), contract.KindUnprocessable, "paymentAccount")
	if _, err := store.GetPaymentAccount(ctx, "t1", fmt.Sprintf("pa-%d", past)); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("a refused write stored the payment account: %v", err)
	}
	if _, err := store.GetContract(ctx, "t1", fmt.Sprintf("ctr_%d", past)); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("a refused write stored the contract: %v", err)
	}
	if list, err := store.ListPaymentAccounts(ctx, "t1", "cust-1"); err != nil || len(list) != contract.MaxPaymentAccounts {
		t.Fatalf("%d payment accounts listed: %v", len(list), err)
	}
}
