package runtimeapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/contracts-service/contracts/infra/local/runtimeapi"
)

// handlerSource is a function built with aws-lambda-go exactly as the
// service's functions are (tag lambda.norpc), whose behaviour each
// invocation picks.
const handlerSource = `package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type request struct {
	Action  string ` + "`json:\"action\"`" + `
	Message string ` + "`json:\"message\"`" + `
	Barrier string ` + "`json:\"barrier\"`" + `
}

type response struct {
	PID           int               ` + "`json:\"pid\"`" + `
	Echo          string            ` + "`json:\"echo\"`" + `
	RequestID     string            ` + "`json:\"requestId\"`" + `
	FunctionARN   string            ` + "`json:\"functionArn\"`" + `
	DeadlineMS    int64             ` + "`json:\"deadlineMs\"`" + `
	ClientContext map[string]string ` + "`json:\"clientContext\"`" + `
	Env           map[string]string ` + "`json:\"env\"`" + `
}

func handle(ctx context.Context, req request) (any, error) {
	switch req.Action {
	case "error":
		return nil, errors.New(req.Message)
	case "panic":
		panic(req.Message)
	case "crash":
		os.Exit(3)
	case "hang":
		select {}
	case "big":
		return strings.Repeat("x", 7<<20), nil
	case "log":
		fmt.Fprintln(os.Stderr, req.Message)
	case "barrier":
		// Hold the invocation until the test lets go, so the test can
		// see how many run at once without measuring time.
		conn, err := net.Dial("tcp", req.Barrier)
		if err != nil {
			return nil, err
		}
		defer conn.Close()
		var b [1]byte
		conn.Read(b[:])
	}
	lc, _ := lambdacontext.FromContext(ctx)
	deadline, _ := ctx.Deadline()
	env := map[string]string{}
	for _, k := range []string{"AWS_LAMBDA_RUNTIME_API", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_VERSION",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "_HANDLER", "LAMBDA_TASK_ROOT", "TABLE_NAME", "AWS_REGION", "HOME"} {
		env[k] = os.Getenv(k)
	}
	return response{
		PID: os.Getpid(), Echo: req.Message, RequestID: lc.AwsRequestID, FunctionARN: lc.InvokedFunctionArn,
		DeadlineMS: deadline.UnixMilli(), ClientContext: lc.ClientContext.Custom, Env: env,
	}, nil
}

func main() {
	if os.Getenv("CRASH_AT_INIT") != "" {
		fmt.Fprintln(os.Stderr, "failing at init")
		os.Exit(4)
	}
	lambda.Start(handle)
}
`

// rawSource speaks the Runtime API by hand, to check the answers a
// well-behaved client never provokes.
const rawSource = `package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

func main() {
	base := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime"
	post := func(path, body string, header map[string]string) int {
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			os.Exit(5)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	for {
		resp, err := http.Get(base + "/invocation/next")
		if err != nil {
			os.Exit(6)
		}
		payload, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		id := resp.Header.Get("Lambda-Runtime-Aws-Request-Id")
		if string(payload) == "\"plain-error\"" {
			post("/invocation/"+id+"/error", "boom", map[string]string{"Lambda-Runtime-Function-Error-Type": "Custom.Kind"})
			continue
		}
		wrong := post("/invocation/not-the-id/response", "{}", nil)
		first := post("/invocation/"+id+"/response", fmt.Sprintf("{\"wrongId\":%d}", wrong), nil)
		again := post("/invocation/"+id+"/response", "{}", nil)
		fmt.Printf("statuses first=%d again=%d\n", first, again)
	}
}
`

var bootstraps = map[string]string{}

// TestMain builds the two programs once for the whole test binary, into a
// temporary directory outside the source tree.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "runtimeapi-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := func() int {
		defer os.RemoveAll(dir)
		for name, src := range map[string]string{"handler": handlerSource, "raw": rawSource} {
			path, err := buildProgram(dir, name, src)
			if err != nil {
				fmt.Fprintln(os.Stderr, err)
				return 1
			}
			bootstraps[name] = path
		}
		return m.Run()
	}()
	os.Exit(code)
}

// buildProgram compiles src as a bootstrap, with the service's module for
// its dependencies.
func buildProgram(dir, name, src string) (string, error) {
	srcDir := filepath.Join(dir, name+"-src")
	if err := os.MkdirAll(srcDir, 0o755); err != nil {
		return "", err
	}
	mainFile := filepath.Join(srcDir, "main.go")
	if err := os.WriteFile(mainFile, []byte(src), 0o644); err != nil {
		return "", err
	}
	out := filepath.Join(dir, name, "bootstrap")
	cmd := exec.Command("go", "build", "-tags", "lambda.norpc", "-o", out, mainFile)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if msg, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build %s: %v\n%s", name, err, msg)
	}
	return out, nil
}

