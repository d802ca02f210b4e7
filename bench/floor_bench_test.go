package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/endpoints"
)

// floor is what one handler operation costs with nothing of the service
// around it: the very DynamoDB operations the handler issued, captured
// from a real call and replayed with the SDK alone, in the same order.
// The items written are the handler's own (same attributes, same sizes),
// with every value the create generated swapped for a new one, so each
// replay writes new items, as each create does:
//
//   - each number the create drew from a counter (a contract number, an
//     EasyBilling action number) becomes the number the replay's own
//     update of that counter returns, formatted the same way;
//   - every other generated value (ids the service made up, unique values
//     the request chose) becomes a random value of the same shape and
//     length.
type floor struct {
	calls []call
	// counters are the floor's counter updates, in call order.
	counters []counterUse
	// fresh are the generated values that are not drawn numbers.
	fresh []string
	// claim is the create's claim of its contract number in its own
	// transaction, when it made one instead of a draw.
	claim *numberClaim
}

// numberClaim is a contract number a create claimed in its transaction,
// after the one it read from the counter (see ddb's numberAndCreate): a
// replay reads the counter again and claims the number after what it
// read.
type numberClaim struct {
	// read is the call that read the counter, tx the transaction, item the
	// counter's Update within it.
	read, tx, item int
	// captured is the contract number the captured create claimed.
	captured string
}

// counterUse is one number a counter update of a captured create drew.
type counterUse struct {
	// call is the index of the update among the floor's calls.
	call int
	// attr is the counter attribute the number is read from, when the
	// update returns more than one (a contract-actions request's draw:
	// last, its contract numbers, and lastAction); empty for an update
	// that returns one number. offset is how far below it the number is:
	// a draw of k contract numbers returns the last of them.
	attr   string
	offset int64
	// format writes a value of the counter as the create wrote it.
	format func(int64) string
	// captured is what the captured create wrote for the number it drew.
	captured string
}

// draw is one number a handler drew from a counter, as the store's
// method returned it, with the format its sequence's numbers are written
// in.
type draw struct {
	format func(int64) string
	n      int64
}

// minFresh is the shortest generated value a floor replaces: a short
// string could also occur, by chance, inside a value it must keep.
const minFresh = 8

// newFloor makes a floor from the operations one handler call issued.
// draws are the counter draws the call made, in order, as a labelledStore
// recorded them; fresh the values the call generated, as its response
// shows them (none for a read). It refuses what it could not replay
// faithfully: an operation it does not know, a counter update it cannot
// tell the sequence of, a generated value none of the writes carries, or
// a number written before it was drawn.
func newFloor(calls []call, draws []draw, fresh []string) (*floor, error) {
	if len(calls) == 0 {
		return nil, fmt.Errorf("the handler issued no DynamoDB operation")
	}
	f := &floor{calls: calls}
	for i, c := range calls {
		if copyInput(c.Input, nil) == nil {
			return nil, fmt.Errorf("the floor cannot replay a %T", c.Input)
		}
		if u, ok := c.Output.(*dynamodb.UpdateItemOutput); ok && u != nil && u.Attributes[attrLastAction] != nil {
			uses, err := combinedDraw(i, u.Attributes, draws[len(f.counters):])
			if err != nil {
				return nil, err
			}
			f.counters = append(f.counters, uses...)
			continue
		}
		n, ok := counterUpdate(c.Output)
		if !ok {
			continue
		}
		k := len(f.counters)
		if k >= len(draws) {
			return nil, fmt.Errorf("call %d (%s) updated a counter that no store method is known to have drawn from", i, opName(c.Input))
		}
		if draws[k].n != n {
			return nil, fmt.Errorf("call %d drew %d, but the store's draw %d returned %d", i, n, k, draws[k].n)
		}
		f.counters = append(f.counters, counterUse{call: i, format: draws[k].format, captured: draws[k].format(n)})
	}
	if len(f.counters) != len(draws) {
		return nil, fmt.Errorf("the store drew %d numbers, the calls show %d counter updates", len(draws), len(f.counters))
	}
	for _, u := range f.counters {
		for i := 0; i <= u.call; i++ {
			if carries(calls[i].Input, u.captured) {
				return nil, fmt.Errorf("call %d (%s) carries %s before call %d drew it", i, opName(calls[i].Input), u.captured, u.call)
			}
		}
	}
	claim, err := findClaim(calls)
	if err != nil {
		return nil, err
	}
	f.claim = claim
	seen := map[string]bool{}
	for _, u := range f.counters {
		seen[u.captured] = true
	}
	if claim != nil {
		seen[claim.captured] = true
	}
	for _, v := range fresh {
		if seen[v] {
			continue
		}
		seen[v] = true
		if len(v) < minFresh {
			return nil, fmt.Errorf("the generated value %q is too short to replace safely", v)
		}
		found := false
		for _, c := range calls {
			found = found || carries(c.Input, v)
		}
		if !found {
			return nil, fmt.Errorf("the generated value %q is in no operation the handler issued", v)
		}
		f.fresh = append(f.fresh, v)
	}
	return f, nil
}

