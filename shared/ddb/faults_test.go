package ddb_test

import (
	"context"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

func TestFaultsSurfaceAsUnavailable(t *testing.T) {
	tests := []struct {
		name  string
		fault ddbtest.Fault
	}{
		{"throttling", ddbtest.APIError(400, "ThrottlingException")},
		{"provisioned throughput", ddbtest.APIError(400, "ProvisionedThroughputExceededException")},
		{"internal server error", ddbtest.APIError(500, "InternalServerError")},
		{"connection reset", ddbtest.ConnectionReset},
		{"timeout", ddbtest.Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store, clean, faults := ddbtest.NewFaultyStore(t)
			faults.Inject("TransactWriteItems", 100, tt.fault) // more than the SDK's retries
			c := newContract("t1", "ctr_fault", "clnt_1")
			err := create(store, c)
			if contract.KindOf(err) != contract.KindUnavailable {
				t.Fatalf("err = %v, want KindUnavailable", err)
			}
			if _, err := clean.GetContract(ctx, "t1", "ctr_fault"); contract.KindOf(err) != contract.KindNotFound {
				t.Fatalf("a failed create left a contract: %v", err)
			}
		})
	}
}

// A transient fault is retried by the SDK and the caller never sees it.
func TestTransientFaultsAreRetried(t *testing.T) {
	store, _, faults := ddbtest.NewFaultyStore(t)
	faults.Inject("TransactWriteItems", 1, ddbtest.APIError(400, "ThrottlingException"))
	if err := create(store, newContract("t1", "ctr_retry", "clnt_1")); err != nil {
		t.Fatalf("one throttle was not absorbed: %v", err)
	}
}

// The create transaction commits but its answer is lost: the SDK retries
// it with the same ClientRequestToken, DynamoDB recognises the retry, and
// exactly one contract exists under one number.
func TestCommittedWriteWithLostResponse(t *testing.T) {
	store, clean, faults := ddbtest.NewFaultyStore(t)
	faults.Inject("TransactWriteItems", 1, ddbtest.LostResponse)
	c := newContract("t1", "ctr_lost", "clnt_1")
	if err := create(store, c); err != nil {
		t.Fatalf("create after a lost answer: %v", err)
	}
	page, err := clean.ListContracts(ctx, "t1", contract.ListQuery{Limit: 10})
	if err != nil || len(page.Contracts) != 1 || page.Contracts[0].Number != c.Number {
		t.Fatalf("contracts after a lost answer: %+v %v", page.Contracts, err)
	}
}

// A DynamoDB that stops answering holds the write only until the
// request's deadline (a Lambda's remaining time): the caller then gets
// KindUnavailable, a 503, and nothing is written.
func TestDeadlineEndsRetries(t *testing.T) {
	store, clean, faults := ddbtest.NewFaultyStore(t)
	faults.Inject("TransactWriteItems", 100, ddbtest.Hang)
	c := newContract("t1", "ctr_hang", "clnt_1")
	n, err := store.NextContractNumber(ctx, c.TenantID)
	if err != nil {
		t.Fatal(err)
	}
	c.Number = contract.FormatNumber(n)
	deadline, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if err := store.CreateContract(deadline, c, contract.Companions{}, nil); contract.KindOf(err) != contract.KindUnavailable {
		t.Fatalf("err = %v, want KindUnavailable", err)
	}
	if _, err := clean.GetContract(ctx, "t1", "ctr_hang"); contract.KindOf(err) != contract.KindNotFound {
		t.Fatalf("a write that timed out left a contract: %v", err)
	}
}
