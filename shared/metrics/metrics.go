// Package metrics writes the service's CloudWatch metrics as Embedded
// Metric Format (EMF) records: log lines that CloudWatch Logs turns into
// metrics as it ingests them, so a function publishes metrics without a
// client, a library or a call in the request's path. The records go
// through the function's slog logger, one JSON object a line, beside its
// other attributes: the record of a request is its own log line.
//
// The names are what the stack's alarms and dashboard read; renaming one
// blinds them. Every metric has the dimension Function; a tenant is only
// ever a property of a record (searchable in Logs Insights), never a
// dimension, since each value of a dimension is a metric of its own.
package metrics

import (
	"context"
	"log/slog"
	"os"
	"sync/atomic"
	"time"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "ContractsService"

// The metrics, by name.
const (
	// Requests counts HTTP requests, by Function, Dialect and StatusClass.
	Requests = "Requests"
	// Latency is an HTTP request's time in the function, in milliseconds,
	// by Function, Dialect and StatusClass.
	Latency = "Latency"
	// Replays counts answers given again for an Idempotency-Key, and
	// redelivered queue messages or events that applied nothing, by
	// Function.
	Replays = "Replays"
	// VersionConflictRetries counts the times a change was read and
	// applied again because another writer changed the contract first, by
	// Function.
	VersionConflictRetries = "VersionConflictRetries"
	// Unavailable counts requests and deliveries that failed because
	// DynamoDB stayed throttled or unreachable (HTTP 503), by Function.
	Unavailable = "Unavailable"
	// Deliveries counts SQS messages, EventBridge events, direct
	// invocations and the stream records of contracts, by Function,
	// Source and Outcome.
	Deliveries = "Deliveries"
)

// The dimensions, by name (the record's properties of these names).
const (
	DimFunction    = "Function"
	DimDialect     = "Dialect"
	DimStatusClass = "StatusClass"
	DimSource      = "Source"
	DimOutcome     = "Outcome"
)

// Sources of a delivery.
const (
	SourceSQS         = "sqs"
	SourceEventBridge = "eventbridge"
	SourceDirect      = "direct"
	// SourceDynamoDBStream is a record of the table's stream, which the
	// contract events publish.
	SourceDynamoDBStream = "dynamodb"
)

// Outcomes of a delivery: applied (a redelivery of one already applied
// included), refused (it can never apply as sent), failed (a fault; it is
// retried, then kept on its dead-letter queue or failure destination).
const (
	OutcomeApplied = "applied"
	OutcomeRefused = "refused"
	OutcomeFailed  = "failed"
)

// function is the dimension Function of every record: the name Lambda
// gives the function (AWS_LAMBDA_FUNCTION_NAME), which the alarms name.
var function = func() string {
	if fn := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); fn != "" {
		return fn
	}
	return "local"
}()

// Counts are the counters one request or delivery adds to as it runs,
// written with its record. The zero value is ready; a nil *Counts ignores
// additions.
type Counts struct {
	versionConflictRetries atomic.Int64
}

type countsKey struct{}

// WithCounts returns ctx carrying fresh Counts for one request or
// delivery, and the Counts.
func WithCounts(ctx context.Context) (context.Context, *Counts) {
	c := &Counts{}
	return context.WithValue(ctx, countsKey{}, c), c
}

// VersionConflictRetry records, on the Counts ctx carries if any, that a
// change is being applied again after a version conflict.
func VersionConflictRetry(ctx context.Context) {
	if c, ok := ctx.Value(countsKey{}).(*Counts); ok {
		c.versionConflictRetries.Add(1)
	}
}

func (c *Counts) retries() int64 {
	if c == nil {
		return 0
	}
	return c.versionConflictRetries.Load()
}

// StatusClass is the class of an HTTP status: "2xx" to "5xx".
func StatusClass(status int) string {
	if status < 100 || status > 599 {
		return "5xx"
	}
	return string(rune('0'+status/100)) + "xx"
}

// directive is one entry of the record's CloudWatchMetrics: which of its
// properties are metrics, and with which dimensions.
type directive struct {
	Namespace  string     `json:"Namespace"`
	Dimensions [][]string `json:"Dimensions"`
	Metrics    []metric   `json:"Metrics"`
}

type metric struct {
	Name string `json:"Name"`
	Unit string `json:"Unit"`
}

// meta is the record's _aws member, which marks it as EMF.
type meta struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// byFunction are the counters every record carries, by Function alone.
var byFunction = directive{
	Namespace:  Namespace,
	Dimensions: [][]string{{DimFunction}},
	Metrics: []metric{
		{Name: Replays, Unit: "Count"},
		{Name: VersionConflictRetries, Unit: "Count"},
		{Name: Unavailable, Unit: "Count"},
	},
}

var requestDirectives = []directive{{
	Namespace:  Namespace,
	Dimensions: [][]string{{DimFunction, DimDialect, DimStatusClass}},
	Metrics:    []metric{{Name: Requests, Unit: "Count"}, {Name: Latency, Unit: "Milliseconds"}},
}, byFunction}

var deliveryDirectives = []directive{{
	Namespace:  Namespace,
	Dimensions: [][]string{{DimFunction, DimSource, DimOutcome}},
	Metrics:    []metric{{Name: Deliveries, Unit: "Count"}},
}, byFunction}

// Request returns the attributes that make an HTTP request's log line its
// EMF record: one request of dialect (the API of the route; "none" when
// no route matched) that answered status after latency, replayed or not,
// with the retries c counted.
func Request(now time.Time, dialect string, status int, latency time.Duration, replayed bool, c *Counts) []slog.Attr {
	if dialect == "" {
		dialect = "none"
	}
	return []slog.Attr{
		slog.Any("_aws", meta{Timestamp: now.UnixMilli(), CloudWatchMetrics: requestDirectives}),
		slog.String(DimFunction, function),
		slog.String(DimDialect, dialect),
		slog.String(DimStatusClass, StatusClass(status)),
		slog.Int(Requests, 1),
		slog.Float64(Latency, float64(latency.Microseconds())/1000),
		slog.Int(Replays, b2i(replayed)),
		slog.Int64(VersionConflictRetries, c.retries()),
		slog.Int(Unavailable, b2i(status == 503)),
	}
}

// Delivery returns the attributes that make the log line of one SQS
// message, EventBridge event or direct invocation its EMF record.
// replayed is a redelivery that applied nothing; unavailable a failure
// because DynamoDB stayed throttled or unreachable.
func Delivery(now time.Time, source, outcome string, replayed, unavailable bool, c *Counts) []slog.Attr {
	return []slog.Attr{
		slog.Any("_aws", meta{Timestamp: now.UnixMilli(), CloudWatchMetrics: deliveryDirectives}),
		slog.String(DimFunction, function),
		slog.String(DimSource, source),
		slog.String(DimOutcome, outcome),
		slog.Int(Deliveries, 1),
		slog.Int(Replays, b2i(replayed)),
		slog.Int64(VersionConflictRetries, c.retries()),
		slog.Int(Unavailable, b2i(unavailable)),
	}
}

// Level is the level to write a record at with log: the lowest it keeps,
// and never below INFO. A record is not a diagnostic: it must survive
// LOG_LEVEL, and Lambda's own filter (ApplicationLogLevel, which the
// template sets from the same parameter) drops lines below its level.
func Level(ctx context.Context, log *slog.Logger) slog.Level {
	for _, l := range []slog.Level{slog.LevelInfo, slog.LevelWarn} {
		if log.Enabled(ctx, l) {
			return l
		}
	}
	return slog.LevelError
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
