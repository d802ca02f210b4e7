package ddb

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
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

// Bounds of DynamoDB's batch operations.
const (
	maxBatchGetKeys   = 100
	maxBatchWritePuts = 25
	// maxBatchRounds bounds the rounds a batch takes to hand in what
	// DynamoDB left unprocessed (it does so under throttling); each round
	// waits longer.
	maxBatchRounds = 6
)

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
	for start := 0; start < len(keys); start += maxBatchGetKeys {
		pending := map[string]types.KeysAndAttributes{s.table: {
			Keys: keys[start:min(start+maxBatchGetKeys, len(keys))], ConsistentRead: aws.Bool(true),
			ProjectionExpression: aws.String("tenantId, eventId"),
		}}
		for round := 0; len(pending) > 0; round++ {
			if round == maxBatchRounds {
				return nil, fmt.Errorf("ddb: read published events: keys still unprocessed after %d rounds", round)
			}
			if err := batchWait(ctx, round); err != nil {
				return nil, err
			}
			res, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return nil, fmt.Errorf("ddb: read published events: %w", err)
			}
			for _, item := range res.Responses[s.table] {
				tenant, _ := item["tenantId"].(*types.AttributeValueMemberS)
				id, _ := item["eventId"].(*types.AttributeValueMemberS)
				if tenant != nil && id != nil {
					out[EventRef{TenantID: tenant.Value, ID: id.Value}] = true
				}
			}
			pending = res.UnprocessedKeys
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
	for start := 0; start < len(puts); start += maxBatchWritePuts {
		pending := map[string][]types.WriteRequest{s.table: puts[start:min(start+maxBatchWritePuts, len(puts))]}
		for round := 0; len(pending) > 0; round++ {
			if round == maxBatchRounds {
				return fmt.Errorf("ddb: record published events: items still unprocessed after %d rounds", round)
			}
			if err := batchWait(ctx, round); err != nil {
				return err
			}
			res, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return fmt.Errorf("ddb: record published events: %w", err)
			}
			pending = res.UnprocessedItems
		}
	}
	return nil
}

// batchWait waits before round (none before the first): DynamoDB leaves
// items unprocessed when the table is throttled, and asks for a backoff.
func batchWait(ctx context.Context, round int) error {
	if round == 0 {
		return nil
	}
	t := time.NewTimer(time.Duration(25<<round) * time.Millisecond)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return fmt.Errorf("ddb: batch: %w", ctx.Err())
	case <-t.C:
		return nil
	}
}
