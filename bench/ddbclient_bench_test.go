package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
)

// maxConns bounds the connections to DynamoDB Local kept open. The SDK
// keeps 10 per host by default; the throughput runs use up to 32 clients
// at once, and connections opened and closed per request would measure
// the kernel's TCP setup rather than the service.
const maxConns = 64

// newClient returns a DynamoDB client configured from the environment as
// the functions' clients are (region, credentials,
// AWS_ENDPOINT_URL_DYNAMODB), whose HTTP requests go through trips (to
// DynamoDB Local unless trips.next is set), and which records the
// operations of contexts made by withCapture. A configuration it cannot
// load fails tb.
func newClient(tb testing.TB, trips *tripCounter, extra ...func(*dynamodb.Options)) *dynamodb.Client {
	tb.Helper()
	if trips.next == nil {
		trips.next = awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
			tr.MaxIdleConns = maxConns
			tr.MaxIdleConnsPerHost = maxConns
		})
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		tb.Fatalf("load aws config: %v", err)
	}
	return dynamodb.NewFromConfig(cfg, append([]func(*dynamodb.Options){instrument(trips)}, extra...)...)
}

// instrument sends a client's requests through trips and records the
// operations of contexts made by withCapture.
func instrument(trips *tripCounter) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		// The SDK's warnings (a cancelled transaction's answer fails its
		// checksum check on close) would land in the middle of benchmark
		// lines.
		o.Logger = logging.Nop{}
		o.HTTPClient = trips
		o.APIOptions = append(o.APIOptions, addCapture)
	}
}

// tripCounter is an aws.HTTPClient that counts the HTTP requests, that is
// the DynamoDB round trips (retries included), before handing them on.
// Requests whose context was made by withTrips are also listed there, by
// operation, so one handler call's round trips can be told from another's.
type tripCounter struct {
	next  aws.HTTPClient
	total atomic.Int64
}

// Do implements aws.HTTPClient.
func (c *tripCounter) Do(req *http.Request) (*http.Response, error) {
	c.total.Add(1)
	op := operationOf(req)
	if t, ok := req.Context().Value(tripsKey{}).(*trips); ok {
		t.add(op, req.ContentLength)
	}
	resp, err := c.next.Do(req)
	if cp, ok := req.Context().Value(captureKey{}).(*captured); ok && err == nil {
		// Keep the answer, so the in-process runs can give the SDK the
		// very bytes DynamoDB Local sent.
		body, rerr := io.ReadAll(resp.Body)
		resp.Body.Close()
		if rerr != nil {
			return nil, rerr
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		cp.mu.Lock()
		cp.responses = append(cp.responses, recorded{op: op, status: resp.StatusCode, header: resp.Header.Clone(), body: body})
		cp.mu.Unlock()
	}
	return resp, err
}

// operationOf names a DynamoDB request's operation ("Query").
func operationOf(req *http.Request) string {
	return strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
}

// recorded is one HTTP answer of DynamoDB Local, kept as received.
type recorded struct {
	op     string
	status int
	header http.Header
	body   []byte
}

// replayed is an aws.HTTPClient that answers without any network: with
// the recorded answers of one handler call, each operation's in turn,
// over and over. It lets the in-process runs measure what the service and
// the SDK cost on their own, with DynamoDB's share taken out. prime, if
// set, answers the first requests, in turn: a router's first, cold call,
// which reads what its warm caches keep after it.
type replayed struct {
	prime   []recorded
	answers []recorded
	mu      sync.Mutex
	next    map[string]int
	given   int
}

// Do implements aws.HTTPClient.
func (r *replayed) Do(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
	op := operationOf(req)
	r.mu.Lock()
	if r.given < len(r.prime) {
		a := r.prime[r.given]
		r.given++
		r.mu.Unlock()
		if a.op != op {
			return nil, fmt.Errorf("replayed answers are out of step: the request is a %s, the answer a %s", op, a.op)
		}
		return a.response(req), nil
	}
	r.mu.Unlock()
	var mine []recorded
	for _, a := range r.answers {
		if a.op == op {
			mine = append(mine, a)
		}
	}
	if len(mine) == 0 {
		return nil, fmt.Errorf("replayed answers are out of step: no %s was recorded", op)
	}
	r.mu.Lock()
	if r.next == nil {
		r.next = map[string]int{}
	}
	a := mine[r.next[op]%len(mine)]
	r.next[op]++
	r.given++
	r.mu.Unlock()
	return a.response(req), nil
}

// response is a recorded answer as a response to req.
func (a recorded) response(req *http.Request) *http.Response {
	return &http.Response{
		Status:        http.StatusText(a.status),
		StatusCode:    a.status,
		Header:        a.header.Clone(),
		Body:          io.NopCloser(bytes.NewReader(a.body)),
		ContentLength: int64(len(a.body)),
		Request:       req,
	}
}

type tripsKey struct{}

// trips lists the operations of the round trips made under one context,
// and adds up the bytes their requests sent.
type trips struct {
	mu    sync.Mutex
	ops   []string
	bytes int64
}

func (t *trips) add(op string, n int64) {
	t.mu.Lock()
	t.ops = append(t.ops, op)
	t.bytes += n
	t.mu.Unlock()
}

func (t *trips) sent() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.bytes
}

