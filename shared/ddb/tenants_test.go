package ddb_test

import (
	"errors"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

func TestTenantsAndCredentials(t *testing.T) {
	s := ddbtest.NewStore(t)
	now := time.Now().UTC()
	tenant := auth.Tenant{ID: "acme", Aliases: []string{"tnt_1"}, CreatedAt: now}
	if err := s.CreateTenant(ctx, tenant); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateTenant(ctx, tenant); !errors.Is(err, auth.ErrExists) {
		t.Fatalf("second create: %v", err)
	}
	cred, token := auth.NewToken("acme", now)
	if err := s.CreateCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	p, err := auth.Authenticate(ctx, s, token)
	if err != nil || p.Tenant.ID != "acme" || p.CredentialID != cred.ID || !p.Tenant.Names("tnt_1") {
		t.Fatalf("authenticate: %+v, %v", p, err)
	}
	if err := s.RevokeCredential(ctx, cred.ID, now); err != nil {
		t.Fatal(err)
	}
	if _, err := auth.Authenticate(ctx, s, token); !errors.Is(err, auth.ErrUnknownCredential) {
		t.Fatalf("revoked token: %v", err)
	}
	if err := s.RevokeCredential(ctx, "0123456789abcdef0123456789abcdef", now); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
	if _, err := s.GetTenant(ctx, "nobody"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("unknown tenant: %v", err)
	}
}

func TestPlans(t *testing.T) {
	s := ddbtest.NewStore(t)
	plans := []contract.Plan{
		{ID: "p1", Name: "Basic", Currencies: []string{"USD"}},
		{ID: "p2", Name: "Pro", BillingCycleType: "yearly", Currencies: []string{"EUR", "USD"}},
	}
	if err := s.PutPlans(ctx, "t1", plans); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetPlan(ctx, "t1", "p1")
	if err != nil || got.Name != "Basic" || got.BillingCycleType != contract.DefaultBillingCycleType {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := s.GetPlan(ctx, "t2", "p1"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("other tenant's plan: %v", err)
	}
}
