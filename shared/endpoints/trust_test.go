package endpoints_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// The stack the trust tests deploy in, as template.yaml configures the
// function: its id, the API stage's mark.
const (
	trustAccount = "111122223333"
	trustStack   = "arn:aws:cloudformation:eu-west-1:" + trustAccount + ":stack/contracts/6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
	trustPlan    = "16ad814a-dd1b-41c8-9b4b-4e8551170fee"
)

// actionsRequest creates one contract for account.
func actionsRequest(account string) string {
	return `{"accountNumber": "` + account + `", "actions": [{"type": "create-contract-with-plan",
		"createContractWithPlan": [{"planId": "` + trustPlan + `", "effectiveDate": "2026-03-01",
		"expirationDate": "2027-02-28", "currency": ["USD"]}]}]}`
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
	ctx := context.Background()
	for _, id := range []string{"tenant-a", "tenant-b"} {
		if err := store.CreateTenant(ctx, auth.Tenant{ID: id, Aliases: []string{"alias-" + id}, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
		if err := store.PutPlans(ctx, id, []contract.Plan{{ID: trustPlan, Name: "Monthly", Currencies: []string{"USD"}}}); err != nil {
			t.Fatal(err)
		}
	}
	h := endpoints.ContractActionsHandler(store, slog.New(slog.DiscardHandler), httpapi.Origin{StackID: trustStack})
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

// TestContractActionsHTTPOrigin: ContractActionsFunction, which takes
// events of four kinds, serves an HTTP event only as API Gateway delivers
// it for the stack's stage: one built by hand, authorizer context and
// all, is a 403 that applies nothing.
func TestContractActionsHTTPOrigin(t *testing.T) {
	f := newAsyncFunction(t)
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: "POST /api/contract-actions", RawPath: "/api/contract-actions",
		Headers: map[string]string{"content-type": "application/json"}, Body: actionsRequest("ACC-1"),
		StageVariables: map[string]string{httpapi.StageVariableStackID: trustStack},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: "POST /api/contract-actions", AccountID: trustAccount, Stage: "$default", RequestID: "r-1",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: "POST", Path: "/api/contract-actions"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{
				"tenantId": "tenant-a", "credentialId": "cred-a", "tenantAliases": "",
			}},
		},
	}
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
