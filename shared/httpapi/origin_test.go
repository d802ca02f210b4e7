package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

const (
	originStack   = "arn:aws:cloudformation:eu-west-1:111122223333:stack/contracts/0b4c6e2a-1d3f-4a5b-8c7d-9e0f1a2b3c4d"
	originAccount = "111122223333"
	originRoute   = "GET /api/v1/contracts/{contractId}"
)

// invocation is the context Lambda gives a function of originAccount.
func invocation() context.Context {
	return lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       "aws-req-1",
		InvokedFunctionArn: "arn:aws:lambda:eu-west-1:" + originAccount + ":function:contracts-CreateContractFunction-x",
	})
}

// delivered is a request as API Gateway delivers it for the stack's API
// stage: payload 2.0, the route it matched, the API's account and the
// stage's variables.
func delivered() events.APIGatewayV2HTTPRequest {
	ev := routed(originRoute, "/api/v1/contracts/ctr_1", map[string]string{"contractId": "ctr_1"})
	ev.RequestContext.AccountID = originAccount
	ev.RequestContext.APIID = "abcdef1234"
	ev.RequestContext.Stage = "$default"
	ev.StageVariables = map[string]string{httpapi.StageVariableStackID: originStack}
	return ev
}

// TestOriginRefusesWhatAPIGatewayDidNotDeliver: a router that requires its
// stack's origin serves the events API Gateway delivers for that stack's
// API stage and answers 403, without running the handler, to any other:
// a Lambda function URL's, another stack's or stage's, another account's,
// a hand-built one.
func TestOriginRefusesWhatAPIGatewayDidNotDeliver(t *testing.T) {
	tests := []struct {
		name   string
		ctx    func() context.Context
		change func(*events.APIGatewayV2HTTPRequest)
		served bool
	}{
		{"as API Gateway delivers it", invocation, func(*events.APIGatewayV2HTTPRequest) {}, true},
		{"no stage variables (a hand-built event)", invocation, func(ev *events.APIGatewayV2HTTPRequest) { ev.StageVariables = nil }, false},
		{"another stack's stage", invocation, func(ev *events.APIGatewayV2HTTPRequest) {
			ev.StageVariables[httpapi.StageVariableStackID] = strings.Replace(originStack, "0b4c", "ffff", 1)
		}, false},
		{"the stack id with other case", invocation, func(ev *events.APIGatewayV2HTTPRequest) {
			ev.StageVariables[httpapi.StageVariableStackID] = strings.ToUpper(originStack)
		}, false},
		{"a Lambda function URL", invocation, func(ev *events.APIGatewayV2HTTPRequest) {
			ev.StageVariables = nil
			ev.RouteKey, ev.RequestContext.RouteKey = "$default", "$default"
			ev.RequestContext.DomainName = "abcdefghij.lambda-url.eu-west-1.on.aws"
		}, false},
		{"payload format 1.0", invocation, func(ev *events.APIGatewayV2HTTPRequest) { ev.Version = "1.0" }, false},
		{"a route key of no route of the function", invocation, func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RouteKey, ev.RequestContext.RouteKey = "GET /api/v1/contracts", "GET /api/v1/contracts"
		}, false},
		{"no route key", invocation, func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RouteKey, ev.RequestContext.RouteKey = "", ""
		}, false},
		{"request context naming another route", invocation, func(ev *events.APIGatewayV2HTTPRequest) {
			ev.RequestContext.RouteKey = "DELETE /api/v1/contracts/{contractId}"
		}, false},
		{"an API of another account", invocation, func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.AccountID = "444455556666" }, false},
		{"no account", invocation, func(ev *events.APIGatewayV2HTTPRequest) { ev.RequestContext.AccountID = "" }, false},
		{"outside a Lambda invocation", context.Background, func(*events.APIGatewayV2HTTPRequest) {}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, buf := newRouter()
			rt.RequireOrigin(httpapi.Origin{StackID: originStack})
			ran := false
			rt.Handle(originRoute, func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
				ran = true
				return httpapi.NoContent(), nil
			})
			ev := delivered()
			ev.Headers["authorization"] = "Bearer ctk_secret"
			tt.change(&ev)
			resp := serveCtx(t, tt.ctx(), rt, ev)
			if tt.served {
				if resp.StatusCode != 204 || !ran {
					t.Fatalf("status %d (handler ran: %v), want the handler's 204", resp.StatusCode, ran)
				}
				if len(linesWithMsg(t, buf, "refused an event API Gateway did not deliver for this stack")) != 0 {
					t.Fatalf("a delivered event was logged as refused:\n%s", buf)
				}
				return
			}
			problemOf(t, resp, 403)
			if ran {
				t.Fatal("the handler ran for an event API Gateway did not deliver")
			}
			lines := linesWithMsg(t, buf, "refused an event API Gateway did not deliver for this stack")
			if len(lines) != 1 || lines[0]["level"] != "WARN" || lines[0]["why"] == "" || lines[0]["requestId"] != "req-1" {
				t.Fatalf("want one warning saying why, with the request id:\n%s", buf)
			}
			if strings.Contains(buf.String(), "ctk_secret") {
				t.Fatalf("the refusal logged a header:\n%s", buf)
			}
			requestLine(t, buf, 403)
		})
	}
}