func newFunction(t *testing.T, program string, mutate func(*runtimeapi.Config)) (*runtimeapi.Function, *runtimeapi.SharedOutput) {
	t.Helper()
	out := &runtimeapi.SharedOutput{W: new(bytes.Buffer)}
	cfg := runtimeapi.Config{
		Name:   "TestFunction",
		Path:   bootstraps[program],
		Env:    map[string]string{"TABLE_NAME": "test-table", "AWS_REGION": "eu-west-1"},
		Output: out,
	}
	if mutate != nil {
		mutate(&cfg)
	}
	f, err := runtimeapi.NewFunction(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, out
}

type handlerResponse struct {
	PID           int               `json:"pid"`
	Echo          string            `json:"echo"`
	RequestID     string            `json:"requestId"`
	FunctionARN   string            `json:"functionArn"`
	DeadlineMS    int64             `json:"deadlineMs"`
	ClientContext map[string]string `json:"clientContext"`
	Env           map[string]string `json:"env"`
}

func invoke(t *testing.T, f *runtimeapi.Function, req map[string]string) handlerResponse {
	t.Helper()
	payload, _ := json.Marshal(req)
	resp, fnErr, err := f.Invoke(context.Background(), payload)
	if err != nil || fnErr != nil {
		t.Fatalf("invoke %v: fnErr=%v err=%v", req, fnErr, err)
	}
	var out handlerResponse
	if err := json.Unmarshal(resp, &out); err != nil {
		t.Fatalf("response %q: %v", resp, err)
	}
	return out
}

func TestInvokeResponse(t *testing.T) {
	f, out := newFunction(t, "handler", func(c *runtimeapi.Config) { c.MemorySize = 256 })
	before := time.Now()
	got := invoke(t, f, map[string]string{"action": "echo", "message": "hello"})
	after := time.Now()

	if got.Echo != "hello" {
		t.Errorf("echo = %q, want hello", got.Echo)
	}
	if got.RequestID == "" {
		t.Error("the runtime got no request id")
	}
	if want := "arn:aws:lambda:eu-west-1:123456789012:function:TestFunction"; got.FunctionARN != want {
		t.Errorf("function ARN = %q, want %q", got.FunctionARN, want)
	}
	deadline := time.UnixMilli(got.DeadlineMS)
	if deadline.Before(before) || deadline.After(after.Add(runtimeapi.DefaultTimeout)) {
		t.Errorf("deadline %v is not within the invocation's timeout", deadline)
	}
	wantEnv := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "TestFunction",
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                filepath.Dir(bootstraps["handler"]),
		"TABLE_NAME":                      "test-table",
		"AWS_REGION":                      "eu-west-1",
		"HOME":                            "",
	}
	for k, want := range wantEnv {
		if got.Env[k] != want {
			t.Errorf("env %s = %q, want %q", k, got.Env[k], want)
		}
	}
	if api := got.Env["AWS_LAMBDA_RUNTIME_API"]; !strings.HasPrefix(api, "127.0.0.1:") {
		t.Errorf("AWS_LAMBDA_RUNTIME_API = %q, want a loopback address", api)
	}

	// A warm process serves the next invocation.
	again := invoke(t, f, map[string]string{"action": "log", "message": "a line from the handler"})
	if again.PID != got.PID {
		t.Errorf("second invocation ran in process %d, want the warm %d", again.PID, got.PID)
	}
	if again.RequestID == got.RequestID {
		t.Error("two invocations shared a request id")
	}
	inits := f.InitDurations()
	if len(inits) != 1 || inits[0] <= 0 {
		t.Errorf("init durations = %v, want one positive duration", inits)
	}
	if infos := f.Instances(); len(infos) != 1 || infos[0].Invocations != 2 || infos[0].PID != got.PID {
		t.Errorf("instances = %+v, want one that served two invocations", infos)
	}
	// A process's output reaches Output through a pipe, after its answer
	// may have; once Close has reaped the process, all of it is there.
	f.Close()
	logs := out.String()
	for _, want := range []string{
		"START RequestId: " + got.RequestID + " Version: $LATEST",
		"END RequestId: " + got.RequestID,
		"REPORT RequestId: " + got.RequestID,
		"Init Duration:",
		"a line from the handler\n",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("output lacks %q:\n%s", want, logs)
		}
	}
}

