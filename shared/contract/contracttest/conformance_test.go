package contracttest_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/idempotency"
)

// store is everything the fake stands in for: what the functions' routers
// take (endpoints.Store), and what tests and the admin command write
// directly (the catalog, tenants).
type store interface {
	endpoints.Store
	PutPlans(ctx context.Context, tenantID string, plans []contract.Plan) error
	CreateTenant(ctx context.Context, t auth.Tenant) error
}

var (
	_ store = (*contracttest.Store)(nil)
	_ store = (*ddb.Store)(nil)
)

var ctx = context.Background()

// conform runs a case of the store's documented behaviour against the fake
// and against the DynamoDB store on DynamoDB Local: the fake is held to
// what the real store does, not to what its author thought it did.
func conform(t *testing.T, test func(t *testing.T, s store)) {
	t.Run("fake", func(t *testing.T) { test(t, contracttest.New()) })
	t.Run("dynamodb", func(t *testing.T) { test(t, ddbtest.NewStore(t)) })
}

var (
	client = contract.Party{Kind: contract.PartyClient, ID: "clnt_1"}
	org    = contract.Party{Kind: contract.PartyOrganization, ID: "org-1"}
	t0     = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC) // whole microseconds, as the service stamps
)

// newContract is a contract of party with the given number and id, every
// field the dialects write set, as the service would stamp it.
func newContract(tenantID string, number int64, id string, party contract.Party) *contract.Contract {
	to := t0.AddDate(1, 0, 0)
	order, day := int64(3), 15
	return &contract.Contract{
		TenantID: tenantID, Number: contract.FormatNumber(number), ID: id, Party: party,
		Name: "Standard", Description: "terms", Type: "WHOLESALE",
		Amount: &contract.Money{Minor: 5000, Currency: "EUR"}, Order: &order,
		PriceList:  &contract.PriceListLink{ID: "pl-" + id, PriceListID: 100045, CreatedAt: t0, UpdatedAt: t0},
		AccountID:  "acct-1",
		Attributes: []byte(`{"a":[1,2]}`), PaymentAccountID: "pa-1", PlanIDs: []string{"plan-1"},
		Billing: &contract.BillingTerms{EndDay: &day, CycleMinimumAmount: "10.50"},
		Segments: []contract.Segment{{ID: "seg-" + id, PlanID: "plan-1", Currencies: []string{"USD"},
			EffectiveDate: "2026-01-02", ExpirationDate: "2027-01-02", BillingCycleDay: 2, BillingCycleType: "monthly",
			CreatedAt: t0, UpdatedAt: t0, CreatedBy: "cred", UpdatedBy: "cred"}},
		ValidFrom: &t0, ValidTo: &to, Status: contract.StatusActive, Version: 1,
		CreatedAt: t0, UpdatedAt: t0, CreatedBy: "cred", UpdatedBy: "cred", UpdatedVia: contract.APIFabric,
	}
}

// create draws the next number and stores a new contract, as
// contract.Service does.
func create(t *testing.T, s store, tenantID, id string, party contract.Party) *contract.Contract {
	t.Helper()
	n, err := s.NextContractNumber(ctx, tenantID)
	if err != nil {
		t.Fatal(err)
	}
	c := newContract(tenantID, n, id, party)
	if err := s.CreateContract(ctx, c, contract.Companions{}, nil); err != nil {
		t.Fatal(err)
	}
	return c
}

// absent checks the tenant has no contract id.
func absent(t *testing.T, s store, tenantID, id string) {
	t.Helper()
	if c, err := s.GetContract(ctx, tenantID, id); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("contract %s of %s: %+v, %v; want not found", id, tenantID, c, err)
	}
}

func TestNumbersAreDrawnPerTenantAndSequence(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		for want := int64(1); want <= 3; want++ {
			if n, err := s.NextContractNumber(ctx, "a"); err != nil || n != want {
				t.Fatalf("tenant a: got %d, %v; want %d", n, err, want)
			}
		}
		if n, _ := s.NextContractNumber(ctx, "b"); n != 1 {
			t.Fatalf("tenant b starts at %d, want 1", n)
		}
		if first, action, _ := s.DrawNumbers(ctx, "a", 2); first != 4 || action != 1 {
			t.Fatalf("drawing two contracts and an action gave %d and %d; want 4 (after 3) and 1: actions have a count of their own", first, action)
		}
		if n, _ := s.NextContractNumber(ctx, "a"); n != 6 {
			t.Fatalf("after two drawn together the next number is %d, want 6", n)
		}
	})
}

