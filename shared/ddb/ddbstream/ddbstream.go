// Package ddbstream reads a table's DynamoDB stream through the Streams
// API and hands its records to a function as Lambda's event source
// mapping does, for local runs (make run, against DynamoDB Local, which
// implements the Streams API) and tests. Deployed, Lambda itself polls.
//
// What it follows of Lambda's documented behaviour for DynamoDB streams
// (https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html): each
// shard is read in order, one batch at a time, a child shard only once
// its parent is done; a batch is Lambda's DynamoDBEvent (records with
// eventSourceARN, awsRegion and the images in DynamoDB's JSON); with
// ReportBatchItemFailures the response's lowest failed sequence number is
// where the next attempt starts, and an empty or null list is success; a
// function error fails the whole batch, which BisectBatchOnFunctionError
// splits in two (a split counts no retry); a batch weighs at most the 6 MB
// of a synchronous invocation's payload; after MaximumRetryAttempts
// retries, or once the batch's oldest record is older than
// MaximumRecordAgeInSeconds, the batch is discarded and its description
// (DDBStreamBatchInfo) sent to the on-failure destination; the shard's
// position moves past what succeeded or was discarded. What it leaves
// out: parallelization factors, filter criteria, batching windows and
// tumbling windows, which change when records come, not what or in which
// order. DynamoDB Local's own difference from DynamoDB (an empty map
// written {}) is read as DynamoDB writes it (see localQuirks).
package ddbstream

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"
	smithytime "github.com/aws/smithy-go/time"

	"github.com/contracts-service/contracts/shared/awsenv"
)

