package ddb

import (
	"context"
	"errors"
	"net"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/contracts-service/contracts/shared/contract"
)

// classifyUnavailable is an SDK middleware at the outermost step, so it
// sees each call's error after the SDK's own retries with backoff (which
// stop at the request's deadline, the Lambda's remaining time). What is
// still an overload or an outage then becomes a KindUnavailable domain
// error: the client gets 503 with Retry-After, not a 500.
var classifyUnavailable = middleware.InitializeMiddlewareFunc("ClassifyUnavailable",
	func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleInitialize(ctx, in)
		if err != nil && unavailable(err) {
			err = contract.Unavailable(err)
		}
		return out, md, err
	})

// unavailableCodes are the error codes of a DynamoDB that is overloaded or
// failing, as opposed to a request it refuses.
var unavailableCodes = map[string]bool{
	"ProvisionedThroughputExceededException": true,
	"ThrottlingException":                    true,
	"RequestLimitExceeded":                   true,
	"InternalServerError":                    true,
	"ServiceUnavailable":                     true,
	"TransactionInProgressException":         true,
	"TransactionConflictException":           true,
}

// unavailableReasons are the cancellation reasons of a transaction that
// failed for load or contention, not for one of its conditions.
var unavailableReasons = map[string]bool{
	"TransactionConflict":           true,
	"ThrottlingError":               true,
	"ProvisionedThroughputExceeded": true,
	"RequestLimitExceeded":          true,
}

// unavailable reports whether err means "retry later".
func unavailable(err error) bool {
	var tx *types.TransactionCanceledException
	if errors.As(err, &tx) {
		busy := false
		for _, r := range tx.CancellationReasons {
			if r.Code == nil {
				continue
			}
			if *r.Code == "ConditionalCheckFailed" {
				return false
			}
			busy = busy || unavailableReasons[*r.Code]
		}
		return busy
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return unavailableCodes[apiErr.ErrorCode()]
	}
	var resp *smithyhttp.ResponseError
	if errors.As(err, &resp) && resp.HTTPStatusCode() >= 500 {
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded)
}
