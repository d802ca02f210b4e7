package contractevents

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	smithytime "github.com/aws/smithy-go/time"

	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/logs"
	"github.com/contracts-service/contracts/shared/metrics"
)

// Ledger records which events were put on the bus, so that a stream
// record handed over again publishes nothing twice; *ddb.Store
// implements it.
type Ledger interface {
	Published(ctx context.Context, refs []ddb.EventRef) (map[ddb.EventRef]bool, error)
	MarkPublished(ctx context.Context, refs []ddb.EventRef, now time.Time) error
}

// MaxPutAttempts bounds how often one entry is put: an entry a PutEvents
// answer reports failed is put again, alone with the others that failed,
// up to this many times in all, within one invocation; after that its
// record is the batch's failure, and Lambda hands it over again.
const MaxPutAttempts = 4

// Handler is ContractEventsFunction's handler.
type Handler struct {
	bus       Bus
	busName   string
	ledger    Ledger
	streamARN string
	log       *slog.Logger
	// Now stamps the ledger's records; tests pin it.
	Now func() time.Time
	// Backoff is the wait before the given attempt (2, 3, ...) at the
	// entries that failed; tests shorten it.
	Backoff func(attempt int) time.Duration
}

// NewHandler returns the handler that puts the events of the records of
// streamARN on the bus named busName, through bus, remembering them in
// ledger.
func NewHandler(bus Bus, busName string, ledger Ledger, streamARN string, log *slog.Logger) *Handler {
	return &Handler{
		bus: bus, busName: busName, ledger: ledger, streamARN: streamARN, log: log,
		Now:     time.Now,
		Backoff: func(attempt int) time.Duration { return time.Duration(50<<attempt) * time.Millisecond },
	}
}

// outcome is what became of one contract record.
type outcome int

const (
	notTried outcome = iota
	put
	putBefore
	failed
)

// item is one contract record and its event.
type item struct {
	index  int // in the batch
	rec    *events.DynamoDBEventRecord
	detail *Detail
	entry  types.PutEventsRequestEntry
	ref    ddb.EventRef
	done   outcome
	// why is the last failure of its put: an error code and message.
	why string
}

// Handle puts the event of each contract record of the batch on the bus,
// in the batch's order, and reports as the batch's failure the first
// record it could not publish (Lambda then hands that record and every
// one after it over again, and nothing after it was put, so a contract's
// events stay in order). A record that is no contract's, or only files a
// contract anew in the store's indexes, publishes nothing; one that cannot be read (an image that does not decode,
// another stream's) is a failure, which ends, once Lambda's retries run
// out, on the mapping's on-failure destination.
func (h *Handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	log := h.log
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		logs.Invocation(lc.AwsRequestID)
		log = log.With("requestId", lc.AwsRequestID)
	}
	if xray := logs.XRayTraceID(ctx); xray != "" {
		log = log.With("xrayTraceId", xray)
	}
	resp := events.DynamoDBEventResponse{BatchItemFailures: []events.DynamoDBBatchItemFailure{}}

	var items []*item
	stop := -1
	for i := range ev.Records {
		rec := &ev.Records[i]
		it, skip, err := h.itemOf(i, rec)
		if skip {
			continue
		}
		if err != nil {
			stop = i
			log.LogAttrs(ctx, slog.LevelError, "stream record refused; it goes to the on-failure destination once Lambda's retries end",
				append([]slog.Attr{slog.String("sequenceNumber", rec.Change.SequenceNumber), slog.String("eventName", rec.EventName),
					slog.String("error", err.Error())},
					metrics.Delivery(time.Now(), metrics.SourceDynamoDBStream, metrics.OutcomeRefused, false, false, nil)...)...)
			break
		}
		items = append(items, it)
	}

	refs := make([]ddb.EventRef, len(items))
	for i, it := range items {
		refs[i] = it.ref
	}
	published, err := h.ledger.Published(ctx, refs)
	if err != nil {
		// At least once comes first: put them all; a consumer drops
		// what it has seen by the event id.
		log.Warn("could not read which events were put already; putting every one", "error", err.Error())
		published = nil
	}
	var toPut []*item
	for _, it := range items {
		if published[it.ref] {
			it.done = putBefore
		} else {
			toPut = append(toPut, it)
		}
	}
	firstFailed := h.putAll(ctx, log, toPut)

	failedAt := stop
	if firstFailed != nil && (failedAt < 0 || firstFailed.index < failedAt) {
		failedAt = firstFailed.index
	}
	for _, it := range items {
		// An item not tried, or skipped as put before, past the failure
		// is handed over again: told then.
		if it.done == notTried || (it.done == putBefore && failedAt >= 0 && it.index > failedAt) {
			continue
		}
		h.logItem(ctx, log, it)
	}
	if failedAt >= 0 {
		resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: ev.Records[failedAt].Change.SequenceNumber})
	}
	return resp, nil
}

