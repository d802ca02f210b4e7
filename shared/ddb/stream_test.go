package ddb_test

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// Every stored shape of a contract reads back from the stream, new and
// old image alike, as the store reads it; a removal has the old image
// alone.
func TestContractChangeOfEveryShape(t *testing.T) {
	client, table, arn := ddbtest.NewStreamTable(t)
	contracts := ddb.CodecContracts()
	for _, c := range contracts {
		put := func(c *contract.Contract) {
			if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: ddb.ContractItem(c)}); err != nil {
				t.Fatal(err)
			}
		}
		put(c)
		next := *c
		next.Version++
		next.Name = "changed"
		put(&next)
		key := map[string]types.AttributeValue{"PK": ddb.ContractItem(c)["PK"], "SK": ddb.ContractItem(c)["SK"]}
		if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: key}); err != nil {
			t.Fatal(err)
		}
	}
	records := ddbtest.StreamRecords(t, arn)
	if len(records) != 3*len(contracts) {
		t.Fatalf("%d records, want %d", len(records), 3*len(contracts))
	}
	for i, c := range contracts {
		t.Run(c.ID, func(t *testing.T) {
			next := *c
			next.Version++
			next.Name = "changed"
			want := []ddb.ContractChange{{New: c}, {Old: c, New: &next}, {Old: &next}}
			for j, w := range want {
				rec := records[3*i+j]
				got, ok, err := ddb.ContractChangeOf(rec)
				if err != nil || !ok {
					t.Fatalf("%s record: ok %v, %v", rec.EventName, ok, err)
				}
				// Which listing an image was filed in is the store's own
				// bookkeeping, not part of the change.
				for _, c := range []*contract.Contract{got.Old, got.New} {
					if c != nil {
						c.Stored = nil
					}
				}
				if !reflect.DeepEqual(got, w) {
					t.Errorf("%s record reads\n%+v\n%+v\nwant\n%+v\n%+v", rec.EventName, got.Old, got.New, w.Old, w.New)
				}
			}
		})
	}
}

// Records of items that are not contracts say so, and a record without
// images (a stream of keys only) is an error.
func TestContractChangeOfOtherItems(t *testing.T) {
	for _, typ := range []string{"counter", "contract-id", "contract-reference", "tenant", "idempotency-key", "delivery", "published-event", ""} {
		image := map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute("TENANT#t1"), "SK": events.NewStringAttribute("X#1")}
		if typ != "" {
			image["type"] = events.NewStringAttribute(typ)
		}
		for _, rec := range []events.DynamoDBEventRecord{
			{EventName: "INSERT", Change: events.DynamoDBStreamRecord{NewImage: image}},
			{EventName: "REMOVE", Change: events.DynamoDBStreamRecord{OldImage: image}},
		} {
			if _, ok, err := ddb.ContractChangeOf(rec); ok || err != nil {
				t.Errorf("%q %s: ok %v, %v", typ, rec.EventName, ok, err)
			}
		}
	}
	keys := events.DynamoDBEventRecord{EventName: "MODIFY", Change: events.DynamoDBStreamRecord{Keys: map[string]events.DynamoDBAttributeValue{"PK": events.NewStringAttribute("TENANT#t1")}}}
	if _, _, err := ddb.ContractChangeOf(keys); !errors.Is(err, ddb.ErrNoImages) {
		t.Errorf("a record of keys only: %v", err)
	}
	// A type of another DynamoDB type is no contract's either.
	odd := map[string]events.DynamoDBAttributeValue{"type": events.NewNumberAttribute("1")}
	if _, ok, err := ddb.ContractChangeOf(events.DynamoDBEventRecord{Change: events.DynamoDBStreamRecord{NewImage: odd}}); ok || err != nil {
		t.Errorf("numeric type: ok %v, %v", ok, err)
	}
}

