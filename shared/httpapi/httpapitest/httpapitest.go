// Package httpapitest builds the events API Gateway's HTTP API hands a
// function, and checks the answers, for every test that sends a request
// through a router without the local gateway: one builder, so that what
// API Gateway puts in an event (the route key it matched, the path
// parameters, the query string as it parses it, the Lambda authorizer's
// context, the stage variables) is written down once.
package httpapitest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/openapitest"
	"github.com/contracts-service/contracts/shared/routes"
	"github.com/contracts-service/contracts/shared/strictjson"
)

// Caller is who the service's Lambda authorizer let in: what its context
// hands every function.
type Caller struct {
	TenantID     string
	CredentialID string
	// Aliases are the tenant's aliases, comma-separated, as the context
	// carries them.
	Aliases string
}

// Request is one request as a client sends it to the HTTP API, and what
// API Gateway adds to it.
type Request struct {
	Method string
	// Target is the path as sent, with its query string if it has one.
	Target string
	Body   string
	// Headers are set over a content-type of application/json; a header
	// with an empty value is left out.
	Headers map[string]string
	// Caller, when not zero, is the authorizer's context.
	Caller Caller
	// Routes are the route keys of the API: the event names the one API
	// Gateway matches, with its path parameters. Nil makes the route key
	// the method and the path, a route without parameters.
	Routes []string
	// StackID, when set, is the stage variable the stack's own API sets
	// (httpapi.StageVariableStackID), and AccountID the account API
	// Gateway names.
	StackID, AccountID string
	// RequestID is API Gateway's request id; "req-1" when empty.
	RequestID string
	// Stage, when set, is the named stage the client called by the API's
	// own endpoint: the paths API Gateway hands over start with it, the
	// route key does not ($default when empty).
	Stage string
}

// Event returns the event API Gateway hands a function for r.
func (r Request) Event() events.APIGatewayV2HTTPRequest {
	path, rawQuery, _ := strings.Cut(r.Target, "?")
	key, params := r.Method+" "+path, map[string]string(nil)
	if r.Routes != nil {
		key, params = routes.MustNew(r.Routes).Route(r.Method, path)
	}
	headers := map[string]string{"content-type": "application/json"}
	for k, v := range r.Headers {
		headers[k] = v
		if v == "" {
			delete(headers, k)
		}
	}
	stage, sent := "$default", path
	if r.Stage != "" {
		stage, sent = r.Stage, "/"+r.Stage+path
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: key, RawPath: sent, RawQueryString: rawQuery, QueryStringParameters: Query(rawQuery),
		PathParameters: params, Headers: headers, Body: r.Body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: r.RequestID, RouteKey: key, Stage: stage, AccountID: r.AccountID,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: sent},
		},
	}
	if ev.RequestContext.RequestID == "" {
		ev.RequestContext.RequestID = "req-1"
	}
	if r.StackID != "" {
		ev.StageVariables = map[string]string{httpapi.StageVariableStackID: r.StackID}
	}
	if r.Caller != (Caller{}) {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{
			httpapi.ContextTenantID: r.Caller.TenantID, httpapi.ContextCredentialID: r.Caller.CredentialID,
			httpapi.ContextTenantAliases: r.Caller.Aliases,
		}}
	}
	return ev
}

// Query reads a raw query string as API Gateway hands it to a function:
// pairs split on & and =, percent-decoded, repeated keys joined with
// commas; a pair that does not decode is left out, and text that is not
// UTF-8 once decoded reaches the function, through the JSON of the event,
// with U+FFFD in its place. An empty query string is nil, as API Gateway
// leaves queryStringParameters out.
func Query(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	out := map[string]string{}
	for pair := range strings.SplitSeq(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, errK := url.QueryUnescape(k)
		v, errV := url.QueryUnescape(v)
		if errK != nil || errV != nil {
			continue
		}
		k, v = strings.ToValidUTF8(k, "\uFFFD"), strings.ToValidUTF8(v, "\uFFFD")
		if prev, ok := out[k]; ok {
			v = prev + "," + v
		}
		out[k] = v
	}
	return out
}

// Headers reads name/value pairs as a Request's Headers.
func Headers(pairs ...string) map[string]string {
	h := map[string]string{}
	for i := 0; i+1 < len(pairs); i += 2 {
		h[pairs[i]] = pairs[i+1]
	}
	return h
}

// Exchange sends r through rt (matched against rt's routes when r names
// none) and checks the exchange against infra/openapi.yaml. It stops no
// test, so workers may call it concurrently: a mismatch with the document
// is reported with t.Errorf, and a failure to serve returned.
func Exchange(t testing.TB, rt *httpapi.Router, r Request) (events.APIGatewayV2HTTPResponse, error) {
	t.Helper()
	if r.Routes == nil {
		r.Routes = rt.RouteKeys()
	}
	ev := r.Event()
	resp, err := rt.Serve(context.Background(), ev)
	if err != nil {
		return resp, fmt.Errorf("%s %s: %w", r.Method, r.Target, err)
	}
	openapitest.Validate(t, ev, resp)
	return resp, nil
}

// Reply is an answer of an API whose bodies are JSON objects.
type Reply struct {
	Status  int
	Headers map[string]string
	// Raw is the body as sent, and Body the object it holds (nil when
	// the body is empty).
	Raw  string
	Body map[string]any
}

