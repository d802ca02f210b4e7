package main

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// timestampPattern matches the instants the store writes (RFC 3339 in
// UTC, any fraction): the only values two creates of the same request may
// differ in besides what they generate.
var timestampPattern = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z`)

// capturedCreate is one create served through a labelledStore router,
// with what it issued and answered.
type capturedCreate struct {
	calls   []call
	draws   []draw
	created Created
	bytes   int64
}

// TestFloorsReplayEveryDialect runs every registered dialect's operations
// on DynamoDB Local and checks their floors the way the benchmarks rely
// on them:
//
//   - the dialect's Created names every value a create generates: two
//     creates of the same request issue the same writes once the first's
//     generated values and drawn numbers are mapped to the second's and
//     timestamps set aside (a value it missed would be replayed as is, and
//     every replay would rewrite the same key);
//   - a replay issues the same operations as the handler, sending the
//     same number of bytes (same items, same sizes), and a create's replay
//     carries none of the captured create's generated values;
//   - replays and the handler's own creates go on succeeding after one
//     another, so no key collides.
func TestFloorsReplayEveryDialect(t *testing.T) {
	ddbtest.Client(t) // skips, or fails under CI, without DynamoDB Local
	_, table := ddbtest.NewTable(t)
	ctx := context.Background()
	client := newClient(t, &tripCounter{})
	store := ddb.New(client, table)
	for i := range dialects {
		d := &dialects[i]
		t.Run(d.Name, func(t *testing.T) {
			tenant, err := newTenant(ctx, store, fmt.Sprintf("floor-%d", i), fmt.Sprintf("tnt_floortest%015d", i), fmt.Sprintf("floortest%015d", i))
			if err != nil {
				t.Fatal(err)
			}
			w := &warmDialect{d: d, tenant: tenant, router: d.Router(store, discardLogger(d.Function))}
			for s := 0; s < 3; s++ {
				resp, err := serve(ctx, w.router, d.seedRequest(tenant))
				if err != nil {
					t.Fatal(err)
				}
				if s == 0 {
					if w.existing, err = d.Created(resp); err != nil {
						t.Fatal(err)
					}
				}
			}
			capture := d.Router(labelledStore{store}, discardLogger(d.Function))
			run := func(op string) capturedCreate {
				t.Helper()
				cctx, c := withCapture(ctx)
				tctx, tr := withTrips(cctx)
				resp, err := serve(tctx, capture, w.request(op))
				if err != nil {
					t.Fatal(err)
				}
				out := capturedCreate{calls: c.list(), draws: c.drawn(), bytes: tr.sent()}
				if op == "create" {
					if out.created, err = d.Created(resp); err != nil {
						t.Fatal(err)
					}
				}
				return out
			}

			a, b := run("create"), run("create")
			fa, err := newFloor(a.calls, a.draws, a.created.Fresh)
			if err != nil {
				t.Fatal(err)
			}
			fb, err := newFloor(b.calls, b.draws, b.created.Fresh)
			if err != nil {
				t.Fatal(err)
			}
			t.Run("Created names every generated value", func(t *testing.T) {
				if len(a.created.Fresh) != len(b.created.Fresh) || len(fa.counters) != len(fb.counters) || len(a.calls) != len(b.calls) {
					t.Fatalf("two creates of one request differ in shape: %d and %d values, %d and %d counters, %d and %d calls",
						len(a.created.Fresh), len(b.created.Fresh), len(fa.counters), len(fb.counters), len(a.calls), len(b.calls))
				}
				var pairs []string
				for k := range a.created.Fresh {
					pairs = append(pairs, a.created.Fresh[k], b.created.Fresh[k])
				}
				for k := range fa.counters {
					pairs = append(pairs, fa.counters[k].captured, fb.counters[k].captured)
				}
				if (fa.claim == nil) != (fb.claim == nil) {
					t.Fatal("one of two creates of one request claimed its number, the other did not")
				}
				if fa.claim != nil {
					pairs = append(pairs, fa.claim.captured, fb.claim.captured)
				}
				toB := strings.NewReplacer(pairs...).Replace
				// The numbers a claim read and claimed are the counter's,
				// not the request's: both are set to a first claim's.
				unclaimed := func(f *floor, k int, in any) any {
					if f.claim != nil && k == f.claim.tx {
						return f.claim.claiming(in.(*dynamodb.TransactWriteItemsInput), 0)
					}
					return in
				}
				for k := range a.calls {
					got := inputJSON(t, unclaimed(fa, k, copyInput(a.calls[k].Input, func(s string) string { return timestampPattern.ReplaceAllString(toB(s), "T") })))
					want := inputJSON(t, unclaimed(fb, k, copyInput(b.calls[k].Input, func(s string) string { return timestampPattern.ReplaceAllString(s, "T") })))
					if got != want {
						t.Errorf("call %d (%s) differs beyond the generated values and timestamps:\n first  %s\n second %s", k, opName(a.calls[k].Input), got, want)
					}
				}
			})

			for _, op := range warmOps {
				t.Run(op, func(t *testing.T) {
					captured := a
					if op != "create" {
						captured = run(op)
					}
					f, err := newFloor(captured.calls, captured.draws, captured.created.Fresh)
					if err != nil {
						t.Fatal(err)
					}
					for r := 0; r < 2; r++ {
						rctx, rc := withCapture(ctx)
						tctx, tr := withTrips(rctx)
						if err := f.run(tctx, client); err != nil {
							t.Fatalf("replay %d: %v", r, err)
						}
						if got, want := strings.Join(tr.list(), " + "), strings.Join(f.ops(), " + "); got != want {
							t.Fatalf("the replay issued %s, the handler %s", got, want)
						}
						if tr.sent() != captured.bytes {
							t.Errorf("the replay sent %d bytes, the handler %d: not the same items", tr.sent(), captured.bytes)
						}
						generated := append([]string(nil), f.fresh...)
						for _, u := range f.counters {
							generated = append(generated, u.captured)
						}
						if f.claim != nil {
							generated = append(generated, f.claim.captured)
						}
						for _, c := range rc.list() {
							for _, v := range generated {
								if carries(c.Input, v) {
									t.Errorf("replay %d wrote the captured create's %q again (%s)", r, v, opName(c.Input))
								}
							}
						}
					}
					if op == "create" {
						if err := f.runTransaction(ctx, client, 1); err != nil {
							t.Fatalf("the transaction alone: %v", err)
						}
						// The handler's creates go on after the replays.
						if _, err := serve(ctx, w.router, d.Create(tenant)); err != nil {
							t.Fatalf("a create after the replays: %v", err)
						}
					}
				})
			}
		})
	}
}

// inputJSON is an operation's input as JSON, for comparing two of them.
func inputJSON(t *testing.T, in any) string {
	t.Helper()
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}