// findClaim finds the Update of a transaction of calls that claims a
// contract number (SET last = :next), and the read of the counter before
// it.
func findClaim(calls []call) (*numberClaim, error) {
	for i, c := range calls {
		in, ok := c.Input.(*dynamodb.TransactWriteItemsInput)
		if !ok {
			continue
		}
		for j, it := range in.TransactItems {
			next, ok := claimedNumber(it.Update)
			if !ok {
				continue
			}
			for k := i - 1; k >= 0; k-- {
				if _, ok := calls[k].Input.(*dynamodb.BatchGetItemInput); ok {
					return &numberClaim{read: k, tx: i, item: j, captured: contract.FormatNumber(next)}, nil
				}
			}
			return nil, fmt.Errorf("call %d claims a contract number no call read the counter for", i)
		}
	}
	return nil, nil
}

// claimedNumber is the number u claims, if u is a counter's claim.
func claimedNumber(u *types.Update) (int64, bool) {
	if u == nil {
		return 0, false
	}
	if sk, ok := u.Key["SK"].(*types.AttributeValueMemberS); !ok || !strings.HasPrefix(sk.Value, "COUNTER#") {
		return 0, false
	}
	return numberAttr(u.ExpressionAttributeValues[":next"])
}

// lastRead is the counter's last in the output of the call that read it
// (0 when it has none yet).
func lastRead(out any) int64 {
	o, ok := out.(*dynamodb.BatchGetItemOutput)
	if !ok || o == nil {
		return 0
	}
	for _, items := range o.Responses {
		for _, item := range items {
			if sk, ok := item["SK"].(*types.AttributeValueMemberS); ok && strings.HasPrefix(sk.Value, "COUNTER#") {
				last, _ := numberAttr(item["last"])
				return last
			}
		}
	}
	return 0
}

// lost reports whether err is the cancellation of the claim's
// transaction for its claim: another create took the number first.
func (c *numberClaim) lost(err error) bool {
	var canceled *types.TransactionCanceledException
	return errors.As(err, &canceled) && c.item < len(canceled.CancellationReasons) &&
		aws.ToString(canceled.CancellationReasons[c.item].Code) == "ConditionalCheckFailed"
}

// drawAndWrite does what the store does once another create beat its
// claim: it draws the number from the counter the claim named
// (UpdateItem), then sends the transaction without the claim, the
// replay's values rewritten as r says but for the number.
func (f *floor) drawAndWrite(ctx context.Context, client *dynamodb.Client, r *rewriter) (any, error) {
	tx := f.calls[f.claim.tx].Input.(*dynamodb.TransactWriteItemsInput)
	counter := tx.TransactItems[f.claim.item].Update
	out, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: counter.TableName, Key: counter.Key,
		UpdateExpression: aws.String("ADD #last :one"), ExpressionAttributeNames: map[string]string{"#last": "last"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		ReturnValues:              types.ReturnValueUpdatedNew})
	if err != nil {
		return nil, err
	}
	n, ok := numberAttr(out.Attributes["last"])
	if !ok {
		return nil, fmt.Errorf("the draw after a lost claim returned no number")
	}
	drawn := &rewriter{pairs: slices.Clone(r.pairs)}
	for i := 0; i < len(drawn.pairs); i += 2 {
		if drawn.pairs[i] == f.claim.captured {
			drawn.pairs[i+1] = contract.FormatNumber(n)
		}
	}
	in := copyInput(tx, drawn.rewrite()).(*dynamodb.TransactWriteItemsInput)
	in.TransactItems = slices.Delete(slices.Clone(in.TransactItems), f.claim.item, f.claim.item+1)
	return client.TransactWriteItems(ctx, in)
}

