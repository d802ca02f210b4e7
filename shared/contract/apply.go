package contract

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/contracts-service/contracts/shared/idempotency"
	"github.com/contracts-service/contracts/shared/metrics"
)

// ActionType is what one action of a contract-actions request does.
// EasyBilling is the API that changes contracts by actions; its type
// names are the domain's.
type ActionType string

// The action types.
const (
	ActionCreate      ActionType = "create-contract-with-plan"
	ActionSwitchPlan  ActionType = "switch-plan"
	ActionRenew       ActionType = "renew"
	ActionEarlyRenew  ActionType = "early-renew"
	ActionUpdatePrice ActionType = "update-price"
	ActionCancel      ActionType = "cancel"
)

// ActionsRequest is a contract-actions request as its dialect decoded it:
// the account it acts for and its actions, applied in order, all of them
// or none.
type ActionsRequest struct {
	// Account is the billing account the request acts for: its new
	// contracts are filed under it, and it changes only its own.
	Account string
	Actions []ActionItem
	// Request is the request as the client sent it, kept in the action
	// record.
	Request json.RawMessage
	// Dedupe, when set, names the delivery that carried the request (an
	// SQS message, an EventBridge event): a redelivery applies nothing and
	// is ErrAlreadyApplied; another request under the same name is
	// ErrDeliveryKeyReused.
	Dedupe string
}

// ActionItem is one action of a request: its type and its entries.
type ActionItem struct {
	Type    ActionType
	Entries []ActionEntry
}

// ActionEntry is one entry of an action. The entries of a create are the
// new contract's segments, in order; an entry of any other type changes
// the contract it names, with the fields its type uses.
type ActionEntry struct {
	// Contract names the contract a change acts on, by number or public
	// id; a create names none.
	Contract string
	// Terms are what the entry sets: a create's segment; switch-plan's
	// plan, currencies and effective date; renew's and early-renew's
	// dates (early-renew's plan and currencies, when set); update-price's
	// price and effective date, and its plan, when set, which must be the
	// current one; cancel's effective date.
	Terms
	// SegmentID names the segment an update-price reprices: the current
	// one.
	SegmentID string
}

// EntryError is the refusal of one entry of a request. Action and Entry
// index it in the request, and Err, an *Error, names its fields as the
// entry's own (effectiveDate, planId, contractNumber for the contract it
// names), so that the dialect can name them as its client sent them.
type EntryError struct {
	Action, Entry int
	Err           error
}

func (e *EntryError) Error() string { return e.Err.Error() }

// Unwrap returns the refusal.
func (e *EntryError) Unwrap() error { return e.Err }

// EntryErrors are the refusals of a request's entries, in the order the
// request gives them, all of one Kind: ApplyActions refuses a request
// with every rule its creates break, and with the first its changes do (a
// change's checks read the contract as the changes before it left it).
type EntryErrors []*EntryError

func (e EntryErrors) Error() string {
	msgs := make([]string, len(e))
	for i, entry := range e {
		msgs[i] = fmt.Sprintf("actions[%d] entry %d: %v", entry.Action, entry.Entry, entry.Err)
	}
	return strings.Join(msgs, "; ")
}

// Unwrap returns the refusals, so that errors.As and KindOf find the
// first.
func (e EntryErrors) Unwrap() []error {
	out := make([]error, len(e))
	for i, entry := range e {
		out[i] = entry
	}
	return out
}

// Applied is what a contract-actions request wrote: its action record,
// and the contract its last action made or changed.
type Applied struct {
	Action   *Action
	Contract *Contract
}

// maxActionAttempts bounds how often ApplyActions re-reads and re-applies
// a request that lost a race with another writer of one of its contracts.
const maxActionAttempts = 5

// applying is one attempt at a request: the contracts it made and read.
type applying struct {
	change *Change
	// created holds the request's new contracts, by the index of the
	// action that made each.
	created map[int]*Contract
	// loaded holds the contracts its changes read, each once, by number,
	// with how many segments each had when read.
	loaded   map[string]*Contract
	segments map[string]int
	order    []string
}

