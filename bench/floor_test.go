package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
)

// fakeDynamoDB answers the SDK in-process, recording each request, so the
// capture and replay machinery can be tested without DynamoDB Local.
type fakeDynamoDB struct {
	mu sync.Mutex
	// counters are the atomic counters, by the sort key of their item.
	counters map[string]int
	ops      []string
	bodies   []map[string]any
}

func (f *fakeDynamoDB) Do(req *http.Request) (*http.Response, error) {
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		return nil, err
	}
	op := strings.TrimPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	f.mu.Lock()
	f.ops = append(f.ops, op)
	f.bodies = append(f.bodies, body)
	answer := `{}`
	if op == "UpdateItem" {
		if f.counters == nil {
			f.counters = map[string]int{}
		}
		sk := fmt.Sprint(body["Key"].(map[string]any)["SK"].(map[string]any)["S"])
		f.counters[sk]++
		answer = `{"Attributes":{"last":{"N":"` + itoa(f.counters[sk]) + `"},"type":{"S":"counter"}}}`
	}
	f.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK,
		Header:     http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body:       io.NopCloser(strings.NewReader(answer)),
		Request:    req,
	}, nil
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func fakeClient(fake *fakeDynamoDB, trips *tripCounter) *dynamodb.Client {
	trips.next = fake
	return dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("key", "secret", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:9"),
	}, instrument(trips))
}

// drawLikeTheStore issues a counter update as the store draws a number,
// and records the draw as a labelledStore would.
func drawLikeTheStore(ctx context.Context, t *testing.T, client *dynamodb.Client, sequence string, format func(int64) string) string {
	t.Helper()
	out, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String("t"),
		Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "TENANT#a"}, "SK": &types.AttributeValueMemberS{Value: "COUNTER#" + sequence}},
		UpdateExpression:          aws.String("ADD #last :one"),
		ExpressionAttributeNames:  map[string]string{"#last": "last"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := counterValue(out.Attributes)
	recordDraw(ctx, draw{format: format, n: n})
	return format(n)
}

