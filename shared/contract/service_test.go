package contract_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/idempotency"
)

// racingStore is the in-memory store with another writer: race, when set,
// runs before each write the service sends (its n-th), as a writer that
// gets there first. It counts the reads and writes.
type racingStore struct {
	*contracttest.Store
	race          func(n int)
	reads, writes int
}

func newStore() *racingStore { return &racingStore{Store: contracttest.New()} }

func (s *racingStore) GetContract(ctx context.Context, tenantID, id string) (*contract.Contract, error) {
	s.reads++
	return s.Store.GetContract(ctx, tenantID, id)
}

func (s *racingStore) CreateContract(ctx context.Context, c *contract.Contract, with contract.Companions, claim *idempotency.Claim) error {
	s.write()
	return s.Store.CreateContract(ctx, c, with, claim)
}

func (s *racingStore) ReplaceContract(ctx context.Context, c *contract.Contract, with contract.Companions, claim *idempotency.Claim) error {
	s.write()
	return s.Store.ReplaceContract(ctx, c, with, claim)
}

// write counts a write the service sends and lets race, the other
// writer, go first.
func (s *racingStore) write() {
	s.writes++
	if s.race != nil {
		s.race(s.writes)
	}
}

// put stores c as another writer would, under a number no draw gives.
func (s *racingStore) put(t *testing.T, c *contract.Contract) {
	t.Helper()
	c.TenantID, c.Number, c.Version = actor.TenantID, contract.FormatNumber(9000+int64(len(s.Contracts(actor.TenantID)))), 1
	if err := s.Store.CreateContract(context.Background(), c, contract.Companions{}, nil); err != nil {
		t.Fatal(err)
	}
}

// hold stores, as another writer would, a contract ("ctr_holder") that
// holds reference.
func (s *racingStore) hold(t *testing.T, reference string) {
	t.Helper()
	holder := validContract()
	holder.ID, holder.Reference = "ctr_holder", reference
	s.put(t, holder)
}

// bump writes the stored contract id again, as another writer would.
func (s *racingStore) bump(t *testing.T, id string) {
	t.Helper()
	c, err := s.Store.GetContract(context.Background(), actor.TenantID, id)
	if err == nil {
		c.Version++
		err = s.Store.ReplaceContract(context.Background(), c, contract.Companions{}, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
}

var (
	actor = contract.Actor{TenantID: "t1", CredentialID: "cred-1"}
	t0    = time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC) // whole microseconds, as the service stamps
)

func newService(store contract.Store) *contract.Service {
	s := contract.NewService(store)
	s.Now = func() time.Time { return t0 }
	return s
}

func validContract() *contract.Contract {
	return &contract.Contract{
		ID:     "ctr_x",
		Party:  contract.Party{Kind: contract.PartyClient, ID: "clnt_1"},
		Name:   "n",
		Amount: &contract.Money{Minor: 5000, Currency: "EUR"},
	}
}

func TestCreateStampsAndStores(t *testing.T) {
	store := newStore()
	s := newService(store)
	c := validContract()
	if err := s.Create(context.Background(), actor, nil, c, contract.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if stored, err := store.GetContract(context.Background(), "t1", c.ID); err != nil || !reflect.DeepEqual(stored, c) {
		t.Fatalf("stored %+v, %v; want %+v", stored, err, c)
	}
	if c.TenantID != "t1" || c.Version != 1 || c.Status != contract.StatusActive ||
		!c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(t0) || c.CreatedBy != "cred-1" || c.UpdatedBy != "cred-1" {
		t.Fatalf("not stamped as created by the actor: %+v", c)
	}
	if c.Number != "CT-0000000001" {
		t.Fatalf("number = %q", c.Number)
	}
}

func TestCreateRefusesInvalidWithoutStoring(t *testing.T) {
	later := t0.Add(time.Hour)
	tests := []struct {
		name   string
		change func(*contract.Contract)
		field  string
	}{
		{"validTo before validFrom", func(c *contract.Contract) { c.ValidFrom, c.ValidTo = &later, &t0 }, "validTo"},
		{"negative amount", func(c *contract.Contract) { c.Amount.Minor = -1 }, "amount"},
		{"amount past 2^53", func(c *contract.Contract) { c.Amount.Minor = contract.MaxSafeInteger + 1 }, "amount"},
		{"amount without currency", func(c *contract.Contract) { c.Amount.Currency = "" }, "currency"},
		{"order past 2^53", func(c *contract.Contract) { o := int64(contract.MaxSafeInteger + 1); c.Order = &o }, "order"},
		{"no party", func(c *contract.Contract) { c.Party.ID = "" }, "party"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := newStore()
			s := newService(store)
			c := validContract()
			tt.change(c)
			err := s.Create(context.Background(), actor, nil, c, contract.CreateOptions{})
			if drawn, _ := store.Drawn(actor.TenantID); store.writes != 0 || drawn != 0 {
				t.Fatalf("an invalid contract reached the store: %d writes, %d numbers drawn", store.writes, drawn)
			}
			var e *contract.Error
			if !errors.As(err, &e) || e.Kind != contract.KindInvalid {
				t.Fatalf("err = %v, want KindInvalid", err)
			}
			if len(e.Fields) != 1 || e.Fields[0].Field != tt.field {
				t.Fatalf("fields = %+v, want one naming %s", e.Fields, tt.field)
			}
		})
	}
}

func TestValidToEqualValidFromIsAllowed(t *testing.T) {
	c := validContract()
	c.ValidFrom, c.ValidTo = &t0, &t0
	if err := c.Validate(); err != nil {
		t.Fatalf("equal bounds refused: %v", err)
	}
}

func TestGetHidesDeleted(t *testing.T) {
	store := newStore()
	deleted := validContract()
	deleted.DeletedAt = &t0
	store.put(t, deleted)
	_, err := newService(store).Get(context.Background(), actor, "ctr_x")
	if contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("err = %v, want not found", err)
	}
}

