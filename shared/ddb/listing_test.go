package ddb_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

var (
	orgA      = contract.Party{Kind: contract.PartyOrganization, ID: "org#a"}
	orgB      = contract.Party{Kind: contract.PartyOrganization, ID: "org"}
	threeKind = []contract.Status{contract.StatusActive, contract.StatusDraft, contract.StatusInactive}
)

// allContracts reads every contract of the tenant, deleted ones too.
func allContracts(t *testing.T, s *ddb.Store, tenant string) []contract.Contract {
	t.Helper()
	var all []contract.Contract
	page := contract.Page{}
	for first := true; first || page.Next != ""; first = false {
		var err error
		page, err = s.ListContracts(ctx, tenant, contract.ListQuery{IncludeDeleted: true, Limit: 1000, After: page.Next})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Contracts...)
	}
	return all
}

// orgContract is the i-th contract of a varied organization: references
// that sort differently by bytes than by case or with a separator in
// them, instants that tie and that RFC 3339 writes at different widths,
// missing dates and price lists, price list ids at both ends, every
// status (and one that is not fabric's).
func orgContract(rng *rand.Rand, tenant string, party contract.Party, i int, at time.Time) *contract.Contract {
	refs := []string{"a", "a!", "a b", "A", "a#1", "~x", "Zeta", "ORD-%04d", "Acme-%03d", "ord-%04d"}
	ref := refs[i%len(refs)]
	if i >= 7 {
		ref = fmt.Sprintf(refs[7+i%3], i)
	}
	from := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.IntN(400)) * 24 * time.Hour)
	// Fractions of every width, and ties.
	from = from.Add(time.Duration(rng.IntN(4)) * 100 * time.Millisecond).Add(time.Duration(rng.IntN(3)) * 10 * time.Millisecond)
	to := from.Add(time.Duration(1+rng.IntN(300)) * 24 * time.Hour)
	c := &contract.Contract{
		TenantID: tenant, ID: fmt.Sprintf("id-%s-%s-%d", party.Kind, party.ID, i), Party: party, Reference: ref,
		Type:      []string{"", "Wholesale", "RETAIL", "wholesale-ACME"}[rng.IntN(4)],
		ValidFrom: &from, ValidTo: &to,
		Status:  []contract.Status{contract.StatusActive, contract.StatusDraft, contract.StatusInactive, contract.StatusActive}[rng.IntN(4)],
		Version: 1, CreatedAt: at, UpdatedAt: at, CreatedBy: "cred", UpdatedBy: "cred",
	}
	switch rng.IntN(8) {
	case 0:
		c.ValidFrom = nil
	case 1:
		c.ValidTo = nil
	}
	switch rng.IntN(5) {
	case 0:
	case 1:
		c.PriceList = &contract.PriceListLink{ID: "pl", PriceListID: []int64{0, contract.MaxSafeInteger, -5}[rng.IntN(3)], CreatedAt: at, UpdatedAt: at}
	default:
		c.PriceList = &contract.PriceListLink{ID: "pl", PriceListID: int64(1000 + rng.IntN(20)), CreatedAt: at, UpdatedAt: at}
	}
	if i%23 == 5 {
		c.Status = contract.StatusExpired // not fabric's: listed under no query here
	}
	return c
}

