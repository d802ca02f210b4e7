package runtimeapi

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync"
	"time"
)

// Runtime API paths and headers, as aws-lambda-go's client uses them.
const (
	pathPrefix = "/2018-06-01/runtime"

	headerRequestID        = "Lambda-Runtime-Aws-Request-Id"
	headerDeadlineMS       = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN      = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID          = "Lambda-Runtime-Trace-Id"
	headerClientContext    = "Lambda-Runtime-Client-Context"
	headerCognitoIdentity  = "Lambda-Runtime-Cognito-Identity"
	headerFunctionErrType  = "Lambda-Runtime-Function-Error-Type"
	trailerFunctionErrBody = "Lambda-Runtime-Function-Error-Body"
)

// maxErrorBody bounds what a runtime may post as an error document.
const maxErrorBody = 1 << 20

// invocation is one request handed to a process, and its outcome.
type invocation struct {
	id       string
	req      Request
	deadline time.Time

	done     chan struct{}
	once     sync.Once
	response []byte
	fnErr    *FunctionError
}

func newInvocation(req Request) *invocation {
	if req.TraceID == "" {
		req.TraceID = newTraceID()
	}
	return &invocation{id: newRequestID(), req: req, done: make(chan struct{})}
}

// complete records the outcome once; it reports whether this call did.
func (inv *invocation) complete(response []byte, fnErr *FunctionError) bool {
	first := false
	inv.once.Do(func() {
		inv.response, inv.fnErr = response, fnErr
		close(inv.done)
		first = true
	})
	return first
}

func (inv *invocation) finished() bool { return isClosed(inv.done) }

// isClosed reports whether ch is closed, without waiting.
func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// instance is one execution environment: a bootstrap process and the
// Runtime API endpoint only it talks to, so it handles one invocation at a
// time.
type instance struct {
	fn      *Function
	seq     int
	started time.Time
	srv     *http.Server
	cmd     *exec.Cmd
	cancel  context.CancelFunc
	streams []*lineWriter

	// queue hands an invocation to the runtime's pending next request.
	// It is unbuffered: a send succeeds only once the runtime has it.
	queue  chan *invocation
	ready  chan struct{} // closed at the first next request
	exited chan struct{} // closed once the process is reaped

	mu          sync.Mutex
	current     *invocation
	initDur     time.Duration
	invocations int
	initErr     *FunctionError
	exitErr     error
}

// start launches the process with its own Runtime API listener.
func (f *Function) start(seq int) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: listen: %w", err)
	}
	in := &instance{
		fn: f, seq: seq,
		queue:  make(chan *invocation),
		ready:  make(chan struct{}),
		exited: make(chan struct{}),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+pathPrefix+"/invocation/next", in.handleNext)
	mux.HandleFunc("POST "+pathPrefix+"/invocation/{id}/response", in.handleResponse)
	mux.HandleFunc("POST "+pathPrefix+"/invocation/{id}/error", in.handleError)
	mux.HandleFunc("POST "+pathPrefix+"/init/error", in.handleInitError)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, apiError("UnknownPath", "no Runtime API resource at "+r.URL.Path))
	})
	in.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go in.srv.Serve(ln)

	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	cmd := exec.CommandContext(ctx, f.cfg.Path)
	cmd.Dir = f.taskRoot
	cmd.Env = f.environ(ln.Addr().String())
	if f.cfg.Output != nil {
		stdout, stderr := f.newLineWriter(), f.newLineWriter()
		in.streams = []*lineWriter{stdout, stderr}
		cmd.Stdout, cmd.Stderr = stdout, stderr
	}
	ownProcessGroup(cmd)
	// Pipes stay open while anything the process started holds them;
	// this bounds how long reaping can wait for them after a kill.
	cmd.WaitDelay = 2 * time.Second
	in.cmd = cmd
	// The endpoint already serves, and reads started when the process
	// first calls it.
	in.mu.Lock()
	in.started = time.Now()
	in.mu.Unlock()
	if err := cmd.Start(); err != nil {
		cancel()
		in.srv.Close()
		return nil, fmt.Errorf("runtimeapi: start %s: %w", f.cfg.Path, err)
	}
	go in.wait()
	return in, nil
}

// wait reaps the process and tears its endpoint down.
func (in *instance) wait() {
	err := in.cmd.Wait()
	for _, s := range in.streams {
		s.flush()
	}
	in.mu.Lock()
	in.exitErr = err
	cur := in.current
	in.mu.Unlock()
	in.fn.forget(in)
	in.cancel()
	in.srv.Close()
	if cur != nil && !cur.finished() {
		in.fn.platformLog("RequestId: %s Error: Runtime exited with error: %v", cur.id, err)
	}
}

