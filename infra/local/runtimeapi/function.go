package runtimeapi

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Config describes one function.
type Config struct {
	// Name is the function's name (the template's logical id), reported
	// to the runtime and used in its ARN.
	Name string
	// Path is the bootstrap executable.
	Path string
	// Env is the function's own environment (TABLE_NAME, LOG_LEVEL,
	// AWS_ENDPOINT_URL_DYNAMODB, credentials...). The variables Lambda
	// reserves (AWS_LAMBDA_*, _HANDLER, LAMBDA_TASK_ROOT...) are set by
	// the Function and win over these, as Lambda does not let a function
	// override them.
	Env map[string]string
	// Handler is _HANDLER; "bootstrap" when empty.
	Handler string
	// Timeout bounds each invocation (DefaultTimeout when zero).
	Timeout time.Duration
	// InitTimeout bounds a new process's start (DefaultInitTimeout when
	// zero).
	InitTimeout time.Duration
	// MemorySize is reported to the runtime, in MB (DefaultMemorySize
	// when zero). It is not enforced.
	MemorySize int
	// MaxConcurrency bounds how many processes, and so invocations, run
	// at once (DefaultMaxConcurrency when zero). Further invocations wait.
	MaxConcurrency int
	// Region makes the function ARN; AWS_REGION from Env, else
	// DefaultRegion, when empty.
	Region string
	// Output receives the processes' stdout and stderr and the platform's
	// START, END and REPORT lines, one whole line per Write, serialised.
	// Nil discards them.
	Output io.Writer
}

// InstanceInfo describes one process of a Function.
type InstanceInfo struct {
	Seq       int
	PID       int
	StartedAt time.Time
	// InitDuration is the time from the process's start to its first
	// request for work (its cold start); zero until then.
	InitDuration time.Duration
	Invocations  int
	Busy         bool
}

// Function runs one function's bootstrap as a pool of processes, each an
// execution environment that takes one invocation at a time. Processes
// start on demand, up to MaxConcurrency, and are reused while they live.
type Function struct {
	cfg      Config
	taskRoot string
	arn      string
	sem      chan struct{}
	outMu    sync.Mutex

	mu        sync.Mutex
	closed    bool
	seq       int
	idle      []*instance
	live      map[*instance]bool // value: busy
	initDurs  []time.Duration
	closeOnce sync.Once
}

// maxInitRecords bounds the cold-start history a long run keeps.
const maxInitRecords = 10000

// NewFunction returns a Function for cfg. No process starts until the
// first Invoke.
func NewFunction(cfg Config) (*Function, error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("runtimeapi: a function needs a name")
	}
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: %s: %w", cfg.Name, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("runtimeapi: %s: bootstrap: %w", cfg.Name, err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return nil, fmt.Errorf("runtimeapi: %s: %s is not an executable file", cfg.Name, path)
	}
	cfg.Path = path
	if cfg.Handler == "" {
		cfg.Handler = "bootstrap"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.InitTimeout <= 0 {
		cfg.InitTimeout = DefaultInitTimeout
	}
	if cfg.MemorySize <= 0 {
		cfg.MemorySize = DefaultMemorySize
	}
	if cfg.MaxConcurrency <= 0 {
		cfg.MaxConcurrency = DefaultMaxConcurrency
	}
	if cfg.Region == "" {
		cfg.Region = cfg.Env["AWS_REGION"]
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	return &Function{
		cfg:      cfg,
		taskRoot: filepath.Dir(path),
		arn:      fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", cfg.Region, AccountID, cfg.Name),
		sem:      make(chan struct{}, cfg.MaxConcurrency),
		live:     map[*instance]bool{},
	}, nil
}

// Name returns the function's name.
func (f *Function) Name() string { return f.cfg.Name }

// Invoke runs one synchronous invocation, as Lambda's Invoke API with
// RequestResponse does. A failure the function reported (its handler's
// error, a panic, a timeout) is fnErr; err is for an invocation that could
// not run or whose process died (*ExitError).
func (f *Function) Invoke(ctx context.Context, payload []byte) (response []byte, fnErr *FunctionError, err error) {
	return f.InvokeRequest(ctx, Request{Payload: payload})
}

// InvokeRequest is Invoke with the optional invocation context.
func (f *Function) InvokeRequest(ctx context.Context, req Request) ([]byte, *FunctionError, error) {
	if len(req.Payload) > MaxRequestPayload {
		return nil, nil, ErrPayloadTooLarge
	}
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	defer func() { <-f.sem }()
	inv := newInvocation(req)
	for {
		in, err := f.acquire()
		if err != nil {
			return nil, nil, err
		}
		out := in.invoke(ctx, inv)
		f.release(in, out.reusable)
		if out.retry {
			// A warm process died before taking the work (a panic ends
			// the process right after it reports): nothing ran, so the
			// work goes to another process, as Lambda would start one.
			continue
		}
		return out.response, out.fnErr, out.err
	}
}

// acquire returns an idle process, or starts one.
func (f *Function) acquire() (*instance, error) {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil, ErrClosed
	}
	for len(f.idle) > 0 {
		in := f.idle[len(f.idle)-1]
		f.idle = f.idle[:len(f.idle)-1]
		if in.alive() {
			f.live[in] = true
			f.mu.Unlock()
			return in, nil
		}
		delete(f.live, in)
	}
	f.seq++
	seq := f.seq
	f.mu.Unlock()

	in, err := f.start(seq)
	if err != nil {
		return nil, err
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		in.kill()
		return nil, ErrClosed
	}
	if in.alive() {
		f.live[in] = true
	}
	f.mu.Unlock()
	return in, nil
}

