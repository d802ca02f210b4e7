package contract_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
)

// fakeStore is a hand-written contract.Store whose behaviour each test
// sets through function fields.
type fakeStore struct {
	next    func(ctx context.Context, tenantID string) (int64, error)
	create  func(ctx context.Context, c *contract.Contract, with contract.Companions) error
	byRef   func(ctx context.Context, tenantID string, party contract.Party, reference string) (*contract.Contract, error)
	get     func(ctx context.Context, tenantID, id string) (*contract.Contract, error)
	list    func(ctx context.Context, tenantID string, q contract.ListQuery) (contract.Page, error)
	replace func(ctx context.Context, c *contract.Contract, with contract.Companions) error
}

func (f *fakeStore) NextContractNumber(ctx context.Context, tenantID string) (int64, error) {
	if f.next == nil {
		return 1, nil
	}
	return f.next(ctx, tenantID)
}
func (f *fakeStore) CreateContract(ctx context.Context, c *contract.Contract, with contract.Companions) error {
	return f.create(ctx, c, with)
}
func (f *fakeStore) GetContractByReference(ctx context.Context, tenantID string, party contract.Party, reference string) (*contract.Contract, error) {
	if f.byRef == nil {
		return nil, contract.NotFound(reference)
	}
	return f.byRef(ctx, tenantID, party, reference)
}
func (f *fakeStore) GetContract(ctx context.Context, tenantID, id string) (*contract.Contract, error) {
	return f.get(ctx, tenantID, id)
}
func (f *fakeStore) ListContracts(ctx context.Context, tenantID string, q contract.ListQuery) (contract.Page, error) {
	return f.list(ctx, tenantID, q)
}
func (f *fakeStore) ReplaceContract(ctx context.Context, c *contract.Contract, with contract.Companions) error {
	return f.replace(ctx, c, with)
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
	var stored *contract.Contract
	s := newService(&fakeStore{create: func(_ context.Context, c *contract.Contract, _ contract.Companions) error {
		stored = c
		return nil
	}})
	c := validContract()
	if err := s.Create(context.Background(), actor, c, contract.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if stored != c || c.TenantID != "t1" || c.Version != 1 || c.Status != contract.StatusActive ||
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
			s := newService(&fakeStore{create: func(context.Context, *contract.Contract, contract.Companions) error {
				t.Fatal("an invalid contract reached the store")
				return nil
			}})
			c := validContract()
			tt.change(c)
			err := s.Create(context.Background(), actor, c, contract.CreateOptions{})
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
	deleted := validContract()
	deleted.DeletedAt = &t0
	s := newService(&fakeStore{get: func(_ context.Context, tenantID, id string) (*contract.Contract, error) {
		if tenantID != "t1" {
			t.Fatalf("tenant = %q", tenantID)
		}
		return deleted, nil
	}})
	_, err := s.Get(context.Background(), actor, "ctr_x")
	if contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("err = %v, want not found", err)
	}
}

