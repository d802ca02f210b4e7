package easybilling

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// The renderers share texts and point into the contracts they render;
// these tests hold them to the plain renderer below, which formats and
// copies every value on its own, so that no byte of an answer differs.

// plainTimestamp is stampLayout formatted by the time package.
func plainTimestamp(t time.Time) string { return t.UTC().Format(stampLayout) }

func plainAuditOf(n naming, created, updated time.Time, createdBy, updatedBy string) audit {
	return auditOf(n, plainTimestamp(created), plainTimestamp(updated), createdBy, updatedBy)
}

func plainInfoOf(c *contract.Contract, n naming, now time.Time) *contractInfo {
	info := &contractInfo{
		AccountNumber: c.Party.ID, ContractNumber: c.Number, ID: c.ID,
		Status: plainStatus(c, now), ContractSegments: []segmentBody{},
		audit: plainAuditOf(n, c.CreatedAt, c.UpdatedAt, c.CreatedBy, c.UpdatedBy),
	}
	from, to := plainSpan(c)
	info.EffectiveDate, info.ExpirationDate = from.Format(contract.DateLayout), to.Format(contract.DateLayout)
	today := contract.Today(now)
	if c.Owner() != contract.APIEasyBilling {
		sum := sha256.Sum256([]byte(string(c.Party.Kind) + "\x00" + c.Party.ID))
		info.AccountNumber = fmt.Sprintf("ACC-%010d", binary.BigEndian.Uint64(sum[:8])%10_000_000_000)
		digits := strings.TrimPrefix(c.Number, "CT-")
		info.ID = "00000000-0000-8000-8000-00" + digits
		currency := "XXX"
		if c.Amount != nil && regexp.MustCompile(`^[A-Z]{3}$`).MatchString(c.Amount.Currency) {
			currency = c.Amount.Currency
		}
		plan := "00000000-0000-0000-0000-000000000000"
		if len(c.PlanIDs) > 0 {
			plan = c.PlanIDs[0]
		}
		info.ContractSegments = append(info.ContractSegments, segmentBody{
			AccountNumber: info.AccountNumber, ContractNumber: c.Number,
			EffectiveDate: info.EffectiveDate, ExpirationDate: info.ExpirationDate, Currency: []string{currency},
			PlanID: plan, BillingCycleDay: from.Day(), BillingCycleType: "monthly", Status: info.Status,
			ID: "00000000-0000-8000-8001-00" + digits, audit: info.audit,
		})
		return info
	}
	for i, s := range c.Segments {
		b := segmentBody{
			AccountNumber: c.Party.ID, ContractNumber: c.Number,
			EffectiveDate: s.EffectiveDate, ExpirationDate: c.SegmentEnd(i), Currency: s.Currencies,
			PlanID: s.PlanID, BillingCycleDay: s.BillingCycleDay, BillingCycleType: s.BillingCycleType,
			Status: string(c.SegmentStatus(i, today)), ID: s.ID,
			audit: plainAuditOf(n, s.CreatedAt, s.UpdatedAt, s.CreatedBy, s.UpdatedBy),
		}
		if s.PreviousID != "" {
			prev := s.PreviousID
			b.PreviousContractSegmentID = &prev
		}
		if s.Price != "" {
			p := json.Number(s.Price)
			b.ContractPrice = &p
		}
		info.ContractSegments = append(info.ContractSegments, b)
	}
	return info
}

// plainSpan is the README's effectiveDate and expirationDate of c: the
// day of its start, or of its creation; the first day its end no longer
// touches, or 9999-12-31 without one or past it; the first never after
// the second.
func plainSpan(c *contract.Contract) (from, to time.Time) {
	to = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	if c.ValidTo != nil {
		end := c.ValidTo.UTC()
		day := end.Truncate(24 * time.Hour)
		if !day.Equal(end) {
			day = day.AddDate(0, 0, 1)
		}
		if day.Before(to) {
			to = day
		}
	}
	start := c.CreatedAt
	if c.ValidFrom != nil {
		start = *c.ValidFrom
	}
	y, m, d := start.UTC().Date()
	from = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if from.After(to) {
		from = to
	}
	return from, to
}

// plainStatus is the README's status of c at now: canceled once
// canceled, expired from its end, active before; another API's draft or
// inactive contract reads canceled until its end.
func plainStatus(c *contract.Contract, now time.Time) string {
	switch {
	case c.Status == contract.StatusCanceled:
		return "canceled"
	case c.Status == contract.StatusExpired || c.ValidTo != nil && !now.Before(*c.ValidTo):
		return "expired"
	case c.Status == contract.StatusActive:
		return "active"
	}
	return "canceled"
}

