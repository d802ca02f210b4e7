// Package aira is the Aira dialect: contracts created together with a new
// or existing customer and payment account (/v1/contracts), their
// lifecycle (replace, activate, cancel), customers, and the payment
// accounts of a customer, over the one contract model.
//
// A contract, its new customer and its new payment account are written in
// one transaction: a refused contract leaves no orphan behind. Ids are
// UUIDs. Dates are whole days and the end date is inclusive.
package aira

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/brazil"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/ids"
	"github.com/contracts-service/contracts/shared/validate"
)

// Route keys served by this dialect, as template.yaml declares them. The
// documented create path has a trailing slash; both forms are served.
const (
	RouteCreate        = "POST /v1/contracts"
	RouteCreateSlash   = "POST /v1/contracts/"
	RouteGet           = "GET /v1/contracts/{id}"
	RouteReplace       = "PUT /v1/contracts/{id}"
	RouteCancel        = "POST /v1/contracts/{id}/cancel"
	RouteActivate      = "POST /v1/contracts/{id}/activate"
	RouteCustomer      = "POST /v1/customers"
	RouteCustomerSlash = "POST /v1/customers/"
	RouteAccounts      = "GET /v1/payment-accounts/by-customer"
)

// Store is what the dialect needs from storage besides the contract
// Service: customers, payment accounts and the plan catalog.
type Store interface {
	contract.PartyStore
	contract.Catalog
	// GetRelated reads c's customer, payment account and plans
	// together (one round trip against DynamoDB); a missing customer or
	// payment account is KindNotFound.
	GetRelated(ctx context.Context, tenantID string, c *contract.Contract) (contract.Related, error)
}

// Handler serves the Aira routes.
type Handler struct {
	service   *contract.Service
	store     Store
	validator *validate.Validator
}

// NewHandler returns a Handler over service and store.
func NewHandler(service *contract.Service, store Store) *Handler {
	v := validate.New()
	v.RegisterPattern("aira_date", "must be a calendar date such as 2023-12-25", validDate)
	v.RegisterPattern("brazil_taxid", "must be a CPF or CNPJ with valid check digits", brazil.ValidTaxID)
	v.RegisterPattern("brazil_cep", "must be a CEP: 8 digits, optionally 5-3 with a hyphen", brazil.ValidCEP)
	v.RegisterPattern("brazil_uf", "must be one of Brazil's 27 UF codes, such as SP", brazil.ValidUF)
	return &Handler{service: service, store: store, validator: v}
}

// Register adds the dialect's routes to rt.
func (h *Handler) Register(rt *httpapi.Router) {
	rt.HandleVia(contract.APIAira, RouteCreate, h.create)
	rt.HandleVia(contract.APIAira, RouteCreateSlash, h.create)
	rt.HandleVia(contract.APIAira, RouteGet, h.get)
	rt.HandleVia(contract.APIAira, RouteReplace, h.replace)
	rt.HandleVia(contract.APIAira, RouteCancel, h.transition(contract.StatusCanceled, contract.StatusDraft, contract.StatusActive))
	rt.HandleVia(contract.APIAira, RouteActivate, h.transition(contract.StatusActive, contract.StatusDraft))
	rt.HandleVia(contract.APIAira, RouteCustomer, h.createCustomer)
	rt.HandleVia(contract.APIAira, RouteCustomerSlash, h.createCustomer)
	rt.HandleVia(contract.APIAira, RouteAccounts, h.paymentAccounts)
}

func invalid(field, msg string) error {
	return contract.Invalid(contract.FieldError{Field: field, Message: msg})
}

// checkContract applies the rules validator tags cannot express, naming
// fields by their path in the body.
func checkContract(f *contractFields, prefix string) error {
	if f == nil {
		return nil // the validator names a missing contract
	}
	var fields []contract.FieldError
	if f.EndDate != nil && *f.EndDate < f.StartDate {
		fields = append(fields, contract.FieldError{Field: prefix + "endDate", Message: "must not be before startDate"})
	}
	if !validCustomFields(f.CustomFields) {
		fields = append(fields, contract.FieldError{Field: prefix + "customFields", Message: "must be an object whose values are strings or arrays of strings"})
	}
	if bs := f.BillingSettings; bs != nil && bs.BillingCycleMinimumAmount != nil {
		if v, err := bs.BillingCycleMinimumAmount.Float64(); err != nil || v < 0 {
			fields = append(fields, contract.FieldError{Field: prefix + "billingSettings.billingCycleMinimumAmount", Message: "must be a number of 0 or more"})
		}
	}
	if len(fields) > 0 {
		return contract.Invalid(fields...)
	}
	return nil
}

