package openapitest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
	"github.com/contracts-service/contracts/shared/httpapi/openapitest"
)

// recorder is a testing.TB that keeps failures instead of reporting them,
// so a test can assert that Validate fails. Any other method of the
// embedded nil TB panics, which would mean Validate uses more of TB than
// these tests account for.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.errors = append(r.errors, "fatal: "+fmt.Sprintf(format, args...))
}

const (
	tenantID = "tnt_pfh0haxfpzowht3oi213cqos"
	alias    = "acme"
)

// event is an API Gateway HTTP API event as the authorizer lets it through.
func event(method, path, query string, headers map[string]string, body string) events.APIGatewayV2HTTPRequest {
	h := map[string]string{"authorization": "Bearer tok", "content-type": ""}
	maps.Copy(h, headers)
	target := path
	if query != "" {
		target += "?" + query
	}
	return httpapitest.Request{Method: method, Target: target, Body: body, Headers: h, Routes: endpoints.APIRouteKeys(),
		Caller: httpapitest.Caller{TenantID: tenantID, CredentialID: "cred_1", Aliases: alias}}.Event()
}

var jsonBody = map[string]string{"tenant-id": tenantID, "content-type": "application/json"}

const createdBody = `{"data":{
  "id": "ctr_z23aoo8naxk68ewcr64tchh5",
  "client": "clnt_z2b3mo8qa5kzptgsu26q2wmh",
  "name": "Standard Service Contract",
  "amountMinor": 5000,
  "currencyCode": "EUR",
  "createdAt": "2023-10-05T14:48:00.000Z",
  "updatedAt": "2023-10-05T14:48:00.000Z",
  "description": "This contract covers standard service terms and conditions.",
  "order": 13,
  "validFrom": "2023-10-05T14:48:00.000Z",
  "validTo": "2023-10-05T14:48:00.000Z"
}}`

func created(body string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusCreated,
		Headers: map[string]string{
			"Content-Type": "application/json",
			"Location":     "/api/v1/contracts/ctr_z23aoo8naxk68ewcr64tchh5",
		},
		Body: body,
	}
}

