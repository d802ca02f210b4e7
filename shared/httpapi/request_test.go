package httpapi_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

type inner struct {
	Count int64 `json:"count"`
}

// payload has a field of each JSON kind, so every type mismatch can be
// provoked.
type payload struct {
	Name   string            `json:"name"`
	Order  int64             `json:"order"`
	Ratio  float64           `json:"ratio"`
	Active bool              `json:"active"`
	Tags   []string          `json:"tags"`
	Inner  *inner            `json:"inner"`
	Attrs  map[string]string `json:"attrs"`
}

// decodeHandler decodes the body into a payload and records it.
func decodeHandler(got *payload, called *bool) httpapi.HandlerFunc {
	return func(_ context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		*called = true
		var p payload
		if err := r.DecodeJSON(&p); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		*got = p
		return httpapi.NoContent(), nil
	}
}

// decodeRouter serves "POST /things" with decodeHandler, so the tests see
// the statuses the router really answers.
func decodeRouter(got *payload, called *bool) *httpapi.Router {
	rt, _ := newRouter()
	rt.Handle("POST /things", decodeHandler(got, called))
	return rt
}

func jsonEvent(contentType, body string) events.APIGatewayV2HTTPRequest {
	ev := event("POST", "/things")
	if contentType != "" {
		ev.Headers["content-type"] = contentType
	}
	ev.Body = body
	return ev
}

// b64 returns ev with its body base64-encoded, as API Gateway sends a
// body it does not take for text.
func b64(ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
	ev.Body = base64.StdEncoding.EncodeToString([]byte(ev.Body))
	ev.IsBase64Encoded = true
	return ev
}

