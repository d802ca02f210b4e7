// Package fabric is the fabric organization contracts dialect: full CRUD
// with search under /v1/organizations/{organizationId}/contracts, decoded
// into and encoded from the one contract model.
//
// The organization is the contract's party: every read and write is scoped
// to it, so a contract of organization A is not found under organization
// B. Every request carries an x-site-context header whose account must be
// one of the tenant's identifiers. Deletes are soft: a deleted contract
// keeps its contractId and is found again with includeDeleted=true.
package fabric

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/idempotency"
	"github.com/contracts-service/contracts/shared/ids"
	"github.com/contracts-service/contracts/shared/strictjson"
	"github.com/contracts-service/contracts/shared/validate"
)

// Route keys served by this dialect, as template.yaml declares them.
const (
	RouteCreate = "POST /v1/organizations/{organizationId}/contracts"
	RouteList   = "GET /v1/organizations/{organizationId}/contracts"
	RouteGet    = "GET /v1/organizations/{organizationId}/contracts/{contractId}"
	RouteUpdate = "PUT /v1/organizations/{organizationId}/contracts/{contractId}"
	RouteDelete = "DELETE /v1/organizations/{organizationId}/contracts/{contractId}"
	// RouteResurrect un-deletes a soft-deleted contract, as fabric's
	// published API collection has it.
	RouteResurrect = "POST /v1/organizations/{organizationId}/contracts/{contractId}/resurrect"
)

// BasePaths are where fabric's routes are served: as declared above, and
// under /data-customer, the base path of fabric's customer API, which a
// client that swaps only the host calls.
var BasePaths = []string{"", "/data-customer"}

// Routes are the route keys of every route the dialect serves, under
// every base path, as template.yaml declares them.
func Routes() []string {
	var keys []string
	for _, base := range BasePaths {
		for _, key := range []string{RouteCreate, RouteList, RouteGet, RouteUpdate, RouteDelete, RouteResurrect} {
			keys = append(keys, underBase(base, key))
		}
	}
	return keys
}

// underBase is a route key with base inserted before its path.
func underBase(base, routeKey string) string {
	method, path, _ := strings.Cut(routeKey, " ")
	return method + " " + base + path
}

const ()

// internalIDLength is the length of the _id fabric hands out: 24
// lowercase hex digits, like a MongoDB ObjectId.
const internalIDLength = 24

