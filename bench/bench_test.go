package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// BenchmarkWarm measures each dialect's create, get and list served by
// the function's router in-process over a ddb.Store on DynamoDB Local,
// beside its floor: the very DynamoDB operations the handler issued,
// captured from one call and replayed with the SDK alone (a create's
// replay writes new items, with numbers its own counter updates drew).
//
// Each handler and floor sub-benchmark also reports, from one more call
// through a client that asks for ReturnConsumedCapacity TOTAL, its
// DynamoDB round trips (HTTP requests at the SDK's HTTP client, retries
// included), the request bytes sent, the read and write capacity units
// DynamoDB reported, and one "<Operation>/op" metric per operation
// issued. The replayed-handler and replayed-floor sub-benchmarks serve
// the same requests with DynamoDB Local's recorded answers handed back
// from memory, so only the process's own work is measured: cpu-ns/op
// (user and system CPU time, garbage collection included) and
// allocations.
func BenchmarkWarm(b *testing.B) {
	ctx := context.Background()
	_, table := ddbtest.NewTable(b)
	client := newClient(b, &tripCounter{})
	counted := newClient(b, &tripCounter{}, withConsumedCapacity)
	store, countedStore := ddb.New(client, table), ddb.New(counted, table)
	for i := range dialects {
		d := &dialects[i]
		// The account alias is 24 characters, as fabric's x-site-context
		// account must be.
		t, err := newTenant(ctx, store, fmt.Sprintf("bench-warm-%d", i), fmt.Sprintf("tnt_benchwarm%015d", i), fmt.Sprintf("benchwarm%015d", i))
		if err != nil {
			b.Fatal(err)
		}
		w, err := setUpWarm(ctx, d, store, func() *ddb.Store { return ddb.New(client, table) }, t)
		if err != nil {
			b.Fatal(err)
		}
		countedRouter := d.Router(countedStore, discardLogger(d.Function))
		for _, op := range warmOps {
			f := w.floors[op]
			requests := func(n int) []events.APIGatewayV2HTTPRequest {
				if op == "create" {
					return createEvents(d, t, n)
				}
				return []events.APIGatewayV2HTTPRequest{w.request(op)}
			}
			name := d.Name + "/" + op
			// Handler and floor in turns, ABBA, in one benchmark, so a
			// burst of other load reaches both alike: handler-ns/op and
			// floor-ns/op are their means, handler-to-floor their ratio,
			// ns/op the handler's.
			b.Run(name, func(b *testing.B) {
				evs := requests(b.N)
				var handler, floor time.Duration
				b.ResetTimer()
				for i := range 2 * b.N {
					t0 := time.Now()
					if i%4 == 0 || i%4 == 3 {
						if _, err := serve(ctx, w.router, evs[(i/2)%len(evs)]); err != nil {
							b.Fatal(err)
						}
						handler += time.Since(t0)
					} else {
						if err := f.run(ctx, client); err != nil {
							b.Fatal(err)
						}
						floor += time.Since(t0)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(handler)/float64(b.N), "ns/op")
				b.ReportMetric(float64(handler)/float64(b.N), "handler-ns/op")
				b.ReportMetric(float64(floor)/float64(b.N), "floor-ns/op")
				b.ReportMetric(float64(handler)/float64(floor), "handler-to-floor")
				// The counted call is a warm router's, like the timed ones:
				// one call first fills its caches.
				if _, err := serve(ctx, countedRouter, requests(1)[0]); err != nil {
					b.Fatal(err)
				}
				reportCalls(b, "", func(ctx context.Context) error {
					_, err := serve(ctx, countedRouter, requests(1)[0])
					return err
				})
				reportCalls(b, "floor-", func(ctx context.Context) error { return f.run(ctx, counted) })
			})
			replayClient := newClient(b, &tripCounter{next: &replayed{prime: w.coldAnswers[op], answers: w.answers[op]}})
			replayRouter := d.Router(ddb.New(replayClient, table), discardLogger(d.Function))
			// The replaying router's first call is cold (it fills the
			// plan cache); it is made before any is timed.
			if _, err := serve(ctx, replayRouter, requests(1)[0]); err != nil {
				b.Fatal(err)
			}
			b.Run(name+"/replayed-handler", func(b *testing.B) {
				evs := requests(b.N)
				b.ReportAllocs()
				b.ResetTimer()
				reportCPU(b, func(i int) error {
					_, err := serve(ctx, replayRouter, evs[i%len(evs)])
					return err
				})
			})
			b.Run(name+"/replayed-floor", func(b *testing.B) {
				b.ReportAllocs()
				reportCPU(b, func(int) error { return f.run(ctx, replayClient) })
			})
		}
	}
}

// reportCalls makes one call under a context that lists its round trips
// and sums its consumed capacity, and reports them, each unit named with
// prefix.
func reportCalls(b *testing.B, prefix string, call func(ctx context.Context) error) {
	b.Helper()
	cctx, used := withCapacity(context.Background())
	cctx, listed := withTrips(cctx)
	if err := call(cctx); err != nil {
		b.Fatal(err)
	}
	ops := listed.list()
	b.ReportMetric(float64(len(ops)), prefix+"roundtrips/op")
	b.ReportMetric(float64(listed.sent()), prefix+"req-B/op")
	b.ReportMetric(used.read, prefix+"RCU/op")
	b.ReportMetric(used.write, prefix+"WCU/op")
	perOp := map[string]int{}
	for _, op := range ops {
		perOp[op]++
	}
	for op, n := range perOp {
		b.ReportMetric(float64(n), prefix+op+"/op")
	}
}

// reportCPU runs do b.N times and reports the process's CPU time per
// call, which counts the garbage collector's work on other threads that
// wall time hides.
func reportCPU(b *testing.B, do func(i int) error) {
	b.Helper()
	u0, s0, ok0 := processCPU()
	for i := range b.N {
		if err := do(i); err != nil {
			b.Fatal(err)
		}
	}
	u1, s1, ok1 := processCPU()
	b.StopTimer()
	if ok0 && ok1 {
		b.ReportMetric(float64(u1-u0+s1-s0)/float64(b.N), "cpu-ns/op")
	}
}

// throughputClients are the concurrencies measured: one client, a few,
// and more clients than DynamoDB Local has threads to serve them.
var throughputClients = []int{1, 8, 32}

// throughputTenants is how many tenants the spread runs use, one per
// client at the highest concurrency.
const throughputTenants = 32

// BenchmarkThroughput measures creates per second (creates/s; b.N creates
// per run) through each dialect's router in-process with 1, 8 and 32
// concurrent clients, all in one tenant (one counter item, one partition
// key) and spread over 32 tenants; beside them the same creates' floor
// (every DynamoDB operation of a create, replayed) and DynamoDB Local's
// raw TransactWriteItems of the same items alone (their numbers taken
// outside every counter's range). A failed create fails the benchmark:
// the store sends a transaction DynamoDB cancelled for a conflict again,
// so none should reach a client.
func BenchmarkThroughput(b *testing.B) {
	ctx := context.Background()
	_, table := ddbtest.NewTable(b)
	client := newClient(b, &tripCounter{})
	store := ddb.New(client, table)
	var rawSeq atomic.Int64
	var err error
	for di := range dialects {
		d := &dialects[di]
		// Tenants of the dialect's own, as a floor replays one dialect's
		// draws from the tenant's counter.
		tenants := make([]Tenant, throughputTenants)
		for i := range tenants {
			n := di*100 + i
			if tenants[i], err = newTenant(ctx, store, fmt.Sprintf("bench-tp-%03d", n), fmt.Sprintf("tnt_benchtp%017d", n), fmt.Sprintf("benchtp%017d", n)); err != nil {
				b.Fatal(err)
			}
		}
		rt := d.Router(store, discardLogger(d.Function))
		capture := d.Router(labelledStore{store}, discardLogger(d.Function))
		floors := make([]*floor, len(tenants))
		for i, t := range tenants {
			if floors[i], err = captureCreate(ctx, capture, d, t, d.Create(t)); err != nil {
				b.Fatal(err)
			}
		}
		for _, spread := range []int{1, throughputTenants} {
			for _, clients := range throughputClients {
				name := fmt.Sprintf("%s/tenants=%d/clients=%d", d.Name, spread, clients)
				b.Run(name+"/handler", func(b *testing.B) {
					evs := make([]events.APIGatewayV2HTTPRequest, b.N)
					for i := range evs {
						evs[i] = d.Create(tenants[i%spread])
					}
					concurrently(b, clients, func(i int) error {
						_, err := serve(ctx, rt, evs[i])
						return err
					})
				})
				b.Run(name+"/floor", func(b *testing.B) {
					concurrently(b, clients, func(i int) error { return floors[i%spread].run(ctx, client) })
				})
				b.Run(name+"/raw", func(b *testing.B) {
					concurrently(b, clients, func(i int) error { return floors[i%spread].runTransaction(ctx, client, rawSeq.Add(1)) })
				})
			}
		}
	}
}

// concurrently runs do for 0..b.N-1 on clients goroutines and reports
// the rate as creates/s.
func concurrently(b *testing.B, clients int, do func(i int) error) {
	b.Helper()
	var next atomic.Int64
	var firstErr error
	var once sync.Once
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if err := do(i); err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if firstErr != nil {
		b.Fatal(firstErr)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "creates/s")
}

// BenchmarkAllocSites serves each dialect's operations over the in-memory
// store, as BenchmarkHandler does, with every allocation profiled
// (runtime.MemProfileRate 1), and reports the ten functions that
// allocated most objects per request as "objects:<function>" metrics:
// which code allocates, not only how much. Profiling slows every
// allocation, so its ns/op means nothing.
func BenchmarkAllocSites(b *testing.B) {
	ctx := context.Background()
	eachInMemory(b, func(b *testing.B, rt *httpapi.Router, evs []events.APIGatewayV2HTTPRequest) {
		next := 0
		sites, err := profileRequests(func() error {
			_, err := serve(ctx, rt, evs[next%len(evs)])
			next++
			return err
		}, b.N)
		if err != nil {
			b.Fatal(err)
		}
		sort.Slice(sites, func(i, j int) bool { return sites[i].PerRequest > sites[j].PerRequest })
		for _, s := range sites {
			b.ReportMetric(s.PerRequest, "objects:"+strings.ReplaceAll(s.Function, " ", "_"))
		}
	})
}

// captureCreate creates one contract for t through rt, a router over a
// labelledStore, and makes the floor of that create.
func captureCreate(ctx context.Context, rt *httpapi.Router, d *Dialect, t Tenant, ev events.APIGatewayV2HTTPRequest) (*floor, error) {
	cctx, c := withCapture(ctx)
	resp, err := serve(cctx, rt, ev)
	if err != nil {
		return nil, err
	}
	created, err := d.Created(resp)
	if err != nil {
		return nil, fmt.Errorf("%s create: %w", d.Name, err)
	}
	f, err := newFloor(c.list(), c.drawn(), created.Fresh)
	if err != nil {
		return nil, fmt.Errorf("%s create: %w", d.Name, err)
	}
	return f, nil
}
