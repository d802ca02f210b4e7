package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/contracts-service/contracts/shared/idempotency"
)

// Segment is one period of a contract's terms (EasyBilling's contract
// segment). A segment is written once and never rewritten: every change
// to a contract's terms appends a new segment whose PreviousID names the
// one it follows, so the chain is the contract's history, and no field of
// a written segment (its dates, its audit fields) ever changes. What a
// reader sees of a segment's end and status is derived when it is read
// (Contract.SegmentEnd, Contract.SegmentStatus), so it is never stored
// and never goes stale.
type Segment struct {
	ID         string
	PreviousID string
	PlanID     string
	Currencies []string
	// EffectiveDate and ExpirationDate are calendar dates (YYYY-MM-DD),
	// the half-open period [EffectiveDate, ExpirationDate) the terms were
	// written for: ExpirationDate is the first day they are no longer in
	// effect. Each segment of a chain starts after the one before it
	// started, which then reads as ending there.
	EffectiveDate  string
	ExpirationDate string
	// BillingCycleDay is the day of the month of EffectiveDate. In a
	// month shorter than it (a cycle day of 29 to 31), the cycle falls on
	// the month's last day.
	BillingCycleDay  int
	BillingCycleType string
	// Price overrides the plan's price: a non-negative decimal kept as
	// written, or empty for the plan's own.
	Price     string
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string
	UpdatedBy string
}

// MaxSegments bounds a contract's chain of segments. A contract is one
// DynamoDB item, which holds at most 400 KB, and every change rewrites it
// whole, with all its segments, and shows them all in its answer; a
// segment takes about 500 bytes stored (about 1,000 at the longest its
// fields may be), so 200 keep the largest contract near half an item,
// and the answer that shows it near 130 KB: room for sixteen years of
// monthly renewals. The store's own byte check stays the last word
// (ddb's TestMaxSegmentsFitOneItem holds the two together).
const MaxSegments = 200

// Action is the record of one contract-actions request (EasyBilling's
// contract action): its number ("CA-" and ten digits), what it asked, and
// the segments it wrote. All of a request's changes and its action record
// are stored in one transaction.
type Action struct {
	TenantID      string
	ID            string
	Number        string
	AccountNumber string
	// ContractID is the id of the contract the request's last action
	// changed.
	ContractID string
	// Type is the type of the request's last action.
	Type string
	// Request is the request as the client sent it.
	Request    json.RawMessage
	SegmentIDs []string
	Status     Status
	CreatedAt  time.Time
	UpdatedAt  time.Time
	CreatedBy  string
	UpdatedBy  string
}

// ErrAlreadyApplied reports that a delivery with the same dedupe key was
// already applied: a redelivery, which must succeed without a change.
var ErrAlreadyApplied = errors.New("contract: already applied")

// ErrDeliveryKeyReused refuses a delivery whose dedupe key was recorded
// for another request (a producer's Idempotency-Key sent again with
// another body): it is not a redelivery, and nothing is written.
var ErrDeliveryKeyReused = &Error{Kind: KindUnprocessable, Code: "IDEMPOTENCY_KEY_REUSED",
	Message: "the Idempotency-Key was used for another request"}

// ErrActionNumberTaken reports that the action number drawn is already
// an action's: while a deployment moves the action count (see
// ActionStore.DrawNumbers), a function deployed before it may draw from
// the old count. Nothing was written; draw again.
var ErrActionNumberTaken = errors.New("contract: action number taken")

// FormatActionNumber formats the n-th action number of a tenant.
func FormatActionNumber(n int64) string { return fmt.Sprintf("CA-%010d", n) }

