// Package e2e holds the service's end-to-end tests: every function built
// as sam build builds it (its bootstrap, for this machine), run through
// the Lambda Runtime API emulation (infra/local/runtimeapi) behind the
// emulation of the HTTP API and its authorizer (infra/local/gateway),
// against DynamoDB Local, with each function's DynamoDB calls recorded and
// held to its grants in template.yaml.
//
//   - TestBootstrapsEndToEnd: every sample event of infra/events invoked as
//     sam local invoke would, redeliveries and forged origins included,
//     then the HTTP API behind the gateway emulation.
//   - TestTenantIsolationEveryRoute: every route of template.yaml, with one
//     tenant's credential against another's records.
//   - TestLogsCarryNoSecrets: every log line of a full run, for tokens,
//     their hashes, tax ids and emails.
//   - TestLargeListThroughLambda: a list page near Lambda's 6 MB response
//     bound, through the built bootstrap.
//
// The package has no code of its own: what it drives is the local stack's
// exported API.
package e2e