func plainActionBodyOf(a *contract.Action, info *contractInfo, n naming) actionBody {
	return actionBody{
		ContractActionNumber: a.Number, ContractInfo: info,
		ID: a.ID, Number: a.Number, AccountID: a.AccountNumber, ContractID: a.ContractID, ActionType: a.Type,
		ContractActionItemRequest: a.Request, ContractSegmentIDs: a.SegmentIDs, Status: string(a.Status),
		audit: plainAuditOf(n, a.CreatedAt, a.UpdatedAt, a.CreatedBy, a.UpdatedBy),
	}
}

// renderTimes are instants whose texts are written here (zero and full
// fractions, another zone, the first and last four-digit years) and some
// the time package writes (other years).
var renderTimes = []time.Time{
	time.Date(2026, 2, 1, 9, 30, 15, 123456789, time.UTC),
	time.Date(2026, 2, 1, 23, 59, 59, 999999999, time.FixedZone("", -5*3600)),
	time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC),
	time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	{},
	time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
	time.Date(-1, 6, 15, 12, 0, 0, 1000, time.UTC),
	time.Date(123456, 3, 4, 5, 6, 7, 8000, time.UTC),
}

// renderContract is a contract with segments segs, its times and dates
// taken from renderTimes from k on.
func renderContract(k, segs int, status contract.Status) contract.Contract {
	at := func(j int) time.Time { return renderTimes[(k+j)%len(renderTimes)] }
	from, to := at(2), at(3)
	c := contract.Contract{
		ID: fmt.Sprintf("id-%d", k), Number: contract.FormatNumber(int64(k + 1)), Status: status,
		Party:     contract.Party{Kind: contract.PartyAccount, ID: "ACC-0000000001"},
		CreatedAt: at(0), UpdatedAt: at(1), CreatedBy: "cred-a", UpdatedBy: "cred-b",
	}
	if k%3 != 0 {
		c.ValidFrom = &from
	}
	if k%4 != 0 {
		c.ValidTo = &to
	}
	// Every fifth and seventh is another API's, which shows one segment
	// of its own making.
	switch {
	case k%5 == 4:
		c.Party = contract.Party{Kind: contract.PartyClient, ID: fmt.Sprintf("clnt_%d", k)}
		c.Amount = &contract.Money{Minor: 5000, Currency: []string{"EUR", "eur"}[k%2]}
		return c
	case k%7 == 6:
		c.Party = contract.Party{Kind: contract.PartyCustomer, ID: fmt.Sprintf("customer-%d", k)}
		c.PlanIDs = []string{"plan-a", "plan-b"}
		return c
	case k%7 == 5:
		c.Party = contract.Party{Kind: contract.PartyOrganization, ID: "org-1"}
		c.Status = contract.StatusInactive
		return c
	}
	for j := range segs {
		s := contract.Segment{
			ID: fmt.Sprintf("seg-%d-%d", k, j), PlanID: "plan", Currencies: []string{"USD", "CNY"},
			EffectiveDate: "2026-02-01", ExpirationDate: "2027-01-31", BillingCycleDay: 1, BillingCycleType: "monthly",
			CreatedAt: at(4 + 2*j), UpdatedAt: at(5 + 2*j), CreatedBy: "cred-a", UpdatedBy: "cred-c",
		}
		if j%2 == 1 {
			s.PreviousID = fmt.Sprintf("seg-%d-%d", k, j-1)
			s.Price = "49.90"
			s.ExpirationDate = "2025-01-31"
		}
		if j == 2 {
			s.Currencies = nil
			s.Price = "0"
		}
		c.Segments = append(c.Segments, s)
	}
	return c
}