// isInternalID reports whether id has the shape of an _id. (A regexp's
// counted repetition would cost every cold start its compilation.)
func isInternalID(id string) bool {
	if len(id) != internalIDLength {
		return false
	}
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// maxOrganizationID bounds the path's organizationId, which becomes part
// of storage keys.
const maxOrganizationID = 255

// Handler serves the fabric routes over a contract Service, listing
// through an OrderedStore.
type Handler struct {
	service   *contract.Service
	lister    contract.OrderedStore
	validator *validate.Validator
}

// NewHandler returns a Handler over service that lists through lister.
func NewHandler(service *contract.Service, lister contract.OrderedStore) *Handler {
	v := validate.New()
	v.RegisterPattern("fabric_datetime", dateTimeMessage, validDateTime)
	// A contractId shaped like an _id would make a path name two
	// contracts (find tries the _id first): such ids are fabric's own.
	v.RegisterPattern("fabric_not_internal_id", "must not be 24 lowercase hex digits, the shape of an _id", func(s string) bool { return !isInternalID(s) })
	return &Handler{service: service, lister: lister, validator: v}
}

// Register adds the dialect's routes to rt.
func (h *Handler) Register(rt *httpapi.Router) {
	for _, base := range BasePaths {
		rt.HandleVia(contract.APIFabric, underBase(base, RouteCreate), h.create)
		rt.HandleVia(contract.APIFabric, underBase(base, RouteList), h.list)
		rt.HandleVia(contract.APIFabric, underBase(base, RouteGet), h.get)
		rt.HandleVia(contract.APIFabric, underBase(base, RouteUpdate), h.update)
		rt.HandleVia(contract.APIFabric, underBase(base, RouteDelete), h.delete)
		rt.HandleVia(contract.APIFabric, underBase(base, RouteResurrect), h.resurrect)
	}
}

// scope is what every fabric request is about: the organization of its
// path and the account of its x-site-context.
type scope struct {
	party   contract.Party
	account string
}

// scopeOf checks the organization and the x-site-context header.
func scopeOf(r *httpapi.Request) (scope, error) {
	org := r.PathParam("organizationId")
	if org == "" || len(org) > maxOrganizationID {
		return scope{}, contract.Invalid(contract.FieldError{Field: "organizationId", Message: "must be 1 to 255 characters"})
	}
	account, err := siteAccount(r.Header("x-site-context"))
	if err != nil {
		return scope{}, err
	}
	if !r.NamesTenant(account) {
		return scope{}, contract.Errorf(contract.KindForbidden, "the x-site-context account is not an account of this credential's tenant")
	}
	return scope{party: contract.Party{Kind: contract.PartyOrganization, ID: org}, account: account}, nil
}

// siteAccount reads the account out of an x-site-context header: a JSON
// object with a mandatory 24-character account and optional channel,
// stage and date, which do not change what the service does.
func siteAccount(header string) (string, error) {
	if last := lastSite.Load(); last != nil && last.header == header {
		return last.account, nil
	}
	account, err := readSiteAccount(header)
	if err == nil {
		lastSite.Store(&siteEntry{header: header, account: account})
	}
	return account, err
}

// siteEntry is a header siteAccount read, and its account.
type siteEntry struct{ header, account string }

// lastSite is the last header siteAccount read successfully. A client
// sends the same x-site-context with every request, and reading it
// strictly costs a fifth of a create's allocations, so a warm function
// reads each client's header once. (The reading depends on the header
// alone, so remembering it changes no answer.)
var lastSite atomic.Pointer[siteEntry]

// readSiteAccount is siteAccount without the memory of the last header.
func readSiteAccount(header string) (string, error) {
	field := func(msg string) error {
		return contract.Invalid(contract.FieldError{Field: "x-site-context", Message: msg})
	}
	if header == "" {
		return "", field("header is required: a JSON object with the 24-character account")
	}
	// Read strictly: encoding/json alone would take "ACCOUNT" for account
	// and the last of two accounts.
	var ctx map[string]json.RawMessage
	if err := strictjson.Decode([]byte(header), &ctx); err != nil || ctx == nil {
		return "", field("header must be a JSON object, such as {\"account\": \"<24 characters>\"}")
	}
	raw, ok := ctx["account"]
	if !ok || string(raw) == "null" {
		return "", field("header has no account")
	}
	var account string
	if err := json.Unmarshal(raw, &account); err != nil || len(account) != 24 {
		return "", field("account must be a string of 24 characters")
	}
	return account, nil
}

// find returns the organization's contract named by id, which is either
// its _id or its contractId.
func (h *Handler) find(ctx context.Context, r *httpapi.Request, s scope, id string, includeDeleted bool) (*contract.Contract, error) {
	if isInternalID(id) {
		c, err := h.service.Find(ctx, r.Actor, id, includeDeleted)
		if err == nil && c.Party == s.party {
			return c, nil
		}
		if err != nil && contract.KindOf(err) != contract.KindNotFound {
			return nil, err
		}
	}
	c, err := h.service.GetByReference(ctx, r.Actor, s.party, id, includeDeleted)
	if contract.KindOf(err) == contract.KindNotFound {
		return nil, contract.NotFound(id)
	}
	return c, err
}

func (h *Handler) create(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	s, err := scopeOf(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var in contractFields
	if err := r.DecodeValid(&in, func() error {
		return contract.JoinInvalid(h.validate(&in), strictjson.CheckSafeIntegers("additionalAttributes", in.AdditionalAttributes))
	}); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	c := &contract.Contract{ID: ids.Hex(12), Party: s.party, AccountID: s.account}
	if in.ContractID != nil {
		c.Reference = *in.ContractID
	}
	if err := in.apply(c, h.service.Clock(), func() string { return ids.Hex(12) }); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var opts contract.CreateOptions
	if c.Reference == "" {
		opts.Numbered = func(c *contract.Contract) { c.Reference = generatedContractID(c.Number) }
	}
	// fabric answers a create with 200, not 201.
	answer := httpapi.AnswerOnWrite(r.Claim, func() (events.APIGatewayV2HTTPResponse, error) {
		return httpapi.JSON(http.StatusOK, bodyOf(c))
	})
	if err := h.service.Create(ctx, r.Actor, r.Claim, c, opts); err != nil {
		return events.APIGatewayV2HTTPResponse{}, contractIDTaken(contract.RenameFields(err, domainFieldNames))
	}
	return answer()
}

// contractIDTaken answers a contractId the organization already has as
// fabric documents it: a 400 ("contract id already exists"), where the
// service's other APIs answer a taken value with 409.
func contractIDTaken(err error) error {
	var e *contract.Error
	if !errors.As(err, &e) || e.Kind != contract.KindConflict || len(e.Fields) != 1 || e.Fields[0].Field != "contractId" {
		return err
	}
	return &contract.Error{Kind: contract.KindInvalid, Code: "CONTRACT_ID_TAKEN", Message: "contract id already exists",
		Fields: e.Fields, Err: e.Err}
}

// validate applies the shape rules and the null rule for the free-form
// attributes, which must be an object when present.
func (h *Handler) validate(f *contractFields) error {
	var attributes error
	if a := f.AdditionalAttributes; len(a) > 0 && string(a) != "null" && a[0] != '{' {
		attributes = contract.Invalid(contract.FieldError{Field: "additionalAttributes", Message: "must be a JSON object"})
	}
	return contract.JoinInvalid(h.validator.Struct(f), attributes)
}

func (h *Handler) get(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	s, err := scopeOf(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	includeDeleted, err := boolParam(r, "includeDeleted")
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	c, err := h.find(ctx, r, s, r.PathParam("contractId"), includeDeleted)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return httpapi.JSON(http.StatusOK, bodyOf(c))
}

// update is a partial update: the fields sent replace the stored ones
// (null clears contractType, priceListId or additionalAttributes), and the
// result must pass the rules of a create, dates checked together.
func (h *Handler) update(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	s, err := scopeOf(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var patch map[string]json.RawMessage
	if err := r.DecodeJSON(&patch); err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var fields []contract.FieldError
	// Unknown keys are named as strictjson.Decode names them: an empty key or
	// one with punctuation quoted, a long one cut, twenty at most.
	if err := strictjson.CheckKeys(patch, contractFields{}); err != nil {
		var e *contract.Error
		if !errors.As(err, &e) {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		fields = append(fields, e.Fields...)
	}
	for k := range patch {
		switch {
		case k == "contractId":
			// Checked against the contract: a client sending back the
			// contract it read sends its contractId unchanged.
		case !updatable[k]:
			// named by strictjson.CheckKeys
		case string(patch[k]) == "null" && !clearable[k]:
			fields = append(fields, contract.FieldError{Field: k, Message: "cannot be null"})
		}
	}
	if len(fields) > 0 {
		return events.APIGatewayV2HTTPResponse{}, contract.Invalid(fields...)
	}
	resp, err := h.change(ctx, r, s, func(c *contract.Contract) error {
		var kept error
		if raw, ok := patch["contractId"]; ok {
			var id *string
			if json.Unmarshal(raw, &id) != nil || id == nil || *id != c.Reference {
				kept = contract.Invalid(contract.FieldError{Field: "contractId", Message: "cannot be changed"})
			}
		}
		unchanged := maps.Clone(patch)
		delete(unchanged, "contractId")
		var f contractFields
		if err := httpapi.MergePatch(fieldsOf(c), unchanged, &f); err != nil {
			return contract.JoinInvalid(kept, err)
		}
		// The rules hold for what the patch sent; what is stored stays as
		// it was accepted.
		err := httpapi.PatchedOnly(h.validate(&f), patch)
		if _, sent := patch["additionalAttributes"]; sent {
			err = contract.JoinInvalid(err, strictjson.CheckSafeIntegers("additionalAttributes", f.AdditionalAttributes))
		}
		if err == nil {
			err = f.apply(c, h.service.Clock(), func() string { return ids.Hex(12) })
		}
		return contract.JoinInvalid(kept, err) // a refusal writes nothing
	})
	return resp, contract.RenameFields(err, domainFieldNames)
}

// delete is a soft delete: it answers the record with isDeleted true, and
// its contractId stays taken.
func (h *Handler) delete(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	s, err := scopeOf(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return h.change(ctx, r, s, func(c *contract.Contract) error {
		at := h.service.Clock()
		c.DeletedAt = &at
		return nil
	})
}

// resurrect un-deletes the organization's soft-deleted contract and
// answers it, as fabric does: 200 with the record; 303 (See Other, to the
// contract) when it is not deleted; 404 when the organization has no such
// contract, deleted or not.
func (h *Handler) resurrect(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	s, err := scopeOf(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	resp, err := h.write(ctx, r, s, true, h.service.Undelete, func(*contract.Contract) error { return nil })
	if errors.Is(err, contract.ErrNotDeleted) {
		return notDeleted(r, r.PathParam("contractId"))
	}
	return resp, err
}

// notDeleted answers a resurrect of a contract that is not deleted: 303,
// See Other, to where the contract reads, with fabric's {"code",
// "message"} body.
func notDeleted(r *httpapi.Request, id string) (events.APIGatewayV2HTTPResponse, error) {
	resp, err := httpapi.JSON(http.StatusSeeOther, notDeletedBody{
		Code:    contract.ErrNotDeleted.Code,
		Message: "contract " + id + " is not deleted; it reads at the Location given",
	})
	if err != nil {
		return resp, err
	}
	resp.Headers["Location"] = strings.TrimSuffix(r.RawPath(), "/resurrect")
	return resp, nil
}

// change finds the organization's contract of the path, applies fn to it
// as one optimistic update and answers the contract as stored; the
// contract must not be deleted.
func (h *Handler) change(ctx context.Context, r *httpapi.Request, s scope, fn func(*contract.Contract) error) (events.APIGatewayV2HTTPResponse, error) {
	return h.write(ctx, r, s, false, h.service.Update, fn)
}

// serviceWrite is the service's Update or Undelete.
type serviceWrite func(ctx context.Context, actor contract.Actor, claim *idempotency.Claim, id string, fn func(*contract.Contract) error) (*contract.Contract, error)

// write finds the organization's contract of the path (a deleted one too
// when deleted is set), has write apply fn to it, and answers the
// contract as stored.
func (h *Handler) write(ctx context.Context, r *httpapi.Request, s scope, deleted bool, write serviceWrite, fn func(*contract.Contract) error) (events.APIGatewayV2HTTPResponse, error) {
	id := r.PathParam("contractId")
	found, err := h.find(ctx, r, s, id, deleted)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	var updated *contract.Contract // the service stamps it before storing it
	answer := httpapi.AnswerOnWrite(r.Claim, func() (events.APIGatewayV2HTTPResponse, error) {
		return httpapi.JSON(http.StatusOK, bodyOf(updated))
	})
	_, err = write(ctx, r.Actor, r.Claim, found.ID, func(c *contract.Contract) error {
		updated = c
		if c.Party != s.party {
			return contract.NotFound(id)
		}
		return fn(c)
	})
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	return answer()
}
