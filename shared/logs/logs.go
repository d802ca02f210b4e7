// Package logs sets up the structured JSON logging every function uses:
// log/slog to stdout (which Lambda ships to CloudWatch), one line per
// record, with the function's name and a cold-start flag on the first
// invocation.
//
// What is never logged: tokens, token hashes, and personal fields (taxId,
// email). Handlers log ids and numbers, not request bodies.
package logs

import (
	"context"
	stdlog "log"
	"log/slog"
	"os"
	"strings"
	"sync/atomic"
)

// New returns a JSON logger at the level named by LOG_LEVEL (debug, info,
// warn, error; info by default), tagged with the Lambda function name.
func New() *slog.Logger {
	level := slog.LevelInfo
	switch strings.ToLower(os.Getenv("LOG_LEVEL")) {
	case "debug":
		level = slog.LevelDebug
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	}
	h := slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: level})
	log := slog.New(h)
	if fn := os.Getenv("AWS_LAMBDA_FUNCTION_NAME"); fn != "" {
		log = log.With("function", fn)
	}
	// The Lambda runtime library reports a handler's error (the
	// authorizer's answer to every refused token) through the standard
	// logger, in plain text; it goes through this logger instead, with
	// the request id of the invocation it is about.
	stdlog.SetFlags(0)
	stdlog.SetOutput(runtimeReports{log: log})
	return log
}

// InitFailed logs err as the failure of the function's init and ends the
// process: Lambda reports an init error, and the next invocation starts
// a new execution environment.
func InitFailed(log *slog.Logger, err error) {
	log.Error("init failed", "error", err.Error())
	os.Exit(1)
}

// inFlight is the request id of the invocation this process is running:
// an execution environment runs one invocation at a time.
var inFlight atomic.Pointer[string]

// Invocation records the request id of the invocation starting now, for
// what the runtime library writes about it after the handler returns.
func Invocation(requestID string) { inFlight.Store(&requestID) }

// runtimeReports writes each line of the standard logger as a JSON record.
type runtimeReports struct{ log *slog.Logger }

func (w runtimeReports) Write(p []byte) (int, error) {
	id := ""
	if v := inFlight.Load(); v != nil {
		id = *v
	}
	w.log.Info("lambda runtime report", "requestId", id, "report", strings.TrimSpace(string(p)))
	return len(p), nil
}

var warm atomic.Bool

// ColdStart reports true for the first invocation of this process and
// false for every later one.
func ColdStart() bool { return !warm.Swap(true) }

// xrayContextKey is the context key aws-lambda-go stores each
// invocation's Lambda-Runtime-Trace-Id under (lambda/invoke_loop.go).
const xrayContextKey = "x-amzn-trace-id"

// XRayTraceID returns the X-Ray trace id of the invocation ctx belongs to
// (the Root of Lambda's trace header, "1-5759e988-bd862e3fe1be46a994272793"),
// which X-Ray and CloudWatch show for the invocation, or "" outside one
// or with tracing off. aws-lambda-go puts the header in the context and in
// _X_AMZN_TRACE_ID; the context's is this invocation's own.
func XRayTraceID(ctx context.Context) string {
	header, _ := ctx.Value(xrayContextKey).(string)
	if header == "" {
		header = os.Getenv("_X_AMZN_TRACE_ID")
	}
	for part := range strings.SplitSeq(header, ";") {
		if root, ok := strings.CutPrefix(strings.TrimSpace(part), "Root="); ok {
			return root
		}
	}
	return ""
}
