// Package kukkingu is the Kukkingu contracting dialect: its wire format
// for contracts (/api/v1/contracts), decoded into and encoded from the one
// contract model.
//
// Every request must name its tenant in the tenant-id header (the tenant's
// id or one of its aliases); the tenant itself always comes from the
// credential. Success bodies are wrapped in {"data": ...}.
package kukkingu

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/ids"
	"github.com/contracts-service/contracts/shared/validate"
)

// Route keys served by this dialect, as template.yaml declares them.
const (
	RouteCreate = "POST /api/v1/contracts"
	RouteList   = "GET /api/v1/contracts"
	RouteGet    = "GET /api/v1/contracts/{contractId}"
	RoutePatch  = "PATCH /api/v1/contracts/{contractId}"
	RouteDelete = "DELETE /api/v1/contracts/{contractId}"
)

// List page sizes: Kukkingu documents no pagination; ours is bounded so a
// page is always one DynamoDB query of bounded size.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// idPrefix and idLength make Kukkingu's contract ids: "ctr_" and 24
// lowercase alphanumerics.
const (
	idPrefix = "ctr_"
	idLength = 24
)

// Handler serves the Kukkingu routes over a contract Service.
type Handler struct {
	service   *contract.Service
	validator *validate.Validator
}

// NewHandler returns a Handler over service.
func NewHandler(service *contract.Service) *Handler {
	v := validate.New()
	v.RegisterPattern("kukkingu_datetime", "must be a UTC date-time such as 2023-10-05T14:48:00.000Z (a real calendar date, trailing Z)", validDateTime)
	return &Handler{service: service, validator: v}
}

// Register adds the dialect's routes to rt.
func (h *Handler) Register(rt *httpapi.Router) {
	rt.HandleVia(contract.APIKukkingu, RouteCreate, h.create)
	rt.HandleVia(contract.APIKukkingu, RouteList, h.list)
	rt.HandleVia(contract.APIKukkingu, RouteGet, h.get)
	rt.HandleVia(contract.APIKukkingu, RoutePatch, h.patch)
	rt.HandleVia(contract.APIKukkingu, RouteDelete, h.delete)
}

// checkTenantHeader enforces Kukkingu's required tenant-id header: absent
// is a 400 naming it, naming another tenant than the credential's a 403.
func checkTenantHeader(r *httpapi.Request) error {
	name := r.Header("tenant-id")
	if name == "" {
		return contract.Invalid(contract.FieldError{Field: "tenant-id", Message: "header is required"})
	}
	if !r.NamesTenant(name) {
		return contract.Errorf(contract.KindForbidden, "the tenant-id header names a tenant this credential does not belong to")
	}
	return nil
}

func (h *Handler) create(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	// A missing tenant-id is named beside the body's failing fields; a
	// tenant-id naming another tenant stands alone (a 403).
	header := checkTenantHeader(r)
	if contract.KindOf(header) == contract.KindForbidden {
		return events.APIGatewayV2HTTPResponse{}, header
	}
	var in contractFields
	if err := contract.JoinInvalid(header, r.DecodeValid(&in, func() error { return h.validator.Struct(&in) })); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	c := &contract.Contract{ID: newID(func() string { return ids.LowerAlnum(idPrefix, idLength) }), Status: contract.StatusActive}
	if err := in.apply(c); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	answer := httpapi.AnswerOnWrite(r.Claim, func() (events.APIGatewayV2HTTPResponse, error) {
		resp, err := httpapi.JSON(http.StatusCreated, dataEnvelope{Data: bodyOf(c, h.today())})
		if err == nil {
			// Where the create was sent, so the stage or a custom
			// domain's base path stays in it.
			resp.Headers["Location"] = r.RawPath() + "/" + c.ID
		}
		return resp, err
	})
	if err := h.service.Create(ctx, r.Actor, r.Claim, c, contract.CreateOptions{}); err != nil {
		return events.APIGatewayV2HTTPResponse{}, contract.RenameFields(err, domainFieldNames)
	}
	return answer()
}