// plansOf loads the contract's plans from the tenant's catalog; ids not in
// it are a 422 naming each.
func (h *Handler) plansOf(ctx context.Context, tenantID string, ids []string) (map[string]contract.Plan, error) {
	plans, err := h.store.GetPlans(ctx, tenantID, ids)
	if err != nil {
		return nil, err
	}
	var fields []contract.FieldError
	for i, id := range ids {
		if _, ok := plans[id]; !ok {
			fields = append(fields, contract.FieldError{Field: fmt.Sprintf("contract.planIds[%d]", i), Message: fmt.Sprintf("plan %q is not in this tenant's catalog", id)})
		}
	}
	if len(fields) > 0 {
		return nil, &contract.Error{Kind: contract.KindUnprocessable, Message: "the contract names plans that do not exist", Fields: fields}
	}
	return plans, nil
}

// paymentAccountFor resolves the payment account of a replace: a new one
// (returned as a companion to write with the contract) or an existing one
// of the contract's customer, refused as a create's is
// (contract.CheckParties).
func (h *Handler) paymentAccountFor(ctx context.Context, c *contract.Contract, fields *paymentAccountFields, id *string) (*contract.PaymentAccount, bool, error) {
	if fields != nil {
		return fields.toPaymentAccount(ids.UUID(), c.Party.ID), true, nil
	}
	pa, err := h.store.GetPaymentAccount(ctx, c.TenantID, *id)
	if contract.KindOf(err) == contract.KindNotFound {
		pa, err = nil, nil
	}
	if err != nil {
		return nil, false, err
	}
	// The contract's customer exists: only its payment account can fail.
	if err := contract.CheckParties(c.Party.ID, &contract.Customer{ID: c.Party.ID}, *id, pa); err != nil {
		return nil, false, err
	}
	return pa, false, nil
}

