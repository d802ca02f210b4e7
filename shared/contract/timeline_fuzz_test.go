package contract_test

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// The timeline property test applies random sequences of every action
// type, with random dates and a clock that moves on between them,
// through contract.Service.ApplyActions to the DynamoDB store, and after
// every step holds each contract of the sequence to the rules of the
// README's Dates and Segments: shown segments never overlap and follow
// each other, the contract spans exactly its shown segments, statuses
// agree with the day, no written segment ever changes, a refused request
// changes nothing and draws no number, and a request the rules accept is
// never refused.
//
// Its input is a script of bytes, each choice the generator makes read
// from it (a run out script reads zeros, and ends the sequence), so the
// fuzzing engine explores sequences by mutating bytes. The seed corpus,
// which make test runs, is scripts of random bytes from fixed seeds.

// tlPlans are every sequence's catalog: two plans on different cycles
// and currencies, so a switch or a renewal can name a currency its plan
// lacks.
var tlPlans = []contract.Plan{
	{ID: "basic", Name: "Basic", Currencies: []string{"USD", "EUR"}},
	{ID: "pro", Name: "Pro", BillingCycleType: "yearly", Currencies: []string{"USD"}},
}

const (
	tlAccount  = "ACC-1"
	tlMaxSteps = 12
)

// tlScript reads a sequence's choices from fuzz bytes.
type tlScript struct {
	b    []byte
	done bool
}

func (s *tlScript) next() int {
	if len(s.b) == 0 {
		s.done = true
		return 0
	}
	v := s.b[0]
	s.b = s.b[1:]
	return int(v)
}

// intn chooses one of 0..n-1.
func (s *tlScript) intn(n int) int { return s.next() % n }

// addDays is the date days after d.
func addDays(d string, days int) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		panic(err)
	}
	return t.AddDate(0, 0, days).Format(time.DateOnly)
}

// date chooses a date near one of anchors: on it, a day either side,
// within two months, or within a year; edges come often.
func (s *tlScript) date(anchors ...string) string {
	a := anchors[s.intn(len(anchors))]
	switch s.intn(8) {
	case 0, 1:
		return a
	case 2:
		return addDays(a, 1)
	case 3:
		return addDays(a, -1)
	case 4:
		return addDays(a, 1+s.intn(60))
	case 5:
		return addDays(a, -1-s.intn(60))
	default:
		return addDays(a, s.intn(256)+s.intn(256)-150)
	}
}

// between chooses a date after lo and before hi, or lo when there is
// none.
func (s *tlScript) between(lo, hi string) string {
	from, _ := time.Parse(time.DateOnly, lo)
	to, _ := time.Parse(time.DateOnly, hi)
	days := int(to.Sub(from).Hours() / 24)
	if days < 2 {
		return lo
	}
	return addDays(lo, 1+(s.next()<<8|s.next())%(days-1))
}

// currencies chooses a list of currencies, sometimes one a plan lacks.
func (s *tlScript) currencies() []string {
	return [][]string{{"USD"}, {"USD"}, {"USD"}, {"EUR"}, {"USD", "EUR"}, {"USD"}, {"USD"}, {"BRL"}}[s.intn(8)]
}

// tlSeq is one sequence: its tenant, the service over the store, the
// clock it moves, and what it expects of the numbers.
type tlSeq struct {
	t       *testing.T
	store   *ddb.Store
	service *contract.Service
	tenant  string
	now     time.Time
	// numbers are the contracts the sequence made, in order; actions
	// counts its applied requests.
	numbers []string
	actions int
	// written is every segment as it was first read, by id.
	written map[string]contract.Segment
}

var tlTenants atomic.Int64

func newSeq(t *testing.T, store *ddb.Store, start time.Time) *tlSeq {
	q := &tlSeq{t: t, store: store, tenant: fmt.Sprintf("timeline-%d-%d", time.Now().UnixNano(), tlTenants.Add(1)),
		now: start, written: map[string]contract.Segment{}}
	if err := store.PutPlans(context.Background(), q.tenant, tlPlans); err != nil {
		t.Fatal(err)
	}
	q.service = contract.NewService(store)
	q.service.Now = func() time.Time { return q.now }
	return q
}

func (q *tlSeq) actor() contract.Actor {
	return contract.Actor{TenantID: q.tenant, CredentialID: "cred-timeline", Via: contract.APIEasyBilling}
}

func (q *tlSeq) today() string { return contract.Today(q.now) }