func TestUpdateRetriesOnVersionConflict(t *testing.T) {
	store := newStore()
	store.put(t, validContract())
	store.race = func(n int) {
		if n < 3 {
			store.bump(t, "ctr_x")
		}
	}
	c, err := newService(store).Update(context.Background(), actor, nil, "ctr_x", func(c *contract.Contract) error {
		c.Name = "changed"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if store.reads != 3 || store.writes != 3 || c.Name != "changed" || c.UpdatedBy != "cred-1" || c.Version != 4 {
		t.Fatalf("reads=%d writes=%d contract=%+v", store.reads, store.writes, c)
	}
}

// A change that leaves the contract as it was (an empty patch, the
// contract sent back as read) writes nothing: no version, so no event.
func TestUpdateThatChangesNothingWritesNothing(t *testing.T) {
	store := newStore()
	store.put(t, validContract())
	svc := newService(store)
	c, err := svc.Update(context.Background(), actor, nil, "ctr_x", func(c *contract.Contract) error {
		c.Name = c.Name + "" // set, to the value it has
		return nil
	})
	if err != nil || store.writes != 0 || c.Version != 1 {
		t.Fatalf("err=%v writes=%d version=%d, want nothing written", err, store.writes, c.Version)
	}
	if _, err := svc.Update(context.Background(), actor, nil, "ctr_x", func(c *contract.Contract) error { c.Name = "changed"; return nil }); err != nil || store.writes != 1 {
		t.Fatalf("err=%v writes=%d, want a change written once", err, store.writes)
	}
}

func TestUpdateGivesUpAfterBoundedAttempts(t *testing.T) {
	store := newStore()
	store.put(t, validContract())
	store.race = func(int) { store.bump(t, "ctr_x") }
	_, err := newService(store).Update(context.Background(), actor, nil, "ctr_x", func(c *contract.Contract) error { c.Name = "changed"; return nil })
	if !errors.Is(err, contract.ErrVersionConflict) || contract.KindOf(err) != contract.KindConflict {
		t.Fatalf("err = %v, want the version conflict", err)
	}
	if store.writes < 2 || store.writes > 20 {
		t.Fatalf("writes = %d, want a small bounded number", store.writes)
	}
}

func TestUpdateRefusesInvalidChange(t *testing.T) {
	store := newStore()
	store.put(t, validContract())
	_, err := newService(store).Update(context.Background(), actor, nil, "ctr_x", func(c *contract.Contract) error {
		c.Party.ID = ""
		return nil
	})
	if contract.KindOf(err) != contract.KindInvalid || store.writes != 0 {
		t.Fatalf("err = %v after %d writes, want invalid and none", err, store.writes)
	}
}

func TestDeleteMarksDeleted(t *testing.T) {
	store := newStore()
	store.put(t, validContract())
	if err := newService(store).Delete(context.Background(), actor, nil, "ctr_x"); err != nil {
		t.Fatal(err)
	}
	written, _ := store.Store.GetContract(context.Background(), actor.TenantID, "ctr_x")
	if written == nil || written.DeletedAt == nil || !written.DeletedAt.Equal(t0) {
		t.Fatalf("not marked deleted: %+v", written)
	}
}

func TestCursorRoundTrip(t *testing.T) {
	cur := contract.EncodeCursor("CT-0000000042")
	got, err := contract.DecodeCursor("cursor", cur)
	if err != nil || got != "CT-0000000042" {
		t.Fatalf("got %q, %v", got, err)
	}
	if contract.EncodeCursor("") != "" {
		t.Fatal("an empty next must give no cursor")
	}
	for _, bad := range []string{"x", "!!!", contract.EncodeCursor("CT-1"), "YzE6Q1QtMDAwMDAwMDA0Mg=="} {
		_, err := contract.DecodeCursor("cursor", bad)
		var e *contract.Error
		if !errors.As(err, &e) || e.Kind != contract.KindInvalid || e.Fields[0].Field != "cursor" {
			t.Errorf("DecodeCursor(%q) = %v, want invalid naming cursor", bad, err)
		}
	}
}

func TestRenameFields(t *testing.T) {
	err := contract.RenameFields(contract.Invalid(
		contract.FieldError{Field: "amount", Message: "m"},
		contract.FieldError{Field: "name", Message: "m"},
	), map[string]string{"amount": "amountMinor"})
	var e *contract.Error
	if !errors.As(err, &e) || e.Fields[0].Field != "amountMinor" || e.Fields[1].Field != "name" {
		t.Fatalf("got %+v", err)
	}
	plain := errors.New("x")
	if contract.RenameFields(plain, nil) != plain {
		t.Fatal("a plain error must pass through")
	}
}

func TestPlanValidate(t *testing.T) {
	good := contract.Plan{ID: "p", Name: "n", Currencies: []string{"USD"}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := contract.Plan{BillingCycleType: "weekly", Currencies: []string{"usd"}}
	var e *contract.Error
	if !errors.As(bad.Validate(), &e) || len(e.Fields) != 4 {
		t.Fatalf("got %+v, want id, name, currencies[0] and billingCycleType", e)
	}
	// The Nil UUID names no plan where a contract is shown with none.
	nilPlan := contract.Plan{ID: contract.NoPlan, Name: "n", Currencies: []string{"USD"}}
	contracttest.Refused(t, nilPlan.Validate(), contract.KindInvalid, "id")
}

func TestCreateRetriesADerivedReferenceThatIsTaken(t *testing.T) {
	store := newStore()
	store.hold(t, "ref-"+contract.FormatNumber(1))
	c := validContract()
	err := newService(store).Create(context.Background(), actor, nil, c, contract.CreateOptions{Numbered: func(c *contract.Contract) { c.Reference = "ref-" + c.Number }})
	if err != nil {
		t.Fatal(err)
	}
	if c.Number != "CT-0000000002" || c.Reference != "ref-CT-0000000002" || store.writes != 2 {
		t.Fatalf("number %s reference %s after %d writes", c.Number, c.Reference, store.writes)
	}
}

// A reference the client chose and another contract holds refuses the
// create, which leaves its number to the store, without drawing one: a
// refusal leaves no gap.
func TestCreateRefusesATakenReferenceBeforeDrawing(t *testing.T) {
	store := newStore()
	store.hold(t, "taken")
	c := validContract()
	c.Reference = "taken"
	err := newService(store).Create(context.Background(), actor, nil, c, contract.CreateOptions{})
	drawn, _ := store.Drawn(actor.TenantID)
	var e *contract.Error
	if !errors.As(err, &e) || e.Kind != contract.KindConflict || len(e.Fields) != 1 || e.Fields[0].Field != "reference" || drawn != 0 || store.writes != 1 {
		t.Fatalf("err %v after drawing %d numbers, want a conflict on reference and none drawn", err, drawn)
	}
}

func TestCreateDoesNotRetryAGivenReferenceThatIsTaken(t *testing.T) {
	store := newStore()
	// Another writer takes the reference between the service's check and
	// its write.
	store.race = func(int) { store.hold(t, "mine") }
	c := validContract()
	c.Reference = "mine"
	err := newService(store).Create(context.Background(), actor, nil, c, contract.CreateOptions{})
	if contract.KindOf(err) != contract.KindConflict || store.writes != 1 {
		t.Fatalf("err %v after %d writes, want one conflict", err, store.writes)
	}
}