func TestContractReadsBackAsWrittenAndAsACopy(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		for _, party := range []contract.Party{client, org} {
			c := create(t, s, "a", "ctr_"+party.ID, party)
			for _, key := range []string{c.ID, c.Number} {
				got, err := s.GetContract(ctx, "a", key)
				if err != nil || !reflect.DeepEqual(got, c) {
					t.Fatalf("GetContract(%q) = %+v, %v; want %+v", key, got, err, c)
				}
				got.Name, *got.Amount, got.PlanIDs[0], got.Segments[0].Currencies[0] = "changed", contract.Money{}, "x", "x"
			}
			if again, _ := s.GetContract(ctx, "a", c.ID); !reflect.DeepEqual(again, c) {
				t.Fatalf("a caller's change reached the stored contract: %+v", again)
			}
			absent(t, s, "b", c.ID)
			absent(t, s, "b", c.Number)
		}
		absent(t, s, "a", "ctr_missing")
		absent(t, s, "a", contract.FormatNumber(99))
	})
}

func TestTakenIDIsAConflictAndWritesNothing(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		create(t, s, "a", "ctr_1", client)
		dup := newContract("a", 2, "ctr_1", client)
		contracttest.Refused(t, s.CreateContract(ctx, dup, contract.Companions{}, nil), contract.KindConflict, "id")
		absent(t, s, "a", dup.Number)
		// The same id in another tenant is another contract.
		if err := s.CreateContract(ctx, newContract("b", 1, "ctr_1", client), contract.Companions{}, nil); err != nil {
			t.Fatal(err)
		}
	})
}

func TestReferenceIsUniquePerParty(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		c := newContract("a", 1, "x1", org)
		c.Reference = "r"
		if err := s.CreateContract(ctx, c, contract.Companions{}, nil); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetContractByReference(ctx, "a", org, "r"); err != nil || got.ID != "x1" {
			t.Fatalf("by reference: %+v, %v", got, err)
		}
		for _, miss := range []struct {
			tenant    string
			party     contract.Party
			reference string
		}{{"a", org, "other"}, {"a", client, "r"}, {"b", org, "r"}} {
			if _, err := s.GetContractByReference(ctx, miss.tenant, miss.party, miss.reference); contract.KindOf(err) != contract.KindNotFound {
				t.Fatalf("%+v: err = %v, want not found", miss, err)
			}
		}
		dup := newContract("a", 2, "x2", org)
		dup.Reference = "r"
		contracttest.Refused(t, s.CreateContract(ctx, dup, contract.Companions{}, nil), contract.KindConflict, "reference")
		absent(t, s, "a", "x2")
		other := newContract("a", 3, "x3", contract.Party{Kind: contract.PartyOrganization, ID: "org-2"})
		other.Reference = "r"
		if err := s.CreateContract(ctx, other, contract.Companions{}, nil); err != nil {
			t.Fatalf("the same reference under another party: %v", err)
		}
	})
}

