package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

func TestProblemResponseShape(t *testing.T) {
	for status := range problemTypes {
		t.Run(http.StatusText(status), func(t *testing.T) {
			p := problemOf(t, httpapi.ProblemResponse(status, "why it failed"), status)
			if p.Detail != "why it failed" || p.Message != "why it failed" || p.Errors != nil {
				t.Errorf("problem = %+v", p)
			}
			// Every problem carries a code, the status's own by default.
			if want := problemCodes[status]; p.Code != want {
				t.Errorf("code %q, want %q", p.Code, want)
			}
		})
	}
}

// problemCodes are the codes of the problems that have none of their own.
var problemCodes = map[int]string{
	400: "INVALID_REQUEST", 401: "UNAUTHORIZED", 403: "FORBIDDEN", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED",
	409: "CONFLICT", 413: "PAYLOAD_TOO_LARGE", 415: "UNSUPPORTED_MEDIA_TYPE", 422: "UNPROCESSABLE",
	500: "INTERNAL_ERROR", 501: "NOT_IMPLEMENTED", 503: "UNAVAILABLE",
}

// A domain error's own code wins over its status's, and its message is
// the problem's message.
func TestProblemCarriesTheErrorsCode(t *testing.T) {
	answer := func(err error) events.APIGatewayV2HTTPResponse {
		rt, _ := newRouter()
		rt.Handle("GET /x", func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
			return events.APIGatewayV2HTTPResponse{}, err
		})
		return serve(t, rt, event("GET", "/x"))
	}
	// The cause wrapped in the domain error is for the logs: the problem
	// carries the Message alone.
	p := problemOf(t, answer(&contract.Error{Kind: contract.KindConflict, Code: "CONTRACT_OWNED_BY_FABRIC", Message: "change it through fabric",
		Err: errors.New("ddb: owner FABRIC")}), http.StatusConflict)
	if p.Code != "CONTRACT_OWNED_BY_FABRIC" || p.Message != "change it through fabric" || p.Detail != "change it through fabric" {
		t.Errorf("problem = %+v", p)
	}
	p = problemOf(t, answer(contract.ErrVersionConflict), http.StatusConflict)
	if p.Code != "CONTRACT_CHANGED_CONCURRENTLY" {
		t.Errorf("a version conflict's code: %q", p.Code)
	}
}

func TestProblemResponseOmitsEmptyMembers(t *testing.T) {
	resp := httpapi.ProblemResponse(http.StatusNotFound, "")
	problemOf(t, resp, http.StatusNotFound)
	var raw map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"detail", "errors"} {
		if _, ok := raw[k]; ok {
			t.Errorf("empty %q member present: %s", k, resp.Body)
		}
	}
	if raw["message"] != "Not Found" {
		t.Errorf("a problem without detail has message %v, want its title", raw["message"])
	}
}

// TestProblemGolden pins the wire form of a validation problem: clients
// parse it, so a renamed member is a breaking change.
func TestProblemGolden(t *testing.T) {
	want := httpapitest.ReadFile(t, "testdata/problem-invalid.json")
	resp := httpapi.ProblemResponse(http.StatusBadRequest, "the request has invalid fields",
		contract.FieldError{Field: "validTo", Message: "must not be before validFrom"},
		contract.FieldError{Field: "actions[0].planId", Message: "is required"},
	)
	problemOf(t, resp, http.StatusBadRequest)
	var got, wantV any
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &wantV); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, wantV) {
		t.Fatalf("problem body\n%s\ndoes not match testdata/problem-invalid.json\n%s", resp.Body, want)
	}
}

func TestJSON(t *testing.T) {
	resp, err := httpapi.JSON(http.StatusCreated, map[string]any{"id": "ctr_1", "order": 3})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusCreated || resp.Headers["Content-Type"] != "application/json" {
		t.Fatalf("response = %d %v", resp.StatusCode, resp.Headers)
	}
	if resp.Body != `{"id":"ctr_1","order":3}` {
		t.Fatalf("body = %s", resp.Body)
	}
	if _, err := httpapi.JSON(http.StatusOK, make(chan int)); err == nil {
		t.Fatal("JSON encoded a channel")
	}
}

func TestNoContent(t *testing.T) {
	resp := httpapi.NoContent()
	if resp.StatusCode != http.StatusNoContent || resp.Body != "" {
		t.Fatalf("NoContent = %d %q", resp.StatusCode, resp.Body)
	}
}
