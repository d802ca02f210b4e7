package easybilling_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// Contracts of these tests run in the 2090s, so none expires while the
// tests run.
const (
	start = "2090-01-01"
	end   = "2090-12-31"
)

// refs names a contract both ways an entry can.
var refs = []struct {
	name string
	of   func(map[string]any) obj
}{
	{"by contractNumber", byNumber},
	{"by contractId", byID},
}

// checkSegment checks the fields of the new segment seg that want names.
func checkSegment(t testing.TB, seg, want map[string]any) {
	t.Helper()
	for k, v := range want {
		if !reflect.DeepEqual(seg[k], v) {
			t.Errorf("new segment %s = %v, want %v", k, seg[k], v)
		}
	}
}

// checkFollows checks that next is a new segment following prev.
func checkFollows(t testing.TB, prev, next map[string]any) {
	t.Helper()
	if next["previousContractSegmentId"] != prev["id"] {
		t.Errorf("previousContractSegmentId %v, want the segment before, %v", next["previousContractSegmentId"], prev["id"])
	}
	if next["id"] == prev["id"] || !uuidPattern.MatchString(fmt.Sprint(next["id"])) {
		t.Errorf("new segment id %v", next["id"])
	}
}

// checkRecord checks an action's answer is recorded as its CA number,
// readable under both variants, and that it wrote exactly segmentIDs.
func (a *api) checkRecord(t testing.TB, answer map[string]any, typ string, segmentIDs ...any) {
	t.Helper()
	if segmentIDs == nil {
		segmentIDs = []any{}
	}
	if answer["actionType"] != typ || !reflect.DeepEqual(answer["contractSegmentIds"], segmentIDs) {
		t.Errorf("action %v wrote %v, want %s writing %v", answer["contractActionNumber"], answer["contractSegmentIds"], typ, segmentIDs)
	}
	if answer["contractId"] != info(t, answer)["id"] {
		t.Errorf("contractId %v, want the contract's %v", answer["contractId"], info(t, answer)["id"])
	}
	record := a.action(t, tenantA, prod, answer["contractActionNumber"].(string))
	for k, v := range answer {
		if k != "contractInfo" && !reflect.DeepEqual(record[k], v) {
			t.Errorf("action read back with %s = %v, want %v", k, record[k], v)
		}
	}
	a.action(t, tenantA, hub, answer["contractActionNumber"].(string))
}

// checkStored checks the contract reads back, under both variants and by
// number and id, as an action answered it.
func (a *api) checkStored(t testing.TB, c map[string]any) {
	t.Helper()
	for _, ref := range []string{c["contractNumber"].(string), c["id"].(string)} {
		if got := a.contract(t, tenantA, prod, ref); !reflect.DeepEqual(got, c) {
			t.Errorf("%s reads back as\n%v\nwant\n%v", ref, got, c)
		}
		if got := a.contract(t, tenantA, hub, ref); !reflect.DeepEqual(got, renamed(c, namedOn, namedAt)) {
			t.Errorf("%s reads back on the payment hub as\n%v", ref, got)
		}
	}
}

// checkNewSegment checks got, the answer of an action of type typ that
// wrote one segment after a one-segment contract's: the contract has two,
// the second new, following the first and holding the fields want names;
// the action is recorded as writing it, and the contract reads back as
// answered. It returns the contract and its segments, for the checks of
// the action's own.
func (a *api) checkNewSegment(t testing.TB, got map[string]any, typ string, want map[string]any) (c map[string]any, segs []map[string]any) {
	t.Helper()
	c = info(t, got)
	segs = segments(t, c)
	if len(segs) != 2 {
		t.Fatalf("%d segments, want 2", len(segs))
	}
	checkFollows(t, segs[0], segs[1])
	checkSegment(t, segs[1], want)
	a.checkRecord(t, got, typ, segs[1]["id"])
	a.checkStored(t, c)
	return c, segs
}

