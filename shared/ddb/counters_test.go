package ddb_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// One draw gives a request its contract numbers, contiguous, and its
// action number, in one UpdateItem; the contract numbers continue the
// sequence every other create draws from, and a tenant whose action count
// is still in its counter of old (COUNTER#action) goes on from it.
func TestDrawNumbers(t *testing.T) {
	faulty, clean, faults := ddbtest.NewFaultyStore(t)
	type draw struct {
		contracts             int
		wantFirst, wantAction int64
	}
	// counterItem writes a counter as the store wrote it before actions
	// moved into the contract counter.
	counterItem := func(tenant, sequence string, last string) {
		t.Helper()
		_, err := ddbtest.Client(t).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(clean.Table()), Item: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "TENANT#" + tenant}, "SK": &types.AttributeValueMemberS{Value: "COUNTER#" + sequence},
			"type": &types.AttributeValueMemberS{Value: "counter"}, "last": &types.AttributeValueMemberN{Value: last},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		setup func(tenant string)
		draws []draw
		// calls is what the first draw costs; every later one is one
		// UpdateItem.
		calls map[string]int
	}{
		{name: "new tenant", setup: func(string) {},
			draws: []draw{{1, 1, 1}, {3, 2, 2}, {0, 0, 3}, {1, 5, 4}},
			calls: map[string]int{"UpdateItem": 1}},
		{name: "tenant with contracts only", setup: func(tenant string) {
			if _, err := clean.NextContractNumber(ctx, tenant); err != nil {
				t.Fatal(err)
			}
		}, draws: []draw{{1, 2, 1}, {2, 3, 2}},
			calls: map[string]int{"UpdateItem": 2, "GetItem": 1, "TransactWriteItems": 1}},
		{name: "tenant with both counters of old", setup: func(tenant string) {
			counterItem(tenant, "contract", "5")
			counterItem(tenant, "action", "7")
		}, draws: []draw{{2, 6, 8}, {0, 0, 9}, {1, 8, 10}},
			calls: map[string]int{"UpdateItem": 2, "GetItem": 1, "TransactWriteItems": 1}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tenant := "tenant-" + string(rune('a'+i))
			tt.setup(tenant)
			for j, d := range tt.draws {
				faults.Reset()
				first, action, err := faulty.DrawNumbers(ctx, tenant, d.contracts)
				if err != nil {
					t.Fatal(err)
				}
				if action != d.wantAction || (d.contracts > 0 && first != d.wantFirst) {
					t.Errorf("draw %d of %d contracts: first %d, action %d; want %d, %d", j, d.contracts, first, action, d.wantFirst, d.wantAction)
				}
				want := map[string]int{"UpdateItem": 1}
				if j == 0 {
					want = tt.calls
				}
				for op, n := range want {
					if got := faults.Calls(op); got != n {
						t.Errorf("draw %d: %d %s calls, want %d", j, got, op, n)
					}
				}
			}
			// Kukkingu's, Aira's and fabric's creates go on from there.
			n, err := clean.NextContractNumber(ctx, tenant)
			last := tt.draws[len(tt.draws)-1]
			if err != nil || n != last.wantFirst+int64(last.contracts) {
				t.Errorf("the next contract number is %d (%v), want %d", n, err, last.wantFirst+int64(last.contracts))
			}
		})
	}
}

// While a deployment moves the action count, a function of the version
// before may take an action number from the old counter that the new one
// also draws: the new one's transaction finds the action's key taken,
// writes nothing, and draws again, so the request is applied under the
// next numbers (the contract number drawn with the taken one is skipped,
// as after any write that fails once it drew).
func TestTakenActionNumberIsDrawnAgain(t *testing.T) {
	store := ddbtest.NewStore(t)
	ddbtest.PutPlans(t, store, "t1", []contract.Plan{{ID: "p1", Name: "Basic", Currencies: []string{"USD"}}})
	// CA-0000000001, as a function of the version before wrote it.
	_, err := ddbtest.Client(t).PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(store.Table()), Item: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "TENANT#t1"}, "SK": &types.AttributeValueMemberS{Value: "ACTION#CA-0000000001"},
		"type": &types.AttributeValueMemberS{Value: "contract-action"}, "number": &types.AttributeValueMemberS{Value: "CA-0000000001"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	svc := contract.NewService(store)
	req := &contract.ActionsRequest{Account: "ACC-1", Request: []byte(`{}`), Actions: []contract.ActionItem{{Type: contract.ActionCreate,
		Entries: []contract.ActionEntry{{Terms: contract.Terms{PlanID: "p1", Currencies: []string{"USD"}, EffectiveDate: "2090-01-01", ExpirationDate: "2091-01-01"}}}}}}
	var out contract.Applied
	if err := svc.ApplyActions(ctx, contract.Actor{TenantID: "t1", CredentialID: "cred", Via: contract.APIEasyBilling}, nil, store, req, &out); err != nil {
		t.Fatal(err)
	}
	if out.Action.Number != "CA-0000000002" || out.Contract.Number != "CT-0000000002" {
		t.Fatalf("applied as %s with %s, want CA-0000000002 with CT-0000000002", out.Action.Number, out.Contract.Number)
	}
	if a, err := store.GetAction(ctx, "t1", "CA-0000000002"); err != nil || a.ContractID != out.Contract.ID {
		t.Fatalf("the action record: %+v %v", a, err)
	}
	if _, err := store.GetContract(ctx, "t1", "CT-0000000001"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("the first attempt's contract number holds a contract: %v", err)
	}
}
