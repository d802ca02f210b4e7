package contractevents_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/contractevents"
	"github.com/contracts-service/contracts/shared/contractevents/eventschema"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/metrics"
	"github.com/contracts-service/contracts/shared/metrics/metricstest"
)

const busName = "contracts-test-contract-events"

// fakeBus is EventBridge's PutEvents: it keeps every call's entries, and
// answers an entry with fail's error code when fail says so.
type fakeBus struct {
	mu    sync.Mutex
	calls [][]types.PutEventsRequestEntry
	// fail says, for the entry of the n-th put of its event (1, 2, ...),
	// which error code to answer; "" puts it.
	fail  func(d contractevents.Detail, n int) string
	tries map[string]int
	taken []contractevents.Detail
}

func (b *fakeBus) PutEvents(_ context.Context, in *eventbridge.PutEventsInput, _ ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tries == nil {
		b.tries = map[string]int{}
	}
	b.calls = append(b.calls, in.Entries)
	out := &eventbridge.PutEventsOutput{}
	for i, e := range in.Entries {
		d := detailOf(e)
		b.tries[d.EventID]++
		if b.fail != nil {
			if code := b.fail(d, b.tries[d.EventID]); code != "" {
				out.FailedEntryCount++
				out.Entries = append(out.Entries, types.PutEventsResultEntry{ErrorCode: aws.String(code), ErrorMessage: aws.String("injected")})
				continue
			}
		}
		b.taken = append(b.taken, d)
		out.Entries = append(out.Entries, types.PutEventsResultEntry{EventId: aws.String(fmt.Sprintf("eb-%d-%d", len(b.calls), i))})
	}
	return out, nil
}

// put returns the details of the entries the bus took, in the order it
// took them.
func (b *fakeBus) put() []contractevents.Detail {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.taken)
}

func detailOf(e types.PutEventsRequestEntry) contractevents.Detail {
	var d contractevents.Detail
	if err := json.Unmarshal([]byte(aws.ToString(e.Detail)), &d); err != nil {
		panic(err)
	}
	return d
}

// history is a table with its stream on, and the records of the changes
// every test here reads: contract A (Kukkingu) created, renamed twice and
// deleted, contract B (Aira) created and canceled, interleaved, each
// create with its counter and id items beside it.
type history struct {
	store   *ddb.Store
	stream  string
	records []events.DynamoDBEventRecord
	// contracts counts the records of contracts.
	contracts int
}

