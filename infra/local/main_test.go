package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/infra/local/demo"
	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

func readToken(t *testing.T, path string) string {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", st.Mode().Perm())
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(raw))
}

func checkToken(t *testing.T, store *ddb.Store, token string) {
	t.Helper()
	p, err := auth.Authenticate(context.Background(), store, token)
	if err != nil || p.Tenant.ID != demo.TenantID || !reflect.DeepEqual(p.Tenant.Aliases, []string{demo.Alias, demo.SiteAccount}) {
		t.Errorf("token authenticates as %+v (%v), want the demo tenant", p, err)
	}
}

func TestEnsureDemo(t *testing.T) {
	store := ddbtest.NewStore(t)
	ctx := context.Background()
	tokenFile := filepath.Join(t.TempDir(), ".local", "demo-token")

	first, err := ensureDemo(ctx, store, tokenFile, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got := readToken(t, tokenFile); got != first {
		t.Fatalf("kept token %q, returned %q", got, first)
	}
	checkToken(t, store, first)
	for _, p := range demo.Plans {
		got, err := store.GetPlan(ctx, demo.TenantID, p.ID)
		if err != nil || !reflect.DeepEqual(got.Currencies, []string{"USD", "EUR", "BRL", "CNY"}) {
			t.Errorf("plan %s: %+v, %v", p.ID, got, err)
		}
	}

	tests := []struct {
		name     string
		prepare  func(t *testing.T)
		wantSame bool
	}{
		{"a later start reuses the token", func(*testing.T) {}, true},
		{"a missing file gets a new token", func(t *testing.T) {
			if err := os.Remove(tokenFile); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"a token that no longer works is replaced", func(t *testing.T) {
			if err := os.WriteFile(tokenFile, []byte("ctk_0123456789abcdef0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := readToken(t, tokenFile)
			tt.prepare(t)
			got, err := ensureDemo(ctx, store, tokenFile, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if (got == before) != tt.wantSame {
				t.Errorf("token changed: %v, want unchanged: %v", got != before, tt.wantSame)
			}
			if kept := readToken(t, tokenFile); kept != got {
				t.Errorf("kept %q, returned %q", kept, got)
			}
			checkToken(t, store, got)
		})
	}
}

// TestDemoNamesAreReserved holds the demo tenant to the rule every tenant
// follows: its names are reserved with it, or on a later start when an
// earlier one predates reservations, and a table where another tenant
// holds one of them is refused rather than served.
func TestDemoNamesAreReserved(t *testing.T) {
	ctx := context.Background()
	taken := func(t *testing.T, store *ddb.Store, id string, aliases ...string) {
		t.Helper()
		var te *auth.TakenError
		if err := store.CreateTenant(ctx, auth.Tenant{ID: id, Aliases: aliases, CreatedAt: time.Now()}); !errors.As(err, &te) {
			t.Errorf("tenant %s with %v: %v, want a name taken", id, aliases, err)
		}
	}

	t.Run("created with its names", func(t *testing.T) {
		store := ddbtest.NewStore(t)
		if _, err := ensureDemo(ctx, store, filepath.Join(t.TempDir(), "demo-token"), time.Now()); err != nil {
			t.Fatal(err)
		}
		taken(t, store, "squatter", demo.Alias)
		taken(t, store, "squatter", demo.SiteAccount)
		taken(t, store, demo.Alias)
	})

	t.Run("an earlier start's tenant gets its names", func(t *testing.T) {
		client, table := ddbtest.NewTable(t)
		store := ddb.New(client, table)
		tokenFile := filepath.Join(t.TempDir(), "demo-token")
		if _, err := ensureDemo(ctx, store, tokenFile, time.Now()); err != nil {
			t.Fatal(err)
		}
		// As a start before names were reserved left it.
		for _, name := range []string{demo.TenantID, demo.Alias, demo.SiteAccount} {
			if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
				"PK": &types.AttributeValueMemberS{Value: "TENANT-NAME#" + name},
				"SK": &types.AttributeValueMemberS{Value: "TENANT-NAME"},
			}}); err != nil {
				t.Fatal(err)
			}
		}
		token, err := ensureDemo(ctx, store, tokenFile, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		checkToken(t, store, token)
		taken(t, store, "squatter", demo.Alias)
		taken(t, store, demo.SiteAccount)
	})

	for _, tt := range []struct {
		name     string
		squatter auth.Tenant
	}{
		{"refused when its alias is another's alias", auth.Tenant{ID: "squatter", Aliases: []string{demo.Alias}}},
		{"refused when its account is another's id", auth.Tenant{ID: demo.SiteAccount}},
		{"refused when its id is another's alias", auth.Tenant{ID: "squatter", Aliases: []string{demo.TenantID}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			store := ddbtest.NewStore(t)
			squatter := tt.squatter
			squatter.CreatedAt = time.Now()
			ddbtest.CreateTenant(t, store, squatter)
			tokenFile := filepath.Join(t.TempDir(), "demo-token")
			_, err := ensureDemo(ctx, store, tokenFile, time.Now())
			if err == nil || !strings.Contains(err.Error(), "already answers to") || strings.Contains(err.Error(), "squatter") {
				t.Fatalf("got %v, want a refusal naming the taken name", err)
			}
			if _, err := store.GetTenant(ctx, demo.TenantID); !errors.Is(err, auth.ErrNotFound) {
				t.Errorf("the demo tenant was created: %v", err)
			}
			if _, err := os.Stat(tokenFile); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a token was kept: %v", err)
			}
		})
	}
}

func TestBanner(t *testing.T) {
	out := banner("http://127.0.0.1:3000", "ctk_x_y", []string{"POST /api/v1/contracts"}, httpapitest.Seed(t, "kukkingu"))
	for _, want := range []string{
		"http://127.0.0.1:3000",
		"POST /api/v1/contracts",
		"curl -sS -X POST http://127.0.0.1:3000/api/v1/contracts",
		"-H 'Authorization: Bearer ctk_x_y'",
		"-H 'tenant-id: tnt_pfh0haxfpzowht3oi213cqos'",
		`"clientId": "clnt_z2b3mo8qa5kzptgsu26q2wmh"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("banner lacks %q:\n%s", want, out)
		}
	}
}

func TestParseParameterOverrides(t *testing.T) {
	tests := []struct {
		in      string
		want    map[string]string
		wantErr bool
	}{
		{"", map[string]string{}, false},
		{"AuthorizerCacheSeconds=0", map[string]string{"AuthorizerCacheSeconds": "0"}, false},
		{` AuthorizerCacheSeconds=60  LogLevel="debug" Stage="a b" `, map[string]string{"AuthorizerCacheSeconds": "60", "LogLevel": "debug", "Stage": "a b"}, false},
		{"Empty=", map[string]string{"Empty": ""}, false},
		{"NoValue", nil, true},
		{"=60", nil, true},
		{`Open="never closed`, nil, true},
	}
	for _, tt := range tests {
		got, err := parseParameterOverrides(tt.in)
		if (err != nil) != tt.wantErr || (!tt.wantErr && !reflect.DeepEqual(got, tt.want)) {
			t.Errorf("parseParameterOverrides(%q) = %v, %v; want %v (error: %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
