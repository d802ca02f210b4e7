package ddb_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// A warm store answers the plans it read within ddb.PlanCacheTTL from
// its cache, with no round trip; a plan it does not hold is read at once
// (a new plan is usable at once), a plan older than the TTL is read again
// (a replaced plan's new terms arrive within it), a tenant's cache is its
// own, and the store's own PutPlans is seen at once.
func TestPlanCatalogCache(t *testing.T) {
	faulty, clean, faults := ddbtest.NewFaultyStore(t)
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	ddb.SetPlanClock(faulty, func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	put := func(s *ddb.Store, tenant, id, name string) {
		t.Helper()
		ddbtest.PutPlans(t, s, tenant, []contract.Plan{{ID: id, Name: name, Currencies: []string{"USD"}}})
	}
	put(clean, "t1", "p1", "Basic")
	put(clean, "t2", "p1", "Other tenant's")
	steps := []struct {
		name   string
		before func()
		tenant string
		ids    []string
		want   string // the plans' names by id, as fmt prints a map
		reads  int    // BatchGetItem calls
	}{
		{"first read", nil, "t1", []string{"p1"}, "map[p1:Basic]", 1},
		{"warm", nil, "t1", []string{"p1", "p1"}, "map[p1:Basic]", 0},
		{"another tenant's plan of the same id", nil, "t2", []string{"p1"}, "map[p1:Other tenant's]", 1},
		{"a plan not in the catalog is asked for each time", nil, "t1", []string{"p1", "p9"}, "map[p1:Basic]", 1},
		{"a new plan is read at once", func() { put(clean, "t1", "p9", "New") }, "t1", []string{"p1", "p9"}, "map[p1:Basic p9:New]", 1},
		{"a replaced plan reads as before within the TTL", func() { put(clean, "t1", "p1", "Renamed"); advance(ddb.PlanCacheTTL - time.Second) },
			"t1", []string{"p1"}, "map[p1:Basic]", 0},
		{"and as replaced after it", func() { advance(time.Second) }, "t1", []string{"p1"}, "map[p1:Renamed]", 1},
		{"this store's own write is read at once", func() { put(faulty, "t1", "p1", "Mine") }, "t1", []string{"p1"}, "map[p1:Mine]", 1},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		faults.Reset()
		plans, err := faulty.GetPlans(ctx, st.tenant, st.ids)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		names := map[string]string{}
		for id, p := range plans {
			names[id] = p.Name
		}
		if got := fmt.Sprint(names); got != st.want {
			t.Errorf("%s: %s, want %s", st.name, got, st.want)
		}
		if n := faults.Calls("BatchGetItem"); n != st.reads {
			t.Errorf("%s: %d BatchGetItem calls, want %d", st.name, n, st.reads)
		}
	}
}
