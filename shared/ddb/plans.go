package ddb

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
)

type planItem struct {
	PK               string   `dynamodbav:"PK"`
	SK               string   `dynamodbav:"SK"`
	Type             string   `dynamodbav:"type"`
	TenantID         string   `dynamodbav:"tenantId"`
	PlanID           string   `dynamodbav:"planId"`
	Name             string   `dynamodbav:"name"`
	Description      string   `dynamodbav:"description,omitempty"`
	BillingCycleType string   `dynamodbav:"billingCycleType"`
	Currencies       []string `dynamodbav:"currencies"`
}

// PutPlans writes plans into the tenant's catalog, replacing entries with
// the same id, all or nothing (one transaction, so at most 100 plans per
// call). Plans contract.ValidateCatalog refuses are a KindInvalid
// *contract.Error naming every failing field, and nothing is written.
func (s *Store) PutPlans(ctx context.Context, tenantID string, plans []contract.Plan) error {
	if len(plans) == 0 || len(plans) > maxTransactItems {
		return fmt.Errorf("ddb: put plans: between 1 and %d plans per call, got %d", maxTransactItems, len(plans))
	}
	if err := contract.ValidateCatalog(plans); err != nil {
		return err
	}
	items := make([]types.TransactWriteItem, 0, len(plans))
	for _, p := range plans {
		cycle := p.BillingCycleType
		if cycle == "" {
			cycle = contract.DefaultBillingCycleType
		}
		av, err := attributevalue.MarshalMap(planItem{
			PK: tenantPK(tenantID), SK: planSK(p.ID), Type: typePlan, TenantID: tenantID,
			PlanID: p.ID, Name: p.Name, Description: p.Description, BillingCycleType: cycle, Currencies: p.Currencies,
		})
		if err != nil {
			return fmt.Errorf("ddb: encode plan %s: %w", p.ID, err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av}})
	}
	// Whatever the outcome, this process reads the plans anew.
	defer s.plans.forget(tenantID, plans)
	if _, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items}); err != nil {
		return fmt.Errorf("ddb: put %d plans of tenant %s: %w", len(plans), tenantID, err)
	}
	return nil
}

// GetPlan returns one plan of the tenant's catalog; a missing plan is a
// KindNotFound *contract.Error naming it.
func (s *Store) GetPlan(ctx context.Context, tenantID, planID string) (*contract.Plan, error) {
	var it planItem
	missing := contract.Errorf(contract.KindNotFound, "plan %q not found", planID)
	if err := s.getItem(ctx, tenantPK(tenantID), planSK(planID), &it, missing); err != nil {
		return nil, fmt.Errorf("ddb: get plan %s: %w", planID, err)
	}
	return &contract.Plan{ID: it.PlanID, Name: it.Name, Description: it.Description, BillingCycleType: it.BillingCycleType, Currencies: it.Currencies}, nil
}

// GetPlans implements contract.Catalog from the warm function's cache
// of the catalog (planCache), reading only the plans it does not hold:
// one BatchGetItem per 100 of them, none when it holds them all.
func (s *Store) GetPlans(ctx context.Context, tenantID string, ids []string) (map[string]contract.Plan, error) {
	plans, missing := s.plans.get(tenantID, ids)
	if len(missing) == 0 {
		return plans, nil
	}
	items, err := s.batchGet(ctx, planKeys(tenantID, missing))
	if err != nil {
		return nil, fmt.Errorf("ddb: get plans of tenant %s: %w", tenantID, err)
	}
	read := map[string]contract.Plan{}
	for _, av := range items {
		if err := addPlan(read, av); err != nil {
			return nil, err
		}
	}
	s.plans.put(tenantID, read)
	maps.Copy(plans, read)
	return plans, nil
}

// planKeys are the keys of the tenant's plans among ids, each once.
func planKeys(tenantID string, ids []string) []map[string]types.AttributeValue {
	keys := make([]map[string]types.AttributeValue, 0, len(ids))
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			keys = append(keys, key(tenantPK(tenantID), planSK(id)))
		}
	}
	return keys
}

// addPlan decodes a plan item into plans.
func addPlan(plans map[string]contract.Plan, av map[string]types.AttributeValue) error {
	var it planItem
	if err := attributevalue.UnmarshalMap(av, &it); err != nil {
		return fmt.Errorf("ddb: decode plan: %w", err)
	}
	plans[it.PlanID] = contract.Plan{ID: it.PlanID, Name: it.Name, Description: it.Description, BillingCycleType: it.BillingCycleType, Currencies: it.Currencies}
	return nil
}

var _ contract.Catalog = (*Store)(nil)
var _ auth.Store = (*Store)(nil)
var _ contract.Store = (*Store)(nil)

// PlanCacheTTL is how long a warm function keeps a plan it read from the
// catalog: a plan replaced (admin plan put) may still be applied with its
// former terms (name, description, currencies, billing cycle) for this
// long by a function that read it before. A plan not held is read at
// once, so a new plan is usable at once; nothing removes a plan from a
// catalog, so none is accepted after its removal.
//
// Why a cache rather than a ConditionCheck of the plans in the write's
// transaction: the rules need what a plan says (its currencies and
// billing cycle bound the new segment, and the answers show its name),
// which a condition cannot return, so a check in the transaction would
// still need the read. A catalog changes rarely, by an operator, and a
// tenant's creates name few plans over and over.
const PlanCacheTTL = time.Minute

// maxCachedPlans bounds the cache, so many tenants' catalogs cannot grow
// a function's memory without end: full, it starts over empty.
const maxCachedPlans = 10000

// planCache holds the plans a Store read, per tenant, each until
// PlanCacheTTL after it was read. Only plans found are held: a plan not
// in the catalog is asked for again next time.
type planCache struct {
	// now is the clock; tests move it.
	now func() time.Time

	mu      sync.Mutex
	entries map[planCacheKey]cachedPlan
}

type planCacheKey struct{ tenant, plan string }

type cachedPlan struct {
	plan    contract.Plan
	expires time.Time
}

func newPlanCache() *planCache {
	return &planCache{now: time.Now, entries: map[planCacheKey]cachedPlan{}}
}

// get returns the plans among ids the cache holds for the tenant, and
// the ids it does not hold, each once.
func (c *planCache) get(tenantID string, ids []string) (map[string]contract.Plan, []string) {
	plans := make(map[string]contract.Plan, len(ids))
	var missing []string
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, id := range ids {
		if _, done := plans[id]; done || slices.Contains(missing, id) {
			continue
		}
		if e, ok := c.entries[planCacheKey{tenantID, id}]; ok && now.Before(e.expires) {
			// A copy: the caller may change the plan it is handed.
			p := e.plan
			p.Currencies = slices.Clone(p.Currencies)
			plans[id] = p
			continue
		}
		missing = append(missing, id)
	}
	return plans, missing
}

// put holds plans, just read, for the tenant.
func (c *planCache) put(tenantID string, plans map[string]contract.Plan) {
	expires := c.now().Add(PlanCacheTTL)
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries)+len(plans) > maxCachedPlans {
		clear(c.entries)
	}
	for id, p := range plans {
		p.Currencies = slices.Clone(p.Currencies)
		c.entries[planCacheKey{tenantID, id}] = cachedPlan{plan: p, expires: expires}
	}
}

// forget drops the tenant's plans, which this process is writing.
func (c *planCache) forget(tenantID string, plans []contract.Plan) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range plans {
		delete(c.entries, planCacheKey{tenantID, p.ID})
	}
}
