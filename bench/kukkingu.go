package main

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/kukkingu"
)

// kukkinguCreateBody is the create request of Kukkingu's own
// documentation, the same one the README and the local stack use, so the
// items written are the size real clients cause.
const kukkinguCreateBody = `{
  "clientId": "clnt_z2b3mo8qa5kzptgsu26q2wmh",
  "name": "Standard Service Contract",
  "amountMinor": 5000,
  "currencyCode": "EUR",
  "description": "This contract covers standard service terms and conditions.",
  "order": 13,
  "validFrom": "2023-10-05T14:48:00.000Z",
  "validTo": "2023-10-05T14:48:00.000Z"
}`

// kukkinguPageSize is the page a list asks for: Kukkingu's default.
const kukkinguPageSize = "20"

// kukkinguDialect registers the Kukkingu contracts API
// (CreateContractFunction, /api/v1/contracts).
func kukkinguDialect() Dialect {
	tenantHeader := func(t Tenant) map[string]string { return map[string]string{"tenant-id": t.Alias} }
	return Dialect{
		Name:     "Kukkingu",
		Function: "CreateContractFunction",
		Router:   endpoints.CreateContract,
		Create: func(t Tenant) events.APIGatewayV2HTTPRequest {
			h := tenantHeader(t)
			h["content-type"] = "application/json"
			return apiEvent(t, kukkingu.RouteCreate, nil, nil, h, kukkinguCreateBody)
		},
		CreatedID: dataID,
		Get: func(t Tenant, id string) events.APIGatewayV2HTTPRequest {
			return apiEvent(t, kukkingu.RouteGet, map[string]string{"contractId": id}, nil, tenantHeader(t), "")
		},
		List: func(t Tenant) events.APIGatewayV2HTTPRequest {
			return apiEvent(t, kukkingu.RouteList, nil, map[string]string{"limit": kukkinguPageSize}, tenantHeader(t), "")
		},
	}
}