func TestRenderersMatchPlainRendering(t *testing.T) {
	statuses := []contract.Status{contract.StatusActive, contract.StatusCanceled, contract.StatusDraft}
	var page []contract.Contract
	for k := range 2 * len(renderTimes) {
		page = append(page, renderContract(k, k%4, statuses[k%len(statuses)]))
	}
	for _, n := range []naming{namedOn, namedAt} {
		for _, now := range renderTimes {
			for _, size := range []int{0, 1, 3, len(page)} {
				got := infosOf(size, func(i int) *contract.Contract { return &page[i] }, n, now)
				want := make([]contractInfo, 0, size)
				for i := range size {
					want = append(want, *plainInfoOf(&page[i], n, now))
				}
				if g, w := httpapitest.MustJSON(got), httpapitest.MustJSON(want); g != w {
					t.Fatalf("a page of %d as at %v, naming %d:\n got %s\nwant %s", size, now, n, g, w)
				}
			}
			for i := range page {
				c := &page[i]
				if g, w := httpapitest.MustJSON(infoOf(c, n, now)), httpapitest.MustJSON(plainInfoOf(c, n, now)); g != w {
					t.Fatalf("contract %d as at %v, naming %d:\n got %s\nwant %s", i, now, n, g, w)
				}
				a := &contract.Action{
					ID: "action-id", Number: "CA-0000000001", AccountNumber: "ACC-0000000001", ContractID: c.ID,
					Type: "renew", Request: json.RawMessage(`{"a":1}`), SegmentIDs: []string{"seg"}, Status: contract.StatusActive,
					CreatedAt: renderTimes[i%len(renderTimes)], UpdatedAt: renderTimes[(i+1)%len(renderTimes)],
					CreatedBy: "cred-a", UpdatedBy: "cred-b",
				}
				if g, w := httpapitest.MustJSON(actionBodyOf(a, c, n, now)), httpapitest.MustJSON(plainActionBodyOf(a, plainInfoOf(c, n, now), n)); g != w {
					t.Fatalf("action of contract %d as at %v, naming %d:\n got %s\nwant %s", i, now, n, g, w)
				}
				if g, w := httpapitest.MustJSON(actionBodyOf(a, nil, n, time.Time{})), httpapitest.MustJSON(plainActionBodyOf(a, nil, n)); g != w {
					t.Fatalf("action %d, naming %d:\n got %s\nwant %s", i, n, g, w)
				}
			}
		}
	}
}

// A contract with many segments outgrows the texts kept on the stack.
func TestRenderManySegments(t *testing.T) {
	c := renderContract(1, 40, contract.StatusActive)
	now := renderTimes[0]
	if g, w := httpapitest.MustJSON(infoOf(&c, namedOn, now)), httpapitest.MustJSON(plainInfoOf(&c, namedOn, now)); g != w {
		t.Fatalf("got %s\nwant %s", g, w)
	}
}

// The benchmark's answers are those the plain renderer gives.
func TestBenchAnswers(t *testing.T) {
	made := time.Date(2026, 1, 15, 10, 30, 0, 123456789, time.UTC)
	page := contract.Page{Contracts: []contract.Contract{benchContract(0, made), benchContract(1, made)}, Next: "CT-0000000002"}
	got := httpapitest.MustJSON(pageOf(page, 2, namedAt, made))
	cursor := contract.EncodeCursor(page.Next)
	want := httpapitest.MustJSON(contractPage{
		Items:    []contractInfo{*plainInfoOf(&page.Contracts[0], namedAt, made), *plainInfoOf(&page.Contracts[1], namedAt, made)},
		PageSize: 2, Cursor: &cursor, HasMore: true,
	})
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	last := contract.Page{Contracts: page.Contracts[:1]}
	got = httpapitest.MustJSON(pageOf(last, 20, namedOn, made))
	want = httpapitest.MustJSON(contractPage{Items: []contractInfo{*plainInfoOf(&page.Contracts[0], namedOn, made)}, PageSize: 20})
	if got != want {
		t.Fatalf("got %s\nwant %s", got, want)
	}
	empty := httpapitest.MustJSON(pageOf(contract.Page{}, 20, namedOn, made))
	if want := `{"items":[],"pageSize":20,"cursor":null,"hasMore":false}`; empty != want {
		t.Fatalf("got %s\nwant %s", empty, want)
	}
}

func FuzzTexts(f *testing.F) {
	for _, tm := range renderTimes {
		f.Add(tm.Unix(), int64(tm.Nanosecond()), 0)
	}
	f.Add(int64(-62135596800), int64(0), 3600)
	f.Add(int64(253402300799), int64(999999999), -3600)
	f.Fuzz(func(t *testing.T, sec, nsec int64, offset int) {
		tm := time.Unix(sec, nsec).In(time.FixedZone("", offset%(26*3600)))
		var w textsBuilder
		w.addStamp(tm)
		w.addDate(tm)
		x := w.texts()
		if g, w := x.stamp(tm), plainTimestamp(tm); g != w {
			t.Errorf("stamp of %v: got %q, want %q", tm, g, w)
		}
		if g, w := x.date(tm), tm.UTC().Format(contract.DateLayout); g != w {
			t.Errorf("date of %v: got %q, want %q", tm, g, w)
		}
		if x.at != len(x.text) {
			t.Errorf("%v: took %d bytes of %d", tm, x.at, len(x.text))
		}
	})
}
