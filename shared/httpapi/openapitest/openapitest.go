// Package openapitest validates responses of the HTTP handlers against
// infra/openapi.yaml, so the document cannot drift from the code: a test
// that serves an event through a router hands the event and the response
// to Validate, and an undocumented route or status, a header or a body that
// does not match its schema, fails the test.
package openapitest

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// spec is the document and its router, loaded once per test binary.
type spec struct {
	path   string
	doc    *openapi3.T
	router routers.Router
	err    error
}

var (
	loadOnce sync.Once
	loaded   spec
)

// documentPath finds infra/openapi.yaml from this source file rather than
// the working directory, which is each test's own package directory.
func documentPath() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the openapitest source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "..", "infra", "openapi.yaml"), nil
}

func load() spec {
	loadOnce.Do(func() {
		loaded.path, loaded.err = documentPath()
		if loaded.err != nil {
			return
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(loaded.path)
		if err != nil {
			loaded.err = fmt.Errorf("load %s: %w", loaded.path, err)
			return
		}
		if err := doc.Validate(loader.Context); err != nil {
			loaded.err = fmt.Errorf("%s is not a valid OpenAPI document: %w", loaded.path, err)
			return
		}
		// Routes are matched on method and path alone: the servers pin
		// hosts (127.0.0.1:3000, execute-api) and a stage base path that
		// the events' paths do not carry once httpRequest has removed the
		// stage.
		routing := *doc
		routing.Servers = nil
		router, err := gorillamux.NewRouter(&routing)
		if err != nil {
			loaded.err = fmt.Errorf("route %s: %w", loaded.path, err)
			return
		}
		loaded.doc, loaded.router = doc, router
	})
	return loaded
}

// Routes returns every operation of the document as a route key
// ("POST /api/v1/contracts"), sorted: the form template.yaml's routes and
// the routers' keys take.
func Routes(t testing.TB) []string {
	t.Helper()
	s := load()
	if s.err != nil {
		t.Fatalf("openapi: %v", s.err)
		return nil
	}
	var keys []string
	for path, item := range s.doc.Paths.Map() {
		for method := range item.Operations() {
			keys = append(keys, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(keys)
	return keys
}

// Validate checks that the document declares req's route and that resp
// matches it: the status is documented, documented headers are present
// and valid, and the body matches the schema of its content type. The
// request is validated too, but its failures are reported only when the
// response was a success: a test that sends a bad request on purpose
// expects the 4xx it gets.
func Validate(t testing.TB, req events.APIGatewayV2HTTPRequest, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	s := load()
	if s.err != nil {
		t.Fatalf("openapi: %v", s.err)
		return
	}
	hreq, err := httpRequest(req)
	if err != nil {
		t.Errorf("openapi: %s %s (status %d): cannot rebuild the request: %v", req.RequestContext.HTTP.Method, req.RawPath, resp.StatusCode, err)
		return
	}
	route, params, err := findRoute(s.router, hreq)
	if err != nil {
		t.Errorf("openapi: %s %s (status %d): the route is not documented in infra/openapi.yaml: %v", hreq.Method, hreq.URL.Path, resp.StatusCode, err)
		return
	}
	key := route.Method + " " + route.Path
	ctx := context.Background()

	reqInput := &openapi3filter.RequestValidationInput{
		Request:    hreq,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			// The authorizer, not the document, decides who gets in.
			AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
			MultiError:              true,
			SchemaValidationOptions: terse,
		},
	}
	reqErr := openapi3filter.ValidateRequest(ctx, reqInput)
	if reqErr != nil && resp.StatusCode >= 200 && resp.StatusCode < 300 {
		t.Errorf("openapi: %s answered %d to a request the document refuses: %v", key, resp.StatusCode, reqErr)
	}

	body, err := responseBody(resp)
	if err != nil {
		t.Errorf("openapi: %s (status %d): %v", key, resp.StatusCode, err)
		return
	}
	respInput := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: reqInput,
		Status:                 resp.StatusCode,
		Header:                 responseHeader(resp),
		Options: &openapi3filter.Options{
			IncludeResponseStatus:   true,
			MultiError:              true,
			SchemaValidationOptions: terse,
		},
	}
	respInput.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, respInput); err != nil {
		t.Errorf("openapi: %s answered %d, which does not match infra/openapi.yaml: %v\nbody: %s", key, resp.StatusCode, err, truncate(body))
		return
	}
	// ValidateResponse skips the body of a response documented without
	// content; such a response (a 204) must not have one.
	if r := route.Operation.Responses.Status(resp.StatusCode); r != nil && r.Value != nil && len(r.Value.Content) == 0 && len(body) > 0 {
		t.Errorf("openapi: %s answered %d with a body, but the document declares none: %s", key, resp.StatusCode, truncate(body))
	}
}

// terse leaves the schema and the value out of schema errors: the failure
// names the failing JSON path and prints the body once itself.
var terse = []openapi3.SchemaValidationOption{openapi3.DisableSchemaErrorDetails()}

// findRoute matches like the functions' router: a trailing slash that no
// route declares is ignored.
func findRoute(router routers.Router, r *http.Request) (*routers.Route, map[string]string, error) {
	route, params, err := router.FindRoute(r)
	if err != nil && len(r.URL.Path) > 1 && strings.HasSuffix(r.URL.Path, "/") {
		trimmed := r.Clone(r.Context())
		trimmed.URL.Path = strings.TrimSuffix(r.URL.Path, "/")
		trimmed.URL.RawPath = ""
		if route2, params2, err2 := router.FindRoute(trimmed); err2 == nil {
			return route2, params2, nil
		}
	}
	return route, params, err
}

// httpRequest rebuilds the HTTP request API Gateway turned into ev.
func httpRequest(ev events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	method := ev.RequestContext.HTTP.Method
	if method == "" {
		return nil, errors.New("the event has no requestContext.http.method")
	}
	rawPath := ev.RawPath
	if rawPath == "" {
		rawPath = ev.RequestContext.HTTP.Path
	}
	// A named stage (any but $default) prefixes the path the function
	// sees with "/<stage>"; the document's paths, like the routes of
	// template.yaml, are declared without it.
	if st := ev.RequestContext.Stage; st != "" && st != "$default" {
		if rest, ok := strings.CutPrefix(rawPath, "/"+st); ok && strings.HasPrefix(rest, "/") {
			rawPath = rest
		}
	}
	path, err := url.PathUnescape(rawPath)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", rawPath, err)
	}
	u := &url.URL{Scheme: "http", Host: "localhost", Path: path}
	if path != rawPath {
		u.RawPath = rawPath
	}
	if ev.RawQueryString != "" {
		u.RawQuery = ev.RawQueryString
	} else if len(ev.QueryStringParameters) > 0 {
		q := url.Values{}
		for k, v := range ev.QueryStringParameters {
			// API Gateway joins repeated parameters with commas.
			for _, part := range strings.Split(v, ",") {
				q.Add(k, part)
			}
		}
		u.RawQuery = q.Encode()
	}
	body := []byte(ev.Body)
	if ev.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(ev.Body); err != nil {
			return nil, fmt.Errorf("body: %w", err)
		}
	}
	r, err := http.NewRequestWithContext(context.Background(), method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	r.URL = u
	for k, v := range ev.Headers {
		r.Header.Add(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	return r, nil
}

// responseHeader canonicalises the response's header names, so
// "Content-Type" and "content-type" read the same.
func responseHeader(resp events.APIGatewayV2HTTPResponse) http.Header {
	h := http.Header{}
	for k, v := range resp.Headers {
		h.Add(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	if ct := h.Get("Content-Type"); ct != "" {
		// Parameters such as charset do not change which schema applies.
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			h.Set("Content-Type", mt)
		}
	}
	return h
}

func responseBody(resp events.APIGatewayV2HTTPResponse) ([]byte, error) {
	if !resp.IsBase64Encoded {
		return []byte(resp.Body), nil
	}
	b, err := base64.StdEncoding.DecodeString(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("the response body is not valid base64: %w", err)
	}
	return b, nil
}

// truncate keeps failure messages readable when a body is large.
func truncate(b []byte) string {
	const max = 2000
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}
