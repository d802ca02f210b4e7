package main

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/easybilling"
	"github.com/contracts-service/contracts/shared/fabric"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/kukkingu"
)

// BenchmarkListScale measures a list page against the size of what is
// listed: organizations (fabric), clients (Kukkingu's ?clientId=) and
// accounts (EasyBilling's accountNumber) of 100, 1,000, 10,000 and 50,000
// contracts, all in one table of DynamoDB Local, each page served by the
// dialect's router in-process over a ddb.Store, as the function serves
// it. make bench runs it; on its own:
//
//	infra/dynamodb-local.sh run -- go test ./bench -run '^$' -bench ListScale -benchtime 30x -timeout 60m
//
// with -args -scale-sizes=100,1000 for fewer sizes. ns/op is the median
// request (p50-ms and p90-ms too), of b.N requests after a few unrecorded
// ones, or of only the first slowShapeCalls where a shape reads more the
// larger the party (its cost is what is measured, not its spread);
// round-trips and read-units come from one more request through a client
// that asks for consumed capacity. The fabric "whole organization" shape
// is the former list's read (every contract of the organization, a
// thousand at a time from GSI2), for comparison.
//
// The contracts are written with BatchWriteItem through the store's own
// encoding (ddb.Store.LoadContracts), not through the API, so that the
// fixture loads in minutes: fabric's vary as fabric's do, Kukkingu's and
// EasyBilling's are copies of one created through the dialect's own
// create, renumbered.
func BenchmarkListScale(b *testing.B) {
	sizes, err := parseSizes(*scaleSizes)
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	client, table := ddbtest.NewTable(b)
	store := ddb.New(client, table)
	tenant, err := newTenant(ctx, store, "scale-tenant", "tnt_scale", "5ca1e5ca1e5ca1e5ca1e5ca1")
	if err != nil {
		b.Fatal(err)
	}
	kukkinguModel, err := scaleTemplate(ctx, store, tenant, &dialects[0], contract.Party{Kind: contract.PartyClient, ID: kukkinguClient})
	if err != nil {
		b.Fatal(err)
	}
	easyBillingModel, err := scaleTemplate(ctx, store, tenant, &dialects[3], contract.Party{Kind: contract.PartyAccount, ID: easyBillingAccount})
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(sizes)
	loaded := 0
	// grow brings the organization, the client and the account to size
	// contracts each: the parties grow from one size to the next, so the
	// fixture is loaded once, 50,000 contracts a dialect at the largest.
	grow := func(size int) {
		from := loaded
		// Each dialect's numbers in a range of its own, past the
		// templates' creates.
		all := scaleOrganization(tenant, scaleOrg, size, 1_000_000)[from:]
		all = append(all, scaleCopies(kukkinguModel, scaleClient, size, 2_000_000)[from:]...)
		all = append(all, scaleCopies(easyBillingModel, scaleAccount, size, 3_000_000)[from:]...)
		start := time.Now()
		if err := store.LoadContracts(ctx, all); err != nil {
			b.Fatal(err)
		}
		loaded = size
		b.Logf("loaded %d contracts in %s", len(all), time.Since(start).Round(time.Second))
	}

	trips := &tripCounter{}
	measured := newClient(b, trips, withConsumedCapacity)
	measuredStore := ddb.New(measured, table)
	type scaleDialect struct {
		name   string
		d      *Dialect
		shapes []scaleShape
		event  func(query map[string]string) events.APIGatewayV2HTTPRequest
	}
	scaled := []scaleDialect{
		{"fabric", &dialects[1], scaleShapes, func(query map[string]string) events.APIGatewayV2HTTPRequest {
			return apiEvent(tenant, fabric.RouteList, map[string]string{"organizationId": scaleOrg}, query,
				map[string]string{"x-site-context": `{"account":"` + tenant.Account + `"}`}, "")
		}},
		{"Kukkingu", &dialects[0], []scaleShape{{name: "clientId", query: map[string]string{"limit": "20"}}}, func(query map[string]string) events.APIGatewayV2HTTPRequest {
			query["clientId"] = scaleClient
			return apiEvent(tenant, kukkingu.RouteList, nil, query, map[string]string{"tenant-id": tenant.Alias}, "")
		}},
		{"EasyBilling", &dialects[3], []scaleShape{{name: "accountNumber", query: map[string]string{"pageSize": "20"}}}, func(query map[string]string) events.APIGatewayV2HTTPRequest {
			query["accountNumber"] = scaleAccount
			return apiEvent(tenant, easybilling.RouteListContracts, nil, query, map[string]string{"trace-id": easyBillingTraceID}, "")
		}},
	}
	// Size by size, every shape at each, after the parties have grown to
	// it.
	for i, size := range sizes {
		grow(size)
		if i == 0 {
			// DynamoDB Local's first queries after a load pay for its JIT
			// and caches: a round of unrecorded lists first.
			rt := dialects[1].Router(store, discardLogger(dialects[1].Function))
			for range 30 {
				if _, err := serve(ctx, rt, scaled[0].event(map[string]string{})); err != nil {
					b.Fatal(err)
				}
			}
		}
		for _, sd := range scaled {
			rt := sd.d.Router(store, discardLogger(sd.d.Function))
			counted := sd.d.Router(measuredStore, discardLogger(sd.d.Function))
			for _, shape := range sd.shapes {
				if size < shape.minSize {
					continue
				}
				b.Run(fmt.Sprintf("%s/%s/contracts=%d", sd.name, shape.name, size), func(b *testing.B) {
					measureScale(b, shape, func(rt *handlerRouter, ctx context.Context) error {
						if shape.query == nil {
							return wholeOrganization(ctx, rt.store, tenant, scaleOrg)
						}
						_, err := serve(ctx, rt.rt, sd.event(maps.Clone(shape.query)))
						return err
					}, &handlerRouter{rt, store}, &handlerRouter{counted, measuredStore})
				})
			}
		}
	}
}

