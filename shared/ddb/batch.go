package ddb

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	smithytime "github.com/aws/smithy-go/time"

	"github.com/contracts-service/contracts/shared/contract"
)

// DynamoDB's bounds on one batch call, and how many calls a batch makes
// while DynamoDB hands back part of it unprocessed (it does so under
// throttling), backing off between them.
const (
	maxBatchGet      = 100
	maxBatchWrite    = 25
	maxBatchAttempts = 8
)

// backOff waits before the attempt-th try of a call (attempt 2 on), with
// full jitter over an exponential bound: 10 ms, 20 ms, and so on up to
// 320 ms.
func backOff(ctx context.Context, attempt int) error {
	bound := 10 * time.Millisecond << min(attempt-2, 5)
	return smithytime.SleepWithContext(ctx, time.Duration(rand.Int64N(int64(bound))+1))
}

// batchGet reads the items of keys, strongly consistent, with one
// BatchGetItem per 100 keys, sending again the keys DynamoDB leaves
// unprocessed. Missing items are simply absent from what it returns, in
// no particular order.
func (s *Store) batchGet(ctx context.Context, keys []map[string]types.AttributeValue) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for chunk := range slices.Chunk(keys, maxBatchGet) {
		pending := map[string]types.KeysAndAttributes{s.table: {Keys: chunk, ConsistentRead: aws.Bool(true)}}
		err := untilProcessed(ctx, func() (bool, error) {
			out, err := s.client.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
			if err != nil {
				return false, err
			}
			items = append(items, out.Responses[s.table]...)
			pending = out.UnprocessedKeys
			return len(pending) == 0, nil
		})
		if err != nil {
			return nil, err
		}
	}
	return items, nil
}

// batchWrite writes requests with one BatchWriteItem per 25, sending
// again what DynamoDB hands back unprocessed.
func (s *Store) batchWrite(ctx context.Context, requests []types.WriteRequest) error {
	for chunk := range slices.Chunk(requests, maxBatchWrite) {
		pending := map[string][]types.WriteRequest{s.table: chunk}
		err := untilProcessed(ctx, func() (bool, error) {
			out, err := s.client.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return false, err
			}
			pending = out.UnprocessedItems
			return len(pending) == 0, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// untilProcessed makes one batch call after another, backing off between
// them, until call reports everything processed; past maxBatchAttempts
// the batch is unavailable (DynamoDB stayed throttled).
func untilProcessed(ctx context.Context, call func() (done bool, err error)) error {
	for attempt := 1; attempt <= maxBatchAttempts; attempt++ {
		if attempt > 1 {
			if err := backOff(ctx, attempt); err != nil {
				return err
			}
		}
		if done, err := call(); done || err != nil {
			return err
		}
	}
	return contract.Unavailable(fmt.Errorf("batch left unprocessed after %d attempts", maxBatchAttempts))
}