func (h *Handler) create(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	var in createRequest
	// Every rule of the body at once: the pairs, the fields' shapes and
	// the contract's own rules.
	err := r.DecodeValid(&in, func() error {
		var pairs []error
		if (in.Customer == nil) == (in.CustomerID == nil) {
			pairs = append(pairs, invalid("customer", "send exactly one of customer and customerId"))
		}
		if (in.PaymentAccount == nil) == (in.PaymentAccountID == nil) {
			pairs = append(pairs, invalid("paymentAccount", "send exactly one of paymentAccount and paymentAccountId"))
		}
		if in.Customer != nil && !validCustomFields(in.Customer.CustomFields) {
			pairs = append(pairs, invalid("customer.customFields", "must be an object whose values are strings or arrays of strings"))
		}
		return contract.JoinInvalid(append(pairs, h.validator.Struct(&in), checkContract(in.Contract, "contract."))...)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	tenant := r.Actor.TenantID
	plans, err := h.plansOf(ctx, tenant, in.Contract.PlanIDs)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}

	// The customer and payment account named by id are the store's to
	// find, in the one read before the create's write (see
	// contract.Store.CreateContract), which gives c copies of them: a
	// create is two round trips, and a refusal draws no contract number.
	c := &contract.Contract{ID: ids.UUID(), Party: contract.Party{Kind: contract.PartyCustomer}, Status: contract.StatusActive}
	var with contract.Companions
	if in.Customer != nil {
		with.Customer = &contract.Customer{ID: ids.UUID(), ExternalID: in.Customer.ExternalID, Name: in.Customer.Name, CustomFields: customFieldsOf(in.Customer.CustomFields)}
		c.Party.ID = with.Customer.ID
	} else {
		c.Party.ID = *in.CustomerID
	}
	if in.PaymentAccount != nil {
		with.PaymentAccount = in.PaymentAccount.toPaymentAccount(ids.UUID(), c.Party.ID)
		c.PaymentAccountID = with.PaymentAccount.ID
	} else {
		c.PaymentAccountID = *in.PaymentAccountID
	}
	if in.Contract.Status != nil {
		c.Status = contract.Status(*in.Contract.Status)
	}
	in.Contract.apply(c)
	answer := httpapi.AnswerOnWrite(r.Claim, func() (events.APIGatewayV2HTTPResponse, error) {
		return h.respond(ctx, tenant, c, http.StatusCreated, contract.Related{Customer: c.Customer, PaymentAccount: c.PaymentAccount, Plans: plans})
	})
	if err := h.service.Create(ctx, r.Actor, r.Claim, c, contract.CreateOptions{With: with}); err != nil {
		return events.APIGatewayV2HTTPResponse{}, contract.RenameFields(err, domainFieldNames)
	}
	return answer()
}

// find returns the tenant's Aira contract id: one whose party is a
// customer. Contracts of the other dialects are not Aira's to show.
func (h *Handler) find(ctx context.Context, r *httpapi.Request) (*contract.Contract, error) {
	id := r.PathParam("id")
	c, err := h.service.Get(ctx, r.Actor, id)
	if err != nil {
		return nil, err
	}
	if c.Party.Kind != contract.PartyCustomer {
		return nil, contract.NotFound(id)
	}
	return c, nil
}

// findToChange returns the tenant's contract id for a change. A contract
// of another API is not hidden as on a read but refused with a 409 that
// names its owner, as every API's changes are.
func (h *Handler) findToChange(ctx context.Context, r *httpapi.Request) (*contract.Contract, error) {
	c, err := h.service.Get(ctx, r.Actor, r.PathParam("id"))
	if err != nil {
		return nil, err
	}
	if err := c.ChangeableVia(contract.APIAira); err != nil {
		return nil, err
	}
	return c, nil
}

// respond answers the contract with its customer, payment account and
// plans, as every contract route of Aira does. rel holds those a handler
// already has for c; when any is missing or no longer c's, they come from
// the copies c keeps and the catalog (cached in the warm function, see
// ddb.PlanCacheTTL), so a get is the read of the contract alone; a
// contract written before it kept copies has them all read in one round
// trip. A write renders its answer before it commits (see
// httpapi.AnswerOnWrite), mostly from records it already read or is
// writing.
func (h *Handler) respond(ctx context.Context, tenantID string, c *contract.Contract, status int, rel contract.Related) (events.APIGatewayV2HTTPResponse, error) {
	if !relatedOf(c, rel) && c.Customer != nil && c.PaymentAccount != nil {
		plans, err := h.store.GetPlans(ctx, tenantID, c.PlanIDs)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("aira: the plans of contract %s: %w", c.Number, err)
		}
		rel = contract.Related{Customer: c.Customer, PaymentAccount: c.PaymentAccount, Plans: plans}
	}
	if !relatedOf(c, rel) {
		var err error
		if rel, err = h.store.GetRelated(ctx, tenantID, c); err != nil {
			return events.APIGatewayV2HTTPResponse{}, fmt.Errorf("aira: the records of contract %s: %w", c.Number, err)
		}
	}
	return httpapi.JSON(status, contractResponse{
		Contract: contractBodyOf(c, rel.Plans), Customer: customerBodyOf(rel.Customer), PaymentAccount: paymentAccountBodyOf(rel.PaymentAccount),
	})
}

// relatedOf reports whether rel holds c's customer, payment account and
// every plan it names.
func relatedOf(c *contract.Contract, rel contract.Related) bool {
	if rel.Customer == nil || rel.Customer.ID != c.Party.ID || rel.PaymentAccount == nil || rel.PaymentAccount.ID != c.PaymentAccountID {
		return false
	}
	for _, id := range c.PlanIDs {
		if _, ok := rel.Plans[id]; !ok {
			return false
		}
	}
	return true
}

