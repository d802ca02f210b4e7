package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/idempotency"
	"github.com/contracts-service/contracts/shared/ids"
)

// defaultLock bounds a key's lock when the request has no deadline (a
// Lambda invocation always has one: its timeout).
const defaultLock = 30 * time.Second

// UseIdempotency makes every write route (POST, PUT, PATCH, DELETE) honour
// an Idempotency-Key header, keeping keys in store.
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
		if http.CanonicalHeaderKey(k) == idempotency.HeaderKey {
			return v, true
		}
	}
	return "", false
}

// serveIdempotent runs a write that carries an Idempotency-Key: the first
// request with a key is applied and its answer kept for 24 hours; a retry
// of it gets that answer again, marked Idempotent-Replayed; the same key
// with another request is a 422, and while the first is still running a
// 409. The key is locked until the request's deadline, the function's
// timeout, so an attempt that crashed frees it by itself.
func (rt *Router) serveIdempotent(ctx context.Context, h HandlerFunc, req *Request, key string, log *slog.Logger) (events.APIGatewayV2HTTPResponse, error) {
	if !idempotency.ValidKey(key) {
		return events.APIGatewayV2HTTPResponse{}, contract.Invalid(contract.FieldError{
			Field: idempotency.HeaderKey, Message: "header must be 1 to 255 printable ASCII characters"})
	}
	body := req.Event.Body
	if req.Event.IsBase64Encoded {
		body = "base64:" + body
	}
	claim := idempotency.Claim{
		TenantID: req.Actor.TenantID, Key: key,
		Hash:  idempotency.Hash(req.Event.RequestContext.HTTP.Method, req.routeKey, body),
		Owner: req.Event.RequestContext.RequestID + "/" + ids.Hex(8),
	}
	now := time.Now()
	lockUntil := now.Add(defaultLock)
	if d, ok := ctx.Deadline(); ok {
		lockUntil = d
	}
	held, err := rt.idem.Lock(ctx, claim, now, lockUntil, now.Add(idempotency.Retention))
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	if held != nil {
		return answerHeld(held, claim)
	}
	resp, err := h(idempotency.WithClaim(ctx, &claim), req)
	if err != nil {
		resp = errorResponse(err)
		if resp.StatusCode >= http.StatusInternalServerError {
			log.Error("request failed", "error", ErrorText(err))
		}
	}
	if resp.StatusCode >= http.StatusInternalServerError {
		// Nothing was written (or the write marked the key committed,
		// which Release respects): let a retry through at once.
		if err := rt.idem.Release(ctx, claim); err != nil {
			log.Warn("could not release an idempotency key", "error", err.Error())
		}
		return resp, nil
	}
	stored := idempotency.Response{Status: resp.StatusCode, Headers: resp.Headers, Body: resp.Body}
	if err := rt.idem.Complete(ctx, claim, stored, now.Add(idempotency.Retention)); err != nil {
		// The write stands; only a retry's replay is lost, and the key,
		// marked committed, still refuses to apply the request again.
		log.Warn("could not keep an idempotent answer", "error", err.Error())
	}
	return resp, nil
}

// answerHeld answers a request whose key another request holds.
func answerHeld(held *idempotency.Record, claim idempotency.Claim) (events.APIGatewayV2HTTPResponse, error) {
	switch {
	case held.Hash != claim.Hash:
		return events.APIGatewayV2HTTPResponse{}, &contract.Error{Kind: contract.KindUnprocessable,
			Message: "this Idempotency-Key was used for another request; use a new key for a new request",
			Fields:  []contract.FieldError{{Field: idempotency.HeaderKey, Message: "was used for another request"}}}
	case held.Status == idempotency.Completed && held.Response != nil:
		headers := map[string]string{}
		for k, v := range held.Response.Headers {
			headers[k] = v
		}
		headers[idempotency.HeaderReplayed] = "true"
		return events.APIGatewayV2HTTPResponse{StatusCode: held.Response.Status, Headers: headers, Body: held.Response.Body}, nil
	case held.Committed:
		return events.APIGatewayV2HTTPResponse{}, contract.Errorf(contract.KindConflict,
			"a request with this Idempotency-Key was applied, but its answer was not kept; read the resource to see its result")
	default:
		resp := ProblemResponse(http.StatusConflict, "a request with this Idempotency-Key is still in progress; retry shortly")
		resp.Headers["Retry-After"] = "1"
		return resp, nil
	}
}