// itemOf reads record i of the batch: skip when it is no contract's.
func (h *Handler) itemOf(i int, rec *events.DynamoDBEventRecord) (it *item, skip bool, err error) {
	if h.streamARN != "" && rec.EventSourceArn != h.streamARN {
		return nil, false, fmt.Errorf("the record comes from %q, not the table's stream", rec.EventSourceArn)
	}
	ch, ok, err := ddb.ContractChangeOf(*rec)
	if err != nil {
		return nil, false, err
	}
	if !ok || ch.Refiled() {
		return nil, true, nil
	}
	d, err := DetailOf(Change{Old: ch.Old, New: ch.New, RecordedAt: rec.Change.ApproximateCreationDateTime.Time})
	if err != nil {
		return nil, false, err
	}
	e, err := Entry(h.busName, d)
	if err != nil {
		return nil, false, err
	}
	return &item{index: i, rec: rec, detail: d, entry: e, ref: ddb.EventRef{TenantID: d.TenantID, ID: d.EventID}}, false, nil
}

// putAll puts the items' entries in order, in calls of at most MaxEntries
// entries and MaxRequestBytes, no two of one contract in a call (EventBridge
// does not promise the order of one call's entries), and stops at the
// first call that leaves an entry failed after MaxPutAttempts: it returns
// that call's first failed item, or nil when every entry was put.
func (h *Handler) putAll(ctx context.Context, log *slog.Logger, items []*item) *item {
	for i := 0; i < len(items); {
		var call []*item
		size := 0
		contracts := map[[2]string]bool{}
		for _, it := range items[i:] {
			k := [2]string{it.detail.TenantID, it.detail.ContractNumber}
			s := EntrySize(it.entry)
			if len(call) == MaxEntries || size+s > MaxRequestBytes || contracts[k] {
				break
			}
			call, size, contracts[k] = append(call, it), size+s, true
		}
		first := h.putCall(ctx, call)
		h.record(ctx, log, call)
		if first != nil {
			return first
		}
		i += len(call)
	}
	return nil
}

// record keeps in the ledger the events of call that were put, as soon as
// the call is over: an invocation that then runs out of time leaves
// Lambda to hand over again only what it had not put yet.
func (h *Handler) record(ctx context.Context, log *slog.Logger, call []*item) {
	var done []ddb.EventRef
	for _, it := range call {
		if it.done == put {
			done = append(done, it.ref)
		}
	}
	if len(done) == 0 {
		return
	}
	if err := h.ledger.MarkPublished(ctx, done, h.Now()); err != nil {
		log.Warn("could not record the events put; a redelivery would put them again", "error", err.Error(), "events", len(done))
	}
}

// putCall puts call's entries, and again those of them a PutEvents
// answer reports failed (only those), up to MaxPutAttempts. Each item
// ends put or failed; it returns the first failed, or nil.
func (h *Handler) putCall(ctx context.Context, call []*item) *item {
	remaining := call
	for attempt := 1; ; attempt++ {
		entries := make([]types.PutEventsRequestEntry, len(remaining))
		for i, it := range remaining {
			entries[i] = it.entry
		}
		out, err := h.bus.PutEvents(ctx, &eventbridge.PutEventsInput{Entries: entries})
		var still []*item
		switch {
		case err != nil:
			for _, it := range remaining {
				it.why = err.Error()
			}
			still = remaining
		case len(out.Entries) != len(remaining):
			for _, it := range remaining {
				it.why = fmt.Sprintf("PutEvents answered %d results for %d entries", len(out.Entries), len(remaining))
			}
			still = remaining
		default:
			for i, res := range out.Entries {
				if res.ErrorCode != nil {
					remaining[i].why = aws.ToString(res.ErrorCode) + ": " + aws.ToString(res.ErrorMessage)
					still = append(still, remaining[i])
				} else {
					remaining[i].done = put
				}
			}
		}
		if len(still) == 0 {
			return nil
		}
		if attempt == MaxPutAttempts || h.wait(ctx, attempt+1) != nil {
			for _, it := range still {
				it.done = failed
			}
			return still[0]
		}
		remaining = still
	}
}

// wait waits before attempt, unless ctx ends first (the invocation's
// deadline): a wait it cannot finish is not started.
func (h *Handler) wait(ctx context.Context, attempt int) error {
	d := h.Backoff(attempt)
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < d+time.Second {
		return errors.New("contractevents: no time left for another attempt")
	}
	return smithytime.SleepWithContext(ctx, d)
}

// logItem writes the one line of a contract record, which is also its
// metrics record (Deliveries, Source dynamodb).
func (h *Handler) logItem(ctx context.Context, log *slog.Logger, it *item) {
	attrs := []slog.Attr{
		slog.String("eventId", it.detail.EventID), slog.String("type", string(it.detail.Type)),
		slog.String("tenant", it.detail.TenantID), slog.String("contractNumber", it.detail.ContractNumber),
		slog.Int64("version", it.detail.Version), slog.String("sequenceNumber", it.rec.Change.SequenceNumber),
	}
	level, msg, outcome, replayed := slog.LevelInfo, "contract event put", metrics.OutcomeApplied, false
	switch it.done {
	case putBefore:
		msg, replayed = "contract event put before; not again", true
	case failed:
		level, msg, outcome = slog.LevelError, "contract event not put; Lambda hands its record over again", metrics.OutcomeFailed
		attrs = append(attrs, slog.String("error", it.why))
	}
	log.LogAttrs(ctx, max(level, metrics.Level(ctx, log)), msg,
		append(attrs, metrics.Delivery(time.Now(), metrics.SourceDynamoDBStream, outcome, replayed, false, nil)...)...)
}
