// Package demo is the demo tenant that make run creates, the tenant the
// seed documents' examples and the sample events of infra/events are
// written for: their headers name its aliases, their creates its plans.
// The runner creates it in its table, the bench in a table of its own,
// and the end-to-end tests give their tenants its names and plans so the
// samples work unchanged.
package demo

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
)

const (
	// TenantID is the demo tenant's id.
	TenantID = "demo"
	// Alias is the Kukkingu tenant-id of the seed's example and of the
	// sample events.
	Alias = "tnt_pfh0haxfpzowht3oi213cqos"
	// SiteAccount is the fabric x-site-context account of the sample
	// events.
	SiteAccount = "1234567890abcdef12345678"

	// MonthlyPlanID is the plan EasyBilling's create-contract-with-plan
	// example names.
	MonthlyPlanID = "16ad814a-dd1b-41c8-9b4b-4e8551170fee"
	// AiraPlanID is the plan Aira's create-contract example names.
	AiraPlanID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
)

// Plans is the demo tenant's plan catalog: the plans the seed documents'
// example requests name (EasyBilling's planId; Aira's plan), so those
// requests find them.
var Plans = []contract.Plan{
	{
		ID:               MonthlyPlanID,
		Name:             "Demo monthly plan",
		Description:      "The plan of the EasyBilling create-contract-with-plan example.",
		BillingCycleType: "monthly",
		Currencies:       []string{"USD", "EUR", "BRL", "CNY"},
	},
	{
		ID:               AiraPlanID,
		Name:             "Demo Aira plan",
		Description:      "The plan of the Aira create-contract example.",
		BillingCycleType: "monthly",
		Currencies:       []string{"USD", "EUR", "BRL", "CNY"},
	},
}

// Ensure makes sure the demo tenant and its plan catalog exist in store.
//
// It creates the tenant as the admin command creates any tenant, its
// names reserved with it. When it exists already (an earlier start,
// which may predate the reservation of names, or one at the same
// moment), its names are reserved now. Both refuse to go on when another
// tenant holds one of the demo's documented names: a header naming it
// would name two tenants.
func Ensure(ctx context.Context, store *ddb.Store, now time.Time) error {
	if err := ensureTenant(ctx, store, now); err != nil {
		return err
	}
	for _, p := range Plans {
		if err := p.Validate(); err != nil {
			return fmt.Errorf("demo plan %s: %w", p.ID, err)
		}
	}
	return store.PutPlans(ctx, TenantID, Plans)
}

func ensureTenant(ctx context.Context, store *ddb.Store, now time.Time) error {
	err := store.CreateTenant(ctx, auth.Tenant{ID: TenantID, Aliases: []string{Alias, SiteAccount}, CreatedAt: now})
	var taken *auth.TakenError
	if errors.As(err, &taken) {
		existing, getErr := store.GetTenant(ctx, TenantID)
		switch {
		case errors.Is(getErr, auth.ErrNotFound):
			// The demo's id is another tenant's alias: err says so.
		case getErr != nil:
			return getErr
		case !existing.Names(Alias) || !existing.Names(SiteAccount):
			return fmt.Errorf("tenant %q exists but does not answer to %s and %s, as the demo tenant does", TenantID, Alias, SiteAccount)
		default:
			err = store.ReserveTenantNames(ctx, *existing)
		}
	}
	if errors.As(err, &taken) {
		return fmt.Errorf("another tenant of this table already answers to %s, a name of the demo tenant; use an empty table (TABLE_NAME, or remove .local/data)", strings.Join(taken.Names, ", "))
	}
	return err
}
