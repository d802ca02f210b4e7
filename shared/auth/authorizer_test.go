package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// authorizerRequest loads a recorded authorizer event and sets headers on
// it, so the tests see the field layout API Gateway really sends.
func authorizerRequest(t *testing.T, headers map[string]string) events.APIGatewayV2CustomAuthorizerV2Request {
	t.Helper()
	data := httpapitest.ReadFile(t, "testdata/authorizer-request.json")
	var req events.APIGatewayV2CustomAuthorizerV2Request
	if err := json.Unmarshal([]byte(data), &req); err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Headers[k] = v
	}
	return req
}

// debugLogger captures everything the authorizer logs, at every level, so
// a secret logged at debug would still be caught.
func debugLogger() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

// assertNoSecrets fails if any form of token appears in the log output.
func assertNoSecrets(t *testing.T, logged string, tokens ...string) {
	t.Helper()
	for _, tok := range tokens {
		if tok == "" {
			continue
		}
		forms := []string{tok, auth.Hash(tok)}
		if i := strings.LastIndexByte(tok, '_'); i > 0 && len(tok)-i > 8 {
			forms = append(forms, tok[i+1:])
		}
		for _, s := range forms {
			if strings.Contains(logged, s) {
				t.Errorf("log output contains %q:\n%s", s, logged)
			}
		}
	}
}

func TestAuthorizerGrants(t *testing.T) {
	f := newFixture(t)
	want := map[string]any{
		auth.ContextTenantID:      "t1",
		auth.ContextCredentialID:  f.validCred.ID,
		auth.ContextTenantAliases: "a1,a2",
	}
	tests := []struct {
		name    string
		headers map[string]string
	}{
		{"bearer", map[string]string{"authorization": "Bearer " + f.valid}},
		{"bearer, header name capitalised", map[string]string{"Authorization": "Bearer " + f.valid}},
		{"bearer, header name upper case", map[string]string{"AUTHORIZATION": "bearer " + f.valid}},
		{"x-api-key", map[string]string{"x-api-key": f.valid}},
		{"x-api-key, header name capitalised", map[string]string{"X-API-KEY": f.valid}},
		{"x-api-key, header name mixed case", map[string]string{"X-Api-Key": f.valid}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := debugLogger()
			a := auth.NewAuthorizer(f.store(t, nil), log)
			resp, err := a.Handle(context.Background(), authorizerRequest(t, tt.headers))
			if err != nil {
				t.Fatalf("Handle: %v", err)
			}
			if !resp.IsAuthorized {
				t.Fatal("IsAuthorized = false")
			}
			if !reflect.DeepEqual(resp.Context, want) {
				t.Fatalf("Context = %#v, want %#v", resp.Context, want)
			}
			if !strings.Contains(buf.String(), `"requestId":"JKJaXmPLvHcESHA="`) {
				t.Errorf("log lines do not carry the request id:\n%s", buf)
			}
			assertNoSecrets(t, buf.String(), f.valid)
		})
	}
}

func TestAuthorizerTenantWithoutAliases(t *testing.T) {
	f := newFixture(t)
	f.tenants["t1"] = auth.Tenant{ID: "t1"}
	log, _ := debugLogger()
	resp, err := auth.NewAuthorizer(f.store(t, nil), log).Handle(context.Background(),
		authorizerRequest(t, map[string]string{"x-api-key": f.valid}))
	if err != nil {
		t.Fatal(err)
	}
	// The key is always present, so functions never mistake "no aliases"
	// for a context the authorizer did not produce.
	if v, ok := resp.Context[auth.ContextTenantAliases]; !ok || v != "" {
		t.Fatalf("tenantAliases = %#v (present %v), want empty string", v, ok)
	}
}

func TestAuthorizerResponseWireFormat(t *testing.T) {
	f := newFixture(t)
	log, _ := debugLogger()
	resp, err := auth.NewAuthorizer(f.store(t, nil), log).Handle(context.Background(),
		authorizerRequest(t, map[string]string{"authorization": "Bearer " + f.valid}))
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	// The simple-response format API Gateway expects, byte for byte.
	want := `{"isAuthorized":true,"context":{"credentialId":"` + f.validCred.ID + `","tenantAliases":"a1,a2","tenantId":"t1"}}`
	if string(got) != want {
		t.Fatalf("response JSON = %s\nwant            %s", got, want)
	}
}

