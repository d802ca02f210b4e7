// Command authorizer is AuthorizerFunction, the API Gateway Lambda
// authorizer: it wires the DynamoDB store into auth.Authorizer and hands it
// to the Lambda runtime.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/logs"
)

func main() {
	log := logs.New()
	store, err := ddb.FromEnv(context.Background())
	if err != nil {
		logs.InitFailed(log, err)
	}
	lambda.Start(auth.NewAuthorizer(store, log).Handle)
}