func TestSwitchPlan(t *testing.T) {
	a := newAPI(t)
	for _, ref := range refs {
		t.Run(ref.name, func(t *testing.T) {
			before := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
			got := a.act(t, tenantA, prod, request(t, "ACC-1", act1("switch-plan",
				with(ref.of(before), "planId", proPlan, "effectiveDate", "2090-04-15", "currency", []string{"EUR", "USD"}))))
			c, segs := a.checkNewSegment(t, got, "switch-plan", map[string]any{
				"planId": proPlan, "currency": []any{"EUR", "USD"}, "effectiveDate": "2090-04-15", "expirationDate": end,
				"billingCycleDay": 15.0, "billingCycleType": "quarterly", "status": "active", "contractNumber": before["contractNumber"],
			})
			// The first segment was not rewritten: it reads as ending
			// where the new one starts, and nothing else of it changed.
			if was := segments(t, before)[0]; !reflect.DeepEqual(segs[0], with(was, "expirationDate", "2090-04-15")) {
				t.Errorf("the first segment reads\n%v\nwas\n%v", segs[0], was)
			}
			if c["effectiveDate"] != start || c["expirationDate"] != end || c["status"] != "active" || c["id"] != before["id"] {
				t.Errorf("contract %v", c)
			}
			if c["createdOn"] != before["createdOn"] || c["updatedOn"] == before["updatedOn"] {
				t.Errorf("contract stamped %v/%v, was %v/%v", c["createdOn"], c["updatedOn"], before["createdOn"], before["updatedOn"])
			}
		})
	}
}

// TestEarlyRenew renews onto another plan and currency, from inside the
// current segment.
func TestEarlyRenew(t *testing.T) {
	a := newAPI(t)
	for _, ref := range refs {
		t.Run(ref.name, func(t *testing.T) {
			before := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
			got := a.act(t, tenantA, prod, request(t, "ACC-1", act1("early-renew", with(ref.of(before),
				"planId", proPlan, "currency", []string{"EUR"}, "effectiveDate", "2090-10-20", "expirationDate", "2091-10-19"))))
			c, _ := a.checkNewSegment(t, got, "early-renew", map[string]any{
				"planId": proPlan, "currency": []any{"EUR"}, "effectiveDate": "2090-10-20", "expirationDate": "2091-10-19",
				"billingCycleDay": 20.0, "billingCycleType": "quarterly",
			})
			if c["effectiveDate"] != start || c["expirationDate"] != "2091-10-19" {
				t.Errorf("contract spans %v to %v, want %s to 2091-10-19", c["effectiveDate"], c["expirationDate"], start)
			}
		})
	}
}

func TestCancel(t *testing.T) {
	a := newAPI(t)
	for _, ref := range refs {
		t.Run(ref.name, func(t *testing.T) {
			before := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
			switched := info(t, a.act(t, tenantA, prod, request(t, "ACC-1", act1("switch-plan",
				with(ref.of(before), "planId", proPlan, "effectiveDate", "2090-03-01", "currency", []string{"USD"})))))
			got := a.act(t, tenantA, prod, request(t, "ACC-1", act1("cancel", with(ref.of(before), "effectiveDate", "2090-08-31"))))
			c := info(t, got)
			if c["status"] != "canceled" || c["expirationDate"] != "2090-08-31" || c["effectiveDate"] != start {
				t.Errorf("canceled contract %v", c)
			}
			segs := segments(t, c)
			if len(segs) != 2 {
				t.Fatalf("a cancel wrote a segment: %d segments", len(segs))
			}
			// No segment was rewritten: the one the cancel ends reads as
			// ending on its date, canceled; the one before still ends
			// where the switch began and, its days still to come, reads
			// active.
			was := segments(t, switched)
			if !reflect.DeepEqual(segs[0], was[0]) {
				t.Errorf("the first segment reads\n%v\nwas\n%v", segs[0], was[0])
			}
			if want := with(was[1], "expirationDate", "2090-08-31", "status", "canceled"); !reflect.DeepEqual(segs[1], want) {
				t.Errorf("the canceled segment reads\n%v\nwant\n%v", segs[1], want)
			}
			a.checkRecord(t, got, "cancel")
			a.checkStored(t, c)
		})
	}
}

