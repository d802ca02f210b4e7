package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// dialects lists every dialect the benchmarks measure. It is the one place
// a new dialect is registered: each entry adds its rows to the warm
// latency, round trip, capacity, throughput and handler CPU tables, and
// the first entry of each function makes that function's cold start
// answer a real read instead of the 501 of a declared route.
var dialects = []Dialect{
	kukkinguDialect(),
	fabricDialect(),
	airaDialect(),
	easyBillingDialect(),
}

// Dialect is what the benchmarks need to know of one wire format: which
// function serves it, how that function's router is built, and one
// request of each kind a client sends most (create, get, list).
type Dialect struct {
	// Name names the dialect in the tables.
	Name string
	// Function is the logical id, in template.yaml, of the function that
	// serves the dialect.
	Function string
	// Router builds the function's router over store, exactly as the
	// function's main does (shared/endpoints). A function whose router
	// needs less than an endpoints.Store is wrapped in a func literal.
	Router func(store endpoints.Store, log *slog.Logger) *httpapi.Router
	// Plans, if set, is the plan catalog the dialect's creates name,
	// loaded into a tenant before its first request as an operator loads
	// a real tenant's.
	Plans []contract.Plan
	// Create returns a request that creates a contract for t. Every call
	// must create a new contract: a value the client chooses and the
	// service keeps unique (Aira's customer externalId, fabric's
	// contractId) differs from call to call.
	Create func(t Tenant) events.APIGatewayV2HTTPRequest
	// Seed, if set, returns the creates that fill a tenant with the
	// contracts a get reads and a list pages through; without it the
	// seeds are Creates. A dialect whose list shows a party's most
	// recent contracts first (fabric) seeds that party and creates under
	// another, so its list shows the same contracts in every round.
	Seed func(t Tenant) events.APIGatewayV2HTTPRequest
	// Created reads what a create's response handed out.
	Created func(resp events.APIGatewayV2HTTPResponse) (Created, error)
	// Get returns a request that reads the contract c was read from.
	Get func(t Tenant, c Created) events.APIGatewayV2HTTPRequest
	// List returns a request for the first page of what the dialect
	// lists; seed is the first contract the tenant was seeded with.
	List func(t Tenant, seed Created) events.APIGatewayV2HTTPRequest
	// ListWhat says what List lists, for the report, when it is not the
	// tenant's contracts.
	ListWhat string
	// Notes tells the report's reader how the requests differ from the
	// samples they are taken from, and why; empty when they do not.
	Notes string
}

// seedRequest returns the request that seeds t with a contract.
func (d *Dialect) seedRequest(t Tenant) events.APIGatewayV2HTTPRequest {
	if d.Seed != nil {
		return d.Seed(t)
	}
	return d.Create(t)
}

// setUp loads d's Plans into t's catalog, if it has any.
func (d *Dialect) setUp(ctx context.Context, store PlanStore, t Tenant) error {
	if len(d.Plans) == 0 {
		return nil
	}
	if err := store.PutPlans(ctx, t.ID, d.Plans); err != nil {
		return fmt.Errorf("%s: set up tenant %s: %w", d.Name, t.ID, err)
	}
	return nil
}

// PlanStore is what setUp writes: the tenant's plan catalog. The
// DynamoDB store and the in-memory store both have it.
type PlanStore interface {
	PutPlans(ctx context.Context, tenantID string, plans []contract.Plan) error
}

// Created is what a create handed out, as its response shows it.
type Created struct {
	// ID is what a get names the contract by.
	ID string
	// Listed is what a list that shows the new record contains: the
	// contract's public id, unless the dialect lists something else
	// (Aira's list is a customer's payment accounts).
	Listed string
	// Scope is the value a list is scoped to when only the create hands
	// it out (Aira's customer id); empty otherwise.
	Scope string
	// Fresh is every value the create generated that its DynamoDB writes
	// carry: ids the service made up, numbers it drew, and unique values
	// the request chose. A replay of the create's floor writes new ones
	// in their place, so it writes new items and no key collides.
	Fresh []string
}

