package endpoints_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/metrics"
	"github.com/contracts-service/contracts/shared/metrics/metricstest"
)

// TestDeliveriesAreCounted: every SQS message, EventBridge event and
// direct invocation writes one line saying how it ended, which is also
// its EMF record: Deliveries by Function, Source and Outcome (applied, a
// redelivery that applied nothing counted as a replay too; refused, with
// the problem and never a value it quotes; failed, counted as unavailable
// when DynamoDB stayed throttled), and the tenant as a property. The
// lines are written though the log keeps only warnings.
func TestDeliveriesAreCounted(t *testing.T) {
	store, _, faults := ddbtest.NewFaultyStore(t)
	ctx := context.Background()
	ddbtest.CreateTenant(t, store, auth.Tenant{ID: "tenant-a", CreatedAt: time.Now()})
	ddbtest.PutPlans(t, store, "tenant-a", []contract.Plan{{ID: trustPlan, Name: "Monthly", Currencies: []string{"USD"}}})
	var buf bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))
	handler := endpoints.ContractActionsHandler(store, log, httpapi.Origin{StackID: trustStack}, trust)
	invoke := func(event any) {
		t.Helper()
		raw, err := json.Marshal(event)
		if err != nil {
			t.Fatal(err)
		}
		lctx := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "aws-req",
			InvokedFunctionArn: "arn:aws:lambda:eu-west-1:" + trustAccount + ":function:contracts-ContractActionsFunction-X"})
		_, _ = handler(lctx, raw)
	}
	const taken = "ghost-tenant-7f3a"

	invoke(events.SQSEvent{Records: []events.SQSMessage{
		sqsRecord("m-1", trustQueue, "AROAEXAMPLE:sender", "tenant-a", actionsRequest("ACC-1")),
		sqsRecord("m-2", trustQueue, "AROAEXAMPLE:sender", taken, actionsRequest("ACC-2")),
	}})
	invoke(events.SQSEvent{Records: []events.SQSMessage{sqsRecord("m-1", trustQueue, "AROAEXAMPLE:sender", "tenant-a", actionsRequest("ACC-1"))}})
	keyed := func(id, body string) events.SQSMessage {
		return withKey(sqsRecord(id, trustQueue, "AROAEXAMPLE:sender", "tenant-a", body), "order-1")
	}
	invoke(events.SQSEvent{Records: []events.SQSMessage{keyed("m-3", actionsRequest("ACC-7")), keyed("m-4", actionsRequest("ACC-8"))}})
	invoke(busEvent("e-1", trustSource, "444455556666", "tenant-a", actionsRequest("ACC-3")))
	invoke(busEvent("e-2", "com.example.unlisted", "444455556666", "tenant-a", actionsRequest("ACC-4")))
	invoke(map[string]any{"tenantId": "tenant-a", "request": json.RawMessage(actionsRequest("ACC-5"))})
	faults.Inject("GetItem", 1000, ddbtest.APIError(400, "ThrottlingException"))
	invoke(map[string]any{"tenantId": "tenant-a", "request": json.RawMessage(actionsRequest("ACC-6"))})
	faults.Reset()

	type delivery struct {
		Source, Outcome, Tenant string
		Replays, Unavailable    float64
	}
	var got []delivery
	for _, r := range metricstest.Records(t, &buf) {
		if r["Deliveries"] != 1.0 {
			t.Errorf("Deliveries = %v: %v", r["Deliveries"], r)
		}
		if dims := metricstest.Dimensions(r, metrics.Deliveries); !reflect.DeepEqual(dims, [][]string{{"Function", "Source", "Outcome"}}) {
			t.Errorf("Deliveries by %v", dims)
		}
		tenant, _ := r["tenant"].(string)
		got = append(got, delivery{r["Source"].(string), r["Outcome"].(string), tenant, r["Replays"].(float64), r["Unavailable"].(float64)})
	}
	want := []delivery{
		{"sqs", "applied", "tenant-a", 0, 0},
		{"sqs", "refused", taken, 0, 0},
		{"sqs", "applied", "tenant-a", 1, 0},
		{"sqs", "applied", "tenant-a", 0, 0},
		{"sqs", "refused", "tenant-a", 0, 0},
		{"eventbridge", "applied", "tenant-a", 0, 0},
		{"eventbridge", "refused", "", 0, 0},
		{"direct", "applied", "tenant-a", 0, 0},
		{"direct", "failed", "tenant-a", 0, 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("deliveries\n  %+v\nwant\n  %+v\n%s", got, want, &buf)
	}
	// A key used again for another request is refused with its code, and
	// its lines name the key, which outlives the message id on a redrive.
	reused := false
	for _, line := range strings.Split(buf.String(), "\n") {
		reused = reused || strings.Contains(line, `"message refused"`) &&
			strings.Contains(line, `"code":"IDEMPOTENCY_KEY_REUSED"`) && strings.Contains(line, `"idempotencyKey":"order-1"`)
	}
	if !reused {
		t.Errorf("no refused line names the reused key and its code:\n%s", &buf)
	}
	// The refused message names its tenant as a property, and its problem
	// without the value it quotes.
	for _, line := range strings.Split(buf.String(), "\n") {
		if strings.Contains(line, `"message refused"`) && strings.Contains(line, `tenant \"`+taken) {
			t.Errorf("the problem quotes the tenant it could not find: %s", line)
		}
	}
}
