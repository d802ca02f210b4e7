package easybilling

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// EventDetailType is the detail-type of the EventBridge events that carry
// contract-actions requests.
const EventDetailType = "ContractActionRequested"

// TenantAttribute is the SQS message attribute that names the tenant: the
// queue is trusted through IAM, so the tenant comes with the message
// rather than from a token.
const TenantAttribute = "tenantId"

// Invocation is a contract-actions request that came without HTTP: the
// body of a direct invocation and the detail of an EventBridge event.
type Invocation struct {
	TenantID string          `json:"tenantId"`
	Request  json.RawMessage `json:"request"`
}

// TenantChecker confirms a tenant named by a trusted source exists, so a
// misrouted message cannot create contracts for a tenant nobody has.
type TenantChecker interface {
	GetTenant(ctx context.Context, id string) (*auth.Tenant, error)
}

// applyBody decodes, validates and applies one request body for tenant,
// recorded as made by principal, exactly as the HTTP route does. dedupe,
// when set, makes a redelivery apply nothing (ErrAlreadyApplied).
func (h *Handler) applyBody(ctx context.Context, tenants TenantChecker, tenant, principal string, body []byte, dedupe string) (*actionBody, error) {
	if !auth.ValidID(tenant) {
		return nil, contract.Invalid(contract.FieldError{Field: "tenantId", Message: "must name a tenant"})
	}
	if _, err := tenants.GetTenant(ctx, tenant); err != nil {
		if errors.Is(err, auth.ErrNotFound) {
			return nil, contract.Errorf(contract.KindNotFound, "tenant %q does not exist", tenant)
		}
		return nil, err
	}
	var in actionsRequest
	if len(body) == 0 {
		return nil, contract.Errorf(contract.KindInvalid, "the request is empty; a JSON object is required")
	}
	// The bound of the HTTP route's bodies holds on every path: a queue,
	// a bus or a direct invocation carries far more (up to 6 MB).
	if len(body) > httpapi.MaxBodyBytes {
		return nil, contract.Invalid(contract.FieldError{Field: "request", Message: fmt.Sprintf("must be at most %d bytes", httpapi.MaxBodyBytes)})
	}
	if err := httpapi.DecodeStrict(body, &in); err != nil {
		return nil, err
	}
	if err := h.check(&in); err != nil {
		return nil, err
	}
	actor := contract.Actor{TenantID: tenant, CredentialID: principal}
	var request bytes.Buffer
	if err := json.Compact(&request, body); err != nil {
		return nil, contract.Errorf(contract.KindInvalid, "the request is not valid JSON")
	}
	var applied outcome
	if err := h.apply(ctx, actor, &in, request.Bytes(), dedupe, &applied); err != nil {
		return nil, err
	}
	return actionBodyOf(applied.action, applied.last, namedOn, h.service.Clock()), nil
}

// retryable reports whether err is a fault of the service or of its
// dependencies, which a later delivery may not meet, rather than a request
// that can never apply.
func retryable(err error) bool {
	k := contract.KindOf(err)
	return k == contract.KindInternal || k == contract.KindUnavailable
}

// problemError turns an error into one whose message names the problem
// and every failing field, as a direct invocation's caller sees it.
func problemError(err error) error {
	var e *contract.Error
	if !errors.As(err, &e) || contract.KindOf(err) == contract.KindInternal {
		return errors.New("the service failed to apply the request; it has been logged, retry later")
	}
	msg := e.Message
	for _, f := range e.Fields {
		msg += fmt.Sprintf("; %s: %s", f.Field, f.Message)
	}
	return errors.New(msg)
}

// HandleDirect answers a direct invocation with the body the HTTP route
// answers, or an error naming the problem.
func (h *Handler) HandleDirect(ctx context.Context, tenants TenantChecker, log *slog.Logger, inv Invocation) (any, error) {
	out, err := h.applyBody(ctx, tenants, inv.TenantID, "aws:lambda:invoke", inv.Request, "")
	if err != nil {
		if retryable(err) {
			log.Error("direct invocation failed", "tenant", inv.TenantID, "error", httpapi.ErrorText(err))
		}
		return nil, problemError(err)
	}
	log.Info("direct invocation applied", "tenant", inv.TenantID, "contractActionNumber", out.ContractActionNumber)
	return out, nil
}

// HandleEventBridge applies the request an EventBridge event carries. The
// event id makes a redelivery apply nothing. An error makes EventBridge
// retry by its policy, so only faults worth retrying should be errors; a
// request that can never apply is logged and dropped.
func (h *Handler) HandleEventBridge(ctx context.Context, tenants TenantChecker, log *slog.Logger, ev events.EventBridgeEvent) error {
	log = log.With("eventId", ev.ID, "source", ev.Source)
	if ev.DetailType != EventDetailType {
		log.Warn("dropped an event of another detail-type", "detailType", ev.DetailType)
		return nil
	}
	var inv Invocation
	if err := json.Unmarshal(ev.Detail, &inv); err != nil {
		log.Warn("dropped an event whose detail is not {tenantId, request}")
		return nil
	}
	out, err := h.applyBody(ctx, tenants, inv.TenantID, "aws:events:"+ev.Source, inv.Request, "events:"+ev.ID)
	switch {
	case errors.Is(err, contract.ErrAlreadyApplied):
		log.Info("event already applied", "tenant", inv.TenantID)
		return nil
	case err != nil && retryable(err):
		log.Error("event failed; EventBridge will retry", "tenant", inv.TenantID, "error", httpapi.ErrorText(err))
		return err
	case err != nil:
		log.Warn("dropped an event that cannot apply", "tenant", inv.TenantID, "problem", problemError(err).Error())
		return nil
	}
	log.Info("event applied", "tenant", inv.TenantID, "contractActionNumber", out.ContractActionNumber)
	return nil
}

// HandleSQS applies each message of a batch and reports exactly the
// messages that failed, so SQS redelivers only those (and, past the
// queue's receive limit, moves them to its dead-letter queue); a bad
// message never blocks the others. The message id makes a redelivery of a
// message that was applied apply nothing.
func (h *Handler) HandleSQS(ctx context.Context, tenants TenantChecker, log *slog.Logger, ev events.SQSEvent) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, rec := range ev.Records {
		mlog := log.With("messageId", rec.MessageId)
		tenant := ""
		if attr, ok := rec.MessageAttributes[TenantAttribute]; ok && attr.StringValue != nil {
			tenant = *attr.StringValue
		}
		queue := rec.EventSourceARN[strings.LastIndex(rec.EventSourceARN, ":")+1:]
		out, err := h.applyBody(ctx, tenants, tenant, "aws:sqs:"+queue, []byte(rec.Body), "sqs:"+rec.MessageId)
		switch {
		case errors.Is(err, contract.ErrAlreadyApplied):
			mlog.Info("message already applied", "tenant", tenant)
		case err != nil:
			if retryable(err) {
				mlog.Error("message failed", "tenant", tenant, "error", httpapi.ErrorText(err))
			} else {
				mlog.Warn("message refused", "tenant", tenant, "problem", problemError(err).Error())
			}
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		default:
			mlog.Info("message applied", "tenant", tenant, "contractActionNumber", out.ContractActionNumber)
		}
	}
	return resp
}
