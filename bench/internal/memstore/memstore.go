// Package memstore is an in-memory store of contracts, and of what the
// dialects keep beside them (customers, payment accounts, the plan
// catalog, contract actions), for the handler benchmarks. It exists so the benchmarks measure the handlers' own CPU and
// allocations (decode, validate, map, encode) with no network, disk or
// SDK in the way. It lives under bench/internal so that nothing outside the
// benchmarks can import it: integration tests run against DynamoDB Local,
// never against this fake.
package memstore

import (
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/endpoints"
)

// The benchmarks hand a Store to the functions' routers: everything the
// HTTP routes of every dialect call is implemented.
var (
	_ contract.Store        = (*Store)(nil)
	_ contract.PartyStore   = (*Store)(nil)
	_ contract.Catalog      = (*Store)(nil)
	_ contract.ActionStore  = (*Store)(nil)
	_ endpoints.Store       = (*Store)(nil)
	_ contract.OrderedStore = (*Store)(nil)
)

// Store keeps contracts and their companions in maps, per tenant: it
// implements contract.Store, contract.PartyStore, contract.Catalog and
// contract.ActionStore, and endpoints.Store (everything the functions'
// routers take) through the embedded interface. It is safe for
// concurrent use.
//
// The embedded endpoints.Store is nil on purpose: the methods this fake
// does not implement (tenant lookups, which only EasyBilling's queue,
// event and direct triggers make; Idempotency-Key records, which only a
// request carrying the header needs; and whatever the interface gains
// later) compile, and a handler that calls one panics, which the router
// turns into a 500 that the benchmarks refuse, rather than silently
// measuring an error path.
type Store struct {
	endpoints.Store

	mu      sync.Mutex
	tenants map[string]*tenant
}

type tenant struct {
	last     int64
	byNumber map[string]*contract.Contract
	byID     map[string]string // public id -> number
	byRef    map[string]string // party kind, party id, reference -> number
	numbers  []string          // every stored number, kept sorted
	// byParty lists each party's numbers, kept sorted: the party index
	// (GSI2) a list by party reads, so it never walks other parties'
	// contracts.
	byParty map[contract.Party][]string

	customers  map[string]*contract.Customer
	externalID map[string]string // externalId -> customer id
	accounts   map[string]*contract.PaymentAccount
	// accountsOf lists each customer's payment account ids, oldest first.
	accountsOf map[string][]string
	plans      map[string]contract.Plan

	lastAction int64
	actions    map[string]*contract.Action
	deliveries map[string]bool // dedupe keys applied
}

// New returns an empty Store.
func New() *Store { return &Store{tenants: map[string]*tenant{}} }

func (s *Store) tenant(id string) *tenant {
	t := s.tenants[id]
	if t == nil {
		t = &tenant{
			byNumber: map[string]*contract.Contract{}, byID: map[string]string{}, byRef: map[string]string{},
			byParty:   map[contract.Party][]string{},
			customers: map[string]*contract.Customer{}, externalID: map[string]string{},
			accounts: map[string]*contract.PaymentAccount{}, accountsOf: map[string][]string{},
			plans: map[string]contract.Plan{}, actions: map[string]*contract.Action{}, deliveries: map[string]bool{},
		}
		s.tenants[id] = t
	}
	return t
}

func refKey(p contract.Party, reference string) string {
	return string(p.Kind) + "\x00" + p.ID + "\x00" + reference
}

// NextContractNumber implements contract.Store with a per-tenant counter.
func (s *Store) NextContractNumber(_ context.Context, tenantID string) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	t.last++
	return t.last, nil
}

// CreateContract implements contract.Store: all or nothing, refusing a
// taken id, reference or customer externalId as the DynamoDB store does,
// and keeping the new customer and payment account for the reads that
// show them.
func (s *Store) CreateContract(_ context.Context, c *contract.Contract, with contract.Companions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(c.TenantID)
	if err := t.checkNew(c); err != nil {
		return err
	}
	if err := t.checkCompanions(with); err != nil {
		return err
	}
	t.insert(c)
	t.keepCompanions(with)
	return nil
}

// checkNew refuses a new contract whose number, id or reference is taken.
func (t *tenant) checkNew(c *contract.Contract) error {
	if _, taken := t.byNumber[c.Number]; taken {
		return contract.Errorf(contract.KindInternal, "number %s already in use", c.Number)
	}
	if _, taken := t.byID[c.ID]; taken {
		return conflict("id", "a contract with this id already exists")
	}
	if c.Reference != "" {
		if _, taken := t.byRef[refKey(c.Party, c.Reference)]; taken {
			return conflict("reference", "a contract with this reference already exists")
		}
	}
	return nil
}

