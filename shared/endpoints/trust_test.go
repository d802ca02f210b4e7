package endpoints_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/easybilling"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// The stack the trust tests deploy in, as template.yaml configures the
// function: its id (the API stage's mark), its queue and its event sources.
const (
	trustAccount = "111122223333"
	trustStack   = "arn:aws:cloudformation:eu-west-1:" + trustAccount + ":stack/contracts/6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	trustQueue   = "arn:aws:sqs:eu-west-1:" + trustAccount + ":contracts-ContractActionsQueue-ABC"
	trustSource  = "com.example.billing"
	trustPlan    = "16ad814a-dd1b-41c8-9b4b-4e8551170fee"
)

var trust = easybilling.Trust{Queue: trustQueue, EventSources: []string{trustSource, "com.example.renewals"}}

// actionsRequest creates one contract for account.
func actionsRequest(account string) string {
	return `{"accountNumber": "` + account + `", "actions": [{"type": "create-contract-with-plan",
		"createContractWithPlan": [{"planId": "` + trustPlan + `", "effectiveDate": "2026-03-01",
		"expirationDate": "2027-03-01", "currency": ["USD"]}]}]}`
}

// asyncFunction is ContractActionsFunction's handler over a fresh table
// holding tenants a and b, invoked as Lambda invokes it.
type asyncFunction struct {
	t       *testing.T
	store   *ddb.Store
	handler func(context.Context, json.RawMessage) (any, error)
}

func newAsyncFunction(t *testing.T) *asyncFunction {
	t.Helper()
	store := ddbtest.NewStore(t)
	for _, id := range []string{"tenant-a", "tenant-b"} {
		ddbtest.CreateTenant(t, store, auth.Tenant{ID: id, Aliases: []string{"alias-" + id}, CreatedAt: time.Now()})
		ddbtest.PutPlans(t, store, id, []contract.Plan{{ID: trustPlan, Name: "Monthly", Currencies: []string{"USD"}}})
	}
	h := endpoints.ContractActionsHandler(store, slog.New(slog.DiscardHandler), httpapi.Origin{StackID: trustStack}, trust)
	return &asyncFunction{t: t, store: store, handler: h}
}

func (f *asyncFunction) invoke(event any) (any, error) {
	f.t.Helper()
	raw, err := json.Marshal(event)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       "aws-req",
		InvokedFunctionArn: "arn:aws:lambda:eu-west-1:" + trustAccount + ":function:contracts-ContractActionsFunction-X",
	})
	return f.handler(ctx, raw)
}

// applied returns who recorded tenant's first action and its contract,
// or "" when the tenant has none.
func (f *asyncFunction) applied(tenant string) (actionBy, contractBy string) {
	f.t.Helper()
	ctx := context.Background()
	a, err := f.store.GetAction(ctx, tenant, "CA-0000000001")
	if contract.KindOf(err) == contract.KindNotFound {
		return "", ""
	}
	if err != nil {
		f.t.Fatal(err)
	}
	c, err := f.store.GetContract(ctx, tenant, a.ContractID)
	if err != nil {
		f.t.Fatal(err)
	}
	if a.UpdatedBy != a.CreatedBy || c.UpdatedBy != c.CreatedBy {
		f.t.Fatalf("a new record updated by another: %+v %+v", a, c)
	}
	return a.CreatedBy, c.CreatedBy
}

// sqsRecord is a message of queue as the event source mapping hands it
// over, sent by sender (SQS's SenderId; "" for none).
func sqsRecord(id, queue, sender, tenant, body string) events.SQSMessage {
	attrs := map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1767225600000"}
	if sender != "" {
		attrs["SenderId"] = sender
	}
	return events.SQSMessage{
		MessageId: id, ReceiptHandle: "rh-" + id, Body: body, Attributes: attrs,
		MessageAttributes: map[string]events.SQSMessageAttribute{
			easybilling.TenantAttribute: {StringValue: &tenant, DataType: "String"},
		},
		EventSource: "aws:sqs", EventSourceARN: queue, AWSRegion: "eu-west-1",
	}
}