// A contract created without a number takes the tenant's next one, from
// the sequence every draw takes from; a create refused draws none, so the
// sequence has no gap, and creates racing one another and draws of the
// tenant each end up with a number of their own.
func TestAContractWithoutANumberIsNumberedByTheStore(t *testing.T) {
	unnumbered := func(tenantID, id, reference string) *contract.Contract {
		c := newContract(tenantID, 0, id, org)
		c.Number, c.Reference = "", reference
		return c
	}
	conform(t, func(t *testing.T, s store) {
		for range 2 {
			if _, err := s.NextContractNumber(ctx, "a"); err != nil {
				t.Fatal(err)
			}
		}
		c := unnumbered("a", "x1", "r")
		if err := s.CreateContract(ctx, c, contract.Companions{}, nil); err != nil || c.Number != "CT-0000000003" {
			t.Fatalf("numbered %s, %v; want CT-0000000003, after the two drawn", c.Number, err)
		}
		if got, err := s.GetContractByReference(ctx, "a", org, "r"); err != nil || got.Number != c.Number {
			t.Fatalf("by reference: %+v, %v", got, err)
		}
		contracttest.Refused(t, s.CreateContract(ctx, unnumbered("a", "x2", "r"), contract.Companions{}, nil), contract.KindConflict, "reference")
		cu := &contract.Customer{TenantID: "a", ID: "cu-1", ExternalID: "ext-1", Name: "Acme", CreatedAt: t0, UpdatedAt: t0}
		if err := s.CreateCustomer(ctx, cu, nil); err != nil {
			t.Fatal(err)
		}
		again := *cu
		again.ID = "cu-2"
		contracttest.Refused(t, s.CreateContract(ctx, unnumbered("a", "x3", ""), contract.Companions{Customer: &again}, nil), contract.KindConflict, "externalId")
		if n, err := s.NextContractNumber(ctx, "a"); err != nil || n != 4 {
			t.Fatalf("after two refused creates the next number is %d, %v; want 4", n, err)
		}

		// A tenant whose counter so far counts only actions.
		if _, _, err := s.DrawNumbers(ctx, "b", 0); err != nil {
			t.Fatal(err)
		}
		first := unnumbered("b", "y1", "")
		if err := s.CreateContract(ctx, first, contract.Companions{}, nil); err != nil || first.Number != "CT-0000000001" {
			t.Fatalf("numbered %s, %v; want CT-0000000001", first.Number, err)
		}

		const creates, draws = 12, 4
		numbers := make(chan string, creates+draws)
		errs := make(chan error, creates+draws)
		var wg sync.WaitGroup
		for i := range creates {
			wg.Go(func() {
				c := unnumbered("c", fmt.Sprintf("z%d", i), fmt.Sprintf("r%d", i))
				errs <- s.CreateContract(ctx, c, contract.Companions{}, nil)
				numbers <- c.Number
			})
		}
		for range draws {
			wg.Go(func() {
				n, err := s.NextContractNumber(ctx, "c")
				errs <- err
				numbers <- contract.FormatNumber(n)
			})
		}
		wg.Wait()
		close(numbers)
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		var got []string
		for n := range numbers {
			got = append(got, n)
		}
		slices.Sort(got)
		for i, n := range got {
			if want := contract.FormatNumber(int64(i + 1)); n != want {
				t.Fatalf("numbers of %d racing creates and %d draws: %v; want each of 1 to %d once", creates, draws, got, creates+draws)
			}
		}
	})
}

// A customer's contract the store numbers names a customer and a payment
// account of it that exist, or come with it; it is refused, every missing
// one named at once and nothing drawn, otherwise, and keeps copies of
// them.
func TestACustomersContractNamesPartiesThatExist(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		owner := newContract("a", 0, "x1", contract.Party{Kind: contract.PartyCustomer, ID: "cu-1"})
		owner.Number = ""
		with := contracttest.NewParties(owner)
		if err := s.CreateContract(ctx, owner, with, nil); err != nil || owner.Number != "CT-0000000001" {
			t.Fatalf("numbered %s, %v", owner.Number, err)
		}
		other := contracttest.NewParties(&contract.Contract{TenantID: "a", Party: contract.Party{Kind: contract.PartyCustomer, ID: "cu-2"}})
		if err := s.CreateCustomer(ctx, other.Customer, nil); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name, customer, account string
			with                    contract.Companions
			kind                    contract.Kind
			fields                  []string
		}{
			{"neither exists", "cu-9", "pa-9", contract.Companions{}, contract.KindNotFound, []string{"customerId", "paymentAccountId"}},
			{"no payment account", "cu-1", "pa-9", contract.Companions{}, contract.KindNotFound, []string{"paymentAccountId"}},
			{"another customer's payment account", "cu-2", with.PaymentAccount.ID, contract.Companions{}, contract.KindUnprocessable, []string{"paymentAccountId"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				c := newContract("a", 0, "x2", contract.Party{Kind: contract.PartyCustomer, ID: tc.customer})
				c.Number, c.PaymentAccountID = "", tc.account
				contracttest.Refused(t, s.CreateContract(ctx, c, tc.with, nil), tc.kind, tc.fields...)
				absent(t, s, "a", "x2")
			})
		}
		c := newContract("a", 0, "x3", contract.Party{Kind: contract.PartyCustomer, ID: "cu-1"})
		c.Number, c.PaymentAccountID, c.Customer, c.PaymentAccount = "", with.PaymentAccount.ID, nil, nil
		if err := s.CreateContract(ctx, c, contract.Companions{}, nil); err != nil || c.Number != "CT-0000000002" {
			t.Fatalf("numbered %s, %v; want CT-0000000002, nothing drawn by the refusals", c.Number, err)
		}
		got, err := s.GetContract(ctx, "a", "x3")
		if err != nil || got.Customer == nil || got.Customer.ExternalID != with.Customer.ExternalID || got.PaymentAccount == nil || got.PaymentAccount.ID != with.PaymentAccount.ID {
			t.Fatalf("read back %+v, %v; want copies of its customer and payment account", got, err)
		}
	})
}