func (h *Handler) get(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	c, err := h.find(ctx, r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return h.respond(ctx, r.Actor.TenantID, c, http.StatusOK, contract.Related{})
}

// replace replaces the contract's editable fields, by the rules of a
// create. Its customer stays; its payment account may change to a new one
// (written in the same transaction) or another of the same customer.
func (h *Handler) replace(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	var in replaceRequest
	err := r.DecodeValid(&in, func() error {
		var pairs []error
		if in.PaymentAccount != nil && in.PaymentAccountID != nil {
			pairs = append(pairs, invalid("paymentAccount", "send at most one of paymentAccount and paymentAccountId"))
		}
		return contract.JoinInvalid(append(pairs, h.validator.Struct(&in), checkContract(in.Contract, "contract."))...)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	existing, err := h.findToChange(ctx, r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	rel := contract.Related{}
	if rel.Plans, err = h.plansOf(ctx, r.Actor.TenantID, in.Contract.PlanIDs); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var with contract.Companions
	accountID := existing.PaymentAccountID
	if in.PaymentAccount != nil || in.PaymentAccountID != nil {
		account, isNew, err := h.paymentAccountFor(ctx, existing, in.PaymentAccount, in.PaymentAccountID)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		if isNew {
			with.PaymentAccount = account
		}
		accountID, rel.PaymentAccount = account.ID, account
	}
	var updated *contract.Contract // the service stamps it before storing it
	answer := httpapi.AnswerOnWrite(r.Claim, func() (events.APIGatewayV2HTTPResponse, error) {
		return h.respond(ctx, r.Actor.TenantID, updated, http.StatusOK, rel)
	})
	_, err = h.service.UpdateWith(ctx, r.Actor, r.Claim, existing.ID, func(c *contract.Contract) (contract.Companions, error) {
		updated = c
		if c.Status == contract.StatusCanceled {
			return contract.Companions{}, statusConflict(c.Status, "replaced")
		}
		// A client that sends back the contract it read sends its status:
		// the same status is kept, another is changed only by /activate
		// or /cancel.
		if s := in.Contract.Status; s != nil && contract.Status(*s) != c.Status {
			return contract.Companions{}, invalid("contract.status", fmt.Sprintf("is %s: a replace keeps it; it changes with /activate or /cancel", c.Status))
		}
		in.Contract.apply(c)
		c.PaymentAccountID = accountID
		if rel.PaymentAccount != nil {
			c.PaymentAccount = rel.PaymentAccount
		}
		return with, nil
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, contract.RenameFields(err, domainFieldNames)
	}
	return answer()
}

func statusConflict(current contract.Status, action string) error {
	return &contract.Error{Kind: contract.KindConflict, Message: fmt.Sprintf("the contract is %s and cannot be %s", current, action),
		Fields: []contract.FieldError{{Field: "status", Message: fmt.Sprintf("is %s", current)}}}
}

// transition returns a handler that moves a contract to status `to` from
// one of `from`; any other current status is a 409 naming it.
func (h *Handler) transition(to contract.Status, from ...contract.Status) httpapi.HandlerFunc {
	action := map[contract.Status]string{contract.StatusCanceled: "canceled", contract.StatusActive: "activated"}[to]
	return func(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		existing, err := h.findToChange(ctx, r)
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		var updated *contract.Contract // the service stamps it before storing it
		answer := httpapi.AnswerOnWrite(r.Claim, func() (events.APIGatewayV2HTTPResponse, error) {
			return h.respond(ctx, r.Actor.TenantID, updated, http.StatusOK, contract.Related{})
		})
		_, err = h.service.Update(ctx, r.Actor, r.Claim, existing.ID, func(c *contract.Contract) error {
			updated = c
			for _, s := range from {
				if c.Status == s {
					c.Status = to
					return nil
				}
			}
			return statusConflict(c.Status, action)
		})
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		return answer()
	}
}

func (h *Handler) createCustomer(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	var in customerRequest
	err := r.DecodeValid(&in, func() error {
		var custom error
		if !validCustomFields(in.CustomFields) {
			custom = invalid("customFields", "must be an object whose values are strings or arrays of strings")
		}
		return contract.JoinInvalid(h.validator.Struct(&in), custom)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	cu := &contract.Customer{ID: ids.UUID(), ExternalID: in.ExternalID, Name: in.Name, CustomFields: customFieldsOf(in.CustomFields)}
	answer := httpapi.AnswerOnWrite(r.Claim, func() (events.APIGatewayV2HTTPResponse, error) {
		return httpapi.JSON(http.StatusCreated, customerBodyOf(cu))
	})
	if err := h.service.CreateCustomer(ctx, r.Actor, r.Claim, h.store, cu); err != nil {
		return events.APIGatewayV2HTTPResponse{}, contract.RenameFields(err, map[string]string{"externalId": "externalId"})
	}
	return answer()
}

func (h *Handler) paymentAccounts(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	customerID, _ := r.Query("customerId")
	if customerID == "" {
		return events.APIGatewayV2HTTPResponse{}, invalid("customerId", "is required")
	}
	accounts, err := h.store.ListPaymentAccounts(ctx, r.Actor.TenantID, customerID)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	// Only an empty list needs the customer read, to tell a customer
	// without accounts from none at all (a 404).
	if len(accounts) == 0 {
		if _, err := h.store.GetCustomer(ctx, r.Actor.TenantID, customerID); err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
	}
	out := itemsBody{Items: make([]paymentAccountBody, len(accounts))}
	for i := range accounts {
		out.Items[i] = paymentAccountBodyOf(&accounts[i])
	}
	return httpapi.JSON(http.StatusOK, out)
}