// withKey is rec carrying its producer's key in the Idempotency-Key
// message attribute.
func withKey(rec events.SQSMessage, key string) events.SQSMessage {
	rec.MessageAttributes[easybilling.KeyAttribute] = events.SQSMessageAttribute{StringValue: &key, DataType: "String"}
	return rec
}

// actions counts tenant's contract actions among the first ten numbers
// (a refused or replayed request may leave a number unused).
func (f *asyncFunction) actions(tenant string) int {
	f.t.Helper()
	n := 0
	for i := int64(1); i <= 10; i++ {
		_, err := f.store.GetAction(context.Background(), tenant, contract.FormatActionNumber(i))
		if contract.KindOf(err) == contract.KindNotFound {
			continue
		}
		if err != nil {
			f.t.Fatal(err)
		}
		n++
	}
	return n
}

// busEvent is an EventBridge event as the rule delivers it.
func busEvent(id, source, account, tenant, request string) map[string]any {
	return map[string]any{
		"version": "0", "id": id, "detail-type": easybilling.EventDetailType, "source": source,
		"account": account, "time": "2026-03-01T12:00:00Z", "region": "eu-west-1", "resources": []string{},
		"detail": map[string]any{"tenantId": tenant, "request": json.RawMessage(request)},
	}
}

// TestAsyncPathsRecordTheSender: a request that came by queue, bus or
// direct invocation is recorded as made by what AWS reports of its
// sender, never by anything the sender wrote: the queue's SenderId (a
// message attribute of that name is the sender's own and changes
// nothing), the bus event's account and allow-listed source, or the
// direct invocation's fixed label.
func TestAsyncPathsRecordTheSender(t *testing.T) {
	t.Run("sqs", func(t *testing.T) {
		f := newAsyncFunction(t)
		rec := sqsRecord("m-1", trustQueue, "AROAEXAMPLEID:billing-sync", "tenant-a", actionsRequest("ACC-1"))
		forged := "aws:lambda:invoke"
		rec.MessageAttributes["SenderId"] = events.SQSMessageAttribute{StringValue: &forged, DataType: "String"}
		out, err := f.invoke(events.SQSEvent{Records: []events.SQSMessage{rec}})
		if err != nil || len(out.(events.SQSEventResponse).BatchItemFailures) != 0 {
			t.Fatalf("%+v %v", out, err)
		}
		if a, c := f.applied("tenant-a"); a != "aws:sqs:AROAEXAMPLEID:billing-sync" || c != a {
			t.Fatalf("recorded as made by %q (action) and %q (contract)", a, c)
		}
	})
	t.Run("eventbridge", func(t *testing.T) {
		f := newAsyncFunction(t)
		if _, err := f.invoke(busEvent("e-1", trustSource, "444455556666", "tenant-a", actionsRequest("ACC-1"))); err != nil {
			t.Fatal(err)
		}
		if a, c := f.applied("tenant-a"); a != "aws:events:444455556666:"+trustSource || c != a {
			t.Fatalf("recorded as made by %q (action) and %q (contract)", a, c)
		}
	})
	t.Run("direct", func(t *testing.T) {
		f := newAsyncFunction(t)
		out, err := f.invoke(map[string]any{"tenantId": "tenant-a", "request": json.RawMessage(actionsRequest("ACC-1"))})
		if err != nil || out == nil {
			t.Fatalf("%+v %v", out, err)
		}
		if a, c := f.applied("tenant-a"); a != "aws:lambda:invoke" || c != a {
			t.Fatalf("recorded as made by %q (action) and %q (contract)", a, c)
		}
	})
}