func newHistory(t *testing.T) *history {
	t.Helper()
	client, table, arn := ddbtest.NewStreamTable(t)
	ctx := context.Background()
	store := ddb.New(client, table)
	svc := contract.NewService(store)
	kukkingu := contract.Actor{TenantID: "tenant-a", CredentialID: "cred-k", Via: contract.APIKukkingu}
	aira := contract.Actor{TenantID: "tenant-a", CredentialID: "cred-a", Via: contract.APIAira}
	a := &contract.Contract{ID: "ctr_aaaaaaaaaaaaaaaaaaaaaaaa", Party: contract.Party{Kind: contract.PartyClient, ID: "clnt_1"}, Name: "A"}
	b := &contract.Contract{ID: "0f8fad5b-d9cb-469f-a165-70867728950e", Party: contract.Party{Kind: contract.PartyCustomer, ID: "cust-1"}}
	rename := func(name string) func(*contract.Contract) error {
		return func(c *contract.Contract) error { c.Name = name; return nil }
	}
	steps := []func() error{
		func() error { return svc.Create(ctx, kukkingu, nil, a, contract.CreateOptions{}) },
		func() error {
			return svc.Create(ctx, aira, nil, b, contract.CreateOptions{With: contracttest.NewParties(b)})
		},
		func() error { _, err := svc.Update(ctx, kukkingu, nil, a.ID, rename("A2")); return err },
		func() error {
			_, err := svc.Update(ctx, aira, nil, b.ID, func(c *contract.Contract) error { c.Status = contract.StatusCanceled; return nil })
			return err
		},
		func() error { _, err := svc.Update(ctx, kukkingu, nil, a.ID, rename("A3")); return err },
		func() error { return svc.Delete(ctx, kukkingu, nil, a.ID) },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	records := ddbtest.StreamRecords(t, arn)
	h := &history{store: store, stream: arn, records: records}
	for _, r := range records {
		if _, ok, _ := ddb.ContractChangeOf(r); ok {
			h.contracts++
		}
	}
	if h.contracts != len(steps) || len(records) <= h.contracts {
		t.Fatalf("the stream holds %d records, %d of contracts; want %d of contracts among others", len(records), h.contracts, len(steps))
	}
	return h
}

func (h *history) handler(bus contractevents.Bus, log *slog.Logger) *contractevents.Handler {
	hd := contractevents.NewHandler(bus, busName, h.store, h.stream, log)
	hd.Backoff = func(int) time.Duration { return time.Millisecond }
	return hd
}

var discard = slog.New(slog.DiscardHandler)

func handle(t *testing.T, hd *contractevents.Handler, records []events.DynamoDBEventRecord) events.DynamoDBEventResponse {
	t.Helper()
	resp, err := hd.Handle(context.Background(), events.DynamoDBEvent{Records: records})
	if err != nil {
		t.Fatalf("Handle: %v", err)
	}
	return resp
}

// want are the events of history, by contract, in order.
var want = map[string][]contractevents.Type{
	"CT-0000000001": {contractevents.Created, contractevents.Updated, contractevents.Updated, contractevents.Deleted},
	"CT-0000000002": {contractevents.Created, contractevents.Canceled},
}

// checkOnceInOrder fails unless put holds each change of history once,
// each contract's in the order of its versions, every detail within the
// schema.
func checkOnceInOrder(t *testing.T, put []contractevents.Detail) {
	t.Helper()
	ids := map[string]bool{}
	got := map[string][]contractevents.Type{}
	last := map[string]int64{}
	for _, d := range put {
		if ids[d.EventID] {
			t.Errorf("event %s (%s v%d) put twice", d.EventID, d.ContractNumber, d.Version)
		}
		ids[d.EventID] = true
		if d.Version <= last[d.ContractNumber] {
			t.Errorf("%s v%d put after v%d", d.ContractNumber, d.Version, last[d.ContractNumber])
		}
		last[d.ContractNumber] = d.Version
		got[d.ContractNumber] = append(got[d.ContractNumber], d.Type)
		raw, _ := json.Marshal(d)
		eventschema.Detail(t, raw)
	}
	for number, types := range want {
		if !slices.Equal(got[number], types) {
			t.Errorf("%s's events %v, want %v", number, got[number], types)
		}
	}
	if len(got) != len(want) {
		t.Errorf("events of %d contracts, want %d", len(got), len(want))
	}
}

func TestPublishesEveryChangeOnceInOrder(t *testing.T) {
	h := newHistory(t)
	bus := &fakeBus{}
	resp := handle(t, h.handler(bus, discard), h.records)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", resp.BatchItemFailures)
	}
	checkOnceInOrder(t, bus.put())
	for i, call := range bus.calls {
		contracts := map[string]bool{}
		for _, e := range call {
			d := detailOf(e)
			if contracts[d.ContractNumber] {
				t.Errorf("call %d puts two events of %s: EventBridge keeps no order within a call", i, d.ContractNumber)
			}
			contracts[d.ContractNumber] = true
			if aws.ToString(e.EventBusName) != busName || aws.ToString(e.Source) != contractevents.Source || aws.ToString(e.DetailType) != string(d.Type) {
				t.Errorf("entry %+v", e)
			}
		}
		if len(call) > contractevents.MaxEntries {
			t.Errorf("call %d has %d entries", i, len(call))
		}
	}
	for _, d := range bus.put() {
		wantDialect, wantBy := contract.APIKukkingu, "cred-k"
		if d.ContractNumber == "CT-0000000002" {
			wantDialect, wantBy = contract.APIAira, "cred-a"
		}
		if d.Dialect == nil || *d.Dialect != wantDialect || d.Principal == nil || *d.Principal != wantBy || d.TenantID != "tenant-a" {
			t.Errorf("%s v%d: dialect %v, principal %v, tenant %s", d.ContractNumber, d.Version, d.Dialect, d.Principal, d.TenantID)
		}
	}
}