// claiming returns tx, a copy of the captured transaction, with its
// claim moved to the number after last.
func (c *numberClaim) claiming(tx *dynamodb.TransactWriteItemsInput, last int64) *dynamodb.TransactWriteItemsInput {
	items := slices.Clone(tx.TransactItems)
	u := *items[c.item].Update
	u.ExpressionAttributeValues = maps.Clone(u.ExpressionAttributeValues)
	u.ExpressionAttributeValues[":next"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(last+1, 10)}
	if last == 0 {
		u.ConditionExpression = aws.String("attribute_not_exists(#last)")
		delete(u.ExpressionAttributeValues, ":seen")
	} else {
		u.ConditionExpression = aws.String("#last = :seen")
		u.ExpressionAttributeValues[":seen"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(last, 10)}
	}
	items[c.item].Update = &u
	out := *tx
	out.TransactItems = items
	return &out
}

// counterUpdate returns the number an atomic counter update drew, if out
// is the output of one.
func counterUpdate(out any) (int64, bool) {
	u, ok := out.(*dynamodb.UpdateItemOutput)
	if !ok || u == nil {
		return 0, false
	}
	return counterValue(u.Attributes)
}

// attrLastAction is the attribute of a tenant's contract counter that
// counts its action numbers, beside last (see ddb.Store.DrawNumbers).
const attrLastAction = "lastAction"

// combinedDraw is the numbers of one update of call that drew a
// contract-actions request's contract numbers (up to last) and its action
// number (lastAction) together: the draws recorded from draws on, its
// contract numbers then its action number.
func combinedDraw(call int, attrs map[string]types.AttributeValue, draws []draw) ([]counterUse, error) {
	last, ok1 := numberAttr(attrs["last"])
	action, ok2 := numberAttr(attrs[attrLastAction])
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("call %d drew numbers it does not return", call)
	}
	contracts := 0
	for contracts < len(draws) && draws[contracts].format(0) == contract.FormatNumber(0) {
		contracts++
	}
	if contracts == len(draws) || draws[contracts].n != action {
		return nil, fmt.Errorf("call %d drew action number %d, which no store draw returned next", call, action)
	}
	var uses []counterUse
	for j := range contracts {
		offset := int64(contracts - 1 - j)
		if draws[j].n != last-offset {
			return nil, fmt.Errorf("call %d drew contract numbers up to %d, but the store's draw returned %d", call, last, draws[j].n)
		}
		uses = append(uses, counterUse{call: call, attr: "last", offset: offset, format: draws[j].format, captured: draws[j].format(draws[j].n)})
	}
	a := draws[contracts]
	return append(uses, counterUse{call: call, attr: attrLastAction, format: a.format, captured: a.format(a.n)}), nil
}

// numberAttr reads an integer number attribute.
func numberAttr(v types.AttributeValue) (int64, bool) {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseInt(n.Value, 10, 64)
	return x, err == nil
}

// carries reports whether any string attribute value of in contains v.
func carries(in any, v string) bool {
	found := false
	copyInput(in, func(s string) string {
		found = found || strings.Contains(s, v)
		return s
	})
	return found
}

// opName names an operation by its input ("Query").
func opName(in any) string {
	return strings.TrimSuffix(strings.TrimPrefix(fmt.Sprintf("%T", in), "*dynamodb."), "Input")
}

