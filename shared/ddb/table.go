package ddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableDefinition is the table as template.yaml declares it: the keys, the
// indexes and on-demand billing. Local runs and tests create the table from
// it, and a test checks that it matches the template, so the table used
// locally is the one that is deployed.
func TableDefinition(name string) *dynamodb.CreateTableInput {
	keys := func(pk, sk string) []types.KeySchemaElement {
		return []types.KeySchemaElement{
			{AttributeName: aws.String(pk), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String(sk), KeyType: types.KeyTypeRange},
		}
	}
	all := &types.Projection{ProjectionType: types.ProjectionTypeAll}
	keysOnly := &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}
	// GSI3, GSI5 and GSI6 carry what a filtered listing reads besides
	// their keys (see keys.go): every other order's sort key and the
	// lower-case search texts.
	filtered := func(own string) *types.Projection {
		var attrs []string
		for _, a := range []string{attrGSI3SK, attrGSI4SK, attrGSI5SK, attrGSI6SK, attrGSI7SK, attrSearchReference, attrSearchType} {
			if a != own {
				attrs = append(attrs, a)
			}
		}
		return &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: attrs}
	}
	table := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   keys(attrPK, attrSK),
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{
			{IndexName: aws.String(indexByID), KeySchema: keys(attrGSI1PK, attrGSI1SK), Projection: all},
			{IndexName: aws.String(indexByParty), KeySchema: keys(attrGSI2PK, attrGSI2SK), Projection: all},
			{IndexName: aws.String(indexByUpdatedAt), KeySchema: keys(attrGSI3PK, attrGSI3SK), Projection: filtered(attrGSI3SK)},
			{IndexName: aws.String(indexByReference), KeySchema: keys(attrGSI3PK, attrGSI4SK), Projection: keysOnly},
			{IndexName: aws.String(indexByValidFrom), KeySchema: keys(attrGSI3PK, attrGSI5SK), Projection: filtered(attrGSI5SK)},
			{IndexName: aws.String(indexByValidTo), KeySchema: keys(attrGSI3PK, attrGSI6SK), Projection: filtered(attrGSI6SK)},
			{IndexName: aws.String(indexByPriceList), KeySchema: keys(attrGSI3PK, attrGSI7SK), Projection: keysOnly},
		},
	}
	// Every key attribute, of the table and of its indexes, is a string,
	// defined once, in the order the keys name it.
	defined := map[string]bool{}
	define := func(schema []types.KeySchemaElement) {
		for _, k := range schema {
			if !defined[*k.AttributeName] {
				defined[*k.AttributeName] = true
				table.AttributeDefinitions = append(table.AttributeDefinitions, types.AttributeDefinition{AttributeName: k.AttributeName, AttributeType: types.ScalarAttributeTypeS})
			}
		}
	}
	define(table.KeySchema)
	for _, gsi := range table.GlobalSecondaryIndexes {
		define(gsi.KeySchema)
	}
	return table
}

// TTLAttribute is the attribute the table's time to live reads.
const TTLAttribute = attrTTL

// EnsureTable creates the table from TableDefinition if it does not exist,
// waits until it is active, and turns on time to live. It is for local runs
// and tests; deployed tables come from template.yaml.
func EnsureTable(ctx context.Context, client *dynamodb.Client, name string) error {
	_, err := client.CreateTable(ctx, TableDefinition(name))
	var inUse *types.ResourceInUseException
	if err != nil && !errors.As(err, &inUse) {
		return fmt.Errorf("ddb: create table %s: %w", name, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	if err := waiter.Wait(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)}, time.Minute); err != nil {
		return fmt.Errorf("ddb: wait for table %s: %w", name, err)
	}
	_, err = client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{
			AttributeName: aws.String(attrTTL), Enabled: aws.Bool(true),
		},
	})
	// A second enable of an enabled TTL is refused as a validation error;
	// that is the state we want, so it is not a failure.
	var invalid interface{ ErrorCode() string }
	if err != nil && !(errors.As(err, &invalid) && invalid.ErrorCode() == "ValidationException") {
		return fmt.Errorf("ddb: enable ttl on %s: %w", name, err)
	}
	return nil
}
