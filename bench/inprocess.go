package main

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/contracts-service/contracts/shared/ddb"
)

// cost is what one request costs the process, averaged.
type cost struct {
	// CPU is user and system CPU time, garbage collection included.
	CPU time.Duration
	// Wall is elapsed time.
	Wall time.Duration
	// Allocs is heap allocations.
	Allocs float64
}

// inProcessCost is one operation served with DynamoDB's answers replayed
// from memory: the handler through ddb.Store and the SDK, and its floor
// through the SDK alone. With no network and no DynamoDB Local in the way,
// the difference is the service's own work per request, the store's item
// encoding and decoding included, measured without the noise of a
// database sharing the machine.
type inProcessCost struct {
	Dialect, Op    string
	Handler, Floor cost
}

// inProcessChunks is how many turns handler and floor take, so that a
// burst of other load reaches both.
const inProcessChunks = 10

// measureInProcess serves n requests of each operation, handler and floor
// in turns, over a client whose HTTP answers are DynamoDB Local's own,
// recorded when the floors were captured.
func measureInProcess(ctx context.Context, ws []*warmDialect, table string, n int) ([]inProcessCost, error) {
	var out []inProcessCost
	for _, w := range ws {
		for _, op := range warmOps {
			client, err := newClient(ctx, &tripCounter{next: &replayed{answers: w.answers[op]}})
			if err != nil {
				return nil, err
			}
			rt := w.d.Router(ddb.New(client, table), discardLogger(w.d.Function))
			ev := w.request(op)
			handler := func() error {
				_, err := serve(ctx, rt, ev)
				return err
			}
			fl := func() error { return w.floors[op].run(ctx, client) }
			// Warm both paths (caches, pools) before counting.
			for i := 0; i < n/10; i++ {
				if err := handler(); err != nil {
					return nil, err
				}
				if err := fl(); err != nil {
					return nil, err
				}
			}
			c := inProcessCost{Dialect: w.d.Name, Op: op}
			for chunk := 0; chunk < inProcessChunks; chunk++ {
				h, err := measureCost(n/inProcessChunks, handler)
				if err != nil {
					return nil, fmt.Errorf("%s %s: %w", w.d.Name, op, err)
				}
				f, err := measureCost(n/inProcessChunks, fl)
				if err != nil {
					return nil, fmt.Errorf("%s %s floor: %w", w.d.Name, op, err)
				}
				c.Handler = c.Handler.plus(h, inProcessChunks)
				c.Floor = c.Floor.plus(f, inProcessChunks)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// plus adds one of chunks equal parts of an average.
func (c cost) plus(o cost, chunks int) cost {
	return cost{CPU: c.CPU + o.CPU/time.Duration(chunks), Wall: c.Wall + o.Wall/time.Duration(chunks), Allocs: c.Allocs + o.Allocs/float64(chunks)}
}

// measureCost runs do n times and averages what each run cost.
func measureCost(n int, do func() error) (cost, error) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	u0, s0, _ := processCPU()
	start := time.Now()
	for i := 0; i < n; i++ {
		if err := do(); err != nil {
			return cost{}, err
		}
	}
	wall := time.Since(start)
	u1, s1, _ := processCPU()
	runtime.ReadMemStats(&m1)
	return cost{
		CPU:    time.Duration((u1 - u0 + s1 - s0) / int64(n)),
		Wall:   wall / time.Duration(n),
		Allocs: float64(m1.Mallocs-m0.Mallocs) / float64(n),
	}, nil
}
