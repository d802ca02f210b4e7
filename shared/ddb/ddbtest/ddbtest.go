// Package ddbtest gives tests a fresh table in DynamoDB Local, as
// net/http/httptest gives them a server.
//
// The endpoint comes from AWS_ENDPOINT_URL_DYNAMODB (make test starts
// DynamoDB Local and sets it). When it is unset or unreachable, tests that
// need DynamoDB are skipped on a developer's machine and fail under CI
// (CI set), so a broken setup can never pass as green.
package ddbtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/ddb"
)

var tableSeq atomic.Int64

// Client returns a DynamoDB client for DynamoDB Local, or skips (fails
// under CI) when none is reachable.
func Client(t testing.TB) *dynamodb.Client {
	t.Helper()
	endpoint := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
	unavailable := func(why string) {
		t.Helper()
		if os.Getenv("CI") != "" {
			t.Fatalf("DynamoDB Local is required under CI: %s", why)
		}
		t.Skipf("DynamoDB Local not available (%s); run the tests with make test", why)
	}
	if endpoint == "" {
		unavailable("AWS_ENDPOINT_URL_DYNAMODB is not set")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		unavailable("bad AWS_ENDPOINT_URL_DYNAMODB: " + err.Error())
	}
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		unavailable(err.Error())
	}
	conn.Close()
	for k, v := range map[string]string{"AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "local", "AWS_SECRET_ACCESS_KEY": "local"} {
		if os.Getenv(k) == "" {
			t.Setenv(k, v)
		}
	}
	client, err := ddb.NewClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return client
}

// NewTable creates a table with the service's definition under a name no
// other test or run uses, deletes it when the test ends, and returns the
// client and the table name.
func NewTable(t testing.TB) (*dynamodb.Client, string) {
	t.Helper()
	client := Client(t)
	name := fmt.Sprintf("test-%d-%d-%d", time.Now().UnixNano(), os.Getpid(), tableSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := ddb.EnsureTable(ctx, client, name); err != nil {
		t.Fatalf("create test table: %v", err)
	}
	t.Cleanup(func() {
		client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return client, name
}

// CreateTenant stores tenant in store; a failure fails the test.
func CreateTenant(t testing.TB, store *ddb.Store, tenant auth.Tenant) {
	t.Helper()
	if err := store.CreateTenant(context.Background(), tenant); err != nil {
		t.Fatal(err)
	}
}

// PutPlans stores plans in the catalog of tenantID; a failure fails the
// test.
func PutPlans(t testing.TB, store *ddb.Store, tenantID string, plans []contract.Plan) {
	t.Helper()
	if err := store.PutPlans(context.Background(), tenantID, plans); err != nil {
		t.Fatal(err)
	}
}

// NewStore returns a ddb.Store over a fresh table (see NewTable).
func NewStore(t testing.TB) *ddb.Store {
	t.Helper()
	client, name := NewTable(t)
	return ddb.New(client, name)
}