func TestDecodeJSONAccepts(t *testing.T) {
	const body = `{"name":"Support","order":3,"ratio":0.5,"active":true,"tags":["a","b"],"inner":{"count":2},"attrs":{"k":"v"}}`
	want := payload{Name: "Support", Order: 3, Ratio: 0.5, Active: true, Tags: []string{"a", "b"}, Inner: &inner{Count: 2}, Attrs: map[string]string{"k": "v"}}
	// Exactly MaxBodyBytes is still allowed.
	filler := strings.Repeat("x", httpapi.MaxBodyBytes-len(`{"name":""}`))
	tests := []struct {
		name string
		ev   events.APIGatewayV2HTTPRequest
		want payload
	}{
		{"object", jsonEvent("application/json", body), want},
		{"charset parameter", jsonEvent("application/json; charset=utf-8", body), want},
		{"merge patch", jsonEvent("application/merge-patch+json", `{"name":"x"}`), payload{Name: "x"}},
		{"problem json", jsonEvent("application/problem+json", `{"name":"x"}`), payload{Name: "x"}},
		{"media type case", jsonEvent("Application/JSON", `{"name":"x"}`), payload{Name: "x"}},
		{"surrounding whitespace", jsonEvent("application/json", " \n\t"+body+"\r\n "), want},
		{"empty object", jsonEvent("application/json", `{}`), payload{}},
		{"null fields", jsonEvent("application/json", `{"inner":null,"tags":null}`), payload{}},
		{"unicode", jsonEvent("application/json", `{"name":"Vertrag für Zoë \u2603"}`), payload{Name: "Vertrag für Zoë ☃"}},
		{"largest safe integer", jsonEvent("application/json", `{"order":9007199254740991}`), payload{Order: 9007199254740991}},
		{"exactly the size limit", jsonEvent("application/json", `{"name":"`+filler+`"}`), payload{Name: filler}},
		{"base64", b64(jsonEvent("application/json", body)), want},
		// The limit applies to the decoded body, not its larger
		// base64 form.
		{"Content-Encoding identity", func() events.APIGatewayV2HTTPRequest {
			ev := jsonEvent("application/json", `{"name":"x"}`)
			ev.Headers["Content-Encoding"] = "identity"
			return ev
		}(), payload{Name: "x"}},
		{"base64 at the size limit", b64(jsonEvent("application/json", `{"name":"`+filler+`"}`)), payload{Name: filler}},
		{"content type header not lower case", func() events.APIGatewayV2HTTPRequest {
			ev := jsonEvent("", body)
			ev.Headers["Content-Type"] = "application/json"
			return ev
		}(), want},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got payload
			var called bool
			resp := serve(t, decodeRouter(&got, &called), tt.ev)
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("status = %d, body %s", resp.StatusCode, resp.Body)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("decoded %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeJSONRefuses(t *testing.T) {
	over := `{"name":"` + strings.Repeat("x", httpapi.MaxBodyBytes-len(`{"name":""}`)+1) + `"}`
	tests := []struct {
		name   string
		ev     events.APIGatewayV2HTTPRequest
		status int
		// field, when set, is the one field errors[] must name.
		field string
		// message, when set, is that field's message.
		message string
	}{
		{"over the size limit", jsonEvent("application/json", over), 413, "", ""},
		{"base64 over the size limit", b64(jsonEvent("application/json", over)), 413, "", ""},
		{"no content type", jsonEvent("", `{"name":"x"}`), 415, "", ""},
		{"text/plain", jsonEvent("text/plain", `{"name":"x"}`), 415, "", ""},
		{"form", jsonEvent("application/x-www-form-urlencoded", `name=x`), 415, "", ""},
		{"json lookalike", jsonEvent("application/jsonx", `{"name":"x"}`), 415, "", ""},
		{"unparsable content type", jsonEvent("application/json; =", `{"name":"x"}`), 415, "", ""},
		{"a charset but UTF-8", jsonEvent("application/json; charset=iso-8859-1", `{"name":"x"}`), 415, "", ""},
		{"a compressed body", func() events.APIGatewayV2HTTPRequest {
			ev := b64(jsonEvent("application/json", `{"name":"x"}`))
			ev.Headers["Content-Encoding"] = "gzip"
			return ev
		}(), 415, "", ""},
		{"empty body", jsonEvent("application/json", ""), 400, "", ""},
		{"whitespace body", jsonEvent("application/json", " \n\t\r "), 400, "", ""},
		{"invalid base64", func() events.APIGatewayV2HTTPRequest {
			ev := jsonEvent("application/json", "not base64!")
			ev.IsBase64Encoded = true
			return ev
		}(), 400, "", ""},
		{"invalid utf-8", jsonEvent("application/json", "{\"name\":\"\xff\xfe\"}"), 400, "", ""},
		{"invalid utf-8 in base64", b64(jsonEvent("application/json", "{\"name\":\"\xc3\x28\"}")), 400, "", ""},
		{"malformed", jsonEvent("application/json", `{"name":}`), 400, "", ""},
		{"unquoted key", jsonEvent("application/json", `{name:"x"}`), 400, "", ""},
		{"single quotes", jsonEvent("application/json", `{'name':'x'}`), 400, "", ""},
		{"trailing comma", jsonEvent("application/json", `{"name":"x",}`), 400, "", ""},
		{"truncated object", jsonEvent("application/json", `{"name":"x"`), 400, "", ""},
		{"truncated value", jsonEvent("application/json", `{"name":`), 400, "", ""},
		{"truncated string", jsonEvent("application/json", `{"name":"x`), 400, "", ""},
		{"string into int64", jsonEvent("application/json", `{"order":"5"}`), 400, "order", "must be an integer"},
		{"fraction into int64", jsonEvent("application/json", `{"order":1.5}`), 400, "order", "must be an integer from -9007199254740991 to 9007199254740991, without a fraction or exponent"},
		{"past 2^53-1", jsonEvent("application/json", `{"order":9007199254740992}`), 400, "order", "must be an integer from -9007199254740991 to 9007199254740991"},
		{"int64 overflow", jsonEvent("application/json", `{"order":9223372036854775808}`), 400, "order", "must be an integer from -9007199254740991 to 9007199254740991"},
		{"exponent into int64", jsonEvent("application/json", `{"order":1e30}`), 400, "order", "must be an integer from -9007199254740991 to 9007199254740991, without a fraction or exponent"},
		{"bool into int64", jsonEvent("application/json", `{"order":true}`), 400, "order", "must be an integer"},
		{"number into string", jsonEvent("application/json", `{"name":5}`), 400, "name", "must be a string"},
		{"string into float", jsonEvent("application/json", `{"ratio":"0.5"}`), 400, "ratio", "must be a number"},
		{"string into bool", jsonEvent("application/json", `{"active":"yes"}`), 400, "active", "must be a boolean"},
		{"string into array", jsonEvent("application/json", `{"tags":"a"}`), 400, "tags", "must be an array"},
		{"number in string array", jsonEvent("application/json", `{"tags":["a",1]}`), 400, "tags[1]", "must be a string"},
		{"array into object", jsonEvent("application/json", `{"inner":[]}`), 400, "inner", "must be an object"},
		{"string into map", jsonEvent("application/json", `{"attrs":"k=v"}`), 400, "attrs", "must be an object"},
		{"nested wrong type", jsonEvent("application/json", `{"inner":{"count":"2"}}`), 400, "inner.count", "must be an integer"},
		{"unknown field", jsonEvent("application/json", `{"name":"x","nmae":"y"}`), 400, "nmae", "is not a known field"},
		{"nested unknown field", jsonEvent("application/json", `{"inner":{"count":1,"extra":2}}`), 400, "inner.extra", "is not a known field"},
		{"second object", jsonEvent("application/json", `{"name":"x"}{"name":"y"}`), 400, "", ""},
		{"trailing garbage", jsonEvent("application/json", `{"name":"x"} x`), 400, "", ""},
		{"trailing brace", jsonEvent("application/json", `{"name":"x"}}`), 400, "", ""},
		{"trailing value", jsonEvent("application/json", `{"name":"x"} 1`), 400, "", ""},
		{"top-level array", jsonEvent("application/json", `[{"name":"x"}]`), 400, "", ""},
		{"top-level string", jsonEvent("application/json", `"x"`), 400, "", ""},
		{"top-level number", jsonEvent("application/json", `42`), 400, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got payload
			var called bool
			rt := decodeRouter(&got, &called)
			resp := serve(t, rt, tt.ev)
			p := problemOf(t, resp, tt.status)
			if !called {
				t.Fatal("handler not called")
			}
			if p.Detail == "" {
				t.Error("refusal without a detail")
			}
			if tt.field != "" {
				if len(p.Errors) != 1 || p.Errors[0].Field != tt.field || p.Errors[0].Message != tt.message {
					t.Errorf("errors = %+v, want [{%s %s}]", p.Errors, tt.field, tt.message)
				}
			} else if len(p.Errors) != 0 {
				t.Errorf("errors = %+v, want none", p.Errors)
			}
			// Clients must not see Go's internals.
			for _, leak := range []string{"json: ", "int64", "float64", "map[", "[]string", "httpapi", "struct", "Go value", "unmarshal"} {
				if strings.Contains(resp.Body, leak) {
					t.Errorf("body leaks %q: %s", leak, resp.Body)
				}
			}
		})
	}
}

func TestDecodeJSONRefusalsAreNotLoggedAsFailures(t *testing.T) {
	var got payload
	var called bool
	for _, ev := range []events.APIGatewayV2HTTPRequest{
		jsonEvent("application/json", `{"order":"x"}`),
		jsonEvent("text/plain", `{}`),
		jsonEvent("application/json", `{"name":"`+strings.Repeat("x", httpapi.MaxBodyBytes)+`"}`),
	} {
		rt, buf := newRouter()
		rt.Handle("POST /things", decodeHandler(&got, &called))
		resp := serve(t, rt, ev)
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			t.Fatalf("status = %d, want a 4xx", resp.StatusCode)
		}
		if l := linesWithMsg(t, buf, "request failed"); len(l) != 0 {
			t.Errorf("a %d refusal was logged as a failure: %v", resp.StatusCode, l)
		}
		requestLine(t, buf, resp.StatusCode)
	}
}

