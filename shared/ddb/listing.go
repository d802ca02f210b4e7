package ddb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/contracts-service/contracts/shared/contract"
)

// An organization's listings (see keys.go): every contract of a listed
// party is in GSI3 to GSI7, each index sorting by one of the orders
// contract.OrderedQuery offers, partitioned by the contract's status and
// whether it is deleted; and the party's count item counts its contracts
// per status and deletion, changed in the transaction of every write that
// moves a contract between them.

// orderIndex is the index and sort-key attribute that serve each order.
// The status order reads GSI3: a partition holds one status, so listing
// the partitions in status order, each by its last change, is that order.
var orderIndex = map[contract.SortField]struct{ index, sortKey string }{
	contract.SortUpdatedAt: {indexByUpdatedAt, attrGSI3SK},
	contract.SortStatus:    {indexByUpdatedAt, attrGSI3SK},
	contract.SortReference: {indexByReference, attrGSI4SK},
	contract.SortValidFrom: {indexByValidFrom, attrGSI5SK},
	contract.SortValidTo:   {indexByValidTo, attrGSI6SK},
	contract.SortPriceList: {indexByPriceList, attrGSI7SK},
}

// listingEntry is one contract as a listing's index holds it.
type listingEntry struct {
	status contract.Status // its partition's
	key    string          // its sort key in the order asked for
	number string
}

// listingPart is one partition a query reads: one status, deleted or not.
type listingPart struct {
	listing contract.Listing
	pk      string
}

// maxQueryLimit bounds the Limit of one Query; DynamoDB reads at most
// 1 MB per Query whatever the limit: about 2,500 of GSI3's entries, 5,000
// of the others'.
const maxQueryLimit = 10000

