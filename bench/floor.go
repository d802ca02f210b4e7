package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ids"
)

// floor is what one handler operation costs with nothing of the service
// around it: the very DynamoDB operations the handler issued, captured
// from a real call and replayed with the SDK alone. The items written are
// the handler's own (same attributes, same sizes), with the contract
// number and public id swapped for fresh ones so each replay writes new
// items, as each create does.
type floor struct {
	calls []call
	// number is the contract number the captured create drew; replays
	// put the number their own counter update returns in its place.
	number string
	// id is the public id the captured create handed out; replays put a
	// fresh one of the same length in its place.
	id string
}

// newFloor makes a floor from the operations one handler call issued. id
// is the public id it created, or "" for a read.
func newFloor(calls []call, id string) (*floor, error) {
	if len(calls) == 0 {
		return nil, fmt.Errorf("the handler issued no DynamoDB operation")
	}
	f := &floor{calls: calls, id: id}
	for _, c := range calls {
		if copyInput(c.Input, nil) == nil {
			return nil, fmt.Errorf("the floor cannot replay a %T", c.Input)
		}
		if out, ok := c.Output.(*dynamodb.UpdateItemOutput); ok && f.number == "" && out != nil {
			if n, ok := counterValue(out.Attributes); ok {
				f.number = contract.FormatNumber(n)
			}
		}
	}
	return f, nil
}

// ops names the floor's operations, in order.
func (f *floor) ops() []string {
	names := make([]string, len(f.calls))
	for i, c := range f.calls {
		names[i] = strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", c.Input), "*dynamodb."), "Input")
	}
	return names
}

// run replays the operations in order. A create's replay draws its
// number from the same counter, so it never collides with the service's
// creates.
func (f *floor) run(ctx context.Context, client *dynamodb.Client) error {
	var pairs []string
	if f.id != "" {
		pairs = append(pairs, f.id, freshID(f.id))
	}
	for _, c := range f.calls {
		var rewrite *strings.Replacer
		if len(pairs) > 0 {
			rewrite = strings.NewReplacer(pairs...)
		}
		out, err := issue(ctx, client, copyInput(c.Input, rewrite))
		if err != nil {
			return err
		}
		if u, ok := out.(*dynamodb.UpdateItemOutput); ok && f.number != "" {
			if n, ok := counterValue(u.Attributes); ok {
				pairs = append(pairs, f.number, contract.FormatNumber(n))
			}
		}
	}
	return nil
}

// transaction returns the floor's transaction, or nil if it has none.
func (f *floor) transaction() *dynamodb.TransactWriteItemsInput {
	for _, c := range f.calls {
		if in, ok := c.Input.(*dynamodb.TransactWriteItemsInput); ok {
			return in
		}
	}
	return nil
}

// rawNumberBase starts the contract numbers the raw transaction runs
// write without a counter: far beyond what any counter of these runs
// reaches, so the two never collide, and with the same width, so the items
// keep their size.
const rawNumberBase = 9_000_000_000

// runTransaction replays only the transaction, under number
// rawNumberBase+seq and a fresh id: what DynamoDB Local's writes cost on
// their own.
func (f *floor) runTransaction(ctx context.Context, client *dynamodb.Client, seq int64) error {
	tx := f.transaction()
	if tx == nil {
		return fmt.Errorf("no transaction to replay")
	}
	if f.number == "" || f.id == "" {
		return fmt.Errorf("the transaction names no number and id to replace")
	}
	rewrite := strings.NewReplacer(f.number, contract.FormatNumber(rawNumberBase+seq), f.id, freshID(f.id))
	_, err := client.TransactWriteItems(ctx, copyInput(tx, rewrite).(*dynamodb.TransactWriteItemsInput))
	return err
}

// issue runs one operation of the kinds copyInput knows.
func issue(ctx context.Context, client *dynamodb.Client, in any) (any, error) {
	switch v := in.(type) {
	case *dynamodb.QueryInput:
		return client.Query(ctx, v)
	case *dynamodb.GetItemInput:
		return client.GetItem(ctx, v)
	case *dynamodb.PutItemInput:
		return client.PutItem(ctx, v)
	case *dynamodb.UpdateItemInput:
		return client.UpdateItem(ctx, v)
	case *dynamodb.DeleteItemInput:
		return client.DeleteItem(ctx, v)
	case *dynamodb.TransactWriteItemsInput:
		return client.TransactWriteItems(ctx, v)
	}
	return nil, fmt.Errorf("the floor cannot replay a %T", in)
}

// counterValue returns the one number attribute of an atomic counter
// update's result (ReturnValues UPDATED_NEW).
func counterValue(attrs map[string]types.AttributeValue) (int64, bool) {
	var found []int64
	for _, v := range attrs {
		if n, ok := v.(*types.AttributeValueMemberN); ok {
			if x, err := strconv.ParseInt(n.Value, 10, 64); err == nil {
				found = append(found, x)
			}
		}
	}
	if len(found) != 1 {
		return 0, false
	}
	return found[0], true
}

// freshID returns a random id shaped like id: the same prefix (through
// its last underscore) and length, the rest lowercase alphanumerics, so
// the items that carry it keep their size.
func freshID(id string) string {
	prefix := id[:strings.LastIndexByte(id, '_')+1]
	return ids.LowerAlnum(prefix, len(id)-len(prefix))
}