// NewClient returns a DynamoDB Streams client configured from the
// environment as Lambda provides it (see awsenv), its endpoint overridden
// by AWS_ENDPOINT_URL_DYNAMODB_STREAMS, else AWS_ENDPOINT_URL_DYNAMODB
// (DynamoDB Local serves both APIs on one port), else AWS_ENDPOINT_URL.
func NewClient() (*dynamodbstreams.Client, error) {
	cfg, err := awsenv.Config("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "AWS_ENDPOINT_URL_DYNAMODB")
	if err != nil {
		return nil, fmt.Errorf("ddbstream: %w", err)
	}
	cfg.HTTPClient = localQuirks{next: awshttp.NewBuildableClient()}
	return dynamodbstreams.NewFromConfig(cfg), nil
}

// localQuirks reads GetRecords answers as DynamoDB writes them where
// DynamoDB Local writes them otherwise: it writes an empty map attribute
// as {} where DynamoDB writes {"M":{}}, which the SDK cannot read (it
// takes it for another attribute's value), and the store writes empty
// maps (an Aira contract's billing terms with none set). DynamoDB never
// writes {}, so the rewrite changes nothing of its answers.
type localQuirks struct{ next dynamodbstreams.HTTPClient }

func (c localQuirks) Do(r *http.Request) (*http.Response, error) {
	resp, err := c.next.Do(r)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasSuffix(r.Header.Get("X-Amz-Target"), ".GetRecords") {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	if fixed, err := emptyMaps(body); err == nil {
		body = fixed
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	resp.Header.Del("X-Amz-Crc32")
	return resp, nil
}

// emptyMaps rewrites every attribute value {} of a GetRecords answer's
// images as {"M":{}}.
func emptyMaps(body []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out struct {
		Records           []map[string]any `json:"Records"`
		NextShardIterator *string          `json:"NextShardIterator"`
	}
	if err := dec.Decode(&out); err != nil {
		return nil, err
	}
	var fix func(v any) any
	fix = func(v any) any {
		av, ok := v.(map[string]any)
		if !ok {
			return v
		}
		if len(av) == 0 {
			return map[string]any{"M": map[string]any{}}
		}
		if m, ok := av["M"].(map[string]any); ok {
			for k, e := range m {
				m[k] = fix(e)
			}
		}
		if l, ok := av["L"].([]any); ok {
			for i, e := range l {
				l[i] = fix(e)
			}
		}
		return av
	}
	for _, rec := range out.Records {
		d, _ := rec["dynamodb"].(map[string]any)
		for _, name := range []string{"Keys", "NewImage", "OldImage"} {
			if img, ok := d[name].(map[string]any); ok {
				for k, v := range img {
					img[k] = fix(v)
				}
			}
		}
	}
	return json.Marshal(out)
}

// LambdaRecord is r as Lambda hands it to a function, read from the
// stream streamARN in region.
func LambdaRecord(r types.Record, streamARN, region string) events.DynamoDBEventRecord {
	out := events.DynamoDBEventRecord{
		AWSRegion:      cmp.Or(aws.ToString(r.AwsRegion), region),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    cmp.Or(aws.ToString(r.EventSource), "aws:dynamodb"),
		EventVersion:   cmp.Or(aws.ToString(r.EventVersion), "1.1"),
		EventSourceArn: streamARN,
	}
	if r.UserIdentity != nil {
		out.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	if d := r.Dynamodb; d != nil {
		out.Change = events.DynamoDBStreamRecord{
			Keys: image(d.Keys), NewImage: image(d.NewImage), OldImage: image(d.OldImage),
			SequenceNumber: aws.ToString(d.SequenceNumber), SizeBytes: aws.ToInt64(d.SizeBytes),
			StreamViewType: string(d.StreamViewType),
		}
		if d.ApproximateCreationDateTime != nil {
			out.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: *d.ApproximateCreationDateTime}
		}
	}
	return out
}

func image(m map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	if m == nil {
		return nil
	}
	out := make(map[string]events.DynamoDBAttributeValue, len(m))
	for k, v := range m {
		out[k] = value(v)
	}
	return out
}

func value(v types.AttributeValue) events.DynamoDBAttributeValue {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return events.NewStringAttribute(v.Value)
	case *types.AttributeValueMemberN:
		return events.NewNumberAttribute(v.Value)
	case *types.AttributeValueMemberB:
		return events.NewBinaryAttribute(v.Value)
	case *types.AttributeValueMemberBOOL:
		return events.NewBooleanAttribute(v.Value)
	case *types.AttributeValueMemberNULL:
		return events.NewNullAttribute()
	case *types.AttributeValueMemberSS:
		return events.NewStringSetAttribute(v.Value)
	case *types.AttributeValueMemberNS:
		return events.NewNumberSetAttribute(v.Value)
	case *types.AttributeValueMemberBS:
		return events.NewBinarySetAttribute(v.Value)
	case *types.AttributeValueMemberL:
		list := make([]events.DynamoDBAttributeValue, len(v.Value))
		for i, e := range v.Value {
			list[i] = value(e)
		}
		return events.NewListAttribute(list)
	case *types.AttributeValueMemberM:
		return events.NewMapAttribute(image(v.Value))
	}
	// The SDK's union has no other member; an unknown one (a newer
	// service) reads as null rather than as a wrong value.
	return events.NewNullAttribute()
}

// Invoke runs the function with one batch (a DynamoDBEvent as JSON) and
// returns its response, or its error (the function failed: Lambda's
// Unhandled or Handled error), or err when the invocation could not be
// made at all.
type Invoke func(ctx context.Context, payload []byte) (response []byte, fnErr error, err error)

// Failure is what Lambda sends a stream mapping's on-failure destination
// for a batch it discarded: the invocation record with the batch's
// description, never its records (they stay in the stream, 24 hours).
type Failure struct {
	RequestContext struct {
		RequestID              string `json:"requestId"`
		FunctionArn            string `json:"functionArn"`
		Condition              string `json:"condition"`
		ApproximateInvokeCount int    `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	ResponseContext struct {
		StatusCode      int    `json:"statusCode"`
		ExecutedVersion string `json:"executedVersion"`
		FunctionError   string `json:"functionError,omitempty"`
	} `json:"responseContext"`
	Version            string    `json:"version"`
	Timestamp          string    `json:"timestamp"`
	DDBStreamBatchInfo BatchInfo `json:"DDBStreamBatchInfo"`
}

// BatchInfo describes a discarded batch: where its records are.
type BatchInfo struct {
	ShardID                         string `json:"shardId"`
	StartSequenceNumber             string `json:"startSequenceNumber"`
	EndSequenceNumber               string `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord string `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  string `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int    `json:"batchSize"`
	StreamArn                       string `json:"streamArn"`
}

// Conditions of a Failure.
const (
	RetryAttemptsExhausted = "RetryAttemptsExhausted"
	RecordAgeExceeded      = "RecordAgeExceeded"
)

// Mapping is one event source mapping of a stream to a function, with
// the settings of template.yaml's AWS::Lambda::EventSourceMapping.
type Mapping struct {
	Client    *dynamodbstreams.Client
	StreamARN string
	// Region is the records' awsRegion.
	Region string
	// FunctionArn names the function in a Failure.
	FunctionArn string
	Invoke      Invoke
	// Filter, when set, says which records reach the function (the
	// mapping's FilterCriteria); the others are passed over, and the
	// shard's position moves past them.
	Filter func(events.DynamoDBEventRecord) bool
	// BatchSize is the most records of one batch (100 when zero).
	BatchSize int
	// MaximumRetryAttempts bounds the retries of a batch (0: none).
	MaximumRetryAttempts int
	// MaximumRecordAge discards a batch whose oldest record is older
	// (never when zero).
	MaximumRecordAge time.Duration
	// Bisect splits a batch the function failed in two.
	Bisect bool
	// OnFailure receives what Lambda would send the on-failure
	// destination; nil drops it.
	OnFailure func(ctx context.Context, f Failure) error
	// Checkpoints keeps each shard's position; nil keeps it in memory.
	Checkpoints Checkpoints
	// PollInterval is the wait after a read that found nothing (250 ms
	// when zero; Lambda polls a shard four times a second).
	PollInterval time.Duration
	// RetryWait is the wait before a batch's next attempt (1 s when zero).
	RetryWait time.Duration
	// Log receives one line per discarded batch and per error; nil
	// drops them.
	Log func(format string, args ...any)
}

// Checkpoints keeps, per shard, the sequence number of the last record
// done (succeeded or discarded), and which shards are done to their end,
// so that a restart resumes where the last run stopped, as Lambda's
// mapping does.
type Checkpoints interface {
	Load() (map[string]Position, error)
	Save(shardID string, p Position) error
}

// Position is a shard's checkpoint.
type Position struct {
	// Sequence is the last record done; empty for none.
	Sequence string `json:"sequence,omitempty"`
	// Closed says every record of the shard is done and it has ended.
	Closed bool `json:"closed,omitempty"`
}

// memory is Checkpoints kept in memory.
type memory struct {
	mu sync.Mutex
	m  map[string]Position
}

func (c *memory) Load() (map[string]Position, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.positions(), nil
}

// positions is a copy of the positions, for a caller that may change
// it; c.mu is held.
func (c *memory) positions() map[string]Position {
	out := make(map[string]Position, len(c.m))
	maps.Copy(out, c.m)
	return out
}

func (c *memory) Save(shard string, p Position) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.set(shard, p)
	return nil
}

// set records p as shard's position; c.mu is held.
func (c *memory) set(shard string, p Position) {
	if c.m == nil {
		c.m = map[string]Position{}
	}
	c.m[shard] = p
}

// FileCheckpoints keeps the checkpoints of one stream in a JSON file,
// written whole on every save. A file of another stream (the table was
// made anew) is not read.
type FileCheckpoints struct {
	Path   string
	Stream string
	memory
}

type checkpointFile struct {
	Stream string              `json:"stream"`
	Shards map[string]Position `json:"shards"`
}

func (f *FileCheckpoints) Load() (map[string]Position, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m = map[string]Position{}
	data, err := os.ReadFile(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return map[string]Position{}, nil
	}
	if err != nil {
		return nil, err
	}
	var cf checkpointFile
	if err := json.Unmarshal(data, &cf); err != nil {
		return nil, fmt.Errorf("ddbstream: %s: %w", f.Path, err)
	}
	if cf.Stream == f.Stream {
		maps.Copy(f.m, cf.Shards)
	}
	return f.positions(), nil
}

func (f *FileCheckpoints) Save(shard string, p Position) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.set(shard, p)
	data, err := json.Marshal(checkpointFile{Stream: f.Stream, Shards: f.m})
	if err != nil {
		return err
	}
	tmp := f.Path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, f.Path)
}

