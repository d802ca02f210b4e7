package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

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
func setUpWarm(ctx context.Context, d *Dialect, store *ddb.Store, tenant Tenant) (*warmDialect, error) {
	w := &warmDialect{d: d, tenant: tenant, router: d.Router(store, discardLogger(d.Function)), floors: map[string]*floor{}, answers: map[string][]recorded{}, sent: map[string]int64{}}
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
	capture := d.Router(labelledStore{store}, discardLogger(d.Function))
	for _, op := range warmOps {
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
		w.answers[op], w.sent[op] = c.answers(), tr.sent()
	}
	return w, nil
}

// latency is one operation's warm latencies, the handler's and its
// floor's, taken in the same rounds.
type latency struct {
	Dialect, Op string
	Ours, Floor []time.Duration
	FloorOps    []string
}

// measureWarm runs rounds of every operation of every dialect, each
// through the handler and through its floor, back to back in an order that
// alternates round by round, so that noise of the machine and of DynamoDB
// Local's JVM lands on both alike. The first warmup rounds are not
// recorded: they let the JVM compile its hot paths and the connection
// pool fill.
func measureWarm(ctx context.Context, ws []*warmDialect, client *dynamodb.Client, warmup, rounds int, progress func(string)) ([]*latency, error) {
	var out []*latency
	byKey := map[string]*latency{}
	for _, w := range ws {
		for _, op := range warmOps {
			l := &latency{Dialect: w.d.Name, Op: op, FloorOps: w.floors[op].ops()}
			out = append(out, l)
			byKey[w.d.Name+"/"+op] = l
		}
	}
	for round := 0; round < warmup+rounds; round++ {
		for _, w := range ws {
			for i, op := range warmOps {
				ev := w.request(op)
				f := w.floors[op]
				var ours, fl time.Duration
				var err error
				oursFirst := (round+i)%2 == 0
				for turn := 0; turn < 2; turn++ {
					if (turn == 0) == oursFirst {
						start := time.Now()
						var resp events.APIGatewayV2HTTPResponse
						resp, err = w.router.Serve(ctx, ev)
						ours = time.Since(start)
						if err == nil && resp.StatusCode/100 != 2 {
							err = fmt.Errorf("%s answered %d: %.300s", ev.RouteKey, resp.StatusCode, resp.Body)
						}
					} else {
						start := time.Now()
						err = f.run(ctx, client)
						fl = time.Since(start)
					}
					if err != nil {
						return nil, fmt.Errorf("%s %s: %w", w.d.Name, op, err)
					}
				}
				if round >= warmup {
					l := byKey[w.d.Name+"/"+op]
					l.Ours = append(l.Ours, ours)
					l.Floor = append(l.Floor, fl)
				}
			}
		}
		if done := round + 1 - warmup; done > 0 && done%100 == 0 {
			progress(fmt.Sprintf("warm latency: %d of %d rounds", done, rounds))
		}
	}
	return out, nil
}

// roundTrips is how many DynamoDB requests one handler operation made.
type roundTrips struct {
	Dialect, Op string
	Min, Max    int
	// Ops is the operations of the last call, in order.
	Ops      []string
	FloorOps []string
	// Bytes and FloorBytes are what the call the floor was captured
	// from, and a replay of the floor, sent to DynamoDB: equal when the
	// floor writes and reads the same items. (Other calls of a create
	// may send a few bytes less: the store writes instants with RFC
	// 3339's shortest fraction, trailing zeros dropped.)
	Bytes, FloorBytes int64
}

// measureRoundTrips counts the HTTP requests of repeats calls of each
// operation, at the SDK's HTTP client: retries would show as extra trips.
func measureRoundTrips(ctx context.Context, ws []*warmDialect, client *dynamodb.Client, repeats int) ([]roundTrips, error) {
	var out []roundTrips
	for _, w := range ws {
		for _, op := range warmOps {
			r := roundTrips{Dialect: w.d.Name, Op: op, Min: -1, FloorOps: w.floors[op].ops()}
			for i := 0; i < repeats; i++ {
				tctx, t := withTrips(ctx)
				if _, err := serve(tctx, w.router, w.request(op)); err != nil {
					return nil, err
				}
				ops := t.list()
				if r.Min < 0 || len(ops) < r.Min {
					r.Min = len(ops)
				}
				if len(ops) > r.Max {
					r.Max = len(ops)
				}
				r.Ops = ops
			}
			fctx, ft := withTrips(ctx)
			if err := w.floors[op].run(fctx, client); err != nil {
				return nil, err
			}
			r.Bytes, r.FloorBytes = w.sent[op], ft.sent()
			out = append(out, r)
		}
	}
	return out, nil
}

// capacity is the capacity units one operation consumed, by the handler
// and by its floor, as DynamoDB reported them.
type capacity struct {
	Dialect, Op string
	Ours, Floor float64
	// OursPerCall and FloorPerCall are the units of each operation of the
	// last call, in order.
	OursPerCall, FloorPerCall []float64
	// OursReported and FloorReported say whether DynamoDB returned a
	// ConsumedCapacity for every operation it was asked for.
	OursReported, FloorReported bool
}

// measureCapacity is the second pass: the same operations, through a
// client that asks for ReturnConsumedCapacity TOTAL on every call (the
// handler's own calls, through a router over that client, and the floor's
// replays), averaged over repeats calls.
func measureCapacity(ctx context.Context, ws []*warmDialect, capClient *dynamodb.Client, table string, repeats int) ([]capacity, error) {
	var out []capacity
	store := ddb.New(capClient, table)
	for _, w := range ws {
		rt := w.d.Router(store, discardLogger(w.d.Function))
		for _, op := range warmOps {
			c := capacity{Dialect: w.d.Name, Op: op, OursReported: true, FloorReported: true}
			for i := 0; i < repeats; i++ {
				octx, ours := withCapacity(ctx)
				if _, err := serve(octx, rt, w.request(op)); err != nil {
					return nil, err
				}
				fctx, fl := withCapacity(ctx)
				if err := w.floors[op].run(fctx, capClient); err != nil {
					return nil, err
				}
				c.OursPerCall, c.FloorPerCall = ours.perCall, fl.perCall
				c.Ours += ours.units / float64(repeats)
				c.Floor += fl.units / float64(repeats)
				c.OursReported = c.OursReported && ours.calls > 0 && ours.reported == ours.calls
				c.FloorReported = c.FloorReported && fl.calls > 0 && fl.reported == fl.calls
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// opsString joins operation names for a table cell.
func opsString(ops []string) string {
	if len(ops) == 0 {
		return "none"
	}
	return strings.Join(ops, " + ")
}