func TestInvokeClientContext(t *testing.T) {
	f, _ := newFunction(t, "handler", nil)
	resp, fnErr, err := f.InvokeRequest(context.Background(), runtimeapi.Request{
		Payload:       []byte(`{"action":"echo"}`),
		ClientContext: []byte(`{"custom":{"tenant":"demo"}}`),
	})
	if err != nil || fnErr != nil {
		t.Fatalf("fnErr=%v err=%v", fnErr, err)
	}
	var got handlerResponse
	json.Unmarshal(resp, &got)
	if got.ClientContext["tenant"] != "demo" {
		t.Errorf("client context = %v, want tenant demo", got.ClientContext)
	}
}

func TestInvokeFunctionErrors(t *testing.T) {
	tests := []struct {
		name     string
		payload  string
		timeout  time.Duration
		wantType string
		wantMsg  string
		// newProcess says whether Lambda throws the process away after
		// this failure.
		newProcess bool
	}{
		{name: "returned error", payload: `{"action":"error","message":"Unauthorized"}`, wantType: "errorString", wantMsg: "Unauthorized"},
		{name: "panic", payload: `{"action":"panic","message":"boom"}`, wantType: "string", wantMsg: "boom", newProcess: true},
		{name: "timeout", payload: `{"action":"hang"}`, timeout: 300 * time.Millisecond, wantType: "Sandbox.Timedout", wantMsg: "Task timed out after 0.30 seconds", newProcess: true},
		{name: "response too large", payload: `{"action":"big"}`, wantType: "Function.ResponseSizeTooLarge", wantMsg: "6291556 bytes", newProcess: true},
		{name: "malformed payload", payload: `not json`, wantType: "SyntaxError", wantMsg: "invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFunction(t, "handler", func(c *runtimeapi.Config) { c.Timeout = tt.timeout })
			first := invoke(t, f, map[string]string{"action": "echo"})
			resp, fnErr, err := f.Invoke(context.Background(), []byte(tt.payload))
			if err != nil {
				t.Fatalf("err = %v, want a function error", err)
			}
			if fnErr == nil {
				t.Fatalf("no function error; response %.200q", resp)
			}
			if fnErr.Type != tt.wantType || !strings.Contains(fnErr.Message, tt.wantMsg) {
				t.Errorf("function error = %+v, want type %q with %q", fnErr, tt.wantType, tt.wantMsg)
			}
			// The function keeps serving, in a new process if the old one
			// had to go.
			next := invoke(t, f, map[string]string{"action": "echo"})
			if (next.PID != first.PID) != tt.newProcess {
				t.Errorf("process %d then %d; want a new process: %v", first.PID, next.PID, tt.newProcess)
			}
		})
	}
}

func TestInvokeProcessCrash(t *testing.T) {
	t.Run("mid-invocation", func(t *testing.T) {
		f, _ := newFunction(t, "handler", nil)
		first := invoke(t, f, map[string]string{"action": "echo"})
		_, fnErr, err := f.Invoke(context.Background(), []byte(`{"action":"crash"}`))
		var exit *runtimeapi.ExitError
		if !errors.As(err, &exit) || fnErr != nil {
			t.Fatalf("err = %v, fnErr = %v; want an *ExitError", err, fnErr)
		}
		if !strings.Contains(exit.Error(), "exit status 3") || exit.FunctionError().Type != "Runtime.ExitError" {
			t.Errorf("exit error = %v (%+v)", exit, exit.FunctionError())
		}
		if !processGone(first.PID) {
			t.Errorf("process %d still runs", first.PID)
		}
		next := invoke(t, f, map[string]string{"action": "echo"})
		if next.PID == first.PID {
			t.Error("the crashed process was reused")
		}
		if n := len(f.Instances()); n != 1 {
			t.Errorf("%d live instances, want 1", n)
		}
	})
	t.Run("at init", func(t *testing.T) {
		f, out := newFunction(t, "handler", func(c *runtimeapi.Config) { c.Env = map[string]string{"CRASH_AT_INIT": "1"} })
		_, _, err := f.Invoke(context.Background(), []byte(`{}`))
		var exit *runtimeapi.ExitError
		if !errors.As(err, &exit) || !strings.Contains(err.Error(), "exit status 4") {
			t.Fatalf("err = %v, want an *ExitError with exit status 4", err)
		}
		if !strings.Contains(out.String(), "failing at init") {
			t.Errorf("the process's stderr was not kept: %q", out.String())
		}
		if n := len(f.InitDurations()); n != 0 {
			t.Errorf("%d init durations recorded for a process that never asked for work", n)
		}
	})
}

