package easybilling

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/idempotency"
	"github.com/contracts-service/contracts/shared/metrics"
	"github.com/contracts-service/contracts/shared/strictjson"
)

// EventDetailType is the detail-type of the EventBridge events that carry
// contract-actions requests.
const EventDetailType = "ContractActionRequested"

// TenantAttribute is the SQS message attribute that names the tenant: the
// queue is trusted through IAM, so the tenant comes with the message
// rather than from a token.
const TenantAttribute = "tenantId"

// KeyAttribute is the SQS message attribute a producer may set to its
// request's Idempotency-Key, 1 to 255 printable ASCII characters as the
// HTTP header: the message is then applied at most once per tenant and
// key, even when it is redriven from the dead-letter queue (which gives
// it a new message id); the same key with another request is refused.
// Without it, the message id names the delivery. An event's detail may
// carry the same key (eventDetail), and the two name one request.
const KeyAttribute = idempotency.HeaderKey

// producerKey is the dedupe key of a delivery its producer named with
// key, on the queue or on the bus alike.
func producerKey(key string) string { return "key:" + key }

// badKey refuses a producer's key that is not one (field names it).
func badKey(field string) error {
	return contract.Invalid(contract.FieldError{Field: field, Message: "must be a string of 1 to 255 printable ASCII characters"})
}

// The principals recorded (createdBy, updatedBy) for requests that came
// without HTTP. Each names what AWS itself reports of the sender, never
// what the sender wrote in its request: SQS reports the IAM user or role
// id that sent a message (its SenderId attribute), EventBridge the
// account that put an event (a source is the sender's to choose, which
// the bus's policy and the allow-list of Trust bound), and a direct
// invocation carries nothing of its invoker.
const (
	PrincipalSQSPrefix         = "aws:sqs:"    // + the message's SenderId
	PrincipalEventBridgePrefix = "aws:events:" // + account ":" source
	PrincipalDirect            = "aws:lambda:invoke"
)

// Environment variables of Trust (template.yaml sets them).
const (
	EnvQueueARN     = "ACTIONS_QUEUE_ARN"
	EnvEventSources = "ACTION_EVENT_SOURCES"
)

// Trust is whom the queue and EventBridge paths take requests from; IAM
// decides the rest (who may send to the queue, put on the bus, invoke the
// function), as the README's table of senders says.
type Trust struct {
	// Queue is the ARN of the stack's contract-actions queue, whose policy
	// names its producers: a message of any other queue is refused.
	Queue string
	// EventSources are the sources whose events are applied: the rule on
	// the stack's bus matches only these, and the bus's policy lets its
	// producers put only these.
	EventSources []string
}

// TrustFromEnv reads Trust from EnvQueueARN and EnvEventSources (comma
// separated); an error names what is missing, since a path without it
// would refuse everything.
func TrustFromEnv() (Trust, error) {
	t := Trust{Queue: os.Getenv(EnvQueueARN)}
	for _, s := range strings.Split(os.Getenv(EnvEventSources), ",") {
		if s = strings.TrimSpace(s); s != "" {
			t.EventSources = append(t.EventSources, s)
		}
	}
	var missing []string
	if t.Queue == "" {
		missing = append(missing, EnvQueueARN)
	}
	if len(t.EventSources) == 0 {
		missing = append(missing, EnvEventSources)
	}
	if len(missing) > 0 {
		return Trust{}, fmt.Errorf("easybilling: %s not set", strings.Join(missing, " and "))
	}
	return t, nil
}

// Refusal is the error an EventBridge event ends with when it can never
// apply. Lambda retries it as it retries any failed asynchronous
// invocation, then hands the event, with this error, to the function's
// on-failure destination; nothing that cannot apply is dropped.
type Refusal struct {
	// Problem names what is wrong, and every failing field.
	Problem string
}

func (r *Refusal) Error() string { return "refused: " + r.Problem }

// refusal is a Refusal for a problem written with fmt's verbs.
func refusal(format string, args ...any) *Refusal {
	return &Refusal{Problem: fmt.Sprintf(format, args...)}
}

// senderID bounds what SenderId may be for the record: an IAM user id, or
// a role id and session name (AROA...:name), as SQS reports them.
func senderID(id string) bool {
	if id == "" || len(id) > 256 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(":+=,.@_-", c)) {
			return false
		}
	}
	return true
}

