package ddb_test

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

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