func TestAuthorizerRefuses(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name    string
		headers map[string]string
		// lookup says whether the store may be asked at all.
		lookup bool
	}{
		{"no token", nil, false},
		{"empty bearer", map[string]string{"authorization": "Bearer "}, false},
		{"basic scheme", map[string]string{"authorization": "Basic " + f.valid}, false},
		{"basic scheme with x-api-key", map[string]string{"Authorization": "Basic dXNlcjpwYXNz", "X-API-KEY": f.valid}, false},
		{"malformed token", map[string]string{"authorization": "Bearer ctk_nothex_short"}, false},
		{"unknown credential", map[string]string{"authorization": "Bearer " + f.unknown}, true},
		{"wrong secret", map[string]string{"x-api-key": f.wrongSecret}, true},
		{"revoked credential", map[string]string{"authorization": "Bearer " + f.revoked}, true},
		{"tenant gone", map[string]string{"x-api-key": f.orphan}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := debugLogger()
			store := &fakeStore{t: t}
			if tt.lookup {
				store = f.store(t, nil)
			}
			resp, err := auth.NewAuthorizer(store, log).Handle(context.Background(), authorizerRequest(t, tt.headers))
			// API Gateway turns exactly this message into a 401; any
			// other error would reach the client as a 500.
			if err == nil || err.Error() != "Unauthorized" {
				t.Fatalf("err = %v, want exactly \"Unauthorized\"", err)
			}
			if !errors.Is(err, auth.ErrUnauthorized) {
				t.Errorf("err is not ErrUnauthorized: %v", err)
			}
			if resp.IsAuthorized || resp.Context != nil {
				t.Errorf("refusal carries a grant: %+v", resp)
			}
			if buf.Len() == 0 {
				t.Error("refusal not logged")
			}
			assertNoSecrets(t, buf.String(), f.valid, f.unknown, f.wrongSecret, f.revoked, f.orphan)
		})
	}
}

func TestAuthorizerStoreFailure(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name  string
		store func(t *testing.T) auth.Store
	}{
		{"credential lookup fails", func(t *testing.T) auth.Store {
			return &fakeStore{t: t, getCredential: func(context.Context, string) (*auth.Credential, error) {
				return nil, errors.New("dynamodb: ProvisionedThroughputExceededException")
			}}
		}},
		{"tenant lookup fails", func(t *testing.T) auth.Store {
			s := f.store(t, nil)
			s.getTenant = func(context.Context, string) (*auth.Tenant, error) {
				return nil, errors.New("dynamodb: ProvisionedThroughputExceededException")
			}
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log, buf := debugLogger()
			resp, err := auth.NewAuthorizer(tt.store(t), log).Handle(context.Background(),
				authorizerRequest(t, map[string]string{"authorization": "Bearer " + f.valid}))
			if err == nil {
				t.Fatal("store failure granted or ignored")
			}
			// An outage must surface as a 5xx, not as a 401 that tells
			// every client its valid token is bad.
			if err.Error() == "Unauthorized" || errors.Is(err, auth.ErrUnauthorized) {
				t.Fatalf("store failure answered as Unauthorized: %v", err)
			}
			if strings.Contains(err.Error(), "ProvisionedThroughput") {
				t.Errorf("error returned to API Gateway carries the store's detail: %v", err)
			}
			if resp.IsAuthorized || resp.Context != nil {
				t.Errorf("failure carries a grant: %+v", resp)
			}
			if strings.Count(buf.String(), "ProvisionedThroughputExceededException") != 1 {
				t.Errorf("store error not logged exactly once:\n%s", buf)
			}
			assertNoSecrets(t, buf.String(), f.valid)
		})
	}
}

// withIdentity is an authorizer request whose identity source holds the
// given values, as API Gateway fills it from the authorizer's identity
// sources, and whose headers are set as given.
func withIdentity(t *testing.T, identity []string, headers map[string]string) events.APIGatewayV2CustomAuthorizerV2Request {
	t.Helper()
	req := authorizerRequest(t, headers)
	req.IdentitySource = identity
	return req
}

