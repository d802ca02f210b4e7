package ddb

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Store is the DynamoDB adapter: it implements contract.Store and the
// credential and catalog lookups over one table.
type Store struct {
	client *dynamodb.Client
	table  string
	// plans is the warm process's cache of plan catalogs (PlanCacheTTL).
	plans *planCache
}

// New returns a Store over the named table. The client is created once per
// process (outside any handler) and shared.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table, plans: newPlanCache()}
}

// Table returns the name of the table the store uses.
func (s *Store) Table() string { return s.table }

// newItems encodes items as transaction puts that write each only if its
// key is free: how every new record (and every uniqueness reservation)
// enters the table.
func (s *Store) newItems(items ...any) ([]types.TransactWriteItem, error) {
	puts := make([]types.TransactWriteItem, len(items))
	for i, it := range items {
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			return nil, err
		}
		puts[i] = types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: av, ConditionExpression: aws.String("attribute_not_exists(PK)")}}
	}
	return puts, nil
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		attrPK: &types.AttributeValueMemberS{Value: pk},
		attrSK: &types.AttributeValueMemberS{Value: sk},
	}
}

// conditionFailed recognises a failed condition, whether it came from a
// single write (ConditionalCheckFailedException) or from a cancelled
// transaction. It returns nil when err is not such a failure; otherwise a
// slice that says, per item of the transaction, whether that item's
// condition failed (for a single write, a slice of one true).
func conditionFailed(err error) []bool {
	if err == nil {
		return nil
	}
	var single *types.ConditionalCheckFailedException
	if errors.As(err, &single) {
		return []bool{true}
	}
	var tx *types.TransactionCanceledException
	if !errors.As(err, &tx) {
		return nil
	}
	failed := make([]bool, len(tx.CancellationReasons))
	any := false
	for i, r := range tx.CancellationReasons {
		if r.Code != nil && *r.Code == "ConditionalCheckFailed" {
			failed[i], any = true, true
		}
	}
	if !any {
		return nil
	}
	return failed
}