// ApplyActions applies req for actor: each action in order, every new
// contract and every changed one stored in one transaction with the
// request's action record (its CA number), or nothing at all. A refusal
// of entries is an EntryErrors naming each entry refused (see refused
// below). Numbers are drawn only once every
// action has applied and store has said it can hold the result, so a
// refused request draws none, and then all at once (one DrawNumbers); a
// request that loses a race re-reads its contracts and applies again,
// keeping the numbers it drew. out is filled
// in before each write, so that an answer rendered from it (as an
// Idempotency-Key keeps it) is stored with the write.
func (s *Service) ApplyActions(ctx context.Context, actor Actor, claim *idempotency.Claim, store ActionStore, req *ActionsRequest, out *Applied) error {
	// Dialects check the shape of a request; the domain still never
	// applies one with nothing to apply.
	var fields []FieldError
	if len(req.Actions) == 0 {
		fields = append(fields, FieldError{Field: "actions", Message: "must hold at least one action"})
	}
	for i, a := range req.Actions {
		if len(a.Entries) == 0 {
			fields = append(fields, FieldError{Field: fmt.Sprintf("actions[%d]", i), Message: "must hold at least one entry"})
		}
	}
	if len(fields) > 0 {
		return Invalid(fields...)
	}
	// A delivery applied before is known before its contracts are read
	// or its numbers drawn: a redelivery draws no number, and is not refused by what it
	// changed the first time (a renewal from the end of the segment it
	// renewed).
	if req.Dedupe != "" {
		if err := store.CheckDelivery(ctx, actor.TenantID, req.Dedupe, req.Request); err != nil {
			return err
		}
	}
	plans, err := store.GetPlans(ctx, actor.TenantID, plansNamed(req))
	if err != nil {
		return err
	}
	account := Party{Kind: PartyAccount, ID: req.Account}
	// New contracts keep their ids and numbers across attempts: a retry
	// must not burn numbers.
	ids := map[int]string{}
	numbers := map[int]string{}
	var actionNumber string
	for attempt := 1; ; attempt++ {
		now := s.now()
		at := &applying{
			change:  &Change{Now: now, Actor: actor, Plans: plans, NewID: s.newID},
			created: map[int]*Contract{}, loaded: map[string]*Contract{}, segments: map[string]int{},
		}
		var last *Contract
		// refused holds the refusals so far: every one a create meets
		// (its checks are of the request's own terms), and the first a
		// change meets, after which no change is checked (a change is
		// checked against the contract as the changes before it left
		// it).
		var refused EntryErrors
		changeRefused := false
		for i, a := range req.Actions {
			var err error
			if changeRefused && a.Type != ActionCreate {
				continue
			}
			if a.Type == ActionCreate {
				if ids[i] == "" {
					ids[i] = s.newID()
				}
				last, err = at.create(actor, account, ids[i], a.Entries, i)
			} else {
				last, err = s.changeAll(ctx, actor, store, account, at, a, i)
			}
			var entries EntryErrors
			var entry *EntryError
			switch {
			case err == nil:
			case errors.As(err, &entries):
				refused = append(refused, entries...)
			case errors.As(err, &entry) && KindOf(err) == KindUnprocessable:
				refused, changeRefused = append(refused, entry), true
			case errors.As(err, &entry):
				// A refusal of another kind (a contract not found)
				// stands alone: one answer has one status.
				return deliveredMeanwhile(ctx, store, actor, req, EntryErrors{entry})
			default:
				return deliveredMeanwhile(ctx, store, actor, req, err)
			}
		}
		if refused != nil {
			return deliveredMeanwhile(ctx, store, actor, req, refused)
		}
		created, changed, segmentIDs := at.writes(numbers, now, actor)
		action := &Action{
			TenantID: actor.TenantID, ID: s.newID(), Number: actionNumber,
			AccountNumber: req.Account, ContractID: last.ID, Type: string(req.Actions[len(req.Actions)-1].Type),
			Request: req.Request, SegmentIDs: segmentIDs, Status: StatusActive,
			CreatedAt: now, UpdatedAt: now, CreatedBy: actor.CredentialID, UpdatedBy: actor.CredentialID,
		}
		// Until they are drawn, placeholders of the same width stand in
		// for the numbers: the store's check then holds for the real ones.
		if action.Number == "" {
			action.Number = FormatActionNumber(0)
		}
		*out = Applied{Action: action, Contract: last}
		if err := store.CheckActions(ctx, action, created, changed, req.Dedupe, claim); err != nil {
			return deliveredMeanwhile(ctx, store, actor, req, err)
		}
		// One draw gives the request its contract numbers and its action
		// number; a lost race wrote nothing, so the retry keeps them.
		if actionNumber == "" {
			first, n, err := store.DrawNumbers(ctx, actor.TenantID, len(at.created))
			if err != nil {
				return err
			}
			for k, i := range sortedKeys(at.created) {
				numbers[i] = FormatNumber(first + int64(k))
			}
			actionNumber = FormatActionNumber(n)
		}
		for _, i := range sortedKeys(at.created) {
			at.created[i].Number = numbers[i]
		}
		action.Number = actionNumber
		err = store.ApplyActions(ctx, action, created, changed, req.Dedupe, claim)
		if errors.Is(err, ErrVersionConflict) && attempt < maxActionAttempts {
			metrics.VersionConflictRetry(ctx)
			continue
		}
		if errors.Is(err, ErrActionNumberTaken) && attempt < maxActionAttempts {
			clear(numbers)
			actionNumber = ""
			continue
		}
		return err
	}
}

