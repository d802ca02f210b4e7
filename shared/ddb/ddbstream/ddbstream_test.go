package ddbstream_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/ddb/ddbstream"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// table is a table with its stream on, and a way to write numbered items
// to it.
type table struct {
	t      *testing.T
	client *dynamodb.Client
	name   string
	arn    string
	n      int
}

func newTable(t *testing.T) *table {
	client, name, arn := ddbtest.NewStreamTable(t)
	return &table{t: t, client: client, name: name, arn: arn}
}

// write puts n items, k1, k2, ..., each a stream record.
func (tb *table) write(n int) {
	tb.t.Helper()
	for range n {
		tb.n++
		if _, err := tb.client.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(tb.name), Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "P"}, "SK": &types.AttributeValueMemberS{Value: fmt.Sprintf("k%d", tb.n)},
		}}); err != nil {
			tb.t.Fatal(err)
		}
	}
}

// fn is a function the mapping invokes: it keeps every batch, by the
// keys of its records, and answers as answer says.
type fn struct {
	mu      sync.Mutex
	batches [][]string
	answer  func(keys []string, batch []events.DynamoDBEventRecord) (resp []byte, fnErr error)
}

func keyOf(r events.DynamoDBEventRecord) string { return r.Change.Keys["SK"].String() }

func (f *fn) invoke(_ context.Context, payload []byte) ([]byte, error, error) {
	var ev events.DynamoDBEvent
	if err := json.Unmarshal(payload, &ev); err != nil {
		return nil, nil, err
	}
	var keys []string
	for _, r := range ev.Records {
		keys = append(keys, keyOf(r))
	}
	f.mu.Lock()
	f.batches = append(f.batches, keys)
	f.mu.Unlock()
	if f.answer == nil {
		return []byte(`{"batchItemFailures":[]}`), nil, nil
	}
	resp, fnErr := f.answer(keys, ev.Records)
	return resp, fnErr, nil
}

func (f *fn) seen() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.batches)
}

// run runs m until done reports true, then stops it.
func run(t *testing.T, m *ddbstream.Mapping, done func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error, 1)
	go func() { stopped <- m.Run(ctx) }()
	deadline := time.Now().Add(time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			cancel()
			<-stopped
			t.Fatal("the mapping did not get there within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v", err)
	}
}

func (tb *table) mapping(f *fn) *ddbstream.Mapping {
	client, err := ddbstream.NewClient()
	if err != nil {
		tb.t.Fatal(err)
	}
	return &ddbstream.Mapping{Client: client, StreamARN: tb.arn, Region: "us-east-1", Invoke: f.invoke,
		BatchSize: 3, MaximumRetryAttempts: 2, Bisect: true, PollInterval: 10 * time.Millisecond, RetryWait: time.Millisecond}
}

func keys(from, to int) []string {
	var out []string
	for i := from; i <= to; i++ {
		out = append(out, fmt.Sprintf("k%d", i))
	}
	return out
}

// delivered are the keys of the batches, in order, each batch's first
// record the one after the last delivered in full.
func flat(batches [][]string) []string {
	var out []string
	for _, b := range batches {
		out = append(out, b...)
	}
	return out
}

// A function that takes every batch gets every record once, in the
// stream's order, in batches of at most BatchSize, as Lambda's events.
func TestMappingDeliversInOrder(t *testing.T) {
	tb := newTable(t)
	tb.write(7)
	f := &fn{}
	m := tb.mapping(f)
	run(t, m, func() bool { return len(flat(f.seen())) >= 7 })
	if got := flat(f.seen()); !slices.Equal(got, keys(1, 7)) {
		t.Errorf("delivered %v", got)
	}
	for _, b := range f.seen() {
		if len(b) > 3 {
			t.Errorf("a batch of %d", len(b))
		}
	}
}

// A batch whose answer names a failed record is handed over again from
// that record on, never before it; nothing else is redelivered.
func TestMappingRetriesFromTheReportedRecord(t *testing.T) {
	tb := newTable(t)
	tb.write(6)
	failed := false
	var mu sync.Mutex
	f := &fn{answer: func(keys []string, batch []events.DynamoDBEventRecord) ([]byte, error) {
		mu.Lock()
		defer mu.Unlock()
		if i := slices.Index(keys, "k5"); i >= 0 && !failed {
			failed = true
			return fmt.Appendf(nil, `{"batchItemFailures":[{"itemIdentifier":%q}]}`, batch[i].Change.SequenceNumber), nil
		}
		return []byte(`{}`), nil
	}}
	run(t, tb.mapping(f), func() bool { return len(flat(f.seen())) >= 7 })
	want := [][]string{{"k1", "k2", "k3"}, {"k4", "k5", "k6"}, {"k5", "k6"}}
	if got := f.seen(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("batches %v, want %v", got, want)
	}
}