// Without RequireOrigin (the dialects' own tests), events are served as
// they come.
func TestNoOriginServesAnyEvent(t *testing.T) {
	rt, _ := newRouter()
	rt.Handle(originRoute, func(context.Context, *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
		return httpapi.NoContent(), nil
	})
	if resp := serve(t, rt, routed(originRoute, "/api/v1/contracts/ctr_1", map[string]string{"contractId": "ctr_1"})); resp.StatusCode != 204 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

func TestOriginFromEnv(t *testing.T) {
	t.Setenv(httpapi.EnvStackID, "")
	if _, err := httpapi.OriginFromEnv(); !errors.Is(err, httpapi.ErrNoStackID) {
		t.Fatalf("without %s: %v, want ErrNoStackID", httpapi.EnvStackID, err)
	}
	t.Setenv(httpapi.EnvStackID, originStack)
	t.Setenv(httpapi.EnvSAMLocal, "")
	t.Setenv("AWS_ACCOUNT_ID", "444455556666")
	o, err := httpapi.OriginFromEnv()
	if err != nil || o.StackID != originStack || o.Account != "" {
		t.Fatalf("OriginFromEnv = %+v, %v; want the stack, and the account taken from each invocation", o, err)
	}
}

// samLocalStack is the AWS::StackId SAM CLI resolves in every template it
// runs (samcli/lib/intrinsic_resolver/intrinsics_symbol_table.py), so
// both the stage variable of sam local start-api's events and the
// functions' STACK_ID.
const samLocalStack = "arn:aws:cloudformation:us-east-1:123456789012:stack/local/51af3dc0-da77-11e4-872e-1234567db123"

// TestOriginServesWhatSAMLocalDelivers: testdata/sam-local-start-api.json
// is the event SAM CLI's start-api builds for POST /api/contract-actions
// of template.yaml (made by its own LocalApigwService, with the
// authorizer's answer for the demo tenant): Title-Case header names, the
// stage "prod" and the account 123456789012, while SAM CLI's emulator
// names the function with the account 012345678912. Under SAM CLI
// (AWS_SAM_LOCAL=true, AWS_ACCOUNT_ID set as it sets it) the event is
// served and its Trace-Id echoed; anywhere else the same event is a 403,
// and so is one of another stack even under SAM CLI.
func TestOriginServesWhatSAMLocalDelivers(t *testing.T) {
	raw := httpapitest.ReadFile(t, "testdata/sam-local-start-api.json")
	rieCtx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{
		AwsRequestID:       "aws-req-1",
		InvokedFunctionArn: "arn:aws:lambda:us-east-1:012345678912:function:ContractActionsFunction",
	})
	tests := []struct {
		name     string
		samLocal string
		stack    string
		served   bool
	}{
		{"under sam local", "true", samLocalStack, true},
		{"outside sam local", "", samLocalStack, false},
		{"under sam local, another stack", "true", originStack, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(httpapi.EnvStackID, tt.stack)
			t.Setenv(httpapi.EnvSAMLocal, tt.samLocal)
			t.Setenv("AWS_ACCOUNT_ID", "123456789012")
			origin, err := httpapi.OriginFromEnv()
			if err != nil {
				t.Fatal(err)
			}
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal([]byte(raw), &ev); err != nil {
				t.Fatal(err)
			}
			rt, buf := newRouter()
			rt.RequireOrigin(origin)
			rt.EchoTraceID()
			ran := false
			rt.Handle("POST /api/contract-actions", func(_ context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
				ran = true
				if r.Actor.TenantID != "demo" {
					t.Errorf("tenant %q, want the authorizer's demo", r.Actor.TenantID)
				}
				return httpapi.NoContent(), nil
			})
			resp := serveCtx(t, rieCtx, rt, ev)
			if !tt.served {
				problemOf(t, resp, 403)
				if ran {
					t.Fatal("the handler ran")
				}
				return
			}
			if resp.StatusCode != 204 || !ran {
				t.Fatalf("status %d (handler ran: %v), want the handler's 204\n%s", resp.StatusCode, ran, buf)
			}
			if got := resp.Headers["trace-id"]; got != "5b2e6c1a-8f3d-4e7b-9a10-2c4d6e8f0a1b" {
				t.Errorf("trace-id echoed %q, want the Title-Case Trace-Id sent", got)
			}
		})
	}
}
