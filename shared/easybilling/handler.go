// Package easybilling is the EasyBilling dialect: contract actions
// (POST /api/contract-actions and its /payment-hub sandbox twin) that
// create contracts and change them through chains of immutable segments,
// plus read-back routes EasyBilling itself lacks.
//
// All the actions of one request are applied together, in one DynamoDB
// transaction with the request's action record (CA number), or not at
// all. Every request carries a trace-id, echoed on the response and
// generated when absent.
package easybilling

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/idempotency"
	"github.com/contracts-service/contracts/shared/validate"
)

// Route keys served by this dialect, as template.yaml declares them: each
// under /api, under the sandbox's /payment-hub/api, and under
// /billing/api: EasyBilling's documented hosts (sandbox and production
// alike) end in /billing, so a client that swaps only the host calls
// that. /billing answers with production's timestamp names (createdOn),
// as /api does; the sandbox's own names are served under /payment-hub.
const (
	RouteBillingActions     = "POST /billing/api/contract-actions"
	RouteBillingGetContract = "GET /billing/api/contracts/{contractNumber}"
	RouteBillingList        = "GET /billing/api/contracts"
	RouteBillingGetAction   = "GET /billing/api/contract-actions/{contractActionNumber}"

	RouteActions        = "POST /api/contract-actions"
	RouteHubActions     = "POST /payment-hub/api/contract-actions"
	RouteGetContract    = "GET /api/contracts/{contractNumber}"
	RouteHubGetContract = "GET /payment-hub/api/contracts/{contractNumber}"
	RouteListContracts  = "GET /api/contracts"
	RouteHubList        = "GET /payment-hub/api/contracts"
	RouteGetAction      = "GET /api/contract-actions/{contractActionNumber}"
	RouteHubGetAction   = "GET /payment-hub/api/contract-actions/{contractActionNumber}"
)

// Page sizes of the contract list.
const (
	defaultPageSize = 20
	maxPageSize     = 100
)

// maxRefLength bounds contractNumber and contractId.
const maxRefLength = 64

// Store is what the dialect needs from storage besides the Service.
type Store interface {
	contract.ActionStore
}

// Handler serves the EasyBilling routes.
type Handler struct {
	service   *contract.Service
	store     Store
	validator *validate.Validator
}

// NewHandler returns a Handler over service and store.
func NewHandler(service *contract.Service, store Store) *Handler {
	v := validate.New()
	v.RegisterPattern("eb_date", "must be a calendar date such as 2026-02-01", func(s string) bool {
		_, err := time.Parse(contract.DateLayout, s)
		return err == nil
	})
	v.RegisterPattern("eb_price", "must be a decimal of 0 or more, such as 49.90", func(s string) bool {
		f, err := strconv.ParseFloat(s, 64)
		return err == nil && f >= 0
	})
	return &Handler{service: service, store: store, validator: v}
}

// Register adds the dialect's routes to rt, whose answers then echo the
// trace-id.
func (h *Handler) Register(rt *httpapi.Router) {
	rt.EchoTraceID()
	rt.ServeErrorsAsJSON()
	rt.HandleVia(contract.APIEasyBilling, RouteActions, h.named(namedOn, h.actions))
	rt.HandleVia(contract.APIEasyBilling, RouteHubActions, h.named(namedAt, h.actions))
	rt.HandleVia(contract.APIEasyBilling, RouteGetContract, h.named(namedOn, h.getContract))
	rt.HandleVia(contract.APIEasyBilling, RouteHubGetContract, h.named(namedAt, h.getContract))
	rt.HandleVia(contract.APIEasyBilling, RouteListContracts, h.named(namedOn, h.listContracts))
	rt.HandleVia(contract.APIEasyBilling, RouteHubList, h.named(namedAt, h.listContracts))
	rt.HandleVia(contract.APIEasyBilling, RouteGetAction, h.named(namedOn, h.getAction))
	rt.HandleVia(contract.APIEasyBilling, RouteHubGetAction, h.named(namedAt, h.getAction))
	rt.HandleVia(contract.APIEasyBilling, RouteBillingActions, h.named(namedOn, h.actions))
	rt.HandleVia(contract.APIEasyBilling, RouteBillingGetContract, h.named(namedOn, h.getContract))
	rt.HandleVia(contract.APIEasyBilling, RouteBillingList, h.named(namedOn, h.listContracts))
	rt.HandleVia(contract.APIEasyBilling, RouteBillingGetAction, h.named(namedOn, h.getAction))
}

type handlerFunc func(ctx context.Context, r *httpapi.Request, n naming) (events.APIGatewayV2HTTPResponse, error)