// TestAuthorizerAnswersFromTheIdentitySourceAlone: API Gateway caches the
// authorizer's answer under the identity source's values and hands it to
// every later request with those values, on any route. So the answer for
// one identity source must be the same whatever else the request carries:
// another tenant's token in the other header (a request with Aira's
// X-API-KEY and someone's Authorization would otherwise have the other
// token's tenant cached under its X-API-KEY), another route, another
// client, another tenant named in a header.
func TestAuthorizerAnswersFromTheIdentitySourceAlone(t *testing.T) {
	f := newFixture(t)
	f.tenants["t2"] = auth.Tenant{ID: "t2", Aliases: []string{"b1"}, CreatedAt: now}
	otherCred, other := auth.NewToken("t2", now)
	f.creds[otherCred.ID] = otherCred
	t1 := map[string]any{auth.ContextTenantID: "t1", auth.ContextCredentialID: f.validCred.ID, auth.ContextTenantAliases: "a1,a2"}

	variations := []struct {
		name   string
		change func(*events.APIGatewayV2CustomAuthorizerV2Request)
	}{
		{"as sent", func(*events.APIGatewayV2CustomAuthorizerV2Request) {}},
		{"another tenant's token in Authorization", func(r *events.APIGatewayV2CustomAuthorizerV2Request) {
			r.Headers["authorization"] = "Bearer " + other
		}},
		{"another tenant's token in X-API-KEY", func(r *events.APIGatewayV2CustomAuthorizerV2Request) { r.Headers["x-api-key"] = other }},
		{"both headers another tenant's", func(r *events.APIGatewayV2CustomAuthorizerV2Request) {
			r.Headers["Authorization"] = "Bearer " + other
			r.Headers["X-API-KEY"] = other
		}},
		{"another tenant named in tenant-id", func(r *events.APIGatewayV2CustomAuthorizerV2Request) { r.Headers["tenant-id"] = "b1" }},
		{"another route", func(r *events.APIGatewayV2CustomAuthorizerV2Request) {
			r.RouteKey, r.RawPath = "GET /v1/contracts/{id}", "/v1/contracts/x"
			r.RouteArn = "arn:aws:execute-api:eu-west-1:123456789012:abcdef123/prod/GET/v1/contracts/x"
			r.PathParameters = map[string]string{"id": "x"}
		}},
		{"another client", func(r *events.APIGatewayV2CustomAuthorizerV2Request) {
			r.RequestContext.HTTP.SourceIP = "198.51.100.9"
			r.Headers["x-forwarded-for"] = "198.51.100.9"
		}},
		{"a query", func(r *events.APIGatewayV2CustomAuthorizerV2Request) {
			r.RawQueryString = "access_token=" + other
			r.QueryStringParameters = map[string]string{"access_token": other}
		}},
	}
	tests := []struct {
		name     string
		identity string
		want     map[string]any // nil: refused
	}{
		{"Authorization's bearer token", "Bearer " + f.valid, t1},
		{"bearer scheme in lower case", "bearer " + f.valid, t1},
		{"X-API-KEY's bare token", f.valid, t1},
		{"an unknown token", "Bearer " + f.unknown, nil},
		{"a revoked token", f.revoked, nil},
		{"another scheme", "Basic " + f.valid, nil},
	}
	for _, tt := range tests {
		for _, v := range variations {
			t.Run(tt.name+"/"+v.name, func(t *testing.T) {
				log, buf := debugLogger()
				req := withIdentity(t, []string{tt.identity}, nil)
				v.change(&req)
				resp, err := auth.NewAuthorizer(f.store(t, nil), log).Handle(context.Background(), req)
				if tt.want == nil {
					if !errors.Is(err, auth.ErrUnauthorized) || resp.IsAuthorized {
						t.Fatalf("got %+v, %v; want refused", resp, err)
					}
				} else {
					if err != nil || !resp.IsAuthorized || !reflect.DeepEqual(resp.Context, tt.want) {
						t.Fatalf("got %+v, %v; want authorized with %v", resp, err, tt.want)
					}
				}
				assertNoSecrets(t, buf.String(), f.valid, f.unknown, f.revoked, other)
			})
		}
	}
}

// TestAuthorizerIdentitySourceOfAnotherShape: an authorizer with more than
// one identity source is not one the template declares; it is a failure
// (500, and the function's error alarm), never a refusal of the client,
// and never a grant read from one of the values.
func TestAuthorizerIdentitySourceOfAnotherShape(t *testing.T) {
	f := newFixture(t)
	log, buf := debugLogger()
	resp, err := auth.NewAuthorizer(&fakeStore{t: t}, log).Handle(context.Background(),
		withIdentity(t, []string{"Bearer " + f.valid, f.valid}, nil))
	if err == nil || errors.Is(err, auth.ErrUnauthorized) || resp.IsAuthorized {
		t.Fatalf("got %+v, %v; want a failure that is no refusal", resp, err)
	}
	if strings.Contains(buf.String(), `"msg":"refused`) {
		t.Errorf("counted as a refusal:\n%s", buf)
	}
}

func TestTokenFromIdentity(t *testing.T) {
	const tok = "ctk_0123456789abcdef0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	tests := []struct {
		value, want string
	}{
		{"Bearer " + tok, tok},
		{"BEARER " + tok, tok},
		{"  Bearer   " + tok + "  ", tok},
		{tok, tok},
		{" " + tok + " ", tok},
		{"Basic " + tok, ""},
		// A scheme alone is a bare value, which Authenticate refuses by
		// its shape without a lookup.
		{"Bearer", "Bearer"},
		{"Bearer ", "Bearer"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := auth.TokenFromIdentity(tt.value); got != tt.want {
			t.Errorf("TokenFromIdentity(%q) = %q, want %q", tt.value, got, tt.want)
		}
	}
}