// listingFixture stores a varied organization through the store's own
// create and replace, with contracts of another organization, of the same
// organization in another tenant and of another kind of party beside it,
// and returns every contract of the tenant as stored.
func listingFixture(t *testing.T, s *ddb.Store) []contract.Contract {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	clock := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	svc := contract.NewService(s)
	svc.Now = func() time.Time { return clock }
	tick := func() { clock = clock.Add(time.Duration(rng.IntN(3)) * 100 * time.Millisecond) }
	actor := contract.Actor{TenantID: "t1", CredentialID: "cred"}
	var orgAIDs []string
	for i := range 90 {
		tick() // often none: creates that tie on updatedAt
		for _, w := range []struct {
			tenant string
			party  contract.Party
		}{{"t1", orgA}, {"t1", orgB}, {"t2", orgA}, {"t1", contract.Party{Kind: contract.PartyClient, ID: "org#a"}}} {
			if w.party != orgA && i%6 != 0 {
				continue
			}
			c := orgContract(rng, w.tenant, w.party, i, clock)
			if err := svc.Create(ctx, contract.Actor{TenantID: w.tenant, CredentialID: "cred"}, nil, c, contract.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if w.tenant == "t1" && w.party == orgA {
				orgAIDs = append(orgAIDs, c.ID)
			}
		}
	}
	// Changes of every kind: status, dates, price list, deletion and
	// back, or only the stamp.
	for k := range 60 {
		tick()
		id := orgAIDs[rng.IntN(len(orgAIDs))]
		var err error
		switch k % 6 {
		case 0:
			err = svc.Delete(ctx, actor, nil, id)
		case 1:
			_, err = svc.Undelete(ctx, actor, nil, id, nil)
			if errors.Is(err, contract.ErrNotDeleted) {
				err = nil
			}
		default:
			_, err = svc.Update(ctx, actor, nil, id, func(c *contract.Contract) error {
				switch k % 6 {
				case 2:
					c.Status = threeKind[rng.IntN(3)]
				case 3:
					from := c.UpdatedAt.Add(-time.Hour)
					if c.ValidTo != nil && c.ValidTo.Before(from) {
						from = c.ValidTo.Add(-time.Hour)
					}
					c.ValidFrom = &from
				case 4:
					c.PriceList = nil
				}
				return nil
			})
		}
		if err != nil && contract.KindOf(err) != contract.KindNotFound {
			t.Fatal(err)
		}
	}
	return allContracts(t, s, "t1")
}

func numbersOf(cs []contract.Contract) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Number
	}
	return out
}

// checkListing holds ListOrdered to SelectOrdered for q.
func checkListing(t *testing.T, s *ddb.Store, all []contract.Contract, q contract.OrderedQuery) {
	t.Helper()
	got, err := s.ListOrdered(ctx, "t1", q)
	if err != nil {
		t.Fatalf("%+v: %v", q, err)
	}
	want := contract.SelectOrdered(all, q)
	if got.Count != want.Count || !reflect.DeepEqual(numbersOf(got.Contracts), numbersOf(want.Contracts)) {
		t.Fatalf("%+v:\ngot  count %d %v\nwant count %d %v", q, got.Count, numbersOf(got.Contracts), want.Count, numbersOf(want.Contracts))
	}
	if !reflect.DeepEqual(got.Contracts, want.Contracts) {
		t.Fatalf("%+v: the window's contracts differ from what they read", q)
	}
}