func TestListPagesInNumberOrderSkippingDeletedAndOtherParties(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		other := contract.Party{Kind: contract.PartyClient, ID: "clnt_2"}
		for i := range 7 {
			party := client
			if i == 3 {
				party = other
			}
			create(t, s, "a", "ctr_"+string(rune('a'+i)), party)
		}
		create(t, s, "b", "ctr_b", client)
		deleted, _ := s.GetContract(ctx, "a", contract.FormatNumber(2))
		deleted.Version++
		deleted.DeletedAt = &deleted.CreatedAt
		if err := s.ReplaceContract(ctx, deleted, contract.Companions{}, nil); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			q    contract.ListQuery
			want []int64
		}{
			{"party", contract.ListQuery{Party: client, Limit: 2}, []int64{1, 3, 5, 6, 7}},
			{"tenant", contract.ListQuery{Limit: 3}, []int64{1, 3, 4, 5, 6, 7}},
			{"with deleted", contract.ListQuery{Limit: 100, IncludeDeleted: true}, []int64{1, 2, 3, 4, 5, 6, 7}},
			{"exact pages", contract.ListQuery{Party: client, Limit: 5}, []int64{1, 3, 5, 6, 7}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got, pages []string
				q := tc.q
				for range 10 {
					page, err := s.ListContracts(ctx, "a", q)
					if err != nil {
						t.Fatal(err)
					}
					for _, c := range page.Contracts {
						got = append(got, c.Number)
					}
					pages = append(pages, page.Next)
					if page.Next == "" {
						break
					}
					q.After = page.Next
				}
				var want []string
				for _, n := range tc.want {
					want = append(want, contract.FormatNumber(n))
				}
				if !slices.Equal(got, want) {
					t.Fatalf("listed %v, want %v", got, want)
				}
				if len(pages) != (len(want)+tc.q.Limit-1)/tc.q.Limit {
					t.Fatalf("%d pages (next %q) for %d contracts by %d", len(pages), pages, len(want), tc.q.Limit)
				}
			})
		}
	})
}

func TestListOrderedReadsOneParty(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		otherOrg := contract.Party{Kind: contract.PartyOrganization, ID: "org-2"}
		for i, party := range []contract.Party{org, otherOrg, org, org} {
			c := create(t, s, "a", "o"+string(rune('0'+i)), party)
			if i == 2 {
				c.Version, c.Status = 2, contract.StatusDraft
				if err := s.ReplaceContract(ctx, c, contract.Companions{}, nil); err != nil {
					t.Fatal(err)
				}
			}
		}
		page, err := s.ListOrdered(ctx, "a", contract.OrderedQuery{
			Party: org, Statuses: []contract.Status{contract.StatusActive}, Limit: 10,
		})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range page.Contracts {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, []string{"o0", "o3"}) || page.Count != 2 {
			t.Fatalf("listed %v of %d, want o0 and o3", got, page.Count)
		}
	})
}

func TestReplaceIsAnOptimisticLock(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		c := create(t, s, "a", "ctr_1", org)
		stale := *c
		c.Version, c.Name = 2, "second"
		if err := s.ReplaceContract(ctx, c, contract.Companions{}, nil); err != nil {
			t.Fatal(err)
		}
		stale.Version = 2 // read at version 1, but 2 is stored now
		if err := s.ReplaceContract(ctx, &stale, contract.Companions{}, nil); !errors.Is(err, contract.ErrVersionConflict) {
			t.Fatalf("stale write: err = %v, want the version conflict", err)
		}
		missing := newContract("a", 9, "ctr_9", client)
		missing.Version = 2
		if err := s.ReplaceContract(ctx, missing, contract.Companions{}, nil); !errors.Is(err, contract.ErrVersionConflict) {
			t.Fatalf("a contract never stored: err = %v, want the version conflict", err)
		}
		absent(t, s, "a", "ctr_9")
		if got, _ := s.GetContract(ctx, "a", "ctr_1"); got.Name != "second" || got.Version != 2 {
			t.Fatalf("stored %+v", got)
		}
	})
}