// account reports whether a is an AWS account id, twelve digits.
func account(a string) bool {
	if len(a) != 12 {
		return false
	}
	for _, c := range a {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// Invocation is a contract-actions request that came without HTTP: the
// body of a direct invocation and the detail of an EventBridge event.
type Invocation struct {
	TenantID string          `json:"tenantId"`
	Request  json.RawMessage `json:"request"`
}

// eventDetail is an EventBridge event's detail: an Invocation's members,
// and the producer's Idempotency-Key, which names the delivery in place
// of the event id, so that the same request put on the bus again (a
// PutEvents retried after a lost answer, which makes a new event) applies
// once; the same key as a queue message's names the same request.
type eventDetail struct {
	TenantID       string          `json:"tenantId"`
	Request        json.RawMessage `json:"request"`
	IdempotencyKey *string         `json:"idempotencyKey"`
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
	if err := strictjson.DecodeValid(body, &in, func() error { return h.check(&in) }); err != nil {
		return nil, err
	}
	actor := contract.Actor{TenantID: tenant, CredentialID: principal}
	var request bytes.Buffer
	if err := json.Compact(&request, body); err != nil {
		return nil, contract.Errorf(contract.KindInvalid, "the request is not valid JSON")
	}
	var applied contract.Applied
	if err := h.apply(ctx, actor, nil, &in, request.Bytes(), dedupe, &applied); err != nil {
		return nil, err
	}
	return actionBodyOf(applied.Action, applied.Contract, namedOn, h.service.Clock()), nil
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
	ctx, counts := metrics.WithCounts(ctx)
	tenant := slog.String("tenant", inv.TenantID)
	out, err := h.applyBody(ctx, tenants, inv.TenantID, PrincipalDirect, inv.Request, "")
	if err != nil {
		notApplied(ctx, log, "direct invocation", metrics.SourceDirect, err, counts, tenant)
		return nil, problemError(err)
	}
	delivered(ctx, log, slog.LevelInfo, "direct invocation applied", metrics.SourceDirect, nil, counts,
		tenant, slog.String("contractActionNumber", out.ContractActionNumber))
	return out, nil
}

// delivered writes the one line of a delivery (a queue message, an event,
// a direct invocation) that says how it ended; the line is also its
// metrics record, so it is written at msgLevel or at the lowest level the
// log keeps, whichever is higher. err is what it ended with: nil or
// contract.ErrAlreadyApplied when applied, a retryable fault when failed,
// anything else when refused.
func delivered(ctx context.Context, log *slog.Logger, msgLevel slog.Level, msg, source string, err error, counts *metrics.Counts, attrs ...slog.Attr) {
	outcome, replayed := metrics.OutcomeApplied, errors.Is(err, contract.ErrAlreadyApplied)
	var refused *Refusal
	switch {
	case err == nil || replayed:
	case errors.As(err, &refused):
		outcome = metrics.OutcomeRefused
	case retryable(err):
		outcome = metrics.OutcomeFailed
	default:
		outcome = metrics.OutcomeRefused
	}
	unavailable := contract.KindOf(err) == contract.KindUnavailable
	log.LogAttrs(ctx, max(msgLevel, metrics.Level(ctx, log)), msg,
		append(attrs, metrics.Delivery(time.Now(), source, outcome, replayed, unavailable, counts)...)...)
}

// notApplied writes the line of a delivery of source, what ("message",
// "direct invocation"), that ended with err: a retryable fault as failed,
// an error with its text; anything else as refused, a warning with the
// problem as problemText has it.
func notApplied(ctx context.Context, log *slog.Logger, what, source string, err error, counts *metrics.Counts, attrs ...slog.Attr) {
	if retryable(err) {
		delivered(ctx, log, slog.LevelError, what+" failed", source, err, counts, append(attrs, slog.String("error", err.Error()))...)
		return
	}
	attrs = append(attrs, slog.String("problem", problemText(err)))
	var e *contract.Error
	if errors.As(err, &e) && e.Code != "" {
		attrs = append(attrs, slog.String("code", e.Code))
	}
	delivered(ctx, log, slog.LevelWarn, what+" refused", source, err, counts, attrs...)
}

// problemText is what a refusal says, the values it quotes elided: the
// log says what was wrong with which field, never the value, which may be
// personal.
func problemText(err error) string { return httpapi.Redact(problemError(err).Error()) }

// HandleEventBridge applies the request an EventBridge event carries, for
// the tenant its detail names, recorded as made by the event's account
// and source. The event id makes a redelivery apply nothing. Any error
// fails the invocation, which Lambda retries and then hands to the
// function's on-failure destination: a fault (which a retry may not meet
// again), or a Refusal for an event that can never apply (another
// detail-type, a source not in trust, a detail that is not {tenantId,
// request}, a request the HTTP route would refuse).
func (h *Handler) HandleEventBridge(ctx context.Context, tenants TenantChecker, log *slog.Logger, trust Trust, ev events.EventBridgeEvent) error {
	log = log.With("eventId", ev.ID, "source", ev.Source, "account", ev.AccountID)
	ctx, counts := metrics.WithCounts(ctx)
	refuse := func(r *Refusal) error {
		delivered(ctx, log, slog.LevelWarn, "refused an event; it goes to the on-failure destination once Lambda's retries end",
			metrics.SourceEventBridge, r, counts, slog.String("problem", httpapi.Redact(r.Problem)))
		return r
	}
	switch {
	case ev.DetailType != EventDetailType:
		return refuse(refusal("detail-type %q is not %s", ev.DetailType, EventDetailType))
	case !slices.Contains(trust.EventSources, ev.Source):
		return refuse(refusal("source %q is not one the stack takes contract actions from", ev.Source))
	case !account(ev.AccountID):
		return refuse(refusal("the event names no account"))
	}
	var inv eventDetail
	// The detail is the sender's own JSON, held to the rules of every
	// request body: a tenantId sent twice, or as TenantId, names no
	// tenant.
	if err := strictjson.Decode(ev.Detail, &inv); err != nil {
		return refuse(refusal("the detail is not {tenantId, request, idempotencyKey}: %s", problemText(err)))
	}
	dedupe := "events:" + ev.ID
	if key := inv.IdempotencyKey; key != nil {
		if !idempotency.ValidKey(*key) {
			return refuse(refusal("%s", problemText(badKey("idempotencyKey"))))
		}
		dedupe, log = producerKey(*key), log.With("idempotencyKey", *key)
	}
	principal := PrincipalEventBridgePrefix + ev.AccountID + ":" + ev.Source
	out, err := h.applyBody(ctx, tenants, inv.TenantID, principal, inv.Request, dedupe)
	tenant := slog.String("tenant", inv.TenantID)
	switch {
	case errors.Is(err, contract.ErrAlreadyApplied):
		delivered(ctx, log, slog.LevelInfo, "event already applied", metrics.SourceEventBridge, err, counts, tenant)
		return nil
	case err != nil && retryable(err):
		delivered(ctx, log, slog.LevelError, "event failed; Lambda will retry it", metrics.SourceEventBridge, err, counts,
			tenant, slog.String("error", err.Error()))
		return problemError(err)
	case err != nil:
		log = log.With(tenant)
		return refuse(&Refusal{Problem: problemError(err).Error()})
	}
	delivered(ctx, log, slog.LevelInfo, "event applied", metrics.SourceEventBridge, nil, counts,
		tenant, slog.String("contractActionNumber", out.ContractActionNumber))
	return nil
}

// deliveryKey names a message's delivery for its record: the producer's
// Idempotency-Key attribute (key) when it set one, else the message id.
func deliveryKey(rec events.SQSMessage) (dedupe, key string, err error) {
	attr, ok := rec.MessageAttributes[KeyAttribute]
	if !ok {
		return "sqs:" + rec.MessageId, "", nil
	}
	if attr.StringValue == nil || !idempotency.ValidKey(*attr.StringValue) {
		return "", "", badKey(KeyAttribute)
	}
	return producerKey(*attr.StringValue), *attr.StringValue, nil
}

// HandleSQS applies each message of a batch, for the tenant its tenantId
// attribute names, recorded as sent by the IAM identity SQS reports
// (SenderId), and reports exactly the messages that failed, so SQS
// redelivers only those (and, past the queue's receive limit, moves them
// to its dead-letter queue); a bad message never blocks the others. A
// message of a queue other than trust's is refused: only that queue's
// policy names who may send. The message's Idempotency-Key attribute,
// or else its id, makes a redelivery of a message that was applied apply
// nothing.
func (h *Handler) HandleSQS(ctx context.Context, tenants TenantChecker, log *slog.Logger, trust Trust, ev events.SQSEvent) events.SQSEventResponse {
	resp := events.SQSEventResponse{BatchItemFailures: []events.SQSBatchItemFailure{}}
	for _, rec := range ev.Records {
		ctx, counts := metrics.WithCounts(ctx)
		mlog := log.With("messageId", rec.MessageId)
		tenant := ""
		if attr, ok := rec.MessageAttributes[TenantAttribute]; ok && attr.StringValue != nil {
			tenant = *attr.StringValue
		}
		sender := rec.Attributes["SenderId"]
		var out *actionBody
		var err error
		switch {
		case rec.EventSourceARN != trust.Queue:
			err = contract.Errorf(contract.KindForbidden, "the message comes from queue %q, not the stack's", rec.EventSourceARN)
		case !senderID(sender):
			err = contract.Errorf(contract.KindForbidden, "the message carries no SenderId of an IAM identity")
		default:
			mlog = mlog.With("sender", sender)
			var dedupe, key string
			if dedupe, key, err = deliveryKey(rec); err == nil {
				if key != "" {
					// After a redrive the message id is new: the key
					// is what ties its lines to the first delivery's.
					mlog = mlog.With("idempotencyKey", key)
				}
				out, err = h.applyBody(ctx, tenants, tenant, PrincipalSQSPrefix+sender, []byte(rec.Body), dedupe)
			}
		}
		tenantAttr := slog.String("tenant", tenant)
		switch {
		case errors.Is(err, contract.ErrAlreadyApplied):
			delivered(ctx, mlog, slog.LevelInfo, "message already applied", metrics.SourceSQS, err, counts, tenantAttr)
		case err != nil:
			notApplied(ctx, mlog, "message", metrics.SourceSQS, err, counts, tenantAttr)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		default:
			delivered(ctx, mlog, slog.LevelInfo, "message applied", metrics.SourceSQS, nil, counts,
				tenantAttr, slog.String("contractActionNumber", out.ContractActionNumber))
		}
	}
	return resp
}