// kill ends the process (and anything it started) and waits until it is
// reaped.
func (in *instance) kill() {
	in.cancel()
	<-in.exited
}

func (in *instance) alive() bool { return !isClosed(in.exited) }

func (in *instance) exitError(requestID string) *ExitError {
	in.mu.Lock()
	defer in.mu.Unlock()
	err := in.exitErr
	if err == nil {
		err = errors.New("exit status 0")
	}
	return &ExitError{Function: in.fn.cfg.Name, RequestID: requestID, Err: err, InitError: in.initErr}
}

// outcome is what one invocation on an instance came to. reusable says
// whether the process may take another invocation.
type outcome struct {
	response []byte
	fnErr    *FunctionError
	err      error
	reusable bool
	// retry says that a process which had served before exited without
	// taking the invocation, so it may go to another process.
	retry bool
}

// invoke hands inv to the process and waits for the outcome. The caller's
// ctx bounds only the wait for a process to take the work: once taken, an
// invocation runs to its end or its deadline, as in Lambda.
func (in *instance) invoke(ctx context.Context, inv *invocation) outcome {
	initTimer := time.NewTimer(in.fn.cfg.InitTimeout)
	defer initTimer.Stop()
	in.mu.Lock()
	served := in.invocations > 0
	in.mu.Unlock()
	select {
	case <-in.ready:
	case <-in.exited:
		return outcome{err: in.exitError(inv.id), retry: served}
	case <-initTimer.C:
		in.kill()
		return outcome{err: fmt.Errorf("%w (%s, %s)", ErrInitTimeout, in.fn.cfg.Name, in.fn.cfg.InitTimeout)}
	case <-ctx.Done():
		// The process goes on starting and will serve a later Invoke.
		return outcome{err: ctx.Err(), reusable: true}
	}

	start := time.Now()
	inv.deadline = start.Add(in.fn.cfg.Timeout)
	select {
	case in.queue <- inv:
	case <-in.exited:
		return outcome{err: in.exitError(inv.id), retry: served}
	case <-ctx.Done():
		return outcome{err: ctx.Err(), reusable: true}
	}
	in.mu.Lock()
	in.invocations++
	first := in.invocations == 1
	initDur := in.initDur
	in.mu.Unlock()
	in.fn.platformLog("START RequestId: %s Version: $LATEST", inv.id)

	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	var out outcome
	select {
	case <-inv.done:
		out = outcome{response: inv.response, fnErr: inv.fnErr, reusable: true}
	case <-in.exited:
		if inv.finished() {
			// Answered, then died: the answer stands, the process does not.
			out = outcome{response: inv.response, fnErr: inv.fnErr}
		} else {
			out = outcome{err: in.exitError(inv.id)}
		}
	case <-timer.C:
		timedOut := &FunctionError{
			Type:    "Sandbox.Timedout",
			Message: fmt.Sprintf("RequestId: %s Error: Task timed out after %.2f seconds", inv.id, in.fn.cfg.Timeout.Seconds()),
		}
		if inv.complete(nil, timedOut) {
			// Lambda resets an environment whose invocation timed out.
			in.kill()
			out = outcome{fnErr: timedOut}
		} else {
			out = outcome{response: inv.response, fnErr: inv.fnErr, reusable: true}
		}
	}
	elapsed := time.Since(start)
	in.fn.platformLog("END RequestId: %s", inv.id)
	report := fmt.Sprintf("REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB",
		inv.id, float64(elapsed.Microseconds())/1000, (elapsed+time.Millisecond-1)/time.Millisecond, in.fn.cfg.MemorySize)
	if mb, ok := maxMemoryMB(in.cmd); ok {
		report += fmt.Sprintf("\tMax Memory Used: %d MB", mb)
	}
	if first {
		report += fmt.Sprintf("\tInit Duration: %.2f ms", float64(initDur.Microseconds())/1000)
	}
	in.fn.platformLog("%s", report)
	return out
}

// handleNext blocks until there is an invocation for the runtime.
func (in *instance) handleNext(w http.ResponseWriter, r *http.Request) {
	in.mu.Lock()
	select {
	case <-in.ready:
	default:
		in.initDur = time.Since(in.started)
		in.fn.recordInit(in.initDur)
		close(in.ready)
	}
	if in.current != nil && !in.current.finished() {
		id := in.current.id
		in.mu.Unlock()
		writeJSON(w, http.StatusForbidden, apiError("InvalidStateTransition",
			"next was called before invocation "+id+" was answered"))
		return
	}
	in.current = nil
	in.mu.Unlock()

	var inv *invocation
	select {
	case inv = <-in.queue:
	case <-r.Context().Done():
		return
	case <-in.exited:
		return
	}
	in.mu.Lock()
	in.current = inv
	in.mu.Unlock()
	h := w.Header()
	h.Set(headerRequestID, inv.id)
	h.Set(headerDeadlineMS, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, in.fn.arn)
	h.Set(headerTraceID, inv.req.TraceID)
	if len(inv.req.ClientContext) > 0 {
		h.Set(headerClientContext, string(inv.req.ClientContext))
	}
	if len(inv.req.CognitoIdentity) > 0 {
		h.Set(headerCognitoIdentity, string(inv.req.CognitoIdentity))
	}
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(inv.req.Payload)
}

