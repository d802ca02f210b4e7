// Package memstore is an in-memory store of contracts for the handler
// benchmarks. It exists so the benchmarks measure the handlers' own CPU and
// allocations (decode, validate, map, encode) with no network, disk or
// SDK in the way. It lives under bench/internal so that nothing outside the
// benchmarks can import it: integration tests run against DynamoDB Local,
// never against this fake.
package memstore

import (
	"context"
	"sort"
	"sync"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/endpoints"
)

// The benchmarks hand a Store to the functions' routers.
var (
	_ contract.Store  = (*Store)(nil)
	_ endpoints.Store = (*Store)(nil)
)

// Store keeps contracts in maps, per tenant: it implements contract.Store,
// and endpoints.Store (everything the functions' routers take) through
// the embedded interface. It is safe for concurrent use.
//
// The embedded endpoints.Store is nil on purpose: the methods this fake
// does not implement (customers, payment accounts, the plan catalog, and
// whatever the interface gains later) compile, and a handler that calls
// one panics, which the router turns into a 500 that the benchmarks
// refuse, rather than silently measuring an error path.
type Store struct {
	endpoints.Store

	mu      sync.Mutex
	tenants map[string]*tenant
}

type tenant struct {
	last      int64
	customers map[string]bool // externalIds taken
	byNumber  map[string]*contract.Contract
	byID      map[string]string // public id -> number
	byRef     map[string]string // party kind, party id, reference -> number
	numbers   []string          // every stored number, kept sorted
}

// New returns an empty Store.
func New() *Store { return &Store{tenants: map[string]*tenant{}} }

func (s *Store) tenant(id string) *tenant {
	t := s.tenants[id]
	if t == nil {
		t = &tenant{byNumber: map[string]*contract.Contract{}, byID: map[string]string{}, byRef: map[string]string{}, customers: map[string]bool{}}
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
// taken id, reference or customer externalId as the DynamoDB store does.
// Of the companion records it keeps only what makes them unique: no
// benchmark reads them back.
func (s *Store) CreateContract(_ context.Context, c *contract.Contract, with contract.Companions) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tenant(c.TenantID)
	if _, taken := t.byNumber[c.Number]; taken {
		return contract.Errorf(contract.KindInternal, "number %s already in use", c.Number)
	}
	if _, taken := t.byID[c.ID]; taken {
		return &contract.Error{Kind: contract.KindConflict, Message: "a contract with this id already exists",
			Fields: []contract.FieldError{{Field: "id", Message: "is already taken"}}}
	}
	if c.Reference != "" {
		if _, taken := t.byRef[refKey(c.Party, c.Reference)]; taken {
			return &contract.Error{Kind: contract.KindConflict, Message: "a contract with this reference already exists",
				Fields: []contract.FieldError{{Field: "reference", Message: "is already taken"}}}
		}
	}
	if cu := with.Customer; cu != nil && t.customers[cu.ExternalID] {
		return &contract.Error{Kind: contract.KindConflict, Message: "a customer with this externalId already exists",
			Fields: []contract.FieldError{{Field: "externalId", Message: "is already taken"}}}
	}
	if c.Reference != "" {
		t.byRef[refKey(c.Party, c.Reference)] = c.Number
	}
	if cu := with.Customer; cu != nil {
		t.customers[cu.ExternalID] = true
	}
	stored := *c
	t.byNumber[c.Number] = &stored
	t.byID[c.ID] = c.Number
	i := sort.SearchStrings(t.numbers, c.Number)
	t.numbers = append(t.numbers, "")
	copy(t.numbers[i+1:], t.numbers[i:])
	t.numbers[i] = c.Number
	return nil
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
	start := 0
	if q.After != "" {
		start = sort.SearchStrings(t.numbers, q.After)
		if start < len(t.numbers) && t.numbers[start] == q.After {
			start++
		}
	}
	page := contract.Page{Contracts: make([]contract.Contract, 0, q.Limit)}
	for _, n := range t.numbers[start:] {
		c := t.byNumber[n]
		if (c.Deleted() && !q.IncludeDeleted) || (q.Party.ID != "" && c.Party != q.Party) {
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
	if cu := with.Customer; cu != nil {
		if t.customers[cu.ExternalID] {
			return &contract.Error{Kind: contract.KindConflict, Message: "a customer with this externalId already exists",
				Fields: []contract.FieldError{{Field: "externalId", Message: "is already taken"}}}
		}
		t.customers[cu.ExternalID] = true
	}
	replaced := *c
	t.byNumber[c.Number] = &replaced
	return nil
}