// createLikeTheStore issues what a contract create issues: the counter
// update, then the transaction of the contract and its id item.
func createLikeTheStore(ctx context.Context, t *testing.T, client *dynamodb.Client, id string) {
	t.Helper()
	number := drawLikeTheStore(ctx, t, client, "contract", contract.FormatNumber)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("t"), ConditionExpression: aws.String("attribute_not_exists(PK)"), Item: map[string]types.AttributeValue{
			"PK": s("TENANT#a"), "SK": s("CONTRACT#" + number), "GSI1PK": s("TENANT#a#ID#" + id), "number": s(number), "id": s(id),
			"nested": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"ref": s(id)}},
		}}},
		{Put: &types.Put{TableName: aws.String("t"), ConditionExpression: aws.String("attribute_not_exists(PK)"), Item: map[string]types.AttributeValue{
			"PK": s("TENANT#a"), "SK": s("ID#" + id), "number": s(number),
		}}},
	}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFloorReplaysACreateWithItsOwnNumberAndAFreshID(t *testing.T) {
	fake := &fakeDynamoDB{}
	trips := &tripCounter{}
	client := fakeClient(fake, trips)
	const id = "ctr_abcdefghijklmnopqrstuvwx"

	cctx, c := withCapture(context.Background())
	tctx, tr := withTrips(cctx)
	createLikeTheStore(tctx, t, client, id)
	if got := tr.list(); len(got) != 2 || got[0] != "UpdateItem" || got[1] != "TransactWriteItems" {
		t.Fatalf("round trips listed %v", got)
	}
	f, err := newFloor(c.list(), c.drawn(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.counters) != 1 || f.counters[0].captured != "CT-0000000001" {
		t.Fatalf("the captured numbers are %+v, want CT-0000000001", f.counters)
	}
	if ops := f.ops(); len(ops) != 2 || ops[0] != "UpdateItem" || ops[1] != "TransactWriteItems" {
		t.Fatalf("floor ops %v", ops)
	}

	for i := 0; i < 2; i++ {
		if err := f.run(context.Background(), client); err != nil {
			t.Fatal(err)
		}
	}
	if trips.total.Load() != 6 {
		t.Fatalf("%d requests, want 2 per create", trips.total.Load())
	}
	tokens := map[any]bool{}
	for i, replayNumber := range map[int]string{3: "CT-0000000002", 5: "CT-0000000003"} {
		body := fake.bodies[i]
		raw, _ := json.Marshal(body)
		text := string(raw)
		if !strings.Contains(text, replayNumber) || strings.Contains(text, "CT-0000000001") {
			t.Errorf("replay %d does not write under the number it drew (%s): %s", i, replayNumber, text)
		}
		if strings.Contains(text, id) || !strings.Contains(text, "ctr_") {
			t.Errorf("replay %d reuses the captured id or lost its prefix: %s", i, text)
		}
		tokens[body["ClientRequestToken"]] = true
	}
	if len(tokens) != 2 || tokens[nil] {
		t.Fatalf("replays must each carry a new idempotency token, got %v", tokens)
	}
	// The captured input must not have changed under the replays.
	captured := f.transaction().TransactItems[0].Put.Item["SK"].(*types.AttributeValueMemberS).Value
	if captured != "CONTRACT#CT-0000000001" {
		t.Fatalf("the captured item changed to %q", captured)
	}
}

func TestRunTransactionWritesOutsideTheCounterRange(t *testing.T) {
	fake := &fakeDynamoDB{}
	client := fakeClient(fake, &tripCounter{})
	const id = "ctr_abcdefghijklmnopqrstuvwx"
	cctx, c := withCapture(context.Background())
	createLikeTheStore(cctx, t, client, id)
	f, err := newFloor(c.list(), c.drawn(), []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.runTransaction(context.Background(), client, 7); err != nil {
		t.Fatal(err)
	}
	last := fake.ops[len(fake.ops)-1]
	raw, _ := json.Marshal(fake.bodies[len(fake.bodies)-1])
	if last != "TransactWriteItems" || !strings.Contains(string(raw), "CT-9000000007") {
		t.Fatalf("%s %s", last, raw)
	}
}

func TestCapacityIsAskedForAndSummed(t *testing.T) {
	fake := &fakeDynamoDB{}
	client := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("key", "secret", ""),
		BaseEndpoint: aws.String("http://127.0.0.1:9"),
		HTTPClient:   fake,
	}, withConsumedCapacity)
	ctx, u := withCapacity(context.Background())
	if _, err := client.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("t"), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "x"}}}); err != nil {
		t.Fatal(err)
	}
	if fake.bodies[0]["ReturnConsumedCapacity"] != "TOTAL" {
		t.Fatalf("the request did not ask for consumed capacity: %v", fake.bodies[0])
	}
	// The fake reports none: the pass must say so rather than count zero.
	if u.calls != 1 || u.reported != 0 {
		t.Fatalf("calls %d, reported %d", u.calls, u.reported)
	}
	u.add(&dynamodb.TransactWriteItemsOutput{ConsumedCapacity: []types.ConsumedCapacity{{CapacityUnits: aws.Float64(6)}, {CapacityUnits: aws.Float64(2)}}})
	if u.units != 8 || u.reported != 1 || u.perCall[1] != 8 {
		t.Fatalf("units %g, reported %d, per call %v", u.units, u.reported, u.perCall)
	}
	u.add(&dynamodb.GetItemOutput{ConsumedCapacity: &types.ConsumedCapacity{CapacityUnits: aws.Float64(0.5)}})
	if u.units != 8.5 || u.read != 0.5 || u.write != 8 || u.reported != 2 {
		t.Fatalf("units %g (read %g, write %g), reported %d", u.units, u.read, u.write, u.reported)
	}
	for _, in := range []any{&dynamodb.QueryInput{}, &dynamodb.GetItemInput{}, &dynamodb.PutItemInput{}, &dynamodb.UpdateItemInput{},
		&dynamodb.DeleteItemInput{}, &dynamodb.TransactWriteItemsInput{}, &dynamodb.TransactGetItemsInput{}, &dynamodb.BatchGetItemInput{},
		&dynamodb.BatchWriteItemInput{}} {
		askTotal(in)
		if got := structField(in, "ReturnConsumedCapacity").Interface(); got != types.ReturnConsumedCapacityTotal {
			t.Errorf("a %T asks for %q", in, got)
		}
	}
}