// deliveredMeanwhile is refusal, a refusal of req by the rules or by
// the store's check, unless req's delivery was recorded since
// ApplyActions checked it (a copy of it delivered at the same moment, or
// another request under its key, won): then it is what the record says
// (ErrAlreadyApplied, the refusal being of what that copy changed, or
// ErrDeliveryKeyReused), or the fault that kept it from being read.
func deliveredMeanwhile(ctx context.Context, store ActionStore, actor Actor, req *ActionsRequest, refusal error) error {
	if req.Dedupe == "" || KindOf(refusal) == KindInternal || KindOf(refusal) == KindUnavailable {
		return refusal
	}
	if err := store.CheckDelivery(ctx, actor.TenantID, req.Dedupe, req.Request); err != nil {
		return err
	}
	return refusal
}

// plansNamed lists the plans a request names, to load them in one read.
func plansNamed(req *ActionsRequest) []string {
	var out []string
	for _, a := range req.Actions {
		for _, e := range a.Entries {
			if e.PlanID != "" && (a.Type == ActionCreate || a.Type == ActionSwitchPlan || a.Type == ActionEarlyRenew) {
				out = append(out, e.PlanID)
			}
		}
	}
	return out
}

// sortedKeys returns m's keys in increasing order, so that contracts are
// numbered in the order their actions come.
func sortedKeys(m map[int]*Contract) []int {
	return slices.Sorted(maps.Keys(m))
}