// A batch Lambda hands over again (after a timeout, say) puts nothing it
// put before, whichever instance of the function runs it.
func TestRedeliveredBatchPutsNothingTwice(t *testing.T) {
	h := newHistory(t)
	first := &fakeBus{}
	handle(t, h.handler(first, discard), h.records)
	again := &fakeBus{}
	resp := handle(t, h.handler(again, discard), h.records)
	if len(resp.BatchItemFailures) != 0 || len(again.calls) != 0 {
		t.Errorf("the redelivery put %d calls, failures %v", len(again.calls), resp.BatchItemFailures)
	}
	checkOnceInOrder(t, append(first.put(), again.put()...))
}

// dyingBus is a bus whose invocation ends at its call number dieAt, as a
// function Lambda stops at its timeout does: no line of the handler
// after that call runs.
type dyingBus struct {
	fakeBus
	dieAt int
}

func (b *dyingBus) PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error) {
	b.mu.Lock()
	n := len(b.calls) + 1
	b.mu.Unlock()
	if n == b.dieAt {
		runtime.Goexit()
	}
	return b.fakeBus.PutEvents(ctx, in, opts...)
}

// An invocation stopped halfway (its timeout) has recorded what it put
// call by call, so the batch handed over again puts only the rest.
func TestStoppedInvocationLeavesOnlyTheRestToPut(t *testing.T) {
	h := newHistory(t)
	dying := &dyingBus{dieAt: 2}
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		h.handler(dying, discard).Handle(context.Background(), events.DynamoDBEvent{Records: h.records})
		t.Error("the invocation went on after it was stopped")
	}()
	<-stopped
	if len(dying.calls) != 1 || len(dying.put()) == 0 {
		t.Fatalf("the stopped invocation made %d calls and put %d events; want one call that put some", len(dying.calls), len(dying.put()))
	}
	again := &fakeBus{}
	if resp := handle(t, h.handler(again, discard), h.records); len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", resp.BatchItemFailures)
	}
	checkOnceInOrder(t, append(dying.put(), again.put()...))
}

// An entry PutEvents reports failed is put again, alone with whatever
// else failed, and nothing is put twice.
func TestFailedEntryIsPutAgainAlone(t *testing.T) {
	h := newHistory(t)
	var failedID string
	bus := &fakeBus{fail: func(d contractevents.Detail, n int) string {
		if d.ContractNumber == "CT-0000000002" && d.Type == contractevents.Created && n == 1 {
			failedID = d.EventID
			return "InternalFailure"
		}
		return ""
	}}
	resp := handle(t, h.handler(bus, discard), h.records)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", resp.BatchItemFailures)
	}
	checkOnceInOrder(t, bus.put())
	retried := -1
	for i, call := range bus.calls {
		for _, e := range call {
			if detailOf(e).EventID == failedID && i > 0 {
				retried = i
			}
		}
	}
	if retried < 0 {
		t.Fatalf("the failed entry was not put again: %d calls", len(bus.calls))
	}
	if n := len(bus.calls[retried]); n != 1 {
		t.Errorf("the failed entry was put again with %d entries, want alone", n)
	}
}

// An entry that stays failed ends the batch there: its record is the
// failure Lambda starts again from, and nothing after it is put, so
// nothing comes out of order; handed over again from there, every event
// is put once.
func TestPersistentFailureEndsTheBatch(t *testing.T) {
	h := newHistory(t)
	broken := true
	bus := &fakeBus{fail: func(d contractevents.Detail, _ int) string {
		if broken && d.ContractNumber == "CT-0000000001" && d.Version == 2 {
			return "ThrottlingException"
		}
		return ""
	}}
	hd := h.handler(bus, discard)
	resp := handle(t, hd, h.records)
	if len(resp.BatchItemFailures) != 1 {
		t.Fatalf("failures %v, want one", resp.BatchItemFailures)
	}
	at := slices.IndexFunc(h.records, func(r events.DynamoDBEventRecord) bool {
		return r.Change.SequenceNumber == resp.BatchItemFailures[0].ItemIdentifier
	})
	if at < 0 {
		t.Fatalf("failure %s names no record of the batch", resp.BatchItemFailures[0].ItemIdentifier)
	}
	ch, _, _ := ddb.ContractChangeOf(h.records[at])
	if ch.New == nil || ch.New.Number != "CT-0000000001" || ch.New.Version != 2 {
		t.Fatalf("the failure is record %d, not CT-0000000001 v2's", at)
	}
	for _, d := range bus.put() {
		if d.ContractNumber == "CT-0000000001" && d.Version > 2 {
			t.Errorf("%s v%d put after v2 failed", d.ContractNumber, d.Version)
		}
	}
	tries := 0
	for _, call := range bus.calls {
		for _, e := range call {
			if d := detailOf(e); d.ContractNumber == "CT-0000000001" && d.Version == 2 {
				tries++
			}
		}
	}
	if tries != contractevents.MaxPutAttempts {
		t.Errorf("the failing entry was put %d times, want %d", tries, contractevents.MaxPutAttempts)
	}
	broken = false
	resp = handle(t, hd, h.records[at:])
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %v", resp.BatchItemFailures)
	}
	checkOnceInOrder(t, bus.put())
}