// Run polls the stream and delivers its records until ctx ends; it
// returns ctx's error, or an error that stops it (the stream is gone).
func (m *Mapping) Run(ctx context.Context) error {
	if m.Checkpoints == nil {
		m.Checkpoints = &memory{}
	}
	positions, err := m.Checkpoints.Load()
	if err != nil {
		return err
	}
	var mu sync.Mutex
	done := map[string]bool{}    // shards read to their end
	started := map[string]bool{} // shards with a reader
	for id, p := range positions {
		if p.Closed {
			done[id] = true
		}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		shards, err := m.shards(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		known := map[string]bool{}
		for _, s := range shards {
			known[aws.ToString(s.ShardId)] = true
		}
		mu.Lock()
		for _, s := range shards {
			id, parent := aws.ToString(s.ShardId), aws.ToString(s.ParentShardId)
			// A child waits for its parent to be read to its end, unless
			// the parent is no longer in the stream (trimmed).
			if started[id] || done[id] || (parent != "" && known[parent] && !done[parent]) {
				continue
			}
			started[id] = true
			wg.Go(func() {
				err := m.readShard(ctx, id)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					done[id] = true
					return
				}
				started[id] = false
				if ctx.Err() == nil {
					m.logf("ddbstream: shard %s: %v", id, err)
				}
			})
		}
		mu.Unlock()
		if err := smithytime.SleepWithContext(ctx, m.pollInterval()*4); err != nil {
			return err
		}
	}
}

