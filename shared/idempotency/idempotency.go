// Package idempotency makes HTTP writes safe to retry: a request sent with
// an Idempotency-Key header is applied at most once per tenant and key, and
// its first completed answer is replayed to every retry for 24 hours.
//
// The record of a key follows the Powertools for AWS Lambda conventions:
// a status (in progress, completed), an expiry, an in-progress expiry (the
// lock, so a crashed attempt does not hold the key for ever), the hash of
// the request, and the stored answer. The write a request makes marks the
// record "committed" in the same DynamoDB transaction, so even an attempt
// that dies between its write and storing its answer is never applied a
// second time.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// Status is the state of a key's record.
type Status string

// The states of a record.
const (
	InProgress Status = "in_progress"
	Completed  Status = "completed"
)

// Claim is a request's hold on a key: who holds it (Owner, unique per
// attempt) and what request it is for (Hash).
type Claim struct {
	TenantID string
	Key      string
	Hash     string
	Owner    string
}

// Response is a stored answer.
type Response struct {
	Status  int
	Headers map[string]string
	Body    string
}

// Record is the state of a key.
type Record struct {
	Hash     string
	Status   Status
	Owner    string
	Response *Response
	// Committed is set by the request's own write transaction: the
	// request was applied, whether or not its answer was stored.
	Committed     bool
	LockExpiresAt time.Time
	ExpiresAt     time.Time
}

// Store keeps records.
type Store interface {
	// Lock takes the key for c until lockUntil, if nobody holds it: no
	// record, an expired one, or an in-progress one whose lock expired
	// without its request being committed. Otherwise it takes nothing and
	// returns the record that holds the key.
	Lock(ctx context.Context, c Claim, now, lockUntil, expires time.Time) (*Record, error)
	// Complete stores c's answer, if c still holds the key.
	Complete(ctx context.Context, c Claim, r Response, expires time.Time) error
	// Release gives up c's hold on a key whose request wrote nothing, so
	// a retry need not wait for the lock to expire.
	Release(ctx context.Context, c Claim) error
}

// Hash identifies a request: the same key with another hash is another
// request, which is refused.
func Hash(method, route, body string) string {
	sum := sha256.Sum256([]byte(method + " " + route + "\n" + body))
	return hex.EncodeToString(sum[:])
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

type claimKey struct{}

// WithClaim returns ctx carrying c, for the store to mark c's record
// committed in the request's write transaction.
func WithClaim(ctx context.Context, c *Claim) context.Context {
	return context.WithValue(ctx, claimKey{}, c)
}

// ClaimFrom returns the claim ctx carries, or nil.
func ClaimFrom(ctx context.Context) *Claim {
	c, _ := ctx.Value(claimKey{}).(*Claim)
	return c
}
