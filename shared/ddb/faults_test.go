package ddb_test

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// faultyHTTP sits where the SDK sends its HTTP requests and injects one
// fault into the calls of one DynamoDB operation, a bounded number of
// times; everything else goes to DynamoDB Local untouched.
type faultyHTTP struct {
	next      aws.HTTPClient
	operation string // X-Amz-Target suffix, e.g. "TransactWriteItems"
	fault     func(req *http.Request, next aws.HTTPClient) (*http.Response, error)
	times     atomic.Int32
}

func (f *faultyHTTP) Do(req *http.Request) (*http.Response, error) {
	if strings.HasSuffix(req.Header.Get("X-Amz-Target"), "."+f.operation) && f.times.Add(-1) >= 0 {
		return f.fault(req, f.next)
	}
	return f.next.Do(req)
}

// apiError answers as DynamoDB does when it refuses a call for load.
func apiError(status int, code string) func(*http.Request, aws.HTTPClient) (*http.Response, error) {
	return func(req *http.Request, _ aws.HTTPClient) (*http.Response, error) {
		body := fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"injected"}`, code)
		h := http.Header{}
		h.Set("Content-Type", "application/x-amz-json-1.0")
		h.Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE([]byte(body))))
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	}
}

// reset fails as a connection the peer reset does, before anything was
// sent.
func reset(req *http.Request, _ aws.HTTPClient) (*http.Response, error) {
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
}

// lostResponse lets the call reach DynamoDB and commit, then loses the
// answer: the nastiest fault, since the client cannot tell it from one
// that never arrived.
func lostResponse(req *http.Request, next aws.HTTPClient) (*http.Response, error) {
	resp, err := next.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
}

func faultyStore(t *testing.T, f *faultyHTTP) (*ddb.Store, *ddb.Store) {
	t.Helper()
	_, table := ddbtest.NewTable(t)
	client, err := ddb.NewClient(context.Background(), func(o *dynamodb.Options) {
		f.next = o.HTTPClient
		o.HTTPClient = f
		// The standard retryer with a short backoff: the same retries
		// as in production, without the test waiting seconds for them.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = 3
			so.MaxBackoff = 20 * time.Millisecond
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	clean, _ := ddb.NewClient(context.Background())
	return ddb.New(client, table), ddb.New(clean, table)
}

func TestFaultsSurfaceAsUnavailable(t *testing.T) {
	tests := []struct {
		name  string
		fault func(*http.Request, aws.HTTPClient) (*http.Response, error)
	}{
		{"throttling", apiError(400, "ThrottlingException")},
		{"provisioned throughput", apiError(400, "ProvisionedThroughputExceededException")},
		{"internal server error", apiError(500, "InternalServerError")},
		{"connection reset", reset},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &faultyHTTP{operation: "TransactWriteItems", fault: tt.fault}
			f.times.Store(100) // more than the SDK's retries
			store, clean := faultyStore(t, f)
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
	f := &faultyHTTP{operation: "TransactWriteItems", fault: apiError(400, "ThrottlingException")}
	f.times.Store(1)
	store, _ := faultyStore(t, f)
	if err := create(store, newContract("t1", "ctr_retry", "clnt_1")); err != nil {
		t.Fatalf("one throttle was not absorbed: %v", err)
	}
}

// The create transaction commits but its answer is lost: the SDK retries
// it with the same ClientRequestToken, DynamoDB recognises the retry, and
// exactly one contract exists under one number.
func TestCommittedWriteWithLostResponse(t *testing.T) {
	f := &faultyHTTP{operation: "TransactWriteItems", fault: lostResponse}
	f.times.Store(1)
	store, clean := faultyStore(t, f)
	c := newContract("t1", "ctr_lost", "clnt_1")
	if err := create(store, c); err != nil {
		t.Fatalf("create after a lost answer: %v", err)
	}
	page, err := clean.ListContracts(ctx, "t1", contract.ListQuery{Limit: 10})
	if err != nil || len(page.Contracts) != 1 || page.Contracts[0].Number != c.Number {
		t.Fatalf("contracts after a lost answer: %+v %v", page.Contracts, err)
	}
}