// The store's ordered listings answer what contract.SelectOrdered
// computes from all of the tenant's contracts: every order, both
// directions, each status and all, deleted ones or not, windows at the
// start, inside and past the end, and the filters no index serves.
func TestListOrderedMatchesSelect(t *testing.T) {
	s := ddbtest.NewStore(t)
	all := listingFixture(t, s)
	statuses := map[contract.Listing]int{}
	for _, c := range all {
		if c.Party == orgA {
			statuses[c.Listing()]++
		}
	}
	if len(statuses) < 7 {
		t.Fatalf("the fixture files its contracts under %d listings: %v", len(statuses), statuses)
	}
	orders := []contract.SortField{contract.SortUpdatedAt, contract.SortReference, contract.SortValidFrom, contract.SortValidTo, contract.SortPriceList, contract.SortStatus}
	windows := [][2]int{{0, 10}, {7, 13}, {0, 100}, {60, 100}, {95, 10}, {1 << 62, 10}}
	for _, by := range orders {
		for _, desc := range []bool{false, true} {
			for _, st := range [][]contract.Status{threeKind, {contract.StatusActive}, {contract.StatusInactive}} {
				for _, del := range []bool{false, true} {
					for _, w := range windows {
						t.Run(fmt.Sprintf("%s desc=%v %v deleted=%v %v", by, desc, st, del, w), func(t *testing.T) {
							checkListing(t, s, all, contract.OrderedQuery{Party: orgA, SortBy: by, Descending: desc, Statuses: st,
								IncludeDeleted: del, Offset: w[0], Limit: w[1]})
						})
					}
				}
			}
		}
	}
	day := func(d int) time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }
	filters := []contract.OrderedQuery{
		{ValidFrom: &contract.Period{From: day(30), To: day(120)}},
		{ValidFrom: &contract.Period{From: day(30), To: day(30)}},
		{ValidTo: &contract.Period{From: day(100), To: day(400).Add(-time.Nanosecond)}},
		{ValidFrom: &contract.Period{From: day(0), To: day(200)}, ValidTo: &contract.Period{From: day(150), To: day(500)}},
		{Search: "acme"},
		{Search: "ACME"},
		{Search: "a#"},
		{Search: "wholesale", Statuses: []contract.Status{contract.StatusDraft}},
		{Search: "ord-00", IncludeDeleted: true},
		{Search: "nothing"},
		{ValidTo: &contract.Period{From: day(200), To: day(100)}}, // a period that is empty
	}
	for i, f := range filters {
		for _, by := range orders {
			for _, desc := range []bool{false, true} {
				t.Run(fmt.Sprintf("filter %d %s desc=%v", i, by, desc), func(t *testing.T) {
					q := f
					q.Party, q.SortBy, q.Descending, q.Offset, q.Limit = orgA, by, desc, 3, 20
					if q.Statuses == nil {
						q.Statuses = threeKind
					}
					if by == contract.SortUpdatedAt && i < 4 {
						// A period that starts on an instant a contract
						// has, to the nanosecond, keeps it.
						for _, c := range all {
							if c.Party == orgA && c.ValidFrom != nil && q.ValidFrom != nil && c.ValidFrom.Before(q.ValidFrom.To) {
								q.ValidFrom = &contract.Period{From: *c.ValidFrom, To: q.ValidFrom.To}
								break
							}
						}
					}
					checkListing(t, s, all, q)
				})
			}
		}
	}
	t.Run("an organization without contracts", func(t *testing.T) {
		checkListing(t, s, all, contract.OrderedQuery{Party: contract.Party{Kind: contract.PartyOrganization, ID: "none"}, Statuses: threeKind, Limit: 10})
	})
	t.Run("a party the store keeps no listing of", func(t *testing.T) {
		_, err := s.ListOrdered(ctx, "t1", contract.OrderedQuery{Party: contract.Party{Kind: contract.PartyClient, ID: "org#a"}, Statuses: threeKind, Limit: 10})
		if err == nil {
			t.Fatal("listed a client's contracts")
		}
	})
}

