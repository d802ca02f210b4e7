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
	"maps"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/ids"
	"github.com/contracts-service/contracts/shared/metrics"
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

// maxAttempts bounds how often a request is re-applied after losing a race
// with another writer of one of its contracts.
const maxAttempts = 5

// Store is what the dialect needs from storage besides the Service.
type Store interface {
	contract.ActionStore
	contract.Catalog
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

// planIDs lists the plans a request names, to load them in one read.
func planIDs(in *actionsRequest) []string {
	var out []string
	for _, a := range in.Actions {
		for _, e := range a.CreateContractWithPlan {
			out = append(out, e.PlanID)
		}
		for _, e := range a.SwitchPlan {
			out = append(out, e.PlanID)
		}
		for _, e := range a.EarlyRenew {
			if e.PlanID != "" {
				out = append(out, e.PlanID)
			}
		}
	}
	return out
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
	out outcome
}

func (h *Handler) actions(ctx context.Context, r *httpapi.Request, n naming) (events.APIGatewayV2HTTPResponse, error) {
	call := &actionsCall{}
	if err := r.DecodeValid(&call.in, func() error { return h.check(&call.in) }); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	answer := httpapi.AnswerOnWrite(ctx, func() (events.APIGatewayV2HTTPResponse, error) {
		return httpapi.JSON(http.StatusOK, actionBodyOf(call.out.action, call.out.last, n, h.service.Clock()))
	})
	if err := h.apply(ctx, r.Actor, &call.in, requestBody(r), "", &call.out); err != nil {
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

// outcome is what a request's actions write: the action record, and the
// contract of its last action, which contractInfo shows.
type outcome struct {
	action *contract.Action
	last   *contract.Contract
}

// apply applies every action of the request and stores the result with the
// action record, in one transaction; a lost race re-reads the contracts
// and re-applies, a bounded number of times. It fills in out before each
// write, so that the answer can be rendered with the write.
func (h *Handler) apply(ctx context.Context, actor contract.Actor, in *actionsRequest, request json.RawMessage, dedupe string, out *outcome) error {
	plans, err := h.store.GetPlans(ctx, actor.TenantID, planIDs(in))
	if err != nil {
		return err
	}
	actor.Via = contract.APIEasyBilling // whichever path the request came by
	account := contract.Party{Kind: contract.PartyAccount, ID: in.AccountNumber}
	// New contracts keep their ids and numbers across attempts: a retry
	// must not burn numbers.
	newContracts := map[int]madeContract{}
	var actionNumber string
	for attempt := 1; ; attempt++ {
		now := h.service.Clock()
		ch := &contract.Change{Now: now, Actor: actor, Plans: plans, NewID: ids.UUID}
		loaded := map[string]*contract.Contract{}
		var created, changed []*contract.Contract
		var createdBy []int
		var segmentIDs []string
		var last *contract.Contract
		for i, a := range in.Actions {
			var touched *contract.Contract
			var err error
			if a.Type == "create-contract-with-plan" {
				touched, err = h.create(ctx, ch, actor, account, a.CreateContractWithPlan, i, newContracts)
				if err == nil {
					created, createdBy = append(created, touched), append(createdBy, i)
				}
			} else {
				touched, err = h.change(ctx, ch, actor, account, a, i, loaded)
			}
			if err != nil {
				return err
			}
			last = touched
		}
		// Numbers are drawn once every action has applied and storage has
		// said it can hold the result, so a refused request draws none; a
		// retry keeps those it drew. Until then, placeholders of the same
		// width stand in for them.
		for k, c := range created {
			c.Number = newContracts[createdBy[k]].number
			if c.Number == "" {
				c.Number = contract.FormatNumber(0)
			}
		}
		for _, c := range loaded {
			c.Version++
			c.UpdatedAt, c.UpdatedBy = now, actor.CredentialID
			changed = append(changed, c)
		}
		// The segments this request wrote are those stamped with its time:
		// segments are immutable, and earlier ones carry earlier times.
		for _, list := range [...][]*contract.Contract{created, changed} {
			for _, c := range list {
				for j := range c.Segments {
					if s := &c.Segments[j]; s.CreatedAt.Equal(now) {
						segmentIDs = append(segmentIDs, s.ID)
					}
				}
			}
		}
		action := &contract.Action{
			TenantID: actor.TenantID, ID: ids.UUID(), Number: actionNumber,
			AccountNumber: in.AccountNumber, ContractID: last.ID, Type: in.Actions[len(in.Actions)-1].Type,
			Request: request, SegmentIDs: segmentIDs, Status: contract.StatusActive,
			CreatedAt: now, UpdatedAt: now, CreatedBy: actor.CredentialID, UpdatedBy: actor.CredentialID,
		}
		if action.SegmentIDs == nil {
			action.SegmentIDs = []string{}
		}
		if action.Number == "" {
			action.Number = contract.FormatActionNumber(0)
		}
		out.action, out.last = action, last
		if err := h.store.CheckActions(ctx, action, created, changed, dedupe); err != nil {
			return contract.RenameFields(err, storageFields)
		}
		for k, c := range created {
			made := newContracts[createdBy[k]]
			if made.number == "" {
				n, err := h.service.Store.NextContractNumber(ctx, actor.TenantID)
				if err != nil {
					return err
				}
				made.number = contract.FormatNumber(n)
				newContracts[createdBy[k]] = made
			}
			c.Number = made.number
		}
		// A lost race wrote nothing, so the retry keeps the number.
		if actionNumber == "" {
			n, err := h.store.NextActionNumber(ctx, actor.TenantID)
			if err != nil {
				return err
			}
			actionNumber = contract.FormatActionNumber(n)
		}
		action.Number = actionNumber
		err = h.store.ApplyActions(ctx, action, created, changed, dedupe)
		if errors.Is(err, contract.ErrVersionConflict) && attempt < maxAttempts {
			metrics.VersionConflictRetry(ctx)
			continue
		}
		return contract.RenameFields(err, storageFields)
	}
}

// storageFields name, in a request's terms, what storage refuses as too
// large: the writes of its actions together, or a contract they make.
var storageFields = map[string]string{"request": "actions", "contract": "actions"}

// madeContract is the id and, once drawn, the number of a contract a
// create action makes, kept across attempts.
type madeContract struct {
	id, number string
}

// maxCreateEntries is the most entries a create-contract-with-plan action
// holds (its validate tag says so), whose terms termsOf can keep on the
// stack.
const maxCreateEntries = 12

// termsOf maps the entries of a create-contract-with-plan action to the
// terms of the new contract's segments, into dst when it has room.
func termsOf(dst []contract.Terms, entries []createEntry) []contract.Terms {
	if len(entries) > cap(dst) {
		dst = make([]contract.Terms, 0, len(entries))
	}
	dst = dst[:len(entries)]
	for j, e := range entries {
		dst[j] = contract.Terms{PlanID: e.PlanID, Currencies: e.Currency, EffectiveDate: e.EffectiveDate, ExpirationDate: e.ExpirationDate, Price: priceOf(e.ContractPrice)}
	}
	return dst
}

// create makes the contract of a create-contract-with-plan action, its
// entries becoming its segments.
func (h *Handler) create(ctx context.Context, ch *contract.Change, actor contract.Actor, account contract.Party, entries []createEntry, i int, made map[int]madeContract) (*contract.Contract, error) {
	c, ok := made[i]
	if !ok {
		c = madeContract{id: ids.UUID()}
		made[i] = c
	}
	fresh := &contract.Contract{
		TenantID: actor.TenantID, Number: c.number, ID: c.id, Party: account, Status: contract.StatusActive, Version: 1,
		CreatedAt: ch.Now, UpdatedAt: ch.Now, CreatedBy: actor.CredentialID, UpdatedBy: actor.CredentialID,
	}
	var room [maxCreateEntries]contract.Terms
	terms := termsOf(room[:0], entries)
	if j, err := ch.Start(fresh, terms); err != nil {
		return nil, prefixed(err, fmt.Sprintf("actions[%d].createContractWithPlan[%d].", i, j))
	}
	if err := fresh.Validate(); err != nil {
		return nil, err
	}
	return fresh, nil
}

// change applies a change action's entries to the contracts they name,
// loading each contract once per attempt.
func (h *Handler) change(ctx context.Context, ch *contract.Change, actor contract.Actor, account contract.Party, a actionEntry, i int, loaded map[string]*contract.Contract) (*contract.Contract, error) {
	key := payloadKeys[a.Type]
	get := func(j int, ref contractRef) (*contract.Contract, error) {
		for _, c := range loaded {
			if c.Number == ref.id() || c.ID == ref.id() {
				return c, nil
			}
		}
		c, err := h.service.Get(ctx, actor, ref.id())
		if err == nil {
			// Another API's contract is refused for what it is (409,
			// naming its owner); another account's is not this account's
			// to see.
			var owned *contract.Error
			if errors.As(c.ChangeableVia(contract.APIEasyBilling), &owned) {
				owned.Fields = []contract.FieldError{{Field: fmt.Sprintf("actions[%d].%s[%d].%s", i, key, j, ref.field()),
					Message: "names a contract of the " + string(c.Owner()) + " API"}}
				return nil, owned
			}
		}
		if contract.KindOf(err) == contract.KindNotFound || (err == nil && c.Party != account) {
			return nil, &contract.Error{Kind: contract.KindNotFound, Message: fmt.Sprintf("contract %q not found for account %s", ref.id(), account.ID),
				Fields: []contract.FieldError{{Field: fmt.Sprintf("actions[%d].%s[%d].%s", i, key, j, ref.field()), Message: "is not a contract of this account"}}}
		}
		if err != nil {
			return nil, err
		}
		// Renew, update-price and early-renew carry the current plan
		// over without naming it; the rules need it from the catalog.
		if n := len(c.Segments); n > 0 {
			if plan := c.Segments[n-1].PlanID; ch.Plans[plan].ID == "" {
				more, err := h.store.GetPlans(ctx, actor.TenantID, []string{plan})
				if err != nil {
					return nil, err
				}
				maps.Copy(ch.Plans, more)
			}
		}
		loaded[c.Number] = c
		return c, nil
	}
	var last *contract.Contract
	apply := func(j int, ref contractRef, fn func(c *contract.Contract) error) error {
		c, err := get(j, ref)
		if err != nil {
			return err
		}
		if err := fn(c); err != nil {
			err = contract.RenameFields(err, map[string]string{"contractNumber": ref.field()})
			return prefixed(err, fmt.Sprintf("actions[%d].%s[%d].", i, key, j))
		}
		last = c
		return nil
	}
	var err error
	switch a.Type {
	case "switch-plan":
		for j, e := range a.SwitchPlan {
			if err = apply(j, e.contractRef, func(c *contract.Contract) error {
				return ch.SwitchPlan(c, contract.Terms{PlanID: e.PlanID, Currencies: e.Currency, EffectiveDate: e.EffectiveDate})
			}); err != nil {
				break
			}
		}
	case "renew":
		for j, e := range a.Renew {
			if err = apply(j, e.contractRef, func(c *contract.Contract) error {
				return ch.Renew(c, e.EffectiveDate, e.ExpirationDate)
			}); err != nil {
				break
			}
		}
	case "early-renew":
		for j, e := range a.EarlyRenew {
			if err = apply(j, e.contractRef, func(c *contract.Contract) error {
				return ch.EarlyRenew(c, contract.Terms{PlanID: e.PlanID, Currencies: e.Currency, EffectiveDate: e.EffectiveDate, ExpirationDate: e.ExpirationDate})
			}); err != nil {
				break
			}
		}
	case "update-price":
		for j, e := range a.UpdatePrice {
			if err = apply(j, e.contractRef, func(c *contract.Contract) error {
				if e.PlanID != "" && len(c.Segments) > 0 && c.Segments[len(c.Segments)-1].PlanID != e.PlanID {
					return &contract.Error{Kind: contract.KindUnprocessable, Message: "the action cannot be applied",
						Fields: []contract.FieldError{{Field: "planId", Message: "is not the plan of the current segment"}}}
				}
				return ch.UpdatePrice(c, e.ContractSegmentID, priceOf(e.ContractPrice), e.EffectiveDate)
			}); err != nil {
				break
			}
		}
	case "cancel":
		for j, e := range a.Cancel {
			if err = apply(j, e.contractRef, func(c *contract.Contract) error {
				return ch.Cancel(c, e.EffectiveDate)
			}); err != nil {
				break
			}
		}
	}
	return last, err
}

func (h *Handler) getContract(ctx context.Context, r *httpapi.Request, n naming) (events.APIGatewayV2HTTPResponse, error) {
	c, err := h.service.Get(ctx, r.Actor, r.PathParam("contractNumber"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return httpapi.JSON(http.StatusOK, infoOf(c, n, h.service.Clock()))
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