func (t *trips) list() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.ops...)
}

// withTrips returns a context under which round trips are listed in t.
func withTrips(ctx context.Context) (context.Context, *trips) {
	t := &trips{}
	return context.WithValue(ctx, tripsKey{}, t), t
}

// call is one SDK operation as issued: its input, copied when it was
// issued, and its output.
type call struct {
	Input  any
	Output any
}

type captureKey struct{}

// captured collects the operations issued under one context.
type captured struct {
	mu        sync.Mutex
	calls     []call
	responses []recorded
	// draws are the counter draws a labelledStore recorded, in order.
	draws []draw
}

func (c *captured) drawn() []draw {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]draw(nil), c.draws...)
}

func (c *captured) answers() []recorded {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]recorded(nil), c.responses...)
}

func (c *captured) list() []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]call(nil), c.calls...)
}

// withCapture returns a context under which every operation's input and
// output, and every HTTP answer, are recorded in c: the floor replays the
// operations, the in-process runs the answers.
func withCapture(ctx context.Context) (context.Context, *captured) {
	c := &captured{}
	return context.WithValue(ctx, captureKey{}, c), c
}

// addCapture puts the recording first in the Initialize step, so it sees
// the input as the service built it, before the SDK fills in anything of
// its own (the idempotency token of a transaction, which a replay must
// not reuse).
func addCapture(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("BenchCapture",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			c, ok := ctx.Value(captureKey{}).(*captured)
			if !ok {
				return next.HandleInitialize(ctx, in)
			}
			input := copyInput(in.Parameters, nil)
			out, md, err := next.HandleInitialize(ctx, in)
			c.mu.Lock()
			c.calls = append(c.calls, call{Input: input, Output: out.Result})
			c.mu.Unlock()
			return out, md, err
		}), middleware.Before)
}

// withConsumedCapacity makes a client ask for every operation's consumed
// capacity (ReturnConsumedCapacity TOTAL) and add it to the capacityUse of
// the operation's context. Only the capacity pass uses it: the timed runs
// ask for nothing the service does not.
func withConsumedCapacity(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("BenchConsumedCapacity",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				askTotal(in.Parameters)
				out, md, err := next.HandleInitialize(ctx, in)
				if u, ok := ctx.Value(capacityKey{}).(*capacityUse); ok && err == nil {
					u.add(out.Result)
				}
				return out, md, err
			}), middleware.Before)
	})
}

type capacityKey struct{}

// capacityUse sums the capacity units DynamoDB reported for the
// operations of one context.
type capacityUse struct {
	mu    sync.Mutex
	units float64
	// read and write split units by operation: reads (Query, GetItem,
	// BatchGetItem, TransactGetItems) spend read units, the rest write
	// units.
	read, write float64
	// perCall is each operation's units, in order.
	perCall []float64
	// calls counts the operations; reported those that came back with a
	// ConsumedCapacity (DynamoDB Local may leave it out).
	calls, reported int
}

func withCapacity(ctx context.Context) (context.Context, *capacityUse) {
	u := &capacityUse{}
	return context.WithValue(ctx, capacityKey{}, u), u
}

func (u *capacityUse) add(result any) {
	// A single-item operation's output has one ConsumedCapacity, a batch's
	// or a transaction's one per table.
	var ccs []types.ConsumedCapacity
	if f := structField(result, "ConsumedCapacity"); f.IsValid() {
		switch cc := f.Interface().(type) {
		case *types.ConsumedCapacity:
			if cc != nil {
				ccs = []types.ConsumedCapacity{*cc}
			}
		case []types.ConsumedCapacity:
			ccs = cc
		}
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	u.calls++
	if len(ccs) > 0 {
		u.reported++
	}
	var units float64
	for _, cc := range ccs {
		units += aws.ToFloat64(cc.CapacityUnits)
	}
	u.units += units
	switch result.(type) {
	case *dynamodb.QueryOutput, *dynamodb.GetItemOutput, *dynamodb.TransactGetItemsOutput, *dynamodb.BatchGetItemOutput:
		u.read += units
	default:
		u.write += units
	}
	u.perCall = append(u.perCall, units)
}

// askTotal sets ReturnConsumedCapacity TOTAL on an operation's input.
func askTotal(params any) {
	if f := structField(params, "ReturnConsumedCapacity"); f.IsValid() {
		f.Set(reflect.ValueOf(types.ReturnConsumedCapacityTotal))
	}
}

// structField returns the field named name of the struct p points to, or
// the zero Value when p points to no struct with that field. The SDK's
// inputs, and its outputs, name the fields they have in common alike but
// share no interface for them. Only the capacity pass, which is not timed,
// reflects.
func structField(p any, name string) reflect.Value {
	v := reflect.ValueOf(p)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return reflect.Value{}
	}
	return v.Elem().FieldByName(name)
}

