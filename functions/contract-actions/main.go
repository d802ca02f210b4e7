// Command contract-actions is ContractActionsFunction: it wires the
// DynamoDB store into the function's handler (see shared/endpoints), which
// answers API Gateway, SQS, EventBridge and direct invocations, and hands
// it to the Lambda runtime. Clients are created once, here, outside the
// handler.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/easybilling"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/logs"
)

func main() {
	log := logs.New()
	// Whom each path takes requests from: the stack's API stage, queue
	// and event sources.
	origin, err := httpapi.OriginFromEnv()
	if err != nil {
		logs.InitFailed(log, err)
	}
	trust, err := easybilling.TrustFromEnv()
	if err != nil {
		logs.InitFailed(log, err)
	}
	store, err := ddb.FromEnv(context.Background())
	if err != nil {
		logs.InitFailed(log, err)
	}
	lambda.Start(endpoints.ContractActionsHandler(store, log, origin, trust))
}
