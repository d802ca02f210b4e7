package ddbtest

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbstream"
)

// NewStreamTable is NewTable with the table's stream on, as template.yaml
// has it; it returns the stream's ARN too.
func NewStreamTable(t testing.TB) (client *dynamodb.Client, table, streamARN string) {
	t.Helper()
	client, table = NewTable(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	arn, err := ddb.EnableStream(ctx, client, table)
	if err != nil {
		t.Fatalf("enable the stream: %v", err)
	}
	return client, table, arn
}

// StreamRecords returns every record the stream holds now, as Lambda
// hands them to a function, in the stream's order.
func StreamRecords(t testing.TB, streamARN string) []events.DynamoDBEventRecord {
	t.Helper()
	client, err := ddbstream.NewClient()
	if err != nil {
		t.Fatal(err)
	}
	records, err := ddbstream.ReadAll(context.Background(), client, streamARN, "us-east-1")
	if err != nil {
		t.Fatalf("read the stream: %v", err)
	}
	return records
}
