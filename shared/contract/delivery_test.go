package contract_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
)

// lateStore answers its first CheckDelivery as a copy racing another
// copy of the same delivery sees the record: not there yet. The next
// check reads it as the store holds it.
type lateStore struct {
	*racingStore
	checks int
}

func (s *lateStore) CheckDelivery(ctx context.Context, tenantID, dedupe string, request json.RawMessage) error {
	if s.checks++; s.checks == 1 {
		return nil
	}
	return s.racingStore.CheckDelivery(ctx, tenantID, dedupe, request)
}

// TestRacingCopyOfADeliveryIsNotRefused: a copy of a delivery that found
// no record, because the copy it raced had not committed yet, and that
// the rules then refuse for what that copy changed (a renewal that now
// starts before the current segment ends), is a redelivery, not a
// refusal; another request under the same key is the key's reuse.
func TestRacingCopyOfADeliveryIsNotRefused(t *testing.T) {
	ctx := context.Background()
	store := newStore()
	if err := store.PutPlans(ctx, actor.TenantID, []contract.Plan{{ID: "basic", Name: "Basic", Currencies: []string{"USD"}}}); err != nil {
		t.Fatal(err)
	}
	s := newService(store)
	request := func(typ contract.ActionType, e contract.ActionEntry, body, dedupe string) *contract.ActionsRequest {
		return &contract.ActionsRequest{Account: "ACC-1", Request: json.RawMessage(body), Dedupe: dedupe,
			Actions: []contract.ActionItem{{Type: typ, Entries: []contract.ActionEntry{e}}}}
	}
	var out contract.Applied
	create := request(contract.ActionCreate, contract.ActionEntry{Terms: contract.Terms{PlanID: "basic", Currencies: []string{"USD"}, EffectiveDate: "2026-02-01", ExpirationDate: "2027-02-01"}}, `{"create":1}`, "m-1")
	if err := s.ApplyActions(ctx, actor, nil, store, create, &out); err != nil {
		t.Fatal(err)
	}
	renewal := contract.ActionEntry{Contract: out.Contract.Number, Terms: contract.Terms{EffectiveDate: "2027-02-01", ExpirationDate: "2028-02-01"}}
	if err := s.ApplyActions(ctx, actor, nil, store, request(contract.ActionRenew, renewal, `{"renew":1}`, "m-2"), &out); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, body string
		want       error
	}{
		{"the same renewal", `{"renew":1}`, contract.ErrAlreadyApplied},
		{"another request under its key", `{"renew":2}`, contract.ErrDeliveryKeyReused},
	} {
		late := &lateStore{racingStore: store}
		err := s.ApplyActions(ctx, actor, nil, late, request(contract.ActionRenew, renewal, tt.body, "m-2"), &out)
		if !errors.Is(err, tt.want) || late.checks != 2 {
			t.Errorf("%s: err = %v after %d checks, want %v after 2", tt.name, err, late.checks, tt.want)
		}
	}
	if _, err := store.GetAction(ctx, actor.TenantID, contract.FormatActionNumber(3)); contract.KindOf(err) != contract.KindNotFound {
		t.Errorf("a racing copy stored an action: %v", err)
	}
}