func TestUpdateRetriesOnVersionConflict(t *testing.T) {
	version := int64(1)
	reads, writes := 0, 0
	s := newService(&fakeStore{
		get: func(context.Context, string, string) (*contract.Contract, error) {
			reads++
			c := validContract()
			c.Version = version
			return c, nil
		},
		replace: func(_ context.Context, c *contract.Contract, _ contract.Companions) error {
			writes++
			if writes < 3 {
				version++ // another writer got there first
				return contract.ErrVersionConflict
			}
			if c.Version != version+1 {
				t.Fatalf("wrote version %d over %d", c.Version, version)
			}
			return nil
		},
	})
	c, err := s.Update(context.Background(), actor, "ctr_x", func(c *contract.Contract) error {
		c.Name = "changed"
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if reads != 3 || writes != 3 || c.Name != "changed" || c.UpdatedBy != "cred-1" {
		t.Fatalf("reads=%d writes=%d contract=%+v", reads, writes, c)
	}
}

func TestUpdateGivesUpAfterBoundedAttempts(t *testing.T) {
	writes := 0
	s := newService(&fakeStore{
		get: func(context.Context, string, string) (*contract.Contract, error) { return validContract(), nil },
		replace: func(context.Context, *contract.Contract, contract.Companions) error {
			writes++
			return contract.ErrVersionConflict
		},
	})
	_, err := s.Update(context.Background(), actor, "ctr_x", func(*contract.Contract) error { return nil })
	if !errors.Is(err, contract.ErrVersionConflict) || contract.KindOf(err) != contract.KindConflict {
		t.Fatalf("err = %v, want the version conflict", err)
	}
	if writes < 2 || writes > 20 {
		t.Fatalf("writes = %d, want a small bounded number", writes)
	}
}

func TestUpdateRefusesInvalidChange(t *testing.T) {
	s := newService(&fakeStore{
		get: func(context.Context, string, string) (*contract.Contract, error) { return validContract(), nil },
		replace: func(context.Context, *contract.Contract, contract.Companions) error {
			t.Fatal("an invalid change reached the store")
			return nil
		},
	})
	_, err := s.Update(context.Background(), actor, "ctr_x", func(c *contract.Contract) error {
		c.Party.ID = ""
		return nil
	})
	if contract.KindOf(err) != contract.KindInvalid {
		t.Fatalf("err = %v", err)
	}
}

func TestDeleteMarksDeleted(t *testing.T) {
	var written *contract.Contract
	s := newService(&fakeStore{
		get:     func(context.Context, string, string) (*contract.Contract, error) { return validContract(), nil },
		replace: func(_ context.Context, c *contract.Contract, _ contract.Companions) error { written = c; return nil },
	})
	if err := s.Delete(context.Background(), actor, "ctr_x"); err != nil {
		t.Fatal(err)
	}
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
}

func TestCreateRetriesADerivedReferenceThatIsTaken(t *testing.T) {
	n := int64(0)
	var refs []string
	s := newService(&fakeStore{
		next: func(context.Context, string) (int64, error) { n++; return n, nil },
		create: func(_ context.Context, c *contract.Contract, _ contract.Companions) error {
			refs = append(refs, c.Reference)
			if c.Number == contract.FormatNumber(1) {
				return &contract.Error{Kind: contract.KindConflict, Fields: []contract.FieldError{{Field: "reference"}}}
			}
			return nil
		},
	})
	c := validContract()
	err := s.Create(context.Background(), actor, c, contract.CreateOptions{Numbered: func(c *contract.Contract) { c.Reference = "ref-" + c.Number }})
	if err != nil {
		t.Fatal(err)
	}
	if c.Number != "CT-0000000002" || c.Reference != "ref-CT-0000000002" || len(refs) != 2 {
		t.Fatalf("number %s reference %s after %v", c.Number, c.Reference, refs)
	}
}

// A reference the client chose and another contract holds refuses the
// create before a number is drawn: a refusal leaves no gap.
func TestCreateRefusesATakenReferenceBeforeDrawing(t *testing.T) {
	drawn := 0
	s := newService(&fakeStore{
		next: func(context.Context, string) (int64, error) { drawn++; return int64(drawn), nil },
		byRef: func(_ context.Context, _ string, _ contract.Party, ref string) (*contract.Contract, error) {
			return &contract.Contract{Reference: ref}, nil
		},
		create: func(context.Context, *contract.Contract, contract.Companions) error { t.Fatal("stored"); return nil },
	})
	c := validContract()
	c.Reference = "taken"
	err := s.Create(context.Background(), actor, c, contract.CreateOptions{})
	var e *contract.Error
	if !errors.As(err, &e) || e.Kind != contract.KindConflict || len(e.Fields) != 1 || e.Fields[0].Field != "reference" || drawn != 0 {
		t.Fatalf("err %v after drawing %d numbers, want a conflict on reference and none drawn", err, drawn)
	}
}

func TestCreateDoesNotRetryAGivenReferenceThatIsTaken(t *testing.T) {
	attempts := 0
	s := newService(&fakeStore{create: func(context.Context, *contract.Contract, contract.Companions) error {
		attempts++
		return &contract.Error{Kind: contract.KindConflict, Fields: []contract.FieldError{{Field: "reference"}}}
	}})
	c := validContract()
	c.Reference = "mine"
	err := s.Create(context.Background(), actor, c, contract.CreateOptions{})
	if contract.KindOf(err) != contract.KindConflict || attempts != 1 {
		t.Fatalf("err %v after %d attempts, want one conflict", err, attempts)
	}
}