// release returns a process to the pool, or ends it.
func (f *Function) release(in *instance, reusable bool) {
	if !reusable {
		in.kill()
		return
	}
	f.mu.Lock()
	if f.closed || !in.alive() {
		f.mu.Unlock()
		in.kill()
		return
	}
	f.live[in] = false
	f.idle = append(f.idle, in)
	f.mu.Unlock()
}

// forget drops a process that has exited and marks it so. Both happen
// under the pool's lock, so a release never puts a dead process back and a
// caller that waited for the exit no longer sees it listed.
func (f *Function) forget(in *instance) {
	f.mu.Lock()
	defer f.mu.Unlock()
	close(in.exited)
	delete(f.live, in)
	for i, c := range f.idle {
		if c == in {
			f.idle = append(f.idle[:i], f.idle[i+1:]...)
			break
		}
	}
}

func (f *Function) recordInit(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.initDurs) == maxInitRecords {
		f.initDurs = append(f.initDurs[:0], f.initDurs[1:]...)
	}
	f.initDurs = append(f.initDurs, d)
}

// InitDurations returns, for each process started so far that reached its
// first request for work, the time from its start to that request, in
// order. It is the cold-start cost of the bootstrap.
func (f *Function) InitDurations() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.initDurs...)
}

// Instances describes the processes alive now, oldest first.
func (f *Function) Instances() []InstanceInfo {
	f.mu.Lock()
	live := make(map[*instance]bool, len(f.live))
	for in, busy := range f.live {
		live[in] = busy
	}
	f.mu.Unlock()
	infos := make([]InstanceInfo, 0, len(live))
	for in, busy := range live {
		in.mu.Lock()
		info := InstanceInfo{Seq: in.seq, StartedAt: in.started, InitDuration: in.initDur, Invocations: in.invocations, Busy: busy}
		in.mu.Unlock()
		if in.cmd.Process != nil {
			info.PID = in.cmd.Process.Pid
		}
		infos = append(infos, info)
	}
	sort.Slice(infos, func(i, j int) bool { return infos[i].Seq < infos[j].Seq })
	return infos
}

// Close kills every process of the function and waits until they are
// reaped. Invocations in flight fail; later ones get ErrClosed.
func (f *Function) Close() error {
	f.closeOnce.Do(func() {
		f.mu.Lock()
		f.closed = true
		all := make([]*instance, 0, len(f.live))
		for in := range f.live {
			all = append(all, in)
		}
		f.idle = nil
		f.mu.Unlock()
		var wg sync.WaitGroup
		for _, in := range all {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in.kill()
			}()
		}
		wg.Wait()
	})
	return nil
}

// environ is a process's whole environment: nothing is inherited, as
// nothing of the host's environment reaches a Lambda function.
func (f *Function) environ(runtimeAPI string) []string {
	env := map[string]string{
		"PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LANG": "en_US.UTF-8",
		"TZ":   ":UTC",
	}
	for k, v := range f.cfg.Env {
		env[k] = v
	}
	if env["AWS_DEFAULT_REGION"] == "" {
		env["AWS_DEFAULT_REGION"] = f.cfg.Region
	}
	if env["AWS_REGION"] == "" {
		env["AWS_REGION"] = f.cfg.Region
	}
	var stream [16]byte
	rand.Read(stream[:])
	for k, v := range map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          runtimeAPI,
		"AWS_LAMBDA_FUNCTION_NAME":        f.cfg.Name,
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(f.cfg.MemorySize),
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + f.cfg.Name,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + hex.EncodeToString(stream[:]),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"_HANDLER":                        f.cfg.Handler,
		"LAMBDA_TASK_ROOT":                f.taskRoot,
	} {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

// platformLog writes a line in the platform's own voice (START, END,
// REPORT), as Lambda adds to a function's log stream.
func (f *Function) platformLog(format string, args ...any) {
	if f.cfg.Output == nil {
		return
	}
	line := fmt.Sprintf(format, args...) + "\n"
	f.outMu.Lock()
	defer f.outMu.Unlock()
	f.cfg.Output.Write([]byte(line))
}

// lineWriter splits one stream of a process into whole lines, so lines of
// concurrent processes never interleave mid-line in Output.
type lineWriter struct {
	f   *Function
	mu  sync.Mutex
	buf []byte
}

// maxLine bounds a buffered partial line; a longer one is written in
// pieces.
const maxLine = 64 << 10

func (f *Function) newLineWriter() *lineWriter { return &lineWriter{f: f} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.emit(w.buf[:i+1])
		w.buf = w.buf[i+1:]
	}
	if len(w.buf) >= maxLine {
		w.emit(append(w.buf, '\n'))
		w.buf = nil
	}
	return len(p), nil
}

func (w *lineWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.emit(append(w.buf, '\n'))
		w.buf = nil
	}
}

func (w *lineWriter) emit(line []byte) {
	w.f.outMu.Lock()
	defer w.f.outMu.Unlock()
	w.f.cfg.Output.Write(line)
}

// maxMemoryMB reads a process's peak resident memory where the system
// exposes it (Linux's /proc).
func maxMemoryMB(cmd *exec.Cmd) (int, bool) {
	if cmd.Process == nil {
		return 0, false
	}
	fh, err := os.Open("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status")
	if err != nil {
		return 0, false
	}
	defer fh.Close()
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			if err != nil {
				return 0, false
			}
			return (kb + 1023) / 1024, true
		}
	}
	return 0, false
}
