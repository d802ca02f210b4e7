package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// The operations measured warm, in the order each round issues them.
var warmOps = []string{"create", "get", "list"}

// discardLogger is the functions' logger (JSON, info level, tagged with
// the function) writing nowhere: the handlers still pay for building
// every record, as they do in Lambda, without flooding the terminal.
func discardLogger(function string) *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})).With("function", function)
}

// newTenant creates a tenant with one credential, answering to alias in
// tenant headers and to account in fabric's x-site-context, and sets it
// up for every registered dialect (its plan catalog), as an operator sets
// up a real tenant.
func newTenant(ctx context.Context, store *ddb.Store, id, alias, account string) (Tenant, error) {
	now := time.Now()
	if err := store.CreateTenant(ctx, auth.Tenant{ID: id, Aliases: []string{alias, account}, CreatedAt: now}); err != nil {
		return Tenant{}, err
	}
	cred, token := auth.NewToken(id, now)
	if err := store.CreateCredential(ctx, cred); err != nil {
		return Tenant{}, err
	}
	t := Tenant{ID: id, Alias: alias, Account: account, CredentialID: cred.ID, Token: token}
	for i := range dialects {
		if err := dialects[i].setUp(ctx, store, t); err != nil {
			return Tenant{}, err
		}
	}
	return t, nil
}

// serve hands ev to the router in-process, as the Lambda runtime would,
// and refuses anything but a success: a benchmark of an error path would
// measure the wrong thing.
func serve(ctx context.Context, rt *httpapi.Router, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	resp, err := rt.Serve(ctx, ev)
	if err == nil && resp.StatusCode/100 != 2 {
		err = fmt.Errorf("%s answered %d: %.300s", ev.RouteKey, resp.StatusCode, resp.Body)
	}
	return resp, err
}

// warmDialect is one dialect set up for the warm runs: its router over a
// ddb.Store on DynamoDB Local, a tenant with a full first page of
// contracts, one contract to read, and the floor of each operation.
type warmDialect struct {
	d      *Dialect
	tenant Tenant
	router *httpapi.Router
	// existing is the first contract the tenant was seeded with: the one
	// a get reads, and the scope of a list that needs one.
	existing Created
	floors   map[string]*floor
	// answers are DynamoDB Local's HTTP answers to each operation's
	// captured call, for the in-process runs.
	answers map[string][]recorded
	// coldAnswers are the answers to a cold router's first call.
	coldAnswers map[string][]recorded
	// sent is what each operation's captured call sent to DynamoDB, in
	// bytes: what its floor must send too.
	sent map[string]int64
}

// request returns op's request.
func (w *warmDialect) request(op string) events.APIGatewayV2HTTPRequest {
	switch op {
	case "create":
		return w.d.Create(w.tenant)
	case "get":
		return w.d.Get(w.tenant, w.existing)
	default:
		return w.d.List(w.tenant, w.existing)
	}
}

// seedContracts is how many contracts a warm tenant starts with: more
// than a list page, so every list reads a full page and says there is a
// next one, as a busy tenant's would.
const seedContracts = 30

// setUpWarm seeds tenant with d's contracts and captures the floor of
// each operation from one call of it. The captures go through a router
// over a labelledStore, so each floor knows which counter each number its
// create drew came from.
//
// fresh makes a store of its own over the same table for each
// operation's capture router, so its caches start cold, as a replaying
// router's do.
func setUpWarm(ctx context.Context, d *Dialect, store *ddb.Store, fresh func() *ddb.Store, tenant Tenant) (*warmDialect, error) {
	w := &warmDialect{d: d, tenant: tenant, router: d.Router(store, discardLogger(d.Function)), floors: map[string]*floor{}, answers: map[string][]recorded{}, coldAnswers: map[string][]recorded{}, sent: map[string]int64{}}
	for i := 0; i < seedContracts; i++ {
		resp, err := serve(ctx, w.router, d.seedRequest(tenant))
		if err != nil {
			return nil, err
		}
		if i == 0 {
			if w.existing, err = d.Created(resp); err != nil {
				return nil, fmt.Errorf("%s seed: %w", d.Name, err)
			}
		}
	}
	for _, op := range warmOps {
		capture := d.Router(labelledStore{fresh()}, discardLogger(d.Function))
		// A first, unrecorded call fills the router's warm caches (the
		// plan catalog), so the floor is a warm request's; its answers are
		// kept too, for a replaying router's own first, cold call.
		cold, coldCalls := withCapture(ctx)
		if _, err := serve(cold, capture, w.request(op)); err != nil {
			return nil, err
		}
		cctx, c := withCapture(ctx)
		tctx, tr := withTrips(cctx)
		resp, err := serve(tctx, capture, w.request(op))
		if err != nil {
			return nil, err
		}
		var fresh []string
		if op == "create" {
			created, err := d.Created(resp)
			if err != nil {
				return nil, fmt.Errorf("%s create: %w", d.Name, err)
			}
			fresh = created.Fresh
		}
		if w.floors[op], err = newFloor(c.list(), c.drawn(), fresh); err != nil {
			return nil, fmt.Errorf("%s %s: %w", d.Name, op, err)
		}
		w.coldAnswers[op], w.answers[op], w.sent[op] = coldCalls.answers(), c.answers(), tr.sent()
	}
	return w, nil
}
