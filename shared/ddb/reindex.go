package ddb

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
)

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
