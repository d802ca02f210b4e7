// Command create-contract is CreateContractFunction: it wires the DynamoDB store and
// the function's router (see shared/endpoints) and hands them to the Lambda
// runtime. Clients are created once, here, outside the handler.
package main

import (
	"context"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/logs"
)

func main() {
	log := logs.New()
	store, err := ddb.FromEnv(context.Background())
	if err != nil {
		log.Error("init failed", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(endpoints.CreateContract(store, log).Serve)
}