// named binds a handler to its route's naming of timestamps. The router
// echoes the trace-id (Register asks it to), on errors and replays too.
func (h *Handler) named(n naming, next handlerFunc) httpapi.HandlerFunc {
	return func(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		return next(ctx, r, n)
	}
}

// prefixed returns err with its field names prefixed, so a refusal inside
// an action names the action and entry ("actions[1].switchPlan[0].").
func prefixed(err error, prefix string) error {
	var e *contract.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := &contract.Error{Kind: e.Kind, Code: e.Code, Message: e.Message, Err: e.Err}
	for _, f := range e.Fields {
		out.Fields = append(out.Fields, contract.FieldError{Field: prefix + f.Field, Message: f.Message})
	}
	return out
}

// checkShape checks what tags cannot: each action's type is known and
// only its own payload key holds entries, and each change names a
// contract.
func checkShape(in *actionsRequest) error {
	var fields []contract.FieldError
	for i, a := range in.Actions {
		key, known := payloadKeys[a.Type]
		if !known {
			fields = append(fields, contract.FieldError{Field: fmt.Sprintf("actions[%d].type", i),
				Message: "must be one of create-contract-with-plan, switch-plan, renew, early-renew, update-price, cancel"})
			continue
		}
		for k, n := range a.entries() {
			switch {
			case k == key && n == 0:
				fields = append(fields, contract.FieldError{Field: fmt.Sprintf("actions[%d].%s", i, k), Message: "must hold at least one entry for type " + a.Type})
			case k != key && n > 0:
				fields = append(fields, contract.FieldError{Field: fmt.Sprintf("actions[%d].%s", i, k), Message: "does not match type " + a.Type + " (its payload key is " + key + ")"})
			}
		}
		refs := map[string][]contractRef{}
		for _, e := range a.SwitchPlan {
			refs["switchPlan"] = append(refs["switchPlan"], e.contractRef)
		}
		for _, e := range a.Renew {
			refs["renew"] = append(refs["renew"], e.contractRef)
		}
		for _, e := range a.EarlyRenew {
			refs["earlyRenew"] = append(refs["earlyRenew"], e.contractRef)
		}
		for _, e := range a.UpdatePrice {
			refs["updatePrice"] = append(refs["updatePrice"], e.contractRef)
		}
		for _, e := range a.Cancel {
			refs["cancel"] = append(refs["cancel"], e.contractRef)
		}
		for k, list := range refs {
			for j, ref := range list {
				at := fmt.Sprintf("actions[%d].%s[%d].", i, k, j)
				switch {
				case (ref.ContractNumber == "") == (ref.ContractID == ""):
					fields = append(fields, contract.FieldError{Field: at + "contractNumber", Message: "send exactly one of contractNumber and contractId"})
				case len(ref.id()) > maxRefLength:
					fields = append(fields, contract.FieldError{Field: at + ref.field(), Message: fmt.Sprintf("must be at most %d characters", maxRefLength)})
				}
			}
		}
	}
	if len(fields) > 0 {
		return contract.Invalid(fields...)
	}
	return nil
}

// check refuses a request that breaks its tags or checkShape, naming every
// failing field of both at once.
func (h *Handler) check(in *actionsRequest) error {
	// One message per field: a missing type is both untagged and unknown.
	return contract.JoinInvalid(h.validator.Struct(in), checkShape(in))
}

func priceOf(n *json.Number) string {
	if n == nil {
		return ""
	}
	return n.String()
}

// actionsCall is what a contract-actions request decodes into and what
// applying it writes. Both outlive the stack (the decoder and the answer
// see them), so they share one allocation.
type actionsCall struct {
	in  actionsRequest
	out contract.Applied
}

func (h *Handler) actions(ctx context.Context, r *httpapi.Request, n naming) (events.APIGatewayV2HTTPResponse, error) {
	call := &actionsCall{}
	if err := r.DecodeValid(&call.in, func() error { return h.check(&call.in) }); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	answer := httpapi.AnswerOnWrite(r.Claim, func() (events.APIGatewayV2HTTPResponse, error) {
		return httpapi.JSON(http.StatusOK, actionBodyOf(call.out.Action, call.out.Contract, n, h.service.Clock()))
	})
	if err := h.apply(ctx, r.Actor, r.Claim, &call.in, requestBody(r), "", &call.out); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return answer()
}

