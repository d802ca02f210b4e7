package ddb_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// BenchmarkCreateUnderContention measures creates per second in one
// tenant, clients at once, of fabric contracts carrying a contractId:
// "claim" as the store numbers them (one read with the counter, the
// number claimed in the transaction; a lost claim draws), "draw" as a
// create drawing first (UpdateItem, then the transaction). It needs
// DynamoDB Local:
//
//	infra/dynamodb-local.sh run -- go test ./shared/ddb -run '^$' -bench CreateUnderContention -benchtime 200x
func BenchmarkCreateUnderContention(b *testing.B) {
	store := ddbtest.NewStore(b)
	var tenants atomic.Int64
	// DynamoDB Local's JVM runs the first requests of a kind slowly: warm
	// both paths up, so the order of the runs does not decide them.
	for i := range 100 {
		c := &contract.Contract{TenantID: "warm-up", ID: fmt.Sprintf("id-%d", i), Party: contract.Party{Kind: contract.PartyOrganization, ID: "org"},
			Reference: fmt.Sprintf("C-%d", i), Status: contract.StatusActive, Version: 1, CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if i%2 == 1 {
			n, err := store.NextContractNumber(ctx, c.TenantID)
			if err != nil {
				b.Fatal(err)
			}
			c.Number = contract.FormatNumber(n)
		}
		if err := store.CreateContract(ctx, c, contract.Companions{}, nil); err != nil {
			b.Fatal(err)
		}
	}
	for _, clients := range []int{1, 8, 32} {
		for _, mode := range []string{"claim", "draw"} {
			b.Run(fmt.Sprintf("%s/clients=%d", mode, clients), func(b *testing.B) {
				tenant := fmt.Sprintf("t%d", tenants.Add(1))
				var next atomic.Int64
				work := make(chan int)
				var wg sync.WaitGroup
				b.ResetTimer()
				for range clients {
					wg.Go(func() {
						for range work {
							i := next.Add(1)
							c := &contract.Contract{TenantID: tenant, ID: fmt.Sprintf("id-%d", i), Party: contract.Party{Kind: contract.PartyOrganization, ID: "org"},
								Reference: fmt.Sprintf("C-%d", i), Status: contract.StatusActive, Version: 1, CreatedAt: time.Now(), UpdatedAt: time.Now()}
							if mode == "draw" {
								n, err := store.NextContractNumber(ctx, tenant)
								if err != nil {
									b.Error(err)
									continue
								}
								c.Number = contract.FormatNumber(n)
							}
							if err := store.CreateContract(ctx, c, contract.Companions{}, nil); err != nil {
								b.Error(err)
							}
						}
					})
				}
				for i := range b.N {
					work <- i
				}
				close(work)
				wg.Wait()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
			})
		}
	}
}
