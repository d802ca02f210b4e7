// Package contracttest is the in-memory store every test that needs one
// uses, as net/http/httptest is the server: one fake of everything the
// functions' routers take from storage (contract.Store and its companions,
// the Idempotency-Key records, the tenants EasyBilling's triggers check),
// so that a method added to the store is two edits, the DynamoDB store and
// this one.
//
// Store keeps what the DynamoDB store documents: the same conflicts, named
// by the same fields, the same version checks, the same not-found kinds,
// all or nothing per write, one tenant never reaching another's records,
// and copies in and out, as a store that encodes and decodes does. The
// conformance tests of this package run the same cases against Store and
// against the DynamoDB store on DynamoDB Local, so the two cannot drift
// apart unnoticed. What it does not model is DynamoDB's sizes in bytes:
// those refusals are held by the ddb package's tests and the API tests
// over DynamoDB Local.
package contracttest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/idempotency"
)

var (
	_ contract.Store        = (*Store)(nil)
	_ contract.OrderedStore = (*Store)(nil)
	_ contract.PartyStore   = (*Store)(nil)
	_ contract.Catalog      = (*Store)(nil)
	_ contract.ActionStore  = (*Store)(nil)
	_ idempotency.Store     = (*Store)(nil)
)

// maxTransactItems is how many records one DynamoDB transaction writes,
// the bound the DynamoDB store holds contract actions to.
const maxTransactItems = 100

// Store keeps contracts and what the dialects keep beside them in maps,
// per tenant. The zero value is not ready: use New. It is safe for
// concurrent use.
type Store struct {
	mu      sync.Mutex
	tenants map[string]*tenant
	// names holds every tenant id and alias taken, and whose it is.
	names map[string]string
}

// tenant is one tenant's records. Its fields are exported only so that
// Clone's reflective copy reaches them.
type tenant struct {
	Record *auth.Tenant // nil until CreateTenant

	LastNumber int64
	ByNumber   map[string]*contract.Contract
	ByID       map[string]string // public id -> number
	ByRef      map[string]string // party, reference -> number
	Numbers    []string          // every stored number, sorted
	// ByParty lists each party's numbers, sorted: the party index a list
	// by party reads, so it never walks other parties' contracts.
	ByParty map[contract.Party][]string

	Customers  map[string]*contract.Customer
	ExternalID map[string]string // externalId -> customer id
	Accounts   map[string]*contract.PaymentAccount
	AccountsOf map[string][]string // customer id -> payment account ids, oldest first
	Plans      map[string]contract.Plan

	LastAction int64
	Actions    map[string]*contract.Action
	Deliveries map[string]string // dedupe keys applied: the request each carried

	Keys map[string]*idempotency.Record // Idempotency-Key -> record
}

// New returns an empty Store.
func New() *Store { return &Store{tenants: map[string]*tenant{}, names: map[string]string{}} }

// tenant returns id's records, created empty on first use. The caller
// holds the lock.
func (s *Store) tenant(id string) *tenant {
	t := s.tenants[id]
	if t == nil {
		t = &tenant{
			ByNumber: map[string]*contract.Contract{}, ByID: map[string]string{}, ByRef: map[string]string{},
			ByParty:   map[contract.Party][]string{},
			Customers: map[string]*contract.Customer{}, ExternalID: map[string]string{},
			Accounts: map[string]*contract.PaymentAccount{}, AccountsOf: map[string][]string{},
			Plans: map[string]contract.Plan{}, Actions: map[string]*contract.Action{}, Deliveries: map[string]string{},
			Keys: map[string]*idempotency.Record{},
		}
		s.tenants[id] = t
	}
	return t
}

// Clone returns an independent copy of the store, so that many tests (a
// fuzz test's every input) can start from one state built once.
func (s *Store) Clone() *Store {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &Store{tenants: make(map[string]*tenant, len(s.tenants)), names: clone(s.names)}
	for id, t := range s.tenants {
		out.tenants[id] = clonePtr(t)
	}
	return out
}

func refKey(p contract.Party, reference string) string {
	return string(p.Kind) + "\x00" + p.ID + "\x00" + reference
}

// NextContractNumber implements contract.Store with a per-tenant counter.
func (s *Store) NextContractNumber(_ context.Context, tenantID string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	t.LastNumber++
	return t.LastNumber, nil
}

