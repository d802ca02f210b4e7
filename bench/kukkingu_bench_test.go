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
		Created: kukkinguCreated,
		Get: func(t Tenant, c Created) events.APIGatewayV2HTTPRequest {
			return apiEvent(t, kukkingu.RouteGet, map[string]string{"contractId": c.ID}, nil, tenantHeader(t), "")
		},
		List: func(t Tenant, _ Created) events.APIGatewayV2HTTPRequest {
			return apiEvent(t, kukkingu.RouteList, nil, map[string]string{"limit": kukkinguPageSize}, tenantHeader(t), "")
		},
	}
}

// kukkinguCreated reads {"data": {"id": ...}}, the envelope Kukkingu
// wraps a created contract in. The id is the only value a create makes
// up besides its number, which the floor finds by itself.
func kukkinguCreated(resp events.APIGatewayV2HTTPResponse) (Created, error) {
	var body struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := readBody(resp, &body); err != nil {
		return Created{}, err
	}
	if body.Data.ID == "" {
		return Created{}, missing("data.id", resp)
	}
	return Created{ID: body.Data.ID, Listed: body.Data.ID, Fresh: []string{body.Data.ID}}, nil
}
