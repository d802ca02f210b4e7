package main

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	memstore "github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// allocSite is one function that allocates, in a handler's memory
// profile.
type allocSite struct {
	Function string
	// PerRequest is the objects it allocated per request.
	PerRequest float64
	// Share is its part of every object the requests allocated.
	Share float64
}

// profileRequests runs do n times with every allocation profiled and
// returns the ten functions that allocated most objects in that time.
func profileRequests(do func() error, n int) ([]allocSite, error) {
	rate := runtime.MemProfileRate
	runtime.MemProfileRate = 1
	defer func() { runtime.MemProfileRate = rate }()
	before := allocsByStack()
	for i := 0; i < n; i++ {
		if err := do(); err != nil {
			return nil, err
		}
	}
	after := allocsByStack()

	byFunc := map[string]int64{}
	var total int64
	for stack, objects := range after {
		objects -= before[stack]
		if objects <= 0 {
			continue
		}
		fn := allocatingFunction(stack)
		if strings.HasSuffix(fn, "/bench.allocsByStack") {
			continue // the profile's own bookkeeping
		}
		total += objects
		byFunc[fn] += objects
	}
	sites := make([]allocSite, 0, len(byFunc))
	for fn, objects := range byFunc {
		sites = append(sites, allocSite{Function: fn, PerRequest: float64(objects) / float64(n), Share: float64(objects) / float64(total)})
	}
	sort.Slice(sites, func(i, j int) bool {
		if sites[i].PerRequest != sites[j].PerRequest {
			return sites[i].PerRequest > sites[j].PerRequest
		}
		return sites[i].Function < sites[j].Function
	})
	if len(sites) > 10 {
		sites = sites[:10]
	}
	return sites, nil
}

// benchTenant is the actor of the in-memory runs. Its token is never
// checked: the router trusts the authorizer's context, as in Lambda. Its
// alias and account are the samples' (infra/events).
var benchTenant = Tenant{
	ID:           "bench",
	Alias:        "tnt_pfh0haxfpzowht3oi213cqos",
	Account:      "1234567890abcdef12345678",
	CredentialID: "9f86d081884c7d659a2feaa0c55ad015",
	Token:        "ctk_9f86d081884c7d659a2feaa0c55ad015_Qm9vdHN0cmFwLWxvY2FsLWRlbW8tdG9rZW4tZXhhbXB",
}

// inMemoryDialect is a dialect's router over an in-memory store that
// holds seedContracts contracts of benchTenant, as a warm tenant's table
// does.
type inMemoryDialect struct {
	d      *Dialect
	router *httpapi.Router
	// existing is the first seeded contract, which the get reads.
	existing Created
	// seeds are all the seeded contracts, oldest first.
	seeds []Created
}

// inMemory sets up d over a fresh in-memory store.
func inMemory(ctx context.Context, d *Dialect) (*inMemoryDialect, error) {
	store := memstore.New()
	if err := d.setUp(ctx, store, benchTenant); err != nil {
		return nil, err
	}
	m := &inMemoryDialect{d: d, router: d.Router(store, discardLogger(d.Function))}
	for i := 0; i < seedContracts; i++ {
		resp, err := serve(ctx, m.router, d.seedRequest(benchTenant))
		if err != nil {
			return nil, err
		}
		c, err := d.Created(resp)
		if err != nil {
			return nil, fmt.Errorf("%s seed: %w", d.Name, err)
		}
		m.seeds = append(m.seeds, c)
	}
	m.existing = m.seeds[0]
	return m, nil
}

// requests returns the requests of n calls of op, to serve in turn: n
// creates, each a new contract, or one read served n times.
func (m *inMemoryDialect) requests(op string, n int) []events.APIGatewayV2HTTPRequest {
	switch op {
	case "create":
		return createEvents(m.d, benchTenant, n)
	case "get":
		return []events.APIGatewayV2HTTPRequest{m.d.Get(benchTenant, m.existing)}
	default:
		return []events.APIGatewayV2HTTPRequest{m.d.List(benchTenant, m.existing)}
	}
}

// allocsByStack returns the objects allocated so far per allocation
// stack. The profile is as of the last completed garbage collection, and
// an allocation reaches it one cycle after it happened: hence two.
func allocsByStack() map[[32]uintptr]int64 {
	runtime.GC()
	runtime.GC()
	var records []runtime.MemProfileRecord
	n, _ := runtime.MemProfile(nil, true)
	for {
		records = make([]runtime.MemProfileRecord, n+50)
		var ok bool
		if n, ok = runtime.MemProfile(records, true); ok {
			records = records[:n]
			break
		}
	}
	out := make(map[[32]uintptr]int64, len(records))
	for _, r := range records {
		out[r.Stack0] += r.AllocObjects
	}
	return out
}

// allocatingFunction names the function at the top of an allocation's
// stack, past the runtime's own frames (maps, slices growing): the code
// that asked for the memory.
func allocatingFunction(stack [32]uintptr) string {
	var pcs []uintptr
	for _, pc := range stack {
		if pc == 0 {
			break
		}
		pcs = append(pcs, pc)
	}
	frames := runtime.CallersFrames(pcs)
	for {
		f, more := frames.Next()
		if f.Function != "" && !strings.HasPrefix(f.Function, "runtime.") && !strings.HasPrefix(f.Function, "internal/runtime/") {
			return f.Function
		}
		if !more {
			break
		}
	}
	return fmt.Sprintf("unknown (%d frames)", len(pcs))
}