// CreateContract implements contract.Store: all or nothing, refusing a
// taken id, reference, customer id, externalId or payment account id as
// the DynamoDB store does, and keeping the new customer and payment
// account for the reads that show them.
func (s *Store) CreateContract(_ context.Context, c *contract.Contract, with contract.Companions, claim *idempotency.Claim) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(c.TenantID)
	// As the DynamoDB store numbers it: the number after the last drawn,
	// taken only when the write is, so a refused create draws none.
	claimed := c.Number == ""
	if claimed {
		if c.Party.Kind == contract.PartyCustomer {
			cu, pa := with.Customer, with.PaymentAccount
			if stored := t.Customers[c.Party.ID]; cu == nil && stored != nil {
				cu = clonePtr(stored)
			}
			if stored := t.Accounts[c.PaymentAccountID]; pa == nil && stored != nil {
				pa = clonePtr(stored)
			}
			if err := contract.CheckParties(c.Party.ID, cu, c.PaymentAccountID, pa); err != nil {
				return err
			}
			c.Customer, c.PaymentAccount = cu, pa
		}
		if err := t.checkNew(c); err != nil {
			return err
		}
		if err := t.checkCompanions(with); err != nil {
			return err
		}
		c.Number = contract.FormatNumber(t.LastNumber + 1)
	}
	return t.write(claim, func() error {
		if err := t.checkNew(c); err != nil {
			return err
		}
		if err := t.checkCompanions(with); err != nil {
			return err
		}
		if _, taken := t.ByNumber[c.Number]; taken {
			return fmt.Errorf("contracttest: create contract %s: number already in use", c.Number)
		}
		return nil
	}, func() {
		if claimed {
			t.LastNumber++
		}
		t.keepCompanions(with)
		t.insert(c)
	})
}

// write applies a write of the tenant as the DynamoDB store's
// transactions do: the record of claim's key (when claim is not nil) is
// checked first and kept with the write, then check refuses or apply
// writes, all or nothing. The caller holds the lock.
func (t *tenant) write(claim *idempotency.Claim, check func() error, apply func()) error {
	var answer idempotency.Response
	if claim != nil {
		if rec := t.liveRecord(claim); rec != nil {
			return &idempotency.UsedError{Record: rec}
		}
		var err error
		if answer, err = claim.Render(); err != nil {
			return err
		}
	}
	if err := check(); err != nil {
		return err
	}
	apply()
	if claim != nil {
		t.Keys[claim.Key] = record(claim, answer)
		claim.Written()
	}
	return nil
}

// record is the record of claim's key with answer, expiring on the second
// as the DynamoDB store keeps it.
func record(claim *idempotency.Claim, answer idempotency.Response) *idempotency.Record {
	answer.Headers = clone(answer.Headers)
	return &idempotency.Record{Hash: claim.Hash, Response: answer, ExpiresAt: time.Unix(claim.ExpiresAt().Unix(), 0)}
}

// liveRecord is the record claim's key holds and that has not expired at
// claim.At, or nil.
func (t *tenant) liveRecord(claim *idempotency.Claim) *idempotency.Record {
	rec := t.Keys[claim.Key]
	if rec == nil || rec.ExpiresAt.Unix() < claim.At.Unix() {
		return nil
	}
	return clonePtr(rec)
}

// checkNew refuses a new contract whose id or reference is taken.
func (t *tenant) checkNew(c *contract.Contract) error {
	if _, taken := t.ByID[c.ID]; taken {
		return contract.Taken("id", c.ID)
	}
	if c.Reference != "" {
		if _, taken := t.ByRef[refKey(c.Party, c.Reference)]; taken {
			return contract.Taken("reference", c.Reference)
		}
	}
	return nil
}

// checkCompanions refuses new records whose id or externalId is taken,
// and a payment account its customer has no room for (or no customer).
func (t *tenant) checkCompanions(with contract.Companions) error {
	if cu := with.Customer; cu != nil {
		if _, taken := t.Customers[cu.ID]; taken {
			return contract.Taken("customer.id", cu.ID)
		}
		if _, taken := t.ExternalID[cu.ExternalID]; taken {
			return contract.Taken("externalId", cu.ExternalID)
		}
	}
	if pa := with.PaymentAccount; pa != nil {
		if _, taken := t.Accounts[pa.ID]; taken {
			return contract.Taken("paymentAccount.id", pa.ID)
		}
		// An existing customer's count goes up on the condition that
		// the customer exists and has room, as the DynamoDB store's
		// update does; both failures read as no room.
		if with.Customer == nil {
			if cu := t.Customers[pa.CustomerID]; cu == nil || cu.PaymentAccounts >= contract.MaxPaymentAccounts {
				return contract.TooManyPaymentAccounts(pa.CustomerID)
			}
		}
	}
	return nil
}

