package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// throughputClients are the concurrencies measured: one client, a few,
// and more clients than DynamoDB Local has threads to serve them.
var throughputClients = []int{1, 8, 32}

// throughputChunks is how many slices each kind of run is cut into.
const throughputChunks = 4

// throughputTenants is how many tenants the spread runs use, one per
// client at the highest concurrency.
const throughputTenants = 32

// rate is one bounded run: how many operations succeeded in how long.
type rate struct {
	Done, Errors int
	Elapsed      time.Duration
	// Cut says the time bound ended the run before its count.
	Cut      bool
	FirstErr string
}

// add sums the runs of one kind.
func (r *rate) add(o rate) {
	r.Done += o.Done
	r.Errors += o.Errors
	r.Elapsed += o.Elapsed
	r.Cut = r.Cut || o.Cut
	if r.FirstErr == "" {
		r.FirstErr = o.FirstErr
	}
}

func (r rate) perSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Done) / r.Elapsed.Seconds()
}

// throughputCell is one concurrency and tenant spread of one dialect:
// creates through the handler, the same creates' floor (counter update
// and transaction), and the transaction alone.
type throughputCell struct {
	Dialect string
	Tenants int
	Clients int
	Ours    rate
	Floor   rate
	Raw     rate
}

// load runs do for indexes 0..total-1 on clients goroutines, stopping
// early at limit. Errors are counted, not fatal: under load a conflict or
// a throttle is a result.
func load(ctx context.Context, clients, total int, limit time.Duration, do func(ctx context.Context, i int) error) rate {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var next, done, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < clients; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(total) {
					return
				}
				if err := do(ctx, int(i)); err != nil {
					if ctx.Err() != nil {
						return
					}
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	r := rate{Done: int(done.Load()), Errors: int(failed.Load()), Elapsed: time.Since(start), Cut: int(done.Load()+failed.Load()) < total}
	if s, ok := firstErr.Load().(string); ok {
		r.FirstErr = s
	}
	return r
}

// measureThroughput runs, per dialect, every concurrency in one tenant and
// spread over throughputTenants: in each cell, creates operations of each
// kind (or as many as limit allows), interleaved in slices. The tenants
// must have been set up for every dialect (newTenant does).
func measureThroughput(ctx context.Context, store *ddb.Store, client *dynamodb.Client, tenants []Tenant, creates int, limit time.Duration, progress func(string)) ([]throughputCell, error) {
	var cells []throughputCell
	var rawSeq atomic.Int64
	perSlice := creates / throughputChunks
	for di := range dialects {
		d := &dialects[di]
		rt := d.Router(store, discardLogger(d.Function))
		capture := d.Router(labelledStore{store}, discardLogger(d.Function))
		floors := make([]*floor, len(tenants))
		for i, t := range tenants {
			f, err := captureCreate(ctx, capture, d, t, d.Create(t))
			if err != nil {
				return nil, err
			}
			floors[i] = f
		}
		n := 0
		for _, spread := range []int{1, throughputTenants} {
			for _, clients := range throughputClients {
				cell := throughputCell{Dialect: d.Name, Tenants: spread, Clients: clients}
				// The handler's requests are built before each slice, as
				// each create must be a new one (a unique externalId or
				// contractId), and building them is not the handler's work.
				var evs []events.APIGatewayV2HTTPRequest
				kinds := []struct {
					into    *rate
					prepare func()
					do      func(ctx context.Context, i int) error
				}{
					{&cell.Ours, func() {
						evs = make([]events.APIGatewayV2HTTPRequest, perSlice)
						for i := range evs {
							evs[i] = d.Create(tenants[i%spread])
						}
					}, func(ctx context.Context, i int) error {
						_, err := serve(ctx, rt, evs[i])
						return err
					}},
					{&cell.Floor, nil, func(ctx context.Context, i int) error {
						return floors[i%spread].run(ctx, client)
					}},
					{&cell.Raw, nil, func(ctx context.Context, i int) error {
						return floors[i%spread].runTransaction(ctx, client, rawSeq.Add(1))
					}},
				}
				// Each kind runs in throughputChunks slices, taking turns
				// in a rotating order, so a burst of other load on the
				// machine hits all three rather than one.
				for chunk := 0; chunk < throughputChunks; chunk++ {
					for k := range kinds {
						kind := kinds[(k+chunk+n)%len(kinds)]
						if kind.prepare != nil {
							kind.prepare()
						}
						kind.into.add(load(ctx, clients, perSlice, limit/throughputChunks, kind.do))
					}
				}
				n++
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				cells = append(cells, cell)
				progress(fmt.Sprintf("throughput: %s, %d tenant(s), %d clients: %.0f creates/s", d.Name, spread, clients, cell.Ours.perSecond()))
			}
		}
	}
	return cells, nil
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
