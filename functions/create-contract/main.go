// Command create-contract is CreateContractFunction: it wires the DynamoDB store and
// the function's router (see shared/endpoints), which serves only the
// events its stack's HTTP API delivers, and hands them to the Lambda
// runtime. Clients are created once, here, outside the handler.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/logs"
)

func main() {
	log := logs.New()
	origin, err := httpapi.OriginFromEnv()
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	store, err := ddb.FromEnv(context.Background())
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	rt := endpoints.CreateContract(store, log)
	// Only the events API Gateway delivers for this stack's API stage.
	rt.RequireOrigin(origin)
	lambda.Start(rt.Serve)
}