// invocationFor returns the in-flight invocation a post names, or writes
// the Runtime API's refusal and returns nil.
func (in *instance) invocationFor(w http.ResponseWriter, r *http.Request) *invocation {
	id := r.PathValue("id")
	in.mu.Lock()
	inv := in.current
	in.mu.Unlock()
	if inv == nil || inv.id != id {
		writeJSON(w, http.StatusBadRequest, apiError("InvalidRequestID", "Invalid request ID"))
		return nil
	}
	return inv
}

func (in *instance) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv := in.invocationFor(w, r)
	if inv == nil {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponsePayload+1))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError("InvalidRequest", "could not read the response: "+err.Error()))
		return
	}
	if len(body) > MaxResponsePayload {
		io.Copy(io.Discard, r.Body)
		tooLarge := &FunctionError{
			Type:    "Function.ResponseSizeTooLarge",
			Message: fmt.Sprintf("Response payload size exceeded maximum allowed payload size (%d bytes).", MaxResponsePayload),
		}
		if !inv.complete(nil, tooLarge) {
			writeJSON(w, http.StatusForbidden, stateError(inv.id))
			return
		}
		writeJSON(w, http.StatusRequestEntityTooLarge, apiError("RequestEntityTooLarge", tooLarge.Message))
		return
	}
	// aws-lambda-go streams the response; when producing it fails midway
	// it reports the error in trailers instead of the body.
	if typ := r.Trailer.Get(headerFunctionErrType); typ != "" {
		fnErr := &FunctionError{Type: typ, Message: "the function failed while writing its response"}
		if raw, err := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerFunctionErrBody)); err == nil {
			var posted FunctionError
			if json.Unmarshal(raw, &posted) == nil && posted.Message != "" {
				fnErr = &posted
			}
		}
		if !inv.complete(nil, fnErr) {
			writeJSON(w, http.StatusForbidden, stateError(inv.id))
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
		return
	}
	if !inv.complete(body, nil) {
		writeJSON(w, http.StatusForbidden, stateError(inv.id))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

func (in *instance) handleError(w http.ResponseWriter, r *http.Request) {
	inv := in.invocationFor(w, r)
	if inv == nil {
		return
	}
	fnErr := readFunctionError(r)
	if !inv.complete(nil, fnErr) {
		writeJSON(w, http.StatusForbidden, stateError(inv.id))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

func (in *instance) handleInitError(w http.ResponseWriter, r *http.Request) {
	fnErr := readFunctionError(r)
	in.mu.Lock()
	in.initErr = fnErr
	in.mu.Unlock()
	in.fn.platformLog("INIT_REPORT Init Error: %s", fnErr.Error())
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "OK"})
}

// readFunctionError reads an error document a runtime posted. A body that
// is not the documented JSON is kept as the message, so nothing the
// function said is lost.
func readFunctionError(r *http.Request) *FunctionError {
	raw, _ := io.ReadAll(io.LimitReader(r.Body, maxErrorBody))
	typ := r.Header.Get(headerFunctionErrType)
	var fnErr FunctionError
	if err := json.Unmarshal(raw, &fnErr); err != nil || (fnErr.Message == "" && fnErr.Type == "") {
		fnErr = FunctionError{Message: string(bytes.TrimSpace(raw))}
	}
	if fnErr.Type == "" {
		fnErr.Type = typ
	}
	if fnErr.Type == "" {
		fnErr.Type = "Unhandled"
	}
	return &fnErr
}

func apiError(typ, msg string) map[string]string {
	return map[string]string{"errorType": typ, "errorMessage": msg}
}

func stateError(id string) map[string]string {
	return apiError("InvalidStateTransition", "invocation "+id+" was already answered or timed out")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

// newRequestID returns a random UUID, the form of Lambda's request ids.
func newRequestID() string {
	var u [16]byte
	rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// newTraceID returns an X-Ray trace header for a sampled trace, as Lambda
// passes it with active tracing.
func newTraceID() string {
	var root [12]byte
	var parent [8]byte
	rand.Read(root[:])
	rand.Read(parent[:])
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=1", time.Now().Unix(), hex.EncodeToString(root[:]), hex.EncodeToString(parent[:]))
}