// uniqueSeq numbers the unique values the creates of this process choose.
var uniqueSeq atomic.Int64

// nextUnique returns a number no other call of this process returns.
// Every run and every test has a table or store of its own, so unique in
// the process is unique where it counts.
func nextUnique() int64 { return uniqueSeq.Add(1) }

// createEvents returns n create requests of d for t, built ahead of a
// measurement so that building them, and making each unique, is not
// measured as the handler's work.
func createEvents(d *Dialect, t Tenant, n int) []events.APIGatewayV2HTTPRequest {
	evs := make([]events.APIGatewayV2HTTPRequest, n)
	for i := range evs {
		evs[i] = d.Create(t)
	}
	return evs
}

// Tenant is a tenant the benchmarks created, with one credential.
type Tenant struct {
	// ID is the tenant's id, as the authorizer hands it to the functions.
	ID string
	// Alias is the identifier clients send in tenant headers.
	Alias string
	// Account is a second alias, 24 characters long: the account fabric's
	// x-site-context header names.
	Account string
	// CredentialID is the credential's id, recorded as createdBy.
	CredentialID string
	// Token is the credential's secret, for the authorizer.
	Token string
}

// apiEvent returns the event API Gateway's HTTP API hands a function for
// routeKey ("GET /api/v1/contracts/{contractId}") after the authorizer
// accepted t's credential: path parameters filled in, lower-case headers,
// and the authorizer's context, as the sample events under infra/events
// show it.
func apiEvent(t Tenant, routeKey string, params, query, headers map[string]string, body string) events.APIGatewayV2HTTPRequest {
	method, path, _ := strings.Cut(routeKey, " ")
	for k, v := range params {
		path = strings.Replace(path, "{"+k+"}", v, 1)
	}
	h := map[string]string{
		"accept":          "application/json",
		"authorization":   "Bearer " + t.Token,
		"host":            "bench.execute-api.us-east-1.amazonaws.com",
		"user-agent":      "contracts-bench",
		"x-forwarded-for": "203.0.113.10",
	}
	for k, v := range headers {
		h[strings.ToLower(k)] = v
	}
	if body != "" {
		h["content-length"] = fmt.Sprint(len(body))
	}
	var raw []string
	for k, v := range query {
		raw = append(raw, k+"="+v)
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:               "2.0",
		RouteKey:              routeKey,
		RawPath:               path,
		RawQueryString:        strings.Join(raw, "&"),
		Headers:               h,
		QueryStringParameters: query,
		PathParameters:        params,
		Body:                  body,
		// The functions serve only their stack's stage: the local one.
		StageVariables: map[string]string{httpapi.StageVariableStackID: gateway.StackID},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID:  "123456789012",
			APIID:      "bench",
			DomainName: "bench.execute-api.us-east-1.amazonaws.com",
			RequestID:  "bench-request",
			RouteKey:   routeKey,
			Stage:      "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.10", UserAgent: "contracts-bench",
			},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				Lambda: map[string]any{
					auth.ContextTenantID:      t.ID,
					auth.ContextCredentialID:  t.CredentialID,
					auth.ContextTenantAliases: t.Alias + "," + t.Account,
				},
			},
		},
	}
	return ev
}

// readBody decodes a create's JSON response into v, or says what came
// back instead.
func readBody(resp events.APIGatewayV2HTTPResponse, v any) error {
	if err := json.Unmarshal([]byte(resp.Body), v); err != nil {
		return fmt.Errorf("the response (status %d) is not the expected JSON: %w: %.200s", resp.StatusCode, err, resp.Body)
	}
	return nil
}

// missing is the error of a response that lacks a value the benchmarks
// read from it.
func missing(what string, resp events.APIGatewayV2HTTPResponse) error {
	return fmt.Errorf("no %s in the response (status %d): %.300s", what, resp.StatusCode, resp.Body)
}