// countsOf reads the party's count per listing through ListOrdered, one
// status and deletion at a time.
func countsOf(t *testing.T, s *ddb.Store, tenant string, party contract.Party) map[contract.Listing]int {
	t.Helper()
	out := map[contract.Listing]int{}
	for _, st := range threeKind {
		live, err := s.ListOrdered(ctx, tenant, contract.OrderedQuery{Party: party, Statuses: []contract.Status{st}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		both, err := s.ListOrdered(ctx, tenant, contract.OrderedQuery{Party: party, Statuses: []contract.Status{st}, IncludeDeleted: true, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		out[contract.Listing{Status: st}] = live.Count
		out[contract.Listing{Status: st, Deleted: true}] = both.Count - live.Count
	}
	return out
}

// The counts stay exact whatever writes race: creates in one
// organization at once (each changes its count item in its own
// transaction, so they conflict and are sent again), then status
// changes, deletes and resurrects racing on the same contracts.
func TestListingCountsStayExactUnderConcurrency(t *testing.T) {
	s := ddbtest.NewStore(t)
	svc := contract.NewService(s)
	actor := contract.Actor{TenantID: "t1", CredentialID: "cred"}
	const creates, writers = 40, 8
	ids := make([]string, creates)
	run := func(n int, do func(i int) error) {
		t.Helper()
		var g errgroup.Group
		g.SetLimit(writers)
		for i := range n {
			g.Go(func() error { return do(i) })
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
	}
	run(creates, func(i int) error {
		c := &contract.Contract{ID: fmt.Sprintf("race-%d", i), Party: orgA, Reference: fmt.Sprintf("R-%d", i), Status: threeKind[i%3]}
		ids[i] = c.ID
		return svc.Create(ctx, actor, nil, c, contract.CreateOptions{})
	})
	run(3*creates, func(i int) error {
		id := ids[i%(creates/4)] // a quarter of the contracts, each raced on
		var err error
		switch i % 3 {
		case 0:
			_, err = svc.Update(ctx, actor, nil, id, func(c *contract.Contract) error {
				c.Status = threeKind[(i/3)%3]
				return nil
			})
		case 1:
			_, err = svc.Update(ctx, actor, nil, id, func(c *contract.Contract) error {
				at := c.UpdatedAt
				c.DeletedAt = &at
				return nil
			})
		default:
			_, err = svc.Undelete(ctx, actor, nil, id, nil)
		}
		switch {
		case errors.Is(err, contract.ErrNotDeleted), contract.KindOf(err) == contract.KindNotFound:
			return nil // the race's order decides
		case errors.Is(err, contract.ErrVersionConflict):
			return nil // lost every attempt; counted below as it stands
		}
		return err
	})
	want := map[contract.Listing]int{}
	for _, st := range threeKind {
		want[contract.Listing{Status: st}], want[contract.Listing{Status: st, Deleted: true}] = 0, 0
	}
	all := allContracts(t, s, "t1")
	for _, c := range all {
		want[c.Listing()]++
	}
	if got := countsOf(t, s, "t1", orgA); !reflect.DeepEqual(got, want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
	// And every index lists each contract once, where it is filed.
	for _, by := range []contract.SortField{contract.SortUpdatedAt, contract.SortReference, contract.SortValidFrom, contract.SortValidTo, contract.SortPriceList} {
		checkListing(t, s, all, contract.OrderedQuery{Party: orgA, SortBy: by, Statuses: threeKind, IncludeDeleted: true, Limit: 100})
		checkListing(t, s, all, contract.OrderedQuery{Party: orgA, SortBy: by, Statuses: []contract.Status{contract.StatusDraft}, Limit: 100})
	}
}

// A create whose transaction DynamoDB cancels for a conflict with another
// transaction is sent again, and counted once; one that keeps conflicting
// is a KindUnavailable, with nothing written.
func TestConflictingTransactionsAreSentAgain(t *testing.T) {
	store, clean, faults := ddbtest.NewFaultyStore(t)
	newOne := func(id string) *contract.Contract {
		return &contract.Contract{TenantID: "t1", ID: id, Party: orgA, Reference: id, Status: contract.StatusActive, Version: 1}
	}
	conflict := ddbtest.Canceled("None", "None", "None", "TransactionConflict")
	faults.Inject("TransactWriteItems", 2, conflict)
	if err := create(store, newOne("conflicted")); err != nil {
		t.Fatalf("create after two conflicts: %v", err)
	}
	if n := faults.Calls("TransactWriteItems"); n != 3 {
		t.Fatalf("%d transactions sent, want 3", n)
	}
	faults.Inject("TransactWriteItems", 100, conflict)
	if err := create(store, newOne("always")); contract.KindOf(err) != contract.KindUnavailable {
		t.Fatalf("create that always conflicts: %v, want KindUnavailable", err)
	}
	if _, err := clean.GetContract(ctx, "t1", "always"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("a create that never went through left a contract: %v", err)
	}
	if got := countsOf(t, clean, "t1", orgA); got[contract.Listing{Status: contract.StatusActive}] != 1 {
		t.Fatalf("counts %v, want one active contract", got)
	}
}

// An update that meets a transaction on the same contract (DynamoDB
// refuses the put with TransactionConflictException) reads the contract
// again and is applied, as after a version conflict. (A contract with a
// reference, as fabric's, is always replaced in a transaction, with its
// reference item: TestConflictingTransactionsAreSentAgain.)
func TestUpdateMeetingATransactionIsAppliedAgain(t *testing.T) {
	store, clean, faults := ddbtest.NewFaultyStore(t)
	svc := contract.NewService(store)
	actor := contract.Actor{TenantID: "t1", CredentialID: "cred"}
	c := &contract.Contract{ID: "busy", Party: contract.Party{Kind: contract.PartyClient, ID: "clnt_1"}, Status: contract.StatusActive}
	if err := svc.Create(ctx, actor, nil, c, contract.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	faults.Inject("PutItem", 1, ddbtest.APIError(400, "TransactionConflictException"))
	if _, err := svc.Update(ctx, actor, nil, "busy", func(c *contract.Contract) error { c.Type = "changed"; return nil }); err != nil {
		t.Fatalf("update after a conflict: %v", err)
	}
	if got, err := clean.GetContract(ctx, "t1", "busy"); err != nil || got.Type != "changed" || got.Version != 2 {
		t.Fatalf("after the update: %+v %v", got, err)
	}
	if n := faults.Calls("PutItem"); n != 2 {
		t.Fatalf("%d puts sent, want 2", n)
	}
}

// A replace of a contract whose read listing is not what is stored (its
// Stored is stale or missing) writes nothing: the version alone would let
// it through and move the wrong counts.
func TestReplaceChecksTheListingItRead(t *testing.T) {
	s := ddbtest.NewStore(t)
	c := &contract.Contract{TenantID: "t1", ID: "x", Party: orgA, Reference: "x", Status: contract.StatusActive, Version: 1}
	if err := create(s, c); err != nil {
		t.Fatal(err)
	}
	if c.Stored == nil || *c.Stored != (contract.Listing{Status: contract.StatusActive}) {
		t.Fatalf("a create left Stored %v", c.Stored)
	}
	for _, was := range []*contract.Listing{nil, {Status: contract.StatusDraft}, {Status: contract.StatusActive, Deleted: true}} {
		next := *c
		next.Version, next.Status, next.Stored = 2, contract.StatusInactive, was
		if err := s.ReplaceContract(ctx, &next, contract.Companions{}, nil); !errors.Is(err, contract.ErrVersionConflict) {
			t.Fatalf("a replace read as %v: %v, want a version conflict", was, err)
		}
	}
	next := *c
	next.Version, next.Status = 2, contract.StatusInactive
	if err := s.ReplaceContract(ctx, &next, contract.Companions{}, nil); err != nil {
		t.Fatal(err)
	}
	want := map[contract.Listing]int{}
	for _, st := range threeKind {
		want[contract.Listing{Status: st}], want[contract.Listing{Status: st, Deleted: true}] = 0, 0
	}
	want[contract.Listing{Status: contract.StatusInactive}] = 1
	if got := countsOf(t, s, "t1", orgA); !reflect.DeepEqual(got, want) {
		t.Fatalf("counts %v, want %v", got, want)
	}
}

// Contracts loaded in bulk list as the same contracts created one by one
// do, counts included.
func TestLoadContractsListsAsCreated(t *testing.T) {
	s := ddbtest.NewStore(t)
	rng := rand.New(rand.NewPCG(3, 4))
	at := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var load []contract.Contract
	for i := range 120 {
		c := orgContract(rng, "t1", orgA, i, at.Add(time.Duration(i%40)*time.Second))
		c.Number = contract.FormatNumber(int64(i + 1))
		if i%9 == 0 {
			d := at
			c.DeletedAt = &d
		}
		load = append(load, *c)
	}
	if err := s.LoadContracts(ctx, load); err != nil {
		t.Fatal(err)
	}
	all := allContracts(t, s, "t1")
	if len(all) != len(load) || slices.ContainsFunc(load, func(c contract.Contract) bool { return c.Stored == nil }) {
		t.Fatalf("loaded %d of %d contracts", len(all), len(load))
	}
	for _, by := range []contract.SortField{contract.SortUpdatedAt, contract.SortStatus, contract.SortReference} {
		for _, del := range []bool{false, true} {
			checkListing(t, s, all, contract.OrderedQuery{Party: orgA, SortBy: by, Descending: true, Statuses: threeKind, IncludeDeleted: del, Offset: 10, Limit: 30})
		}
	}
}

// Contracts written before the listings (no index keys, counted nowhere)
// are filed by FileListings, as their next write would file them: every
// list and count shows them, their version and the rest of them stay as
// they were, the stream shows no change of them, a second run files
// nothing, and a request's write of one goes through.
func TestFileListings(t *testing.T) {
	client, table, streamARN := ddbtest.NewStreamTable(t)
	store := ddb.New(client, table)
	rng := rand.New(rand.NewPCG(3, 4))
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var old []*contract.Contract
	for i := range 6 {
		c := orgContract(rng, "t", orgB, i, at)
		c.Number = contract.FormatNumber(int64(i + 1))
		c.Status = threeKind[i%3]
		if err := store.CreateContract(ctx, c, contract.Companions{}, nil); err != nil {
			t.Fatal(err)
		}
		if i >= 2 {
			old = append(old, c)
		}
	}
	kukkingu := &contract.Contract{TenantID: "t", Number: contract.FormatNumber(7), ID: "ctr_x", Party: contract.Party{Kind: contract.PartyClient, ID: "clnt_1"},
		Name: "n", Status: contract.StatusActive, Version: 1, CreatedAt: at, UpdatedAt: at}
	if err := store.CreateContract(ctx, kukkingu, contract.Companions{}, nil); err != nil {
		t.Fatal(err)
	}
	// The four older contracts as the store wrote them before the
	// listings: no index keys of theirs, none in the count.
	for _, c := range old {
		_, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table,
			Key:              map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "TENANT#t"}, "SK": &types.AttributeValueMemberS{Value: "CONTRACT#" + c.Number}},
			UpdateExpression: aws.String("REMOVE GSI3PK, GSI3SK, GSI4SK, GSI5SK, GSI6SK, GSI7SK, searchReference, searchType")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table,
			Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "TENANT#t"}, "SK": &types.AttributeValueMemberS{Value: "COUNT#organization#" + orgB.ID}},
			UpdateExpression:          aws.String("ADD #l :gone"),
			ExpressionAttributeNames:  map[string]string{"#l": "LIVE#" + string(c.Status)},
			ExpressionAttributeValues: map[string]types.AttributeValue{":gone": &types.AttributeValueMemberN{Value: "-1"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	list := func() contract.OrderedPage {
		t.Helper()
		page, err := store.ListOrdered(ctx, "t", contract.OrderedQuery{Party: orgB, Statuses: threeKind, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return page
	}
	if page := list(); page.Count != 2 || len(page.Contracts) != 2 {
		t.Fatalf("before filing: %d listed of a count of %d, want the 2 filed when written", len(page.Contracts), page.Count)
	}
	before := len(ddbtest.StreamRecords(t, streamARN))

	filed, err := store.FileListings(ctx, "t")
	if err != nil || filed != len(old) {
		t.Fatalf("filed %d, %v; want %d", filed, err, len(old))
	}
	page := list()
	var numbers []string
	for _, c := range page.Contracts {
		numbers = append(numbers, c.Number)
	}
	slices.Sort(numbers)
	if page.Count != 6 || !slices.Equal(numbers, []string{"CT-0000000001", "CT-0000000002", "CT-0000000003", "CT-0000000004", "CT-0000000005", "CT-0000000006"}) {
		t.Fatalf("after filing: %v of a count of %d, want all six", numbers, page.Count)
	}
	for _, c := range old {
		got, err := store.GetContractByReference(ctx, "t", orgB, c.Reference)
		if err != nil || got.Version != 1 || got.Stored == nil || *got.Stored != c.Listing() {
			t.Fatalf("%s by its reference: %+v, %v; want version 1, filed", c.Number, got, err)
		}
	}
	for _, rec := range ddbtest.StreamRecords(t, streamARN)[before:] {
		ch, ok, err := ddb.ContractChangeOf(rec)
		if err != nil || (ok && !ch.Refiled()) {
			t.Fatalf("filing wrote a change of a contract to the stream: %+v, %v", ch, err)
		}
	}
	if filed, err := store.FileListings(ctx, "t"); err != nil || filed != 0 {
		t.Fatalf("a second run filed %d, %v; want none", filed, err)
	}

	// A request's write of a filed contract goes through and moves its count.
	c, err := store.GetContractByReference(ctx, "t", orgB, old[0].Reference)
	if err != nil {
		t.Fatal(err)
	}
	c.Version++
	c.Status = contract.StatusInactive
	if old[0].Status == contract.StatusInactive {
		c.Status = contract.StatusActive
	}
	if err := store.ReplaceContract(ctx, c, contract.Companions{}, nil); err != nil {
		t.Fatalf("a write after filing: %v", err)
	}
	if page := list(); page.Count != 6 {
		t.Fatalf("after a status change the count is %d, want 6", page.Count)
	}
}
