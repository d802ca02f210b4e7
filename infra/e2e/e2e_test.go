package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/infra/local/demo"
	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// The bootstraps are built once per test binary, into a directory outside
// the source tree that TestMain removes.
var (
	buildDir   string
	buildOnce  sync.Once
	buildPaths map[string]string
	buildErr   error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "e2e-bootstraps-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	buildDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// builtBootstraps builds every function of the template with its Makefile
// target for this machine's architecture.
func builtBootstraps(t *testing.T, root string, api *gateway.API) map[string]string {
	t.Helper()
	buildOnce.Do(func() {
		ids := make([]string, 0, len(api.Functions))
		for id := range api.Functions {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		var out bytes.Buffer
		buildPaths, buildErr = gateway.Build(context.Background(), root, buildDir, ids, &out)
		if buildErr != nil {
			buildErr = fmt.Errorf("%w\n%s", buildErr, out.String())
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPaths
}

// testLog sends a function's log lines to the test's log, and drops any
// that would arrive after the test ended.
type testLog struct {
	t    *testing.T
	name string
	mu   *sync.Mutex
	done *bool
}

func (l testLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !*l.done {
		l.t.Logf("[%s] %s", l.name, strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

// startStack runs the built bootstraps against table, killing every
// process when the test ends, whatever its outcome. reached names the
// functions the test must see reach DynamoDB (every one the gateway
// invokes, when none is named: the table's stream, not the gateway,
// feeds ContractEventsFunction); whatever any function issues must be
// granted it.
func startStack(t *testing.T, table string, reached ...string) *gateway.Stack {
	t.Helper()
	return startStackWith(t, table, nil, reached...)
}

// startStackWith is startStack with more environment variables for some
// functions, by logical id.
func startStackWith(t *testing.T, table string, more map[string]map[string]string, reached ...string) *gateway.Stack {
	t.Helper()
	// Each function reaches DynamoDB Local through an endpoint of its
	// own that records what it issues; when the test ends, every action
	// must be one template.yaml grants that function (registered first,
	// this check runs after the processes are gone).
	recorder := newDynamoDBRecorder(t, os.Getenv("AWS_ENDPOINT_URL_DYNAMODB"))
	root, api, paths := loadStack(t, nil, func(id string) string { return recorder.endpoint(t, id) })
	grants := templateGrants(t, filepath.Join(root, gateway.TemplateFile))
	var ids []string
	for id, fn := range api.Functions {
		maps.Copy(fn.Environment, more[id])
		ids = append(ids, id)
	}
	sort.Strings(ids)
	if len(reached) == 0 {
		reached = invokedByGateway(api)
	}
	t.Cleanup(func() { recorder.check(t, grants, ids, reached) })
	var mu sync.Mutex
	done := false
	t.Cleanup(func() {
		mu.Lock()
		done = true
		mu.Unlock()
	})
	return runStack(t, api, paths, table, "info", gateway.StackConfig{
		MaxConcurrency: 4,
		Output:         func(id string) io.Writer { return testLog{t: t, name: id, mu: &mu, done: &done} },
		Gateway:        gateway.Options{Now: gatewayClock.Now},
	})
}

// loadStack loads the template, with parameters overriding its
// parameters' defaults, and builds its functions. Each function reaches
// DynamoDB at endpoint(its logical id) when endpoint is set (an endpoint
// of its own in front of DynamoDB Local, which observes what it issues),
// and at DynamoDB Local's otherwise.
func loadStack(t *testing.T, parameters map[string]string, endpoint func(id string) string) (root string, api *gateway.API, paths map[string]string) {
	t.Helper()
	root, api, err := gateway.LoadRepoTemplate(parameters)
	if err != nil {
		t.Fatal(err)
	}
	for id, fn := range api.Functions {
		env := maps.Clone(fn.Environment)
		if env == nil {
			env = map[string]string{}
		}
		env["AWS_ENDPOINT_URL_DYNAMODB"] = os.Getenv("AWS_ENDPOINT_URL_DYNAMODB")
		if endpoint != nil {
			env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint(id)
		}
		fn.Environment = env
		api.Functions[id] = fn
	}
	return root, api, builtBootstraps(t, root, api)
}

// runStack starts the built functions of api against table, logging at
// logLevel, with the test's AWS region and credentials, and the rest of
// cfg; they stop when the test ends.
func runStack(t *testing.T, api *gateway.API, paths map[string]string, table, logLevel string, cfg gateway.StackConfig) *gateway.Stack {
	t.Helper()
	cfg.Env = map[string]string{"TABLE_NAME": table, "LOG_LEVEL": logLevel}
	for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		cfg.Env[k] = os.Getenv(k)
	}
	stack, err := gateway.StartFunctions(api, paths, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stack.Close() })
	return stack
}

// invokedByGateway lists the functions a route or an authorizer of api
// invokes.
func invokedByGateway(api *gateway.API) []string {
	seen := map[string]bool{}
	for _, r := range api.Routes {
		seen[r.Function] = true
	}
	for _, a := range api.Authorizers {
		seen[a.Function] = true
	}
	var ids []string
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

type tenant struct {
	id, alias, token, credentialID string
	// aliases are all the tenant's aliases, as the authorizer hands them
	// over.
	aliases string
}

func newTenant(t *testing.T, store *ddb.Store, id, alias string, more ...string) tenant {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	ddbtest.CreateTenant(t, store, auth.Tenant{ID: id, Aliases: append([]string{alias}, more...), CreatedAt: now})
	cred, token := auth.NewToken(id, now)
	if err := store.CreateCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	return tenant{id: id, alias: alias, token: token, credentialID: cred.ID, aliases: strings.Join(append([]string{alias}, more...), ",")}
}

// TestBootstrapsEndToEnd runs the functions as built for Lambda, against
// DynamoDB Local: first each with its sample event, as `sam local invoke`
// would, then all of them behind the HTTP API emulation.
func TestBootstrapsEndToEnd(t *testing.T) {
	client, table := ddbtest.NewTable(t)
	store := ddb.New(client, table)
	stack := startStack(t, table)
	a := newTenant(t, store, "tenant-a", demo.Alias, demo.SiteAccount)
	// The plans the samples bill on, as make run's demo catalog has them.
	ddbtest.PutPlans(t, store, a.id, demo.Plans)
	b := newTenant(t, store, "tenant-b", "tnt_bq3kx9m2v7w5p1r8t6y4z0na")

	t.Run("sample events", func(t *testing.T) { testSampleEvents(t, stack, a) })
	t.Run("trust", func(t *testing.T) { testTrust(t, stack, a) })
	t.Run("authorizer event", func(t *testing.T) { testAuthorizerEvent(t, stack, a) })
	t.Run("through the gateway", func(t *testing.T) { testGateway(t, stack, store, a, b) })

	stack.Close()
	for id, f := range stack.Functions {
		if n := len(f.Instances()); n != 0 {
			t.Errorf("%s: %d processes left after Close", id, n)
		}
	}
}

// loadEvent reads a sample event as the function gets it, for tenant.
func loadEvent(t *testing.T, name string, tn tenant) map[string]any {
	t.Helper()
	ev := httpapitest.ReadEvent(t, filepath.Join(httpapitest.SampleEvents(), name))
	if rc, ok := ev["requestContext"].(map[string]any); ok {
		if authz, ok := rc["authorizer"].(map[string]any); ok {
			lambda := authz["lambda"].(map[string]any)
			lambda["tenantId"] = tn.id
			lambda["credentialId"] = tn.credentialID
		}
	}
	return ev
}

func functionOfRoute(t *testing.T, stack *gateway.Stack, routeKey string) string {
	t.Helper()
	for _, r := range stack.API.Routes {
		if r.Key() == routeKey {
			return r.Function
		}
	}
	t.Fatalf("no route %s in the template", routeKey)
	return ""
}

func invokeEvent(t *testing.T, stack *gateway.Stack, ev map[string]any) events.APIGatewayV2HTTPResponse {
	t.Helper()
	fn := functionOfRoute(t, stack, ev["routeKey"].(string))
	payload, _ := json.Marshal(ev)
	out, fnErr, err := stack.Functions[fn].Invoke(context.Background(), payload)
	if err != nil || fnErr != nil {
		t.Fatalf("%s: fnErr=%v err=%v", fn, fnErr, err)
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("%s answered %s: %v", fn, out, err)
	}
	return resp
}

// Placeholder ids in the sample events, replaced by the ids of the records
// the samples before them created.
const (
	sampleKukkinguID   = "ctr_z23aoo8naxk68ewcr64tchh5"
	sampleAiraID       = "0f8fad5b-d9cb-469f-a165-70867728950e"
	sampleAiraDraftID  = "9d7c0a1e-3b2f-4c6d-8e9f-0a1b2c3d4e5f"
	sampleAiraCustomer = "7b1e0c52-8d7f-4b8e-9a51-2f1d6c0e4a10"
	// The EasyBilling read samples name the first numbers a tenant gets;
	// the test tenant's first EasyBilling contract has another.
	sampleContractNumber = "CT-0000000001"
	sampleActionNumber   = "CA-0000000001"
)

func testSampleEvents(t *testing.T, stack *gateway.Stack, a tenant) {
	// ids maps each placeholder to the id of a record a sample created.
	ids := map[string]string{}
	capture := func(placeholder string, body map[string]any, path ...string) {
		var v any = body
		for _, p := range path {
			v, _ = v.(map[string]any)[p]
		}
		if s, ok := v.(string); ok {
			ids[placeholder] = s
		}
	}
	tests := []struct {
		file       string
		wantStatus int
		check      func(t *testing.T, body map[string]any)
	}{
		{"kukkingu-create.json", 201, func(t *testing.T, b map[string]any) { capture(sampleKukkinguID, b, "data", "id") }},
		{"kukkingu-get.json", 200, func(t *testing.T, b map[string]any) {
			if b["data"].(map[string]any)["id"] != ids[sampleKukkinguID] {
				t.Errorf("got %v, want contract %s", b, ids[sampleKukkinguID])
			}
		}},
		{"kukkingu-list.json", 200, func(t *testing.T, b map[string]any) {
			if !strings.Contains(httpapitest.MustJSON(b["data"]), ids[sampleKukkinguID]) {
				t.Errorf("list %v lacks contract %s", b, ids[sampleKukkinguID])
			}
		}},
		{"kukkingu-patch.json", 200, func(t *testing.T, b map[string]any) {
			c := b["data"].(map[string]any)
			if c["name"] != "Standard Service Contract (renewed)" || c["amountMinor"] != 5500.0 {
				t.Errorf("patched contract %v", c)
			}
		}},
		{"kukkingu-delete.json", 204, nil},
		{"aira-create.json", 201, func(t *testing.T, b map[string]any) {
			capture(sampleAiraID, b, "contract", "id")
			capture(sampleAiraCustomer, b, "customer", "id")
		}},
		{"aira-create-noslash.json", 201, func(t *testing.T, b map[string]any) {
			capture(sampleAiraDraftID, b, "contract", "id")
			if b["contract"].(map[string]any)["status"] != "draft" || b["customer"].(map[string]any)["id"] != ids[sampleAiraCustomer] {
				t.Errorf("a draft for the existing customer: %v", b)
			}
		}},
		{"aira-get.json", 200, nil},
		{"aira-replace.json", 200, func(t *testing.T, b map[string]any) {
			if c := b["contract"].(map[string]any); c["endDate"] != "2025-12-24" || c["billingEndDay"] != 20.0 {
				t.Errorf("replaced contract %v", c)
			}
		}},
		{"aira-activate.json", 200, func(t *testing.T, b map[string]any) {
			if b["contract"].(map[string]any)["status"] != "active" {
				t.Errorf("activated contract %v", b)
			}
		}},
		{"aira-cancel.json", 200, func(t *testing.T, b map[string]any) {
			if b["contract"].(map[string]any)["status"] != "canceled" {
				t.Errorf("canceled contract %v", b)
			}
		}},
		{"aira-create-customer.json", 201, nil},
		{"aira-create-customer-slash.json", 201, nil},
		{"aira-payment-accounts.json", 200, func(t *testing.T, b map[string]any) {
			if n := len(b["items"].([]any)); n != 2 {
				t.Errorf("%d payment accounts, want the 2 the creates made", n)
			}
		}},
		{"contract-actions.json", 200, func(t *testing.T, b map[string]any) {
			capture(sampleContractNumber, b, "contractInfo", "contractNumber")
			capture(sampleActionNumber, b, "contractActionNumber")
			if b["contractInfo"].(map[string]any)["createdOn"] == nil {
				t.Errorf("the production route names its timestamps createdOn: %v", b)
			}
		}},
		{"payment-hub-contract-actions.json", 200, func(t *testing.T, b map[string]any) {
			if b["contractInfo"].(map[string]any)["createdAt"] == nil {
				t.Errorf("the sandbox route names its timestamps createdAt: %v", b)
			}
		}},
		{"easybilling-get-contract.json", 200, nil},
		{"payment-hub-get-contract.json", 200, nil},
		{"billing-get-contract.json", 200, nil},
		{"unmatched.json", 405, nil},
		{"easybilling-list-contracts.json", 200, func(t *testing.T, b map[string]any) {
			if n := len(b["items"].([]any)); n != 2 {
				t.Errorf("%d contracts of the account, want the 2 the samples created", n)
			}
		}},
		{"payment-hub-list-contracts.json", 200, nil},
		{"easybilling-get-action.json", 200, nil},
		{"payment-hub-get-action.json", 200, nil},
		{"sqs-contract-actions.json", 0, nil},
		{"eventbridge-contract-action.json", 0, nil},
		{"direct-contract-actions.json", 0, nil},
		{"fabric-create.json", 200, nil},
		{"fabric-list.json", 200, nil},
		{"fabric-get.json", 200, nil},
		{"fabric-update.json", 200, nil},
		{"fabric-delete.json", 200, func(t *testing.T, b map[string]any) {
			if b["isDeleted"] != true {
				t.Errorf("deleted contract %v", b)
			}
		}},
		{"fabric-resurrect.json", 200, func(t *testing.T, b map[string]any) {
			if b["isDeleted"] != false {
				t.Errorf("resurrected contract %v", b)
			}
		}},
		{"data-customer-fabric-get.json", 200, func(t *testing.T, b map[string]any) {
			if b["contractId"] != "CONTRACT-2024-001" || b["isDeleted"] != false {
				t.Errorf("the resurrected contract under /data-customer: %v", b)
			}
		}},
	}
	files, _ := filepath.Glob(filepath.Join(httpapitest.SampleEvents(), "*.json"))
	listed := map[string]bool{"authorizer.json": true}
	for _, tt := range tests {
		listed[tt.file] = true
	}
	for _, f := range files {
		if !listed[filepath.Base(f)] {
			t.Errorf("sample event %s has no expectation here", filepath.Base(f))
		}
	}

	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			ev := withIDs(loadEvent(t, tt.file, a), ids)
			if tt.wantStatus == 0 {
				testTriggerEvent(t, stack, a, tt.file, ev)
				return
			}
			// Every write is sent with an Idempotency-Key, and sent again:
			// the retry must be the first answer replayed, applying nothing.
			// (The catch-all route runs no handler, so it keeps no key.)
			method, _, _ := strings.Cut(ev["routeKey"].(string), " ")
			write := method != "GET" && ev["routeKey"] != "$default"
			if write {
				ev["headers"].(map[string]any)["idempotency-key"] = "sample-" + tt.file
			}
			resp := invokeEvent(t, stack, ev)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, resp.Body)
			}
			if write {
				again := invokeEvent(t, stack, ev)
				if again.StatusCode != resp.StatusCode || again.Body != resp.Body || again.Headers["Idempotent-Replayed"] != "true" {
					t.Fatalf("a retry with the same Idempotency-Key: %d %v %s\nwant the first answer replayed: %d %s",
						again.StatusCode, again.Headers, again.Body, resp.StatusCode, resp.Body)
				}
			}
			if resp.StatusCode == 204 || tt.check == nil {
				return
			}
			var body map[string]any
			if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
				t.Fatalf("body %s: %v", resp.Body, err)
			}
			tt.check(t, body)
		})
	}
	t.Run("deleted contract is gone", func(t *testing.T) {
		ev := withIDs(loadEvent(t, "kukkingu-get.json", a), ids)
		if resp := invokeEvent(t, stack, ev); resp.StatusCode != 404 {
			t.Errorf("status %d after delete, want 404", resp.StatusCode)
		}
	})
}

// testTriggerEvent invokes ContractActionsFunction with a sample that
// comes from SQS, EventBridge or a direct invocation, as tenant a, and
// checks the answer each source expects: twice, since a redelivery must
// apply nothing again.
func testTriggerEvent(t *testing.T, stack *gateway.Stack, a tenant, file string, ev map[string]any) {
	t.Helper()
	switch {
	case ev["Records"] != nil:
		for _, r := range ev["Records"].([]any) {
			r.(map[string]any)["messageAttributes"].(map[string]any)["tenantId"].(map[string]any)["stringValue"] = a.id
		}
	case ev["detail"] != nil:
		ev["detail"].(map[string]any)["tenantId"] = a.id
	default:
		ev["tenantId"] = a.id
	}
	payload, _ := json.Marshal(ev)
	for delivery := 1; delivery <= 2; delivery++ {
		out, fnErr, err := stack.Functions["ContractActionsFunction"].Invoke(context.Background(), payload)
		if err != nil || fnErr != nil {
			t.Fatalf("delivery %d: fnErr=%v err=%v", delivery, fnErr, err)
		}
		switch file {
		case "sqs-contract-actions.json":
			// The second message is poisoned: it alone is reported.
			if want := `{"batchItemFailures":[{"itemIdentifier":"0d2e4f6a-8b0c-4d1e-9f2a-3b4c5d6e7f80"}]}`; string(out) != want {
				t.Errorf("delivery %d answered %s, want %s", delivery, out, want)
			}
		case "eventbridge-contract-action.json":
			if string(out) != "null" {
				t.Errorf("delivery %d answered %s", delivery, out)
			}
		case "direct-contract-actions.json":
			var body map[string]any
			if json.Unmarshal(out, &body) != nil || body["contractActionNumber"] == nil {
				t.Errorf("delivery %d answered %s, want the action", delivery, out)
			}
		}
	}
	// Each account got exactly one contract, however often its event came,
	// recorded as made by the sender AWS names: the queue's SenderId, the
	// bus event's account and source.
	account := map[string]string{
		"sqs-contract-actions.json": "ACC-0000000002", "eventbridge-contract-action.json": "ACC-0000000003",
	}[file]
	if account == "" {
		return
	}
	madeBy := map[string]string{
		"sqs-contract-actions.json":        "aws:sqs:AROAEXAMPLE:sender",
		"eventbridge-contract-action.json": "aws:events:123456789012:com.example.billing",
	}[file]
	list := loadEvent(t, "easybilling-list-contracts.json", a)
	list["rawQueryString"] = "accountNumber=" + account
	list["queryStringParameters"] = map[string]any{"accountNumber": account}
	resp := invokeEvent(t, stack, list)
	var page map[string]any
	json.Unmarshal([]byte(resp.Body), &page)
	items, _ := page["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("account %s has %d contracts after two deliveries, want 1: %s", account, len(items), resp.Body)
	}
	if by := items[0].(map[string]any)["createdBy"]; by != madeBy {
		t.Errorf("account %s's contract was created by %v, want %s", account, by, madeBy)
	}
}

// testTrust sends the built bootstraps, configured from template.yaml as
// deployed, what their trust refuses: HTTP events API Gateway did not
// deliver for the stack's stage (every HTTP function answers 403), a
// message of another queue (reported failed), an event of a source the
// stack does not take (a Refusal, which Lambda retries and then hands to
// the on-failure destination). None applies anything.
func testTrust(t *testing.T, stack *gateway.Stack, a tenant) {
	forgeries := map[string]func(ev map[string]any){
		"without the stage's variables": func(ev map[string]any) { delete(ev, "stageVariables") },
		"from another stack's stage": func(ev map[string]any) {
			ev["stageVariables"] = map[string]any{"stackId": strings.Replace(gateway.StackID, ":stack/local/", ":stack/another/", 1)}
		},
		"from another account's API": func(ev map[string]any) {
			ev["requestContext"].(map[string]any)["accountId"] = "444455556666"
		},
		"as a function URL delivers it": func(ev map[string]any) {
			delete(ev, "stageVariables")
			ev["routeKey"] = "$default"
			ev["requestContext"].(map[string]any)["routeKey"] = "$default"
		},
	}
	// What the forged creates would change, were they applied.
	lists := func() string {
		var out []string
		for _, file := range []string{"kukkingu-list.json", "easybilling-list-contracts.json", "fabric-list.json"} {
			out = append(out, invokeEvent(t, stack, loadEvent(t, file, a)).Body)
		}
		return strings.Join(out, "\n")
	}
	before := lists()
	for _, file := range []string{"kukkingu-create.json", "fabric-create.json", "aira-create-customer.json", "contract-actions.json"} {
		for name, forge := range forgeries {
			t.Run(file+" "+name, func(t *testing.T) {
				ev := loadEvent(t, file, a)
				routeKey := ev["routeKey"].(string)
				forge(ev)
				fn := functionOfRoute(t, stack, routeKey)
				payload, _ := json.Marshal(ev)
				out, fnErr, err := stack.Functions[fn].Invoke(context.Background(), payload)
				if err != nil || fnErr != nil {
					t.Fatalf("%s: fnErr=%v err=%v", fn, fnErr, err)
				}
				var resp events.APIGatewayV2HTTPResponse
				if json.Unmarshal(out, &resp) != nil || resp.StatusCode != 403 {
					t.Fatalf("%s answered %s, want a 403", fn, out)
				}
			})
		}
	}
	if after := lists(); after != before {
		t.Errorf("forged events changed the lists:\n%s\nthen\n%s", before, after)
	}

	t.Run("a message of another queue", func(t *testing.T) {
		ev := loadEvent(t, "sqs-contract-actions.json", a)
		for i, r := range ev["Records"].([]any) {
			rec := r.(map[string]any)
			rec["eventSourceARN"] = "arn:aws:sqs:us-east-1:123456789012:someone-elses-queue"
			rec["messageId"] = fmt.Sprintf("other-queue-%d", i)
			rec["messageAttributes"].(map[string]any)["tenantId"].(map[string]any)["stringValue"] = a.id
		}
		payload, _ := json.Marshal(ev)
		out, fnErr, err := stack.Functions["ContractActionsFunction"].Invoke(context.Background(), payload)
		if err != nil || fnErr != nil {
			t.Fatalf("fnErr=%v err=%v", fnErr, err)
		}
		if want := `{"batchItemFailures":[{"itemIdentifier":"other-queue-0"},{"itemIdentifier":"other-queue-1"}]}`; string(out) != want {
			t.Errorf("answered %s, want %s", out, want)
		}
	})
	t.Run("an event of another source", func(t *testing.T) {
		ev := loadEvent(t, "eventbridge-contract-action.json", a)
		ev["id"] = "b1c2d3e4-0000-4000-8000-000000000001"
		ev["source"] = "com.example.attacker"
		ev["detail"].(map[string]any)["tenantId"] = a.id
		ev["detail"].(map[string]any)["request"].(map[string]any)["accountNumber"] = "ACC-0000000099"
		payload, _ := json.Marshal(ev)
		_, fnErr, err := stack.Functions["ContractActionsFunction"].Invoke(context.Background(), payload)
		if err != nil {
			t.Fatal(err)
		}
		if fnErr == nil || fnErr.Type != "Refusal" || !strings.Contains(fnErr.Message, "com.example.attacker") {
			t.Fatalf("function error %v, want a Refusal naming the source", fnErr)
		}
		list := loadEvent(t, "easybilling-list-contracts.json", a)
		list["rawQueryString"] = "accountNumber=ACC-0000000099"
		list["queryStringParameters"] = map[string]any{"accountNumber": "ACC-0000000099"}
		if resp := invokeEvent(t, stack, list); strings.Contains(resp.Body, "contractNumber") {
			t.Errorf("the refused event applied: %s", resp.Body)
		}
	})
}

// withIDs replaces the placeholder ids of a sample event wherever a
// request carries them: path, path parameters, query and body.
func withIDs(ev map[string]any, ids map[string]string) map[string]any {
	raw := httpapitest.MustJSON(ev)
	for placeholder, id := range ids {
		raw = strings.ReplaceAll(raw, placeholder, id)
	}
	var out map[string]any
	json.Unmarshal([]byte(raw), &out)
	return out
}

func testAuthorizerEvent(t *testing.T, stack *gateway.Stack, a tenant) {
	tests := []struct {
		name       string
		headers    map[string]string // set; "" removes
		identity   []string          // the identity source's values; nil keeps the sample's
		authorized bool
	}{
		{"bearer token", map[string]string{"authorization": "Bearer " + a.token}, []string{"Bearer " + a.token}, true},
		// As the authorizer of Aira's routes sends it: keyed by X-API-KEY.
		{"x-api-key", map[string]string{"authorization": "", "x-api-key": a.token}, []string{a.token}, true},
		{"no token", map[string]string{"authorization": ""}, []string{}, false},
		{"the sample's own token", nil, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := loadEvent(t, "authorizer.json", a)
			headers := ev["headers"].(map[string]any)
			for k, v := range tt.headers {
				if v == "" {
					delete(headers, k)
				} else {
					headers[k] = v
				}
			}
			if tt.identity != nil {
				ev["identitySource"] = tt.identity
			}
			payload, _ := json.Marshal(ev)
			out, fnErr, err := stack.Functions["AuthorizerFunction"].Invoke(context.Background(), payload)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.authorized {
				if fnErr == nil || fnErr.Message != "Unauthorized" {
					t.Errorf("got %s / %v, want the Unauthorized error", out, fnErr)
				}
				return
			}
			if fnErr != nil {
				t.Fatalf("function error %v", fnErr)
			}
			var resp events.APIGatewayV2CustomAuthorizerSimpleResponse
			json.Unmarshal(out, &resp)
			want := map[string]any{"tenantId": a.id, "credentialId": a.credentialID, "tenantAliases": a.aliases}
			if !resp.IsAuthorized || !reflect.DeepEqual(resp.Context, want) {
				t.Errorf("got %s, want authorized with %v", out, want)
			}
		})
	}
}

