package main

import (
	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/easybilling"
	"github.com/contracts-service/contracts/shared/endpoints"
)

// easyBillingCreateBody is the body of infra/events/contract-actions.json,
// the EasyBilling seed's create-contract-with-plan: one action, one
// contract on one plan. It needs no change to make a new contract each
// call, as the service makes up every id and number.
const easyBillingCreateBody = `{
  "accountNumber": "ACC-0000000001",
  "actions": [
    {
      "type": "create-contract-with-plan",
      "createContractWithPlan": [
        {
          "planId": "16ad814a-dd1b-41c8-9b4b-4e8551170fee",
          "effectiveDate": "2026-02-01",
          "expirationDate": "2027-02-01",
          "currency": [
            "USD"
          ]
        }
      ]
    }
  ]
}`

// easyBillingAccount is the account the sample files its contracts
// under, and the one the list asks for, with the sample's page size.
const (
	easyBillingAccount  = "ACC-0000000001"
	easyBillingPageSize = "20"
)

// easyBillingTraceID is the samples' trace-id header, which every answer
// echoes.
const easyBillingTraceID = "5b2e6c1a-8f3d-4e7b-9a10-2c4d6e8f0a1b"

// easyBillingPlan is the plan the EasyBilling sample names, with the
// currencies its seed documents give it.
var easyBillingPlan = contract.Plan{
	ID:               "16ad814a-dd1b-41c8-9b4b-4e8551170fee",
	Name:             "Demo monthly plan",
	Description:      "The plan of the EasyBilling create-contract-with-plan example.",
	BillingCycleType: "monthly",
	Currencies:       []string{"USD", "CNY"},
}

// easyBillingDialect registers EasyBilling's contract actions
// (ContractActionsFunction, /api/contract-actions and the routes that
// read contracts back). Its create is a create-contract-with-plan action.
func easyBillingDialect() Dialect {
	headers := func() map[string]string { return map[string]string{"trace-id": easyBillingTraceID} }
	return Dialect{
		Name:     "EasyBilling",
		Function: "ContractActionsFunction",
		Router:   endpoints.ContractActions,
		Plans:    []contract.Plan{easyBillingPlan},
		Create: func(t Tenant) events.APIGatewayV2HTTPRequest {
			h := headers()
			h["content-type"] = "application/json"
			return apiEvent(t, easybilling.RouteActions, nil, nil, h, easyBillingCreateBody)
		},
		Created: easyBillingCreated,
		// A get names the contract by its number, as the sample
		// (infra/events/easybilling-get-contract.json) does.
		Get: func(t Tenant, c Created) events.APIGatewayV2HTTPRequest {
			return apiEvent(t, easybilling.RouteGetContract, map[string]string{"contractNumber": c.ID}, nil, headers(), "")
		},
		List: func(t Tenant, _ Created) events.APIGatewayV2HTTPRequest {
			return apiEvent(t, easybilling.RouteListContracts, nil,
				map[string]string{"accountNumber": easyBillingAccount, "pageSize": easyBillingPageSize}, headers(), "")
		},
		Notes: "the create is the sample's create-contract-with-plan action, unchanged (the service makes up every id and " +
			"number); the get names the contract by its number, as the sample does.",
	}
}

// easyBillingCreated reads the answer to a create-contract-with-plan: the
// action's id and number, the new contract's id and number, and its
// segments' ids. A get names the contract by its number.
func easyBillingCreated(resp events.APIGatewayV2HTTPResponse) (Created, error) {
	var body struct {
		ContractActionNumber string `json:"contractActionNumber"`
		ID                   string `json:"id"`
		ContractInfo         *struct {
			ContractNumber   string `json:"contractNumber"`
			ID               string `json:"id"`
			ContractSegments []struct {
				ID string `json:"id"`
			} `json:"contractSegments"`
		} `json:"contractInfo"`
	}
	if err := readBody(resp, &body); err != nil {
		return Created{}, err
	}
	info := body.ContractInfo
	if body.ContractActionNumber == "" || body.ID == "" || info == nil || info.ContractNumber == "" || info.ID == "" || len(info.ContractSegments) == 0 {
		return Created{}, missing("contractActionNumber, id and contractInfo with its number, id and segments", resp)
	}
	fresh := []string{body.ID, body.ContractActionNumber, info.ID, info.ContractNumber}
	for _, s := range info.ContractSegments {
		if s.ID == "" {
			return Created{}, missing("contractInfo.contractSegments[].id", resp)
		}
		fresh = append(fresh, s.ID)
	}
	return Created{ID: info.ContractNumber, Listed: info.ContractNumber, Fresh: fresh}, nil
}
