package ddbtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/contracts-service/contracts/shared/ddb"
)

// Fault is what a faulty call does instead of (or besides) reaching
// DynamoDB Local through next.
type Fault func(req *http.Request, next aws.HTTPClient) (*http.Response, error)

// Faults sits where the SDK sends its HTTP requests: it counts the calls
// of each DynamoDB operation and injects a fault into the calls of one
// operation, a bounded number of times; everything else goes to DynamoDB
// Local untouched.
type Faults struct {
	next aws.HTTPClient

	mu        sync.Mutex
	calls     map[string]int
	operation string
	fault     Fault
	left      int
}

// Inject makes the next times calls of operation (a DynamoDB API name,
// such as "TransactWriteItems") meet fault.
func (f *Faults) Inject(operation string, times int, fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.operation, f.fault, f.left = operation, fault, times
}

// Calls returns how many calls of operation were sent so far, faulty or
// not, retries included.
func (f *Faults) Calls(operation string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[operation]
}

// Reset forgets the calls counted so far.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = nil
}

// Do implements aws.HTTPClient.
func (f *Faults) Do(req *http.Request) (*http.Response, error) {
	_, op, _ := strings.Cut(req.Header.Get("X-Amz-Target"), ".")
	f.mu.Lock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[op]++
	var fault Fault
	if op == f.operation && f.left > 0 {
		f.left--
		fault = f.fault
	}
	f.mu.Unlock()
	if fault != nil {
		return fault(req, f.next)
	}
	return f.next.Do(req)
}

// APIError answers as DynamoDB does when it refuses a call, for load
// (ThrottlingException, 400) or on its own failure (InternalServerError,
// 500).
func APIError(status int, code string) Fault {
	return func(req *http.Request, _ aws.HTTPClient) (*http.Response, error) {
		body := fmt.Sprintf(`{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"injected"}`, code)
		h := http.Header{}
		h.Set("Content-Type", "application/x-amz-json-1.0")
		h.Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE([]byte(body))))
		return &http.Response{StatusCode: status, Header: h, Body: io.NopCloser(strings.NewReader(body)), Request: req}, nil
	}
}

// Canceled answers as DynamoDB does when a transaction's conditions
// fail: a TransactionCanceledException with one reason per item, in the
// order of the items ("ConditionalCheckFailed", "None", ...).
func Canceled(reasons ...string) Fault {
	return func(req *http.Request, _ aws.HTTPClient) (*http.Response, error) {
		type reason struct {
			Code string `json:"Code"`
		}
		rs := make([]reason, len(reasons))
		for i, r := range reasons {
			rs[i] = reason{r}
		}
		body, _ := json.Marshal(map[string]any{
			"__type":              "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
			"Message":             "Transaction cancelled, please refer cancellation reasons for specific reasons",
			"CancellationReasons": rs,
		})
		h := http.Header{}
		h.Set("Content-Type", "application/x-amz-json-1.0")
		h.Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE(body)))
		return &http.Response{StatusCode: http.StatusBadRequest, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
	}
}

// Unprocessed answers a batch call as DynamoDB does under load: it
// processes nothing and hands back every key of a BatchGetItem as
// UnprocessedKeys, every request of a BatchWriteItem as UnprocessedItems.
func Unprocessed(req *http.Request, _ aws.HTTPClient) (*http.Response, error) {
	var in struct{ RequestItems json.RawMessage }
	if err := json.NewDecoder(req.Body).Decode(&in); err != nil {
		return nil, err
	}
	left := "UnprocessedItems"
	if strings.HasSuffix(req.Header.Get("X-Amz-Target"), ".BatchGetItem") {
		left = "UnprocessedKeys"
	}
	body, err := json.Marshal(map[string]json.RawMessage{left: in.RequestItems})
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE(body)))
	return &http.Response{StatusCode: http.StatusOK, Header: h, Body: io.NopCloser(bytes.NewReader(body)), Request: req}, nil
}

// ConnectionReset fails as a connection the peer reset does, before
// anything was sent.
func ConnectionReset(req *http.Request, _ aws.HTTPClient) (*http.Response, error) {
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
}

// Timeout fails as a read that timed out does: a net.Error whose
// Timeout() is true, after a short wait.
func Timeout(req *http.Request, _ aws.HTTPClient) (*http.Response, error) {
	time.Sleep(10 * time.Millisecond)
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}
}

// Hang never answers: the call waits until its context ends, as one to a
// DynamoDB that stopped responding waits for the Lambda's deadline.
func Hang(req *http.Request, _ aws.HTTPClient) (*http.Response, error) {
	<-req.Context().Done()
	return nil, req.Context().Err()
}

// LostResponse lets the call reach DynamoDB and commit, then loses the
// answer: the nastiest fault, since the client cannot tell it from one
// that never arrived.
func LostResponse(req *http.Request, next aws.HTTPClient) (*http.Response, error) {
	resp, err := next.Do(req)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return nil, &net.OpError{Op: "read", Net: "tcp", Err: errors.New("connection reset by peer")}
}

// RetryAttempts is how many attempts the SDK makes per call in a faulty
// store: inject more faults than this to exhaust its retries.
const RetryAttempts = 3

// NewFaultyStore returns a store over a fresh table whose calls pass
// through the returned Faults, and a clean store over the same table to
// check what was written. The faulty store retries as production does
// (the standard retryer), with a short backoff so tests do not wait.
func NewFaultyStore(t testing.TB) (faulty *ddb.Store, clean *ddb.Store, faults *Faults) {
	t.Helper()
	cleanClient, table := NewTable(t)
	faults = &Faults{}
	client, err := ddb.NewClient(context.Background(), func(o *dynamodb.Options) {
		faults.next = o.HTTPClient
		o.HTTPClient = faults
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = RetryAttempts
			so.MaxBackoff = 20 * time.Millisecond
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	return ddb.New(client, table), ddb.New(cleanClient, table), faults
}