// ActionStore is what the domain needs to apply contract actions, besides
// its Store: the plans the actions name, action numbers and records.
type ActionStore interface {
	Catalog
	// DrawNumbers draws, in one step, contracts new contract numbers of
	// the tenant, contiguous from firstContract (none when contracts is
	// 0), and its next action number. No number it returns is ever
	// returned again.
	DrawNumbers(ctx context.Context, tenantID string, contracts int) (firstContract, action int64, err error)
	// ApplyActions stores, in one transaction, the action record, the
	// new contracts and the changed ones (each written only if its stored
	// version is still the one read). A version conflict is
	// ErrVersionConflict and writes nothing. A non-empty dedupe key (an
	// SQS message's Idempotency-Key or id, an EventBridge event id) is
	// recorded in the same transaction, with the request; a request with
	// a key already recorded writes nothing and returns ErrAlreadyApplied,
	// so a redelivery applies nothing twice, unless the key was recorded
	// for another request (ErrDeliveryKeyReused).
	// A claim that is not nil (an HTTP request's Idempotency-Key) has its
	// record stored in the same transaction too, as Store's writes do.
	ApplyActions(ctx context.Context, a *Action, created, changed []*Contract, dedupe string, claim *idempotency.Claim) error
	// CheckActions reports whether ApplyActions could store the same
	// writes, reading and writing nothing: a KindUnprocessable *Error
	// names what storage could not hold (the field "request" for the
	// writes together, "contract" for one contract). Numbers have one
	// width, so a caller checks before it draws them, with placeholders
	// (FormatNumber(0), FormatActionNumber(0)), and a refused request
	// draws none.
	CheckActions(ctx context.Context, a *Action, created, changed []*Contract, dedupe string, claim *idempotency.Claim) error
	// CheckDelivery reads, consistently, the record of a delivery's
	// dedupe key: nil when none holds it, ErrAlreadyApplied when it holds
	// request, ErrDeliveryKeyReused when it holds another request.
	CheckDelivery(ctx context.Context, tenantID, dedupe string, request json.RawMessage) error
	// GetAction returns an action by number; a missing one is
	// KindNotFound.
	GetAction(ctx context.Context, tenantID, number string) (*Action, error)
}

// DateLayout is the layout of calendar dates.
const DateLayout = time.DateOnly

// Today is the calendar date of t in UTC.
func Today(t time.Time) string { return t.UTC().Format(DateLayout) }

// EndDay is the first calendar day (UTC) on which nothing of a period
// that ends at end (exclusive) is in effect: end's own day when end is
// midnight, as every end of EasyBilling's and Aira's whole days is, and
// the day after when the period runs into end's day (an instant of
// Kukkingu or fabric).
func EndDay(end time.Time) time.Time {
	end = end.UTC()
	day := time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC)
	if day.Equal(end) {
		return day
	}
	return day.AddDate(0, 0, 1)
}

// CurrentStatus is the status a contract reads as at now: a contract
// whose end has come (now at or past ValidTo, its first instant out of
// effect) is expired whatever it was stored as, so no batch job is needed
// to keep statuses right. A canceled contract reads canceled from the
// cancel on, even while its last days are still to run.
func (c *Contract) CurrentStatus(now time.Time) Status {
	if c.Status == StatusCanceled || c.Status == StatusDraft || c.Status == StatusInactive {
		return c.Status
	}
	if c.ValidTo != nil && !now.Before(*c.ValidTo) {
		return StatusExpired
	}
	return c.Status
}

// SegmentEnd is the first day segment i of c is no longer in effect, as
// it reads: the earliest of its own ExpirationDate, the next segment's
// EffectiveDate and the contract's end (a cancel's date). So shown
// segments never overlap, and none runs past the contract.
func (c *Contract) SegmentEnd(i int) string {
	s := &c.Segments[i]
	end := s.ExpirationDate
	if i+1 < len(c.Segments) {
		if next := c.Segments[i+1].EffectiveDate; next < end {
			end = next
		}
	}
	if c.ValidTo != nil {
		// Written into an array on the stack, the contract's end day is
		// compared without an allocation, and made a string only when it
		// is the answer.
		var buf [len(DateLayout)]byte
		day := EndDay(*c.ValidTo).AppendFormat(buf[:0], DateLayout)
		if string(day) < end {
			end = string(day)
		}
	}
	// A segment's end is never before its start: a cancel on the first
	// day of the last segment leaves it empty, never negative.
	if end < s.EffectiveDate {
		end = s.EffectiveDate
	}
	return end
}

// SegmentStatus is the status segment i of c reads as on day today
// (YYYY-MM-DD): canceled for the segment a cancel ended, the last of a
// canceled contract; otherwise expired from its end (SegmentEnd) on, and
// active before, in effect or still to come.
func (c *Contract) SegmentStatus(i int, today string) Status {
	if c.Status == StatusCanceled && i == len(c.Segments)-1 {
		return StatusCanceled
	}
	if c.SegmentEnd(i) <= today {
		return StatusExpired
	}
	return StatusActive
}