// ListOrdered implements contract.OrderedStore for listed parties
// (organizations).
//
// Without a period or a search (contract.OrderedQuery.Indexed), a window
// reads, in parallel, the first Offset+Limit keys of each partition it
// lists (one per status, and as many again for deleted contracts) from
// the order's index; it merges them, then reads the window's contracts
// and the party's count item with one BatchGetItem. Its cost grows with
// the offset, not with the party's size: for fabric's three statuses,
// 3 x (Offset+Limit) index entries of 150 to 400 bytes, then a strongly
// consistent read of each contract shown and of the count.
//
// A period or a search selects by what no window's order serves: the
// window then reads every entry that passes the filters from the index
// that narrows them most, and DynamoDB's filter expression hands back
// only the matches, which are sorted and counted here. A start period
// reads only its key range of GSI5 (an end period, GSI6's); its cost
// grows with the contracts in the period. A search alone reads every
// entry of the partitions it lists from GSI3: its cost grows with the
// party's size, at about a third of the read units of reading the
// contracts themselves (as the list did before these indexes). Those
// three indexes project every order's key and the search texts, about
// 450 bytes an entry.
//
// The indexes are eventually consistent: a contract changed a moment ago
// may be missing from a window or shown at its old place, and one that no
// longer matches the query by the time it is read is left out of the
// window. The count is read strongly consistent.
func (s *Store) ListOrdered(ctx context.Context, tenantID string, q contract.OrderedQuery) (contract.OrderedPage, error) {
	if !listed(q.Party) {
		return contract.OrderedPage{}, fmt.Errorf("ddb: the store keeps no ordered listing of %s contracts", q.Party.Kind)
	}
	order, ok := orderIndex[cmp.Or(q.SortBy, contract.SortUpdatedAt)]
	if !ok {
		return contract.OrderedPage{}, fmt.Errorf("ddb: no listing is ordered by %q", q.SortBy)
	}
	var parts []listingPart
	for _, st := range q.Statuses {
		for _, deleted := range []bool{false, true} {
			l := contract.Listing{Status: st, Deleted: deleted}
			if (deleted && !q.IncludeDeleted) || slices.ContainsFunc(parts, func(p listingPart) bool { return p.listing == l }) {
				continue
			}
			parts = append(parts, listingPart{listing: l, pk: listingGSI3PK(tenantID, q.Party, l)})
		}
	}
	// A period that ends before it starts holds nothing (and DynamoDB
	// refuses BETWEEN with its bounds the wrong way round).
	empty := func(p *contract.Period) bool { return p != nil && p.To.Before(p.From) }
	if len(parts) == 0 || empty(q.ValidFrom) || empty(q.ValidTo) {
		return contract.OrderedPage{}, nil
	}

	// Offset may be near the largest int: saturate, never overflow.
	need := math.MaxInt
	if q.Offset <= math.MaxInt-q.Limit {
		need = q.Offset + q.Limit
	}
	indexed := q.Indexed()
	entries := make([][]listingEntry, len(parts))
	g, gctx := errgroup.WithContext(ctx)
	for i, p := range parts {
		g.Go(func() (err error) {
			if indexed {
				entries[i], err = s.readListing(gctx, order.index, order.sortKey, p, !q.Descending, need)
			} else {
				entries[i], err = s.scanListing(gctx, order.sortKey, p, q)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return contract.OrderedPage{}, fmt.Errorf("ddb: list contracts of %s %s: %w", q.Party.Kind, q.Party.ID, err)
	}

	all := slices.Concat(entries...)
	slices.SortFunc(all, func(a, b listingEntry) int {
		c := cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.number, b.number))
		if q.SortBy == contract.SortStatus {
			c = cmp.Or(strings.Compare(string(a.status), string(b.status)), c)
		}
		if q.Descending {
			return -c
		}
		return c
	})
	window := all[min(q.Offset, len(all)):]
	window = window[:min(q.Limit, len(window))]
	keys := make([]map[string]types.AttributeValue, len(window), len(window)+1)
	for i, e := range window {
		keys[i] = key(tenantPK(tenantID), contractSK(e.number))
	}
	// The count rides with the window's contracts: one round trip.
	countKey := key(tenantPK(tenantID), countSK(q.Party))
	if indexed {
		keys = append(keys, countKey)
	}
	read, err := s.batchGet(ctx, keys)
	if err != nil {
		return contract.OrderedPage{}, fmt.Errorf("ddb: list contracts of %s %s: %w", q.Party.Kind, q.Party.ID, err)
	}
	items := make(map[string]map[string]types.AttributeValue, len(read))
	for _, av := range read {
		items[itemKey(av)] = av
	}
	page := contract.OrderedPage{Count: len(all)}
	if indexed {
		counts, err := listingCounts(items[itemKey(countKey)])
		if err != nil {
			return contract.OrderedPage{}, fmt.Errorf("ddb: count of %s %s: %w", q.Party.Kind, q.Party.ID, err)
		}
		page.Count = 0
		for _, p := range parts {
			page.Count += counts[countName(p.listing)]
		}
	}
	for _, k := range keys[:len(window)] {
		av := items[itemKey(k)]
		if av == nil {
			continue
		}
		c, err := decodeContract(av)
		if err != nil {
			return contract.OrderedPage{}, err
		}
		// The index may lag a change the contract itself shows: a
		// contract that no longer matches is left out, never shown
		// against its filter.
		if q.Matches(c) {
			page.Contracts = append(page.Contracts, *c)
		}
	}
	return page, nil
}

// readListing reads the first need entries of one partition of index, in
// order, keys only.
func (s *Store) readListing(ctx context.Context, index, sortKey string, p listingPart, ascending bool, need int) ([]listingEntry, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String("GSI3PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: p.pk}},
		ProjectionExpression:      aws.String("SK, " + sortKey),
		ScanIndexForward:          aws.Bool(ascending),
	}
	return s.queryEntries(ctx, in, p, sortKey, need)
}

// everyEntry is the need of queryEntries that reads every entry.
const everyEntry = -1

// queryEntries runs in page after page and decodes the entries of p it
// returns, until it has read need of them, or all there are when need is
// everyEntry.
func (s *Store) queryEntries(ctx context.Context, in *dynamodb.QueryInput, p listingPart, sortKey string, need int) ([]listingEntry, error) {
	var out []listingEntry
	for need == everyEntry || len(out) < need {
		if need != everyEntry {
			in.Limit = aws.Int32(int32(min(need-len(out), maxQueryLimit)))
		}
		page, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, err
		}
		if out, err = appendEntries(out, page.Items, p.listing.Status, sortKey); err != nil {
			return nil, err
		}
		if page.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
	return out, nil
}

// scanListing reads the entries of one partition that pass q's period
// and search filters, each with its key in q's order. A start period
// reads only its range of GSI5, an end period (without one) its range of
// GSI6; a search alone reads the whole partition from GSI3. Those three
// indexes project every order's key and the search texts, so the other
// filters are DynamoDB's filter expression.
func (s *Store) scanListing(ctx context.Context, sortKey string, p listingPart, q contract.OrderedQuery) ([]listingEntry, error) {
	values := map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: p.pk}}
	index, keyCondition := indexByUpdatedAt, "GSI3PK = :pk"
	var filters []string
	for _, f := range []struct {
		period *contract.Period
		index  string
		attr   string
	}{{q.ValidFrom, indexByValidFrom, attrGSI5SK}, {q.ValidTo, indexByValidTo, attrGSI6SK}} {
		if f.period == nil {
			continue
		}
		lo, hi := periodBounds(f.period)
		n := strconv.Itoa(len(values))
		values[":lo"+n], values[":hi"+n] = &types.AttributeValueMemberS{Value: lo}, &types.AttributeValueMemberS{Value: hi}
		between := f.attr + " BETWEEN :lo" + n + " AND :hi" + n
		if index == indexByUpdatedAt {
			index, keyCondition = f.index, keyCondition+" AND "+between
			continue
		}
		filters = append(filters, between)
	}
	if q.Search != "" {
		values[":search"] = &types.AttributeValueMemberS{Value: strings.ToLower(q.Search)}
		filters = append(filters, "(contains("+attrSearchReference+", :search) OR contains("+attrSearchType+", :search))")
	}
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		IndexName:                 aws.String(index),
		KeyConditionExpression:    aws.String(keyCondition),
		ExpressionAttributeValues: values,
		ProjectionExpression:      aws.String("SK, " + sortKey),
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	return s.queryEntries(ctx, in, p, sortKey, everyEntry)
}