// An image holding every DynamoDB type, as the stream and Lambda carry
// it, converts to the attribute values that were written. Empty maps
// included: DynamoDB Local's stream writes one as {} where DynamoDB
// writes {"M":{}}, which ddbstream reads as DynamoDB writes it.
func TestStreamImageEveryType(t *testing.T) {
	client, table, arn := ddbtest.NewStreamTable(t)
	item := map[string]types.AttributeValue{
		"PK":   &types.AttributeValueMemberS{Value: "TENANT#t1"},
		"SK":   &types.AttributeValueMemberS{Value: "PROBE"},
		"s":    &types.AttributeValueMemberS{Value: "é\u0000\"x"},
		"n":    &types.AttributeValueMemberN{Value: "-12.5"},
		"b":    &types.AttributeValueMemberB{Value: []byte{0, 1, 2, 255}},
		"t":    &types.AttributeValueMemberBOOL{Value: true},
		"f":    &types.AttributeValueMemberBOOL{Value: false},
		"null": &types.AttributeValueMemberNULL{Value: true},
		"ss":   &types.AttributeValueMemberSS{Value: []string{"a", "b"}},
		"ns":   &types.AttributeValueMemberNS{Value: []string{"1", "2.5"}},
		"bs":   &types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}},
		"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{
			&types.AttributeValueMemberS{Value: "x"}, &types.AttributeValueMemberN{Value: "1"},
			&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"deep": &types.AttributeValueMemberL{Value: []types.AttributeValue{}}}},
		}},
		"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"k": &types.AttributeValueMemberBOOL{Value: true}, "empty": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
		}},
	}
	if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
		t.Fatal(err)
	}
	records := ddbtest.StreamRecords(t, arn)
	if len(records) != 1 {
		t.Fatalf("%d records", len(records))
	}
	got, err := ddb.FromStreamImage(records[0].Change.NewImage)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range item {
		if g, w := canonical(got[name]), canonical(want); g != w {
			t.Errorf("%s: %s, want %s", name, g, w)
		}
	}
	if len(got) != len(item) {
		t.Errorf("%d attributes, want %d", len(got), len(item))
	}
}

// canonical writes an attribute value with its sets sorted: a set has no
// order, and the stream need not keep the one written.
func canonical(v types.AttributeValue) string {
	switch v := v.(type) {
	case *types.AttributeValueMemberSS:
		return fmt.Sprintf("SS%q", slices.Sorted(slices.Values(v.Value)))
	case *types.AttributeValueMemberNS:
		return fmt.Sprintf("NS%q", slices.Sorted(slices.Values(v.Value)))
	case *types.AttributeValueMemberBS:
		var s []string
		for _, b := range v.Value {
			s = append(s, fmt.Sprint(b))
		}
		return fmt.Sprintf("BS%q", slices.Sorted(slices.Values(s)))
	case *types.AttributeValueMemberL:
		out := "L["
		for _, e := range v.Value {
			out += canonical(e) + ","
		}
		return out + "]"
	case *types.AttributeValueMemberM:
		out := "M{"
		for _, k := range slices.Sorted(func(yield func(string) bool) {
			for k := range v.Value {
				if !yield(k) {
					return
				}
			}
		}) {
			out += k + ":" + canonical(v.Value[k]) + ","
		}
		return out + "}"
	}
	return fmt.Sprintf("%T%+v", v, v)
}

// EnableStream is idempotent: a table whose stream is on keeps it.
func TestEnableStreamTwice(t *testing.T) {
	client, table, arn := ddbtest.NewStreamTable(t)
	again, err := ddb.EnableStream(ctx, client, table)
	if err != nil || again != arn {
		t.Errorf("second EnableStream: %s, %v; want %s", again, err, arn)
	}
}

// The ledger of events put: what is marked reads as published, for its
// tenant only, past the batch operations' bounds and with duplicates.
func TestPublishedEvents(t *testing.T) {
	s := ddbtest.NewStore(t)
	var marked, asked []ddb.EventRef
	for i := range 30 {
		r := ddb.EventRef{TenantID: "tenant-a", ID: fmt.Sprintf("event-%03d", i)}
		marked = append(marked, r, r)
	}
	for i := range 60 {
		asked = append(asked, ddb.EventRef{TenantID: "tenant-a", ID: fmt.Sprintf("event-%03d", i)}, ddb.EventRef{TenantID: "tenant-b", ID: fmt.Sprintf("event-%03d", i)})
	}
	if got, err := s.Published(ctx, asked); err != nil || len(got) != 0 {
		t.Fatalf("before any mark: %v, %v", got, err)
	}
	if err := s.MarkPublished(ctx, marked, time.Now()); err != nil {
		t.Fatal(err)
	}
	got, err := s.Published(ctx, asked)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 30 {
		t.Errorf("%d published, want the 30 marked", len(got))
	}
	for _, r := range marked {
		if !got[r] {
			t.Errorf("%v not published", r)
		}
	}
	for r := range got {
		if r.TenantID != "tenant-a" {
			t.Errorf("%v published: another tenant's event of the same id", r)
		}
	}
}
