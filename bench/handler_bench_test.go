package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/httpapi"
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
	eachInMemory(b, func(b *testing.B, rt *httpapi.Router, evs []events.APIGatewayV2HTTPRequest) {
		b.ReportAllocs()
		user0, sys0, cpuOK := processCPU()
		b.ResetTimer()
		for i := 0; i < b.N; i++ {
			ev := &evs[i%len(evs)]
			resp, _ := rt.Serve(ctx, *ev)
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

// eachInMemory runs measure as a sub-benchmark of b,
// "<dialect>/<operation>", for each dialect's create, get and list over
// the in-memory store (inMemory): measure gets the dialect's router and
// the requests of b.N calls (inMemoryDialect.requests), built before it
// runs.
func eachInMemory(b *testing.B, measure func(b *testing.B, rt *httpapi.Router, evs []events.APIGatewayV2HTTPRequest)) {
	for di := range dialects {
		d := &dialects[di]
		m, err := inMemory(context.Background(), d)
		if err != nil {
			b.Fatal(err)
		}
		for _, op := range warmOps {
			b.Run(strings.ToLower(d.Name)+"/"+op, func(b *testing.B) { measure(b, m.router, m.requests(op, b.N)) })
		}
	}
}
