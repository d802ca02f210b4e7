package httpapi

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

// StageVariableStackID is the stage variable template.yaml gives the HTTP
// API's stage: the id of the stack that declares it. API Gateway hands
// every request's stage variables to the function with the event.
const StageVariableStackID = "stackId"

// EnvStackID is the environment variable that holds, for each function,
// the id of the stack it belongs to (template.yaml sets it to
// AWS::StackId).
const EnvStackID = "STACK_ID"

// Origin says which HTTP events a function serves: those API Gateway
// delivers for the HTTP API stage of the function's own stack.
//
// Lambda hands a function its event and nothing about who invoked it, so
// any principal allowed lambda:InvokeFunction could send an event shaped
// like API Gateway's, authorizer context included. The check cannot stop
// such a principal (IAM decides who may invoke; template.yaml grants it to
// API Gateway for this API only), but it refuses what no API Gateway of
// this stack would deliver: an event of a Lambda function URL, of another
// API or stage, of another account, or one built by hand without the
// stack's mark. The API's own id cannot serve as the mark: a function that
// names its API in its environment makes the API and the function depend
// on each other, which CloudFormation refuses (cfn-lint E3004), while the
// stack id is known to both without a reference.
type Origin struct {
	// StackID is the stack's id, which the stage carries as the stage
	// variable StageVariableStackID.
	StackID string
	// Account, when set, is the account the API must belong to, in place
	// of the one in the invoked function's ARN. Only OriginFromEnv sets
	// it, and only under SAM CLI (see EnvSAMLocal).
	Account string
}

// EnvSAMLocal is the variable SAM CLI sets to "true" in every function it
// runs (samcli/local/lambdafn/env_vars.py), beside AWS_ACCOUNT_ID
// "123456789012". Its emulator names every function
// arn:aws:lambda:us-east-1:012345678912:function:<name> (aws-lambda-rie,
// internal/lambda/rie/handlers.go), while sam local start-api's events
// carry the account 123456789012 (samcli/local/events/api_event.py): the
// two never agree, so under SAM CLI the API's account is compared with
// AWS_ACCOUNT_ID instead. Lambda never sets EnvSAMLocal, and template.yaml
// declares it for no function (infra TestNoFunctionRunsAsSAMLocal); the
// stage variable and the route key are checked the same everywhere.
const EnvSAMLocal = "AWS_SAM_LOCAL"

// samLocalAccount is the account SAM CLI's events and AWS_ACCOUNT_ID name.
const samLocalAccount = "123456789012"

// ErrNoStackID reports a function started without EnvStackID.
var ErrNoStackID = errors.New("httpapi: " + EnvStackID + " is not set, so no HTTP event could be told to come from the stack's API")

// OriginFromEnv returns the Origin of the function's stack, from
// EnvStackID; an error when it is not set, since every request would then
// be refused.
func OriginFromEnv() (Origin, error) {
	id := os.Getenv(EnvStackID)
	if id == "" {
		return Origin{}, ErrNoStackID
	}
	o := Origin{StackID: id}
	if os.Getenv(EnvSAMLocal) == "true" {
		o.Account = cmp.Or(os.Getenv("AWS_ACCOUNT_ID"), samLocalAccount)
	}
	return o, nil
}

// RequireOrigin makes the router serve only the events API Gateway
// delivers for o; any other answers 403. Without it every event is
// served, as the unit tests of the dialects send them.
func (rt *Router) RequireOrigin(o Origin) { rt.origin = &o }

// refuses returns why ev, which names the function's route routeKey (""
// for none), is not an event API Gateway delivered for o, or "" when it
// is (or when o is nil).
func (o *Origin) refuses(ctx context.Context, ev *events.APIGatewayV2HTTPRequest, routeKey string) string {
	if o == nil {
		return ""
	}
	switch {
	case ev.Version != "2.0":
		return "not payload format 2.0"
	case ev.StageVariables[StageVariableStackID] != o.StackID:
		// A function URL, another API or another stage has no such
		// variable, or another value.
		return "the stage variable " + StageVariableStackID + " does not name this stack"
	case routeKey == "" || ev.RouteKey != routeKey || ev.RequestContext.RouteKey != routeKey:
		// API Gateway names the route it matched, twice, and invokes a
		// function only for its own routes: both come from template.yaml.
		return "the route key is not one of the function's routes"
	}
	// The API belongs to the function's own account.
	account := o.Account
	if account == "" {
		lc, ok := lambdacontext.FromContext(ctx)
		if !ok {
			return "the invocation names no function"
		}
		account = accountOf(lc.InvokedFunctionArn)
	}
	if account == "" || ev.RequestContext.AccountID != account {
		return "the API is not of the function's account"
	}
	return ""
}

// accountOf returns the account of an ARN (arn:partition:service:region:
// account:...), or "" for anything else.
func accountOf(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// refuseForeign logs an event that API Gateway did not deliver, with what
// it claims to be (never its headers or body), and answers it 403.
func (rt *Router) refuseForeign(ctx context.Context, attrs []slog.Attr, ev *events.APIGatewayV2HTTPRequest, why string) events.APIGatewayV2HTTPResponse {
	rt.log.LogAttrs(ctx, slog.LevelWarn, "refused an event API Gateway did not deliver for this stack",
		append(attrs, slog.String("why", why), slog.String("apiId", ev.RequestContext.APIID),
			slog.String("stage", ev.RequestContext.Stage), slog.String("accountId", ev.RequestContext.AccountID))...)
	return ProblemResponse(http.StatusForbidden, "this function serves only the requests its stack's HTTP API delivers")
}