// A record that cannot be read (another stream's, an image that does not
// decode) is the batch's failure; what came before it is put.
func TestUnreadableRecordEndsTheBatch(t *testing.T) {
	spoil := map[string]func(r *events.DynamoDBEventRecord){
		"another stream": func(r *events.DynamoDBEventRecord) {
			r.EventSourceArn = "arn:aws:dynamodb:us-east-1:123456789012:table/other/stream/2026-01-01T00:00:00.000"
		},
		"corrupt image": func(r *events.DynamoDBEventRecord) {
			image := map[string]events.DynamoDBAttributeValue{}
			for k, v := range r.Change.NewImage {
				image[k] = v
			}
			image["version"] = events.NewStringAttribute("three")
			r.Change.NewImage = image
		},
	}
	for name, spoil := range spoil {
		t.Run(name, func(t *testing.T) {
			h := newHistory(t)
			records := slices.Clone(h.records)
			// The third contract record, after the creates of A and B.
			at, seen := -1, 0
			for i, r := range records {
				if _, ok, _ := ddb.ContractChangeOf(r); ok {
					if seen++; seen == 3 {
						at = i
						break
					}
				}
			}
			spoil(&records[at])
			bus := &fakeBus{}
			var buf bytes.Buffer
			resp := handle(t, h.handler(bus, slog.New(slog.NewJSONHandler(&buf, nil))), records)
			if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != records[at].Change.SequenceNumber {
				t.Fatalf("failures %v, want record %d's", resp.BatchItemFailures, at)
			}
			if n := len(bus.put()); n != 2 {
				t.Errorf("%d events put, want the 2 before the record", n)
			}
			refused := 0
			for _, r := range metricstest.Records(t, &buf) {
				if r[metrics.DimOutcome] == metrics.OutcomeRefused {
					refused++
				}
			}
			if refused != 1 {
				t.Errorf("%d refusals logged, want 1:\n%s", refused, buf.String())
			}
		})
	}
}

// Each contract record writes one line, its EMF record: Deliveries by
// Function, Source dynamodb and Outcome; a record put before counts as a
// replay. Records of other items write none.
func TestDeliveriesAreCounted(t *testing.T) {
	h := newHistory(t)
	var buf bytes.Buffer
	// The lines survive a log that keeps only warnings.
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	handle(t, h.handler(&fakeBus{}, log), h.records)
	handle(t, h.handler(&fakeBus{}, log), h.records)
	records := metricstest.Records(t, &buf)
	if len(records) != 2*h.contracts {
		t.Fatalf("%d records, want one per contract record per delivery (%d):\n%s", len(records), 2*h.contracts, buf.String())
	}
	for i, r := range records {
		if r[metrics.DimSource] != metrics.SourceDynamoDBStream || r[metrics.DimOutcome] != metrics.OutcomeApplied || r[metrics.Deliveries] != 1.0 {
			t.Errorf("record %d: %v", i, r)
		}
		wantReplay := 0.0
		if i >= h.contracts {
			wantReplay = 1
		}
		if r[metrics.Replays] != wantReplay || r["eventId"] == nil || r["contractNumber"] == nil || r["tenant"] != "tenant-a" {
			t.Errorf("record %d: %v", i, r)
		}
		if got := metricstest.Dimensions(r, metrics.Deliveries); !slices.EqualFunc(got, [][]string{{metrics.DimFunction, metrics.DimSource, metrics.DimOutcome}}, slices.Equal) {
			t.Errorf("Deliveries by %v", got)
		}
	}
}
