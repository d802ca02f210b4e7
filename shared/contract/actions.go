package contract

import (
	"fmt"
	"slices"
	"time"
)

// Terms are the terms a new segment starts with.
type Terms struct {
	PlanID         string
	Currencies     []string
	EffectiveDate  string
	ExpirationDate string
	Price          string
}

// Change applies contract actions to contracts in memory: the rules of
// EasyBilling's action types, with every refusal a KindUnprocessable
// *Error naming the field (relative to the action's entry: effectiveDate,
// planId, currency[1], ...). The dialect stores the result.
type Change struct {
	// Now is the time of the change: it stamps new segments and decides
	// which contracts have expired.
	Now   time.Time
	Actor Actor
	// Plans holds the tenant's plans that the actions name.
	Plans map[string]Plan
	// NewID makes segment ids.
	NewID func() string
}

func unprocessable(field, format string, args ...any) *Error {
	return refusedFields(FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func refusedFields(fields ...FieldError) *Error {
	return &Error{Kind: KindUnprocessable, Message: "the action cannot be applied", Fields: fields}
}

// segment makes a new segment of terms t following previous, checking the
// plan exists and supports every currency, and naming every field it
// refuses.
func (ch *Change) segment(t Terms, previous string) (Segment, error) {
	var fields []FieldError
	plan, ok := ch.Plans[t.PlanID]
	if !ok {
		fields = append(fields, FieldError{Field: "planId", Message: fmt.Sprintf("plan %q is not in this tenant's catalog", t.PlanID)})
	}
	for i, cur := range t.Currencies {
		if ok && !slices.Contains(plan.Currencies, cur) {
			fields = append(fields, FieldError{Field: fmt.Sprintf("currency[%d]", i), Message: fmt.Sprintf("plan %q does not bill in %s", t.PlanID, cur)})
		}
	}
	effective, err := time.Parse(DateLayout, t.EffectiveDate)
	switch {
	case err != nil:
		fields = append(fields, FieldError{Field: "effectiveDate", Message: "must be a calendar date"})
	case t.ExpirationDate <= t.EffectiveDate:
		fields = append(fields, FieldError{Field: "expirationDate", Message: "must be after effectiveDate (the first day the segment is no longer in effect)"})
	}
	if len(fields) > 0 {
		return Segment{}, refusedFields(fields...)
	}
	cycle := plan.BillingCycleType
	if cycle == "" {
		cycle = DefaultBillingCycleType
	}
	now := ch.Now.UTC().Truncate(time.Microsecond)
	return Segment{
		ID: ch.NewID(), PreviousID: previous, PlanID: t.PlanID, Currencies: t.Currencies,
		EffectiveDate: t.EffectiveDate, ExpirationDate: t.ExpirationDate,
		BillingCycleDay: effective.Day(), BillingCycleType: cycle, Price: t.Price,
		CreatedAt: now, UpdatedAt: now, CreatedBy: ch.Actor.CredentialID, UpdatedBy: ch.Actor.CredentialID,
	}, nil
}

// Start gives a new contract its first segments, one per entry, in order:
// each ends after it starts, and starts on or after the expirationDate of
// the one before it (on it, the two are contiguous). The contract spans
// them. Every entry is checked, each against the request's own dates: the
// refusal of each refused entry is at its index in refused, which is nil
// when none is.
func (ch *Change) Start(c *Contract, entries []Terms) (refused []error) {
	previous := ""
	for i, t := range entries {
		seg, err := ch.segment(t, previous)
		if i > 0 && t.EffectiveDate < entries[i-1].ExpirationDate {
			err = JoinUnprocessable(err, unprocessable("effectiveDate", "must be on or after the expirationDate of the entry before it (%s)", entries[i-1].ExpirationDate))
		}
		if err != nil {
			if refused == nil {
				refused = make([]error, len(entries))
			}
			refused[i] = err
			continue
		}
		c.Segments = append(c.Segments, seg)
		previous = seg.ID
	}
	if refused != nil {
		return refused
	}
	c.span()
	return nil
}

// span sets the contract's period from its first segment's start to its
// last segment's expiration: half-open, so ValidTo is the first instant
// it is no longer in effect, midnight of that segment's expirationDate.
func (c *Contract) span() {
	if len(c.Segments) == 0 {
		return
	}
	from, _ := time.Parse(DateLayout, c.Segments[0].EffectiveDate)
	to, _ := time.Parse(DateLayout, c.Segments[len(c.Segments)-1].ExpirationDate)
	c.ValidFrom, c.ValidTo = &from, &to
}

// current is a copy of the contract's last segment, after checking the
// contract can still change: not canceled, not expired, and with
// segments. It is a copy so that no change can reach a stored segment:
// changes only append.
func (ch *Change) current(c *Contract) (Segment, error) {
	switch st := c.CurrentStatus(ch.Now); {
	case st == StatusCanceled || st == StatusExpired:
		return Segment{}, unprocessable("contractNumber", "contract %s is %s", c.Number, st)
	case len(c.Segments) == 0:
		return Segment{}, unprocessable("contractNumber", "contract %s has no segments to change", c.Number)
	}
	return c.Segments[len(c.Segments)-1], nil
}

// within checks that date falls inside the current segment, after its
// first day and before its expirationDate: a change on either would leave
// a segment with no day in effect.
func within(field, date string, cur Segment) error {
	if date <= cur.EffectiveDate || date >= cur.ExpirationDate {
		return unprocessable(field, "must be after %s and before %s, inside the current segment", cur.EffectiveDate, cur.ExpirationDate)
	}
	return nil
}

// SwitchPlan moves the contract to another plan from t.EffectiveDate: a
// new segment runs on the new plan from that day to the contract's
// expiration, and the current one reads as ending that day.
func (ch *Change) SwitchPlan(c *Contract, t Terms) error {
	cur, err := ch.current(c)
	if err != nil {
		return err
	}
	if err := within("effectiveDate", t.EffectiveDate, cur); err != nil {
		return err
	}
	t.ExpirationDate = cur.ExpirationDate
	return ch.follow(c, t, cur.ID)
}

// Renew extends the contract with a new segment from the current one's
// expirationDate (contiguous) or later, on the same plan, currencies and
// price; the contract's expiration moves.
func (ch *Change) Renew(c *Contract, effective, expiration string) error {
	cur, err := ch.current(c)
	if err != nil {
		return err
	}
	if effective < cur.ExpirationDate {
		return unprocessable("effectiveDate", "must be on or after the current expirationDate %s (use early-renew to start sooner)", cur.ExpirationDate)
	}
	if expiration <= effective {
		return unprocessable("expirationDate", "must be after effectiveDate")
	}
	return ch.follow(c, Terms{PlanID: cur.PlanID, Currencies: cur.Currencies, Price: cur.Price, EffectiveDate: effective, ExpirationDate: expiration}, cur.ID)
}

// EarlyRenew is Renew starting before the current segment's
// expirationDate, which then reads as ending on the renewal's first day;
// it may change plan and currencies (empty keeps them).
func (ch *Change) EarlyRenew(c *Contract, t Terms) error {
	cur, err := ch.current(c)
	if err != nil {
		return err
	}
	if err := within("effectiveDate", t.EffectiveDate, cur); err != nil {
		return err
	}
	if t.ExpirationDate <= cur.ExpirationDate {
		return unprocessable("expirationDate", "must be after the current expirationDate %s", cur.ExpirationDate)
	}
	if t.PlanID == "" {
		t.PlanID = cur.PlanID
	}
	if len(t.Currencies) == 0 {
		t.Currencies = cur.Currencies
	}
	t.Price = cur.Price
	return ch.follow(c, t, cur.ID)
}

// UpdatePrice sets a new price from effective on: a new segment with the
// current segment's terms and the new price, to the current one's
// expirationDate; the current one reads as ending on effective.
// segmentID must name the current segment, so a client acting on a stale
// view is told.
func (ch *Change) UpdatePrice(c *Contract, segmentID, price, effective string) error {
	cur, err := ch.current(c)
	if err != nil {
		return err
	}
	if segmentID != cur.ID {
		return unprocessable("contractSegmentId", "is not the current segment of contract %s (%s)", c.Number, cur.ID)
	}
	if err := within("effectiveDate", effective, cur); err != nil {
		return err
	}
	return ch.follow(c, Terms{PlanID: cur.PlanID, Currencies: cur.Currencies, Price: price, EffectiveDate: effective, ExpirationDate: cur.ExpirationDate}, cur.ID)
}

// Cancel ends the contract at effective, the first day it is no longer
// in effect: its status becomes canceled and its ValidTo that day. It
// writes no segment, since there are no new terms: the current segment
// reads as ending on effective. effective is on or after the current
// segment's first day (on it, that segment never takes effect) and on or
// before the contract's expirationDate.
func (ch *Change) Cancel(c *Contract, effective string) error {
	cur, err := ch.current(c)
	if err != nil {
		return err
	}
	if effective < cur.EffectiveDate || effective > cur.ExpirationDate {
		return unprocessable("effectiveDate", "must be from %s (the current segment's effectiveDate) to %s (the contract's expirationDate)", cur.EffectiveDate, cur.ExpirationDate)
	}
	end, _ := time.Parse(DateLayout, effective)
	c.ValidTo = &end
	c.Status = StatusCanceled
	return nil
}

// follow appends a segment of terms t after previous and re-spans the
// contract. A contract that already holds MaxSegments takes no more, so a
// request that would grow it past the bound is refused before it draws a
// number or writes anything.
func (ch *Change) follow(c *Contract, t Terms, previous string) error {
	if len(c.Segments) >= MaxSegments {
		return unprocessable("contractNumber", "contract %s holds %d segments, the most a contract may hold; start a new contract", c.Number, MaxSegments)
	}
	seg, err := ch.segment(t, previous)
	if err != nil {
		return err
	}
	c.Segments = append(c.Segments, seg)
	c.span()
	return nil
}