func TestValidate(t *testing.T) {
	createBody := httpapitest.Seed(t, "kukkingu")
	createReq := event(http.MethodPost, "/api/v1/contracts", "", jsonBody, createBody)
	tests := []struct {
		name string
		req  events.APIGatewayV2HTTPRequest
		resp events.APIGatewayV2HTTPResponse
		// fails lists what the failure must mention; nil means Validate
		// must pass.
		fails []string
	}{
		{
			name: "the seed's create passes",
			req:  createReq,
			resp: created(createdBody),
		},
		{
			name: "lower-case header names pass",
			req:  createReq,
			resp: events.APIGatewayV2HTTPResponse{
				StatusCode: http.StatusCreated,
				Headers:    map[string]string{"content-type": "application/json; charset=utf-8", "location": "/api/v1/contracts/ctr_z23aoo8naxk68ewcr64tchh5"},
				Body:       createdBody,
			},
		},
		{
			name:  "an extra field in the contract fails",
			req:   createReq,
			resp:  created(strings.Replace(createdBody, `"name":`, `"status": "active", "name":`, 1)),
			fails: []string{"POST /api/v1/contracts", "201", "status"},
		},
		{
			name:  "a wrong type fails",
			req:   createReq,
			resp:  created(strings.Replace(createdBody, `"amountMinor": 5000`, `"amountMinor": "5000"`, 1)),
			fails: []string{"POST /api/v1/contracts", "201", "amountMinor"},
		},
		{
			name:  "a missing required field fails",
			req:   createReq,
			resp:  created(strings.Replace(createdBody, `"createdAt": "2023-10-05T14:48:00.000Z",`, ``, 1)),
			fails: []string{"POST /api/v1/contracts", "201", "createdAt"},
		},
		{
			name:  "a body outside the envelope fails",
			req:   createReq,
			resp:  created(`{"id": "ctr_z23aoo8naxk68ewcr64tchh5"}`),
			fails: []string{"POST /api/v1/contracts", "201"},
		},
		{
			name: "a missing Location header fails",
			req:  createReq,
			resp: events.APIGatewayV2HTTPResponse{
				StatusCode: http.StatusCreated,
				Headers:    map[string]string{"Content-Type": "application/json"},
				Body:       createdBody,
			},
			fails: []string{"POST /api/v1/contracts", "201", "Location"},
		},
		{
			name:  "an undocumented status fails",
			req:   createReq,
			resp:  events.APIGatewayV2HTTPResponse{StatusCode: http.StatusAccepted, Headers: map[string]string{"Content-Type": "application/json"}, Body: createdBody},
			fails: []string{"POST /api/v1/contracts", "202", "status"},
		},
		{
			name:  "an undocumented content type fails",
			req:   createReq,
			resp:  events.APIGatewayV2HTTPResponse{StatusCode: http.StatusCreated, Headers: map[string]string{"Content-Type": "text/plain", "Location": "/api/v1/contracts/ctr_z23aoo8naxk68ewcr64tchh5"}, Body: "created"},
			fails: []string{"POST /api/v1/contracts", "201", "text/plain"},
		},
		{
			name:  "an undocumented route fails",
			req:   event(http.MethodGet, "/api/v2/contracts", "", jsonBody, ""),
			resp:  events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{}`},
			fails: []string{"GET /api/v2/contracts", "not documented"},
		},
		{
			name:  "an undocumented method fails",
			req:   event(http.MethodPut, "/api/v1/contracts", "", jsonBody, createBody),
			resp:  events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Headers: map[string]string{"Content-Type": "application/json"}, Body: createdBody},
			fails: []string{"PUT /api/v1/contracts", "not documented"},
		},
		{
			name: "a 400 to a request the document refuses passes",
			req:  event(http.MethodPost, "/api/v1/contracts", "", map[string]string{"content-type": "application/json"}, createBody),
			resp: httpapi.ProblemResponse(http.StatusBadRequest, "the request has invalid fields", contract.FieldError{Field: "tenant-id", Message: "header is required"}),
		},
		{
			name:  "a success to a request the document refuses fails",
			req:   event(http.MethodPost, "/api/v1/contracts", "", jsonBody, `{"name": "no client"}`),
			resp:  created(createdBody),
			fails: []string{"POST /api/v1/contracts", "201", "request"},
		},
		{
			name:  "a problem whose status contradicts the response's fails",
			req:   event(http.MethodGet, "/api/v1/contracts/ctr_x", "", jsonBody, ""),
			resp:  problemWithStatus(http.StatusNotFound, http.StatusBadRequest),
			fails: []string{"GET /api/v1/contracts/{contractId}", "404"},
		},
		{
			name: "API Gateway's own 401 passes",
			req:  event(http.MethodGet, "/api/v1/contracts", "", nil, ""),
			resp: events.APIGatewayV2HTTPResponse{StatusCode: http.StatusUnauthorized, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"message":"Unauthorized"}`},
		},
		{
			name:  "a 204 with a body fails",
			req:   event(http.MethodDelete, "/api/v1/contracts/ctr_x", "", jsonBody, ""),
			resp:  events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNoContent, Body: `{}`},
			fails: []string{"DELETE /api/v1/contracts/{contractId}", "204"},
		},
		{
			name: "a path under a named stage passes",
			req: func() events.APIGatewayV2HTTPRequest {
				ev := event(http.MethodPost, "/prod/api/v1/contracts", "", jsonBody, createBody)
				ev.RequestContext.Stage = "prod"
				return ev
			}(),
			resp: created(createdBody),
		},
		{
			name: "a query string given only as parameters passes",
			req: func() events.APIGatewayV2HTTPRequest {
				ev := event(http.MethodGet, "/api/v1/contracts", "limit=5&clientId=c1", jsonBody, "")
				ev.RawQueryString = ""
				return ev
			}(),
			resp: events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"data":[],"nextCursor":null}`},
		},
		{
			name:  "a limit over the documented maximum on a success fails",
			req:   event(http.MethodGet, "/api/v1/contracts", "limit=500", jsonBody, ""),
			resp:  events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Headers: map[string]string{"Content-Type": "application/json"}, Body: `{"data":[],"nextCursor":null}`},
			fails: []string{"GET /api/v1/contracts", "200", "limit"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &recorder{}
			openapitest.Validate(rec, tc.req, tc.resp)
			if tc.fails == nil {
				if len(rec.errors) > 0 {
					t.Fatalf("Validate failed, want it to pass:\n%s", strings.Join(rec.errors, "\n"))
				}
				return
			}
			if len(rec.errors) == 0 {
				t.Fatalf("Validate passed, want a failure mentioning %q", tc.fails)
			}
			all := strings.Join(rec.errors, "\n")
			t.Logf("fails as it should:\n%s", all)
			for _, want := range tc.fails {
				if !strings.Contains(all, want) {
					t.Errorf("failure does not mention %q:\n%s", want, all)
				}
			}
		})
	}
}

func problemWithStatus(status, inBody int) events.APIGatewayV2HTTPResponse {
	resp := httpapi.ProblemResponse(inBody, "contract not found")
	resp.StatusCode = status
	return resp
}

func TestRoutes(t *testing.T) {
	got := openapitest.Routes(t)
	if !sort.StringsAreSorted(got) {
		t.Errorf("Routes() is not sorted: %q", got)
	}
	for _, want := range []string{
		"POST /api/v1/contracts",
		"GET /api/v1/contracts/{contractId}",
		"DELETE /v1/organizations/{organizationId}/contracts/{contractId}",
	} {
		found := false
		for _, k := range got {
			found = found || k == want
		}
		if !found {
			t.Errorf("Routes() = %q, want it to hold %q", got, want)
		}
	}
}

// TestRoutersMatchDocument serves real events through the functions'
// routers, over DynamoDB Local, and validates every response: the
// document describes what the code actually answers, success and failure.
func TestRoutersMatchDocument(t *testing.T) {
	createBody := httpapitest.Seed(t, "kukkingu")
	log := slog.New(slog.DiscardHandler)
	kukkingu := endpoints.CreateContract(ddbtest.NewStore(t), log)
	serve := func(t *testing.T, rt *httpapi.Router, ev events.APIGatewayV2HTTPRequest, want int) events.APIGatewayV2HTTPResponse {
		t.Helper()
		resp, err := rt.Serve(context.Background(), ev)
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
		if resp.StatusCode != want {
			t.Fatalf("%s %s answered %d, want %d: %s", ev.RequestContext.HTTP.Method, ev.RawPath, resp.StatusCode, want, resp.Body)
		}
		openapitest.Validate(t, ev, resp)
		return resp
	}
	idOf := func(t *testing.T, resp events.APIGatewayV2HTTPResponse) string {
		t.Helper()
		var body struct {
			Data struct {
				ID string `json:"id"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil || body.Data.ID == "" {
			t.Fatalf("no data.id in %s (%v)", resp.Body, err)
		}
		return body.Data.ID
	}

	first := idOf(t, serve(t, kukkingu, event(http.MethodPost, "/api/v1/contracts", "", jsonBody, createBody), http.StatusCreated))
	minimal := `{"clientId": "clnt_2", "name": "Minimal", "amountMinor": 0, "currencyCode": "USD"}`
	viaAlias := map[string]string{"tenant-id": alias, "content-type": "application/json"}
	serve(t, kukkingu, event(http.MethodPost, "/api/v1/contracts", "", viaAlias, minimal), http.StatusCreated)

	page := serve(t, kukkingu, event(http.MethodGet, "/api/v1/contracts", "limit=1", jsonBody, ""), http.StatusOK)
	var listed struct {
		NextCursor *string `json:"nextCursor"`
	}
	if err := json.Unmarshal([]byte(page.Body), &listed); err != nil || listed.NextCursor == nil {
		t.Fatalf("first page of one has no nextCursor: %s", page.Body)
	}
	serve(t, kukkingu, event(http.MethodGet, "/api/v1/contracts", "limit=1&cursor="+*listed.NextCursor, jsonBody, ""), http.StatusOK)
	serve(t, kukkingu, event(http.MethodGet, "/api/v1/contracts", "clientId=clnt_2", jsonBody, ""), http.StatusOK)

	path := "/api/v1/contracts/" + first
	serve(t, kukkingu, event(http.MethodGet, path, "", jsonBody, ""), http.StatusOK)
	mergePatch := map[string]string{"tenant-id": tenantID, "content-type": "application/merge-patch+json"}
	serve(t, kukkingu, event(http.MethodPatch, path, "", mergePatch, `{"name": "Renamed", "description": null, "validTo": null}`), http.StatusOK)
	serve(t, kukkingu, event(http.MethodDelete, path, "", jsonBody, ""), http.StatusNoContent)

	// Failures, each answered before the store is consulted or by it.
	serve(t, kukkingu, event(http.MethodGet, path, "", jsonBody, ""), http.StatusNotFound)
	serve(t, kukkingu, event(http.MethodPatch, path, "", jsonBody, `{"name": "x"}`), http.StatusNotFound)
	serve(t, kukkingu, event(http.MethodDelete, path, "", jsonBody, ""), http.StatusNotFound)
	serve(t, kukkingu, event(http.MethodPost, "/api/v1/contracts", "", map[string]string{"content-type": "application/json"}, createBody), http.StatusBadRequest)
	serve(t, kukkingu, event(http.MethodPost, "/api/v1/contracts", "", map[string]string{"tenant-id": "tnt_other", "content-type": "application/json"}, createBody), http.StatusForbidden)
	serve(t, kukkingu, event(http.MethodPost, "/api/v1/contracts", "", jsonBody, `{"clientId": "", "amountMinor": -1, "currencyCode": "euro", "extra": 1}`), http.StatusBadRequest)
	serve(t, kukkingu, event(http.MethodPost, "/api/v1/contracts", "", jsonBody, strings.Replace(createBody, `"validTo": "2023-10-05T14:48:00.000Z"`, `"validTo": "2023-10-04T14:48:00.000Z"`, 1)), http.StatusBadRequest)
	serve(t, kukkingu, event(http.MethodPost, "/api/v1/contracts", "", map[string]string{"tenant-id": tenantID, "content-type": "text/plain"}, createBody), http.StatusUnsupportedMediaType)
	serve(t, kukkingu, event(http.MethodPost, "/api/v1/contracts", "", jsonBody, `"`+strings.Repeat("x", httpapi.MaxBodyBytes)+`"`), http.StatusRequestEntityTooLarge)
	serve(t, kukkingu, event(http.MethodGet, "/api/v1/contracts", "limit=0", jsonBody, ""), http.StatusBadRequest)
	serve(t, kukkingu, event(http.MethodGet, "/api/v1/contracts", "cursor=forged", jsonBody, ""), http.StatusBadRequest)
	unauthenticated := event(http.MethodGet, "/api/v1/contracts", "", jsonBody, "")
	unauthenticated.RequestContext.Authorizer = nil
	serve(t, kukkingu, unauthenticated, http.StatusUnauthorized)

	// EasyBilling refuses an empty request before it reads the store;
	// its other answers are checked by its own tests, over DynamoDB Local.
	actions := endpoints.ContractActions(nil, log)
	for _, p := range []string{"/api/contract-actions", "/payment-hub/api/contract-actions"} {
		serve(t, actions, event(http.MethodPost, p, "", map[string]string{"content-type": "application/json"}, `{}`), http.StatusBadRequest)
	}
	// fabric's responses are checked against the document by its own
	// tests, over DynamoDB Local.
}
