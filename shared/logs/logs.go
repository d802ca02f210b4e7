// Package logs sets up the structured JSON logging every function uses:
// log/slog to stdout (which Lambda ships to CloudWatch), one line per
// record, with the function's name and a cold-start flag on the first
// invocation.
//
// What is never logged: tokens, token hashes, and personal fields (taxId,
// email). Handlers log ids and numbers, not request bodies.
package logs

import (
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
	return log
}

var warm atomic.Bool

// ColdStart reports true for the first invocation of this process and
// false for every later one.
func ColdStart() bool { return !warm.Swap(true) }
