package ddb

import (
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
)

// What the external tests (package ddb_test, which may use ddbtest) see of
// the store's size accounting.
var (
	ItemSize         = itemSize
	CodecContracts   = codecContracts
	MaxItemBytes     = maxItemBytes
	MaxTransactBytes = maxTransactBytes
	CheckWrite       = checkWrite
)

// ContractItem is c as the store writes it.
func ContractItem(c *contract.Contract) map[string]types.AttributeValue {
	av, err := attributevalue.MarshalMap(toContractItem(c))
	if err != nil {
		panic(err)
	}
	return av
}

// FromStreamImage converts an image of a stream record as Lambda hands
// it over.
var FromStreamImage = fromStreamImage

// SetPlanClock sets the clock of s's plan catalog cache.
func SetPlanClock(s *Store, now func() time.Time) { s.plans.now = now }
