package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// dialects lists every dialect the benchmarks measure. It is the one place
// a new dialect is registered: each entry adds its rows to the warm
// latency, round trip, capacity, throughput and handler CPU tables, and
// makes its function's cold start answer a real read instead of the 501
// of a declared route.
var dialects = []Dialect{
	kukkinguDialect(),
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
	// Create returns a request that creates a contract for t. Every call
	// must create a new contract (the dialect hands out the id).
	Create func(t Tenant) events.APIGatewayV2HTTPRequest
	// CreatedID returns the public id a create's response hands out.
	CreatedID func(resp events.APIGatewayV2HTTPResponse) (string, error)
	// Get returns a request that reads t's contract id.
	Get func(t Tenant, id string) events.APIGatewayV2HTTPRequest
	// List returns a request for the first page of t's contracts.
	List func(t Tenant) events.APIGatewayV2HTTPRequest
}

// dialectOf returns the first registered dialect that the function
// serves, or nil.
func dialectOf(function string) *Dialect {
	for i := range dialects {
		if dialects[i].Function == function {
			return &dialects[i]
		}
	}
	return nil
}

// Tenant is a tenant the benchmarks created, with one credential.
type Tenant struct {
	// ID is the tenant's id, as the authorizer hands it to the functions.
	ID string
	// Alias is the identifier clients send in tenant headers.
	Alias string
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
					auth.ContextTenantAliases: t.Alias,
				},
			},
		},
	}
	return ev
}

// authorizerEvent is the request API Gateway sends the Lambda authorizer
// (payload format 2.0) for a request carrying t's token.
func authorizerEvent(t Tenant, routeKey string) events.APIGatewayV2CustomAuthorizerV2Request {
	method, path, _ := strings.Cut(routeKey, " ")
	return events.APIGatewayV2CustomAuthorizerV2Request{
		Version:  "2.0",
		Type:     "REQUEST",
		RouteArn: "arn:aws:execute-api:us-east-1:123456789012:bench/$default/" + method + path,
		RouteKey: routeKey,
		RawPath:  path,
		Headers: map[string]string{
			"authorization": "Bearer " + t.Token,
			"tenant-id":     t.Alias,
			"host":          "bench.execute-api.us-east-1.amazonaws.com",
		},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			AccountID: "123456789012",
			APIID:     "bench",
			RequestID: "bench-authorizer",
			RouteKey:  routeKey,
			Stage:     "$default",
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method: method, Path: path, Protocol: "HTTP/1.1", SourceIP: "203.0.113.10",
			},
		},
	}
}

// dataID reads {"data": {"id": ...}}, the envelope Kukkingu wraps a
// created contract in.
func dataID(resp events.APIGatewayV2HTTPResponse) (string, error) {
	var body struct {
		Data struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Data.ID == "" {
		return "", fmt.Errorf("no data.id in the response (status %d): %.200s", resp.StatusCode, resp.Body)
	}
	return body.Data.ID, nil
}
