package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/idempotency"
)

// UseIdempotency makes every write route (POST, PUT, PATCH, DELETE) honour
// an Idempotency-Key header, keeping the answers no write carried in
// store.
func (rt *Router) UseIdempotency(store idempotency.Store) { rt.idem = store }

func isWrite(method string) bool {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// idempotencyKey returns the request's key and whether it sent one.
func idempotencyKey(r *Request) (string, bool) {
	for k, v := range r.Event.Headers {
		if strings.EqualFold(k, idempotency.HeaderKey) {
			return v, true
		}
	}
	return "", false
}

// AnswerOnWrite is how a write handler answers: render builds the answer
// from the values the handler's service call fills in, and the returned
// function gives it once the call has returned. When claim is not nil
// (the request's Claim, passed to the service call too), the store
// renders the answer as it builds the write and stores it in the same
// transaction; the returned function then gives that very answer, so what
// a retry replays is byte for byte what the first request got.
func AnswerOnWrite(claim *idempotency.Claim, render func() (events.APIGatewayV2HTTPResponse, error)) func() (events.APIGatewayV2HTTPResponse, error) {
	if claim == nil {
		return render
	}
	var last *events.APIGatewayV2HTTPResponse
	claim.OnWrite(func() (idempotency.Response, error) {
		resp, err := render()
		if err != nil {
			return idempotency.Response{}, err
		}
		last = &resp
		return idempotency.Response{Status: resp.StatusCode, Headers: resp.Headers, Body: resp.Body}, nil
	})
	return func() (events.APIGatewayV2HTTPResponse, error) {
		if last != nil && claim.IsWritten() {
			return *last, nil
		}
		return render()
	}
}

// serveIdempotent runs a write that carries an Idempotency-Key. The key
// is bound to the request as sent: its method, its path with the
// resource's identifiers, its query and its body. The first request with
// a key is applied, and its answer is kept for 24 hours in its own write
// transaction; a retry of it gets that answer again, marked
// Idempotent-Replayed; the same key with another request is a 422.
//
// The key's record is read before the handler runs, so a retry of a
// request that was applied replays its answer without drawing a contract
// number or reading anything else. Attempts sent at the same instant all
// find the key free; they race on the write transaction, which lets one
// apply and hands the others its record.
//
// An answer that no write carried (a request that changed nothing, or a
// refusal for what the tenant's data holds: a 404, 409 or 422) is kept by
// one conditional put, which also finds the record of a request that was
// applied first: a retry of a delete that went through gets the delete's
// answer, not a 404. An answer a retry may not meet again is never kept:
// a 5xx; a refusal for a transient reason (a race lost to other writers
// too often), which asks to be retried; and a refusal of the request as
// sent (see keptRefusal), which the client may mend and send again under
// the same key. Such a refusal only looks for the record of an attempt
// that applied meanwhile, and gives its answer if there is one.
func (rt *Router) serveIdempotent(ctx context.Context, h HandlerFunc, req *Request, key string, log *slog.Logger) (events.APIGatewayV2HTTPResponse, error) {
	if !idempotency.ValidKey(key) {
		return events.APIGatewayV2HTTPResponse{}, contract.Invalid(contract.FieldError{
			Field: idempotency.HeaderKey, Message: "header must be 1 to 255 printable ASCII characters"})
	}
	body := req.Event.Body
	if req.Event.IsBase64Encoded {
		body = "base64:" + body
	}
	claim := &idempotency.Claim{
		TenantID: req.Actor.TenantID, Key: key,
		Hash: idempotency.Hash(req.Event.RequestContext.HTTP.Method, idempotency.Target(req.RawPath(), req.Event.RawQueryString), body),
		At:   time.Now(),
	}
	held, err := rt.idem.Find(ctx, claim)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if held != nil {
		return answerUsed(held, claim)
	}
	req.Claim = claim
	resp, err := h(ctx, req)
	var used *idempotency.UsedError
	if errors.As(err, &used) {
		return answerUsed(used.Record, claim)
	}
	if err != nil {
		resp = errorResponse(err)
		if resp.StatusCode >= http.StatusInternalServerError {
			log.Error("request failed", "error", err.Error())
		}
	}
	// A 5xx keeps nothing: nothing was written, or what was written
	// carries its own answer, and a retry will find it.
	if claim.IsWritten() || resp.StatusCode >= http.StatusInternalServerError || contract.Transient(err) {
		return resp, nil
	}
	if resp.StatusCode >= http.StatusBadRequest && !keptRefusal(resp.StatusCode) {
		held, err = rt.idem.Find(ctx, claim)
	} else {
		held, err = rt.idem.Keep(ctx, claim, idempotency.Response{Status: resp.StatusCode, Headers: resp.Headers, Body: resp.Body})
	}
	if err != nil {
		// The answer stands; only a retry's replay of it, or the answer
		// of an attempt that applied meanwhile, is lost.
		log.Warn("could not keep an idempotent answer", "error", err.Error())
		return resp, nil
	}
	if held != nil {
		return answerUsed(held, claim)
	}
	return resp, nil
}

// keptRefusal reports whether a refusal with status is kept under its
// key: a refusal for what the tenant's data holds (a contract that does
// not exist, a state it cannot change from, a plan the catalog lacks),
// which a retry of the same request would meet again. A refusal of the
// request as sent is not kept: a 400 (its fields, a header missing; one
// that reads the stored contract, as fabric's contractId that cannot
// change, meets the same answer when run again), a header naming another
// tenant or organization (403), its size (413) or media type (415). A
// key is bound to the method, path, query and body, not to every header,
// so a client that mends a header and retries under the same key, as
// clients do, must have the mended request run: nothing was applied. So
// Stripe's keys work too: a request refused before it began executing
// keeps no result.
func keptRefusal(status int) bool {
	switch status {
	case http.StatusBadRequest, http.StatusForbidden, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		return false
	}
	return true
}

// answerUsed answers a request whose key an earlier request used: that
// request's answer if it was this same request, a 422 otherwise.
func answerUsed(held *idempotency.Record, claim *idempotency.Claim) (events.APIGatewayV2HTTPResponse, error) {
	if held.Hash != claim.Hash {
		return events.APIGatewayV2HTTPResponse{}, &contract.Error{Kind: contract.KindUnprocessable, Code: "IDEMPOTENCY_KEY_REUSED",
			Message: "this Idempotency-Key was used for another request; use a new key for a new request",
			Fields:  []contract.FieldError{{Field: idempotency.HeaderKey, Message: "was used for another request"}}}
	}
	headers := maps.Clone(held.Response.Headers)
	if headers == nil {
		headers = map[string]string{}
	}
	headers[idempotency.HeaderReplayed] = "true"
	return events.APIGatewayV2HTTPResponse{StatusCode: held.Response.Status, Headers: headers, Body: held.Response.Body}, nil
}