// keepCompanions stores copies of new records checkCompanions accepted,
// counting a new payment account in its customer's PaymentAccounts.
func (t *tenant) keepCompanions(with contract.Companions) {
	if cu := with.Customer; cu != nil {
		if with.PaymentAccount != nil {
			cu.PaymentAccounts = 1
		}
		t.Customers[cu.ID] = clonePtr(cu)
		t.ExternalID[cu.ExternalID] = cu.ID
	}
	if pa := with.PaymentAccount; pa != nil {
		t.Accounts[pa.ID] = clonePtr(pa)
		t.AccountsOf[pa.CustomerID] = append(t.AccountsOf[pa.CustomerID], pa.ID)
		if with.Customer == nil {
			t.Customers[pa.CustomerID].PaymentAccounts++
		}
	}
}

// listed reports whether the DynamoDB store keeps a listing for p's
// contracts (fabric's organizations), which a contract it hands out then
// says it was read under (Contract.Stored).
func listed(p contract.Party) bool { return p.Kind == contract.PartyOrganization }

// stamp sets what the DynamoDB store sets on a contract it has written or
// read: where it is filed.
func stamp(c *contract.Contract) {
	c.Stored = nil
	if listed(c.Party) {
		l := c.Listing()
		c.Stored = &l
	}
}

// insert stores a copy of a contract checkNew accepted.
func (t *tenant) insert(c *contract.Contract) {
	stamp(c)
	if c.Reference != "" {
		t.ByRef[refKey(c.Party, c.Reference)] = c.Number
	}
	t.ByNumber[c.Number] = clonePtr(c)
	t.ByID[c.ID] = c.Number
	t.Numbers = insertSorted(t.Numbers, c.Number)
	t.ByParty[c.Party] = insertSorted(t.ByParty[c.Party], c.Number)
}

// checkReplace refuses to write c over a stored contract whose version
// is not c.Version-1, or that is filed elsewhere than c says it was read.
func (t *tenant) checkReplace(c *contract.Contract) error {
	stored, ok := t.ByNumber[c.Number]
	if !ok || stored.Version != c.Version-1 || c.Stored != nil && *c.Stored != stored.Listing() {
		return contract.ErrVersionConflict
	}
	return nil
}

// replace stores a copy of c over the contract checkReplace accepted.
func (t *tenant) replace(c *contract.Contract) {
	stamp(c)
	t.ByNumber[c.Number] = clonePtr(c)
}

// insertSorted inserts s into the sorted list.
func insertSorted(list []string, s string) []string {
	i := sort.SearchStrings(list, s)
	return slices.Insert(list, i, s)
}

// GetContract implements contract.Store, by public id or by number.
func (s *Store) GetContract(_ context.Context, tenantID, id string) (*contract.Contract, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	number := id
	if !contract.IsNumber(id) {
		number = t.ByID[id]
	}
	stored, ok := t.ByNumber[number]
	if !ok {
		return nil, contract.NotFound(id)
	}
	return clonePtr(stored), nil
}

// GetContractByReference implements contract.Store.
func (s *Store) GetContractByReference(_ context.Context, tenantID string, party contract.Party, reference string) (*contract.Contract, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	stored, ok := t.ByNumber[t.ByRef[refKey(party, reference)]]
	if !ok {
		return nil, contract.NotFound(reference)
	}
	return clonePtr(stored), nil
}

// ListContracts implements contract.Store: number order, after q.After,
// at most q.Limit, with Next set when more follow.
func (s *Store) ListContracts(_ context.Context, tenantID string, q contract.ListQuery) (contract.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	numbers := t.Numbers
	if q.Party.ID != "" {
		numbers = t.ByParty[q.Party]
	}
	start, _ := sort.Find(len(numbers), func(i int) int {
		if numbers[i] > q.After {
			return 0
		}
		return 1
	})
	// The page holds at most what is left: a caller that asks for a
	// large Limit to read everything (fabric's list) costs what it reads,
	// as with the DynamoDB store, not what it could have read.
	page := contract.Page{Contracts: make([]contract.Contract, 0, min(q.Limit, len(numbers)-start))}
	for _, n := range numbers[start:] {
		c := t.ByNumber[n]
		if c.Deleted() && !q.IncludeDeleted {
			continue
		}
		if len(page.Contracts) == q.Limit {
			page.Next = page.Contracts[q.Limit-1].Number
			break
		}
		page.Contracts = append(page.Contracts, *clonePtr(c))
	}
	return page, nil
}