func TestCreateWithSeveralEntries(t *testing.T) {
	a := newAPI(t)
	got := a.act(t, tenantA, prod, request(t, "ACC-1", act1("create-contract-with-plan",
		term(seedPlan, "2090-01-01", "2090-07-01", "USD"),
		with(term(proPlan, "2090-07-01", "2091-07-01", "EUR"), "contractPrice", 0),
	)))
	c := info(t, got)
	segs := segments(t, c)
	if len(segs) != 2 {
		t.Fatalf("%d segments, want 2", len(segs))
	}
	if segs[0]["previousContractSegmentId"] != nil {
		t.Errorf("the first segment follows %v", segs[0]["previousContractSegmentId"])
	}
	checkFollows(t, segs[0], segs[1])
	if segs[1]["planId"] != proPlan || segs[1]["contractPrice"] != 0.0 || segs[1]["billingCycleType"] != "quarterly" {
		t.Errorf("second segment %v", segs[1])
	}
	if c["effectiveDate"] != "2090-01-01" || c["expirationDate"] != "2091-07-01" || segs[0]["expirationDate"] != "2090-07-01" {
		t.Errorf("contract spans %v to %v, its first segment to %v", c["effectiveDate"], c["expirationDate"], segs[0]["expirationDate"])
	}
	a.checkRecord(t, got, "create-contract-with-plan", segs[0]["id"], segs[1]["id"])
	a.checkStored(t, c)
}

// TestSeveralActionsInOneRequest applies a create and changes of two
// contracts, one of them changed twice, under one CA number.
func TestSeveralActionsInOneRequest(t *testing.T) {
	a := newAPI(t)
	first := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	second := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	body := request(t, "ACC-1",
		act1("create-contract-with-plan", term(proPlan, "2090-02-01", "2090-11-30", "EUR")),
		act1("switch-plan", with(byNumber(first), "planId", proPlan, "effectiveDate", "2090-05-01", "currency", []string{"USD"})),
		act1("renew", with(byID(first), "effectiveDate", "2091-01-01", "expirationDate", "2091-12-31")),
		act1("cancel", with(byNumber(second), "effectiveDate", "2090-09-30")),
	)
	got := a.act(t, tenantA, hub, body)
	if got["actionType"] != "cancel" || info(t, got)["contractNumber"] != second["contractNumber"] || info(t, got)["status"] != "canceled" {
		t.Errorf("the answer is not of the last action: %v %v", got["actionType"], info(t, got))
	}

	chain := segments(t, a.contract(t, tenantA, prod, first["contractNumber"].(string)))
	if len(chain) != 3 {
		t.Fatalf("first contract has %d segments, want 3", len(chain))
	}
	checkFollows(t, chain[0], chain[1])
	checkFollows(t, chain[1], chain[2])
	if chain[1]["planId"] != proPlan || chain[2]["planId"] != proPlan || chain[2]["expirationDate"] != "2091-12-31" {
		t.Errorf("first contract's chain %v", chain)
	}
	if c := a.contract(t, tenantA, prod, second["id"].(string)); c["status"] != "canceled" || c["expirationDate"] != "2090-09-30" {
		t.Errorf("second contract %v", c)
	}
	listed := a.list(t, tenantA, prod, "ACC-1", 20)
	if len(listed) != 3 {
		t.Fatalf("%d contracts listed, want 3", len(listed))
	}
	created := listed[2]
	if created["contractNumber"] == first["contractNumber"] || created["contractNumber"] == second["contractNumber"] || segments(t, created)[0]["planId"] != proPlan {
		t.Errorf("the new contract is not listed last: %v", created)
	}

	wrote := []any{segments(t, created)[0]["id"], chain[1]["id"], chain[2]["id"]}
	record := a.action(t, tenantA, prod, got["contractActionNumber"].(string))
	ids := record["contractSegmentIds"].([]any)
	if len(ids) != len(wrote) {
		t.Fatalf("contractSegmentIds %v, want %v in any order", ids, wrote)
	}
	for _, id := range wrote {
		found := false
		for _, g := range ids {
			found = found || g == id
		}
		if !found {
			t.Errorf("contractSegmentIds %v lacks %v", ids, id)
		}
	}
	if !reflect.DeepEqual(record["contractActionItemRequest"], decode(t, body)) {
		t.Errorf("contractActionItemRequest %v, want the request", record["contractActionItemRequest"])
	}
	if numberOf(t, got["contractActionNumber"]) != 3 {
		t.Errorf("the request's number is %v, want CA-0000000003 (one per request)", got["contractActionNumber"])
	}
}