// appendEntries decodes index entries onto out.
func appendEntries(out []listingEntry, items []map[string]types.AttributeValue, status contract.Status, sortKey string) ([]listingEntry, error) {
	for _, it := range items {
		sk, err1 := avString(it[attrSK])
		key, err2 := avString(it[sortKey])
		number, ok := strings.CutPrefix(sk, contractSKPrefix)
		if err := errors.Join(err1, err2); err != nil || !ok || key == "" {
			return nil, fmt.Errorf("listing entry %q has no contract key or no %s: %v", sk, sortKey, err)
		}
		out = append(out, listingEntry{status: status, key: key, number: number})
	}
	return out, nil
}

// listingCounts reads a party's count item: the number of its contracts
// under each listing, by countName (none for a party without contracts).
func listingCounts(item map[string]types.AttributeValue) (map[string]int, error) {
	counts := map[string]int{}
	for name, v := range item {
		if n, ok := v.(*types.AttributeValueMemberN); ok {
			c, err := strconv.Atoi(n.Value)
			if err != nil {
				return nil, fmt.Errorf("count %s: %w", name, err)
			}
			counts[name] = c
		}
	}
	return counts, nil
}

// itemKey names an item by its table key.
func itemKey(k map[string]types.AttributeValue) string {
	pk, _ := avString(k[attrPK])
	sk, _ := avString(k[attrSK])
	return pk + "\x00" + sk
}

