package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/contracts-service/contracts/shared/idempotency"
	"github.com/contracts-service/contracts/shared/ids"
	"github.com/contracts-service/contracts/shared/metrics"
)

// Actor is who makes a change: the tenant whose data it touches, the id
// of the credential that authenticated the request (recorded as createdBy
// and updatedBy), and the API the change came through. The tenant and
// credential always come from the authorizer, never from a body.
type Actor struct {
	TenantID     string
	CredentialID string
	// Via is the API of the route the change came through; a contract is
	// changed only through the API that owns it (Contract.ChangeableVia).
	Via API
}

// maxUpdateAttempts bounds how often Update re-reads and re-applies a
// change that lost a race with another writer. Each attempt is two round
// trips, so even a hot contract settles well inside a Lambda timeout.
const maxUpdateAttempts = 8

// Service applies the domain's rules around a Store. Every dialect goes
// through it, so the rules hold whichever wire format a change came in.
type Service struct {
	Store Store
	// Now returns the current time; tests pin it.
	Now func() time.Time
	// NewID makes the ids of the records the domain makes itself (a
	// contract action's, its new contracts' and segments'): UUIDs unless
	// a test pins them.
	NewID func() string
}

// NewService returns a Service over store that uses the wall clock.
func NewService(store Store) *Service {
	return &Service{Store: store, Now: time.Now, NewID: ids.UUID}
}

// newID makes an id with NewID, or a UUID when it is not set.
func (s *Service) newID() string {
	if s.NewID == nil {
		return ids.UUID()
	}
	return s.NewID()
}

// now is the time of a change, in UTC to the microsecond: the finest
// precision any dialect shows (EasyBilling's timestamps), so what is
// stored is exactly what every dialect can show.
func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// Clock returns the time a change made now is stamped with, for the
// stamps a dialect sets itself (a soft delete's time), so that every
// stamp of one service comes from one clock.
func (s *Service) Clock() time.Time { return s.now() }

// maxNumberedAttempts bounds how often Create draws a new number because
// a reference derived from the previous one was already taken by a
// client's own choice.
const maxNumberedAttempts = 3

// CreateOptions are the optional parts of a create.
type CreateOptions struct {
	// Numbered, if set, is called once the contract has its number and
	// before it is stored, so a dialect can derive fields from the number
	// (fabric's generated contractId); such a field must be deterministic
	// in the number.
	Numbered func(*Contract)
	// With are new records stored in the same transaction as the
	// contract.
	With Companions
}

// Create validates c, stamps it as created by actor, and stores it under
// the tenant's next contract number, together with opts.With and, when
// claim is not nil, the record of the request's Idempotency-Key, all or
// nothing. c.ID must already be set by the dialect. On success c holds
// what was stored.
func (s *Service) Create(ctx context.Context, actor Actor, claim *idempotency.Claim, c *Contract, opts CreateOptions) error {
	now := s.now()
	c.TenantID = actor.TenantID
	c.Version = 1
	c.CreatedAt, c.UpdatedAt = now, now
	c.CreatedBy, c.UpdatedBy = actor.CredentialID, actor.CredentialID
	c.UpdatedVia = actor.Via
	c.DeletedAt = nil
	if c.Status == "" {
		c.Status = StatusActive
	}
	if err := c.Validate(); err != nil {
		return err
	}
	s.stampCompanions(actor, opts.With, now)
	givenReference := c.Reference
	// A create the store may refuse for what it holds (a client's own
	// reference or a new customer's externalId taken, a customer or
	// payment account named that does not exist) leaves its number to the
	// store, which draws none for a create it refuses, so a refusal never
	// leaves a gap in the sequence.
	if opts.Numbered == nil && (givenReference != "" || c.Party.Kind == PartyCustomer) {
		c.Number = ""
		return s.Store.CreateContract(ctx, c, opts.With, claim)
	}
	for attempt := 1; ; attempt++ {
		n, err := s.Store.NextContractNumber(ctx, actor.TenantID)
		if err != nil {
			return err
		}
		c.Number = FormatNumber(n)
		if opts.Numbered != nil {
			opts.Numbered(c)
		}
		err = s.Store.CreateContract(ctx, c, opts.With, claim)
		derived := c.Reference != givenReference
		if derived && conflictOn(err, "reference") && attempt < maxNumberedAttempts {
			c.Reference = givenReference
			continue
		}
		return err
	}
}

// conflictOn reports whether err is a KindConflict naming field.
func conflictOn(err error, field string) bool {
	var e *Error
	if !errors.As(err, &e) || e.Kind != KindConflict {
		return false
	}
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}

