package ddb_test

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/idempotency"
)

type item = map[string]types.AttributeValue

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
func num(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }

// sizeShapes are items of every kind of value the store writes, and the
// store's own contracts in every dialect's shape.
func sizeShapes() map[string]item {
	shapes := map[string]item{
		"strings": {"PK": str("p"), "SK": str("strings"), "name": str("héllo wörld ☃")},
		"numbers": {"PK": str("p"), "SK": str("numbers"), "one": num("5"), "two": num("42"), "three": num("123"),
			"long": num("1234567890123"), "safe": num("9007199254740991"), "negative": num("-17"), "minus one": num("-1"),
			"zero": num("0"), "hundred": num("100"), "hundred and twenty": num("120"), "twelve hundred": num("1200"),
			"half": num("0.5"), "small": num("0.05"), "one and a half": num("1.5"), "expiresAt": num("1767225600")},
		"lists and maps": {"PK": str("p"), "SK": str("nested"), "list": &types.AttributeValueMemberL{Value: []types.AttributeValue{
			str("a"), &types.AttributeValueMemberM{Value: item{"k": str("v"), "deeper": &types.AttributeValueMemberL{Value: []types.AttributeValue{num("7")}}}},
		}}, "empty": &types.AttributeValueMemberM{Value: item{}}},
		"booleans and null": {"PK": str("p"), "SK": str("flags"), "yes": &types.AttributeValueMemberBOOL{Value: true},
			"nothing": &types.AttributeValueMemberNULL{Value: true}},
		"binary": {"PK": str("p"), "SK": str("binary"), "gzip": &types.AttributeValueMemberB{Value: []byte{0x1f, 0x8b, 0, 1, 2}}},
	}
	for _, c := range ddb.CodecContracts() {
		shapes["contract "+c.ID] = ddb.ContractItem(c)
	}
	return shapes
}

// padded is it with a string attribute that brings its size, as the
// store counts it, to size.
func padded(it item, size int) item {
	out := item{}
	for k, v := range it {
		out[k] = v
	}
	delete(out, "pad")
	out["pad"] = str(strings.Repeat("x", size-ddb.ItemSize(out)-len("pad")))
	return out
}

func isValidation(err error, text string) bool {
	var apiErr smithy.APIError
	return errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException" && strings.Contains(apiErr.ErrorMessage(), text)
}

// The store counts an item's size exactly as DynamoDB does, for every
// shape it writes: at the bound DynamoDB Local takes the item, and one
// byte past it DynamoDB refuses it and so does the store, before sending.
func TestItemSizeMatchesDynamoDB(t *testing.T) {
	client, table := ddbtest.NewTable(t)
	for name, shape := range sizeShapes() {
		t.Run(name, func(t *testing.T) {
			at := padded(shape, ddb.MaxItemBytes)
			if err := ddb.CheckWrite(types.TransactWriteItem{Put: &types.Put{Item: at}}); err != nil {
				t.Fatalf("the store refuses an item at the bound: %v", err)
			}
			if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: at}); err != nil {
				t.Fatalf("DynamoDB refuses an item the store counts at %d bytes: %v", ddb.MaxItemBytes, err)
			}
			past := padded(shape, ddb.MaxItemBytes+1)
			_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: past})
			if !isValidation(err, "Item size") {
				t.Fatalf("DynamoDB takes an item the store counts one byte past the bound: %v", err)
			}
			if contract.KindOf(ddb.CheckWrite(types.TransactWriteItem{Put: &types.Put{Item: past}})) != contract.KindUnprocessable {
				t.Fatal("the store does not refuse an item one byte past the bound")
			}
		})
	}
}

// The store sums a transaction's items as DynamoDB does: at 4 MB
// DynamoDB Local takes the transaction, and one byte more it refuses, as
// the store does before sending.
func TestTransactionSizeMatchesDynamoDB(t *testing.T) {
	client, table := ddbtest.NewTable(t)
	var items []types.TransactWriteItem
	total := 0
	for i := 0; total < ddb.MaxTransactBytes; i++ {
		it := padded(item{"PK": str("p"), "SK": str(fmt.Sprint(i))}, min(ddb.MaxItemBytes, ddb.MaxTransactBytes-total))
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &table, Item: it}})
		total += ddb.ItemSize(it)
	}
	if err := ddb.CheckWrite(items...); err != nil {
		t.Fatalf("the store refuses a transaction at the bound: %v", err)
	}
	if _, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		t.Fatalf("DynamoDB refuses %d items of %d bytes together: %v", len(items), total, err)
	}
	last := items[len(items)-1].Put
	last.Item = padded(last.Item, ddb.ItemSize(last.Item)+1)
	_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
	if !isValidation(err, "4MB") {
		t.Fatalf("DynamoDB takes a transaction one byte past 4 MB: %v", err)
	}
	if contract.KindOf(ddb.CheckWrite(items...)) != contract.KindUnprocessable {
		t.Fatal("the store does not refuse a transaction one byte past 4 MB")
	}
}