// countWrite moves one contract of party p in p's count item from the
// listing from (nil for a contract not counted yet) to the listing to.
func (s *Store) countWrite(tenantID string, p contract.Party, from *contract.Listing, to contract.Listing) types.TransactWriteItem {
	names := map[string]string{"#type": "type", "#to": countName(to)}
	values := map[string]types.AttributeValue{
		":type": &types.AttributeValueMemberS{Value: typeCount},
		":one":  &types.AttributeValueMemberN{Value: "1"},
	}
	expr := "SET #type = :type ADD #to :one"
	if from != nil {
		names["#from"] = countName(*from)
		values[":gone"] = &types.AttributeValueMemberN{Value: "-1"}
		expr += ", #from :gone"
	}
	return types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(tenantPK(tenantID), countSK(p)),
		UpdateExpression: aws.String(expr), ExpressionAttributeNames: names, ExpressionAttributeValues: values,
	}}
}

// replaceGuard is what a write of c in place of its stored version adds
// for its listing: the condition that the stored contract is listed where
// c says it was read (c.Stored), which the version alone implies when
// c.Stored is right and refuses the write when it is not, and the move of
// c between its party's counts when the write changes its listing (nil
// when it does not). A contract of a party without listings needs
// neither.
func (s *Store) replaceGuard(c *contract.Contract, values map[string]types.AttributeValue) (condition string, move *types.TransactWriteItem) {
	if !listed(c.Party) {
		return "", nil
	}
	if c.Stored == nil {
		condition = " AND attribute_not_exists(GSI3PK)"
	} else {
		condition = " AND GSI3PK = :listed"
		values[":listed"] = &types.AttributeValueMemberS{Value: listingGSI3PK(c.TenantID, c.Party, *c.Stored)}
	}
	if now := c.Listing(); c.Stored == nil || *c.Stored != now {
		w := s.countWrite(c.TenantID, c.Party, c.Stored, now)
		move = &w
	}
	return condition, move
}

// stored records on c, once written, where the store lists it.
func stored(c *contract.Contract) {
	if listed(c.Party) {
		l := c.Listing()
		c.Stored = &l
	}
}

// loadWorkers is how many BatchWriteItem calls LoadContracts keeps in
// flight.
const loadWorkers = 4

// LoadContracts stores new contracts in bulk: each with its id item and
// its reference item, 25 items per BatchWriteItem, then the listed ones'
// parties' counts, one UpdateItem per party. It is for fixtures (the
// listing benchmark loads fifty thousand contracts in minutes, where a
// create each would take far longer) and checks nothing a create does:
// each contract needs its number, and its number, id and reference must
// be free; nothing else may write the same parties' contracts meanwhile;
// and a failure leaves part of it written. On success each contract holds
// what was stored.
func (s *Store) LoadContracts(ctx context.Context, cs []contract.Contract) error {
	type tenantParty struct {
		tenant string
		party  contract.Party
	}
	var requests []types.WriteRequest
	counts := map[tenantParty]map[contract.Listing]int{}
	for i := range cs {
		c := &cs[i]
		items := []any{toContractItem(c), contractIDItem{PK: tenantPK(c.TenantID), SK: contractIDSK(c.ID), Type: typeContractID, Number: c.Number}}
		for _, it := range items {
			av, err := attributevalue.MarshalMap(it)
			if err != nil {
				return fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
			}
			requests = append(requests, types.WriteRequest{PutRequest: &types.PutRequest{Item: av}})
		}
		if c.Reference != "" {
			ref, err := referenceItem(c)
			if err != nil {
				return fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
			}
			requests = append(requests, types.WriteRequest{PutRequest: &types.PutRequest{Item: ref}})
		}
		if listed(c.Party) {
			tp := tenantParty{c.TenantID, c.Party}
			if counts[tp] == nil {
				counts[tp] = map[contract.Listing]int{}
			}
			counts[tp][c.Listing()]++
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(loadWorkers)
	for batch := range slices.Chunk(requests, maxBatchWrite) {
		g.Go(func() error { return s.batchWrite(gctx, batch) })
	}
	if err := g.Wait(); err != nil {
		return fmt.Errorf("ddb: load contracts: %w", err)
	}
	for tp, byListing := range counts {
		names := map[string]string{"#type": "type"}
		values := map[string]types.AttributeValue{":type": &types.AttributeValueMemberS{Value: typeCount}}
		var adds []string
		for l, n := range byListing {
			i := strconv.Itoa(len(adds))
			names["#c"+i], values[":n"+i] = countName(l), &types.AttributeValueMemberN{Value: strconv.Itoa(n)}
			adds = append(adds, "#c"+i+" :n"+i)
		}
		_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
			TableName: &s.table, Key: key(tenantPK(tp.tenant), countSK(tp.party)),
			UpdateExpression:         aws.String("SET #type = :type ADD " + strings.Join(adds, ", ")),
			ExpressionAttributeNames: names, ExpressionAttributeValues: values,
		})
		if err != nil {
			return fmt.Errorf("ddb: load contracts: count of %s %s: %w", tp.party.Kind, tp.party.ID, err)
		}
	}
	for i := range cs {
		stored(&cs[i])
	}
	return nil
}

