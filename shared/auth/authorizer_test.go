package auth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/auth"
)

// authorizerRequest loads a recorded authorizer event and sets headers on
// it, so the tests see the field layout API Gateway really sends.
func authorizerRequest(t *testing.T, headers map[string]string) events.APIGatewayV2CustomAuthorizerV2Request {
	t.Helper()
	data, err := os.ReadFile("testdata/authorizer-request.json")
	if err != nil {
		t.Fatal(err)
	}
	var req events.APIGatewayV2CustomAuthorizerV2Request
	if err := json.Unmarshal(data, &req); err != nil {
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