// TestAsyncPathsApplyOnlyWhatTheirTrustAllows: a message of another queue
// or without a SenderId, an event of a source the stack does not take,
// of another detail-type, without an account, for a tenant that does not
// exist, or whose request is invalid, applies nothing. A queue's message
// is reported failed (SQS redelivers it, then moves it to the dead-letter
// queue); an event fails the invocation with a Refusal naming the problem
// (Lambda retries it, then hands it to the on-failure destination), where
// it used to be dropped with a warning. A redelivery of an applied event
// is not a failure.
func TestAsyncPathsApplyOnlyWhatTheirTrustAllows(t *testing.T) {
	sqs := []struct {
		name string
		rec  events.SQSMessage
	}{
		{"another queue", sqsRecord("m-1", strings.Replace(trustQueue, "ABC", "OTHER", 1), "AROAEXAMPLEID:x", "tenant-a", actionsRequest("ACC-1"))},
		{"another account's queue of that name", sqsRecord("m-1", strings.Replace(trustQueue, trustAccount, "444455556666", 1), "AROAEXAMPLEID:x", "tenant-a", actionsRequest("ACC-1"))},
		{"no SenderId", sqsRecord("m-1", trustQueue, "", "tenant-a", actionsRequest("ACC-1"))},
		{"a SenderId of another shape", sqsRecord("m-1", trustQueue, "AROA EXAMPLE", "tenant-a", actionsRequest("ACC-1"))},
		{"a tenant that does not exist", sqsRecord("m-1", trustQueue, "AROAEXAMPLEID:x", "tenant-z", actionsRequest("ACC-1"))},
	}
	for _, tt := range sqs {
		t.Run("sqs: "+tt.name, func(t *testing.T) {
			f := newAsyncFunction(t)
			good := sqsRecord("m-2", trustQueue, "AROAEXAMPLEID:x", "tenant-b", actionsRequest("ACC-2"))
			out, err := f.invoke(events.SQSEvent{Records: []events.SQSMessage{tt.rec, good}})
			if err != nil {
				t.Fatal(err)
			}
			failures := out.(events.SQSEventResponse).BatchItemFailures
			if len(failures) != 1 || failures[0].ItemIdentifier != "m-1" {
				t.Fatalf("batch failures %+v, want exactly m-1", failures)
			}
			if a, _ := f.applied("tenant-a"); a != "" {
				t.Fatalf("applied, recorded as made by %q", a)
			}
			if a, _ := f.applied("tenant-b"); a == "" {
				t.Fatal("the good message of the batch was not applied")
			}
		})
	}

	bus := []struct {
		name   string
		event  func() map[string]any
		reason string
	}{
		{"a source the stack does not take", func() map[string]any {
			return busEvent("e-1", "com.example.attacker", trustAccount, "tenant-a", actionsRequest("ACC-1"))
		}, "source"},
		{"an AWS service's source", func() map[string]any {
			return busEvent("e-1", "aws.events", trustAccount, "tenant-a", actionsRequest("ACC-1"))
		}, "source"},
		{"another detail-type", func() map[string]any {
			ev := busEvent("e-1", trustSource, trustAccount, "tenant-a", actionsRequest("ACC-1"))
			ev["detail-type"] = "ContractActionApplied"
			return ev
		}, "detail-type"},
		{"no account", func() map[string]any {
			return busEvent("e-1", trustSource, "", "tenant-a", actionsRequest("ACC-1"))
		}, "account"},
		{"a detail that is not {tenantId, request}", func() map[string]any {
			ev := busEvent("e-1", trustSource, trustAccount, "tenant-a", actionsRequest("ACC-1"))
			ev["detail"] = []int{1}
			return ev
		}, "detail"},
		{"a detail naming its tenant twice", func() map[string]any {
			ev := busEvent("e-1", trustSource, trustAccount, "tenant-a", actionsRequest("ACC-1"))
			ev["detail"] = json.RawMessage(`{"tenantId": "tenant-b", "tenantId": "tenant-a", "request": ` + actionsRequest("ACC-1") + `}`)
			return ev
		}, "tenantId"},
		{"a detail naming its tenant as TenantId", func() map[string]any {
			ev := busEvent("e-1", trustSource, trustAccount, "tenant-a", actionsRequest("ACC-1"))
			ev["detail"] = json.RawMessage(`{"TenantId": "tenant-a", "request": ` + actionsRequest("ACC-1") + `}`)
			return ev
		}, "TenantId"},
		{"a tenant that does not exist", func() map[string]any {
			return busEvent("e-1", trustSource, trustAccount, "tenant-z", actionsRequest("ACC-1"))
		}, "tenant-z"},
		{"an invalid request", func() map[string]any {
			return busEvent("e-1", trustSource, trustAccount, "tenant-a", `{"accountNumber": "", "actions": []}`)
		}, "accountNumber"},
	}
	for _, tt := range bus {
		t.Run("eventbridge: "+tt.name, func(t *testing.T) {
			f := newAsyncFunction(t)
			_, err := f.invoke(tt.event())
			var refusal *easybilling.Refusal
			if !errors.As(err, &refusal) || !strings.Contains(refusal.Problem, tt.reason) {
				t.Fatalf("error %v, want a Refusal naming %q", err, tt.reason)
			}
			if a, _ := f.applied("tenant-a"); a != "" {
				t.Fatalf("applied, recorded as made by %q", a)
			}
		})
	}

	// A direct invocation's payload is held to the same rules.
	for name, payload := range map[string]string{
		"direct: a payload naming its tenant twice":       `{"tenantId": "tenant-b", "tenantId": "tenant-a", "request": ` + actionsRequest("ACC-1") + `}`,
		"direct: a payload with a field it does not know": `{"tenantId": "tenant-a", "request": ` + actionsRequest("ACC-1") + `, "tenant": "tenant-b"}`,
	} {
		t.Run(name, func(t *testing.T) {
			f := newAsyncFunction(t)
			if _, err := f.invoke(json.RawMessage(payload)); err == nil {
				t.Fatal("applied")
			}
			for _, tenant := range []string{"tenant-a", "tenant-b"} {
				if a, _ := f.applied(tenant); a != "" {
					t.Fatalf("applied for %s, recorded as made by %q", tenant, a)
				}
			}
		})
	}

	t.Run("eventbridge: a redelivery", func(t *testing.T) {
		f := newAsyncFunction(t)
		ev := busEvent("e-1", trustSource, trustAccount, "tenant-a", actionsRequest("ACC-1"))
		for delivery := 1; delivery <= 2; delivery++ {
			if _, err := f.invoke(ev); err != nil {
				t.Fatalf("delivery %d: %v", delivery, err)
			}
		}
		if _, err := f.store.GetAction(context.Background(), "tenant-a", "CA-0000000002"); contract.KindOf(err) != contract.KindNotFound {
			t.Fatalf("a redelivered event applied twice: %v", err)
		}
	})
}