func TestCompanionsAreUniqueAndKept(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		cu := &contract.Customer{TenantID: "a", ID: "cu-1", ExternalID: "ext-1", Name: "Acme", CustomFields: []byte(`{"k":"v"}`),
			CreatedAt: t0, UpdatedAt: t0, CreatedBy: "cred", UpdatedBy: "cred"}
		account := func(id string) *contract.PaymentAccount {
			return &contract.PaymentAccount{TenantID: "a", ID: id, CustomerID: "cu-1", BusinessName: "Acme Ltda", TaxID: "1",
				Address: contract.Address{ZipCode: "69900-062", City: "Rio Branco"}, CreatedAt: t0, UpdatedAt: t0}
		}
		c := newContract("a", 1, "x1", contract.Party{Kind: contract.PartyCustomer, ID: "cu-1"})
		if err := s.CreateContract(ctx, c, contract.Companions{Customer: cu, PaymentAccount: account("pa-1")}, nil); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCustomer(ctx, "a", "cu-1")
		if want := *cu; err != nil || !reflect.DeepEqual(got, &want) || got.PaymentAccounts != 1 {
			t.Fatalf("customer: %+v, %v; want %+v with one payment account", got, err, cu)
		}
		if id, err := s.CustomerIDByExternalID(ctx, "a", "ext-1"); err != nil || id != "cu-1" {
			t.Fatalf("by externalId: %q, %v", id, err)
		}

		for _, tc := range []struct {
			name  string
			with  contract.Companions
			field string
			kind  contract.Kind
		}{
			{"externalId", contract.Companions{Customer: &contract.Customer{TenantID: "a", ID: "cu-2", ExternalID: "ext-1"}}, "externalId", contract.KindConflict},
			{"customer id", contract.Companions{Customer: &contract.Customer{TenantID: "a", ID: "cu-1", ExternalID: "ext-2"}}, "customer.id", contract.KindConflict},
			{"payment account id", contract.Companions{PaymentAccount: account("pa-1")}, "paymentAccount.id", contract.KindConflict},
			{"payment account of no customer", contract.Companions{PaymentAccount: &contract.PaymentAccount{TenantID: "a", ID: "pa-9", CustomerID: "cu-9"}}, "paymentAccount", contract.KindUnprocessable},
		} {
			t.Run(tc.name, func(t *testing.T) {
				contracttest.Refused(t, s.CreateContract(ctx, newContract("a", 2, "x2", client), tc.with, nil), tc.kind, tc.field)
				absent(t, s, "a", "x2")
			})
		}
		if _, err := s.GetCustomer(ctx, "a", "cu-2"); contract.KindOf(err) != contract.KindNotFound {
			t.Fatalf("a refused customer was stored: %v", err)
		}
		contracttest.Refused(t, s.CreateCustomer(ctx, &contract.Customer{TenantID: "a", ID: "cu-3", ExternalID: "ext-1"}, nil), contract.KindConflict, "externalId")

		// A replace may bring a new payment account of the same customer,
		// which counts in the customer's.
		c.Version = 2
		if err := s.ReplaceContract(ctx, c, contract.Companions{PaymentAccount: account("pa-2")}, nil); err != nil {
			t.Fatal(err)
		}
		list, err := s.ListPaymentAccounts(ctx, "a", "cu-1")
		if err != nil || len(list) != 2 || list[0].ID != "pa-1" || list[1].ID != "pa-2" || !reflect.DeepEqual(list[1], *account("pa-2")) {
			t.Fatalf("listed %+v, %v; want pa-1 then pa-2", list, err)
		}
		if got, _ := s.GetCustomer(ctx, "a", "cu-1"); got.PaymentAccounts != 2 {
			t.Fatalf("the customer counts %d payment accounts, want 2", got.PaymentAccounts)
		}
		// A taken payment account id refuses the whole write.
		c.Version = 3
		contracttest.Refused(t, s.ReplaceContract(ctx, c, contract.Companions{PaymentAccount: account("pa-1")}, nil), contract.KindConflict, "paymentAccount.id")
		if stored, _ := s.GetContract(ctx, "a", "x1"); stored.Version != 2 {
			t.Fatalf("the refused replace was stored: version %d", stored.Version)
		}

		rel, err := s.GetRelated(ctx, "a", c)
		if err != nil || rel.Customer.ID != "cu-1" || rel.PaymentAccount.ID != "pa-1" {
			t.Fatalf("related: %+v, %v", rel, err)
		}
		for name, err := range map[string]error{
			"customer of another tenant": func() error { _, err := s.GetCustomer(ctx, "b", "cu-1"); return err }(),
			"payment account":            func() error { _, err := s.GetPaymentAccount(ctx, "a", "pa-9"); return err }(),
			"externalId":                 func() error { _, err := s.CustomerIDByExternalID(ctx, "b", "ext-1"); return err }(),
			"related customer":           func() error { _, err := s.GetRelated(ctx, "b", c); return err }(),
		} {
			if contract.KindOf(err) != contract.KindNotFound {
				t.Errorf("missing %s: err = %v, want not found", name, err)
			}
		}
		if none, err := s.ListPaymentAccounts(ctx, "a", "cu-2"); err != nil || none == nil || len(none) != 0 {
			t.Fatalf("a customer without accounts: %v, %v; want an empty list", none, err)
		}
	})
}

