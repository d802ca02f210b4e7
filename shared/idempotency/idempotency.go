// Package idempotency makes HTTP writes safe to retry: a request sent with
// an Idempotency-Key header is applied at most once per tenant and key, and
// its first completed answer is replayed to every retry for 24 hours.
//
// A key's record holds the Powertools for AWS Lambda fields that matter
// when the record is born complete: the hash of the request, the stored
// answer and the expiry. It is born complete because a write stores it in
// its own DynamoDB transaction, beside the contract, with the answer the
// request is about to give: a write that committed always has its answer
// kept, even if the attempt that made it died before answering. There is
// therefore no in-progress state and no lock to expire: two attempts with
// one key race on one conditional write, exactly one applies, and the
// other gives the winner's answer. Before it runs, a keyed request reads
// its key's record once, so a retry of an applied request is answered
// from that read and draws nothing (no contract number) it would waste.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"
)

// Header names.
const (
	HeaderKey      = "Idempotency-Key"
	HeaderReplayed = "Idempotent-Replayed"
)

// MaxKeyLength bounds a key; keys are 1 to 255 printable ASCII characters.
const MaxKeyLength = 255

// Retention is how long a completed answer is replayed.
const Retention = 24 * time.Hour

// Response is a stored answer.
type Response struct {
	Status  int
	Headers map[string]string
	Body    string
}

// Record is what a key holds: the request it was used for and its answer.
type Record struct {
	Hash      string
	Response  Response
	ExpiresAt time.Time
}

// Claim is a request's use of a key: whose key (TenantID), which key, for
// what request (Hash), and when the request arrived (At), from which the
// record's expiry counts.
type Claim struct {
	TenantID string
	Key      string
	Hash     string
	At       time.Time

	render  func() (Response, error)
	written bool
}

// ExpiresAt is when the record of c's answer stops being replayed.
func (c *Claim) ExpiresAt() time.Time { return c.At.Add(Retention) }

// OnWrite sets how the request's answer is rendered when its write is
// built. render reads the values the write is about to store, so a
// handler passes a function over the variables the service fills in,
// not a finished answer.
func (c *Claim) OnWrite(render func() (Response, error)) { c.render = render }

// ErrNoAnswer refuses a write whose handler never said how its answer is
// rendered: applying the key without keeping its answer would let a
// retry apply it again, so nothing is written.
var ErrNoAnswer = errors.New("idempotency: a keyed write has no answer to keep")

// Render returns the answer to store beside the write. The store calls it
// as it builds each write attempt, after the service has stamped what it
// writes, so the answer shows exactly what is stored.
func (c *Claim) Render() (Response, error) {
	if c.render == nil {
		return Response{}, ErrNoAnswer
	}
	return c.render()
}

// Written records that a write transaction stored c's record, answer
// included; the store calls it once the transaction has committed.
func (c *Claim) Written() { c.written = true }

// IsWritten reports whether a write stored c's record.
func (c *Claim) IsWritten() bool { return c.written }

// UsedError refuses a write whose key already holds a record: an earlier
// request with the key was applied first. Record is that request's.
type UsedError struct {
	Record *Record
}

func (e *UsedError) Error() string {
	return "idempotency: the key was used by an earlier request"
}

// Store reads the record a key holds, and keeps the records of answers
// that no write carried: refusals, and answers of requests that wrote
// nothing.
type Store interface {
	// Find returns the unexpired record c's key holds at c.At, or nil
	// when the key is free. It reads consistently: a record a write
	// committed is found by the next request.
	Find(ctx context.Context, c *Claim) (*Record, error)
	// Keep stores r as the answer of c's key, unless the key already
	// holds an unexpired record; then it stores nothing and returns that
	// record.
	Keep(ctx context.Context, c *Claim, r Response) (*Record, error)
}

// Hash identifies a request by everything that says what it does: its
// method, its target (the path as sent, with the resource's identifiers,
// and the query string) and its body. The same key with another hash is
// another request, which is refused: a key reused on another resource
// must never replay the first resource's answer.
func Hash(method, target, body string) string {
	h := sha256.New()
	// Each part goes in after its length, so no two requests' parts run
	// together into one text.
	for _, part := range [...]string{method, target, body} {
		h.Write(strconv.AppendInt(nil, int64(len(part)), 10))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Target is the request target Hash binds a key to: the path as the
// client sent it and, when there is one, its query string.
func Target(path, rawQuery string) string {
	if rawQuery == "" {
		return path
	}
	return path + "?" + rawQuery
}

// ValidKey reports whether k is 1 to 255 printable ASCII characters.
func ValidKey(k string) bool {
	if len(k) == 0 || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}