// client speaks to the gateway as an HTTP client would.
type client struct {
	t    *testing.T
	base string
	http *http.Client
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) json(t *testing.T) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("body %q: %v", r.body, err)
	}
	return v
}

func (c client) do(method, path string, headers map[string]string, body string) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	// The answer as the gateway gives it: a redirect is what is checked,
	// not followed.
	hc := *c.http
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return reply{status: resp.StatusCode, header: resp.Header, body: b}
}

// kukkingu returns the headers of a Kukkingu request with a bearer token.
func kukkingu(token, tenantHeader string) map[string]string {
	h := map[string]string{"Content-Type": "application/json", "tenant-id": tenantHeader}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	return h
}

var (
	contractIDPattern = regexp.MustCompile(`^ctr_[a-z0-9]{24}$`)
	kukkinguTime      = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3,9}Z$`)
)

func listIDs(t *testing.T, r reply) []string {
	t.Helper()
	var page struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(r.body, &page); err != nil {
		t.Fatalf("list %s: %v", r.body, err)
	}
	var ids []string
	for _, c := range page.Data {
		ids = append(ids, c.ID)
	}
	return ids
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func testGateway(t *testing.T, stack *gateway.Stack, store *ddb.Store, a, b tenant) {
	srv := httptest.NewServer(stack.Gateway)
	t.Cleanup(srv.Close)
	c := client{t: t, base: srv.URL, http: srv.Client()}
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Fatalf("test server at %s, want loopback", srv.URL)
	}

	seedRequest := httpapitest.Seed(t, "kukkingu")
	created := c.do("POST", "/api/v1/contracts", kukkingu(a.token, demo.Alias), seedRequest)
	if created.status != 201 {
		t.Fatalf("create: %d %s", created.status, created.body)
	}
	data, _ := created.json(t)["data"].(map[string]any)
	id, _ := data["id"].(string)
	t.Run("create answers the seed's shape", func(t *testing.T) {
		var keys []string
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		wantKeys := []string{"amountMinor", "client", "createdAt", "currencyCode", "description", "id", "name", "order", "updatedAt", "validFrom", "validTo"}
		if !reflect.DeepEqual(keys, wantKeys) {
			t.Errorf("fields %v, want %v", keys, wantKeys)
		}
		if !contractIDPattern.MatchString(id) {
			t.Errorf("id %q does not match %s", id, contractIDPattern)
		}
		want := map[string]any{
			"client": "clnt_z2b3mo8qa5kzptgsu26q2wmh", "name": "Standard Service Contract", "amountMinor": 5000.0,
			"currencyCode": "EUR", "description": "This contract covers standard service terms and conditions.",
			"order": 13.0, "validFrom": "2023-10-05T14:48:00.000Z", "validTo": "2023-10-05T14:48:00.000Z",
		}
		for k, v := range want {
			if data[k] != v {
				t.Errorf("%s = %v, want %v", k, data[k], v)
			}
		}
		for _, k := range []string{"createdAt", "updatedAt"} {
			if s, _ := data[k].(string); !kukkinguTime.MatchString(s) {
				t.Errorf("%s = %v, not a Kukkingu date-time", k, data[k])
			}
		}
		if ct := created.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		if loc := created.header.Get("Location"); loc != "/api/v1/contracts/"+id {
			t.Errorf("location %q", loc)
		}
		if created.header.Get("Apigw-Requestid") == "" {
			t.Error("no apigw-requestid header")
		}
	})
	if id == "" {
		t.Fatal("no contract id; nothing more to check")
	}
	path := "/api/v1/contracts/" + id

	t.Run("get returns it unchanged", func(t *testing.T) {
		got := c.do("GET", path, kukkingu(a.token, demo.Alias), "")
		if got.status != 200 || !reflect.DeepEqual(got.json(t)["data"], data) {
			t.Errorf("get: %d %s, want %v", got.status, got.body, data)
		}
	})
	t.Run("list contains it", func(t *testing.T) {
		got := c.do("GET", "/api/v1/contracts", kukkingu(a.token, demo.Alias), "")
		if got.status != 200 || !contains(listIDs(t, got), id) {
			t.Errorf("list: %d %s", got.status, got.body)
		}
	})
	t.Run("patch renames it", func(t *testing.T) {
		got := c.do("PATCH", path, kukkingu(a.token, demo.Alias), `{"name":"Renamed Service Contract"}`)
		if got.status != 200 || got.json(t)["data"].(map[string]any)["name"] != "Renamed Service Contract" {
			t.Fatalf("patch: %d %s", got.status, got.body)
		}
		again := c.do("GET", path, kukkingu(a.token, demo.Alias), "")
		if again.json(t)["data"].(map[string]any)["name"] != "Renamed Service Contract" {
			t.Errorf("after patch, get: %s", again.body)
		}
	})
	t.Run("x-api-key alone is refused on Kukkingu's routes", func(t *testing.T) {
		// Their authorizer's identity source is Authorization: API
		// Gateway refuses a request without it, invoking nothing.
		got := c.do("GET", path, map[string]string{"X-API-KEY": a.token, "tenant-id": demo.Alias}, "")
		if got.status != 401 || string(got.body) != `{"message":"Unauthorized"}` {
			t.Errorf("get with X-API-KEY: %d %s", got.status, got.body)
		}
	})
	t.Run("concurrent creates", func(t *testing.T) {
		const n = 6
		ids := make(chan string, n)
		var wg sync.WaitGroup
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest("POST", srv.URL+"/api/v1/contracts", strings.NewReader(seedRequest))
				for k, v := range kukkingu(a.token, demo.Alias) {
					req.Header.Set(k, v)
				}
				resp, err := srv.Client().Do(req)
				if err != nil {
					ids <- "error: " + err.Error()
					return
				}
				defer resp.Body.Close()
				var out struct {
					Data struct {
						ID string `json:"id"`
					} `json:"data"`
				}
				json.NewDecoder(resp.Body).Decode(&out)
				if resp.StatusCode != 201 {
					ids <- fmt.Sprintf("status %d", resp.StatusCode)
					return
				}
				ids <- out.Data.ID
			}()
		}
		wg.Wait()
		close(ids)
		seen := map[string]bool{}
		for got := range ids {
			if !contractIDPattern.MatchString(got) || seen[got] {
				t.Errorf("concurrent create: %s", got)
			}
			seen[got] = true
		}
	})

	tests := []struct {
		name       string
		method     string
		path       string
		headers    map[string]string
		body       string
		wantStatus int
		wantBody   string
	}{
		{"another tenant cannot read it", "GET", path, kukkingu(b.token, b.alias), "", 404, ""},
		{"another tenant cannot patch it", "PATCH", path, kukkingu(b.token, b.alias), `{"name":"x"}`, 404, ""},
		{"another tenant cannot delete it", "DELETE", path, kukkingu(b.token, b.alias), "", 404, ""},
		{"tenant-id naming another tenant", "GET", path, kukkingu(b.token, demo.Alias), "", 403, ""},
		{"no token", "GET", path, kukkingu("", demo.Alias), "", 401, `{"message":"Unauthorized"}`},
		{"unknown token", "GET", path, kukkingu("ctk_0123456789abcdef0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", demo.Alias), "", 401, `{"message":"Unauthorized"}`},
		{"malformed token", "GET", path, kukkingu("nope", demo.Alias), "", 401, `{"message":"Unauthorized"}`},
		// Requests no route matches reach the $default route's function,
		// which answers them as problems from the routes of the whole API.
		{"unknown route", "GET", "/api/v2/contracts", kukkingu(a.token, demo.Alias), "", 404, ""},
		{"method without a route", "PUT", "/api/v1/contracts", kukkingu(a.token, demo.Alias), "", 405, ""},
		{"another function's route with another method", "PUT", "/api/contract-actions", kukkingu(a.token, demo.Alias), "", 405, ""},
		{"a trailing slash", "GET", "/api/v1/contracts/", kukkingu(a.token, demo.Alias), "", 308, ""},
		{"EasyBilling refuses an empty request", "POST", "/api/contract-actions", map[string]string{"Authorization": "Bearer " + a.token, "Content-Type": "application/json"}, `{}`, 400, ""},
		{"fabric lists an organization", "GET", "/v1/organizations/org1/contracts", map[string]string{"Authorization": "Bearer " + a.token, "x-site-context": `{"account":"` + demo.SiteAccount + `"}`}, "", 200, ""},
		{"fabric refuses another tenant's account", "GET", "/v1/organizations/org1/contracts", map[string]string{"Authorization": "Bearer " + b.token, "x-site-context": `{"account":"` + demo.SiteAccount + `"}`}, "", 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := c.do(tt.method, tt.path, tt.headers, tt.body)
			if got.status != tt.wantStatus || (tt.wantBody != "" && string(got.body) != tt.wantBody) {
				t.Errorf("got %d %s, want %d %s", got.status, got.body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	t.Run("another tenant's list leaves it out", func(t *testing.T) {
		got := c.do("GET", "/api/v1/contracts", kukkingu(b.token, b.alias), "")
		if got.status != 200 || contains(listIDs(t, got), id) {
			t.Errorf("tenant B's list: %d %s", got.status, got.body)
		}
	})
	t.Run("a revoked token stops working once its authorizer answer expires", func(t *testing.T) {
		cred, token := auth.NewToken(a.id, time.Now())
		if err := store.CreateCredential(context.Background(), cred); err != nil {
			t.Fatal(err)
		}
		if got := c.do("GET", path, kukkingu(token, demo.Alias), ""); got.status != 200 {
			t.Fatalf("before revocation: %d %s", got.status, got.body)
		}
		if err := store.RevokeCredential(context.Background(), cred.ID, time.Now()); err != nil {
			t.Fatal(err)
		}
		// The gateway keeps the grant for the authorizer's TTL
		// (AuthorizerCacheSeconds; see TestAuthorizerCacheEndToEnd), and
		// no longer.
		gatewayClock.advance(authorizerTTL(t, stack))
		if got := c.do("GET", path, kukkingu(token, demo.Alias), ""); got.status != 401 || string(got.body) != `{"message":"Unauthorized"}` {
			t.Errorf("after revocation: %d %s", got.status, got.body)
		}
	})
	t.Run("delete", func(t *testing.T) {
		if got := c.do("DELETE", path, kukkingu(a.token, demo.Alias), ""); got.status != 204 || len(got.body) != 0 {
			t.Fatalf("delete: %d %s", got.status, got.body)
		}
		if got := c.do("GET", path, kukkingu(a.token, demo.Alias), ""); got.status != 404 {
			t.Errorf("get after delete: %d %s", got.status, got.body)
		}
		if got := c.do("GET", "/api/v1/contracts", kukkingu(a.token, demo.Alias), ""); contains(listIDs(t, got), id) {
			t.Errorf("list after delete still has %s", id)
		}
	})
}
