package main

import (
	"context"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/fabric"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// BenchmarkFabricListScale measures a fabric list page against the size
// of the organization listed: organizations of 100, 1,000, 10,000 and
// 50,000 contracts in one table of DynamoDB Local, each page served by
// fabric's router in-process over a ddb.Store, as OrganizationContracts
// serves it. It is not part of make bench (its fixture alone takes
// minutes); run it on its own:
//
//	infra/dynamodb-local.sh run -- go test ./bench -run '^$' -bench FabricListScale -benchtime 40x -timeout 60m
//
// with -args -scale-sizes=100,1000 for fewer organizations. Each query
// shape reports p50-ms and p90-ms (per request), round-trips and
// read-units (DynamoDB's consumed capacity, from one more request through
// a client that asks for it); the "whole organization" shape is the
// former list's read (every contract of the organization, a thousand at
// a time from GSI2), for comparison.
//
// The contracts are written with BatchWriteItem through the store's own
// encoding (ddb.Store.LoadContracts), not through the API, so that
// 61,100 of them load in minutes; their fields vary as fabric's do.
func BenchmarkFabricListScale(b *testing.B) {
	sizes, err := parseSizes(*scaleSizes)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	client, table := ddbtest.NewTable(b)
	store := ddb.New(client, table)
	tenant, err := newTenant(ctx, store, "scale-tenant", "scale", "5ca1e5ca1e5ca1e5ca1e5ca1")
	if err != nil {
		b.Fatal(err)
	}
	var all []contract.Contract
	for _, size := range sizes {
		all = append(all, scaleOrganization(tenant, scaleOrg(size), size, len(all))...)
	}
	start := time.Now()
	if err := store.LoadContracts(ctx, all); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d contracts in %s", len(all), time.Since(start).Round(time.Second))

	trips := &tripCounter{}
	measured, err := newClient(ctx, trips, withConsumedCapacity)
	if err != nil {
		b.Fatal(err)
	}
	rt := endpoints.OrganizationContracts(store, discardLogger("OrganizationContractsFunction"))
	counted := endpoints.OrganizationContracts(ddb.New(measured, table), discardLogger("OrganizationContractsFunction"))
	// Each shape's sizes run back to back, so the load of a shared
	// machine changes as little as may be between the numbers compared.
	for _, shape := range scaleShapes {
		for _, size := range sizes {
			org := scaleOrg(size)
			if size < shape.minSize {
				continue
			}
			b.Run(fmt.Sprintf("%s/contracts=%d", shape.name, size), func(b *testing.B) {
				call := func(rt *handlerRouter, ctx context.Context) error {
					if shape.query == nil {
						return wholeOrganization(ctx, rt.store, tenant, org)
					}
					ev := apiEvent(tenant, fabric.RouteList, map[string]string{"organizationId": org}, shape.query,
						map[string]string{"x-site-context": `{"account":"` + tenant.Account + `"}`}, "")
					_, err := serve(ctx, rt.rt, ev)
					return err
				}
				cctx, used := withCapacity(ctx)
				cctx, listed := withTrips(cctx)
				if err := call(&handlerRouter{counted, ddb.New(measured, table)}, cctx); err != nil {
					b.Fatal(err)
				}
				timed := &handlerRouter{rt, store}
				// A few unrecorded calls first: the first requests after
				// the load, or after another shape, pay for DynamoDB
				// Local's caches and JIT, not for the page.
				for range scaleWarmup {
					if err := call(timed, ctx); err != nil {
						b.Fatal(err)
					}
				}
				took := make([]time.Duration, 0, b.N)
				b.ResetTimer()
				for range b.N {
					t0 := time.Now()
					if err := call(timed, ctx); err != nil {
						b.Fatal(err)
					}
					took = append(took, time.Since(t0))
				}
				b.StopTimer()
				slices.Sort(took)
				b.ReportMetric(float64(took[len(took)/2])/1e6, "p50-ms")
				b.ReportMetric(float64(took[len(took)*9/10])/1e6, "p90-ms")
				b.ReportMetric(float64(len(listed.list())), "round-trips")
				b.ReportMetric(used.units, "read-units")
			})
		}
	}
}

// scaleWarmup is how many calls of each shape and size go unrecorded.
const scaleWarmup = 5

var scaleSizes = flag.String("scale-sizes", "100,1000,10000,50000", "organization sizes BenchmarkFabricListScale lists")

func parseSizes(s string) ([]int, error) {
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("-scale-sizes: %q is not a size", f)
		}
		sizes = append(sizes, n)
	}
	return sizes, nil
}