func (m *Mapping) logf(format string, args ...any) {
	if m.Log != nil {
		m.Log(format, args...)
	}
}

func (m *Mapping) pollInterval() time.Duration {
	return cmp.Or(m.PollInterval, 250*time.Millisecond)
}

// shards lists every shard of the stream.
func (m *Mapping) shards(ctx context.Context) ([]types.Shard, error) {
	var out []types.Shard
	var start *string
	for {
		d, err := m.Client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: aws.String(m.StreamARN), ExclusiveStartShardId: start})
		if err != nil {
			return nil, fmt.Errorf("ddbstream: describe %s: %w", m.StreamARN, err)
		}
		out = append(out, d.StreamDescription.Shards...)
		start = d.StreamDescription.LastEvaluatedShardId
		if start == nil {
			return out, nil
		}
	}
}

// iterator opens the shard after its checkpoint, or at its trim horizon
// when it has none (StartingPosition TRIM_HORIZON) or the checkpoint is
// trimmed away.
func (m *Mapping) iterator(ctx context.Context, shard string, from Position) (*string, error) {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: aws.String(m.StreamARN), ShardId: aws.String(shard), ShardIteratorType: types.ShardIteratorTypeTrimHorizon}
	if from.Sequence != "" {
		in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeAfterSequenceNumber, aws.String(from.Sequence)
	}
	out, err := m.Client.GetShardIterator(ctx, in)
	var trimmed *types.TrimmedDataAccessException
	if errors.As(err, &trimmed) {
		in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeTrimHorizon, nil
		out, err = m.Client.GetShardIterator(ctx, in)
	}
	if err != nil {
		return nil, fmt.Errorf("ddbstream: iterator of shard %s: %w", shard, err)
	}
	return out.ShardIterator, nil
}