// ops names the floor's operations, in order.
func (f *floor) ops() []string {
	names := make([]string, len(f.calls))
	for i, c := range f.calls {
		names[i] = opName(c.Input)
	}
	return names
}

// run replays the operations in order. A create's replay draws its
// numbers from the same counters, so it never collides with the
// service's creates.
func (f *floor) run(ctx context.Context, client *dynamodb.Client) error {
	r := newRewriter(len(f.fresh) + len(f.counters))
	for _, v := range f.fresh {
		r.add(v, freshID(v))
	}
	next := 0
	var last int64
	for i, c := range f.calls {
		in := copyInput(c.Input, r.rewrite())
		if f.claim != nil && i == f.claim.tx {
			in = f.claim.claiming(in.(*dynamodb.TransactWriteItemsInput), last)
		}
		out, err := issue(ctx, client, in)
		if f.claim != nil && i == f.claim.tx && f.claim.lost(err) {
			out, err = f.drawAndWrite(ctx, client, r)
		}
		if err != nil {
			return err
		}
		if f.claim != nil && i == f.claim.read {
			last = lastRead(out)
			r.add(f.claim.captured, contract.FormatNumber(last+1))
		}
		for next < len(f.counters) && f.counters[next].call == i {
			u := f.counters[next]
			n, ok := counterUpdate(out)
			if u.attr != "" {
				var attrs map[string]types.AttributeValue
				if o, is := out.(*dynamodb.UpdateItemOutput); is && o != nil {
					attrs = o.Attributes
				}
				n, ok = numberAttr(attrs[u.attr])
			}
			if !ok {
				return fmt.Errorf("the replayed counter update %d returned no number", i)
			}
			r.add(u.captured, u.format(n-u.offset))
			next++
		}
	}
	return nil
}

// rewriter replaces captured values with a replay's own.
type rewriter struct {
	pairs []string
	built *strings.Replacer
}

func newRewriter(n int) *rewriter { return &rewriter{pairs: make([]string, 0, 2*n)} }

func (r *rewriter) add(old, new string) {
	r.pairs = append(r.pairs, old, new)
	r.built = nil
}