// read returns the sequence's contracts as stored, in the order made.
func (q *tlSeq) read() []*contract.Contract {
	q.t.Helper()
	var out []*contract.Contract
	for _, n := range q.numbers {
		c, err := q.store.GetContract(context.Background(), q.tenant, n)
		if err != nil {
			q.t.Fatalf("read %s: %v", n, err)
		}
		out = append(out, c)
	}
	return out
}

// valid says whether the rules accept entry e of type typ on c, read
// before the request, at the sequence's clock: the rules as the README
// states them, in days.
func (q *tlSeq) valid(typ contract.ActionType, c *contract.Contract, e contract.ActionEntry) bool {
	supports := func(plan string, currencies []string) bool {
		i := slices.IndexFunc(tlPlans, func(p contract.Plan) bool { return p.ID == plan })
		if i < 0 {
			return false
		}
		for _, cur := range currencies {
			if !slices.Contains(tlPlans[i].Currencies, cur) {
				return false
			}
		}
		return true
	}
	if typ == contract.ActionCreate {
		return e.EffectiveDate < e.ExpirationDate && supports(e.PlanID, e.Currencies)
	}
	if c == nil || c.Status == contract.StatusCanceled || len(c.Segments) >= contract.MaxSegments ||
		q.today() >= contract.EndDay(*c.ValidTo).Format(time.DateOnly) {
		return false
	}
	cur := c.Segments[len(c.Segments)-1]
	inside := cur.EffectiveDate < e.EffectiveDate && e.EffectiveDate < cur.ExpirationDate
	switch typ {
	case contract.ActionSwitchPlan:
		return inside && supports(e.PlanID, e.Currencies)
	case contract.ActionRenew:
		return e.EffectiveDate >= cur.ExpirationDate && e.ExpirationDate > e.EffectiveDate
	case contract.ActionEarlyRenew:
		plan, currencies := e.PlanID, e.Currencies
		if plan == "" {
			plan = cur.PlanID
		}
		if len(currencies) == 0 {
			currencies = cur.Currencies
		}
		return inside && e.ExpirationDate > cur.ExpirationDate && supports(plan, currencies)
	case contract.ActionUpdatePrice:
		return inside && e.SegmentID == cur.ID
	case contract.ActionCancel:
		return cur.EffectiveDate <= e.EffectiveDate && e.EffectiveDate <= cur.ExpirationDate
	}
	return false
}

// step is one request of the sequence: its actions, and, for a request of
// one entry, whether the rules accept it. A request for another account
// finds none of the sequence's contracts.
type step struct {
	req    contract.ActionsRequest
	target *contract.Contract // the contract the single entry changes
	single bool
	valid  bool
}

// elsewhere reports whether st acts for an account none of the
// sequence's contracts is filed under.
func (st step) elsewhere() bool { return st.req.Account != tlAccount }

