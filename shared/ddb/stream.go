package ddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
)

// StreamViewType is what the table's stream records hold of an item:
// its image before and after the change, so that a change can be told
// from the two (a delete from its deletedAt, a cancel from its status)
// and the fields it changed listed. template.yaml declares the same.
const StreamViewType = types.StreamViewTypeNewAndOldImages

// EnableStream turns the table's stream on with StreamViewType, unless it
// is on already, waits until the table is active again, and returns the
// stream's ARN. It is for local runs and tests, whose tables come from
// TableDefinition; the deployed table has its stream from template.yaml.
// A stream on with another view type is an error: it cannot feed the
// contract events.
func EnableStream(ctx context.Context, client *dynamodb.Client, table string) (string, error) {
	out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	if err != nil {
		return "", fmt.Errorf("ddb: describe table %s: %w", table, err)
	}
	if spec := out.Table.StreamSpecification; spec != nil && aws.ToBool(spec.StreamEnabled) {
		if spec.StreamViewType != StreamViewType {
			return "", fmt.Errorf("ddb: table %s streams %s, not %s", table, spec.StreamViewType, StreamViewType)
		}
		return aws.ToString(out.Table.LatestStreamArn), nil
	}
	_, err = client.UpdateTable(ctx, &dynamodb.UpdateTableInput{
		TableName:           aws.String(table),
		StreamSpecification: &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: StreamViewType},
	})
	if err != nil {
		return "", fmt.Errorf("ddb: enable the stream of %s: %w", table, err)
	}
	waiter := dynamodb.NewTableExistsWaiter(client, func(o *dynamodb.TableExistsWaiterOptions) {
		o.MinDelay = 100 * time.Millisecond
		o.MaxDelay = time.Second
	})
	desc, err := waiter.WaitForOutput(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)}, time.Minute)
	if err != nil {
		return "", fmt.Errorf("ddb: wait for table %s: %w", table, err)
	}
	arn := aws.ToString(desc.Table.LatestStreamArn)
	if arn == "" {
		return "", fmt.Errorf("ddb: table %s has no stream after enabling it", table)
	}
	return arn, nil
}

// ContractChange is what one stream record says of a contract: the
// contract as the domain sees it before the change and after it. Old is
// nil for a new contract, New for an item removed from the table (which
// no API does; a soft delete is a change that sets DeletedAt).
type ContractChange struct {
	Old, New *contract.Contract
}

// Refiled reports whether the change only filed the contract anew in the
// store's indexes (FileListings): a change of the contract always moves
// its version.
func (ch ContractChange) Refiled() bool {
	return ch.Old != nil && ch.New != nil && ch.Old.Version == ch.New.Version
}

// ErrNoImages reports a stream record that carries neither image: the
// stream is not the NEW_AND_OLD_IMAGES one the contract events need.
var ErrNoImages = errors.New("ddb: the stream record carries no item image")

// ContractChangeOf reads one record of the table's stream, as Lambda
// hands it over. ok is false for a record of an item that is not a
// contract (a counter, an id or reference item, an idempotency or
// delivery record, a tenant, a name, an action record, ...): the item's
// type attribute says what it is, in either image. A contract's image
// that does not decode is an error, never a skip.
func ContractChangeOf(rec events.DynamoDBEventRecord) (ch ContractChange, ok bool, err error) {
	newImage, oldImage := rec.Change.NewImage, rec.Change.OldImage
	if len(newImage) == 0 && len(oldImage) == 0 {
		return ContractChange{}, false, ErrNoImages
	}
	if !isContractImage(newImage) && !isContractImage(oldImage) {
		return ContractChange{}, false, nil
	}
	if ch.New, err = contractOfImage(newImage); err != nil {
		return ContractChange{}, true, fmt.Errorf("ddb: new image of record %s: %w", rec.EventID, err)
	}
	if ch.Old, err = contractOfImage(oldImage); err != nil {
		return ContractChange{}, true, fmt.Errorf("ddb: old image of record %s: %w", rec.EventID, err)
	}
	return ch, true, nil
}

// isContractImage reports whether an image is of a contract item.
func isContractImage(image map[string]events.DynamoDBAttributeValue) bool {
	t, ok := image["type"]
	return ok && t.DataType() == events.DataTypeString && t.String() == typeContract
}

// contractOfImage decodes a contract's image; nil for no image.
func contractOfImage(image map[string]events.DynamoDBAttributeValue) (*contract.Contract, error) {
	if len(image) == 0 {
		return nil, nil
	}
	if !isContractImage(image) {
		return nil, errors.New("the image is not of a contract")
	}
	av, err := fromStreamImage(image)
	if err != nil {
		return nil, err
	}
	return decodeContract(av)
}

// fromStreamImage converts an image of a stream record, as Lambda's event
// carries it (aws-lambda-go's DynamoDBAttributeValue), into the SDK's
// attribute values, which the store's decoders read. Neither SDK offers
// the conversion.
func fromStreamImage(image map[string]events.DynamoDBAttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(image))
	for name, v := range image {
		av, err := fromStreamValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", name, err)
		}
		out[name] = av
	}
	return out, nil
}

// maxStreamDepth bounds the nesting fromStreamValue follows: DynamoDB
// itself nests documents at most 32 levels deep.
const maxStreamDepth = 32

func fromStreamValue(v events.DynamoDBAttributeValue) (types.AttributeValue, error) {
	return fromStreamValueAt(v, 0)
}

func fromStreamValueAt(v events.DynamoDBAttributeValue, depth int) (types.AttributeValue, error) {
	if depth > maxStreamDepth {
		return nil, fmt.Errorf("nested deeper than %d levels", maxStreamDepth)
	}
	switch v.DataType() {
	case events.DataTypeString:
		return &types.AttributeValueMemberS{Value: v.String()}, nil
	case events.DataTypeNumber:
		return &types.AttributeValueMemberN{Value: v.Number()}, nil
	case events.DataTypeBinary:
		return &types.AttributeValueMemberB{Value: v.Binary()}, nil
	case events.DataTypeBoolean:
		return &types.AttributeValueMemberBOOL{Value: v.Boolean()}, nil
	case events.DataTypeNull:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case events.DataTypeStringSet:
		return &types.AttributeValueMemberSS{Value: v.StringSet()}, nil
	case events.DataTypeNumberSet:
		return &types.AttributeValueMemberNS{Value: v.NumberSet()}, nil
	case events.DataTypeBinarySet:
		return &types.AttributeValueMemberBS{Value: v.BinarySet()}, nil
	case events.DataTypeList:
		list := v.List()
		out := make([]types.AttributeValue, len(list))
		for i, e := range list {
			av, err := fromStreamValueAt(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case events.DataTypeMap:
		m := v.Map()
		out := make(map[string]types.AttributeValue, len(m))
		for k, e := range m {
			av, err := fromStreamValueAt(e, depth+1)
			if err != nil {
				return nil, fmt.Errorf(".%s: %w", k, err)
			}
			out[k] = av
		}
		return &types.AttributeValueMemberM{Value: out}, nil
	}
	return nil, fmt.Errorf("attribute value of unknown type %d", v.DataType())
}
