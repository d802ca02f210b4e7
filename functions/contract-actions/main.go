// Command contract-actions is ContractActionsFunction: its main,
// endpoints.StartContractActions, wires the DynamoDB store into the
// function's handler (see shared/endpoints), which answers API Gateway,
// SQS, EventBridge and direct invocations, once, outside the handler.
package main

import "github.com/contracts-service/contracts/shared/endpoints"

func main() { endpoints.StartContractActions() }