func TestCounterValueNeedsExactlyOneNumber(t *testing.T) {
	n := func(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
	if v, ok := counterValue(map[string]types.AttributeValue{"last": n("42"), "type": &types.AttributeValueMemberS{Value: "c"}}); !ok || v != 42 {
		t.Fatalf("got %d, %v", v, ok)
	}
	if _, ok := counterValue(map[string]types.AttributeValue{"a": n("1"), "b": n("2")}); ok {
		t.Fatal("two numbers are ambiguous")
	}
}

func TestFreshIDKeepsTheShape(t *testing.T) {
	// shape maps each byte to its class, the way freshID keeps it.
	shape := func(s string, hex bool) string {
		return strings.Map(func(r rune) rune {
			switch {
			case hex && strings.ContainsRune("0123456789abcdef", r):
				return 'h'
			case r >= '0' && r <= '9':
				return '9'
			case r >= 'a' && r <= 'z':
				return 'a'
			case r >= 'A' && r <= 'Z':
				return 'A'
			}
			return r
		}, s)
	}
	for _, tc := range []struct {
		name, id, prefix string
		hex              bool
	}{
		{"Kukkingu id", "ctr_z23aoo8naxk68ewcr64tchh5", "ctr_", false},
		{"UUID", "3c90c3cc-0d44-4b50-8888-8dd25736052a", "", true},
		{"fabric _id", "64f1b2c3d4e5f6a7b8c9d0e1", "", true},
		{"fabric contractId", "CONTRACT-00000012", "", false},
		{"Aira externalId", "cust_000000000000002a", "cust_", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seen := map[string]bool{}
			for i := 0; i < 20; i++ {
				got := freshID(tc.id)
				rest := strings.TrimPrefix(got, tc.prefix)
				if got == tc.id || !strings.HasPrefix(got, tc.prefix) || shape(rest, tc.hex) != shape(strings.TrimPrefix(tc.id, tc.prefix), tc.hex) {
					t.Fatalf("freshID(%q) = %q: not a new value of the same shape", tc.id, got)
				}
				seen[got] = true
			}
			if len(seen) < 19 {
				t.Fatalf("20 calls gave only %d distinct values", len(seen))
			}
		})
	}
}

// TestFloorTellsCountersThatDrewTheSameNumberApart is EasyBilling's
// create: a contract number and an action number drawn from two counters
// that stood at the same value. Each replay must write each under the
// number its own counter returns, formatted as that counter's numbers are.
func TestFloorTellsCountersThatDrewTheSameNumberApart(t *testing.T) {
	fake := &fakeDynamoDB{counters: map[string]int{"COUNTER#contract": 4, "COUNTER#action": 4}}
	client := fakeClient(fake, &tripCounter{})
	const id = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
	cctx, c := withCapture(context.Background())
	number := drawLikeTheStore(cctx, t, client, "contract", contract.FormatNumber)
	action := drawLikeTheStore(cctx, t, client, "action", contract.FormatActionNumber)
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	if _, err := client.TransactWriteItems(cctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("t"), Item: map[string]types.AttributeValue{"PK": s("TENANT#a"), "SK": s("ACTION#" + action), "contract": s(id)}}},
		{Put: &types.Put{TableName: aws.String("t"), Item: map[string]types.AttributeValue{"PK": s("TENANT#a"), "SK": s("CONTRACT#" + number), "id": s(id)}}},
	}}); err != nil {
		t.Fatal(err)
	}
	if number != "CT-0000000005" || action != "CA-0000000005" {
		t.Fatalf("drew %s and %s, want both counters at 5", number, action)
	}
	f, err := newFloor(c.list(), c.drawn(), []string{id, number, action})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.fresh) != 1 || f.fresh[0] != id {
		t.Fatalf("random values %v, want only the id: the numbers come from their counters", f.fresh)
	}
	// The action counter moves on alone, as another request's would.
	fake.counters["COUNTER#action"] += 10
	if err := f.run(context.Background(), client); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(fake.bodies[len(fake.bodies)-1])
	text := string(raw)
	for _, want := range []string{"CONTRACT#CT-0000000006", "ACTION#CA-0000000016"} {
		if !strings.Contains(text, want) {
			t.Errorf("the replayed transaction lacks %s: %s", want, text)
		}
	}
	if strings.Contains(text, id) {
		t.Errorf("the replay reused the captured id: %s", text)
	}

	if err := f.runTransaction(context.Background(), client, 7); err != nil {
		t.Fatal(err)
	}
	raw, _ = json.Marshal(fake.bodies[len(fake.bodies)-1])
	for _, want := range []string{"CONTRACT#CT-9000000014", "ACTION#CA-9000000015"} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("the raw transaction lacks %s: %s", want, raw)
		}
	}
}

