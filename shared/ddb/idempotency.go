package ddb

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/idempotency"
)

type idempotencyItem struct {
	PK              string            `dynamodbav:"PK"`
	SK              string            `dynamodbav:"SK"`
	Type            string            `dynamodbav:"type"`
	RequestHash     string            `dynamodbav:"requestHash"`
	ExpiresAt       int64             `dynamodbav:"expiresAt"`
	ResponseStatus  int               `dynamodbav:"responseStatus"`
	ResponseHeaders map[string]string `dynamodbav:"responseHeaders,omitempty"`
	ResponseBody    string            `dynamodbav:"responseBody,omitempty"`
	// ResponseBodyGzip holds the body instead, gzip-compressed, when it
	// would not fit in the item as text (see recordPut).
	ResponseBodyGzip []byte `dynamodbav:"responseBodyGzip,omitempty"`
}

func (it *idempotencyItem) record() (*idempotency.Record, error) {
	body := it.ResponseBody
	if it.ResponseBodyGzip != nil {
		var err error
		if body, err = gunzipText(it.ResponseBodyGzip); err != nil {
			return nil, fmt.Errorf("ddb: decode idempotent answer: %w", err)
		}
	}
	return &idempotency.Record{
		Hash:      it.RequestHash,
		Response:  idempotency.Response{Status: it.ResponseStatus, Headers: it.ResponseHeaders, Body: body},
		ExpiresAt: time.Unix(it.ExpiresAt, 0),
	}, nil
}

// keyFree is the condition on every write of a key's record: the key was
// never used, or its record is past its retention (the table's TTL
// deletes such records only eventually).
const keyFree = "attribute_not_exists(PK) OR expiresAt < :now"

// recordPut is the put of c's record with answer r, written only if the
// key is free; when it is not, DynamoDB hands back the record in the way.
//
// An answer rendered from a large contract may not fit in one item as
// text (JSON escapes can make an answer several times the size of what it
// shows), yet a retry is owed it byte for byte: such a body is kept
// gzip-compressed instead, which JSON's repetition shrinks many times
// over. One that does not fit even so is refused by checkWrite, with
// nothing written.
func (s *Store) recordPut(c *idempotency.Claim, r idempotency.Response) (*types.Put, error) {
	it := idempotencyItem{
		PK: tenantPK(c.TenantID), SK: idempotencySK(c.Key), Type: typeIdemKey,
		RequestHash: c.Hash, ExpiresAt: c.ExpiresAt().Unix(),
		ResponseStatus: r.Status, ResponseHeaders: r.Headers, ResponseBody: r.Body,
	}
	item, err := attributevalue.MarshalMap(it)
	if err == nil && itemSize(item) > maxItemBytes {
		it.ResponseBody, it.ResponseBodyGzip = "", gzipText(r.Body)
		item, err = attributevalue.MarshalMap(it)
	}
	if err != nil {
		return nil, fmt.Errorf("ddb: encode idempotency key: %w", err)
	}
	return &types.Put{
		TableName: &s.table, Item: item, ConditionExpression: aws.String(keyFree),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now": &types.AttributeValueMemberN{Value: strconv.FormatInt(c.At.Unix(), 10)},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, nil
}

// Find implements idempotency.Store with one consistent GetItem. A record
// past its retention is treated as absent, as keyFree treats it.
func (s *Store) Find(ctx context.Context, c *idempotency.Claim) (*idempotency.Record, error) {
	var it idempotencyItem
	free := errors.New("free")
	err := s.getItem(ctx, tenantPK(c.TenantID), idempotencySK(c.Key), &it, free)
	if errors.Is(err, free) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ddb: read idempotency key: %w", err)
	}
	if it.ExpiresAt < c.At.Unix() {
		return nil, nil
	}
	return it.record()
}