// choose makes the next request from s, over the contracts as read.
func (q *tlSeq) choose(s *tlScript, cs []*contract.Contract) step {
	// A cancel ends what a sequence can do with a contract, so it comes
	// less often than the others.
	types := []contract.ActionType{contract.ActionSwitchPlan, contract.ActionSwitchPlan, contract.ActionRenew, contract.ActionRenew,
		contract.ActionEarlyRenew, contract.ActionEarlyRenew, contract.ActionUpdatePrice, contract.ActionUpdatePrice,
		contract.ActionCancel, contract.ActionCreate}
	var st step
	st.req.Account = tlAccount
	st.req.Request = json.RawMessage(`{}`)
	actions := 1
	if s.intn(6) == 0 {
		actions = 2
	}
	today := q.today()
	for range actions {
		typ := types[s.intn(len(types))]
		if len(cs) == 0 {
			typ = contract.ActionCreate
		}
		var e contract.ActionEntry
		var target *contract.Contract
		if typ == contract.ActionCreate {
			from := s.date(today, addDays(today, -30), "2026-01-01")
			e.Terms = contract.Terms{PlanID: tlPlans[s.intn(2)].ID, Currencies: s.currencies(),
				EffectiveDate: from, ExpirationDate: s.date(addDays(from, 365), addDays(from, 365), from)}
		} else {
			target = cs[s.intn(len(cs))]
			e.Contract = target.Number
			if s.intn(2) == 0 {
				e.Contract = target.ID
			}
			cur := target.Segments[len(target.Segments)-1]
			end := contract.EndDay(*target.ValidTo).Format(time.DateOnly)
			switch {
			case typ == contract.ActionRenew:
				e.EffectiveDate = s.date(cur.ExpirationDate, cur.ExpirationDate, end, today)
			case s.intn(2) == 0:
				e.EffectiveDate = s.between(cur.EffectiveDate, cur.ExpirationDate)
			default:
				e.EffectiveDate = s.date(cur.EffectiveDate, cur.ExpirationDate, end, today)
			}
			switch typ {
			case contract.ActionSwitchPlan:
				e.PlanID, e.Currencies = tlPlans[s.intn(2)].ID, s.currencies()
			case contract.ActionRenew:
				e.ExpirationDate = s.date(addDays(e.EffectiveDate, 365), e.EffectiveDate)
			case contract.ActionEarlyRenew:
				e.ExpirationDate = s.date(addDays(cur.ExpirationDate, 365), cur.ExpirationDate)
				if s.intn(2) == 0 {
					e.PlanID, e.Currencies = tlPlans[s.intn(2)].ID, s.currencies()
				}
			case contract.ActionUpdatePrice:
				e.Price = fmt.Sprintf("%d.%02d", s.intn(100), s.intn(100))
				e.SegmentID = cur.ID
				if s.intn(8) == 0 {
					e.SegmentID = target.Segments[0].ID
				}
			}
		}
		st.req.Actions = append(st.req.Actions, contract.ActionItem{Type: typ, Entries: []contract.ActionEntry{e}})
		st.target = target
	}
	// Another account finds none of the contracts; it never creates, so
	// every contract of the sequence stays its account's.
	creates := slices.ContainsFunc(st.req.Actions, func(a contract.ActionItem) bool { return a.Type == contract.ActionCreate })
	if s.intn(16) == 0 && !creates {
		st.req.Account = "ACC-2"
	}
	if st.single = actions == 1; st.single {
		a := st.req.Actions[0]
		st.valid = q.valid(a.Type, st.target, a.Entries[0]) && !st.elsewhere()
	}
	return st
}

// apply applies st to the contracts as they were read, before, and holds
// its outcome to the rules; it returns them as they are after.
func (q *tlSeq) apply(st step, before []*contract.Contract) []*contract.Contract {
	t := q.t
	t.Helper()
	var out contract.Applied
	err := q.service.ApplyActions(context.Background(), q.actor(), nil, q.store, &st.req, &out)
	if err != nil {
		want := contract.KindUnprocessable
		if st.elsewhere() {
			want = contract.KindNotFound
		}
		if k := contract.KindOf(err); k != want {
			t.Fatalf("%+v for %s refused with %v (kind %d), not kind %d", st.req.Actions, st.req.Account, err, k, want)
		}
		var entry *contract.EntryError
		if !errors.As(err, &entry) || entry.Action >= len(st.req.Actions) || entry.Entry != 0 {
			t.Fatalf("the refusal %v names no entry of the request", err)
		}
		if st.single && st.valid {
			t.Fatalf("at %s, %+v on %s was refused: %v", q.today(), st.req.Actions, describe(st.target), err)
		}
		after := q.read()
		if !reflect.DeepEqual(after, before) {
			t.Fatalf("a refused request changed the contracts:\n%s\nwere\n%s", describeAll(after), describeAll(before))
		}
		return after
	}
	if st.single && !st.valid {
		t.Fatalf("at %s, %+v on %s was applied, though the rules refuse it", q.today(), st.req.Actions, describe(st.target))
	}
	// Numbers: one action number per applied request and one contract
	// number per contract made, none skipped, so refusals drew none.
	q.actions++
	if out.Action.Number != contract.FormatActionNumber(int64(q.actions)) {
		t.Fatalf("applied as %s, want %s: a number was drawn and lost", out.Action.Number, contract.FormatActionNumber(int64(q.actions)))
	}
	var wrote []string
	for _, a := range st.req.Actions {
		if a.Type != contract.ActionCreate {
			continue
		}
		q.numbers = append(q.numbers, contract.FormatNumber(int64(len(q.numbers)+1)))
	}
	after := q.read()
	for i, c := range after {
		had := 0
		if i < len(before) {
			had = len(before[i].Segments)
		}
		for _, seg := range c.Segments[had:] {
			wrote = append(wrote, seg.ID)
		}
	}
	if !sameSet(out.Action.SegmentIDs, wrote) {
		t.Fatalf("the action record lists segments %v, the request wrote %v", out.Action.SegmentIDs, wrote)
	}
	if st.single {
		q.checkEffect(st, before, after, out)
	}
	return after
}