// TestContractActionsHTTPOrigin: ContractActionsFunction, which takes
// events of four kinds, serves an HTTP event only as API Gateway delivers
// it for the stack's stage: one built by hand, authorizer context and
// all, is a 403 that applies nothing.
func TestContractActionsHTTPOrigin(t *testing.T) {
	f := newAsyncFunction(t)
	ev := httpapitest.Request{Method: "POST", Target: "/api/contract-actions", Body: actionsRequest("ACC-1"),
		StackID: trustStack, AccountID: trustAccount, RequestID: "r-1",
		Caller: httpapitest.Caller{TenantID: "tenant-a", CredentialID: "cred-a"}}.Event()
	forged := ev
	forged.StageVariables = nil
	out, err := f.invoke(forged)
	if resp, ok := out.(events.APIGatewayV2HTTPResponse); err != nil || !ok || resp.StatusCode != 403 {
		t.Fatalf("a hand-built event: %+v %v, want a 403", out, err)
	}
	if a, _ := f.applied("tenant-a"); a != "" {
		t.Fatalf("a hand-built event applied, recorded as made by %q", a)
	}
	out, err = f.invoke(ev)
	if resp, ok := out.(events.APIGatewayV2HTTPResponse); err != nil || !ok || resp.StatusCode != 200 {
		t.Fatalf("the event API Gateway delivers: %+v %v", out, err)
	}
	if a, _ := f.applied("tenant-a"); a != "cred-a" {
		t.Fatalf("recorded as made by %q, want the credential", a)
	}
}

