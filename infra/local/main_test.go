package main

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
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
	if err != nil || p.Tenant.ID != demoTenant || !reflect.DeepEqual(p.Tenant.Aliases, []string{demoAlias, demoSiteAccount}) {
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
	for _, p := range demoPlans {
		got, err := store.GetPlan(ctx, demoTenant, p.ID)
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

func TestBanner(t *testing.T) {
	out := banner("http://127.0.0.1:3000", "ctk_x_y", []string{"POST /api/v1/contracts"})
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