// GetByReference returns the party's contract with the given reference.
// A deleted contract is not found unless includeDeleted is set.
func (s *Service) GetByReference(ctx context.Context, actor Actor, party Party, reference string, includeDeleted bool) (*Contract, error) {
	c, err := s.Store.GetContractByReference(ctx, actor.TenantID, party, reference)
	if err != nil {
		return nil, err
	}
	if c.Deleted() && !includeDeleted {
		return nil, NotFound(reference)
	}
	return c, nil
}

// Get returns the tenant's contract with the given public id or number.
// A deleted contract is not found.
func (s *Service) Get(ctx context.Context, actor Actor, id string) (*Contract, error) {
	return s.Find(ctx, actor, id, false)
}

// Find is Get, but finds deleted contracts too when includeDeleted is set.
func (s *Service) Find(ctx context.Context, actor Actor, id string, includeDeleted bool) (*Contract, error) {
	c, err := s.Store.GetContract(ctx, actor.TenantID, id)
	if err != nil {
		return nil, err
	}
	if c.Deleted() && !includeDeleted {
		return nil, NotFound(id)
	}
	return c, nil
}

// List returns a page of the tenant's contracts that are not deleted.
func (s *Service) List(ctx context.Context, actor Actor, q ListQuery) (Page, error) {
	return s.Store.ListContracts(ctx, actor.TenantID, q)
}

// Update applies change to the tenant's contract id and stores the result,
// validated, as a new version, with the record of claim's key when claim
// is not nil; a change that leaves the contract as it was stores nothing.
// If another writer got there first, it re-reads and re-applies change,
// so no concurrent update is lost. change must be safe to call more than
// once.
func (s *Service) Update(ctx context.Context, actor Actor, claim *idempotency.Claim, id string, change func(*Contract) error) (*Contract, error) {
	return s.UpdateWith(ctx, actor, claim, id, func(c *Contract) (Companions, error) {
		return Companions{}, change(c)
	})
}

// UpdateWith is Update for a change that also creates records (a new
// payment account), stored in the same transaction as the contract. A
// contract another API owns than the actor's is refused before change
// runs (see Contract.ChangeableVia).
func (s *Service) UpdateWith(ctx context.Context, actor Actor, claim *idempotency.Claim, id string, change func(*Contract) (Companions, error)) (*Contract, error) {
	return s.update(ctx, actor, claim, id, false, change)
}

// Undelete brings the tenant's deleted contract id back: it reads as found
// again, with its number and ids, as a new version. check, when set, runs
// first on the stored contract (a dialect's own scope); a contract that is
// not deleted is ErrNotDeleted.
func (s *Service) Undelete(ctx context.Context, actor Actor, claim *idempotency.Claim, id string, check func(*Contract) error) (*Contract, error) {
	return s.update(ctx, actor, claim, id, true, func(c *Contract) (Companions, error) {
		if check != nil {
			if err := check(c); err != nil {
				return Companions{}, err
			}
		}
		if !c.Deleted() {
			return Companions{}, ErrNotDeleted
		}
		c.DeletedAt = nil
		return Companions{}, nil
	})
}

// update is UpdateWith, finding deleted contracts too when includeDeleted
// is set.
func (s *Service) update(ctx context.Context, actor Actor, claim *idempotency.Claim, id string, includeDeleted bool, change func(*Contract) (Companions, error)) (*Contract, error) {
	for attempt := 1; ; attempt++ {
		c, err := s.Find(ctx, actor, id, includeDeleted)
		if err != nil {
			return nil, err
		}
		if err := c.ChangeableVia(actor.Via); err != nil {
			return nil, err
		}
		before, _ := json.Marshal(c)
		with, err := change(c)
		if err != nil {
			return nil, err
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		// A change that changes nothing (an empty patch, the contract
		// sent back as read) writes nothing: no new version, no event,
		// and the contract is answered as it is.
		if after, err := json.Marshal(c); err == nil && bytes.Equal(before, after) && with == (Companions{}) {
			return c, nil
		}
		now := s.now()
		s.stampCompanions(actor, with, now)
		c.Version++
		c.UpdatedAt = now
		c.UpdatedBy = actor.CredentialID
		c.UpdatedVia = actor.Via
		err = s.Store.ReplaceContract(ctx, c, with, claim)
		if errors.Is(err, ErrVersionConflict) && attempt < maxUpdateAttempts {
			metrics.VersionConflictRetry(ctx)
			continue
		}
		if err != nil {
			return nil, err
		}
		return c, nil
	}
}

// Delete marks the tenant's contract id as deleted. It keeps its number
// and id (they are never reused) but reads as not found from then on.
func (s *Service) Delete(ctx context.Context, actor Actor, claim *idempotency.Claim, id string) error {
	_, err := s.Update(ctx, actor, claim, id, func(c *Contract) error {
		at := s.now()
		c.DeletedAt = &at
		return nil
	})
	return err
}
