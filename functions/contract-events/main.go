// Command contract-events is ContractEventsFunction: it wires the
// DynamoDB store (the ledger of the events put), the EventBridge client
// and the stack's bus and stream into the contract events' handler (see
// shared/contractevents), which the table's stream feeds, and hands it to
// the Lambda runtime. Clients are created once, here, outside the
// handler.
package main

import (
	"context"
	"errors"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/contracts-service/contracts/shared/contractevents"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/logs"
)

func main() {
	log := logs.New()
	bus, stream := os.Getenv(contractevents.EnvBusName), os.Getenv(contractevents.EnvStreamARN)
	if bus == "" || stream == "" {
		logs.InitFailed(log, errors.New(contractevents.EnvBusName+" and "+contractevents.EnvStreamARN+" must be set"))
	}
	store, err := ddb.FromEnv(context.Background())
	if err != nil {
		logs.InitFailed(log, err)
	}
	client, err := contractevents.NewEventBridgeClient()
	if err != nil {
		logs.InitFailed(log, err)
	}
	lambda.Start(contractevents.NewHandler(client, bus, store, stream, log).Handle)
}
