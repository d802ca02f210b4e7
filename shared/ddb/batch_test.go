package ddb_test

import (
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// Keys and writes DynamoDB hands back unprocessed (it does so under
// load) are sent again, backing off between calls, until all are done;
// a batch still unprocessed after eight calls is unavailable (a 503 with
// Retry-After), never an internal error, and reads or writes nothing in
// part that the caller would take for the whole.
func TestUnprocessedBatchesAreSentAgain(t *testing.T) {
	store, clean, faults := ddbtest.NewFaultyStore(t)
	// Put through the other store, so that the faulty one's cache holds
	// none and reads them: each read asks for a plan not read before.
	ddbtest.PutPlans(t, clean, "t1", []contract.Plan{{ID: "p1", Name: "Monthly", Currencies: []string{"USD"}}, {ID: "p2", Name: "Yearly", Currencies: []string{"USD"}}})
	unread := []string{"p1", "p2"}
	refs := []ddb.EventRef{{TenantID: "t1", ID: "e1"}, {TenantID: "t1", ID: "e2"}}
	for _, tt := range []struct {
		name, operation string
		call            func() error
	}{
		{"a read", "BatchGetItem", func() error {
			id := unread[0]
			unread = unread[1:]
			plans, err := store.GetPlans(ctx, "t1", []string{id, "missing"})
			if err == nil && (len(plans) != 1 || plans[id].ID != id) {
				t.Errorf("plans %+v, want %s alone", plans, id)
			}
			return err
		}},
		{"a write", "BatchWriteItem", func() error {
			return store.MarkPublished(ctx, refs, time.Now())
		}},
	} {
		t.Run(tt.name+" handed back twice", func(t *testing.T) {
			faults.Reset()
			faults.Inject(tt.operation, 2, ddbtest.Unprocessed)
			if err := tt.call(); err != nil {
				t.Fatal(err)
			}
			if n := faults.Calls(tt.operation); n != 3 {
				t.Errorf("%d calls, want 3", n)
			}
		})
		t.Run(tt.name+" never processed", func(t *testing.T) {
			faults.Reset()
			faults.Inject(tt.operation, 100, ddbtest.Unprocessed)
			if err := tt.call(); contract.KindOf(err) != contract.KindUnavailable {
				t.Fatalf("err = %v, want unavailable", err)
			}
			if n := faults.Calls(tt.operation); n != 8 {
				t.Errorf("%d calls, want 8", n)
			}
			faults.Inject(tt.operation, 0, nil)
		})
	}
	published, err := store.Published(ctx, refs)
	if err != nil || !published[refs[0]] || !published[refs[1]] {
		t.Fatalf("published %v, %v; want both, as the write that succeeded recorded them", published, err)
	}
}