// A batch the function keeps failing is split until the record at fault
// stands alone; that record, once its retries are used, is described on
// the on-failure destination, and the stream goes on past it.
func TestMappingBisectsAndGivesUp(t *testing.T) {
	tb := newTable(t)
	tb.write(6)
	var mu sync.Mutex
	var failures []ddbstream.Failure
	f := &fn{answer: func(keys []string, _ []events.DynamoDBEventRecord) ([]byte, error) {
		if slices.Contains(keys, "k2") {
			return nil, errors.New("poisoned")
		}
		return nil, nil
	}}
	m := tb.mapping(f)
	var k2 string
	m.OnFailure = func(_ context.Context, fl ddbstream.Failure) error {
		mu.Lock()
		defer mu.Unlock()
		failures = append(failures, fl)
		return nil
	}
	run(t, m, func() bool {
		return slices.Contains(flat(f.seen()), "k6")
	})
	for _, r := range ddbtest.StreamRecords(t, tb.arn) {
		if keyOf(r) == "k2" {
			k2 = r.Change.SequenceNumber
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(failures) != 1 {
		t.Fatalf("%d failures sent, want 1: %+v", len(failures), failures)
	}
	info := failures[0].DDBStreamBatchInfo
	if info.StartSequenceNumber != k2 || info.EndSequenceNumber != k2 || info.BatchSize != 1 || info.StreamArn != tb.arn || info.ShardID == "" ||
		failures[0].RequestContext.Condition != ddbstream.RetryAttemptsExhausted || failures[0].ResponseContext.FunctionError == "" {
		t.Errorf("failure %+v, want k2 (%s) alone, its retries exhausted", failures[0], k2)
	}
	ok := map[string]bool{}
	for _, b := range f.seen() {
		if !slices.Contains(b, "k2") {
			for _, k := range b {
				ok[k] = true
			}
		}
	}
	for _, k := range []string{"k1", "k3", "k4", "k5", "k6"} {
		if !ok[k] {
			t.Errorf("%s was never delivered in a batch that succeeded: %v", k, f.seen())
		}
	}
}

// A mapping started again resumes after the last record it had done, as
// its checkpoint file says.
func TestMappingResumesFromItsCheckpoints(t *testing.T) {
	tb := newTable(t)
	tb.write(4)
	file := &ddbstream.FileCheckpoints{Path: filepath.Join(t.TempDir(), "checkpoints.json"), Stream: tb.arn}
	first := &fn{}
	m := tb.mapping(first)
	m.Checkpoints = file
	run(t, m, func() bool { return len(flat(first.seen())) >= 4 })
	tb.write(2)
	second := &fn{}
	m = tb.mapping(second)
	m.Checkpoints = &ddbstream.FileCheckpoints{Path: file.Path, Stream: tb.arn}
	run(t, m, func() bool { return len(flat(second.seen())) >= 2 })
	if got := flat(second.seen()); !slices.Equal(got, keys(5, 6)) {
		t.Errorf("after a restart, delivered %v, want k5 and k6", got)
	}
	// A file of another stream is not this one's.
	third := &fn{}
	m = tb.mapping(third)
	m.Checkpoints = &ddbstream.FileCheckpoints{Path: file.Path, Stream: tb.arn + "-other"}
	run(t, m, func() bool { return len(flat(third.seen())) >= 6 })
	if got := flat(third.seen()); !slices.Equal(got, keys(1, 6)) {
		t.Errorf("with another stream's checkpoints, delivered %v, want all", got)
	}
}

// Records the mapping's filter passes over never reach the function, and
// the shard's position moves past them: a restart hands over none of
// them, nor anything the function took.
func TestMappingPassesOverFilteredRecords(t *testing.T) {
	tb := newTable(t)
	tb.write(7)
	even := func(r events.DynamoDBEventRecord) bool {
		var n int
		fmt.Sscanf(keyOf(r), "k%d", &n)
		return n%2 == 0
	}
	file := &ddbstream.FileCheckpoints{Path: filepath.Join(t.TempDir(), "checkpoints.json"), Stream: tb.arn}
	f := &fn{}
	m := tb.mapping(f)
	m.Filter, m.Checkpoints = even, file
	records := ddbtest.StreamRecords(t, tb.arn)
	last := records[len(records)-1].Change.SequenceNumber
	run(t, m, func() bool {
		positions, err := file.Load()
		for _, p := range positions {
			if err == nil && p.Sequence == last {
				return true
			}
		}
		return false
	})
	if got := flat(f.seen()); !slices.Equal(got, []string{"k2", "k4", "k6"}) {
		t.Fatalf("delivered %v, want the even keys alone", got)
	}
	tb.write(1)
	again := &fn{}
	m = tb.mapping(again)
	m.Filter, m.Checkpoints = func(events.DynamoDBEventRecord) bool { return true }, &ddbstream.FileCheckpoints{Path: file.Path, Stream: tb.arn}
	run(t, m, func() bool { return len(flat(again.seen())) >= 1 })
	if got := flat(again.seen()); !slices.Equal(got, []string{"k8"}) {
		t.Errorf("after a restart, delivered %v, want only the record written since (k7 was passed over)", got)
	}
}
