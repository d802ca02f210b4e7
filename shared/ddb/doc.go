// Package ddb is the service's DynamoDB adapter, and the only package that
// imports the DynamoDB SDK: Store implements the storage the domain
// (contract.Store), the authorizer (auth.Store) and Idempotency-Key
// records (idempotency.Store) need, over one table.
//
// The table is a single-table design with generic key names (PK, SK,
// GSI1PK/GSI1SK, GSI2PK/GSI2SK, TTL on expiresAt): every entity lives in
// it, and every key but a credential's and a tenant name's starts with
// its tenant. Every key format is built in keys.go and nowhere else, and
// the comment at the top of keys.go is the table of every item and every
// access pattern, each with the key or index that serves it: read it
// before adding a query.
//
// Where it keeps DynamoDB's rules:
//   - limits.go counts each write as DynamoDB does (an item's 400 KB, a
//     transaction's 100 items and 4 MB) before sending it, so valid input
//     past a limit is refused as unprocessable, with nothing written;
//   - faults.go turns throttling and outages left after the SDK's retries
//     into contract.Unavailable (a 503 with Retry-After, never a 500);
//   - table.go declares the table as template.yaml does, for DynamoDB
//     Local and the tests;
//   - env.go configures the client from Lambda's environment, with
//     AWS_ENDPOINT_URL_DYNAMODB pointing it at DynamoDB Local.
//
// Tests run against the real engine, DynamoDB Local, one table per test
// (ddbtest).
package ddb
