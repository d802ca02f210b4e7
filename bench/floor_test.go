package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// fakeDynamoDB answers the SDK in-process, recording each request, so the
// capture and replay machinery can be tested without DynamoDB Local.
type fakeDynamoDB struct {
	mu      sync.Mutex
	counter int
	ops     []string
	bodies  []map[string]any
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
		f.counter++
		answer = `{"Attributes":{"last":{"N":"` + itoa(f.counter) + `"},"type":{"S":"counter"}}}`
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

// createLikeTheStore issues what a contract create issues: the counter
// update, then the transaction of the contract and its id item.
func createLikeTheStore(ctx context.Context, t *testing.T, client *dynamodb.Client, id string) {
	t.Helper()
	out, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String("t"),
		Key:                       map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "TENANT#a"}, "SK": &types.AttributeValueMemberS{Value: "COUNTER#contract"}},
		UpdateExpression:          aws.String("ADD #last :one"),
		ExpressionAttributeNames:  map[string]string{"#last": "last"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":one": &types.AttributeValueMemberN{Value: "1"}},
		ReturnValues:              types.ReturnValueUpdatedNew,
	})
	if err != nil {
		t.Fatal(err)
	}
	n, _ := counterValue(out.Attributes)
	number := "CT-" + strings.Repeat("0", 9) + itoa(int(n))
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	_, err = client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
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
	f, err := newFloor(c.list(), id)
	if err != nil {
		t.Fatal(err)
	}
	if f.number != "CT-0000000001" {
		t.Fatalf("the captured number is %q, want CT-0000000001", f.number)
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
	f, err := newFloor(c.list(), id)
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

func TestFreshIDKeepsPrefixAndLength(t *testing.T) {
	for _, id := range []string{"ctr_z23aoo8naxk68ewcr64tchh5", "3c90c3cc-0d44-4b50-8888-8dd25736052a"} {
		got := freshID(id)
		prefix := id[:strings.LastIndexByte(id, '_')+1]
		if len(got) != len(id) || !strings.HasPrefix(got, prefix) || got == id {
			t.Errorf("freshID(%q) = %q", id, got)
		}
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
	if rep.next.Load() != 6 {
		t.Fatalf("%d answers given, want 6", rep.next.Load())
	}
	if _, err := client.Query(context.Background(), &dynamodb.QueryInput{TableName: aws.String("t"), KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "x"}}}); err == nil ||
		!strings.Contains(err.Error(), "out of step") {
		t.Fatalf("a Query answered with an UpdateItem's answer: err = %v", err)
	}
}