// ListOrdered implements contract.OrderedStore over the party's
// contracts alone, as the DynamoDB store reads only the party's listings.
func (s *Store) ListOrdered(_ context.Context, tenantID string, q contract.OrderedQuery) (contract.OrderedPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	numbers := t.ByParty[q.Party]
	all := make([]contract.Contract, len(numbers))
	for i, n := range numbers {
		all[i] = *clonePtr(t.ByNumber[n])
	}
	return contract.SelectOrdered(all, q), nil
}

// ReplaceContract implements contract.Store with the DynamoDB store's
// optimistic lock: the stored version must be c.Version-1.
func (s *Store) ReplaceContract(_ context.Context, c *contract.Contract, with contract.Companions, claim *idempotency.Claim) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(c.TenantID)
	return t.write(claim, func() error {
		if err := t.checkReplace(c); err != nil {
			return err
		}
		return t.checkCompanions(with)
	}, func() {
		t.keepCompanions(with)
		t.replace(c)
	})
}

// CreateCustomer implements contract.PartyStore.
func (s *Store) CreateCustomer(_ context.Context, cu *contract.Customer, claim *idempotency.Claim) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(cu.TenantID)
	with := contract.Companions{Customer: cu}
	return t.write(claim, func() error { return t.checkCompanions(with) }, func() { t.keepCompanions(with) })
}

// GetCustomer implements contract.PartyStore.
func (s *Store) GetCustomer(_ context.Context, tenantID, id string) (*contract.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.tenant(tenantID).Customers[id]
	if !ok {
		return nil, contract.Errorf(contract.KindNotFound, "customer %q not found", id)
	}
	return clonePtr(stored), nil
}

// CustomerIDByExternalID implements contract.PartyStore.
func (s *Store) CustomerIDByExternalID(_ context.Context, tenantID, externalID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.tenant(tenantID).ExternalID[externalID]
	if !ok {
		return "", contract.Errorf(contract.KindNotFound, "no customer has externalId %q", externalID)
	}
	return id, nil
}

// GetPaymentAccount implements contract.PartyStore.
func (s *Store) GetPaymentAccount(_ context.Context, tenantID, id string) (*contract.PaymentAccount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.tenant(tenantID).Accounts[id]
	if !ok {
		return nil, contract.Errorf(contract.KindNotFound, "payment account %q not found", id)
	}
	return clonePtr(stored), nil
}

// ListPaymentAccounts implements contract.PartyStore: the customer's
// payment accounts, oldest first.
func (s *Store) ListPaymentAccounts(_ context.Context, tenantID, customerID string) ([]contract.PaymentAccount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	out := []contract.PaymentAccount{}
	for _, id := range t.AccountsOf[customerID] {
		out = append(out, *clonePtr(t.Accounts[id]))
	}
	return out, nil
}

// PutPlans writes plans into the tenant's catalog, replacing entries with
// the same id, and refuses what contract.ValidateCatalog refuses, as the
// DynamoDB store's PutPlans does.
func (s *Store) PutPlans(_ context.Context, tenantID string, plans []contract.Plan) error {
	if err := contract.ValidateCatalog(plans); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	for _, p := range plans {
		if p.BillingCycleType == "" {
			p.BillingCycleType = contract.DefaultBillingCycleType
		}
		t.Plans[p.ID] = *clonePtr(&p)
	}
	return nil
}

// GetPlans implements contract.Catalog: the plans among ids that the
// catalog holds, by id.
func (s *Store) GetPlans(_ context.Context, tenantID string, ids []string) (map[string]contract.Plan, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	out := map[string]contract.Plan{}
	for _, id := range ids {
		if p, ok := t.Plans[id]; ok {
			out[id] = *clonePtr(&p)
		}
	}
	return out, nil
}

