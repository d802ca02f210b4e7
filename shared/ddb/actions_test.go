package ddb_test

import (
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// A delivery record written before records kept their request's hash
// is taken for the same request, whatever the request: its redelivery
// is ErrAlreadyApplied, read first or found by the transaction, never a
// reused key.
func TestDeliveryRecordWithoutItsRequest(t *testing.T) {
	s := ddbtest.NewStore(t)
	action := func(number int64, request string) *contract.Action {
		return &contract.Action{TenantID: "t1", ID: "act", Number: contract.FormatActionNumber(number), AccountNumber: "ACC-1",
			Type: "renew", Request: []byte(request), Status: contract.StatusActive,
			CreatedAt: time.Now(), UpdatedAt: time.Now(), CreatedBy: "cred", UpdatedBy: "cred"}
	}
	if err := s.ApplyActions(ctx, action(1, `{"a":1}`), nil, nil, "sqs:m-1", nil); err != nil {
		t.Fatal(err)
	}
	client := ddbtest.Client(t)
	out, err := client.Query(ctx, &dynamodb.QueryInput{
		TableName: aws.String(s.Table()), KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :dedupe)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "TENANT#t1"}, ":dedupe": &types.AttributeValueMemberS{Value: "DEDUPE#"},
		},
	})
	if err != nil || len(out.Items) != 1 || out.Items[0]["requestHash"] == nil {
		t.Fatalf("delivery records %v, %v; want one, with its request's hash", out.Items, err)
	}
	if _, err := client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(s.Table()), Key: map[string]types.AttributeValue{"PK": out.Items[0]["PK"], "SK": out.Items[0]["SK"]},
		UpdateExpression: aws.String("REMOVE requestHash"),
	}); err != nil {
		t.Fatal(err)
	}
	for _, request := range []string{`{"a":1}`, `{"a":2}`} {
		if err := s.CheckDelivery(ctx, "t1", "sqs:m-1", []byte(request)); !errors.Is(err, contract.ErrAlreadyApplied) {
			t.Errorf("check of %s: err = %v, want already applied", request, err)
		}
		if err := s.ApplyActions(ctx, action(2, request), nil, nil, "sqs:m-1", nil); !errors.Is(err, contract.ErrAlreadyApplied) {
			t.Errorf("apply of %s: err = %v, want already applied", request, err)
		}
	}
}