// create makes the contract of action i, a create whose entries are its
// segments.
func (at *applying) create(actor Actor, account Party, id string, entries []ActionEntry, i int) (*Contract, error) {
	now := at.change.Now
	c := &Contract{
		TenantID: actor.TenantID, ID: id, Party: account, Status: StatusActive, Version: 1,
		CreatedAt: now, UpdatedAt: now, CreatedBy: actor.CredentialID, UpdatedBy: actor.CredentialID,
		UpdatedVia: actor.Via,
	}
	terms := make([]Terms, len(entries))
	for j, e := range entries {
		terms[j] = e.Terms
	}
	if refused := at.change.Start(c, terms); refused != nil {
		var errs EntryErrors
		for j, err := range refused {
			if err != nil {
				errs = append(errs, &EntryError{Action: i, Entry: j, Err: err})
			}
		}
		return nil, errs
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	at.created[i] = c
	return c, nil
}

// writes are what the attempt stores: its new contracts, numbered as far
// as numbers are drawn (placeholders stand in for the others), its
// changed contracts stamped as changed by actor at now, and the ids of
// the segments it wrote.
func (at *applying) writes(numbers map[int]string, now time.Time, actor Actor) (created, changed []*Contract, segmentIDs []string) {
	segmentIDs = []string{}
	for _, i := range sortedKeys(at.created) {
		c := at.created[i]
		c.Number = numbers[i]
		if c.Number == "" {
			c.Number = FormatNumber(0)
		}
		created = append(created, c)
		for _, seg := range c.Segments {
			segmentIDs = append(segmentIDs, seg.ID)
		}
	}
	for _, number := range at.order {
		c := at.loaded[number]
		c.Version++
		c.UpdatedAt, c.UpdatedBy, c.UpdatedVia = now, actor.CredentialID, actor.Via
		changed = append(changed, c)
		for _, seg := range c.Segments[at.segments[number]:] {
			segmentIDs = append(segmentIDs, seg.ID)
		}
	}
	return created, changed, segmentIDs
}

// changeAll applies the entries of action i, a change, to the contracts
// they name, and returns the one its last entry changed.
func (s *Service) changeAll(ctx context.Context, actor Actor, store ActionStore, account Party, at *applying, a ActionItem, i int) (*Contract, error) {
	var last *Contract
	for j, e := range a.Entries {
		c, err := s.load(ctx, actor, store, account, at, e.Contract)
		if err == nil {
			err = at.change.apply(c, a.Type, e)
		}
		var refused *Error
		if errors.As(err, &refused) && len(refused.Fields) > 0 {
			return nil, &EntryError{Action: i, Entry: j, Err: err}
		}
		if err != nil {
			return nil, err
		}
		last = c
	}
	return last, nil
}

// apply applies one entry of a change of type typ to c.
func (ch *Change) apply(c *Contract, typ ActionType, e ActionEntry) error {
	switch typ {
	case ActionSwitchPlan:
		return ch.SwitchPlan(c, Terms{PlanID: e.PlanID, Currencies: e.Currencies, EffectiveDate: e.EffectiveDate})
	case ActionRenew:
		return ch.Renew(c, e.EffectiveDate, e.ExpirationDate)
	case ActionEarlyRenew:
		return ch.EarlyRenew(c, Terms{PlanID: e.PlanID, Currencies: e.Currencies, EffectiveDate: e.EffectiveDate, ExpirationDate: e.ExpirationDate})
	case ActionUpdatePrice:
		if e.PlanID != "" && len(c.Segments) > 0 && c.Segments[len(c.Segments)-1].PlanID != e.PlanID {
			return unprocessable("planId", "is not the plan of the current segment")
		}
		return ch.UpdatePrice(c, e.SegmentID, e.Price, e.EffectiveDate)
	case ActionCancel:
		return ch.Cancel(c, e.EffectiveDate)
	}
	return unprocessable("type", "%q is not an action type", typ)
}

// load returns the contract ref names, read once per attempt: a request
// that changes one contract twice changes it as its earlier action left
// it. Another API's contract is refused for what it is (a conflict
// naming its owner); another account's is not this account's to see.
func (s *Service) load(ctx context.Context, actor Actor, store ActionStore, account Party, at *applying, ref string) (*Contract, error) {
	for _, c := range at.loaded {
		if c.Number == ref || c.ID == ref {
			return c, nil
		}
	}
	c, err := s.Get(ctx, actor, ref)
	if err == nil {
		var owned *Error
		if errors.As(c.ChangeableVia(actor.Via), &owned) {
			owned.Fields = []FieldError{{Field: "contractNumber", Message: "names a contract of the " + string(c.Owner()) + " API"}}
			return nil, owned
		}
	}
	if KindOf(err) == KindNotFound || (err == nil && c.Party != account) {
		return nil, &Error{Kind: KindNotFound, Message: fmt.Sprintf("contract %q not found for account %s", ref, account.ID),
			Fields: []FieldError{{Field: "contractNumber", Message: "is not a contract of this account"}}}
	}
	if err != nil {
		return nil, err
	}
	// Renew, update-price and early-renew carry the current plan over
	// without naming it; the rules need it from the catalog.
	if n := len(c.Segments); n > 0 {
		if plan := c.Segments[n-1].PlanID; at.change.Plans[plan].ID == "" {
			more, err := store.GetPlans(ctx, actor.TenantID, []string{plan})
			if err != nil {
				return nil, err
			}
			maps.Copy(at.change.Plans, more)
		}
	}
	at.loaded[c.Number] = c
	at.segments[c.Number] = len(c.Segments)
	at.order = append(at.order, c.Number)
	return c, nil
}