// GetRelated reads c's customer, payment account and plans, as the
// DynamoDB store does in one BatchGetItem.
func (s *Store) GetRelated(ctx context.Context, tenantID string, c *contract.Contract) (contract.Related, error) {
	cu, err := s.GetCustomer(ctx, tenantID, c.Party.ID)
	if err != nil {
		return contract.Related{}, err
	}
	pa, err := s.GetPaymentAccount(ctx, tenantID, c.PaymentAccountID)
	if err != nil {
		return contract.Related{}, err
	}
	plans, err := s.GetPlans(ctx, tenantID, c.PlanIDs)
	return contract.Related{Customer: cu, PaymentAccount: pa, Plans: plans}, err
}

// DrawNumbers implements contract.ActionStore with the tenant's
// counters, drawn together as the DynamoDB store draws them: contracts
// contiguous contract numbers (the first returned) and one action number.
func (s *Store) DrawNumbers(_ context.Context, tenantID string, contracts int) (int64, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	first := t.LastNumber + 1
	t.LastNumber += int64(contracts)
	t.LastAction++
	return first, t.LastAction, nil
}

// CheckActions implements contract.ActionStore with the DynamoDB store's
// count of records: the action record, two for each new contract, one for
// each changed one, one for the delivery's dedupe key and one for an
// Idempotency-Key, and one for the count a new contract of a listed party
// moves. Sizes in bytes are not modelled.
func (s *Store) CheckActions(_ context.Context, _ *contract.Action, created, changed []*contract.Contract, dedupe string, claim *idempotency.Claim) error {
	n := 1 + 2*len(created) + len(changed)
	for _, c := range created {
		if listed(c.Party) {
			n++
		}
	}
	if dedupe != "" {
		n++
	}
	if claim != nil {
		n++
	}
	if n <= maxTransactItems {
		return nil
	}
	return &contract.Error{Kind: contract.KindUnprocessable, Message: "the change is larger than storage holds",
		Fields: []contract.FieldError{{Field: "request", Message: fmt.Sprintf(
			"it writes %d records, more than the %d one change may write together", n, maxTransactItems)}}}
}

// ApplyActions implements contract.ActionStore: the action record, the
// new contracts and the changed ones, all or nothing, with the DynamoDB
// store's refusals: more records than one transaction holds is
// CheckActions' refusal, a recorded dedupe key ErrAlreadyApplied (or
// ErrDeliveryKeyReused when recorded for another request), a
// changed contract whose stored version is not the one read
// ErrVersionConflict, and a taken number, id or action number an error.
func (s *Store) ApplyActions(ctx context.Context, a *contract.Action, created, changed []*contract.Contract, dedupe string, claim *idempotency.Claim) error {
	if err := s.CheckActions(ctx, a, created, changed, dedupe, claim); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(a.TenantID)
	return t.write(claim, func() error {
		if request, ok := t.Deliveries[dedupe]; dedupe != "" && ok {
			if request != string(a.Request) {
				return contract.ErrDeliveryKeyReused
			}
			return contract.ErrAlreadyApplied
		}
		for _, c := range changed {
			if err := t.checkReplace(c); err != nil {
				return err
			}
		}
		_, taken := t.Actions[a.Number]
		ids := map[string]bool{}
		for _, c := range created {
			_, numberTaken := t.ByNumber[c.Number]
			taken = taken || numberTaken || ids[c.ID] || t.checkNew(c) != nil
			ids[c.ID] = true
		}
		if taken {
			return fmt.Errorf("contracttest: apply action %s: a new key is taken", a.Number)
		}
		return nil
	}, func() {
		for _, c := range created {
			t.insert(c)
		}
		for _, c := range changed {
			t.replace(c)
		}
		t.Actions[a.Number] = clonePtr(a)
		if dedupe != "" {
			t.Deliveries[dedupe] = string(a.Request)
		}
	})
}

// CheckDelivery implements contract.ActionStore.
func (s *Store) CheckDelivery(_ context.Context, tenantID, dedupe string, request json.RawMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	held, ok := s.tenant(tenantID).Deliveries[dedupe]
	switch {
	case !ok:
		return nil
	case held != string(request):
		return contract.ErrDeliveryKeyReused
	}
	return contract.ErrAlreadyApplied
}

// GetAction implements contract.ActionStore.
func (s *Store) GetAction(_ context.Context, tenantID, number string) (*contract.Action, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.tenant(tenantID).Actions[number]
	if !ok {
		return nil, contract.Errorf(contract.KindNotFound, "contract action %q not found", number)
	}
	return clonePtr(stored), nil
}