// Keep implements idempotency.Store with one conditional PutItem; when the
// key is taken, DynamoDB returns the record in the way with the refusal,
// so no second read is needed.
func (s *Store) Keep(ctx context.Context, c *idempotency.Claim, r idempotency.Response) (*idempotency.Record, error) {
	put, err := s.recordPut(c, r)
	if err != nil {
		return nil, err
	}
	if err := checkWrite(types.TransactWriteItem{Put: put}); err != nil {
		return nil, err
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: put.TableName, Item: put.Item, ConditionExpression: put.ConditionExpression,
		ExpressionAttributeValues:           put.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var taken *types.ConditionalCheckFailedException
	if errors.As(err, &taken) {
		return s.recordInTheWay(ctx, c, taken.Item)
	}
	if err != nil {
		return nil, fmt.Errorf("ddb: keep idempotent answer: %w", err)
	}
	return nil, nil
}

// recordInTheWay decodes the record a refused write of c's key returned,
// or reads it when the refusal came without it.
func (s *Store) recordInTheWay(ctx context.Context, c *idempotency.Claim, item map[string]types.AttributeValue) (*idempotency.Record, error) {
	var it idempotencyItem
	if item == nil {
		missing := errors.New("the record that refused the write is gone")
		if err := s.getItem(ctx, tenantPK(c.TenantID), idempotencySK(c.Key), &it, missing); err != nil {
			return nil, fmt.Errorf("ddb: read idempotency key: %w", err)
		}
	} else if err := attributevalue.UnmarshalMap(item, &it); err != nil {
		return nil, fmt.Errorf("ddb: decode idempotency key: %w", err)
	}
	return it.record()
}

// transact writes items in one transaction, with the record of claim's
// key, answer included, when claim is not nil: the key's record costs no
// write of its own, and a write never commits without its answer. A key
// already taken refuses the whole write with an *idempotency.UsedError
// carrying the record in the way; any other failure is returned as it
// came, for the caller to name the item whose condition failed (the
// claim's record, if any, is the last item). A write DynamoDB would
// refuse for its size is refused first (checkWrite), with nothing sent.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem, claim *idempotency.Claim) error {
	items, err := s.withClaim(claim, items)
	if err != nil {
		return err
	}
	if err := checkWrite(items...); err != nil {
		return err
	}
	err = s.transactWrite(ctx, items)
	if claim == nil {
		return err
	}
	if err == nil {
		claim.Written()
		return nil
	}
	// The claim goes first: a retry of a request that committed finds
	// the key taken whatever else changed since, and is owed the answer.
	var tx *types.TransactionCanceledException
	if errors.As(err, &tx) && len(tx.CancellationReasons) == len(items) {
		last := tx.CancellationReasons[len(items)-1]
		if last.Code != nil && *last.Code == "ConditionalCheckFailed" {
			rec, readErr := s.recordInTheWay(ctx, claim, last.Item)
			if readErr != nil {
				return readErr
			}
			return &idempotency.UsedError{Record: rec}
		}
	}
	return err
}

// maxTransactAttempts bounds how often a transaction that DynamoDB
// cancelled for contention is sent: another transaction was writing one
// of its items, typically an organization's count item, which every
// create in the organization changes.
const maxTransactAttempts = 8

// transactWrite sends items as one transaction, again (with backoff)
// while DynamoDB cancels it for a conflict with another transaction. A
// cancelled transaction wrote nothing, so sending it again is safe; each
// attempt is a new input, so the SDK gives it a new idempotency token.
func (s *Store) transactWrite(ctx context.Context, items []types.TransactWriteItem) error {
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			if err := backOff(ctx, attempt); err != nil {
				return err
			}
		}
		_, err := s.client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		if attempt == maxTransactAttempts || !transactionConflict(err) {
			return err
		}
	}
}

// transactionConflict reports whether err is a transaction cancelled for
// a conflict with another transaction and for nothing else.
func transactionConflict(err error) bool {
	var tx *types.TransactionCanceledException
	if !errors.As(err, &tx) {
		return false
	}
	conflict := false
	for _, r := range tx.CancellationReasons {
		switch code := aws.ToString(r.Code); code {
		case "TransactionConflict":
			conflict = true
		case "", "None":
		default:
			return false
		}
	}
	return conflict
}

// withClaim is items and, when there is a claim, the put of its record
// with the answer rendered now, last.
func (s *Store) withClaim(claim *idempotency.Claim, items []types.TransactWriteItem) ([]types.TransactWriteItem, error) {
	if claim == nil {
		return items, nil
	}
	answer, err := claim.Render()
	if err != nil {
		return nil, err
	}
	put, err := s.recordPut(claim, answer)
	if err != nil {
		return nil, err
	}
	return append(items, types.TransactWriteItem{Put: put}), nil
}

var _ idempotency.Store = (*Store)(nil)
