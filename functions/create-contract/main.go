// Command create-contract is CreateContractFunction: it hands the
// function's router (see shared/endpoints) to endpoints.StartHTTP, which
// wires the DynamoDB store into it, once, outside the handler, and serves
// only the events its stack's HTTP API delivers.
package main

import "github.com/contracts-service/contracts/shared/endpoints"

func main() { endpoints.StartHTTP(endpoints.CreateContract) }
