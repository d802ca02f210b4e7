package ddb

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// TableNameEnv names the environment variable that holds the table name.
const TableNameEnv = "TABLE_NAME"

// NewClient returns a DynamoDB client configured from the environment the
// way every AWS SDK is: region, credentials, and AWS_ENDPOINT_URL_DYNAMODB,
// which points it at DynamoDB Local with no code branch here.
func NewClient(ctx context.Context) (*dynamodb.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("ddb: load aws config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg), nil
}

// FromEnv returns a Store over the table named by TABLE_NAME, with a
// client from NewClient. Functions call it once, at init.
func FromEnv(ctx context.Context) (*Store, error) {
	table := os.Getenv(TableNameEnv)
	if table == "" {
		return nil, errors.New("ddb: " + TableNameEnv + " is not set")
	}
	client, err := NewClient(ctx)
	if err != nil {
		return nil, err
	}
	return New(client, table), nil
}
