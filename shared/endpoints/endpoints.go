// Package endpoints assembles the router of each HTTP function: which
// dialect handlers serve which routes. The functions' main packages only
// call these; tests build the same routers to check every route of
// template.yaml is answered.
package endpoints

import (
	"log/slog"

	"github.com/contracts-service/contracts/shared/aira"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/fabric"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/kukkingu"
)

// Store is everything the functions need from storage; the DynamoDB
// adapter implements it.
type Store interface {
	contract.Store
	aira.Store
}

// CreateContract is CreateContractFunction's router: the Kukkingu and Aira
// contracts APIs.
func CreateContract(store Store, log *slog.Logger) *httpapi.Router {
	rt := httpapi.NewRouter(log)
	service := contract.NewService(store)
	kukkingu.NewHandler(service).Register(rt)
	aira.NewHandler(service, store).Register(rt)
	return rt
}

// ContractActions is ContractActionsFunction's router: EasyBilling's
// contract actions. Not built yet: its routes answer 501.
func ContractActions(store contract.Store, log *slog.Logger) *httpapi.Router {
	rt := httpapi.NewRouter(log)
	for _, key := range []string{
		"POST /api/contract-actions",
		"POST /payment-hub/api/contract-actions",
	} {
		rt.Handle(key, httpapi.NotImplemented)
	}
	return rt
}

// OrganizationContracts is OrganizationContractsFunction's router:
// fabric's organization contracts.
func OrganizationContracts(store contract.Store, log *slog.Logger) *httpapi.Router {
	rt := httpapi.NewRouter(log)
	fabric.NewHandler(contract.NewService(store)).Register(rt)
	return rt
}