// requestBody is the request as sent (already checked to be a JSON
// object), compacted, for the action record.
func requestBody(r *httpapi.Request) json.RawMessage {
	body := []byte(r.Event.Body)
	if r.Event.IsBase64Encoded {
		body, _ = base64.StdEncoding.DecodeString(r.Event.Body)
	}
	var out bytes.Buffer
	if err := json.Compact(&out, body); err != nil {
		return json.RawMessage("{}")
	}
	return out.Bytes()
}

// apply hands a checked request to the domain, which applies it, and
// names what it refuses as the request named it. Every path (HTTP, queue,
// bus, direct invocation) applies requests through it: an HTTP request
// with its Idempotency-Key's claim, a delivery with its dedupe key, each
// recorded in the request's own transaction.
func (h *Handler) apply(ctx context.Context, actor contract.Actor, claim *idempotency.Claim, in *actionsRequest, request json.RawMessage, dedupe string, out *contract.Applied) error {
	actor.Via = contract.APIEasyBilling // whichever path the request came by
	if err := h.resolveDerived(ctx, actor, in); err != nil {
		return err
	}
	req := domainRequest(in, request, dedupe)
	err := h.service.ApplyActions(ctx, actor, claim, h.store, req, out)
	var entries contract.EntryErrors
	if errors.As(err, &entries) {
		named := make([]error, len(entries))
		for i, entry := range entries {
			a := in.Actions[entry.Action]
			key := payloadKeys[a.Type]
			names := map[string]string{"contractNumber": a.refField(entry.Entry)}
			named[i] = prefixed(contract.RenameFields(entry.Err, names), fmt.Sprintf("actions[%d].%s[%d].", entry.Action, key, entry.Entry))
		}
		return contract.JoinUnprocessable(named...) // one of another kind (a 404) stands alone
	}
	return contract.RenameFields(err, storageFields)
}

// domainRequest is in in the domain's terms.
func domainRequest(in *actionsRequest, request json.RawMessage, dedupe string) *contract.ActionsRequest {
	req := &contract.ActionsRequest{Account: in.AccountNumber, Request: request, Dedupe: dedupe,
		Actions: make([]contract.ActionItem, len(in.Actions))}
	for i, a := range in.Actions {
		item := &req.Actions[i]
		item.Type = contract.ActionType(a.Type)
		switch item.Type {
		case contract.ActionCreate:
			for _, e := range a.CreateContractWithPlan {
				item.Entries = append(item.Entries, contract.ActionEntry{Terms: contract.Terms{PlanID: e.PlanID, Currencies: e.Currency,
					EffectiveDate: e.EffectiveDate, ExpirationDate: e.ExpirationDate, Price: priceOf(e.ContractPrice)}})
			}
		case contract.ActionSwitchPlan:
			for _, e := range a.SwitchPlan {
				item.Entries = append(item.Entries, contract.ActionEntry{Contract: e.id(),
					Terms: contract.Terms{PlanID: e.PlanID, Currencies: e.Currency, EffectiveDate: e.EffectiveDate}})
			}
		case contract.ActionRenew:
			for _, e := range a.Renew {
				item.Entries = append(item.Entries, contract.ActionEntry{Contract: e.id(),
					Terms: contract.Terms{EffectiveDate: e.EffectiveDate, ExpirationDate: e.ExpirationDate}})
			}
		case contract.ActionEarlyRenew:
			for _, e := range a.EarlyRenew {
				item.Entries = append(item.Entries, contract.ActionEntry{Contract: e.id(),
					Terms: contract.Terms{PlanID: e.PlanID, Currencies: e.Currency, EffectiveDate: e.EffectiveDate, ExpirationDate: e.ExpirationDate}})
			}
		case contract.ActionUpdatePrice:
			for _, e := range a.UpdatePrice {
				item.Entries = append(item.Entries, contract.ActionEntry{Contract: e.id(), SegmentID: e.ContractSegmentID,
					Terms: contract.Terms{PlanID: e.PlanID, Price: priceOf(e.ContractPrice), EffectiveDate: e.EffectiveDate}})
			}
		case contract.ActionCancel:
			for _, e := range a.Cancel {
				item.Entries = append(item.Entries, contract.ActionEntry{Contract: e.id(), Terms: contract.Terms{EffectiveDate: e.EffectiveDate}})
			}
		}
	}
	return req
}

// storageFields name, in a request's terms, what storage refuses as too
// large: the writes of its actions together, or a contract they make.
var storageFields = map[string]string{"request": "actions", "contract": "actions"}

