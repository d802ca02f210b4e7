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

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/idempotency"
)

type idempotencyItem struct {
	PK              string            `dynamodbav:"PK"`
	SK              string            `dynamodbav:"SK"`
	Type            string            `dynamodbav:"type"`
	RequestHash     string            `dynamodbav:"requestHash"`
	Status          string            `dynamodbav:"status"`
	Owner           string            `dynamodbav:"owner"`
	Committed       bool              `dynamodbav:"committed,omitempty"`
	LockExpiresAt   int64             `dynamodbav:"lockExpiresAt"`
	ExpiresAt       int64             `dynamodbav:"expiresAt"`
	ResponseStatus  int               `dynamodbav:"responseStatus,omitempty"`
	ResponseHeaders map[string]string `dynamodbav:"responseHeaders,omitempty"`
	ResponseBody    string            `dynamodbav:"responseBody,omitempty"`
}

func (it *idempotencyItem) record() *idempotency.Record {
	r := &idempotency.Record{
		Hash: it.RequestHash, Status: idempotency.Status(it.Status), Owner: it.Owner, Committed: it.Committed,
		LockExpiresAt: time.UnixMilli(it.LockExpiresAt), ExpiresAt: time.Unix(it.ExpiresAt, 0),
	}
	if it.Status == string(idempotency.Completed) {
		r.Response = &idempotency.Response{Status: it.ResponseStatus, Headers: it.ResponseHeaders, Body: it.ResponseBody}
	}
	return r
}

// Lock implements idempotency.Store with one conditional PutItem; when the
// key is held, DynamoDB returns the holder's record with the refusal, so
// no second read is needed.
func (s *Store) Lock(ctx context.Context, c idempotency.Claim, now, lockUntil, expires time.Time) (*idempotency.Record, error) {
	item, err := attributevalue.MarshalMap(idempotencyItem{
		PK: tenantPK(c.TenantID), SK: idempotencySK(c.Key), Type: typeIdemKey,
		RequestHash: c.Hash, Status: string(idempotency.InProgress), Owner: c.Owner,
		LockExpiresAt: lockUntil.UnixMilli(), ExpiresAt: expires.Unix(),
	})
	if err != nil {
		return nil, fmt.Errorf("ddb: encode idempotency key: %w", err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item,
		// Free: never used, past its retention, or held by an attempt
		// whose lock ran out before it wrote anything.
		ConditionExpression: aws.String("attribute_not_exists(PK) OR expiresAt < :nowSeconds OR " +
			"(#status = :inProgress AND lockExpiresAt < :nowMillis AND attribute_not_exists(committed))"),
		ExpressionAttributeNames: map[string]string{"#status": "status"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":nowSeconds": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Unix(), 10)},
			":nowMillis":  &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
			":inProgress": &types.AttributeValueMemberS{Value: string(idempotency.InProgress)},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var held *types.ConditionalCheckFailedException
	if errors.As(err, &held) {
		var it idempotencyItem
		if held.Item == nil {
			// The holder may have expired and vanished in between; then
			// there is nothing to report and the retry takes the key.
			if err := s.getItem(ctx, tenantPK(c.TenantID), idempotencySK(c.Key), &it, errHolderGone); err != nil {
				return nil, fmt.Errorf("ddb: read held idempotency key: %w", err)
			}
		} else if err := attributevalue.UnmarshalMap(held.Item, &it); err != nil {
			return nil, fmt.Errorf("ddb: decode idempotency key: %w", err)
		}
		return it.record(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("ddb: take idempotency key: %w", err)
	}
	return nil, nil
}

// Complete implements idempotency.Store.
func (s *Store) Complete(ctx context.Context, c idempotency.Claim, r idempotency.Response, expires time.Time) error {
	item, err := attributevalue.MarshalMap(idempotencyItem{
		PK: tenantPK(c.TenantID), SK: idempotencySK(c.Key), Type: typeIdemKey,
		RequestHash: c.Hash, Status: string(idempotency.Completed), Owner: c.Owner, Committed: true,
		ExpiresAt: expires.Unix(), ResponseStatus: r.Status, ResponseHeaders: r.Headers, ResponseBody: r.Body,
	})
	if err != nil {
		return fmt.Errorf("ddb: encode idempotent answer: %w", err)
	}
	_, err = s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item, ConditionExpression: aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: c.Owner}},
	})
	if conditionFailed(err) != nil {
		return fmt.Errorf("ddb: store idempotent answer: the key is no longer held")
	}
	if err != nil {
		return fmt.Errorf("ddb: store idempotent answer: %w", err)
	}
	return nil
}

// Release implements idempotency.Store: the lock is expired at once, unless
// the request was committed after all.
func (s *Store) Release(ctx context.Context, c idempotency.Claim) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: key(tenantPK(c.TenantID), idempotencySK(c.Key)),
		UpdateExpression:         aws.String("SET lockExpiresAt = :zero"),
		ConditionExpression:      aws.String("#owner = :owner AND attribute_not_exists(committed)"),
		ExpressionAttributeNames: map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner": &types.AttributeValueMemberS{Value: c.Owner},
			":zero":  &types.AttributeValueMemberN{Value: "0"},
		},
	})
	if err != nil && conditionFailed(err) == nil {
		return fmt.Errorf("ddb: release idempotency key: %w", err)
	}
	return nil
}

// claimUpdate is the transaction item that marks ctx's idempotency claim
// committed, or nil when the request has none. Its condition fails if the
// claim was lost (its lock ran out and another attempt took the key): the
// write is then refused, so no key is ever applied twice.
func (s *Store) claimUpdate(ctx context.Context) *types.TransactWriteItem {
	c := idempotency.ClaimFrom(ctx)
	if c == nil {
		return nil
	}
	return &types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key(tenantPK(c.TenantID), idempotencySK(c.Key)),
		UpdateExpression:         aws.String("SET committed = :true"),
		ConditionExpression:      aws.String("#owner = :owner"),
		ExpressionAttributeNames: map[string]string{"#owner": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":owner": &types.AttributeValueMemberS{Value: c.Owner},
			":true":  &types.AttributeValueMemberBOOL{Value: true},
		},
	}}
}

// withClaim appends ctx's claim update to a transaction's items, and
// says where (-1 when the request has no claim).
func (s *Store) withClaim(ctx context.Context, items []types.TransactWriteItem) ([]types.TransactWriteItem, int) {
	u := s.claimUpdate(ctx)
	if u == nil {
		return items, -1
	}
	return append(items, *u), len(items)
}

// errHolderGone is a held key's record gone before it could be read: the
// conflict is over, and the client may simply retry.
var errHolderGone = contract.Errorf(contract.KindConflict, "a request with this Idempotency-Key just finished; retry it")

// errClaimLost is the refusal of a write whose idempotency claim was
// taken over by a retry of the same request.
var errClaimLost = contract.Errorf(contract.KindConflict, "a retry of this request with the same Idempotency-Key is being applied")

var _ idempotency.Store = (*Store)(nil)