// checkEffect holds a request of one entry to what its type does.
func (q *tlSeq) checkEffect(st step, before, after []*contract.Contract, out contract.Applied) {
	t := q.t
	t.Helper()
	a := st.req.Actions[0]
	e := a.Entries[0]
	if a.Type == contract.ActionCreate {
		c := after[len(after)-1]
		if len(c.Segments) != 1 || c.Segments[0].EffectiveDate != e.EffectiveDate || c.SegmentEnd(0) != e.ExpirationDate ||
			contract.EndDay(*c.ValidTo).Format(time.DateOnly) != e.ExpirationDate {
			t.Fatalf("create %+v made %s", e, describe(c))
		}
		return
	}
	i := slices.IndexFunc(before, func(c *contract.Contract) bool { return c.Number == st.target.Number })
	was, c := before[i], after[i]
	end := contract.EndDay(*c.ValidTo).Format(time.DateOnly)
	n := len(c.Segments)
	if a.Type == contract.ActionCancel {
		if n != len(was.Segments) || len(out.Action.SegmentIDs) != 0 {
			t.Fatalf("a cancel wrote a segment: %s, recorded %v", describe(c), out.Action.SegmentIDs)
		}
		if c.Status != contract.StatusCanceled || end != e.EffectiveDate || c.SegmentEnd(n-1) != e.EffectiveDate {
			t.Fatalf("canceled on %s: %s", e.EffectiveDate, describe(c))
		}
		return
	}
	if n != len(was.Segments)+1 || c.Segments[n-1].EffectiveDate != e.EffectiveDate {
		t.Fatalf("%s from %s wrote no segment starting then: %s", a.Type, e.EffectiveDate, describe(c))
	}
	// The segment before reads as ending where the new one starts, or,
	// renewed later than its expirationDate, where it was written to.
	prevEnd := e.EffectiveDate
	if a.Type == contract.ActionRenew {
		prevEnd = was.Segments[n-2].ExpirationDate
	}
	if got := c.SegmentEnd(n - 2); got != prevEnd {
		t.Fatalf("after %s from %s, the segment before ends %s, want %s: %s", a.Type, e.EffectiveDate, got, prevEnd, describe(c))
	}
	wantEnd := was.Segments[n-2].ExpirationDate
	if a.Type == contract.ActionRenew || a.Type == contract.ActionEarlyRenew {
		wantEnd = e.ExpirationDate
	}
	if end != wantEnd {
		t.Fatalf("after %s the contract expires %s, want %s", a.Type, end, wantEnd)
	}
}

