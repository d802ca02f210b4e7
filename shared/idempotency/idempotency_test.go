package idempotency_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/idempotency"
)

func TestValidKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"", false},
		{"k", true},
		{" ", true},
		{strings.Repeat("k", idempotency.MaxKeyLength), true},
		{strings.Repeat("k", idempotency.MaxKeyLength+1), false},
		{"tab\tkey", false},
		{"del\x7f", false},
		{"naïve", false},
	}
	for _, tt := range tests {
		if got := idempotency.ValidKey(tt.key); got != tt.want {
			t.Errorf("ValidKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

func TestHashTellsRequestsApart(t *testing.T) {
	base := idempotency.Hash("POST", "/v1/contracts", `{"a":1}`)
	for _, other := range []string{
		idempotency.Hash("PUT", "/v1/contracts", `{"a":1}`),
		idempotency.Hash("POST", "/v1/customers", `{"a":1}`),
		idempotency.Hash("POST", "/v1/contracts", `{"a":2}`),
		// Another resource of the same route, and another query.
		idempotency.Hash("POST", "/v1/organizations/org-2/contracts", `{"a":1}`),
		idempotency.Hash("POST", idempotency.Target("/v1/contracts", "x=1"), `{"a":1}`),
	} {
		if other == base {
			t.Errorf("two different requests hash alike: %s", base)
		}
	}
	if again := idempotency.Hash("POST", idempotency.Target("/v1/contracts", ""), `{"a":1}`); again != base {
		t.Errorf("one request hashes two ways: %s, %s", base, again)
	}
	// Method, target and body are kept apart: moving text from one to
	// the next is another request.
	if idempotency.Hash("POST", "/a", "b\nc") == idempotency.Hash("POST", "/a\nb", "c") {
		t.Errorf("target and body run together")
	}
}

// A write whose handler never said how to render its answer is refused
// before anything is written.
func TestRenderWithoutAnswer(t *testing.T) {
	c := &idempotency.Claim{Key: "k"}
	if _, err := c.Render(); !errors.Is(err, idempotency.ErrNoAnswer) {
		t.Fatalf("Render without OnWrite: %v, want ErrNoAnswer", err)
	}
	c.OnWrite(func() (idempotency.Response, error) { return idempotency.Response{Status: 201, Body: "x"}, nil })
	if r, err := c.Render(); err != nil || r.Status != 201 || r.Body != "x" {
		t.Fatalf("Render: %+v %v", r, err)
	}
}
