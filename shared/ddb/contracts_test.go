package ddb_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

var ctx = context.Background()

// create draws the next number and stores c, as contract.Service does.
func create(s *ddb.Store, c *contract.Contract) error {
	n, err := s.NextContractNumber(ctx, c.TenantID)
	if err != nil {
		return err
	}
	c.Number = contract.FormatNumber(n)
	return s.CreateContract(ctx, c, contract.Companions{}, nil)
}

func newContract(tenant, id, party string) *contract.Contract {
	from := time.Date(2023, 10, 5, 14, 48, 0, 123456789, time.UTC)
	order := int64(13)
	return &contract.Contract{
		TenantID: tenant, ID: id,
		Party:       contract.Party{Kind: contract.PartyClient, ID: party},
		Name:        "Standard Service Contract",
		Description: "terms",
		Amount:      &contract.Money{Minor: 9007199254740991, Currency: "EUR"},
		Order:       &order,
		ValidFrom:   &from,
		Status:      contract.StatusActive,
		Version:     1,
		CreatedAt:   from, UpdatedAt: from,
		CreatedBy: "cred", UpdatedBy: "cred",
	}
}

func TestCreateAndReadBack(t *testing.T) {
	s := ddbtest.NewStore(t)
	c := newContract("t1", "ctr_a", "clnt_1")
	if err := create(s, c); err != nil {
		t.Fatal(err)
	}
	if c.Number != "CT-0000000001" {
		t.Fatalf("first number = %q", c.Number)
	}
	for _, id := range []string{"ctr_a", "CT-0000000001"} {
		got, err := s.GetContract(ctx, "t1", id)
		if err != nil {
			t.Fatalf("get %s: %v", id, err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("read back differs:\n got %+v\nwant %+v", got, c)
		}
	}
	d := newContract("t1", "ctr_b", "clnt_1")
	if err := create(s, d); err != nil {
		t.Fatal(err)
	}
	if d.Number != "CT-0000000002" {
		t.Fatalf("second number = %q", d.Number)
	}
}

func TestNumbersArePerTenant(t *testing.T) {
	s := ddbtest.NewStore(t)
	for _, tenant := range []string{"t1", "t2"} {
		c := newContract(tenant, "ctr_same", "clnt_1")
		if err := create(s, c); err != nil {
			t.Fatal(err)
		}
		if c.Number != "CT-0000000001" {
			t.Fatalf("tenant %s first number = %q", tenant, c.Number)
		}
	}
}

func TestTenantIsolation(t *testing.T) {
	s := ddbtest.NewStore(t)
	if err := create(s, newContract("t1", "ctr_a", "clnt_1")); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ctr_a", "CT-0000000001"} {
		if _, err := s.GetContract(ctx, "t2", id); contract.KindOf(err) != contract.KindNotFound {
			t.Fatalf("tenant t2 get %s: %v, want not found", id, err)
		}
	}
	for _, party := range []contract.Party{{}, {Kind: contract.PartyClient, ID: "clnt_1"}} {
		page, err := s.ListContracts(ctx, "t2", contract.ListQuery{Party: party, Limit: 10})
		if err != nil || len(page.Contracts) != 0 {
			t.Fatalf("tenant t2 list: %v %+v", err, page)
		}
	}
}

func TestDuplicateIDWritesNothing(t *testing.T) {
	s := ddbtest.NewStore(t)
	if err := create(s, newContract("t1", "ctr_a", "clnt_1")); err != nil {
		t.Fatal(err)
	}
	err := create(s, newContract("t1", "ctr_a", "clnt_2"))
	if contract.KindOf(err) != contract.KindConflict {
		t.Fatalf("err = %v, want conflict", err)
	}
	page, err := s.ListContracts(ctx, "t1", contract.ListQuery{Limit: 10})
	if err != nil || len(page.Contracts) != 1 {
		t.Fatalf("list after refused create: %v, %d contracts", err, len(page.Contracts))
	}
}

