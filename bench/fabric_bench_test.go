package main

import (
	"fmt"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/fabric"
)

// fabricCreateBody is the body of infra/events/fabric-create.json, the
// fabric seed's create, with its contractId made unique per call: a
// contractId is unique within the organization. The %s stands for
// fabricContractID, as long as the sample's "CONTRACT-2024-001", so the
// items keep the sample's size.
const fabricCreateBody = `{
  "contractId": "%s",
  "startDate": "2024-01-01T00:00:00.000Z",
  "endDate": "2024-12-31T23:59:59.000Z",
  "contractType": "standard",
  "priceListId": 100001,
  "status": "DRAFT",
  "additionalAttributes": {
    "region": "north"
  }
}`

// fabricContractID returns a new contractId, as long as the sample's.
func fabricContractID() string { return fmt.Sprintf("CONTRACT-%08d", nextUnique()) }

// The organizations of the fabric requests. The measured creates go to an
// organization of their own, so the list shows the seeded organization's
// contracts, the same ones in every round. Both ids have the sample's
// shape and length.
const (
	fabricListedOrganization  = "64f1b2c3d4e5f6a7b8c9d0e1"
	fabricCreatedOrganization = "64f1b2c3d4e5f6a7b8c9d0e2"
)

// fabricListQuery is infra/events/fabric-list.json's query without its
// status=ACTIVE: the sample create makes DRAFT contracts, which that
// filter would leave out of the page; without it the page is rendered,
// as a busy organization's would be.
var fabricListQuery = map[string]string{"offset": "0", "limit": "10", "sortBy": "updatedAt", "sortOrder": "desc"}

// fabricDialect registers fabric's organization contracts
// (OrganizationContractsFunction, /v1/organizations/{organizationId}/contracts).
func fabricDialect() Dialect {
	// siteContext is the sample's x-site-context, naming t's account.
	siteContext := func(t Tenant) map[string]string {
		return map[string]string{"x-site-context": `{"account":"` + t.Account + `","channel":12,"stage":"production"}`}
	}
	create := func(org string) func(t Tenant) events.APIGatewayV2HTTPRequest {
		return func(t Tenant) events.APIGatewayV2HTTPRequest {
			h := siteContext(t)
			h["content-type"] = "application/json"
			return apiEvent(t, fabric.RouteCreate, map[string]string{"organizationId": org}, nil, h, fmt.Sprintf(fabricCreateBody, fabricContractID()))
		}
	}
	return Dialect{
		Name:     "fabric",
		Function: "OrganizationContractsFunction",
		Router:   endpoints.OrganizationContracts,
		Create:   create(fabricCreatedOrganization),
		Seed:     create(fabricListedOrganization),
		Created:  fabricCreated,
		// A get names the contract by the contractId its client chose,
		// as the sample (infra/events/fabric-get.json) and fabric's
		// clients do.
		Get: func(t Tenant, c Created) events.APIGatewayV2HTTPRequest {
			return apiEvent(t, fabric.RouteGet, map[string]string{"organizationId": fabricListedOrganization, "contractId": c.ID}, nil, siteContext(t), "")
		},
		List: func(t Tenant, _ Created) events.APIGatewayV2HTTPRequest {
			return apiEvent(t, fabric.RouteList, map[string]string{"organizationId": fabricListedOrganization}, fabricListQuery, siteContext(t), "")
		},
		Notes: "each create names a new contractId (unique within an organization) of the sample's length; the seeds go to one " +
			"organization and the measured creates to another, so the list shows the same contracts in every round; the list " +
			"leaves out the sample's status=ACTIVE, which the sample create's DRAFT contracts never match; the get names the " +
			"contract by its contractId, as the sample does.",
	}
}

// fabricCreated reads the ids of fabric's answer to a create: the _id the
// service made up, the contractId the request chose, and the _id of the
// price list link (and the contractId in lower case, which the store keeps
// for search). A get names the contract by its contractId.
func fabricCreated(resp events.APIGatewayV2HTTPResponse) (Created, error) {
	var body struct {
		ID                string `json:"_id"`
		ContractID        string `json:"contractId"`
		ContractPriceList *struct {
			ID string `json:"_id"`
		} `json:"contractPriceList"`
	}
	if err := readBody(resp, &body); err != nil {
		return Created{}, err
	}
	if body.ID == "" || body.ContractID == "" {
		return Created{}, missing("_id and contractId", resp)
	}
	c := Created{ID: body.ContractID, Listed: body.ID, Fresh: []string{body.ID, body.ContractID}}
	if pl := body.ContractPriceList; pl != nil && pl.ID != "" {
		c.Fresh = append(c.Fresh, pl.ID)
	}
	// The store keeps the contractId in lower case too, for search.
	if lower := strings.ToLower(body.ContractID); lower != body.ContractID {
		c.Fresh = append(c.Fresh, lower)
	}
	return c, nil
}