// ExchangeJSON is Exchange for an API whose bodies are JSON objects: a
// body that is not one is returned as an error too.
func ExchangeJSON(t testing.TB, rt *httpapi.Router, r Request) (Reply, error) {
	t.Helper()
	resp, err := Exchange(t, rt, r)
	if err != nil {
		return Reply{}, err
	}
	out := Reply{Status: resp.StatusCode, Headers: resp.Headers, Raw: resp.Body}
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &out.Body); err != nil {
			return out, fmt.Errorf("%s %s: the body is not a JSON object: %v\n%s", r.Method, r.Target, err, resp.Body)
		}
	}
	return out, nil
}

// Send is ExchangeJSON that stops the test on a failure to serve; a
// mismatch with the document is still reported with t.Errorf.
func Send(t testing.TB, rt *httpapi.Router, r Request) Reply {
	t.Helper()
	reply, err := ExchangeJSON(t, rt, r)
	if err != nil {
		t.Fatal(err)
	}
	return reply
}

// ProblemFields lists, sorted, the fields a problem body names: an empty
// list, not nil, when it names none.
func ProblemFields(body map[string]any) []string {
	fields := []string{}
	list, _ := body["errors"].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			s, _ := m["field"].(string)
			fields = append(fields, s)
		}
	}
	slices.Sort(fields)
	return fields
}

// ExchangeAll sends requests through rt, workers of them in flight at
// once, and returns their answers in the order of requests (see
// ExchangeJSON). A failure to serve fails the test once every request
// has been answered.
func ExchangeAll(t testing.TB, rt *httpapi.Router, workers int, requests []Request) []Reply {
	t.Helper()
	out := make([]Reply, len(requests))
	errs := make([]error, len(requests))
	next := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				out[i], errs[i] = ExchangeJSON(t, rt, requests[i])
			}
		}()
	}
	for i := range requests {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return out
}

// Serve is Exchange that stops the test on a failure to serve, and holds
// the answer to the service's rule (see Check).
func Serve(t testing.TB, rt *httpapi.Router, r Request, allowed ...int) events.APIGatewayV2HTTPResponse {
	t.Helper()
	resp, err := Exchange(t, rt, r)
	if err != nil {
		t.Fatal(err)
	}
	Check(t, r, resp, allowed...)
	return resp
}

// Check holds an answer to r to the service's rule: a status short of a
// 5xx, one of allowed when any are given; an error as a problem body
// (served as application/problem+json, or application/json where the
// route's API answers so: infra/openapi.yaml, which Exchange checks,
// says which) whose every field error names its field; a success's body,
// if it has one, JSON that the service's own strict decoding reads back.
func Check(t testing.TB, r Request, resp events.APIGatewayV2HTTPResponse, allowed ...int) {
	t.Helper()
	if resp.StatusCode >= 500 || len(allowed) > 0 && !slices.Contains(allowed, resp.StatusCode) {
		t.Fatalf("%s %s %q: %d (documented here: %v) %s", r.Method, r.Target, r.Body, resp.StatusCode, allowed, resp.Body)
	}
	if resp.StatusCode >= 400 {
		var p httpapi.Problem
		ct := resp.Headers["Content-Type"]
		if err := strictjson.Decode([]byte(resp.Body), &p); err != nil || p.Status != resp.StatusCode || p.Detail == "" ||
			ct != httpapi.ProblemContentType && ct != "application/json" {
			t.Fatalf("%s %s: %d is not a problem+json body (%v): %s", r.Method, r.Target, resp.StatusCode, err, resp.Body)
		}
		for _, f := range p.Errors {
			if f.Field == "" || f.Message == "" {
				t.Fatalf("%s %s: a field error without field or message: %s", r.Method, r.Target, resp.Body)
			}
		}
		return
	}
	var v any
	if err := strictjson.Decode([]byte(resp.Body), &v); resp.Body != "" && err != nil {
		t.Fatalf("%s %s: a %d body does not re-decode: %v\n%s", r.Method, r.Target, resp.StatusCode, err, resp.Body)
	}
}

// SampleEvents is the directory of the repository's sample events
// (infra/events), found from this source file rather than the working
// directory, which is each test's own package directory.
func SampleEvents() string {
	return filepath.Join(repoRoot(), "infra", "events")
}

// Seed is the create-contract example of a dialect's documentation
// ("kukkingu", "aira", "fabric"), as its package keeps it in
// shared/<dialect>/testdata/seed-create.json.
func Seed(t testing.TB, dialect string) string {
	t.Helper()
	return ReadFile(t, filepath.Join(repoRoot(), "shared", dialect, "testdata", "seed-create.json"))
}

// ReadFile is the text of the file at path, relative to the directory of
// the package under test (a fixture in its testdata); a file that cannot
// be read fails the test.
func ReadFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// repoRoot is the repository's root, found from this source file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// ReadEvent reads the JSON object at path: an event, or a fixture
// body a test edits before it sends it.
func ReadEvent(t testing.TB, path string) map[string]any {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal([]byte(ReadFile(t, path)), &ev); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return ev
}

// MustJSON is v as JSON text; a value that does not encode is a mistake
// in the test, which it panics on.
func MustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// Decode decodes the JSON text body into a T, failing t when it is not
// one.
func Decode[T any](t testing.TB, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	return v
}

// SameJSON reports whether a and b hold the same JSON value, whatever
// their spacing and the order of their members.
func SameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}