func TestGetByIDFallsBackWhenIndexLags(t *testing.T) {
	client, table := ddbtest.NewTable(t)
	s := ddb.New(client, table)
	c := newContract("t1", "ctr_lag", "clnt_1")
	if err := create(s, c); err != nil {
		t.Fatal(err)
	}
	// Take the contract out of the id index, as if the index had not
	// caught up with the write yet.
	_, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(table),
		Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "TENANT#t1"},
			"SK": &types.AttributeValueMemberS{Value: "CONTRACT#" + c.Number},
		},
		UpdateExpression: aws.String("REMOVE GSI1PK, GSI1SK"),
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetContract(ctx, "t1", "ctr_lag")
	if err != nil || got.Number != c.Number {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := s.GetContract(ctx, "t1", "ctr_unknown"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("unknown id: %v", err)
	}
}

func TestReplaceIsOptimistic(t *testing.T) {
	s := ddbtest.NewStore(t)
	c := newContract("t1", "ctr_a", "clnt_1")
	if err := create(s, c); err != nil {
		t.Fatal(err)
	}
	first, second := *c, *c
	first.Version, first.Name = 2, "first"
	second.Version, second.Name = 2, "second"
	if err := s.ReplaceContract(ctx, &first, contract.Companions{}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceContract(ctx, &second, contract.Companions{}, nil); !errors.Is(err, contract.ErrVersionConflict) {
		t.Fatalf("stale write: %v, want version conflict", err)
	}
	got, _ := s.GetContract(ctx, "t1", "ctr_a")
	if got.Name != "first" || got.Version != 2 {
		t.Fatalf("got %+v", got)
	}
}

func TestListPagesFiltersAndSkipsDeleted(t *testing.T) {
	s := ddbtest.NewStore(t)
	svc := contract.NewService(s)
	actor := contract.Actor{TenantID: "t1", CredentialID: "cred"}
	var want []string
	for i := 0; i < 25; i++ {
		party := "clnt_even"
		if i%2 == 1 {
			party = "clnt_odd"
		}
		c := newContract("", fmt.Sprintf("ctr_%02d", i), party)
		if err := svc.Create(ctx, actor, nil, c, contract.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if i%5 == 0 {
			if err := svc.Delete(ctx, actor, nil, c.ID); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want = append(want, c.Number)
	}
	collect := func(q contract.ListQuery) []string {
		t.Helper()
		var got []string
		for pages := 0; ; pages++ {
			if pages > 30 {
				t.Fatal("pagination does not end")
			}
			page, err := s.ListContracts(ctx, "t1", q)
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Contracts) > q.Limit {
				t.Fatalf("page of %d over limit %d", len(page.Contracts), q.Limit)
			}
			for _, c := range page.Contracts {
				if c.Deleted() {
					t.Fatalf("deleted contract %s listed", c.Number)
				}
				got = append(got, c.Number)
			}
			if page.Next == "" {
				return got
			}
			q.After = page.Next
		}
	}
	for _, limit := range []int{1, 3, 7, 20, 100} {
		got := collect(contract.ListQuery{Limit: limit})
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("limit %d: got %v, want %v", limit, got, want)
		}
	}
	var odd []string
	for i, n := range want {
		_ = i
		c, _ := s.GetContract(ctx, "t1", n)
		if c.Party.ID == "clnt_odd" {
			odd = append(odd, n)
		}
	}
	got := collect(contract.ListQuery{Party: contract.Party{Kind: contract.PartyClient, ID: "clnt_odd"}, Limit: 4})
	if fmt.Sprint(got) != fmt.Sprint(odd) {
		t.Fatalf("party filter: got %v, want %v", got, odd)
	}
}

func TestConcurrentCreatesGetDistinctNumbers(t *testing.T) {
	s := ddbtest.NewStore(t)
	const n = 100
	numbers := make(chan string, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Go(func() {
			c := newContract("t1", fmt.Sprintf("ctr_%d", i), "clnt_1")
			if err := create(s, c); err != nil {
				t.Error(err)
				return
			}
			numbers <- c.Number
		})
	}
	wg.Wait()
	close(numbers)
	seen := map[string]bool{}
	for num := range numbers {
		if seen[num] {
			t.Fatalf("number %s handed out twice", num)
		}
		seen[num] = true
	}
	if len(seen) != n {
		t.Fatalf("%d distinct numbers, want %d", len(seen), n)
	}
	for i := 1; i <= n; i++ {
		if !seen[contract.FormatNumber(int64(i))] {
			t.Fatalf("number %d skipped", i)
		}
	}
	// Every one of them is readable, by its id and by its number.
	for i := 0; i < n; i++ {
		c, err := s.GetContract(ctx, "t1", fmt.Sprintf("ctr_%d", i))
		if err != nil {
			t.Fatalf("contract ctr_%d: %v", i, err)
		}
		if _, err := s.GetContract(ctx, "t1", c.Number); err != nil {
			t.Fatalf("contract %s: %v", c.Number, err)
		}
	}
}

func TestConcurrentUpdatesLoseNothing(t *testing.T) {
	s := ddbtest.NewStore(t)
	svc := contract.NewService(s)
	actor := contract.Actor{TenantID: "t1", CredentialID: "cred"}
	c := newContract("", "ctr_hot", "clnt_1")
	zero := int64(0)
	c.Order = &zero
	if err := svc.Create(ctx, actor, nil, c, contract.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const n = 6
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Go(func() {
			_, err := svc.Update(ctx, actor, nil, "ctr_hot", func(c *contract.Contract) error {
				next := *c.Order + 1
				c.Order = &next
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := svc.Get(ctx, actor, "ctr_hot")
	if err != nil {
		t.Fatal(err)
	}
	if *got.Order != n || got.Version != n+1 {
		t.Fatalf("order = %d version = %d, want %d and %d", *got.Order, got.Version, n, n+1)
	}
}

func TestReferencesAreUniquePerParty(t *testing.T) {
	s := ddbtest.NewStore(t)
	org := func(id string) contract.Party { return contract.Party{Kind: contract.PartyOrganization, ID: id} }
	first := newContract("t1", "id-1", "")
	first.Party, first.Reference = org("org-a"), "C-1"
	if err := create(s, first); err != nil {
		t.Fatal(err)
	}
	same := newContract("t1", "id-2", "")
	same.Party, same.Reference = org("org-a"), "C-1"
	err := create(s, same)
	var e *contract.Error
	if !errors.As(err, &e) || e.Kind != contract.KindConflict || e.Fields[0].Field != "reference" {
		t.Fatalf("same reference in the same party: %v", err)
	}
	if _, err := s.GetContract(ctx, "t1", "id-2"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("the refused create left its contract: %v", err)
	}
	other := newContract("t1", "id-3", "")
	other.Party, other.Reference = org("org-b"), "C-1"
	if err := create(s, other); err != nil {
		t.Fatalf("same reference in another party: %v", err)
	}
	// "org#a" + "x" and "org" + "a#x" must not meet in one key.
	tricky := []*contract.Contract{newContract("t1", "id-4", ""), newContract("t1", "id-5", "")}
	tricky[0].Party, tricky[0].Reference = org("org#a"), "x"
	tricky[1].Party, tricky[1].Reference = org("org"), "a#x"
	for _, c := range tricky {
		if err := create(s, c); err != nil {
			t.Fatalf("%s/%s: %v", c.Party.ID, c.Reference, err)
		}
	}
	for _, c := range append(tricky, first, other) {
		got, err := s.GetContractByReference(ctx, "t1", c.Party, c.Reference)
		if err != nil || got.ID != c.ID {
			t.Fatalf("by reference %s/%s: %+v %v", c.Party.ID, c.Reference, got, err)
		}
	}
	if _, err := s.GetContractByReference(ctx, "t2", org("org-a"), "C-1"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("another tenant's reference: %v", err)
	}
}

func TestOptionalFieldsRoundTrip(t *testing.T) {
	s := ddbtest.NewStore(t)
	c := newContract("t1", "0123456789abcdef01234567", "")
	c.Party = contract.Party{Kind: contract.PartyOrganization, ID: "org"}
	c.Reference, c.Type, c.AccountID = "201000000000001", "B2B", "64f0c0ffee0000000000beef"
	c.Attributes = []byte(`{"b": 1.10, "a": [1, 9007199254740993]}`)
	at := time.Date(2026, 1, 1, 0, 0, 0, 1000, time.UTC)
	c.PriceList = &contract.PriceListLink{ID: "aaaaaaaaaaaaaaaaaaaaaaaa", PriceListID: 100042, CreatedAt: at, UpdatedAt: at}
	if err := create(s, c); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetContract(ctx, "t1", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("read back differs:\n got %+v\nwant %+v", got, c)
	}
	if string(got.Attributes) != `{"b": 1.10, "a": [1, 9007199254740993]}` {
		t.Fatalf("attributes not kept byte for byte: %s", got.Attributes)
	}
}

func TestListIncludeDeleted(t *testing.T) {
	s := ddbtest.NewStore(t)
	svc := contract.NewService(s)
	actor := contract.Actor{TenantID: "t1", CredentialID: "cred"}
	for _, id := range []string{"a", "b"} {
		if err := svc.Create(ctx, actor, nil, newContract("", id, "p"), contract.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := svc.Delete(ctx, actor, nil, "a"); err != nil {
		t.Fatal(err)
	}
	for include, want := range map[bool]int{false: 1, true: 2} {
		page, err := s.ListContracts(ctx, "t1", contract.ListQuery{Party: contract.Party{Kind: contract.PartyClient, ID: "p"}, Limit: 10, IncludeDeleted: include})
		if err != nil || len(page.Contracts) != want {
			t.Fatalf("includeDeleted=%v: %d contracts, %v", include, len(page.Contracts), err)
		}
	}
}

// A contract's reference item carries the contract, kept in the
// transaction of each of its writes, so a get by reference is one
// consistent GetItem that reads what a get by number reads, listing
// included; a reference item written before it carried one (the number
// alone) still finds the contract, with one GetItem more.
func TestReferenceItemCarriesTheContract(t *testing.T) {
	faulty, clean, faults := ddbtest.NewFaultyStore(t)
	c := newContract("t1", "id-1", "")
	c.Party, c.Reference = contract.Party{Kind: contract.PartyOrganization, ID: "org-a"}, "C-1"
	if err := create(clean, c); err != nil {
		t.Fatal(err)
	}
	byReference := func(wantCalls int) *contract.Contract {
		t.Helper()
		faults.Reset()
		got, err := faulty.GetContractByReference(ctx, "t1", c.Party, c.Reference)
		if err != nil {
			t.Fatal(err)
		}
		if n := faults.Calls("GetItem"); n != wantCalls {
			t.Errorf("%d GetItem calls, want %d", n, wantCalls)
		}
		want, err := clean.GetContract(ctx, "t1", c.Number)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("by reference %+v, by number %+v (%v)", got, want, err)
		}
		return got
	}
	byReference(1)
	for _, change := range []func(*contract.Contract){
		func(c *contract.Contract) { c.Name = "Renamed" },
		func(c *contract.Contract) { c.Status = contract.StatusInactive },
		func(c *contract.Contract) { at := c.UpdatedAt; c.DeletedAt = &at },
	} {
		got := byReference(1)
		change(got)
		got.Version++
		if err := clean.ReplaceContract(ctx, got, contract.Companions{}, nil); err != nil {
			t.Fatal(err)
		}
		byReference(1)
	}
	_, err := ddbtest.Client(t).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(clean.Table()), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "TENANT#t1"}, "SK": &types.AttributeValueMemberS{Value: "REF#organization#org-a#C-1"},
		"type": &types.AttributeValueMemberS{Value: "contract-reference"}, "number": &types.AttributeValueMemberS{Value: c.Number},
	}})
	if err != nil {
		t.Fatal(err)
	}
	byReference(2)
}