func TestNewFloorRefusesWhatItCannotReplay(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	counter := func(n string) call {
		return call{
			Input:  &dynamodb.UpdateItemInput{TableName: aws.String("t"), Key: map[string]types.AttributeValue{"SK": s("COUNTER#contract")}},
			Output: &dynamodb.UpdateItemOutput{Attributes: map[string]types.AttributeValue{"last": &types.AttributeValueMemberN{Value: n}}},
		}
	}
	put := func(values ...string) call {
		item := map[string]types.AttributeValue{}
		for i, v := range values {
			item[fmt.Sprint("a", i)] = s(v)
		}
		return call{Input: &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String("t"), Item: item}}}}}
	}
	three := []draw{{format: contract.FormatNumber, n: 3}}
	const id = "ctr_abcdefghijklmnopqrstuvwx"
	for _, tc := range []struct {
		name  string
		calls []call
		draws []draw
		fresh []string
		want  string
	}{
		{"no operation", nil, nil, nil, "no DynamoDB operation"},
		{"an operation it cannot replay", []call{{Input: &dynamodb.ScanInput{}}}, nil, nil, "cannot replay"},
		{"a counter update no store method drew", []call{counter("3"), put("CT-0000000003")}, nil, nil, "no store method"},
		{"a draw that returned another number", []call{counter("3"), put("CT-0000000003")}, []draw{{format: contract.FormatNumber, n: 4}}, nil, "returned 4"},
		{"a draw without a counter update", []call{put("x")}, three, nil, "drew 1 numbers"},
		{"a number written before it is drawn", []call{put("CONTRACT#CT-0000000003"), counter("3"), put("CT-0000000003")}, three, nil, "before call 1 drew it"},
		{"a generated value no write carries", []call{counter("3"), put("CT-0000000003")}, three, []string{id}, "in no operation"},
		{"a generated value too short to replace", []call{counter("3"), put("CT-0000000003", "ab12")}, three, []string{"ab12"}, "too short"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newFloor(tc.calls, tc.draws, tc.fresh)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one saying %q", err, tc.want)
			}
		})
	}
	if _, err := newFloor([]call{counter("3"), put("CONTRACT#CT-0000000003", id)}, three, []string{id, "CT-0000000003"}); err != nil {
		t.Fatalf("a faithful capture: %v", err)
	}
}

func TestCopyInputRewritesEveryKeyOfABatchGet(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	in := &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{
		"t": {ConsistentRead: aws.Bool(true), Keys: []map[string]types.AttributeValue{
			{"PK": s("TENANT#a"), "SK": s("PLAN#p1")},
			{"PK": s("TENANT#a"), "SK": s("PLAN#p2")},
		}},
	}}
	out := copyInput(in, strings.NewReplacer("TENANT#a", "TENANT#b").Replace).(*dynamodb.BatchGetItemInput)
	got := out.RequestItems["t"]
	if len(got.Keys) != 2 || !*got.ConsistentRead {
		t.Fatalf("copied %+v", got)
	}
	for i, k := range got.Keys {
		if k["PK"].(*types.AttributeValueMemberS).Value != "TENANT#b" {
			t.Errorf("key %d not rewritten: %v", i, k["PK"])
		}
	}
	if in.RequestItems["t"].Keys[0]["PK"].(*types.AttributeValueMemberS).Value != "TENANT#a" {
		t.Fatal("rewriting the copy changed the captured input")
	}
	if !carries(in, "PLAN#p2") || carries(in, "PLAN#p3") {
		t.Fatal("carries does not see the keys of a batch get")
	}
}

func TestReplayedAnswersInTurnAndRefusesAnOutOfStepRequest(t *testing.T) {
	fake := &fakeDynamoDB{}
	cctx, c := withCapture(context.Background())
	createLikeTheStore(cctx, t, fakeClient(fake, &tripCounter{}), "ctr_abcdefghijklmnopqrstuvwx")
	answers := c.answers()
	if len(answers) != 2 || answers[0].op != "UpdateItem" || !strings.Contains(string(answers[0].body), `"N":"1"`) {
		t.Fatalf("recorded %+v", answers)
	}

	// A client over the recorded answers makes no request at all.
	rep := &replayed{answers: answers}
	client := fakeClient(&fakeDynamoDB{}, &tripCounter{})
	client = dynamodb.New(client.Options(), func(o *dynamodb.Options) {
		o.HTTPClient = rep
		o.RetryMaxAttempts = 1 // an out-of-step answer is final, not worth retries
	})
	for i := 0; i < 3; i++ {
		createLikeTheStore(context.Background(), t, client, "ctr_abcdefghijklmnopqrstuvwx")
	}
	if rep.given != 6 || rep.next["UpdateItem"] != 3 || rep.next["TransactWriteItems"] != 3 {
		t.Fatalf("%d answers given (%v), want 6: 3 of each", rep.given, rep.next)
	}
	if _, err := client.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String("t"), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "x"}}}); err == nil ||
		!strings.Contains(err.Error(), "out of step") {
		t.Fatalf("a Query answered with an UpdateItem's answer: err = %v", err)
	}
}
