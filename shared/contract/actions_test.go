package contract_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
)

func newChange() *contract.Change {
	n := 0
	return &contract.Change{
		Now:   time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC),
		Actor: contract.Actor{TenantID: "t", CredentialID: "cred"},
		Plans: map[string]contract.Plan{
			"basic": {ID: "basic", Currencies: []string{"USD", "EUR"}},
			"pro":   {ID: "pro", Currencies: []string{"USD"}, BillingCycleType: "yearly"},
		},
		NewID: func() string { n++; return fmt.Sprintf("seg-%d", n) },
	}
}

func started(t *testing.T, ch *contract.Change) *contract.Contract {
	t.Helper()
	c := &contract.Contract{Number: "CT-0000000001", Status: contract.StatusActive}
	if refused := ch.Start(c, []contract.Terms{{PlanID: "basic", Currencies: []string{"USD"}, EffectiveDate: "2026-01-31", ExpirationDate: "2027-01-01"}}); refused != nil {
		t.Fatal(refused)
	}
	return c
}

func TestStart(t *testing.T) {
	ch := newChange()
	c := started(t, ch)
	s := c.Segments[0]
	if s.BillingCycleDay != 31 || s.BillingCycleType != "monthly" || s.PreviousID != "" || s.CreatedBy != "cred" {
		t.Fatalf("segment %+v", s)
	}
	if c.ValidFrom.Format(time.RFC3339Nano) != "2026-01-31T00:00:00Z" || c.ValidTo.Format(time.RFC3339Nano) != "2027-01-01T00:00:00Z" {
		t.Fatalf("span %v .. %v, want the segment's half-open period", c.ValidFrom, c.ValidTo)
	}
	if refused := newChange().Start(&contract.Contract{}, []contract.Terms{
		{PlanID: "basic", Currencies: []string{"USD"}, EffectiveDate: "2026-01-01", ExpirationDate: "2026-07-01"},
		{PlanID: "basic", Currencies: []string{"USD"}, EffectiveDate: "2026-07-01", ExpirationDate: "2027-01-01"},
	}); refused != nil {
		t.Fatalf("contiguous entries refused: %v", refused)
	}
	// Every entry is checked, and every rule each breaks is named.
	refusals := []struct {
		name    string
		entries []contract.Terms
		fields  [][]string // by entry; nil where an entry is accepted
	}{
		{"unknown plan", []contract.Terms{{PlanID: "gold", Currencies: []string{"USD"}, EffectiveDate: "2026-01-01", ExpirationDate: "2026-02-01"}}, [][]string{{"planId"}}},
		{"currencies the plan lacks", []contract.Terms{{PlanID: "pro", Currencies: []string{"USD", "EUR", "GBP"}, EffectiveDate: "2026-01-01", ExpirationDate: "2026-02-01"}}, [][]string{{"currency[1]", "currency[2]"}}},
		{"expiration not after effective", []contract.Terms{{PlanID: "basic", Currencies: []string{"USD"}, EffectiveDate: "2026-01-01", ExpirationDate: "2026-01-01"}}, [][]string{{"expirationDate"}}},
		{"unknown plan and dates in the wrong order", []contract.Terms{{PlanID: "gold", Currencies: []string{"USD"}, EffectiveDate: "2026-02-01", ExpirationDate: "2026-01-01"}}, [][]string{{"planId", "expirationDate"}}},
		{"overlapping entries", []contract.Terms{
			{PlanID: "basic", Currencies: []string{"USD"}, EffectiveDate: "2026-01-01", ExpirationDate: "2026-07-01"},
			{PlanID: "basic", Currencies: []string{"USD"}, EffectiveDate: "2026-06-30", ExpirationDate: "2027-01-01"},
		}, [][]string{nil, {"effectiveDate"}}},
		{"two entries refused, the second overlapping too", []contract.Terms{
			{PlanID: "gold", Currencies: []string{"USD"}, EffectiveDate: "2026-01-01", ExpirationDate: "2026-07-01"},
			{PlanID: "pro", Currencies: []string{"EUR"}, EffectiveDate: "2026-06-30", ExpirationDate: "2027-01-01"},
		}, [][]string{{"planId"}, {"currency[0]", "effectiveDate"}}},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			refused := newChange().Start(&contract.Contract{}, tt.entries)
			if len(refused) != len(tt.entries) {
				t.Fatalf("refusals %v, want one place per entry", refused)
			}
			for i, fields := range tt.fields {
				if fields == nil {
					if refused[i] != nil {
						t.Fatalf("entry %d refused: %v", i, refused[i])
					}
					continue
				}
				contracttest.Refused(t, refused[i], contract.KindUnprocessable, fields...)
			}
		})
	}
}

// ends checks the ends c's segments read as.
func ends(t *testing.T, c *contract.Contract, want ...string) {
	t.Helper()
	var got []string
	for i := range c.Segments {
		got = append(got, c.SegmentEnd(i))
	}
	if !slices.Equal(got, want) {
		t.Fatalf("segments end %v, want %v", got, want)
	}
}

