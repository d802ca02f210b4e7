// Package runtimeapi runs Lambda bootstrap executables on this machine the
// way the Lambda service runs them: each process is an execution
// environment that pulls its invocations from its own Runtime API endpoint
// (the HTTP protocol that aws-lambda-go speaks at AWS_LAMBDA_RUNTIME_API),
// handles one invocation at a time, gets a deadline, and is thrown away
// when it crashes or times out.
//
// It exists because the functions are meant to be exercised as built
// (the very bootstrap files sam build produces) and `sam local` needs a
// container engine. Nothing here listens beyond 127.0.0.1.
//
// It is not AWS's Runtime Interface Emulator (the RIE, which sam local
// runs inside its containers), which was tried in its place and does not
// fit:
//   - it emulates one execution environment, so it serves one invocation
//     at a time, where the local stack and the end-to-end tests send
//     requests at once, as clients do;
//   - a second invocation that arrives while one runs makes it panic
//     ("ReserveFailed: AlreadyReserved", then a nil pointer dereference;
//     aws/aws-lambda-runtime-interface-emulator issue 97) instead of
//     waiting or being refused;
//   - it is built for Linux only, so it cannot run the bootstraps natively
//     on a developer's macOS.
//
// This package starts another environment (process) for an invocation
// that finds every one busy, up to a bound past which invocations wait,
// as Lambda scales out, and runs wherever Go does.
package runtimeapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Limits and defaults of the Lambda service that the emulation keeps, so a
// payload or a slow handler that would fail in AWS fails here too.
const (
	// MaxRequestPayload is the largest synchronous invocation payload
	// Lambda accepts (6 MiB).
	MaxRequestPayload = 6 << 20
	// MaxResponsePayload is the largest synchronous response a runtime may
	// post; Lambda's own error message names this exact number of bytes.
	MaxResponsePayload = 6291556
	// DefaultTimeout is the invocation timeout when Config names none; it
	// is the template's Globals Timeout.
	DefaultTimeout = 10 * time.Second
	// DefaultInitTimeout bounds the wait for a new process's first request
	// for work, as Lambda bounds the init phase.
	DefaultInitTimeout = 10 * time.Second
	// DefaultMemorySize is Lambda's own default, reported to the runtime.
	DefaultMemorySize = 128
	// DefaultMaxConcurrency bounds the processes of one Function.
	DefaultMaxConcurrency = 8
	// DefaultRegion and AccountID make the function ARN the runtime sees.
	DefaultRegion = "us-east-1"
	// AccountID is the account in ARNs: the one SAM's local tools use.
	AccountID = "123456789012"
)

// FunctionError is a failure the function itself reported, in the shape
// the Runtime API receives it and Lambda's Invoke returns it: for example a
// Go handler's returned error ({"errorMessage": "Unauthorized",
// "errorType": "errorString"}), a panic, or Sandbox.Timedout.
type FunctionError struct {
	Message    string          `json:"errorMessage"`
	Type       string          `json:"errorType,omitempty"`
	StackTrace json.RawMessage `json:"stackTrace,omitempty"`
}

// Error returns the type and the message.
func (e *FunctionError) Error() string {
	if e.Type == "" {
		return e.Message
	}
	return e.Type + ": " + e.Message
}

// ErrClosed is returned by Invoke once the Function is closed.
var ErrClosed = errors.New("runtimeapi: function is closed")

// ErrPayloadTooLarge is returned for a payload over MaxRequestPayload,
// which Lambda rejects before any function runs.
var ErrPayloadTooLarge = fmt.Errorf("runtimeapi: request payload is over %d bytes", MaxRequestPayload)

// ErrInitTimeout is returned when a new process did not ask for work
// within the init timeout; the process is killed.
var ErrInitTimeout = errors.New("runtimeapi: the runtime did not ask for an invocation within the init timeout")

// ExitError reports that the process died while it held an invocation (or
// before it took one). The process is replaced by the next Invoke.
type ExitError struct {
	Function  string
	RequestID string
	// Err is what waiting for the process returned, such as "exit status
	// 2" or "signal: killed".
	Err error
	// InitError is what the runtime posted to /runtime/init/error before
	// exiting, if it did.
	InitError *FunctionError
}

// Error says which function and invocation died and how.
func (e *ExitError) Error() string {
	msg := fmt.Sprintf("runtimeapi: %s exited during invocation %s: %v", e.Function, e.RequestID, e.Err)
	if e.InitError != nil {
		msg += " (init error: " + e.InitError.Error() + ")"
	}
	return msg
}

// Unwrap returns the process's wait error.
func (e *ExitError) Unwrap() error { return e.Err }

// FunctionError returns what Lambda itself answers for an invocation whose
// runtime exited: a Runtime.ExitError function error.
func (e *ExitError) FunctionError() *FunctionError {
	if e.InitError != nil {
		return e.InitError
	}
	return &FunctionError{
		Type:    "Runtime.ExitError",
		Message: fmt.Sprintf("RequestId: %s Error: Runtime exited with error: %v", e.RequestID, e.Err),
	}
}

// Request is one invocation with the optional context a caller of
// Lambda's Invoke API can attach. ClientContext and CognitoIdentity are
// JSON documents; they reach the runtime in the Lambda-Runtime-Client-Context
// and Lambda-Runtime-Cognito-Identity headers.
type Request struct {
	Payload         []byte
	ClientContext   []byte
	CognitoIdentity []byte
	// TraceID is the X-Ray trace header; one is made up when empty.
	TraceID string
}