func (h *Handler) getContract(ctx context.Context, r *httpapi.Request, n naming) (events.APIGatewayV2HTTPResponse, error) {
	c, err := h.find(ctx, r.Actor, r.PathParam("contractNumber"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return httpapi.JSON(http.StatusOK, infoOf(c, n, h.service.Clock()))
}

// find reads the contract ref names: by its number, the id its own API
// gave it, or the id derived for another API's contract (see ids.go),
// which is read by the number it carries and names only a contract whose
// id here it is: the derived form of an EasyBilling contract's number is
// not found.
func (h *Handler) find(ctx context.Context, actor contract.Actor, ref string) (*contract.Contract, error) {
	return derivedContractIDs.Find(ctx, contract.APIEasyBilling, ref, func(ctx context.Context, ref string) (*contract.Contract, error) {
		return h.service.Get(ctx, actor, ref)
	})
}

// resolveDerived rewrites, in in, each contractId (or contractNumber,
// which the domain reads as either) of the derived form that names
// another API's contract to that contract's number, so the domain refuses
// the action as one on another API's contract (409, naming the owner), as
// it does when the contract is named by number. A derived id that names
// none is left as it is, and is not found. Only a request that sends a
// derived id pays the read.
func (h *Handler) resolveDerived(ctx context.Context, actor contract.Actor, in *actionsRequest) error {
	resolve := func(ref *contractRef) error {
		sent := &ref.ContractID
		if ref.ContractNumber != "" {
			sent = &ref.ContractNumber
		}
		if !derivedContractIDs.Has(*sent) {
			return nil
		}
		c, err := h.find(ctx, actor, *sent)
		switch {
		case contract.KindOf(err) == contract.KindNotFound:
			return nil
		case err != nil:
			return err
		}
		*sent = c.Number
		return nil
	}
	for i := range in.Actions {
		a := &in.Actions[i]
		refs := make([]*contractRef, 0, len(a.SwitchPlan)+len(a.Renew)+len(a.EarlyRenew)+len(a.UpdatePrice)+len(a.Cancel))
		for j := range a.SwitchPlan {
			refs = append(refs, &a.SwitchPlan[j].contractRef)
		}
		for j := range a.Renew {
			refs = append(refs, &a.Renew[j].contractRef)
		}
		for j := range a.EarlyRenew {
			refs = append(refs, &a.EarlyRenew[j].contractRef)
		}
		for j := range a.UpdatePrice {
			refs = append(refs, &a.UpdatePrice[j].contractRef)
		}
		for j := range a.Cancel {
			refs = append(refs, &a.Cancel[j].contractRef)
		}
		for _, ref := range refs {
			if err := resolve(ref); err != nil {
				return err
			}
		}
	}
	return nil
}

func (h *Handler) listContracts(ctx context.Context, r *httpapi.Request, n naming) (events.APIGatewayV2HTTPResponse, error) {
	var fields []contract.FieldError
	account, _ := r.Query("accountNumber")
	if account == "" || len(account) > 64 {
		fields = append(fields, contract.FieldError{Field: "accountNumber", Message: "is required, 1 to 64 characters"})
	}
	size := defaultPageSize
	if v, ok := r.Query("pageSize"); ok {
		s, err := strconv.Atoi(v)
		if err != nil || s < 1 || s > maxPageSize {
			fields = append(fields, contract.FieldError{Field: "pageSize", Message: "must be an integer from 1 to " + strconv.Itoa(maxPageSize)})
		}
		size = s
	}
	var after string
	if v, ok := r.Query("cursor"); ok {
		a, err := contract.DecodeCursor("cursor", v)
		var e *contract.Error
		if errors.As(err, &e) {
			fields = append(fields, e.Fields...)
		}
		after = a
	}
	if len(fields) > 0 {
		return events.APIGatewayV2HTTPResponse{}, contract.Invalid(fields...)
	}
	page, err := h.service.List(ctx, r.Actor, contract.ListQuery{
		Party: contract.Party{Kind: contract.PartyAccount, ID: account}, Limit: size, After: after,
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	// Large contracts may not all fit in one answer: a page then shows
	// as many as fit, and its cursor goes on after the last one shown.
	body := pageOf(page, size, n, h.service.Clock())
	resp, _, err := httpapi.JSONPage(http.StatusOK, len(body.Items), func(k int) any {
		if k == len(body.Items) {
			return body
		}
		return body.cut(k, page.Contracts[k-1].Number)
	})
	return resp, err
}

func (h *Handler) getAction(ctx context.Context, r *httpapi.Request, n naming) (events.APIGatewayV2HTTPResponse, error) {
	a, err := h.store.GetAction(ctx, r.Actor.TenantID, r.PathParam("contractActionNumber"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return httpapi.JSON(http.StatusOK, actionBodyOf(a, nil, n, time.Time{}))
}