// big is a contract whose attributes bring its stored item to size bytes.
func big(t *testing.T, id string, size int) *contract.Contract {
	t.Helper()
	c := newContract("t1", id, "clnt_1")
	c.Number = "CT-0000000001"
	c.Attributes = []byte(`{"a":""}`)
	pad := size - ddb.ItemSize(ddb.ContractItem(c))
	c.Attributes = []byte(`{"a":"` + strings.Repeat("x", pad) + `"}`)
	c.Number = ""
	return c
}

// A contract that would not fit in one item is refused as the caller's
// problem, naming the contract, and nothing is written: by a create, a
// replace, and contract actions.
func TestTooLargeContractIsRefused(t *testing.T) {
	s := ddbtest.NewStore(t)
	at := big(t, "ctr_at", ddb.MaxItemBytes)
	if err := create(s, at); err != nil {
		t.Fatalf("a contract of exactly %d bytes: %v", ddb.MaxItemBytes, err)
	}

	past := big(t, "ctr_past", ddb.MaxItemBytes+1)
	contracttest.Refused(t, create(s, past), contract.KindUnprocessable, ddb.TooLargeContract)
	if _, err := s.GetContract(ctx, "t1", "ctr_past"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("the refused create wrote something: %v", err)
	}

	grown := *at
	grown.Version++
	grown.Attributes = append([]byte(`{"b":1,`), at.Attributes[1:]...)
	contracttest.Refused(t, s.ReplaceContract(ctx, &grown, contract.Companions{}, nil), contract.KindUnprocessable, ddb.TooLargeContract)
	stored, err := s.GetContract(ctx, "t1", at.Number)
	if err != nil || stored.Version != at.Version {
		t.Fatalf("the refused replace wrote something: %v, %+v", err, stored)
	}

	action := &contract.Action{TenantID: "t1", ID: "a1", Number: "CA-0000000001", Request: []byte(`{}`), Status: contract.StatusActive}
	contracttest.Refused(t, s.ApplyActions(ctx, action, nil, []*contract.Contract{&grown}, "", nil), contract.KindUnprocessable, ddb.TooLargeContract)
	if _, err := s.GetAction(ctx, "t1", action.Number); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("the refused actions wrote their record: %v", err)
	}
}

// Changes that fit one by one but not together in one transaction are
// refused, naming the request, with nothing written.
func TestTooLargeTransactionIsRefused(t *testing.T) {
	s := ddbtest.NewStore(t)
	size := ddb.MaxItemBytes - 1000
	var changed []*contract.Contract
	for i := 0; len(changed)*size <= ddb.MaxTransactBytes; i++ {
		c := big(t, fmt.Sprintf("ctr_%d", i), size)
		if err := create(s, c); err != nil {
			t.Fatal(err)
		}
		c.Version++
		changed = append(changed, c)
	}
	action := &contract.Action{TenantID: "t1", ID: "a1", Number: "CA-0000000001", Request: []byte(`{}`), Status: contract.StatusActive}
	contracttest.Refused(t, s.ApplyActions(ctx, action, nil, changed, "", nil), contract.KindUnprocessable, ddb.TooLargeRequest)
	for _, c := range changed {
		stored, err := s.GetContract(ctx, "t1", c.Number)
		if err != nil || stored.Version != c.Version-1 {
			t.Fatalf("the refused transaction wrote %s: %v", c.Number, err)
		}
	}
	if err := s.ApplyActions(ctx, action, nil, changed[:len(changed)-1], "", nil); err != nil {
		t.Fatalf("one contract fewer: %v", err)
	}
}

// keyedCreate creates c under a claim of key whose answer is body.
func keyedCreate(s *ddb.Store, c *contract.Contract, key, body string) error {
	claim := &idempotency.Claim{TenantID: c.TenantID, Key: key, Hash: "hash-" + key, At: time.Now()}
	claim.OnWrite(func() (idempotency.Response, error) {
		return idempotency.Response{Status: 201, Headers: map[string]string{"Content-Type": "application/json"}, Body: body}, nil
	})
	n, err := s.NextContractNumber(ctx, c.TenantID)
	if err != nil {
		return err
	}
	c.Number = contract.FormatNumber(n)
	return s.CreateContract(ctx, c, contract.Companions{}, claim)
}