// check holds every contract of the sequence, as read, to the rules on
// the day of the clock.
func (q *tlSeq) check(cs []*contract.Contract) {
	t := q.t
	t.Helper()
	today := q.today()
	for _, c := range cs {
		segs := c.Segments
		if len(segs) == 0 {
			t.Fatalf("%s has no segments", c.Number)
		}
		start, end := c.ValidFrom.Format(time.DateOnly), contract.EndDay(*c.ValidTo).Format(time.DateOnly)
		status := c.CurrentStatus(q.now)
		// The contract spans exactly its shown segments.
		if !c.ValidFrom.Equal(contract.EndDay(*c.ValidFrom)) || start != segs[0].EffectiveDate || end != c.SegmentEnd(len(segs)-1) {
			t.Fatalf("%s spans %s to %s, its segments %s", c.Number, start, end, describe(c))
		}
		for i, seg := range segs {
			shown := c.SegmentEnd(i)
			// A linear chain of segments, each starting after the one
			// before it started: shown, they never overlap and none runs
			// past the contract.
			switch {
			case i == 0 && seg.PreviousID != "":
				t.Fatalf("%s: the first segment follows %s", c.Number, seg.PreviousID)
			case i > 0 && seg.PreviousID != segs[i-1].ID:
				t.Fatalf("%s: segment %d follows %s, not the one before: %s", c.Number, i, seg.PreviousID, describe(c))
			case i > 0 && seg.EffectiveDate <= segs[i-1].EffectiveDate:
				t.Fatalf("%s: segment %d starts %s, not after the one before: %s", c.Number, i, seg.EffectiveDate, describe(c))
			case shown < seg.EffectiveDate || shown > end || (i+1 < len(segs) && shown > segs[i+1].EffectiveDate):
				t.Fatalf("%s: segment %d shows [%s, %s): %s", c.Number, i, seg.EffectiveDate, shown, describe(c))
			case shown == seg.EffectiveDate && !(c.Status == contract.StatusCanceled && i == len(segs)-1):
				t.Fatalf("%s: segment %d shows no day, and no cancel emptied it: %s", c.Number, i, describe(c))
			}
			// Written once, never rewritten.
			if first, ok := q.written[seg.ID]; !ok {
				q.written[seg.ID] = seg
			} else if !reflect.DeepEqual(first, seg) {
				t.Fatalf("%s: segment %s was rewritten:\n%+v\nwritten as\n%+v", c.Number, seg.ID, seg, first)
			}
		}
		// Statuses agree with the day and with each other: the contract is
		// canceled once canceled, else expired from its end on; its
		// segments read expired, then active, along the chain, the last
		// canceled when the contract is; an expired contract has no
		// active segment, and an active one in effect today has the
		// segment in effect today active.
		switch {
		case c.Status == contract.StatusCanceled && status != contract.StatusCanceled,
			c.Status != contract.StatusCanceled && (status == contract.StatusExpired) != (end <= today):
			t.Fatalf("%s reads %s on %s, ending %s", c.Number, status, today, end)
		}
		seenActive := false
		for i := range segs {
			st, shown := c.SegmentStatus(i, today), c.SegmentEnd(i)
			last := i == len(segs)-1
			switch {
			case (st == contract.StatusCanceled) != (status == contract.StatusCanceled && last):
				t.Fatalf("%s (%s): segment %d reads %s", c.Number, status, i, st)
			case st == contract.StatusExpired && (shown > today || seenActive):
				t.Fatalf("%s: segment %d reads expired on %s, shown to %s: %s", c.Number, i, today, shown, describe(c))
			case st == contract.StatusActive && (shown <= today || status == contract.StatusExpired):
				t.Fatalf("%s (%s): segment %d reads active on %s, shown to %s", c.Number, status, i, today, shown)
			}
			seenActive = seenActive || st == contract.StatusActive
			inEffect := segs[i].EffectiveDate <= today && today < shown
			if inEffect && status == contract.StatusActive && st != contract.StatusActive {
				t.Fatalf("%s: segment %d is in effect on %s but reads %s", c.Number, i, today, st)
			}
		}
	}
}

// run plays a script from the clock start.
func runScript(t *testing.T, store *ddb.Store, script []byte) {
	s := &tlScript{b: script}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, s.intn(90)).Add(time.Duration(s.intn(24)) * time.Hour)
	q := newSeq(t, store, start)
	var cs []*contract.Contract
	for range tlMaxSteps {
		st := q.choose(s, cs)
		if s.done {
			return
		}
		cs = q.apply(st, cs)
		q.check(cs)
		// The clock moves on: mostly not, or by a day, sometimes by months.
		switch s.intn(10) {
		case 0:
			q.now = q.now.AddDate(0, 0, 1)
		case 1:
			q.now = q.now.AddDate(0, 0, 10+s.intn(200))
		}
		q.check(cs)
	}
}

// FuzzTimeline is the timeline property test (see the top of the file).
func FuzzTimeline(f *testing.F) {
	// Scripts of random bytes from fixed seeds: each plays a sequence of
	// up to tlMaxSteps requests.
	for seed := range uint64(48) {
		r := rand.New(rand.NewPCG(seed, 0x7131e11e))
		script := make([]byte, 160)
		for i := 0; i < len(script); i += 8 {
			binary.LittleEndian.PutUint64(script[i:], r.Uint64())
		}
		f.Add(script)
	}
	store := ddbtest.NewStore(f)
	f.Fuzz(func(t *testing.T, script []byte) {
		runScript(t, store, script)
	})
}