// FileListings files every contract of tenantID's listed parties that was
// written before the listings existed (it has no GSI3PK, so no list shows
// it and no count holds it) under its listing, as its next write would:
// one transaction per contract writes it again with its index keys, the
// copy its reference item carries, and its party's count one up. Nothing
// else of it changes, its version included, so the contract events
// publish nothing for it (see ddb.ContractChange.Refiled). A contract a
// request writes meanwhile is filed by that write, and skipped here. It
// returns how many contracts it filed; run again, it files none.
//
// It reads every contract item of the tenant's partition (Query, pages of
// 1 MB, a filter keeping those to file): an operator's one-time step
// after deploying the listings, not a request's.
func (s *Store) FileListings(ctx context.Context, tenantID string) (filed int, err error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :contracts)"),
		FilterExpression:       aws.String("attribute_not_exists(GSI3PK) AND partyKind = :listed"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":        &types.AttributeValueMemberS{Value: tenantPK(tenantID)},
			":contracts": &types.AttributeValueMemberS{Value: contractSKPrefix},
			":listed":    &types.AttributeValueMemberS{Value: string(contract.PartyOrganization)},
		},
		ConsistentRead: aws.Bool(true),
	}
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return filed, fmt.Errorf("ddb: read the contracts of tenant %s to file: %w", tenantID, err)
		}
		for _, av := range out.Items {
			c, err := decodeContract(av)
			if err != nil {
				return filed, err
			}
			ok, err := s.fileListing(ctx, c)
			if err != nil {
				return filed, err
			}
			if ok {
				filed++
			}
		}
		if out.LastEvaluatedKey == nil {
			return filed, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// fileListing files c, as read, under its listing; false when a write of
// c got there first.
func (s *Store) fileListing(ctx context.Context, c *contract.Contract) (bool, error) {
	if !listed(c.Party) || c.Stored != nil {
		return false, nil
	}
	puts, err := s.newItems(toContractItem(c))
	if err != nil {
		return false, fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
	}
	puts[0].Put.ConditionExpression = aws.String("version = :read AND attribute_not_exists(GSI3PK)")
	puts[0].Put.ExpressionAttributeValues = map[string]types.AttributeValue{
		":read": &types.AttributeValueMemberN{Value: strconv.FormatInt(c.Version, 10)},
	}
	refs, err := s.referenceWrite(c)
	if err != nil {
		return false, fmt.Errorf("ddb: encode contract %s: %w", c.Number, err)
	}
	writes := append(append(puts, refs...), s.countWrite(c.TenantID, c.Party, nil, c.Listing()))
	if err := checkWrite(writes...); err != nil {
		return false, err
	}
	err = s.transactWrite(ctx, writes)
	if failed := conditionFailed(err); failed != nil && failed[0] {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ddb: file contract %s: %w", c.Number, err)
	}
	return true, nil
}
