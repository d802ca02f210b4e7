package main

import (
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/aira"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/endpoints"
)

// airaCreateBody is the body of infra/events/aira-create.json (Aira's
// documented create, shared/aira/testdata/seed-create.json): a contract
// with a new customer and a new payment account, written together. The
// customer's externalId is unique within the tenant, so the %s stands for
// airaExternalID, as long as the sample's "cust_1234567890abcdef", so the
// items keep the sample's size.
const airaCreateBody = `{
  "customer": {
    "externalId": "%s",
    "name": "Acme Inc.",
    "customFields": {
      "custom_field_1": "value1",
      "custom_field_2": "value2"
    }
  },
  "paymentAccount": {
    "businessName": "Acme Comercio Ltda",
    "tradeName": "Acme",
    "taxId": "11.222.333/0001-81",
    "email": "jsmith@example.com",
    "address": {
      "zipCode": "69900-062",
      "number": "100",
      "street": "Rua Rio Grande do Sul",
      "neighborhood": "Centro",
      "city": "Rio Branco",
      "state": "AC",
      "country": "Brasil",
      "complement": "Sala 2"
    }
  },
  "contract": {
    "startDate": "2023-12-25",
    "endDate": "2024-12-24",
    "billingEndDay": 16,
    "planIds": [
      "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    ],
    "paymentSettings": {
      "scheduledPaymentDay": 16,
      "dueOffsetDays": 6
    },
    "billingSettings": {
      "billingCycleMinimumAmount": 1
    },
    "customFields": {}
  }
}`

// airaExternalID returns a new customer externalId, as long as the
// sample's.
func airaExternalID() string { return fmt.Sprintf("cust_%016x", nextUnique()) }

// airaPlan is the plan the Aira sample names, as the local stack's demo
// catalog holds it.
var airaPlan = contract.Plan{
	ID:               "3c90c3cc-0d44-4b50-8888-8dd25736052a",
	Name:             "Demo Aira plan",
	Description:      "The plan of the Aira create-contract example.",
	BillingCycleType: "monthly",
	Currencies:       []string{"BRL"},
}

// airaDialect registers the Aira contracts API (CreateContractFunction,
// /v1/contracts). Aira has no list of contracts: its one list route is a
// customer's payment accounts, measured as its list.
func airaDialect() Dialect {
	// Aira's clients send the token as X-API-KEY, as the samples do.
	apiKey := func(t Tenant, ev events.APIGatewayV2HTTPRequest) events.APIGatewayV2HTTPRequest {
		delete(ev.Headers, "authorization")
		ev.Headers["x-api-key"] = t.Token
		return ev
	}
	return Dialect{
		Name:     "Aira",
		Function: "CreateContractFunction",
		Router:   endpoints.CreateContract,
		Plans:    []contract.Plan{airaPlan},
		// The documented create path, with its trailing slash, as the
		// sample sends it.
		Create: func(t Tenant) events.APIGatewayV2HTTPRequest {
			return apiKey(t, apiEvent(t, aira.RouteCreateSlash, nil, nil, map[string]string{"content-type": "application/json"},
				fmt.Sprintf(airaCreateBody, airaExternalID())))
		},
		Created: airaCreated,
		Get: func(t Tenant, c Created) events.APIGatewayV2HTTPRequest {
			return apiKey(t, apiEvent(t, aira.RouteGet, map[string]string{"id": c.ID}, nil, nil, ""))
		},
		List: func(t Tenant, seed Created) events.APIGatewayV2HTTPRequest {
			return apiKey(t, apiEvent(t, aira.RouteAccounts, nil, map[string]string{"customerId": seed.Scope}, nil, ""))
		},
		ListWhat: "a customer's payment accounts (Aira has no list of contracts)",
		Notes: "each create names a new customer externalId (unique within the tenant) of the sample's length; Aira has no list " +
			"of contracts, so its list row is its one list route, the payment accounts of the first seeded customer (one account).",
	}
}

// airaCreated reads Aira's answer to a create: the ids of the contract,
// its new customer and its new payment account, which the service made
// up, and the externalId the request chose. A get names the contract by
// its id; the list is the customer's payment accounts.
func airaCreated(resp events.APIGatewayV2HTTPResponse) (Created, error) {
	var body struct {
		Contract struct {
			ID string `json:"id"`
		} `json:"contract"`
		Customer struct {
			ID         string `json:"id"`
			ExternalID string `json:"externalId"`
		} `json:"customer"`
		PaymentAccount struct {
			ID string `json:"id"`
		} `json:"paymentAccount"`
	}
	if err := readBody(resp, &body); err != nil {
		return Created{}, err
	}
	if body.Contract.ID == "" || body.Customer.ID == "" || body.Customer.ExternalID == "" || body.PaymentAccount.ID == "" {
		return Created{}, missing("contract.id, customer.id, customer.externalId and paymentAccount.id", resp)
	}
	return Created{
		ID: body.Contract.ID, Scope: body.Customer.ID, Listed: body.PaymentAccount.ID,
		Fresh: []string{body.Contract.ID, body.Customer.ID, body.Customer.ExternalID, body.PaymentAccount.ID},
	}, nil
}