func TestTrustFromEnv(t *testing.T) {
	t.Setenv(easybilling.EnvQueueARN, "")
	t.Setenv(easybilling.EnvEventSources, " , ")
	if _, err := easybilling.TrustFromEnv(); err == nil || !strings.Contains(err.Error(), easybilling.EnvQueueARN) || !strings.Contains(err.Error(), easybilling.EnvEventSources) {
		t.Fatalf("with neither set: %v, want both named", err)
	}
	t.Setenv(easybilling.EnvQueueARN, trustQueue)
	t.Setenv(easybilling.EnvEventSources, trustSource+", com.example.renewals")
	got, err := easybilling.TrustFromEnv()
	if err != nil || got.Queue != trustQueue || strings.Join(got.EventSources, "|") != trustSource+"|com.example.renewals" {
		t.Fatalf("TrustFromEnv = %+v, %v", got, err)
	}
}

// TestRedrivenMessageAppliesOnceUnderItsKey: SQS gives a message redriven
// from the dead-letter queue a new id, so only a key the producer set
// (the Idempotency-Key message attribute) tells it is the same request.
// With one, the message applied once applies nothing again under any id;
// the same key with another request is refused; a key that is not 1 to
// 255 printable ASCII characters is refused. Without one, a new id is a
// new delivery.
func TestRedrivenMessageAppliesOnceUnderItsKey(t *testing.T) {
	f := newAsyncFunction(t)
	keyed := func(id, key, body string) events.SQSMessage {
		return withKey(sqsRecord(id, trustQueue, "AROAEXAMPLEID:x", "tenant-a", body), key)
	}
	for _, step := range []struct {
		name    string
		rec     events.SQSMessage
		failed  bool
		actions int
	}{
		{"a keyed message", keyed("m-1", "order-7", actionsRequest("ACC-1")), false, 1},
		{"the same message, redelivered", keyed("m-1", "order-7", actionsRequest("ACC-1")), false, 1},
		{"the same message, redriven under a new id", keyed("m-2", "order-7", actionsRequest("ACC-1")), false, 1},
		{"another request under the key", keyed("m-3", "order-7", actionsRequest("ACC-2")), true, 1},
		{"an empty key", keyed("m-4", "", actionsRequest("ACC-3")), true, 1},
		{"a key of control characters", keyed("m-5", "order\n8", actionsRequest("ACC-3")), true, 1},
		{"an unkeyed message", sqsRecord("m-6", trustQueue, "AROAEXAMPLEID:x", "tenant-a", actionsRequest("ACC-1")), false, 2},
		{"the unkeyed message under a new id", sqsRecord("m-7", trustQueue, "AROAEXAMPLEID:x", "tenant-a", actionsRequest("ACC-1")), false, 3},
	} {
		out, err := f.invoke(events.SQSEvent{Records: []events.SQSMessage{step.rec}})
		if err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if failed := len(out.(events.SQSEventResponse).BatchItemFailures) == 1; failed != step.failed {
			t.Errorf("%s: reported failed %v, want %v", step.name, failed, step.failed)
		}
		if n := f.actions("tenant-a"); n != step.actions {
			t.Fatalf("%s: the tenant has %d actions, want %d", step.name, n, step.actions)
		}
	}
}

