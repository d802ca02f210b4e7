package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"reflect"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
)

func TestProblemResponseShape(t *testing.T) {
	for status := range problemTypes {
		t.Run(http.StatusText(status), func(t *testing.T) {
			p := problemOf(t, httpapi.ProblemResponse(status, "why it failed"), status)
			if p.Detail != "why it failed" || p.Errors != nil {
				t.Errorf("problem = %+v", p)
			}
		})
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
}

// TestProblemGolden pins the wire form of a validation problem: clients
// parse it, so a renamed member is a breaking change.
func TestProblemGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/problem-invalid.json")
	if err != nil {
		t.Fatal(err)
	}
	resp := httpapi.ProblemResponse(http.StatusBadRequest, "the request has invalid fields",
		contract.FieldError{Field: "validTo", Message: "must not be before validFrom"},
		contract.FieldError{Field: "actions[0].planId", Message: "is required"},
	)
	problemOf(t, resp, http.StatusBadRequest)
	var got, wantV any
	if err := json.Unmarshal([]byte(resp.Body), &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &wantV); err != nil {
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

func TestNotImplemented(t *testing.T) {
	rt, buf := newRouter()
	rt.Handle("POST /api/contract-actions", httpapi.NotImplemented)
	p := problemOf(t, serve(t, rt, event("POST", "/api/contract-actions")), http.StatusNotImplemented)
	if p.Detail == "" {
		t.Error("501 without a detail")
	}
	requestLine(t, buf, http.StatusNotImplemented)

	resp, err := httpapi.NotImplemented(context.Background(), nil)
	if err != nil || resp.StatusCode != http.StatusNotImplemented {
		t.Fatalf("NotImplemented = %d, %v", resp.StatusCode, err)
	}
}