// An answer too large to keep as text beside its write (JSON escapes can
// make an answer six times what it shows) is kept compressed, and a retry
// gets it back byte for byte; one too large even so is refused, naming
// the Idempotency-Key, with nothing written. So is a refusal's answer,
// kept on its own.
func TestLargeIdempotentAnswers(t *testing.T) {
	s := ddbtest.NewStore(t)
	large := `{"a":"` + strings.Repeat(`\u003c`, 200_000) + `"}`
	if err := keyedCreate(s, newContract("t1", "ctr_1", "clnt_1"), "k1", large); err != nil {
		t.Fatal(err)
	}
	var used *idempotency.UsedError
	if err := keyedCreate(s, newContract("t1", "ctr_2", "clnt_1"), "k1", "{}"); !errors.As(err, &used) {
		t.Fatalf("a second write with the key: %v", err)
	}
	if used.Record.Response.Body != large || used.Record.Response.Status != 201 {
		t.Fatalf("the kept answer differs: status %d, %d bytes", used.Record.Response.Status, len(used.Record.Response.Body))
	}

	noise := make([]byte, 600_000)
	rand.Read(noise)
	incompressible := `{"a":"` + base64.StdEncoding.EncodeToString(noise) + `"}`
	contracttest.Refused(t, keyedCreate(s, newContract("t1", "ctr_3", "clnt_1"), "k2", incompressible), contract.KindUnprocessable, ddb.TooLargeAnswer)
	if _, err := s.GetContract(ctx, "t1", "ctr_3"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("the refused write wrote its contract: %v", err)
	}

	refusal := &idempotency.Claim{TenantID: "t1", Key: "k3", Hash: "hash-k3", At: time.Now()}
	if held, err := s.Keep(ctx, refusal, idempotency.Response{Status: 422, Body: large}); err != nil || held != nil {
		t.Fatalf("keep: %v, %v", held, err)
	}
	held, err := s.Keep(ctx, refusal, idempotency.Response{Status: 422, Body: "{}"})
	if err != nil || held == nil || held.Response.Body != large {
		t.Fatalf("the kept refusal differs: %v", err)
	}
}

// contract.MaxSegments keeps the largest contract EasyBilling can make
// within one item: every segment with its fields at their longest (a
// 128-character plan, ten currencies, a 32-character price, 256-character
// principals) and the contract's own at theirs.
func TestMaxSegmentsFitOneItem(t *testing.T) {
	at := time.Date(2026, 2, 1, 12, 34, 56, 123456789, time.UTC)
	long := func(n int) string { return strings.Repeat("w", n) }
	c := &contract.Contract{TenantID: long(64), Number: "CT-0000000001", ID: "9d7c0a1e-3b2f-4c6d-8e9f-0a1b2c3d4e5f",
		Party: contract.Party{Kind: contract.PartyAccount, ID: long(64)}, Status: contract.StatusCanceled, Version: 1 << 40,
		ValidFrom: &at, ValidTo: &at, CreatedAt: at, UpdatedAt: at, CreatedBy: long(256), UpdatedBy: long(256)}
	for i := range contract.MaxSegments {
		c.Segments = append(c.Segments, contract.Segment{ID: "9d7c0a1e-3b2f-4c6d-8e9f-0a1b2c3d4e5f", PreviousID: "9d7c0a1e-3b2f-4c6d-8e9f-0a1b2c3d4e5f",
			PlanID: long(128), Currencies: strings.Fields("USD EUR CNY BRL JPY GBP CHF CAD AUD SEK"),
			EffectiveDate: "2026-02-01", ExpirationDate: "2027-01-31", BillingCycleDay: 31 - i%31, BillingCycleType: "quarterly",
			Price: "1234567890123456.123456789012345", CreatedAt: at, UpdatedAt: at, CreatedBy: long(256), UpdatedBy: long(256)})
	}
	size := ddb.ItemSize(ddb.ContractItem(c))
	t.Logf("a contract of %d segments at their longest takes %d bytes (%d a segment)", contract.MaxSegments, size, size/contract.MaxSegments)
	if size > ddb.MaxItemBytes {
		t.Fatalf("%d bytes, over an item's %d", size, ddb.MaxItemBytes)
	}
}