func (h *Handler) get(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	if err := checkTenantHeader(r); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	c, err := h.find(ctx, r.Actor, r.PathParam("contractId"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return httpapi.JSON(http.StatusOK, dataEnvelope{Data: bodyOf(c, h.today())})
}

// today is the day contracts are read on (their currency, see bodiesOf).
func (h *Handler) today() string { return contract.Today(h.service.Clock()) }

// find reads the contract a path names: by its Kukkingu id, its number,
// or the id another API gave it. A derived id (see derivedIDs) is read by the
// number it carries, and names only a contract whose Kukkingu id it is:
// a Kukkingu contract is found by its own id, never by a derived one.
func (h *Handler) find(ctx context.Context, actor contract.Actor, id string) (*contract.Contract, error) {
	return derivedIDs.Find(ctx, contract.APIKukkingu, id, func(ctx context.Context, ref string) (*contract.Contract, error) {
		return h.service.Get(ctx, actor, ref)
	})
}

// target is what a write hands the service to find the contract a path
// names: the path's id, or for a derived id the number of the contract
// it names (another API's, so the write is refused as one: see
// contract.Contract.ChangeableVia).
func (h *Handler) target(ctx context.Context, actor contract.Actor, id string) (string, error) {
	if !derivedIDs.Has(id) {
		return id, nil
	}
	c, err := h.find(ctx, actor, id)
	if err != nil {
		return "", err
	}
	return c.Number, nil
}

func (h *Handler) list(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	if err := checkTenantHeader(r); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	q := contract.ListQuery{Limit: defaultLimit}
	var fields []contract.FieldError
	if v, ok := r.Query("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			fields = append(fields, contract.FieldError{Field: "limit", Message: "must be an integer from 1 to " + strconv.Itoa(maxLimit)})
		}
		q.Limit = n
	}
	if v, ok := r.Query("clientId"); ok {
		if v == "" || len(v) > 255 {
			fields = append(fields, contract.FieldError{Field: "clientId", Message: "must be 1 to 255 characters"})
		}
		q.Party = contract.Party{Kind: contract.PartyClient, ID: v}
	}
	if v, ok := r.Query("cursor"); ok {
		after, err := contract.DecodeCursor("cursor", v)
		if err != nil {
			var e *contract.Error
			if errors.As(err, &e) {
				fields = append(fields, e.Fields...)
			}
		}
		q.After = after
	}
	if len(fields) > 0 {
		return events.APIGatewayV2HTTPResponse{}, contract.Invalid(fields...)
	}
	page, err := h.service.List(ctx, r.Actor, q)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	data := bodiesOf(len(page.Contracts), func(i int) *contract.Contract { return &page.Contracts[i] }, h.today())
	// Large contracts may not all fit in one answer: a page then shows
	// as many as fit, and its cursor goes on after the last one shown.
	resp, _, err := httpapi.JSONPage(http.StatusOK, len(data), func(n int) any {
		out := listBody{Data: data[:n]}
		next := page.Next
		if n < len(data) {
			next = page.Contracts[n-1].Number
		}
		if next != "" {
			cursor := contract.EncodeCursor(next)
			out.NextCursor = &cursor
		}
		return out
	})
	return resp, err
}

// patch applies a JSON merge patch (RFC 7396) of the writable fields: a
// field sent replaces the stored value, null clears an optional one, and
// the result must pass the same rules as a create.
func (h *Handler) patch(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	if err := checkTenantHeader(r); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var patch map[string]json.RawMessage
	if err := r.DecodeJSON(&patch); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	id, err := h.target(ctx, r.Actor, r.PathParam("contractId"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var updated *contract.Contract // the service stamps it before storing it
	answer := httpapi.AnswerOnWrite(r.Claim, func() (events.APIGatewayV2HTTPResponse, error) {
		return httpapi.JSON(http.StatusOK, dataEnvelope{Data: bodyOf(updated, h.today())})
	})
	_, err = h.service.Update(ctx, r.Actor, r.Claim, id, func(c *contract.Contract) error {
		updated = c
		var f contractFields
		if err := httpapi.MergePatch(fieldsOf(c), patch, &f); err != nil {
			return err
		}
		// The rules hold for what the patch sent; what is stored stays as
		// it was accepted.
		if err := httpapi.PatchedOnly(h.validator.Struct(&f), patch); err != nil {
			return err
		}
		return f.apply(c)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, contract.RenameFields(err, domainFieldNames)
	}
	return answer()
}

func (h *Handler) delete(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	if err := checkTenantHeader(r); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	id, err := h.target(ctx, r.Actor, r.PathParam("contractId"))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	answer := httpapi.AnswerOnWrite(r.Claim, func() (events.APIGatewayV2HTTPResponse, error) { return httpapi.NoContent(), nil })
	if err := h.service.Delete(ctx, r.Actor, r.Claim, id); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return answer()
}
