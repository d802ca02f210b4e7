package contract_test

import (
	"context"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
)

func TestEndDay(t *testing.T) {
	tests := []struct {
		end  time.Time
		want string
	}{
		{time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC), "2027-02-01"},
		{time.Date(2027, 2, 1, 0, 0, 0, 1, time.UTC), "2027-02-02"},
		{time.Date(2023, 10, 5, 14, 48, 0, 0, time.UTC), "2023-10-06"},
		{time.Date(2024, 12, 31, 23, 59, 59, 0, time.UTC), "2025-01-01"},
		{time.Date(2027, 2, 1, 0, 0, 0, 0, time.FixedZone("", -3*3600)), "2027-02-02"},  // 03:00 UTC
		{time.Date(2027, 2, 1, 21, 0, 0, 0, time.FixedZone("", -3*3600)), "2027-02-02"}, // midnight UTC
	}
	for _, tt := range tests {
		if got := contract.EndDay(tt.end).Format(time.DateOnly); got != tt.want {
			t.Errorf("EndDay(%v) = %s, want %s", tt.end, got, tt.want)
		}
	}
}

// TestContractExpiresOnItsExpirationDate: the expiration is the first day
// the contract is no longer in effect, so a contract whose expirationDate
// is today reads expired from the day's first instant.
func TestContractExpiresOnItsExpirationDate(t *testing.T) {
	ch := newChange()
	c := started(t, ch) // [2026-01-31, 2027-01-01)
	for _, tt := range []struct {
		now  time.Time
		want contract.Status
	}{
		{time.Date(2026, 1, 30, 23, 59, 59, 0, time.UTC), contract.StatusActive},
		{time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC), contract.StatusActive},
		{time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), contract.StatusExpired},
		{time.Date(2027, 1, 1, 23, 0, 0, 0, time.UTC), contract.StatusExpired},
	} {
		if got := c.CurrentStatus(tt.now); got != tt.want {
			t.Errorf("at %v the contract reads %s, want %s", tt.now, got, tt.want)
		}
		if got := c.SegmentStatus(0, contract.Today(tt.now)); got != tt.want {
			t.Errorf("on %s its segment reads %s, want %s", contract.Today(tt.now), got, tt.want)
		}
	}
}

// TestSegmentsReadByTheDay: a chain of three segments (the first switched
// away from, the second renewed) and, canceled, the same chain: each
// segment's end and status as they read on several days.
func TestSegmentsReadByTheDay(t *testing.T) {
	ch := newChange()
	c := &contract.Contract{Number: "CT-0000000001", Status: contract.StatusActive}
	if refused := ch.Start(c, []contract.Terms{{PlanID: "basic", Currencies: []string{"USD"}, EffectiveDate: "2026-01-01", ExpirationDate: "2027-01-01"}}); refused != nil {
		t.Fatal(refused)
	}
	if err := ch.SwitchPlan(c, contract.Terms{PlanID: "pro", Currencies: []string{"USD"}, EffectiveDate: "2026-06-01"}); err != nil {
		t.Fatal(err)
	}
	if err := ch.Renew(c, "2027-01-01", "2028-01-01"); err != nil {
		t.Fatal(err)
	}
	written := append([]contract.Segment(nil), c.Segments...)
	ends(t, c, "2026-06-01", "2027-01-01", "2028-01-01")

	const a, e, x = contract.StatusActive, contract.StatusExpired, contract.StatusCanceled
	check := func(t *testing.T, c *contract.Contract, today string, want ...contract.Status) {
		t.Helper()
		for i, w := range want {
			if got := c.SegmentStatus(i, today); got != w {
				t.Errorf("on %s segment %d reads %s, want %s", today, i, got, w)
			}
		}
	}
	check(t, c, "2026-03-01", a, a, a)
	check(t, c, "2026-06-01", e, a, a)
	check(t, c, "2027-06-01", e, e, a)
	check(t, c, "2028-01-01", e, e, e)

	ch.Now = time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
	if err := ch.Cancel(c, "2027-03-01"); err != nil {
		t.Fatal(err)
	}
	ends(t, c, "2026-06-01", "2027-01-01", "2027-03-01")
	check(t, c, "2026-03-01", a, a, x)
	check(t, c, "2027-02-01", e, e, x)
	check(t, c, "2028-02-01", e, e, x)
	for i := range written {
		if c.Segments[i].ExpirationDate != written[i].ExpirationDate || !c.Segments[i].UpdatedAt.Equal(written[i].UpdatedAt) {
			t.Errorf("segment %d was rewritten: %+v, written as %+v", i, c.Segments[i], written[i])
		}
	}
}

// TestApplyActionsRefusesNothingToApply: a request without actions, or
// with an action without entries, is invalid, and reaches no store.
func TestApplyActionsRefusesNothingToApply(t *testing.T) {
	store := newStore()
	s := newService(store)
	for _, req := range []contract.ActionsRequest{
		{Account: "ACC-1"},
		{Account: "ACC-1", Actions: []contract.ActionItem{{Type: contract.ActionCancel}}},
	} {
		var out contract.Applied
		if err := s.ApplyActions(context.Background(), actor, nil, store, &req, &out); contract.KindOf(err) != contract.KindInvalid {
			t.Errorf("%+v: err = %v, want invalid", req, err)
		}
		if contracts, actions := store.Drawn(actor.TenantID); contracts != 0 || actions != 0 || store.Counts(actor.TenantID) != (contracttest.Counts{}) {
			t.Errorf("%+v reached the store", req)
		}
	}
}