// The contract started() makes runs [2026-01-31, 2027-01-01).
func TestChanges(t *testing.T) {
	tests := []struct {
		name   string
		apply  func(ch *contract.Change, c *contract.Contract) error
		check  func(t *testing.T, c *contract.Contract)
		refuse string // the field a refusal names, or "" for success
	}{
		{"switch plan", func(ch *contract.Change, c *contract.Contract) error {
			return ch.SwitchPlan(c, contract.Terms{PlanID: "pro", Currencies: []string{"USD"}, EffectiveDate: "2026-04-10"})
		}, func(t *testing.T, c *contract.Contract) {
			s := c.Segments[1]
			if s.PreviousID != c.Segments[0].ID || s.PlanID != "pro" || s.ExpirationDate != "2027-01-01" || s.BillingCycleDay != 10 || s.BillingCycleType != "yearly" {
				t.Fatalf("new segment %+v", s)
			}
			ends(t, c, "2026-04-10", "2027-01-01")
		}, ""},
		{"switch on the segment's first day", func(ch *contract.Change, c *contract.Contract) error {
			return ch.SwitchPlan(c, contract.Terms{PlanID: "pro", Currencies: []string{"USD"}, EffectiveDate: "2026-01-31"})
		}, nil, "effectiveDate"},
		{"switch on the segment's expiration", func(ch *contract.Change, c *contract.Contract) error {
			return ch.SwitchPlan(c, contract.Terms{PlanID: "pro", Currencies: []string{"USD"}, EffectiveDate: "2027-01-01"})
		}, nil, "effectiveDate"},
		{"switch on the segment's last day", func(ch *contract.Change, c *contract.Contract) error {
			return ch.SwitchPlan(c, contract.Terms{PlanID: "pro", Currencies: []string{"USD"}, EffectiveDate: "2026-12-31"})
		}, func(t *testing.T, c *contract.Contract) {
			ends(t, c, "2026-12-31", "2027-01-01")
		}, ""},
		{"renew on the expiration: contiguous", func(ch *contract.Change, c *contract.Contract) error {
			return ch.Renew(c, "2027-01-01", "2028-01-01")
		}, func(t *testing.T, c *contract.Contract) {
			if c.ValidTo.Format(time.DateOnly) != "2028-01-01" || c.Segments[1].PlanID != "basic" {
				t.Fatalf("renewed %+v", c.Segments)
			}
			ends(t, c, "2027-01-01", "2028-01-01")
		}, ""},
		{"renew after a gap", func(ch *contract.Change, c *contract.Contract) error {
			return ch.Renew(c, "2027-03-01", "2028-03-01")
		}, func(t *testing.T, c *contract.Contract) {
			ends(t, c, "2027-01-01", "2028-03-01")
		}, ""},
		{"renew on the segment's last day", func(ch *contract.Change, c *contract.Contract) error {
			return ch.Renew(c, "2026-12-31", "2027-12-31")
		}, nil, "effectiveDate"},
		{"renew ending as it starts", func(ch *contract.Change, c *contract.Contract) error {
			return ch.Renew(c, "2027-01-01", "2027-01-01")
		}, nil, "expirationDate"},
		{"early renew", func(ch *contract.Change, c *contract.Contract) error {
			return ch.EarlyRenew(c, contract.Terms{EffectiveDate: "2026-10-01", ExpirationDate: "2027-10-01"})
		}, func(t *testing.T, c *contract.Contract) {
			if s := c.Segments[1]; s.PlanID != "basic" || s.Currencies[0] != "USD" || c.ValidTo.Format(time.DateOnly) != "2027-10-01" {
				t.Fatalf("early renewed %+v", s)
			}
			ends(t, c, "2026-10-01", "2027-10-01")
		}, ""},
		{"early renew that does not extend", func(ch *contract.Change, c *contract.Contract) error {
			return ch.EarlyRenew(c, contract.Terms{EffectiveDate: "2026-10-01", ExpirationDate: "2027-01-01"})
		}, nil, "expirationDate"},
		{"early renew on the expiration", func(ch *contract.Change, c *contract.Contract) error {
			return ch.EarlyRenew(c, contract.Terms{EffectiveDate: "2027-01-01", ExpirationDate: "2028-01-01"})
		}, nil, "effectiveDate"},
		{"update price", func(ch *contract.Change, c *contract.Contract) error {
			return ch.UpdatePrice(c, c.Segments[0].ID, "49.90", "2026-05-01")
		}, func(t *testing.T, c *contract.Contract) {
			if s := c.Segments[1]; s.Price != "49.90" || s.PreviousID != c.Segments[0].ID || s.ExpirationDate != "2027-01-01" {
				t.Fatalf("repriced %+v", s)
			}
			ends(t, c, "2026-05-01", "2027-01-01")
		}, ""},
		{"update price of a stale segment", func(ch *contract.Change, c *contract.Contract) error {
			return ch.UpdatePrice(c, "seg-old", "49.90", "2026-05-01")
		}, nil, "contractSegmentId"},
		{"cancel", func(ch *contract.Change, c *contract.Contract) error {
			return ch.Cancel(c, "2026-07-01")
		}, func(t *testing.T, c *contract.Contract) {
			if c.Status != contract.StatusCanceled || c.ValidTo.Format(time.RFC3339Nano) != "2026-07-01T00:00:00Z" || c.SegmentStatus(0, "2026-03-15") != contract.StatusCanceled {
				t.Fatalf("canceled %+v", c)
			}
			ends(t, c, "2026-07-01")
		}, ""},
		{"cancel on the first day: never in effect", func(ch *contract.Change, c *contract.Contract) error {
			return ch.Cancel(c, "2026-01-31")
		}, func(t *testing.T, c *contract.Contract) {
			ends(t, c, "2026-01-31")
		}, ""},
		{"cancel on the expiration", func(ch *contract.Change, c *contract.Contract) error {
			return ch.Cancel(c, "2027-01-01")
		}, func(t *testing.T, c *contract.Contract) {
			ends(t, c, "2027-01-01")
		}, ""},
		{"cancel before the segment", func(ch *contract.Change, c *contract.Contract) error {
			return ch.Cancel(c, "2026-01-30")
		}, nil, "effectiveDate"},
		{"cancel after the end", func(ch *contract.Change, c *contract.Contract) error {
			return ch.Cancel(c, "2027-01-02")
		}, nil, "effectiveDate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch := newChange()
			c := started(t, ch)
			err := tt.apply(ch, c)
			if tt.refuse != "" {
				contracttest.Refused(t, err, contract.KindUnprocessable, tt.refuse)
				if len(c.Segments) != 1 {
					t.Fatalf("a refused change added segments: %+v", c.Segments)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestNoChangeToCanceledOrExpired(t *testing.T) {
	ch := newChange()
	c := started(t, ch)
	if err := ch.Cancel(c, "2026-07-01"); err != nil {
		t.Fatal(err)
	}
	contracttest.Refused(t, ch.Renew(c, "2027-01-01", "2027-12-31"), contract.KindUnprocessable, "contractNumber")
	expired := started(t, ch)
	ch.Now = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	if expired.CurrentStatus(ch.Now) != contract.StatusExpired {
		t.Fatalf("status %s on the expirationDate", expired.CurrentStatus(ch.Now))
	}
	contracttest.Refused(t, ch.Cancel(expired, "2027-01-01"), contract.KindUnprocessable, "contractNumber")
}

// A contract takes segments up to MaxSegments, through every change that
// adds one, and refuses the next, naming the contract and changing
// nothing.
func TestMaxSegments(t *testing.T) {
	changes := map[string]func(ch *contract.Change, c *contract.Contract, day string) error{
		"renew": func(ch *contract.Change, c *contract.Contract, day string) error {
			return ch.Renew(c, day, "2099-12-31")
		},
		"switch-plan": func(ch *contract.Change, c *contract.Contract, day string) error {
			return ch.SwitchPlan(c, contract.Terms{PlanID: "basic", Currencies: []string{"USD"}, EffectiveDate: day})
		},
		"early-renew": func(ch *contract.Change, c *contract.Contract, day string) error {
			// Each early renewal runs a day past the one before.
			until := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, len(c.Segments))
			return ch.EarlyRenew(c, contract.Terms{EffectiveDate: day, ExpirationDate: until.Format(time.DateOnly)})
		},
		"update-price": func(ch *contract.Change, c *contract.Contract, day string) error {
			return ch.UpdatePrice(c, c.Segments[len(c.Segments)-1].ID, "9.90", day)
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			ch := newChange()
			c := started(t, ch)
			// Each change starts a day later than the one before, inside
			// the current segment (renew: after it).
			day := time.Date(2026, 12, 31, 0, 0, 0, 0, time.UTC)
			if name != "renew" {
				c.Segments[0].ExpirationDate = "2099-12-31"
				day = time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
			}
			next := func() string { day = day.AddDate(0, 0, 1); return day.Format(time.DateOnly) }
			for len(c.Segments) < contract.MaxSegments {
				if name == "renew" {
					c.Segments[len(c.Segments)-1].ExpirationDate = day.Format(time.DateOnly)
				}
				if err := change(ch, c, next()); err != nil {
					t.Fatalf("segment %d: %v", len(c.Segments)+1, err)
				}
			}
			if name == "renew" {
				c.Segments[len(c.Segments)-1].ExpirationDate = day.Format(time.DateOnly)
			}
			before := len(c.Segments)
			contracttest.Refused(t, change(ch, c, next()), contract.KindUnprocessable, "contractNumber")
			if len(c.Segments) != before {
				t.Fatalf("the refused change left %d segments", len(c.Segments))
			}
		})
	}
}