func TestCatalogHoldsWhatWasPut(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
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
	})
}

// A catalog write with a bad entry writes none of its entries: a plan
// under the Nil UUID would read as the plan of every contract billed on
// none, and a plan without currencies could bill nothing.
func TestCatalogRefusesBadPlansWhole(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		err := s.PutPlans(ctx, "a", []contract.Plan{
			{ID: "p1", Name: "one", Currencies: []string{"USD"}},
			{ID: contract.NoPlan, Name: "none", Currencies: []string{"USD"}},
			{ID: "p3", Name: "three"},
			{ID: "p1", Name: "one again", Currencies: []string{"EUR"}},
		})
		contracttest.Refused(t, err, contract.KindInvalid, "[1].id", "[2].currencies", "[3].id")
		if got, err := s.GetPlans(ctx, "a", []string{"p1", "p3", contract.NoPlan}); err != nil || len(got) != 0 {
			t.Fatalf("a refused catalog write left %v (%v)", got, err)
		}
	})
}

func TestActionsApplyAllOrNothing(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		acc := contract.Party{Kind: contract.PartyAccount, ID: "acc"}
		existing := create(t, s, "a", "x1", acc)
		action := func(number int64) *contract.Action {
			return &contract.Action{TenantID: "a", ID: "act", Number: contract.FormatActionNumber(number), AccountNumber: "acc",
				Type: "renew", Request: []byte(`{"a":1}`), SegmentIDs: []string{"s1"}, Status: contract.StatusActive,
				CreatedAt: t0, UpdatedAt: t0, CreatedBy: "cred", UpdatedBy: "cred"}
		}
		changed := *existing
		changed.Version = 2
		if err := s.ApplyActions(ctx, action(1), []*contract.Contract{newContract("a", 2, "x2", acc)}, []*contract.Contract{&changed}, "msg-1", nil); err != nil {
			t.Fatal(err)
		}
		if a, err := s.GetAction(ctx, "a", "CA-0000000001"); err != nil || !reflect.DeepEqual(a, action(1)) {
			t.Fatalf("action: %+v, %v", a, err)
		}
		if _, err := s.GetAction(ctx, "b", "CA-0000000001"); contract.KindOf(err) != contract.KindNotFound {
			t.Fatalf("another tenant's action: err = %v, want not found", err)
		}
		if c, err := s.GetContract(ctx, "a", "x2"); err != nil || c.Number != "CT-0000000002" {
			t.Fatalf("created contract: %+v, %v", c, err)
		}
		// The same key with another request is no redelivery: a
		// producer reusing its key for another request is refused.
		another := action(2)
		another.Request = []byte(`{"a":2}`)
		many := make([]*contract.Contract, 50)
		for i := range many {
			many[i] = newContract("a", int64(10+i), "m"+string(rune('A'+i)), acc)
		}
		for _, tc := range []struct {
			name    string
			action  *contract.Action
			created []*contract.Contract
			changed []*contract.Contract
			dedupe  string
			want    func(error) bool
		}{
			{"a redelivery", action(2), []*contract.Contract{newContract("a", 3, "x3", acc)}, nil, "msg-1", func(err error) bool { return errors.Is(err, contract.ErrAlreadyApplied) }},
			{"another request under a delivered key", another, []*contract.Contract{newContract("a", 3, "x3", acc)}, nil, "msg-1", func(err error) bool { return errors.Is(err, contract.ErrDeliveryKeyReused) }},
			{"a stale change", action(2), []*contract.Contract{newContract("a", 3, "x3", acc)}, []*contract.Contract{&changed}, "", func(err error) bool { return errors.Is(err, contract.ErrVersionConflict) }},
			{"a taken id", action(2), []*contract.Contract{newContract("a", 3, "x3", acc), newContract("a", 4, "x2", acc)}, nil, "", func(err error) bool { return err != nil }},
			{"a taken action number", action(1), []*contract.Contract{newContract("a", 3, "x3", acc)}, nil, "", func(err error) bool { return err != nil }},
			{"more records than a transaction", action(2), append(many, newContract("a", 3, "x3", acc)), nil, "", func(err error) bool {
				var e *contract.Error
				return errors.As(err, &e) && e.Kind == contract.KindUnprocessable && e.Fields[0].Field == "request"
			}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				if err := s.ApplyActions(ctx, tc.action, tc.created, tc.changed, tc.dedupe, nil); !tc.want(err) {
					t.Fatalf("err = %v", err)
				}
				absent(t, s, "a", "x3")
			})
		}
		if _, err := s.GetAction(ctx, "a", "CA-0000000002"); contract.KindOf(err) != contract.KindNotFound {
			t.Fatalf("a refused request stored its action: err = %v", err)
		}
		// A delivery's record is read before anything is drawn: the
		// request it holds is a redelivery, another is a reused key, and
		// a key of no delivery (or of another tenant's) is free.
		for _, tc := range []struct {
			tenant, dedupe string
			request        string
			want           error
		}{
			{"a", "msg-1", `{"a":1}`, contract.ErrAlreadyApplied},
			{"a", "msg-1", `{"a":2}`, contract.ErrDeliveryKeyReused},
			{"a", "msg-9", `{"a":1}`, nil},
			{"b", "msg-1", `{"a":1}`, nil},
		} {
			if err := s.CheckDelivery(ctx, tc.tenant, tc.dedupe, []byte(tc.request)); !errors.Is(err, tc.want) {
				t.Errorf("delivery %s of tenant %s with %s: err = %v, want %v", tc.dedupe, tc.tenant, tc.request, err, tc.want)
			}
		}
		if err := s.CheckActions(ctx, action(2), many[:49], nil, "msg-2", nil); err != nil {
			t.Fatalf("100 records: %v", err)
		}
		if err := s.CheckActions(ctx, action(2), many, nil, "", nil); contract.KindOf(err) != contract.KindUnprocessable {
			t.Fatalf("101 records: err = %v, want unprocessable", err)
		}
	})
}

