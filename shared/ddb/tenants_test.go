package ddb_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

func TestTenantsAndCredentials(t *testing.T) {
	s := ddbtest.NewStore(t)
	now := time.Now().UTC()
	tenant := auth.Tenant{ID: "acme", Aliases: []string{"tnt_1"}, CreatedAt: now}
	ddbtest.CreateTenant(t, s, tenant)
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
	ddbtest.PutPlans(t, s, "t1", plans)
	got, err := s.GetPlan(ctx, "t1", "p1")
	if err != nil || got.Name != "Basic" || got.BillingCycleType != contract.DefaultBillingCycleType {
		t.Fatalf("got %+v, %v", got, err)
	}
	if _, err := s.GetPlan(ctx, "t2", "p1"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("other tenant's plan: %v", err)
	}
}

// TestTenantNamesAreUnique has a second tenant try every way of taking a
// first tenant's names: each is refused naming the taken names, and the
// refused tenant leaves nothing behind, so its free names stay free.
func TestTenantNamesAreUnique(t *testing.T) {
	s := ddbtest.NewStore(t)
	now := time.Now().UTC()
	ddbtest.CreateTenant(t, s, auth.Tenant{ID: "acme", Aliases: []string{"tnt_1", "acc-2"}, CreatedAt: now})
	tests := []struct {
		name    string
		tenant  auth.Tenant
		wantAll []string
	}{
		{"its id", auth.Tenant{ID: "acme", Aliases: []string{"free-1"}}, []string{"acme"}},
		{"its alias as an alias", auth.Tenant{ID: "other", Aliases: []string{"free-1", "tnt_1"}}, []string{"tnt_1"}},
		{"its id as an alias", auth.Tenant{ID: "other", Aliases: []string{"acme"}}, []string{"acme"}},
		{"its alias as an id", auth.Tenant{ID: "tnt_1", Aliases: []string{"free-1"}}, []string{"tnt_1"}},
		{"several at once", auth.Tenant{ID: "other", Aliases: []string{"acc-2", "free-1", "tnt_1"}}, []string{"acc-2", "tnt_1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.tenant.CreatedAt = now
			err := s.CreateTenant(ctx, tt.tenant)
			var taken *auth.TakenError
			if !errors.As(err, &taken) || !errors.Is(err, auth.ErrExists) {
				t.Fatalf("got %v, want a TakenError", err)
			}
			// DynamoDB may report only the first failed condition of a
			// transaction; every name it reports must be a taken one.
			if len(taken.Names) == 0 {
				t.Fatal("the refusal names no name")
			}
			for _, n := range taken.Names {
				if !slices.Contains(tt.wantAll, n) {
					t.Errorf("refusal names %q, which is free; taken are %v", n, tt.wantAll)
				}
			}
			if strings.Contains(err.Error(), "acme") && !slices.Contains(tt.wantAll, "acme") {
				t.Errorf("the refusal names the tenant that holds the name: %v", err)
			}
		})
	}
	// Nothing of the refused tenants was written: their free names and
	// ids are still free.
	if _, err := s.GetTenant(ctx, "other"); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("a refused tenant was written: %v", err)
	}
	if err := s.CreateTenant(ctx, auth.Tenant{ID: "other", Aliases: []string{"free-1"}, CreatedAt: now}); err != nil {
		t.Fatalf("the names a refused tenant asked for are not free: %v", err)
	}
	got, err := s.GetTenant(ctx, "acme")
	if err != nil || !slices.Equal(got.Aliases, []string{"tnt_1", "acc-2"}) {
		t.Fatalf("the first tenant: %+v, %v", got, err)
	}
}

// TestTenantNamesUnderConcurrency creates tenants racing for one alias:
// one of them gets it, the others are refused (or, in DynamoDB, may be
// told to retry when their transactions overlap: never both given it).
func TestTenantNamesUnderConcurrency(t *testing.T) {
	s := ddbtest.NewStore(t)
	const n = 10
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			errs[i] = s.CreateTenant(ctx, auth.Tenant{ID: fmt.Sprintf("racer-%d", i), Aliases: []string{"contested"}, CreatedAt: time.Now()})
		})
	}
	wg.Wait()
	winners, conflicts := 0, 0
	for i, err := range errs {
		var taken *auth.TakenError
		switch {
		case err == nil:
			winners++
		case errors.As(err, &taken) && slices.Equal(taken.Names, []string{"contested"}):
		case contract.KindOf(err) == contract.KindUnavailable:
			conflicts++
		default:
			t.Errorf("racer-%d: %v", i, err)
		}
	}
	if winners > 1 || winners == 0 && conflicts == 0 {
		t.Fatalf("%d tenants got the alias (%d told to retry), want 1", winners, conflicts)
	}
	var taken *auth.TakenError
	if err := s.CreateTenant(ctx, auth.Tenant{ID: "late", Aliases: []string{"contested"}, CreatedAt: time.Now()}); winners == 1 && !errors.As(err, &taken) {
		t.Fatalf("the alias is free again after the race: %v", err)
	}
}

// TestReserveTenantNames reserves the names of a tenant written before
// names were reserved (its name items removed here): afterwards no other
// tenant can take them, and a name another tenant took first is refused.
func TestReserveTenantNames(t *testing.T) {
	client, table := ddbtest.NewTable(t)
	s := ddb.New(client, table)
	now := time.Now().UTC()
	old := auth.Tenant{ID: "old", Aliases: []string{"old-alias", "lost-alias"}, CreatedAt: now}
	ddbtest.CreateTenant(t, s, old)
	for _, name := range old.NameList() {
		if _, err := client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(table), Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "TENANT-NAME#" + name},
			"SK": &types.AttributeValueMemberS{Value: "TENANT-NAME"},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	// Unreserved, a name is open to another tenant: the gap reserving
	// closes.
	ddbtest.CreateTenant(t, s, auth.Tenant{ID: "newer", Aliases: []string{"lost-alias"}, CreatedAt: now})
	var taken *auth.TakenError
	if err := s.ReserveTenantNames(ctx, old); !errors.As(err, &taken) || !slices.Equal(taken.Names, []string{"lost-alias"}) {
		t.Fatalf("reserving a name another tenant holds: %v", err)
	}
	// All or nothing: old-alias was not reserved either.
	if err := s.CreateTenant(ctx, auth.Tenant{ID: "probe", Aliases: []string{"old-alias"}, CreatedAt: now}); err != nil {
		t.Fatalf("a refused reservation reserved something: %v", err)
	}

	mine := auth.Tenant{ID: "mine", Aliases: []string{"mine-alias"}, CreatedAt: now}
	ddbtest.CreateTenant(t, s, mine)
	for range 2 {
		if err := s.ReserveTenantNames(ctx, mine); err != nil {
			t.Fatalf("reserving a tenant's own names: %v", err)
		}
	}
	if err := s.CreateTenant(ctx, auth.Tenant{ID: "thief", Aliases: []string{"mine-alias"}, CreatedAt: now}); !errors.As(err, &taken) {
		t.Fatalf("a reserved name was taken: %v", err)
	}
	if err := s.ReserveTenantNames(ctx, auth.Tenant{ID: "nobody", CreatedAt: now}); !errors.Is(err, auth.ErrNotFound) {
		t.Fatalf("reserving the names of no tenant: %v", err)
	}
}