func TestHeader(t *testing.T) {
	ev := event("GET", "/x")
	ev.Headers = map[string]string{
		"content-type": "application/json",
		"tenant-id":    "a1",
		"X-Custom":     "custom",
		"x-empty":      "",
	}
	r := capture(t, ev)
	tests := []struct{ name, want string }{
		{"content-type", "application/json"},
		{"Content-Type", "application/json"},
		{"CONTENT-TYPE", "application/json"},
		{"Tenant-Id", "a1"},
		{"x-custom", "custom"},
		{"X-CUSTOM", "custom"},
		{"X-Custom", "custom"},
		{"x-empty", ""},
		{"missing", ""},
		{"content", ""},
	}
	for _, tt := range tests {
		if got := r.Header(tt.name); got != tt.want {
			t.Errorf("Header(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestQuery(t *testing.T) {
	ev := event("GET", "/x")
	ev.QueryStringParameters = map[string]string{"limit": "10", "cursor": ""}
	r := capture(t, ev)
	tests := []struct {
		name      string
		want      string
		wantFound bool
	}{
		{"limit", "10", true},
		{"cursor", "", true}, // "?cursor=" is present, unlike an absent cursor
		{"status", "", false},
		{"LIMIT", "", false}, // query names are case-sensitive
	}
	for _, tt := range tests {
		got, found := r.Query(tt.name)
		if got != tt.want || found != tt.wantFound {
			t.Errorf("Query(%q) = %q, %v; want %q, %v", tt.name, got, found, tt.want, tt.wantFound)
		}
	}

	none := capture(t, event("GET", "/x"))
	if v, found := none.Query("limit"); v != "" || found {
		t.Errorf("Query on an event without a query string = %q, %v", v, found)
	}
}

func TestPathParam(t *testing.T) {
	rt, _ := newRouter()
	var got [3]string
	rt.Handle("GET /v1/organizations/{organizationId}/contracts/{contractId}", func(_ context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		got = [3]string{r.PathParam("organizationId"), r.PathParam("contractId"), r.PathParam("missing")}
		return httpapi.NoContent(), nil
	})
	serve(t, rt, routed("GET /v1/organizations/{organizationId}/contracts/{contractId}", "/v1/organizations/org-1/contracts/ctr_1",
		map[string]string{"organizationId": "org-1", "contractId": "ctr_1"}))
	if want := [3]string{"org-1", "ctr_1", ""}; got != want {
		t.Fatalf("PathParam = %q, want %q", got, want)
	}
}

// TestRecordedEvent serves an event as API Gateway delivers it on the
// wire, so the field names and the authorizer context's JSON types are the
// real ones, not what a hand-built struct assumes.
func TestRecordedEvent(t *testing.T) {
	data := httpapitest.ReadFile(t, "testdata/create-contract-event.json")
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal([]byte(data), &ev); err != nil {
		t.Fatal(err)
	}
	rt, buf := newRouter()
	var seen *httpapi.Request
	var body payload
	rt.Handle("POST /api/v1/contracts", func(_ context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		seen = r
		if err := r.DecodeJSON(&body); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return httpapi.JSON(http.StatusCreated, map[string]string{"id": "ctr_1"})
	})
	resp := serve(t, rt, ev)
	if resp.StatusCode != http.StatusCreated || resp.Headers["Content-Type"] != "application/json" || resp.Body != `{"id":"ctr_1"}` {
		t.Fatalf("response = %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	if want := (contract.Actor{TenantID: "t1", CredentialID: "c1"}); seen.Actor != want {
		t.Errorf("Actor = %+v, want %+v", seen.Actor, want)
	}
	if !seen.NamesTenant(seen.Header("Tenant-ID")) {
		t.Errorf("tenant-id header %q does not name the tenant", seen.Header("Tenant-ID"))
	}
	if v, ok := seen.Query("dryRun"); v != "true" || !ok {
		t.Errorf("Query(dryRun) = %q, %v", v, ok)
	}
	want := payload{Name: "Support 2026", Order: 3, Tags: []string{"gold"}, Inner: &inner{Count: 2}}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body = %+v, want %+v", body, want)
	}
	l := requestLine(t, buf, http.StatusCreated)
	if l["requestId"] != "JKJaXmPLvHcESHA=" || l["traceId"] != "trace-7f3a" {
		t.Errorf("request line = %v", l)
	}
	// The event carries a bearer token; the router must not log it.
	if strings.Contains(buf.String(), "ctk_") {
		t.Errorf("token logged:\n%s", buf)
	}
}