// TestInvokeConcurrency holds invocations open at a barrier to see how
// many run at once, so nothing depends on timing.
func TestInvokeConcurrency(t *testing.T) {
	tests := []struct {
		name           string
		maxConcurrency int
		invocations    int
	}{
		{name: "parallel up to the bound", maxConcurrency: 4, invocations: 4},
		{name: "queued beyond the bound", maxConcurrency: 2, invocations: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newFunction(t, "handler", func(c *runtimeapi.Config) { c.MaxConcurrency = tt.maxConcurrency })
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			// Bounds the test if invocations never arrive.
			ln.(*net.TCPListener).SetDeadline(time.Now().Add(2 * time.Minute))

			payload, _ := json.Marshal(map[string]string{"action": "barrier", "barrier": ln.Addr().String()})
			results := make(chan handlerResponse, tt.invocations)
			errs := make(chan error, tt.invocations)
			for range tt.invocations {
				go func() {
					resp, fnErr, err := f.Invoke(context.Background(), payload)
					if err == nil && fnErr != nil {
						err = fnErr
					}
					var r handlerResponse
					if err == nil {
						err = json.Unmarshal(resp, &r)
					}
					errs <- err
					results <- r
				}()
			}
			remaining := tt.invocations
			for remaining > 0 {
				// Exactly min(bound, remaining) invocations reach the
				// barrier before any is released.
				wave := min(tt.maxConcurrency, remaining)
				var held []net.Conn
				for range wave {
					conn, err := ln.Accept()
					if err != nil {
						t.Fatalf("waiting for %d invocations at the barrier: %v", wave, err)
					}
					held = append(held, conn)
				}
				if n := len(f.Instances()); n > tt.maxConcurrency {
					t.Errorf("%d processes, over the bound %d", n, tt.maxConcurrency)
				}
				for _, c := range held {
					c.Write([]byte{1})
					c.Close()
				}
				for range wave {
					if err := <-errs; err != nil {
						t.Fatal(err)
					}
				}
				remaining -= wave
			}
			pids := map[int]bool{}
			for range tt.invocations {
				pids[(<-results).PID] = true
			}
			if len(pids) != tt.maxConcurrency {
				t.Errorf("served by %d processes, want %d", len(pids), tt.maxConcurrency)
			}
			if n := len(f.InitDurations()); n != tt.maxConcurrency {
				t.Errorf("%d cold starts recorded, want %d", n, tt.maxConcurrency)
			}
		})
	}
}

func TestRuntimeAPIProtocol(t *testing.T) {
	f, out := newFunction(t, "raw", nil)
	resp, fnErr, err := f.Invoke(context.Background(), []byte(`"check"`))
	if err != nil || fnErr != nil {
		t.Fatalf("fnErr=%v err=%v", fnErr, err)
	}
	if string(resp) != `{"wrongId":400}` {
		t.Errorf("response to an unknown request id: got %s, want status 400", resp)
	}
	_, fnErr, err = f.Invoke(context.Background(), []byte(`"plain-error"`))
	if err != nil || fnErr == nil || fnErr.Type != "Custom.Kind" || fnErr.Message != "boom" {
		t.Errorf("plain error: fnErr=%+v err=%v, want Custom.Kind boom", fnErr, err)
	}
	// The program printed before asking for the second invocation; Close
	// drains its output.
	f.Close()
	if !strings.Contains(out.String(), "statuses first=202 again=403") {
		t.Errorf("response statuses not as the Runtime API answers: %q", out.String())
	}
}

func TestInvokeLimitsAndClose(t *testing.T) {
	f, _ := newFunction(t, "handler", nil)
	if _, _, err := f.Invoke(context.Background(), make([]byte, runtimeapi.MaxRequestPayload+1)); !errors.Is(err, runtimeapi.ErrPayloadTooLarge) {
		t.Errorf("oversized payload: err = %v, want ErrPayloadTooLarge", err)
	}
	got := invoke(t, f, map[string]string{"action": "echo"})
	f.Close()
	if !processGone(got.PID) {
		t.Errorf("process %d outlived Close", got.PID)
	}
	if n := len(f.Instances()); n != 0 {
		t.Errorf("%d instances listed after Close", n)
	}
	if _, _, err := f.Invoke(context.Background(), []byte(`{}`)); !errors.Is(err, runtimeapi.ErrClosed) {
		t.Errorf("after Close: err = %v, want ErrClosed", err)
	}
	if _, err := runtimeapi.NewFunction(runtimeapi.Config{Name: "Missing", Path: filepath.Join(t.TempDir(), "bootstrap")}); err == nil {
		t.Error("a missing bootstrap was accepted")
	}
}

// processGone reports whether pid no longer exists (it was killed and
// reaped).
func processGone(pid int) bool {
	return errors.Is(syscall.Kill(pid, 0), syscall.ESRCH)
}
