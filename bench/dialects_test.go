package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/infra/local/gateway"
)

// TestDialectsServeTheirRequests checks each registration the way the
// benchmarks use it, over the in-memory store: the tenant's setup and
// seeds succeed, two creates succeed and generate nothing alike, a get of
// the first seed answers it, and a list shows seeded records (which ones
// depends on the list's order). A registration that
// builds a request its dialect refuses fails here, in a second, rather
// than in the middle of a run against DynamoDB Local.
func TestDialectsServeTheirRequests(t *testing.T) {
	if len(dialects) == 0 {
		t.Fatal("no dialect registered")
	}
	for i := range dialects {
		d := &dialects[i]
		t.Run(d.Name, func(t *testing.T) {
			ctx := context.Background()
			m, err := inMemory(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			var made []Created
			for _, ev := range m.requests("create", 2) {
				resp, err := serve(ctx, m.router, ev)
				if err != nil {
					t.Fatal(err)
				}
				c, err := d.Created(resp)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Contains(c.Fresh, c.ID) {
					t.Errorf("a get names the contract by %q, which is not among the values the create generated %v", c.ID, c.Fresh)
				}
				made = append(made, c)
			}
			for _, v := range made[0].Fresh {
				if slices.Contains(made[1].Fresh, v) {
					t.Fatalf("two creates both generated %q: Create must make a new contract each call", v)
				}
			}
			get, err := serve(ctx, m.router, m.requests("get", 1)[0])
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(get.Body, m.existing.ID) {
				t.Fatalf("the get does not show %q: %.300s", m.existing.ID, get.Body)
			}
			list, err := serve(ctx, m.router, m.requests("list", 1)[0])
			if err != nil {
				t.Fatal(err)
			}
			shown := 0
			for _, c := range m.seeds {
				if c.Listed != "" && strings.Contains(list.Body, c.Listed) {
					shown++
				}
			}
			if shown == 0 {
				t.Fatalf("the list shows none of the %d seeded records: %.300s", len(m.seeds), list.Body)
			}
		})
	}
}

// TestDialectsNameTemplateFunctions checks that every dialect names a
// function template.yaml declares, that the routes its events carry are
// that function's, and that it explains round trips only of operations
// the benchmarks measure.
func TestDialectsNameTemplateFunctions(t *testing.T) {
	api, err := gateway.LoadTemplate("../"+gateway.TemplateFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dialects {
		if _, ok := api.Functions[d.Function]; !ok {
			t.Errorf("%s: function %s is not in the template", d.Name, d.Function)
			continue
		}
		c := Created{ID: "x", Scope: "y"}
		for _, ev := range []string{d.Create(benchTenant).RouteKey, d.seedRequest(benchTenant).RouteKey, d.Get(benchTenant, c).RouteKey, d.List(benchTenant, c).RouteKey} {
			found := false
			for _, r := range api.Routes {
				found = found || (r.Key() == ev && r.Function == d.Function)
			}
			if !found {
				t.Errorf("%s: route %s is not a route of %s", d.Name, ev, d.Function)
			}
		}
	}
}

func TestAPIEventFillsThePathAndAuthorizerContext(t *testing.T) {
	ev := apiEvent(benchTenant, "GET /v1/organizations/{organizationId}/contracts/{contractId}",
		map[string]string{"organizationId": "org", "contractId": "c1"}, map[string]string{"limit": "5"}, map[string]string{"X-Site-Context": "s"}, "")
	if ev.RawPath != "/v1/organizations/org/contracts/c1" || ev.RequestContext.HTTP.Path != ev.RawPath || ev.RequestContext.HTTP.Method != "GET" {
		t.Fatalf("path %q, %q, method %q", ev.RawPath, ev.RequestContext.HTTP.Path, ev.RequestContext.HTTP.Method)
	}
	if ev.Headers["x-site-context"] != "s" || ev.RawQueryString != "limit=5" {
		t.Fatalf("headers %v, query %q", ev.Headers, ev.RawQueryString)
	}
	lambda := ev.RequestContext.Authorizer.Lambda
	if lambda["tenantId"] != benchTenant.ID || lambda["credentialId"] != benchTenant.CredentialID || lambda["tenantAliases"] != benchTenant.Alias+","+benchTenant.Account {
		t.Fatalf("authorizer context %v", lambda)
	}
}

func TestColdStartAnswers(t *testing.T) {
	if got, err := apiAnswer([]byte(`{"statusCode":200,"body":"{}"}`)); err != nil || got != "200" {
		t.Fatalf("200: %q, %v", got, err)
	}
	for _, status := range []string{"501", "404", "500"} {
		if _, err := apiAnswer([]byte(`{"statusCode":` + status + `,"body":"{}"}`)); err == nil {
			t.Fatalf("a read of an existing contract must succeed, not answer %s", status)
		}
	}
	if _, err := apiAnswer([]byte(`{"errorMessage":"boom"}`)); err == nil {
		t.Fatal("a function error is no HTTP API response")
	}
	body, _ := json.Marshal(map[string]any{"isAuthorized": true})
	if got, err := authorizerAnswer(body); err != nil || got != "authorized" {
		t.Fatalf("authorizer: %q, %v", got, err)
	}
	if _, err := authorizerAnswer([]byte(`{"isAuthorized":false}`)); err == nil {
		t.Fatal("a refusal of a valid token must fail the run")
	}
}