// handlerRouter is a router and the store beneath it.
type handlerRouter struct {
	rt    *httpapi.Router
	store *ddb.Store
}

// scaleShape is one list request: its query string, and the smallest
// organization it is measured in (an offset past the end measures
// nothing). A nil query is the former list's whole read.
type scaleShape struct {
	name    string
	query   map[string]string
	minSize int
}

var scaleShapes = []scaleShape{
	{"default", map[string]string{}, 0},
	{"status=ACTIVE", map[string]string{"status": "ACTIVE"}, 0},
	{"offset=20", map[string]string{"offset": "20"}, 0},
	{"status=DRAFT,offset=20", map[string]string{"status": "DRAFT", "offset": "20"}, 0},
	{"sortBy=contractId,asc", map[string]string{"sortBy": "contractId", "sortOrder": "asc"}, 0},
	{"sortBy=endDate,status=INACTIVE,includeDeleted", map[string]string{"sortBy": "endDate", "status": "INACTIVE", "includeDeleted": "true"}, 0},
	{"offset=1000", map[string]string{"offset": "1000"}, 1000},
	{"offset=10000", map[string]string{"offset": "10000"}, 10000},
	{"search=acme", map[string]string{"search": "acme"}, 0},
	{"startDate in a month", map[string]string{"startDateFrom": "2024-03-01", "startDateTo": "2024-03-31"}, 0},
	{"whole organization (the former list's read)", nil, 0},
}

// scaleOrg is the organization of size contracts, 24 hex digits as
// fabric's are.
func scaleOrg(size int) string { return fmt.Sprintf("64f1b2c3d4e5%012d", size) }

// scaleOrganization makes an organization's contracts as fabric's create
// would store them, numbered after the first `before` of the tenant:
// half ACTIVE, three in ten DRAFT, two INACTIVE, one in fifty deleted;
// one in twenty named or typed with "acme"; start dates over four years
// (about one in fifty in any month); most with a price list; updated
// over the past weeks.
func scaleOrganization(t Tenant, org string, size, before int) []contract.Contract {
	party := contract.Party{Kind: contract.PartyOrganization, ID: org}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]contract.Contract, size)
	for i := range out {
		n := before + i + 1
		from := time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i*7919)%1460)
		to := from.AddDate(1, 0, 0).Add(-time.Millisecond)
		updated := base.Add(time.Duration((i*104729)%(size*60+1)) * time.Second).Add(time.Duration(i%1000) * time.Microsecond)
		c := contract.Contract{
			TenantID: t.ID, Number: contract.FormatNumber(int64(n)), ID: fmt.Sprintf("%024x", n),
			Party: party, Reference: fmt.Sprintf("CONTRACT-%08d", n), Type: "standard", AccountID: t.Account,
			Attributes: []byte(`{"region":"north"}`), ValidFrom: &from, ValidTo: &to,
			Status:  []contract.Status{contract.StatusActive, contract.StatusDraft, contract.StatusInactive}[[]int{0, 0, 0, 0, 0, 1, 1, 1, 2, 2}[i%10]],
			Version: 1, CreatedAt: updated.Add(-time.Hour), UpdatedAt: updated, CreatedBy: t.CredentialID, UpdatedBy: t.CredentialID,
		}
		switch i % 40 {
		case 3:
			c.Reference = fmt.Sprintf("ACME-%06d", n)
		case 17:
			c.Type = "wholesale-acme"
		}
		if i%5 != 0 {
			c.PriceList = &contract.PriceListLink{ID: fmt.Sprintf("%024x", 1<<40+n), PriceListID: int64(100000 + i%50), CreatedAt: c.CreatedAt, UpdatedAt: c.CreatedAt}
		}
		if i%50 == 7 {
			c.DeletedAt = &updated
		}
		out[i] = c
	}
	return out
}

// wholeOrganization reads every contract of the organization, deleted ones
// too, a thousand at a time from GSI2: what the former list read for
// every page.
func wholeOrganization(ctx context.Context, store *ddb.Store, t Tenant, org string) error {
	page := contract.Page{}
	for first := true; first || page.Next != ""; first = false {
		var err error
		page, err = store.ListContracts(ctx, t.ID, contract.ListQuery{
			Party: contract.Party{Kind: contract.PartyOrganization, ID: org}, IncludeDeleted: true, Limit: 1000, After: page.Next,
		})
		if err != nil {
			return err
		}
	}
	return nil
}
