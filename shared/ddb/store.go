package ddb

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Store is the DynamoDB adapter: it implements contract.Store and the
// credential and catalog lookups over one table.
type Store struct {
	client *dynamodb.Client
	table  string
}

// New returns a Store over the named table. The client is created once per
// process (outside any handler) and shared.
func New(client *dynamodb.Client, table string) *Store {
	return &Store{client: client, table: table}
}

// Table returns the name of the table the store uses.
func (s *Store) Table() string { return s.table }

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