// readShard delivers the shard's records from its checkpoint on, and
// returns nil once the shard has ended and every record is done.
func (m *Mapping) readShard(ctx context.Context, shard string) error {
	positions, err := m.Checkpoints.Load()
	if err != nil {
		return err
	}
	it, err := m.iterator(ctx, shard, positions[shard])
	if err != nil {
		return err
	}
	for it != nil {
		out, err := m.Client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it, Limit: aws.Int32(int32(m.batchSize()))})
		var expired *types.ExpiredIteratorException
		if errors.As(err, &expired) {
			// An iterator lives 15 minutes: open another after the
			// checkpoint.
			positions, lerr := m.Checkpoints.Load()
			if lerr != nil {
				return lerr
			}
			if it, err = m.iterator(ctx, shard, positions[shard]); err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("ddbstream: records of shard %s: %w", shard, err)
		}
		if len(out.Records) > 0 {
			batch := make([]events.DynamoDBEventRecord, 0, len(out.Records))
			for _, r := range out.Records {
				if rec := LambdaRecord(r, m.StreamARN, m.Region); m.Filter == nil || m.Filter(rec) {
					batch = append(batch, rec)
				}
			}
			if err := m.deliver(ctx, shard, batch, 0); err != nil {
				return err
			}
			// What the filter passed over after the batch is done too.
			last := LambdaRecord(out.Records[len(out.Records)-1], m.StreamARN, m.Region)
			if err := m.checkpoint(shard, last); err != nil {
				return err
			}
		}
		it = out.NextShardIterator
		if len(out.Records) == 0 && it != nil {
			if err := smithytime.SleepWithContext(ctx, m.pollInterval()); err != nil {
				return err
			}
		}
	}
	if positions, err = m.Checkpoints.Load(); err != nil {
		return err
	}
	p := positions[shard]
	p.Closed = true
	return m.Checkpoints.Save(shard, p)
}

func (m *Mapping) batchSize() int { return cmp.Or(m.BatchSize, 100) }

// maxPayloadBytes is the most a synchronous invocation's payload may
// weigh, which bounds what Lambda puts in one batch.
const maxPayloadBytes = 6 * 1024 * 1024

// deliver hands batch to the function until it succeeds or is discarded,
// moving the shard's checkpoint past what is done; retries is what the
// batch's records have used of MaximumRetryAttempts.
func (m *Mapping) deliver(ctx context.Context, shard string, batch []events.DynamoDBEventRecord, retries int) error {
	for len(batch) > 0 {
		payload, err := json.Marshal(events.DynamoDBEvent{Records: batch})
		if err != nil {
			return err
		}
		if len(payload) > maxPayloadBytes && len(batch) > 1 {
			// Lambda hands a function at most 6 MB: a batch of large
			// items goes in smaller ones.
			half := len(batch) / 2
			if err := m.deliver(ctx, shard, batch[:half], retries); err != nil {
				return err
			}
			batch = batch[half:]
			continue
		}
		resp, fnErr, err := m.Invoke(ctx, payload)
		if err != nil {
			return err
		}
		failedFrom := -1
		if fnErr != nil {
			failedFrom = 0
		} else {
			failedFrom = firstFailed(resp, batch)
		}
		if failedFrom < 0 {
			return m.checkpoint(shard, batch[len(batch)-1])
		}
		if failedFrom > 0 {
			if err := m.checkpoint(shard, batch[failedFrom-1]); err != nil {
				return err
			}
			batch = batch[failedFrom:]
		}
		condition := ""
		switch {
		case retries >= m.MaximumRetryAttempts:
			condition = RetryAttemptsExhausted
		case m.MaximumRecordAge > 0 && time.Since(batch[0].Change.ApproximateCreationDateTime.Time) > m.MaximumRecordAge:
			condition = RecordAgeExceeded
		}
		if condition != "" {
			return m.discard(ctx, shard, batch, condition, retries+1, fnErr)
		}
		retries++
		if err := smithytime.SleepWithContext(ctx, cmp.Or(m.RetryWait, time.Second)); err != nil {
			return err
		}
		if fnErr != nil && m.Bisect && len(batch) > 1 {
			half := len(batch) / 2
			if err := m.deliver(ctx, shard, batch[:half], retries); err != nil {
				return err
			}
			batch = batch[half:]
		}
	}
	return nil
}

// firstFailed is the index in batch of the lowest sequence number a
// function's response reports failed, -1 for none. A response that is
// not a DynamoDBEventResponse, or names a record not in the batch, fails
// the whole batch, as Lambda treats it.
func firstFailed(resp []byte, batch []events.DynamoDBEventRecord) int {
	trimmed := strings.TrimSpace(string(resp))
	if trimmed == "" || trimmed == "null" {
		return -1
	}
	var r events.DynamoDBEventResponse
	if err := json.Unmarshal(resp, &r); err != nil {
		return 0
	}
	first := -1
	for _, f := range r.BatchItemFailures {
		i := -1
		for j, rec := range batch {
			if rec.Change.SequenceNumber == f.ItemIdentifier {
				i = j
				break
			}
		}
		if f.ItemIdentifier == "" || i < 0 {
			return 0
		}
		if first < 0 || i < first {
			first = i
		}
	}
	return first
}

