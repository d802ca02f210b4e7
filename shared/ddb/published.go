package ddb

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// PublishedTTL is how long the record that a contract event was put on
// the bus is kept: longer than Lambda may hand a stream record over again
// (the stream keeps records 24 hours), so that a redelivered record is
// never published twice while it can still come.
const PublishedTTL = 48 * time.Hour

// EventRef names one contract event: its tenant and its id.
type EventRef struct {
	TenantID string
	ID       string
}

// Published reports which of refs are recorded as put on the bus
// (MarkPublished), read consistently: the contract events skip those, so
// a stream record Lambda hands over again publishes nothing twice.
func (s *Store) Published(ctx context.Context, refs []EventRef) (map[EventRef]bool, error) {
	out := map[EventRef]bool{}
	// BatchGetItem refuses a request that names one key twice.
	seen := map[EventRef]bool{}
	var keys []map[string]types.AttributeValue
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		keys = append(keys, key(tenantPK(r.TenantID), publishedSK(r.ID)))
	}
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("ddb: read published events: %w", err)
	}
	for _, item := range items {
		tenant, _ := item["tenantId"].(*types.AttributeValueMemberS)
		id, _ := item["eventId"].(*types.AttributeValueMemberS)
		if tenant != nil && id != nil {
			out[EventRef{TenantID: tenant.Value, ID: id.Value}] = true
		}
	}
	return out, nil
}

// MarkPublished records refs as put on the bus at now, each kept
// PublishedTTL.
func (s *Store) MarkPublished(ctx context.Context, refs []EventRef, now time.Time) error {
	expires := strconv.FormatInt(now.Add(PublishedTTL).Unix(), 10)
	seen := map[EventRef]bool{}
	var puts []types.WriteRequest
	for _, r := range refs {
		if seen[r] {
			continue
		}
		seen[r] = true
		item := key(tenantPK(r.TenantID), publishedSK(r.ID))
		item["type"] = &types.AttributeValueMemberS{Value: typePublished}
		item["tenantId"] = &types.AttributeValueMemberS{Value: r.TenantID}
		item["eventId"] = &types.AttributeValueMemberS{Value: r.ID}
		item[attrTTL] = &types.AttributeValueMemberN{Value: expires}
		puts = append(puts, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
	}
	if err := s.batchWrite(ctx, puts); err != nil {
		return fmt.Errorf("ddb: record published events: %w", err)
	}
	return nil
}