// copyInput returns a copy of an operation's input that shares nothing a
// caller may change later, with every string attribute value (of keys,
// items, expression values, in sets, lists and maps) passed through
// rewrite (nil keeps them). A transaction's idempotency token is dropped,
// so the SDK makes a new one and a replay really writes. It returns nil
// for an operation the floor does not know. Each kind is copied by hand,
// not by reflection as askTotal is: a floor's replay is timed, and a
// reflective copy took twice the CPU.
func copyInput(params any, rewrite func(string) string) any {
	item := func(m map[string]types.AttributeValue) map[string]types.AttributeValue {
		return rewriteItem(m, rewrite)
	}
	switch v := params.(type) {
	case *dynamodb.QueryInput:
		c := *v
		c.ExpressionAttributeNames = maps.Clone(v.ExpressionAttributeNames)
		c.ExpressionAttributeValues = item(v.ExpressionAttributeValues)
		c.ExclusiveStartKey = item(v.ExclusiveStartKey)
		return &c
	case *dynamodb.GetItemInput:
		c := *v
		c.ExpressionAttributeNames = maps.Clone(v.ExpressionAttributeNames)
		c.Key = item(v.Key)
		return &c
	case *dynamodb.BatchGetItemInput:
		c := *v
		c.RequestItems = make(map[string]types.KeysAndAttributes, len(v.RequestItems))
		for table, ka := range v.RequestItems {
			k := ka
			k.ExpressionAttributeNames = maps.Clone(ka.ExpressionAttributeNames)
			k.AttributesToGet = append([]string(nil), ka.AttributesToGet...)
			k.Keys = make([]map[string]types.AttributeValue, len(ka.Keys))
			for i, key := range ka.Keys {
				k.Keys[i] = item(key)
			}
			c.RequestItems[table] = k
		}
		return &c
	case *dynamodb.PutItemInput:
		c := *v
		c.ExpressionAttributeNames = maps.Clone(v.ExpressionAttributeNames)
		c.ExpressionAttributeValues = item(v.ExpressionAttributeValues)
		c.Item = item(v.Item)
		return &c
	case *dynamodb.UpdateItemInput:
		c := *v
		c.ExpressionAttributeNames = maps.Clone(v.ExpressionAttributeNames)
		c.ExpressionAttributeValues = item(v.ExpressionAttributeValues)
		c.Key = item(v.Key)
		return &c
	case *dynamodb.DeleteItemInput:
		c := *v
		c.ExpressionAttributeNames = maps.Clone(v.ExpressionAttributeNames)
		c.ExpressionAttributeValues = item(v.ExpressionAttributeValues)
		c.Key = item(v.Key)
		return &c
	case *dynamodb.TransactWriteItemsInput:
		c := *v
		c.ClientRequestToken = nil
		c.TransactItems = make([]types.TransactWriteItem, len(v.TransactItems))
		for i, ti := range v.TransactItems {
			if ti.Put != nil {
				p := *ti.Put
				p.Item = item(p.Item)
				p.ExpressionAttributeValues = item(p.ExpressionAttributeValues)
				c.TransactItems[i].Put = &p
			}
			if ti.Update != nil {
				u := *ti.Update
				u.Key = item(u.Key)
				u.ExpressionAttributeValues = item(u.ExpressionAttributeValues)
				c.TransactItems[i].Update = &u
			}
			if ti.Delete != nil {
				d := *ti.Delete
				d.Key = item(d.Key)
				d.ExpressionAttributeValues = item(d.ExpressionAttributeValues)
				c.TransactItems[i].Delete = &d
			}
			if ti.ConditionCheck != nil {
				cc := *ti.ConditionCheck
				cc.Key = item(cc.Key)
				cc.ExpressionAttributeValues = item(cc.ExpressionAttributeValues)
				c.TransactItems[i].ConditionCheck = &cc
			}
		}
		return &c
	}
	return nil
}

func rewriteItem(m map[string]types.AttributeValue, rewrite func(string) string) map[string]types.AttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = rewriteValue(v, rewrite)
	}
	return out
}

func rewriteValue(av types.AttributeValue, rewrite func(string) string) types.AttributeValue {
	if rewrite == nil {
		return av
	}
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return &types.AttributeValueMemberS{Value: rewrite(v.Value)}
	case *types.AttributeValueMemberSS:
		ss := make([]string, len(v.Value))
		for i, s := range v.Value {
			ss[i] = rewrite(s)
		}
		return &types.AttributeValueMemberSS{Value: ss}
	case *types.AttributeValueMemberM:
		return &types.AttributeValueMemberM{Value: rewriteItem(v.Value, rewrite)}
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = rewriteValue(e, rewrite)
		}
		return &types.AttributeValueMemberL{Value: l}
	}
	return av
}
