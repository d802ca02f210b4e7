package easybilling_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// racingStore is the DynamoDB Local store with another writer that, for
// the next races reads of a contract, stores that contract again right
// after the read: the reader's write then loses the race.
type racingStore struct {
	*ddb.Store
	races atomic.Int64
}

func (s *racingStore) GetContract(ctx context.Context, tenantID, id string) (*contract.Contract, error) {
	c, err := s.Store.GetContract(ctx, tenantID, id)
	if err != nil || s.races.Add(-1) < 0 {
		return c, err
	}
	other := *c
	other.Version++
	if err := s.Store.ReplaceContract(ctx, &other, contract.Companions{}, nil); err != nil {
		return nil, err
	}
	return c, nil
}

// failingStore is the DynamoDB Local store with a catalog that cannot be
// read.
type failingStore struct{ *ddb.Store }

func (failingStore) GetPlans(context.Context, string, []string) (map[string]contract.Plan, error) {
	return nil, errors.New("catalog unavailable")
}

// router is ContractActionsFunction's router over store.
func router(store endpoints.Store) *httpapi.Router {
	return endpoints.ContractActions(store, slog.New(slog.DiscardHandler))
}

// TestLostRaces: a request whose contract another writer keeps changing
// is applied again on the contract as stored, and refused with 409 once
// its attempts run out, having written nothing.
func TestLostRaces(t *testing.T) {
	a := newAPI(t)
	racing := &racingStore{Store: a.store}
	rt := router(racing)
	c := a.create(t, tenantA, "ACC-1", seedPlan, start, end, "USD")
	cancel := request(t, "ACC-1", act1("cancel", with(byNumber(c), "effectiveDate", "2090-06-30")))

	racing.races.Store(1 << 20)
	for _, prefix := range []string{prod, hub} {
		r, err := serve(t, rt, tenantA, "POST", prefix+"/contract-actions", cancel, "trace-id", "lost")
		if err != nil {
			t.Fatal(err)
		}
		refused(t, r, http.StatusConflict)
		if r.Headers["trace-id"] != "lost" {
			t.Errorf("trace-id %q, want the request's", r.Headers["trace-id"])
		}
	}
	racing.races.Store(0)
	stored := a.contract(t, tenantA, prod, c["contractNumber"].(string))
	if !reflect.DeepEqual(with(stored, "updatedOn", nil), with(c, "updatedOn", nil)) {
		t.Errorf("a refused request changed the contract:\n%v\nwas\n%v", stored, c)
	}

	// One lost race is retried: the cancel applies to the contract as the
	// other writer left it.
	racing.races.Store(1)
	r, err := serve(t, rt, tenantA, "POST", prod+"/contract-actions", cancel)
	if err != nil {
		t.Fatal(err)
	}
	got := info(t, must(t, http.StatusOK, r))
	if got["status"] != "canceled" || got["expirationDate"] != "2090-06-30" {
		t.Errorf("retried cancel answered %v", got)
	}
	if stored := a.contract(t, tenantA, prod, c["id"].(string)); !reflect.DeepEqual(stored, got) {
		t.Errorf("retried cancel stored\n%v\nanswered\n%v", stored, got)
	}
}

// TestStoreFailure: a failure of storage is a 500 that tells nothing of
// its cause, with the trace-id to find it in the logs.
func TestStoreFailure(t *testing.T) {
	a := newAPI(t)
	rt := router(failingStore{a.store})
	for _, prefix := range []string{prod, hub} {
		r, err := serve(t, rt, tenantA, "POST", prefix+"/contract-actions", httpapitest.ReadFile(t, "testdata/seed-000-request.json"), "trace-id", "failed")
		if err != nil {
			t.Fatal(err)
		}
		refused(t, r, http.StatusInternalServerError)
		if r.Headers["trace-id"] != "failed" || strings.Contains(r.Raw, "catalog") {
			t.Errorf("500 with trace-id %q: %s", r.Headers["trace-id"], r.Raw)
		}
	}
	if got := a.list(t, tenantA, prod, "ACC-0000000001", 20); len(got) != 0 {
		t.Errorf("a failed request made contracts: %v", got)
	}
}
