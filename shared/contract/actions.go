package contract

import (
	"fmt"
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
	return &Error{Kind: KindUnprocessable, Message: "the action cannot be applied",
		Fields: []FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
}

// segment makes a new segment of terms t following previous, checking the
// plan exists and supports every currency.
func (ch *Change) segment(t Terms, previous string) (Segment, error) {
	plan, ok := ch.Plans[t.PlanID]
	if !ok {
		return Segment{}, unprocessable("planId", "plan %q is not in this tenant's catalog", t.PlanID)
	}
	for i, cur := range t.Currencies {
		supported := false
		for _, pc := range plan.Currencies {
			supported = supported || pc == cur
		}
		if !supported {
			return Segment{}, unprocessable(fmt.Sprintf("currency[%d]", i), "plan %q does not bill in %s", t.PlanID, cur)
		}
	}
	if t.ExpirationDate < t.EffectiveDate {
		return Segment{}, unprocessable("expirationDate", "must not be before effectiveDate")
	}
	effective, err := time.Parse(DateLayout, t.EffectiveDate)
	if err != nil {
		return Segment{}, unprocessable("effectiveDate", "must be a calendar date")
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
// each must start after the one before it has expired. The contract spans
// them.
func (ch *Change) Start(c *Contract, entries []Terms) (fieldIndex int, err error) {
	previous := ""
	for i, t := range entries {
		if t.ExpirationDate <= t.EffectiveDate {
			return i, unprocessable("expirationDate", "must be after effectiveDate")
		}
		if i > 0 && t.EffectiveDate <= entries[i-1].ExpirationDate {
			return i, unprocessable("effectiveDate", "must be after the expirationDate of the entry before it (%s)", entries[i-1].ExpirationDate)
		}
		seg, err := ch.segment(t, previous)
		if err != nil {
			return i, err
		}
		c.Segments = append(c.Segments, seg)
		previous = seg.ID
	}
	c.span()
	return 0, nil
}

// span sets the contract's period from its first segment's start to its
// last segment's end, both inclusive days.
func (c *Contract) span() {
	if len(c.Segments) == 0 {
		return
	}
	from, _ := time.Parse(DateLayout, c.Segments[0].EffectiveDate)
	to, _ := time.Parse(DateLayout, c.Segments[len(c.Segments)-1].ExpirationDate)
	to = to.Add(24*time.Hour - time.Nanosecond)
	c.ValidFrom, c.ValidTo = &from, &to
}

// current is the contract's last segment, after checking the contract can
// still change: not canceled, not expired, and with segments.
func (ch *Change) current(c *Contract) (*Segment, error) {
	switch st := c.CurrentStatus(ch.Now); {
	case st == StatusCanceled || st == StatusExpired:
		return nil, unprocessable("contractNumber", "contract %s is %s", c.Number, st)
	case len(c.Segments) == 0:
		return nil, unprocessable("contractNumber", "contract %s has no segments to change", c.Number)
	}
	return &c.Segments[len(c.Segments)-1], nil
}

// within checks that date falls inside the current segment, after its
// first day (a change on the first day would leave it empty).
func within(field, date string, cur *Segment) error {
	if date <= cur.EffectiveDate || date > cur.ExpirationDate {
		return unprocessable(field, "must be after %s and on or before %s, inside the current segment", cur.EffectiveDate, cur.ExpirationDate)
	}
	return nil
}

// SwitchPlan moves the contract to another plan from t.EffectiveDate: the
// current segment ends the day before, and a new one runs on the new plan
// to the contract's expiration.
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

// Renew extends the contract with a new segment after the last one, on the
// same plan, currencies and price; the contract's expiration moves.
func (ch *Change) Renew(c *Contract, effective, expiration string) error {
	cur, err := ch.current(c)
	if err != nil {
		return err
	}
	if effective <= cur.ExpirationDate {
		return unprocessable("effectiveDate", "must be after the current expirationDate %s (use early-renew to start sooner)", cur.ExpirationDate)
	}
	if expiration <= effective {
		return unprocessable("expirationDate", "must be after effectiveDate")
	}
	return ch.follow(c, Terms{PlanID: cur.PlanID, Currencies: cur.Currencies, Price: cur.Price, EffectiveDate: effective, ExpirationDate: expiration}, cur.ID)
}

// EarlyRenew is Renew starting before the current segment ends, which it
// cuts short; it may change plan and currencies (empty keeps them).
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
// current segment's terms and the new price. segmentID must name the
// current segment, so a client acting on a stale view is told.
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

// Cancel ends the contract on effective (inclusive): its status becomes
// canceled and it, with its open segments, ends that day.
func (ch *Change) Cancel(c *Contract, effective string) error {
	cur, err := ch.current(c)
	if err != nil {
		return err
	}
	if effective < c.Segments[0].EffectiveDate || effective > cur.ExpirationDate {
		return unprocessable("effectiveDate", "must be between %s and %s", c.Segments[0].EffectiveDate, cur.ExpirationDate)
	}
	end, _ := time.Parse(DateLayout, effective)
	end = end.Add(24*time.Hour - time.Nanosecond)
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