// checkCompanions refuses new records whose id or externalId is taken.
func (t *tenant) checkCompanions(with contract.Companions) error {
	if cu := with.Customer; cu != nil {
		if _, taken := t.externalID[cu.ExternalID]; taken {
			return conflict("externalId", "a customer with this externalId already exists")
		}
		if _, taken := t.customers[cu.ID]; taken {
			return conflict("customer.id", "a customer with this id already exists")
		}
	}
	if pa := with.PaymentAccount; pa != nil {
		if _, taken := t.accounts[pa.ID]; taken {
			return conflict("paymentAccount.id", "a payment account with this id already exists")
		}
	}
	return nil
}

func conflict(field, msg string) error {
	return &contract.Error{Kind: contract.KindConflict, Message: msg,
		Fields: []contract.FieldError{{Field: field, Message: "is already taken"}}}
}

// insert stores a copy of a contract checkNew accepted.
func (t *tenant) insert(c *contract.Contract) {
	if c.Reference != "" {
		t.byRef[refKey(c.Party, c.Reference)] = c.Number
	}
	stored := *c
	t.byNumber[c.Number] = &stored
	t.byID[c.ID] = c.Number
	t.numbers = insertSorted(t.numbers, c.Number)
	t.byParty[c.Party] = insertSorted(t.byParty[c.Party], c.Number)
}

// insertSorted inserts s into the sorted list.
func insertSorted(list []string, s string) []string {
	i := sort.SearchStrings(list, s)
	list = append(list, "")
	copy(list[i+1:], list[i:])
	list[i] = s
	return list
}

// keepCompanions stores copies of new records checkCompanions accepted.
func (t *tenant) keepCompanions(with contract.Companions) {
	if cu := with.Customer; cu != nil {
		stored := *cu
		t.customers[cu.ID] = &stored
		t.externalID[cu.ExternalID] = cu.ID
	}
	if pa := with.PaymentAccount; pa != nil {
		stored := *pa
		t.accounts[pa.ID] = &stored
		t.accountsOf[pa.CustomerID] = append(t.accountsOf[pa.CustomerID], pa.ID)
	}
}

// GetContract implements contract.Store, by public id or by number. It
// returns a copy, as a real store decodes a fresh contract on every read.
func (s *Store) GetContract(_ context.Context, tenantID, id string) (*contract.Contract, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	number := id
	if !contract.IsNumber(id) {
		number = t.byID[id]
	}
	stored, ok := t.byNumber[number]
	if !ok {
		return nil, contract.NotFound(id)
	}
	c := *stored
	return &c, nil
}

// GetContractByReference implements contract.Store.
func (s *Store) GetContractByReference(_ context.Context, tenantID string, party contract.Party, reference string) (*contract.Contract, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	stored, ok := t.byNumber[t.byRef[refKey(party, reference)]]
	if !ok {
		return nil, contract.NotFound(reference)
	}
	c := *stored
	return &c, nil
}

// ListContracts implements contract.Store: number order, after q.After,
// at most q.Limit, with Next set when more follow.
func (s *Store) ListContracts(_ context.Context, tenantID string, q contract.ListQuery) (contract.Page, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	numbers := t.numbers
	if q.Party.ID != "" {
		numbers = t.byParty[q.Party]
	}
	start := 0
	if q.After != "" {
		start = sort.SearchStrings(numbers, q.After)
		if start < len(numbers) && numbers[start] == q.After {
			start++
		}
	}
	// The page holds at most what is left: a caller that asks for a
	// large Limit to read everything (fabric's list) costs what it reads,
	// as with the DynamoDB store, not what it could have read.
	page := contract.Page{Contracts: make([]contract.Contract, 0, min(q.Limit, len(numbers)-start))}
	for _, n := range numbers[start:] {
		c := t.byNumber[n]
		if c.Deleted() && !q.IncludeDeleted {
			continue
		}
		if len(page.Contracts) == q.Limit {
			page.Next = page.Contracts[q.Limit-1].Number
			break
		}
		page.Contracts = append(page.Contracts, *c)
	}
	return page, nil
}

// ListOrdered implements contract.OrderedStore over the party's
// contracts alone, as the DynamoDB store reads only the party's listings.
func (s *Store) ListOrdered(_ context.Context, tenantID string, q contract.OrderedQuery) (contract.OrderedPage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	numbers := t.byParty[q.Party]
	all := make([]contract.Contract, len(numbers))
	for i, n := range numbers {
		all[i] = *t.byNumber[n]
	}
	return contract.SelectOrdered(all, q), nil
}

// ReplaceContract implements contract.Store with the same optimistic lock
// as the DynamoDB store: the stored version must be c.Version-1.
func (s *Store) ReplaceContract(_ context.Context, c *contract.Contract, with contract.Companions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(c.TenantID)
	stored, ok := t.byNumber[c.Number]
	if !ok || stored.Version != c.Version-1 {
		return contract.ErrVersionConflict
	}
	if err := t.checkCompanions(with); err != nil {
		return err
	}
	t.keepCompanions(with)
	replaced := *c
	t.byNumber[c.Number] = &replaced
	return nil
}

