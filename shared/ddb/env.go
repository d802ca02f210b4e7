package ddb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"

	"github.com/contracts-service/contracts/shared/awsenv"
)

// TableNameEnv names the environment variable that holds the table name.
const TableNameEnv = "TABLE_NAME"

// NewClient returns a DynamoDB client configured from the environment
// as Lambda provides it (see awsenv), its endpoint overridden by
// AWS_ENDPOINT_URL_DYNAMODB (or AWS_ENDPOINT_URL), which points it at
// DynamoDB Local. Programs run by people, whose credentials come from
// profiles, build their client with NewClientFromConfig instead.
//
// opts adjust the client's options after the service's own (tests put a
// fault-injecting HTTP client there).
func NewClient(_ context.Context, opts ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	cfg, err := awsenv.Config("AWS_ENDPOINT_URL_DYNAMODB")
	if err != nil {
		return nil, fmt.Errorf("ddb: %w", err)
	}
	return NewClientFromConfig(cfg, opts...), nil
}

// NewClientFromConfig returns a DynamoDB client over cfg (typically from
// the SDK's config.LoadDefaultConfig, with its whole credential chain),
// with the service's own options, then opts.
func NewClientFromConfig(cfg aws.Config, opts ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, withService(cfg.Logger, opts))
}

// withService sets what every client of the service has: SDK faults that
// mean "retry later" become contract.Unavailable, and a spurious warning
// is dropped from the SDK's log. opts run after it.
func withService(logger logging.Logger, opts []func(*dynamodb.Options)) func(*dynamodb.Options) {
	return func(o *dynamodb.Options) {
		if logger == nil {
			logger = o.Logger
		}
		o.Logger = withoutCloseChecksumWarning{next: logger}
		o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
			return stack.Initialize.Add(classifyUnavailable, middleware.Before)
		})
		for _, opt := range opts {
			opt(o)
		}
	}
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