// rewrite returns the replacement function, or nil when there is nothing
// to replace. Longer values go first, so a value that contains another
// is replaced whole.
func (r *rewriter) rewrite() func(string) string {
	if len(r.pairs) == 0 {
		return nil
	}
	if r.built == nil {
		type pair struct{ old, new string }
		ps := make([]pair, 0, len(r.pairs)/2)
		for i := 0; i < len(r.pairs); i += 2 {
			ps = append(ps, pair{r.pairs[i], r.pairs[i+1]})
		}
		sort.SliceStable(ps, func(i, j int) bool { return len(ps[i].old) > len(ps[j].old) })
		flat := make([]string, 0, len(r.pairs))
		for _, p := range ps {
			flat = append(flat, p.old, p.new)
		}
		r.built = strings.NewReplacer(flat...)
	}
	return r.built.Replace
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

// rawNumberBase starts the numbers the raw transaction runs write without
// a counter: far beyond what any counter of these runs reaches, so the
// two never collide, and with the same width, so the items keep their
// size.
const rawNumberBase = 9_000_000_000

// runTransaction replays only the transaction: what DynamoDB Local's
// writes cost on their own. The numbers the create drew become
// rawNumberBase plus a number unique to seq and the counter, each
// formatted as its counter's are, and every other generated value a fresh
// one.
func (f *floor) runTransaction(ctx context.Context, client *dynamodb.Client, seq int64) error {
	tx := f.transaction()
	if tx == nil {
		return fmt.Errorf("no transaction to replay")
	}
	if len(f.counters) == 0 && f.claim == nil {
		return fmt.Errorf("the transaction names no drawn number to replace")
	}
	r := newRewriter(len(f.fresh) + len(f.counters))
	for k, u := range f.counters {
		r.add(u.captured, u.format(rawNumberBase+seq*int64(len(f.counters))+int64(k)))
	}
	for _, v := range f.fresh {
		r.add(v, freshID(v))
	}
	in := copyInput(tx, r.rewrite()).(*dynamodb.TransactWriteItemsInput)
	if c := f.claim; c != nil {
		// The claim moves a counter of the run's own, from nothing, so
		// the raw runs race neither each other nor the service's creates.
		n := rawNumberBase + seq
		r.add(c.captured, contract.FormatNumber(n))
		in = c.claiming(copyInput(tx, r.rewrite()).(*dynamodb.TransactWriteItemsInput), 0)
		u := in.TransactItems[c.item].Update
		u.Key = maps.Clone(u.Key)
		u.Key["SK"] = &types.AttributeValueMemberS{Value: "COUNTER#raw-" + strconv.FormatInt(n, 10)}
	}
	_, err := client.TransactWriteItems(ctx, in)
	return err
}

// issue runs one operation of the kinds copyInput knows.
func issue(ctx context.Context, client *dynamodb.Client, in any) (any, error) {
	switch v := in.(type) {
	case *dynamodb.QueryInput:
		return client.Query(ctx, v)
	case *dynamodb.GetItemInput:
		return client.GetItem(ctx, v)
	case *dynamodb.BatchGetItemInput:
		return client.BatchGetItem(ctx, v)
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

// freshID returns a random value shaped like id, so the items that carry
// it keep their size and look alike: the same prefix (through its last
// underscore) and length, separators ("-") where id has them, hex digits
// where the rest of id is lowercase hex (UUIDs, fabric's _id), and
// elsewhere a digit for a digit and a letter of the same case for a
// letter. It never returns id itself.
func freshID(id string) string {
	prefix := id[:strings.LastIndexByte(id, '_')+1]
	rest := id[len(prefix):]
	hex := strings.Trim(rest, "0123456789abcdef-") == ""
	const (
		hexDigits = "0123456789abcdef"
		digits    = "0123456789"
		lower     = "abcdefghijklmnopqrstuvwxyz"
		upper     = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	)
	for {
		b := []byte(prefix)
		for i := 0; i < len(rest); i++ {
			c := rest[i]
			var from string
			switch {
			case hex && c != '-':
				from = hexDigits
			case c >= '0' && c <= '9':
				from = digits
			case c >= 'a' && c <= 'z':
				from = lower
			case c >= 'A' && c <= 'Z':
				from = upper
			}
			if from == "" {
				b = append(b, c)
			} else {
				b = append(b, from[rand.IntN(len(from))])
			}
		}
		if out := string(b); out != id || rest == "" {
			return out
		}
	}
}

// labelledStore records, in a capture, the counter each number a
// handler draws comes from, and so how the number is written: the floor
// sees only counter updates and numbers, and two counters (EasyBilling's
// contract and action sequences) can return the same number. Only the
// captures go through it; the measured routers get the store itself.
type labelledStore struct {
	endpoints.Store
}

// NextContractNumber implements contract.Store.
func (s labelledStore) NextContractNumber(ctx context.Context, tenantID string) (int64, error) {
	n, err := s.Store.NextContractNumber(ctx, tenantID)
	if err == nil {
		recordDraw(ctx, draw{format: contract.FormatNumber, n: n})
	}
	return n, err
}

// DrawNumbers implements contract.ActionStore.
func (s labelledStore) DrawNumbers(ctx context.Context, tenantID string, contracts int) (int64, int64, error) {
	first, action, err := s.Store.DrawNumbers(ctx, tenantID, contracts)
	if err == nil {
		for k := range contracts {
			recordDraw(ctx, draw{format: contract.FormatNumber, n: first + int64(k)})
		}
		recordDraw(ctx, draw{format: contract.FormatActionNumber, n: action})
	}
	return first, action, err
}

// recordDraw adds d to the capture of ctx, if there is one.
func recordDraw(ctx context.Context, d draw) {
	if c, ok := ctx.Value(captureKey{}).(*captured); ok {
		c.mu.Lock()
		c.draws = append(c.draws, d)
		c.mu.Unlock()
	}
}
