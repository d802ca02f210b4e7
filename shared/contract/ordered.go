package contract

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"
)

// SortField names an order in which a party's contracts can be listed.
// Every order ends in the contract number, so it is total: a window at
// an offset shows the same contracts on every call while nothing changes.
type SortField string

// The orders a listing can take. A contract that lacks the field (no
// validity bound, no price list) sorts after those that have it in
// ascending order, and before them in descending order.
const (
	// SortUpdatedAt orders by the last change, then by number.
	SortUpdatedAt SortField = "updatedAt"
	// SortReference orders by the client's reference, byte by byte.
	// References are unique within a party, so nothing ties.
	SortReference SortField = "reference"
	// SortValidFrom and SortValidTo order by a validity bound, then by
	// number.
	SortValidFrom SortField = "validFrom"
	SortValidTo   SortField = "validTo"
	// SortPriceList orders by the linked price list's id, then by number.
	SortPriceList SortField = "priceList"
	// SortStatus orders by the stored status (its text: active, draft,
	// inactive), then by the last change, then by number.
	SortStatus SortField = "status"
)

// Period is an interval of instants, both ends included.
type Period struct {
	From, To time.Time
}

// includes reports whether t is within p; no instant is within any
// period.
func (p *Period) includes(t *time.Time) bool {
	return t != nil && !t.Before(p.From) && !t.After(p.To)
}

// OrderedQuery selects a window of a party's contracts in one order, and
// asks how many contracts match in all.
type OrderedQuery struct {
	Party Party
	// SortBy is the order (SortUpdatedAt when empty), ascending unless
	// Descending; in descending
	// order every part of the order is reversed, ties included (the
	// newest number first).
	SortBy     SortField
	Descending bool
	// Statuses are the statuses listed: a status filter's one, or every
	// status the party's contracts may have (fabric's three). A contract
	// in another status is never listed.
	Statuses []Status
	// IncludeDeleted lists deleted contracts too.
	IncludeDeleted bool
	// Offset is how many matching contracts the window skips; Limit the
	// most it shows (the caller bounds it).
	Offset, Limit int
	// ValidFrom and ValidTo, when set, keep the contracts whose bound is
	// within the period.
	ValidFrom, ValidTo *Period
	// Search, when not empty, keeps the contracts whose reference or type
	// contains it, compared in lower case (strings.ToLower) on both sides.
	Search string
}

// OrderedPage is a window of an ordered listing: Count is the number of
// contracts the query matches, across all windows.
type OrderedPage struct {
	Contracts []Contract
	Count     int
}

// OrderedStore lists a party's contracts in an order, with their count.
// The DynamoDB store keeps an index per order for organizations (fabric's
// parties), so a window costs about the same in a party of fifty
// thousand contracts as in one of a hundred.
type OrderedStore interface {
	// ListOrdered returns the window of the tenant's contracts that q
	// selects, as SelectOrdered would select it from all of them. Where
	// the store's indexes are eventually consistent, a contract changed a
	// moment ago may be missing from a window or shown where it was.
	ListOrdered(ctx context.Context, tenantID string, q OrderedQuery) (OrderedPage, error)
}

// Indexed reports whether the query's filters are all ones an index keyed
// by status and deletion serves: no period and no search.
func (q *OrderedQuery) Indexed() bool {
	return q.ValidFrom == nil && q.ValidTo == nil && q.Search == ""
}

// Matches reports whether c is one of the contracts q lists.
func (q *OrderedQuery) Matches(c *Contract) bool {
	if c.Party != q.Party || !slices.Contains(q.Statuses, c.Status) || (c.Deleted() && !q.IncludeDeleted) {
		return false
	}
	if q.ValidFrom != nil && !q.ValidFrom.includes(c.ValidFrom) {
		return false
	}
	if q.ValidTo != nil && !q.ValidTo.includes(c.ValidTo) {
		return false
	}
	if q.Search != "" {
		term := strings.ToLower(q.Search)
		return strings.Contains(strings.ToLower(c.Reference), term) || strings.Contains(strings.ToLower(c.Type), term)
	}
	return true
}

// Compare orders a before b (-1), after b (1), or as the same contract
// (0), in q's order and direction.
func (q *OrderedQuery) Compare(a, b *Contract) int {
	var c int
	switch q.SortBy {
	case SortReference:
		c = strings.Compare(a.Reference, b.Reference)
	case SortValidFrom:
		c = compareMissingLast(a.ValidFrom, b.ValidFrom, func(x, y *time.Time) int { return x.Compare(*y) })
	case SortValidTo:
		c = compareMissingLast(a.ValidTo, b.ValidTo, func(x, y *time.Time) int { return x.Compare(*y) })
	case SortPriceList:
		c = compareMissingLast(a.PriceList, b.PriceList, func(x, y *PriceListLink) int { return cmp.Compare(x.PriceListID, y.PriceListID) })
	case SortStatus:
		c = cmp.Or(strings.Compare(string(a.Status), string(b.Status)), a.UpdatedAt.Compare(b.UpdatedAt))
	default:
		c = a.UpdatedAt.Compare(b.UpdatedAt)
	}
	c = cmp.Or(c, strings.Compare(a.Number, b.Number))
	if q.Descending {
		return -c
	}
	return c
}

// compareMissingLast compares two optional values, a missing one after
// any present one.
func compareMissingLast[T any](a, b *T, compare func(a, b *T) int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return compare(a, b)
}

// SelectOrdered is what ListOrdered answers, computed from all of the
// tenant's contracts at once: the definition every store's ListOrdered is
// tested against, and the whole of an in-memory store's.
func SelectOrdered(all []Contract, q OrderedQuery) OrderedPage {
	var matched []*Contract
	for i := range all {
		if q.Matches(&all[i]) {
			matched = append(matched, &all[i])
		}
	}
	slices.SortFunc(matched, q.Compare)
	page := OrderedPage{Count: len(matched)}
	// Offset may be near the largest int: compare, never add.
	window := matched[min(q.Offset, len(matched)):]
	for _, c := range window[:min(q.Limit, len(window))] {
		page.Contracts = append(page.Contracts, *c)
	}
	return page
}

// ListOrdered returns the window of the actor's tenant's contracts that q
// selects, from store.
func (s *Service) ListOrdered(ctx context.Context, actor Actor, store OrderedStore, q OrderedQuery) (OrderedPage, error) {
	return store.ListOrdered(ctx, actor.TenantID, q)
}