// TestExpiredContract: a contract whose expirationDate has come, today or
// before, reads as expired: the expirationDate is the first day it is no
// longer in effect. One that expires tomorrow is still active.
func TestExpiredContract(t *testing.T) {
	a := newAPI(t)
	now := time.Now().UTC()
	day := func(days int) string { return now.AddDate(0, 0, days).Format(time.DateOnly) }
	for _, tt := range []struct{ from, until, want string }{
		{"2020-01-01", "2020-12-31", "expired"},
		{day(-365), day(0), "expired"},
		{day(-365), day(1), "active"},
	} {
		c := a.create(t, tenantA, "ACC-1", seedPlan, tt.from, tt.until, "USD")
		if time.Now().UTC().Format(time.DateOnly) != day(0) {
			t.Skip("the day turned while the test ran; its dates no longer say what they meant")
		}
		if c["status"] != tt.want || segments(t, c)[0]["status"] != tt.want {
			t.Errorf("contract of %s to %s reads %v with segment %v, want %s", tt.from, tt.until, c["status"], segments(t, c)[0]["status"], tt.want)
		}
		a.checkStored(t, c)
	}
}

func TestList(t *testing.T) {
	a := newAPI(t)
	var creates []obj
	for i := range 5 {
		creates = append(creates, act1("create-contract-with-plan", term(seedPlan, start, fmt.Sprintf("2090-12-%02d", 20+i), "USD")))
	}
	mine := a.act(t, tenantA, prod, request(t, "ACC-1", creates...))
	a.create(t, tenantA, "ACC-2", seedPlan, start, end, "USD")
	a.create(t, tenantB, "ACC-1", seedPlan, start, end, "USD")
	last := numberOf(t, info(t, mine)["contractNumber"])

	for _, prefix := range []string{prod, hub} {
		for _, size := range []int{1, 2, 5, 20, 100} {
			t.Run(fmt.Sprintf("%s pageSize %d", prefix, size), func(t *testing.T) {
				got := a.list(t, tenantA, prefix, "ACC-1", size)
				if len(got) != 5 {
					t.Fatalf("%d contracts, want 5", len(got))
				}
				for i, c := range got {
					if n := numberOf(t, c["contractNumber"]); n != last-4+i || c["accountNumber"] != "ACC-1" {
						t.Errorf("item %d is %v of %v, want CT number %d of ACC-1", i, c["contractNumber"], c["accountNumber"], last-4+i)
					}
					checkAudit(t, c, namingOf(prefix), tenantA)
					if want := fmt.Sprintf("2090-12-%02d", 20+i); c["expirationDate"] != want {
						t.Errorf("item %d expires %v, want %s", i, c["expirationDate"], want)
					}
				}
			})
		}
	}
	t.Run("default page size", func(t *testing.T) {
		page := must(t, 200, a.do(t, tenantA, "GET", prod+"/contracts?accountNumber=ACC-1", ""))
		if page["pageSize"] != 20.0 || page["hasMore"] != false || page["cursor"] != nil || len(objects(t, page["items"])) != 5 {
			t.Errorf("default page %v", page)
		}
	})
	t.Run("accounts whose numbers share a prefix", func(t *testing.T) {
		for _, account := range []string{"ACC#1", "ACC%231", "ACC"} {
			a.create(t, tenantA, account, seedPlan, start, end, "USD")
		}
		for _, account := range []string{"ACC#1", "ACC%231", "ACC"} {
			got := a.list(t, tenantA, hub, account, 2)
			if len(got) != 1 || got[0]["accountNumber"] != account {
				t.Errorf("account %q lists %v", account, got)
			}
		}
	})
	t.Run("account without contracts", func(t *testing.T) {
		page := must(t, 200, a.do(t, tenantA, "GET", hub+"/contracts?accountNumber=ACC-9&pageSize=3", ""))
		if page["pageSize"] != 3.0 || page["hasMore"] != false || page["cursor"] != nil || len(objects(t, page["items"])) != 0 {
			t.Errorf("empty page %v", page)
		}
	})
	t.Run("a cursor from the other variant", func(t *testing.T) {
		first := must(t, 200, a.do(t, tenantA, "GET", prod+"/contracts?accountNumber=ACC-1&pageSize=2", ""))
		next := must(t, 200, a.do(t, tenantA, "GET", hub+"/contracts?accountNumber=ACC-1&pageSize=2&cursor="+first["cursor"].(string), ""))
		if n := numberOf(t, objects(t, next["items"])[0]["contractNumber"]); n != last-2 {
			t.Errorf("the second page starts at %d, want %d", n, last-2)
		}
	})
}