// TestSeedContractTimeline plays the seed's contract (2026-02-01 to
// 2027-02-01, twelve months) through the changes users make of it, on a
// clock pinned inside it, and checks what each shows.
func TestSeedContractTimeline(t *testing.T) {
	store := ddbtest.NewStore(t)
	q := newSeq(t, store, time.Date(2026, 3, 15, 9, 0, 0, 0, time.UTC))
	seed := contract.Terms{PlanID: "basic", Currencies: []string{"USD"}, EffectiveDate: "2026-02-01", ExpirationDate: "2027-02-01"}
	do := func(typ contract.ActionType, e contract.ActionEntry) (*contract.Contract, contract.Applied) {
		t.Helper()
		var out contract.Applied
		req := contract.ActionsRequest{Account: tlAccount, Request: json.RawMessage(`{}`), Actions: []contract.ActionItem{{Type: typ, Entries: []contract.ActionEntry{e}}}}
		if err := q.service.ApplyActions(context.Background(), q.actor(), nil, q.store, &req, &out); err != nil {
			t.Fatalf("%s %+v: %v", typ, e, err)
		}
		if typ == contract.ActionCreate {
			q.numbers = append(q.numbers, out.Contract.Number)
		}
		c, err := q.store.GetContract(context.Background(), q.tenant, out.Contract.Number)
		if err != nil {
			t.Fatal(err)
		}
		q.check([]*contract.Contract{c})
		return c, out
	}
	ends := func(c *contract.Contract, want ...string) {
		t.Helper()
		var got []string
		for i := range c.Segments {
			got = append(got, c.Segments[i].EffectiveDate+".."+c.SegmentEnd(i))
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s shows %v, want %v", c.Number, got, want)
		}
	}

	renewed, _ := do(contract.ActionCreate, contract.ActionEntry{Terms: seed})
	renewed, _ = do(contract.ActionRenew, contract.ActionEntry{Contract: renewed.Number, Terms: contract.Terms{EffectiveDate: "2027-02-01", ExpirationDate: "2028-02-01"}})
	ends(renewed, "2026-02-01..2027-02-01", "2027-02-01..2028-02-01")
	if end := contract.EndDay(*renewed.ValidTo).Format(time.DateOnly); end != "2028-02-01" {
		t.Errorf("renewed, the contract expires %s", end)
	}

	c, _ := do(contract.ActionCreate, contract.ActionEntry{Terms: seed})
	first := c.Segments[0]
	c, _ = do(contract.ActionSwitchPlan, contract.ActionEntry{Contract: c.Number, Terms: contract.Terms{PlanID: "pro", Currencies: []string{"USD"}, EffectiveDate: "2026-06-01"}})
	ends(c, "2026-02-01..2026-06-01", "2026-06-01..2027-02-01")
	c, _ = do(contract.ActionUpdatePrice, contract.ActionEntry{Contract: c.Number, SegmentID: c.Segments[1].ID, Terms: contract.Terms{Price: "9.90", EffectiveDate: "2026-07-01"}})
	ends(c, "2026-02-01..2026-06-01", "2026-06-01..2026-07-01", "2026-07-01..2027-02-01")
	written := slices.Clone(c.Segments)
	c, canceled := do(contract.ActionCancel, contract.ActionEntry{Contract: c.Number, Terms: contract.Terms{EffectiveDate: "2026-09-01"}})
	ends(c, "2026-02-01..2026-06-01", "2026-06-01..2026-07-01", "2026-07-01..2026-09-01")
	if end := contract.EndDay(*c.ValidTo).Format(time.DateOnly); end != "2026-09-01" || c.CurrentStatus(q.now) != contract.StatusCanceled {
		t.Errorf("canceled on 2026-09-01, the contract reads %s to %s", c.CurrentStatus(q.now), end)
	}
	if !reflect.DeepEqual(c.Segments, written) || !reflect.DeepEqual(c.Segments[0], first) || len(canceled.Action.SegmentIDs) != 0 {
		t.Errorf("the cancel wrote segments %v, or rewrote some:\n%+v\nwere\n%+v", canceled.Action.SegmentIDs, c.Segments, written)
	}
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && len(a) == len(union(a, b))
}

func union(a, b []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range append(slices.Clone(a), b...) {
		m[s] = true
	}
	return m
}

// describe shows a contract's timeline for a failure message.
func describe(c *contract.Contract) string {
	if c == nil {
		return "(none)"
	}
	s := fmt.Sprintf("%s %s [%s, %s)", c.Number, c.Status, c.ValidFrom.Format(time.DateOnly), contract.EndDay(*c.ValidTo).Format(time.DateOnly))
	for i, seg := range c.Segments {
		s += fmt.Sprintf(" | %d: [%s, %s) written to %s", i, seg.EffectiveDate, c.SegmentEnd(i), seg.ExpirationDate)
	}
	return s
}

func describeAll(cs []*contract.Contract) string {
	var out string
	for _, c := range cs {
		out += describe(c) + "\n"
	}
	return out
}
