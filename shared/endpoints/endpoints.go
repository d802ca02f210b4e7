// Package endpoints assembles the router of each HTTP function: which
// dialect handlers serve which routes. The functions' main packages only
// call these; tests build the same routers to check every route of
// template.yaml is answered.
package endpoints

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/contracts-service/contracts/shared/aira"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/easybilling"
	"github.com/contracts-service/contracts/shared/fabric"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/idempotency"
	"github.com/contracts-service/contracts/shared/kukkingu"
	"github.com/contracts-service/contracts/shared/logs"
	"github.com/contracts-service/contracts/shared/strictjson"
	"github.com/contracts-service/contracts/shared/trigger"
)

// Store is everything the functions need from storage; the DynamoDB
// adapter implements it.
type Store interface {
	contract.Store
	contract.OrderedStore
	aira.Store
	easybilling.Store
	easybilling.TenantChecker
	idempotency.Store
}

// StartHTTP is the main of a function whose only event source is its
// stack's HTTP API (CreateContractFunction, OrganizationContractsFunction):
// it hands router(store, log), which serves only its API stage's events,
// to the Lambda runtime.
func StartHTTP(router func(Store, *slog.Logger) *httpapi.Router) {
	log, store, origin := fromEnv()
	rt := router(store, log)
	rt.RequireOrigin(origin)
	lambda.Start(rt.Serve)
}

// StartContractActions is ContractActionsFunction's main: it reads, with
// what every function reads, whom the queue and bus paths take requests
// from, and hands ContractActionsHandler to the Lambda runtime.
func StartContractActions() {
	log, store, origin := fromEnv()
	trust, err := easybilling.TrustFromEnv()
	if err != nil {
		logs.InitFailed(log, err)
	}
	lambda.Start(ContractActionsHandler(store, log, origin, trust))
}

// fromEnv reads what every function serving the HTTP API needs, once,
// outside the handler: its log, the DynamoDB store, and the API stage it
// serves. What is missing ends the function's init.
func fromEnv() (*slog.Logger, Store, httpapi.Origin) {
	log := logs.New()
	origin, err := httpapi.OriginFromEnv()
	if err != nil {
		logs.InitFailed(log, err)
	}
	store, err := ddb.FromEnv(context.Background())
	if err != nil {
		logs.InitFailed(log, err)
	}
	return log, store, origin
}

// newRouter is a router whose writes honour Idempotency-Key.
func newRouter(store Store, log *slog.Logger) *httpapi.Router {
	rt := httpapi.NewRouter(log)
	if store != nil {
		rt.UseIdempotency(store)
	}
	return rt
}

// CreateContract is CreateContractFunction's router: the Kukkingu and Aira
// contracts APIs.
//
// The function also holds the HTTP API's $default route, which API
// Gateway invokes for requests no route matches: its router answers them
// from the routes of every function (see httpapi.Router.AnswerUnmatched).
func CreateContract(store Store, log *slog.Logger) *httpapi.Router {
	rt := createContract(store, log)
	rt.AnswerUnmatched(APIRouteKeys())
	return rt
}

func createContract(store Store, log *slog.Logger) *httpapi.Router {
	rt := newRouter(store, log)
	service := contract.NewService(store)
	kukkingu.NewHandler(service).Register(rt)
	aira.NewHandler(service, store).Register(rt)
	return rt
}

// APIRouteKeys returns the route keys of every function's routes: the
// routes of the HTTP API, as template.yaml declares them.
func APIRouteKeys() []string {
	log := slog.New(slog.DiscardHandler)
	var keys []string
	for _, rt := range []*httpapi.Router{createContract(nil, log), ContractActions(nil, log), OrganizationContracts(nil, log)} {
		keys = append(keys, rt.RouteKeys()...)
	}
	return keys
}

// ContractActions is ContractActionsFunction's router: EasyBilling's
// contract actions and the routes that read their results back.
func ContractActions(store Store, log *slog.Logger) *httpapi.Router {
	rt, _ := contractActions(store, log)
	return rt
}

func contractActions(store Store, log *slog.Logger) (*httpapi.Router, *easybilling.Handler) {
	rt := newRouter(store, log)
	h := easybilling.NewHandler(contract.NewService(store), store)
	h.Register(rt)
	return rt, h
}

// ContractActionsHandler is ContractActionsFunction's Lambda handler: the
// function is triggered by API Gateway, by SQS, by EventBridge and by
// direct invocation, and answers each in its own protocol. It serves only
// the HTTP events API Gateway delivers for origin, and the queue's and
// bus's requests trust names.
func ContractActionsHandler(store Store, log *slog.Logger, origin httpapi.Origin, trust easybilling.Trust) func(context.Context, json.RawMessage) (any, error) {
	rt, h := contractActions(store, log)
	rt.RequireOrigin(origin)
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		// Only HTTP events carry a request id of their own (the router
		// logs it); a queue's, a rule's or a direct invocation is known
		// by Lambda's.
		log := log
		if lc, ok := lambdacontext.FromContext(ctx); ok {
			logs.Invocation(lc.AwsRequestID)
			log = log.With("requestId", lc.AwsRequestID)
		}
		if xray := logs.XRayTraceID(ctx); xray != "" {
			log = log.With("xrayTraceId", xray)
		}
		kind, err := trigger.Recognise(raw)
		if err != nil {
			log.Warn("unrecognised event", "error", err.Error())
			return nil, err
		}
		switch kind {
		case trigger.HTTP:
			var ev events.APIGatewayV2HTTPRequest
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("decode http api event: %w", err)
			}
			return rt.Serve(ctx, ev)
		case trigger.SQS:
			var ev events.SQSEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("decode sqs event: %w", err)
			}
			return h.HandleSQS(ctx, store, log, trust, ev), nil
		case trigger.EventBridge:
			var ev events.EventBridgeEvent
			if err := json.Unmarshal(raw, &ev); err != nil {
				return nil, fmt.Errorf("decode eventbridge event: %w", err)
			}
			return nil, h.HandleEventBridge(ctx, store, log, trust, ev)
		default:
			// The payload is the invoker's own JSON, held to the rules
			// of every request body (the events above are AWS's).
			var inv easybilling.Invocation
			if err := strictjson.Decode(raw, &inv); err != nil {
				return nil, fmt.Errorf("decode direct invocation: %w", err)
			}
			return h.HandleDirect(ctx, store, log, inv)
		}
	}
}

// OrganizationContracts is OrganizationContractsFunction's router:
// fabric's organization contracts.
func OrganizationContracts(store Store, log *slog.Logger) *httpapi.Router {
	rt := newRouter(store, log)
	fabric.NewHandler(contract.NewService(store), store).Register(rt)
	return rt
}