func (m *Mapping) checkpoint(shard string, last events.DynamoDBEventRecord) error {
	return m.Checkpoints.Save(shard, Position{Sequence: last.Change.SequenceNumber})
}

// discard sends the batch's description to the on-failure destination
// and moves the checkpoint past it.
func (m *Mapping) discard(ctx context.Context, shard string, batch []events.DynamoDBEventRecord, condition string, invokes int, fnErr error) error {
	var f Failure
	f.Version = "1.0"
	f.Timestamp = time.Now().UTC().Format("2006-01-02T15:04:05.000Z")
	f.RequestContext.RequestID = batch[0].EventID
	f.RequestContext.FunctionArn = m.FunctionArn
	f.RequestContext.Condition = condition
	f.RequestContext.ApproximateInvokeCount = invokes
	f.ResponseContext.StatusCode = 200
	f.ResponseContext.ExecutedVersion = "$LATEST"
	if fnErr != nil {
		f.ResponseContext.FunctionError = "Unhandled"
	}
	first, last := batch[0].Change, batch[len(batch)-1].Change
	f.DDBStreamBatchInfo = BatchInfo{
		ShardID: shard, StartSequenceNumber: first.SequenceNumber, EndSequenceNumber: last.SequenceNumber,
		ApproximateArrivalOfFirstRecord: first.ApproximateCreationDateTime.UTC().Format(time.RFC3339),
		ApproximateArrivalOfLastRecord:  last.ApproximateCreationDateTime.UTC().Format(time.RFC3339),
		BatchSize:                       len(batch), StreamArn: m.StreamARN,
	}
	m.logf("ddbstream: discarded %d records of shard %s (%s to %s): %s", len(batch), shard, first.SequenceNumber, last.SequenceNumber, condition)
	if m.OnFailure != nil {
		if err := m.OnFailure(ctx, f); err != nil {
			m.logf("ddbstream: on-failure destination: %v", err)
		}
	}
	return m.checkpoint(shard, batch[len(batch)-1])
}

// ReadAll returns every record the stream holds now, shard by shard
// (parents first), each as Lambda hands it over: for tests and tools that
// look at a stream rather than follow it. A shard is read until it ends
// or a read finds nothing more.
func ReadAll(ctx context.Context, client *dynamodbstreams.Client, streamARN, region string) ([]events.DynamoDBEventRecord, error) {
	m := &Mapping{Client: client, StreamARN: streamARN}
	shards, err := m.shards(ctx)
	if err != nil {
		return nil, err
	}
	// Parents before children: a shard's parent is listed, if at all,
	// before it is read.
	var ordered []types.Shard
	placed := map[string]bool{}
	for len(ordered) < len(shards) {
		progressed := false
		for _, s := range shards {
			id, parent := aws.ToString(s.ShardId), aws.ToString(s.ParentShardId)
			if placed[id] {
				continue
			}
			if parent == "" || placed[parent] || !contains(shards, parent) {
				ordered, placed[id], progressed = append(ordered, s), true, true
			}
		}
		if !progressed {
			return nil, errors.New("ddbstream: the stream's shards name each other as parents")
		}
	}
	var out []events.DynamoDBEventRecord
	for _, s := range ordered {
		it, err := m.iterator(ctx, aws.ToString(s.ShardId), Position{})
		if err != nil {
			return nil, err
		}
		for it != nil {
			res, err := client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: it})
			if err != nil {
				return nil, fmt.Errorf("ddbstream: records of shard %s: %w", aws.ToString(s.ShardId), err)
			}
			for _, r := range res.Records {
				out = append(out, LambdaRecord(r, streamARN, region))
			}
			if len(res.Records) == 0 {
				break
			}
			it = res.NextShardIterator
		}
	}
	return out, nil
}

func contains(shards []types.Shard, id string) bool {
	for _, s := range shards {
		if aws.ToString(s.ShardId) == id {
			return true
		}
	}
	return false
}