// CreateCustomer implements contract.PartyStore.
func (s *Store) CreateCustomer(_ context.Context, cu *contract.Customer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(cu.TenantID)
	with := contract.Companions{Customer: cu}
	if err := t.checkCompanions(with); err != nil {
		return err
	}
	t.keepCompanions(with)
	return nil
}

// GetCustomer implements contract.PartyStore, returning a copy.
func (s *Store) GetCustomer(_ context.Context, tenantID, id string) (*contract.Customer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.tenant(tenantID).customers[id]
	if !ok {
		return nil, contract.Errorf(contract.KindNotFound, "customer %q not found", id)
	}
	cu := *stored
	return &cu, nil
}

// CustomerIDByExternalID implements contract.PartyStore.
func (s *Store) CustomerIDByExternalID(_ context.Context, tenantID, externalID string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.tenant(tenantID).externalID[externalID]
	if !ok {
		return "", contract.Errorf(contract.KindNotFound, "no customer has externalId %q", externalID)
	}
	return id, nil
}

// GetPaymentAccount implements contract.PartyStore, returning a copy.
func (s *Store) GetPaymentAccount(_ context.Context, tenantID, id string) (*contract.PaymentAccount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.tenant(tenantID).accounts[id]
	if !ok {
		return nil, contract.Errorf(contract.KindNotFound, "payment account %q not found", id)
	}
	pa := *stored
	return &pa, nil
}

// ListPaymentAccounts implements contract.PartyStore: the customer's
// payment accounts, oldest first.
func (s *Store) ListPaymentAccounts(_ context.Context, tenantID, customerID string) ([]contract.PaymentAccount, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	out := []contract.PaymentAccount{}
	for _, id := range t.accountsOf[customerID] {
		out = append(out, *t.accounts[id])
	}
	return out, nil
}

// PutPlans writes plans into the tenant's catalog, replacing entries with
// the same id, as the DynamoDB store's PutPlans does.
func (s *Store) PutPlans(_ context.Context, tenantID string, plans []contract.Plan) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	for _, p := range plans {
		if p.BillingCycleType == "" {
			p.BillingCycleType = contract.DefaultBillingCycleType
		}
		p.Currencies = slices.Clone(p.Currencies)
		t.plans[p.ID] = p
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
		if p, ok := t.plans[id]; ok {
			p.Currencies = slices.Clone(p.Currencies)
			out[id] = p
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
// counters, drawn together as the DynamoDB store draws them.
func (s *Store) DrawNumbers(_ context.Context, tenantID string, contracts int) (int64, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(tenantID)
	first := t.last + 1
	t.last += int64(contracts)
	t.lastAction++
	return first, t.lastAction, nil
}

// CheckActions implements contract.ActionStore. Nothing here has
// DynamoDB's size limits, and the benchmarks' requests are far inside
// them, so every write fits.
func (s *Store) CheckActions(context.Context, *contract.Action, []*contract.Contract, []*contract.Contract, string) error {
	return nil
}

// ApplyActions implements contract.ActionStore: the action record, the
// new contracts and the changed ones, all or nothing, with the DynamoDB
// store's refusals: a recorded dedupe key is ErrAlreadyApplied, a changed
// contract whose stored version is not the one read ErrVersionConflict,
// and a taken number, id or action number an error.
func (s *Store) ApplyActions(_ context.Context, a *contract.Action, created, changed []*contract.Contract, dedupe string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(a.TenantID)
	if dedupe != "" && t.deliveries[dedupe] {
		return contract.ErrAlreadyApplied
	}
	if _, taken := t.actions[a.Number]; taken {
		return contract.Errorf(contract.KindInternal, "action number %s already in use", a.Number)
	}
	for _, c := range changed {
		stored, ok := t.byNumber[c.Number]
		if !ok || stored.Version != c.Version-1 {
			return contract.ErrVersionConflict
		}
	}
	ids, numbers := map[string]bool{}, map[string]bool{}
	for _, c := range created {
		if err := t.checkNew(c); err != nil {
			return err
		}
		if ids[c.ID] || numbers[c.Number] {
			return contract.Errorf(contract.KindInternal, "the request creates contract %s twice", c.Number)
		}
		ids[c.ID], numbers[c.Number] = true, true
	}
	for _, c := range created {
		t.insert(c)
	}
	for _, c := range changed {
		replaced := *c
		t.byNumber[c.Number] = &replaced
	}
	stored := *a
	stored.SegmentIDs = slices.Clone(a.SegmentIDs)
	t.actions[a.Number] = &stored
	if dedupe != "" {
		t.deliveries[dedupe] = true
	}
	return nil
}

// GetAction implements contract.ActionStore, returning a copy.
func (s *Store) GetAction(_ context.Context, tenantID, number string) (*contract.Action, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	stored, ok := s.tenant(tenantID).actions[number]
	if !ok {
		return nil, contract.Errorf(contract.KindNotFound, "contract action %q not found", number)
	}
	a := *stored
	return &a, nil
}
