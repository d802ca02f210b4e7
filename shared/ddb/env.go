package ddb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
)

// TableNameEnv names the environment variable that holds the table name.
const TableNameEnv = "TABLE_NAME"

// NewClient returns a DynamoDB client configured from the environment the
// way every AWS SDK is: region, credentials, and AWS_ENDPOINT_URL_DYNAMODB,
// which points it at DynamoDB Local with no code branch here.
//
// opts adjust the client's options after the service's own (tests put a
// fault-injecting HTTP client there).
func NewClient(ctx context.Context, opts ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("ddb: load aws config: %w", err)
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.Logger = withoutCloseChecksumWarning{next: cfg.Logger}
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(classifyUnavailable, middleware.Before)
		})
		for _, opt := range opts {
			opt(o)
		}
	}), nil
}

// withoutCloseChecksumWarning drops one spurious SDK warning: DynamoDB
// sends no X-Amz-Crc32 header on error responses, yet the SDK checks the
// body of every response against it when closing the body, and so warns
// "failed to close HTTP response body" on every failed condition
// (aws/aws-sdk-go-v2 issue 3545). A failed condition is routine here
// (optimistic locking, uniqueness), so the warning would flood the logs.
// Checksums of successful responses are still verified.
type withoutCloseChecksumWarning struct{ next logging.Logger }

func (l withoutCloseChecksumWarning) Logf(c logging.Classification, format string, v ...any) {
	if strings.HasPrefix(format, "failed to close HTTP response body") {
		return
	}
	if l.next != nil {
		l.next.Logf(c, format, v...)
	}
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
