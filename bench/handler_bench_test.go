package main

import (
	"context"
	"strings"
	"testing"
)

// BenchmarkHandler measures each dialect's handlers from the API Gateway
// event to the response (routing, decoding, validation, mapping to the
// domain, the domain's rules, encoding, the request log line) over an
// in-memory store, so no I/O is measured: the CPU and allocations a
// request costs the function itself. cpu-ns/op is the process's user and
// system CPU time per request, which also counts the garbage collector's
// work on other threads that ns/op (wall time) hides. A create's b.N
// requests are built before the timer starts: each must make a new
// contract, and building them is not the handler's work.
func BenchmarkHandler(b *testing.B) {
	ctx := context.Background()
	for di := range dialects {
		d := &dialects[di]
		m, err := inMemory(ctx, d)
		if err != nil {
			b.Fatal(err)
		}
		for _, op := range warmOps {
			b.Run(strings.ToLower(d.Name)+"/"+op, func(b *testing.B) {
				evs := m.requests(op, b.N)
				b.ReportAllocs()
				user0, sys0, cpuOK := processCPU()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					ev := &evs[i%len(evs)]
					resp, _ := m.router.Serve(ctx, *ev)
					if resp.StatusCode/100 != 2 {
						b.Fatalf("%s answered %d: %s", ev.RouteKey, resp.StatusCode, resp.Body)
					}
				}
				b.StopTimer()
				if user1, sys1, ok := processCPU(); ok && cpuOK {
					b.ReportMetric(float64(user1-user0+sys1-sys0)/float64(b.N), "cpu-ns/op")
				}
			})
		}
	}
}