// Find implements idempotency.Store: the record c's key holds, unless it
// has expired at c.At.
func (s *Store) Find(_ context.Context, c *idempotency.Claim) (*idempotency.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tenant(c.TenantID).liveRecord(c), nil
}

// Keep implements idempotency.Store: r becomes the answer of c's key,
// unless the key holds an unexpired record, which is returned instead.
func (s *Store) Keep(_ context.Context, c *idempotency.Claim, r idempotency.Response) (*idempotency.Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(c.TenantID)
	if rec := t.liveRecord(c); rec != nil {
		return rec, nil
	}
	t.Keys[c.Key] = record(c, r)
	return nil, nil
}

// CreateTenant stores a tenant, refusing an invalid one and one whose id
// or an alias another tenant holds (an *auth.TakenError naming them), as
// the DynamoDB store does.
func (s *Store) CreateTenant(_ context.Context, tn auth.Tenant) error {
	if err := tn.Validate(); err != nil {
		return fmt.Errorf("contracttest: create tenant %s: %w", tn.ID, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var taken []string
	for _, name := range tn.NameList() {
		if _, ok := s.names[name]; ok && !slices.Contains(taken, name) {
			taken = append(taken, name)
		}
	}
	if taken != nil {
		return fmt.Errorf("contracttest: create tenant %s: %w", tn.ID, &auth.TakenError{Names: taken})
	}
	for _, name := range tn.NameList() {
		s.names[name] = tn.ID
	}
	s.tenant(tn.ID).Record = clonePtr(&tn)
	return nil
}

// GetTenant implements easybilling.TenantChecker: a tenant CreateTenant
// stored, or auth.ErrNotFound.
func (s *Store) GetTenant(_ context.Context, id string) (*auth.Tenant, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tenants[id]; t != nil && t.Record != nil {
		return clonePtr(t.Record), nil
	}
	return nil, fmt.Errorf("contracttest: get tenant %s: %w", id, auth.ErrNotFound)
}

// Counts is how many records of each kind a tenant holds, and the sum of
// its contracts' versions: what a refused write must leave as it was.
type Counts struct {
	Contracts, Customers, PaymentAccounts, Actions int
	Versions                                       int64
}

// Counts returns the tenant's Counts.
func (s *Store) Counts(tenantID string) Counts {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	n := Counts{Contracts: len(t.ByNumber), Customers: len(t.Customers), PaymentAccounts: len(t.Accounts), Actions: len(t.Actions)}
	for _, c := range t.ByNumber {
		n.Versions += c.Version
	}
	return n
}

// Drawn returns how many contract and action numbers the tenant has
// drawn: a refusal that must leave no gap draws none.
func (s *Store) Drawn(tenantID string) (contracts, actions int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	return t.LastNumber, t.LastAction
}

// Contracts returns copies of the tenant's contracts, deleted ones too, in
// number order.
func (s *Store) Contracts(tenantID string) []*contract.Contract {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	out := make([]*contract.Contract, len(t.Numbers))
	for i, n := range t.Numbers {
		out[i] = clonePtr(t.ByNumber[n])
	}
	return out
}

// AddCompanions stores new customers and payment accounts as a create
// that brings them stores them, without a contract: a test's starting
// state. It refuses what such a create refuses.
func (s *Store) AddCompanions(tenantID string, with contract.Companions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	return t.write(nil, func() error { return t.checkCompanions(with) }, func() { t.keepCompanions(with) })
}

// NewParties returns a new customer, the one c's party names, and a new
// payment account of it that c is then billed to: what a test that
// creates a customer's contract through the domain passes as the
// create's companions, as Aira's create does, since a customer's contract
// names records that must exist (contract.CheckParties).
func NewParties(c *contract.Contract) contract.Companions {
	c.PaymentAccountID = "pa-" + c.Party.ID
	return contract.Companions{
		Customer:       &contract.Customer{TenantID: c.TenantID, ID: c.Party.ID, ExternalID: "ext-" + c.Party.ID, Name: "Customer " + c.Party.ID},
		PaymentAccount: &contract.PaymentAccount{TenantID: c.TenantID, ID: c.PaymentAccountID, CustomerID: c.Party.ID, BusinessName: "Customer " + c.Party.ID},
	}
}