// TestRedeliveryIsKnownBeforeTheRules: a redelivered message is known
// as applied before its actions are read, so it draws no number (the next
// request's numbers follow the last applied ones), and a change its first
// delivery made does not refuse it (a renewal from the end of the segment
// it renewed, which then starts before the current one ends: refused, it
// would go to the dead-letter queue; the check after a refusal, see
// shared/contract's TestRacingCopyOfADeliveryIsNotRefused, holds that
// too).
func TestRedeliveryIsKnownBeforeTheRules(t *testing.T) {
	f := newAsyncFunction(t)
	create := `{"accountNumber": "ACC-1", "actions": [{"type": "create-contract-with-plan",
		"createContractWithPlan": [{"planId": "` + trustPlan + `", "effectiveDate": "2090-03-01",
		"expirationDate": "2091-03-01", "currency": ["USD"]}]}]}`
	renew := `{"accountNumber": "ACC-1", "actions": [{"type": "renew",
		"renew": [{"contractNumber": "CT-0000000001", "effectiveDate": "2091-03-01", "expirationDate": "2092-03-01"}]}]}`
	for _, step := range []struct {
		name string
		rec  events.SQSMessage
	}{
		{"a create", sqsRecord("m-1", trustQueue, "AROAEXAMPLEID:x", "tenant-a", create)},
		{"a renewal", sqsRecord("m-2", trustQueue, "AROAEXAMPLEID:x", "tenant-a", renew)},
		{"the renewal again", sqsRecord("m-2", trustQueue, "AROAEXAMPLEID:x", "tenant-a", renew)},
		{"the create again", sqsRecord("m-1", trustQueue, "AROAEXAMPLEID:x", "tenant-a", create)},
		{"another create", sqsRecord("m-3", trustQueue, "AROAEXAMPLEID:x", "tenant-a", create)},
	} {
		out, err := f.invoke(events.SQSEvent{Records: []events.SQSMessage{step.rec}})
		if err != nil || len(out.(events.SQSEventResponse).BatchItemFailures) != 0 {
			t.Fatalf("%s: %+v %v", step.name, out, err)
		}
	}
	ctx := context.Background()
	if c, err := f.store.GetContract(ctx, "tenant-a", "CT-0000000002"); err != nil || c.Status != contract.StatusActive {
		t.Fatalf("the next create's contract: %+v, %v; want CT-0000000002, no number skipped", c, err)
	}
	if a, err := f.store.GetAction(ctx, "tenant-a", "CA-0000000003"); err != nil || a.Type != "create-contract-with-plan" {
		t.Fatalf("the next create's action: %+v, %v; want CA-0000000003, no number skipped", a, err)
	}
}

// TestEventsAndMessagesShareTheProducersKey: an event whose detail names
// an idempotencyKey is applied once under it, whatever its event id (a
// PutEvents retried after a lost answer puts a new event), and the same
// key on the queue names the same request; the key with another request,
// or a key that is not 1 to 255 printable ASCII characters, is refused.
func TestEventsAndMessagesShareTheProducersKey(t *testing.T) {
	f := newAsyncFunction(t)
	keyedEvent := func(id, key, request string) map[string]any {
		ev := busEvent(id, trustSource, "444455556666", "tenant-a", request)
		ev["detail"].(map[string]any)["idempotencyKey"] = key
		return ev
	}
	for _, step := range []struct {
		name    string
		event   any
		refused bool
	}{
		{"a keyed event", keyedEvent("e-1", "order-9", actionsRequest("ACC-1")), false},
		{"the request put again", keyedEvent("e-2", "order-9", actionsRequest("ACC-1")), false},
		{"the request on the queue", events.SQSEvent{Records: []events.SQSMessage{withKey(sqsRecord("m-1", trustQueue, "AROAEXAMPLEID:x", "tenant-a", actionsRequest("ACC-1")), "order-9")}}, false},
		{"another request under the key", keyedEvent("e-3", "order-9", actionsRequest("ACC-2")), true},
		{"an empty key", keyedEvent("e-4", "", actionsRequest("ACC-3")), true},
	} {
		out, err := f.invoke(step.event)
		var r *easybilling.Refusal
		refused := errors.As(err, &r)
		if sqs, ok := out.(events.SQSEventResponse); ok {
			refused = len(sqs.BatchItemFailures) > 0
		} else if err != nil && !refused {
			t.Fatalf("%s: %v", step.name, err)
		}
		if refused != step.refused {
			t.Errorf("%s: refused %v (%v), want %v", step.name, refused, err, step.refused)
		}
		if n := f.actions("tenant-a"); n != 1 {
			t.Fatalf("%s: the tenant has %d actions, want 1", step.name, n)
		}
	}
}