// measureScale times call through timed and reports the median as ns/op,
// with p50-ms and p90-ms, then the round trips and read units of one
// more call through counted.
func measureScale(b *testing.B, shape scaleShape, call func(rt *handlerRouter, ctx context.Context) error, timed, counted *handlerRouter) {
	ctx := context.Background()
	// A few unrecorded calls first: the first requests after the load, or
	// after another shape, pay for DynamoDB Local's caches and JIT, not
	// for the page. A slow shape's requests take long enough as it is.
	n, warmup := b.N, scaleWarmup
	if shape.slow {
		n, warmup = min(n, slowShapeCalls), 0
	}
	for range warmup {
		if err := call(timed, ctx); err != nil {
			b.Fatal(err)
		}
	}
	took := make([]time.Duration, 0, n)
	b.ResetTimer()
	for range n {
		t0 := time.Now()
		if err := call(timed, ctx); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(took)
	cctx, used := withCapacity(ctx)
	cctx, listed := withTrips(cctx)
	if err := call(counted, cctx); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(took[len(took)/2]), "ns/op")
	b.ReportMetric(float64(took[len(took)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(took[len(took)*9/10])/1e6, "p90-ms")
	b.ReportMetric(float64(len(listed.list())), "round-trips")
	b.ReportMetric(used.units, "read-units")
}

// slowShapeCalls is how many requests a shape whose cost grows with the
// party's size times.
const slowShapeCalls = 3

// The parties the fixture grows, of the shape their dialects give them:
// fabric's organization is 24 hex digits.
const (
	scaleOrg     = "64f1b2c3d4e5f6a7b8c9d0e9"
	scaleClient  = "clnt_scale0000000000000000000"
	scaleAccount = "ACC-0000000099"
)

// kukkinguClient is the Kukkingu sample's clientId.
const kukkinguClient = "clnt_z2b3mo8qa5kzptgsu26q2wmh"

// scaleTemplate creates a contract through d's router for t and returns
// it as stored: the model the fixture's copies are made from.
func scaleTemplate(ctx context.Context, store *ddb.Store, t Tenant, d *Dialect, party contract.Party) (contract.Contract, error) {
	if _, err := serve(ctx, d.Router(store, discardLogger(d.Function)), d.Create(t)); err != nil {
		return contract.Contract{}, err
	}
	page, err := store.ListContracts(ctx, t.ID, contract.ListQuery{Party: party, Limit: 1})
	if err != nil {
		return contract.Contract{}, err
	}
	if len(page.Contracts) != 1 {
		return contract.Contract{}, fmt.Errorf("%s: the created contract is not listed under %v", d.Name, party)
	}
	return page.Contracts[0], nil
}

// scaleCopies makes size copies of c for party id, numbered after the
// first before of the tenant, with ids of their own and updated over the
// past weeks.
func scaleCopies(c contract.Contract, id string, size, before int) []contract.Contract {
	out := make([]contract.Contract, size)
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range out {
		n := before + i + 1
		cp := c
		cp.Party.ID = id
		cp.Number = contract.FormatNumber(int64(n))
		cp.ID = fmt.Sprintf("%s%024x", c.ID[:min(len(c.ID), 4)], n)
		cp.UpdatedAt = base.Add(time.Duration(i) * time.Second)
		cp.CreatedAt = cp.UpdatedAt
		out[i] = cp
	}
	return out
}

// scaleWarmup is how many calls of each shape and size go unrecorded.
const scaleWarmup = 5

var scaleSizes = flag.String("scale-sizes", "100,1000,10000,50000", "party sizes BenchmarkListScale lists")

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
	// slow is a shape whose cost grows with the party's size: it is
	// timed over slowShapeCalls requests only.
	slow bool
}

var scaleShapes = []scaleShape{
	{name: "default", query: map[string]string{}},
	{"status=ACTIVE", map[string]string{"status": "ACTIVE"}, 0, false},
	{"offset=20", map[string]string{"offset": "20"}, 0, false},
	{"status=DRAFT,offset=20", map[string]string{"status": "DRAFT", "offset": "20"}, 0, false},
	{"sortBy=contractId,asc", map[string]string{"sortBy": "contractId", "sortOrder": "asc"}, 0, false},
	{"sortBy=contractId,desc", map[string]string{"sortBy": "contractId", "sortOrder": "desc"}, 0, false},
	{"sortBy=endDate,status=INACTIVE,includeDeleted", map[string]string{"sortBy": "endDate", "status": "INACTIVE", "includeDeleted": "true"}, 0, false},
	{"offset=1000", map[string]string{"offset": "1000"}, 1000, false},
	{"offset=10000", map[string]string{"offset": "10000"}, 10000, true},
	{"search=acme", map[string]string{"search": "acme"}, 0, true},
	{"startDate-in-a-month", map[string]string{"startDateFrom": "2024-03-01", "startDateTo": "2024-03-31"}, 0, false},
	{"whole-organization", nil, 0, true},
}

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