// claim is a claim of key at at whose answer is rendered as body.
func claim(tenantID, key, body string, at time.Time) *idempotency.Claim {
	c := &idempotency.Claim{TenantID: tenantID, Key: key, Hash: "hash-" + body, At: at}
	c.OnWrite(func() (idempotency.Response, error) {
		return idempotency.Response{Status: 201, Headers: map[string]string{"Content-Type": "application/json"}, Body: body}, nil
	})
	return c
}

func TestIdempotencyKeyIsKeptWithTheWriteItClaims(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		at := t0
		first := claim("a", "k1", "first", at)
		n, _ := s.NextContractNumber(ctx, "a")
		if err := s.CreateContract(ctx, newContract("a", n, "x1", client), contract.Companions{}, first); err != nil {
			t.Fatal(err)
		}
		if !first.IsWritten() {
			t.Fatal("a write with a claim did not say it wrote the key's record")
		}
		rec, err := s.Find(ctx, claim("a", "k1", "", at.Add(time.Minute)))
		want := &idempotency.Record{Hash: "hash-first", ExpiresAt: time.Unix(at.Add(idempotency.Retention).Unix(), 0),
			Response: idempotency.Response{Status: 201, Headers: map[string]string{"Content-Type": "application/json"}, Body: "first"}}
		if err != nil || rec == nil || rec.Hash != want.Hash || !rec.ExpiresAt.Equal(want.ExpiresAt) || !reflect.DeepEqual(rec.Response, want.Response) {
			t.Fatalf("the key holds %+v, %v; want %+v", rec, err, want)
		}

		// Another write with the key writes nothing and names the record.
		for name, write := range map[string]func(*idempotency.Claim) error{
			"create": func(c *idempotency.Claim) error {
				return s.CreateContract(ctx, newContract("a", 2, "x2", client), contract.Companions{}, c)
			},
			"customer": func(c *idempotency.Claim) error {
				return s.CreateCustomer(ctx, &contract.Customer{TenantID: "a", ID: "x2", ExternalID: "x2"}, c)
			},
			"create the store numbers": func(c *idempotency.Claim) error {
				unnumbered := newContract("a", 0, "x2", client)
				unnumbered.Number = ""
				return s.CreateContract(ctx, unnumbered, contract.Companions{}, c)
			},
		} {
			err := write(claim("a", "k1", "second", at.Add(time.Hour)))
			var used *idempotency.UsedError
			if !errors.As(err, &used) || used.Record.Response.Body != "first" {
				t.Fatalf("%s with a used key: err = %v, want the first request's record", name, err)
			}
		}
		absent(t, s, "a", "x2")
		if _, err := s.GetCustomer(ctx, "a", "x2"); contract.KindOf(err) != contract.KindNotFound {
			t.Fatalf("a customer written under a used key: %v", err)
		}
		if drawn, _ := s.NextContractNumber(ctx, "a"); drawn != n+1 {
			t.Fatalf("after writes refused for their key the next number is %d, want %d", drawn, n+1)
		}

		// A keyed write whose handler never said how to answer writes
		// nothing; another tenant's key of the same name is free.
		unanswered := &idempotency.Claim{TenantID: "a", Key: "k2", Hash: "h", At: at}
		if err := s.CreateContract(ctx, newContract("a", 3, "x3", client), contract.Companions{}, unanswered); !errors.Is(err, idempotency.ErrNoAnswer) {
			t.Fatalf("a claim without an answer: err = %v", err)
		}
		absent(t, s, "a", "x3")
		if rec, err := s.Find(ctx, claim("b", "k1", "", at)); rec != nil || err != nil {
			t.Fatalf("tenant b finds %+v, %v under tenant a's key", rec, err)
		}

		// Keep stores an answer of no write, unless the key is taken; a
		// record past its retention is as good as none.
		if rec, err := s.Keep(ctx, claim("a", "k1", "", at), idempotency.Response{Status: 400}); err != nil || rec == nil || rec.Response.Body != "first" {
			t.Fatalf("Keep over a used key: %+v, %v; want the first record", rec, err)
		}
		later := at.Add(idempotency.Retention + time.Minute)
		if rec, err := s.Find(ctx, claim("a", "k1", "", later)); rec != nil || err != nil {
			t.Fatalf("an expired key: %+v, %v; want none", rec, err)
		}
		if rec, err := s.Keep(ctx, claim("a", "k1", "", later), idempotency.Response{Status: 400, Body: "refused"}); rec != nil || err != nil {
			t.Fatalf("Keep over an expired key: %+v, %v; want it kept", rec, err)
		}
		if rec, _ := s.Find(ctx, claim("a", "k1", "", later)); rec == nil || rec.Response.Status != 400 || rec.Response.Body != "refused" {
			t.Fatalf("the key holds %+v after Keep", rec)
		}
	})
}

func TestTenantsAreFoundAndTheirNamesTaken(t *testing.T) {
	conform(t, func(t *testing.T, s store) {
		acme := auth.Tenant{ID: "acme", Aliases: []string{"acme-retail"}, CreatedAt: t0}
		if err := s.CreateTenant(ctx, acme); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetTenant(ctx, "acme"); err != nil || !reflect.DeepEqual(*got, acme) {
			t.Fatalf("tenant: %+v, %v", got, err)
		}
		if _, err := s.GetTenant(ctx, "nobody"); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("a missing tenant: err = %v", err)
		}
		var taken *auth.TakenError
		if err := s.CreateTenant(ctx, auth.Tenant{ID: "other", Aliases: []string{"acme-retail"}, CreatedAt: t0}); !errors.As(err, &taken) || !slices.Equal(taken.Names, []string{"acme-retail"}) {
			t.Fatalf("a taken alias: err = %v", err)
		}
		if _, err := s.GetTenant(ctx, "other"); !errors.Is(err, auth.ErrNotFound) {
			t.Fatalf("a refused tenant was stored: err = %v", err)
		}
	})
}
