package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/infra/local/demo"
	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/infra/local/localevents"
	"github.com/contracts-service/contracts/infra/local/runtimeapi"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contractevents"
	"github.com/contracts-service/contracts/shared/contractevents/eventschema"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbstream"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

const eventsFunction = "ContractEventsFunction"

// requireMoto returns the moto_server command (MOTO_SERVER, else the
// PATH's), or stops the test without it: skipped, saying what to
// install, or failed under CI, where a machine without it must never
// pass as green.
func requireMoto(t *testing.T) string {
	t.Helper()
	cmd := os.Getenv("MOTO_SERVER")
	if cmd == "" {
		cmd = "moto_server"
	}
	if _, err := exec.LookPath(cmd); err != nil {
		why := fmt.Sprintf("%s is not installed: the local EventBridge, Python's moto (make run installs it; pip install 'moto[server]')", cmd)
		if os.Getenv("CI") != "" {
			t.Fatalf("required under CI: %s", why)
		}
		t.Skipf("skipped: %s", why)
	}
	return cmd
}

// putEventsProxy stands between the function and moto's EventBridge: it
// records every PutEvents call's entries, and answers the first put of an
// entry that fail picks with EventBridge's partial failure (the entry
// failed, InternalFailure; the others put), as PutEvents does.
type putEventsProxy struct {
	target string
	fail   func(d contractevents.Detail) bool
	mu     sync.Mutex
	calls  [][]contractevents.Detail
	failed map[string]bool
}

func newPutEventsProxy(t *testing.T, target string, fail func(contractevents.Detail) bool) (*putEventsProxy, string) {
	p := &putEventsProxy{target: target, fail: fail, failed: map[string]bool{}}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func (p *putEventsProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var in struct {
		Entries []map[string]any `json:"Entries"`
	}
	failing := map[int]bool{}
	if r.Header.Get("X-Amz-Target") == "AWSEvents.PutEvents" && json.Unmarshal(body, &in) == nil {
		var forward []map[string]any
		var call []contractevents.Detail
		p.mu.Lock()
		for i, e := range in.Entries {
			var d contractevents.Detail
			json.Unmarshal([]byte(fmt.Sprint(e["Detail"])), &d)
			call = append(call, d)
			if p.fail(d) && !p.failed[d.EventID] {
				p.failed[d.EventID] = true
				failing[i] = true
				continue
			}
			forward = append(forward, e)
		}
		p.calls = append(p.calls, call)
		p.mu.Unlock()
		body, _ = json.Marshal(map[string]any{"Entries": forward})
	}
	req, _ := http.NewRequestWithContext(r.Context(), r.Method, p.target+r.URL.RequestURI(), bytes.NewReader(body))
	for k, v := range r.Header {
		if k != "Content-Length" {
			req.Header[k] = v
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if len(failing) > 0 && resp.StatusCode == http.StatusOK {
		var res struct {
			FailedEntryCount int              `json:"FailedEntryCount"`
			Entries          []map[string]any `json:"Entries"`
		}
		json.Unmarshal(out, &res)
		var merged []map[string]any
		next := 0
		for i := range in.Entries {
			if failing[i] {
				merged = append(merged, map[string]any{"ErrorCode": "InternalFailure", "ErrorMessage": "failed by the test"})
				continue
			}
			if next < len(res.Entries) {
				merged = append(merged, res.Entries[next])
			}
			next++
		}
		out, _ = json.Marshal(map[string]any{"FailedEntryCount": res.FailedEntryCount + len(failing), "Entries": merged})
	}
	for k, v := range resp.Header {
		if k != "Content-Length" {
			w.Header()[k] = v
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(out)
}

func (p *putEventsProxy) recorded() [][]contractevents.Detail {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// positions is the feed's checkpoints, kept in memory where the test
// can see how far the feed has come.
type positions struct {
	mu sync.Mutex
	m  map[string]ddbstream.Position
}

func (c *positions) Load() (map[string]ddbstream.Position, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]ddbstream.Position{}
	for k, v := range c.m {
		out[k] = v
	}
	return out, nil
}

func (c *positions) Save(shard string, p ddbstream.Position) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]ddbstream.Position{}
	}
	c.m[shard] = p
	return nil
}

// reached reports whether the feed is done with the record of sequence
// number seq.
func (c *positions) reached(seq string) bool {
	want, _ := new(big.Int).SetString(seq, 10)
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, p := range c.m {
		if got, ok := new(big.Int).SetString(p.Sequence, 10); ok && want != nil && got.Cmp(want) >= 0 {
			return true
		}
	}
	return false
}

// TestContractEventsEndToEnd runs the contract events as make run does:
// the changes go through the built bootstraps behind the HTTP API
// emulation, into a table whose stream ddbstream polls as the template's
// mapping says, handing each batch to ContractEventsFunction's built
// bootstrap through the Runtime API, which puts the events on a bus of
// moto_server's, whose rule forwards them to a queue. Each API's create,
// update, cancel and delete (where the API has them, and fabric's
// resurrect) comes out of the queue once, every event within the schema,
// in the order of its contract's versions; the first put of one event is
// answered with PutEvents' partial failure, and that entry alone is put
// again; the whole stream handed to the function again puts nothing.
func TestContractEventsEndToEnd(t *testing.T) {
	motoCommand := requireMoto(t)
	dynamo, table, streamARN := ddbtest.NewStreamTable(t)
	store := ddb.New(dynamo, table)
	ctx := context.Background()
	region := os.Getenv("AWS_REGION")

	motoLog := &runtimeapi.SharedOutput{W: new(bytes.Buffer)}
	moto, err := localevents.StartMoto(ctx, motoCommand, motoLog)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		moto.Close()
		if t.Failed() {
			t.Logf("moto_server:\n%s", motoLog.String())
		}
	})
	bus, err := localevents.CreateBus(ctx, moto.Endpoint, region, table+"-contract-events")
	if err != nil {
		t.Fatal(err)
	}
	// fabric's new contract is the one whose first put fails.
	proxy, proxyURL := newPutEventsProxy(t, moto.Endpoint, func(d contractevents.Detail) bool {
		return d.Owner == contract.APIFabric && d.Type == contractevents.Created
	})

	stack := startStackWith(t, table, map[string]map[string]string{eventsFunction: {
		contractevents.EnvBusName:      bus.Name,
		contractevents.EnvStreamARN:    streamARN,
		"AWS_ENDPOINT_URL_EVENTBRIDGE": proxyURL,
	}}, "AuthorizerFunction", "CreateContractFunction", "ContractActionsFunction", "OrganizationContractsFunction", eventsFunction)
	root, err := gateway.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	mappings, err := localevents.StreamMappings(filepath.Join(root, gateway.TemplateFile))
	if err != nil || len(mappings) != 1 || mappings[0].Function != eventsFunction {
		t.Fatalf("the template's stream mappings %+v, %v; want one, of %s", mappings, err, eventsFunction)
	}
	checkpoints := &positions{}
	feed, err := localevents.StartFeed(localevents.FeedConfig{
		Mapping: mappings[0], Function: stack.Functions[eventsFunction], StreamARN: streamARN, Region: region, Bus: bus,
		Checkpoints: checkpoints, PollInterval: 20 * time.Millisecond, RetryWait: 20 * time.Millisecond,
		Log: testLogWriter{t},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { feed.Close() })

	a := newTenant(t, store, "tenant-a", demo.Alias, demo.SiteAccount)
	ddbtest.PutPlans(t, store, a.id, demo.Plans)
	srv := httptest.NewServer(stack.Gateway)
	t.Cleanup(srv.Close)
	c := client{t: t, base: srv.URL, http: srv.Client()}
	bearer := map[string]string{"Authorization": "Bearer " + a.token, "Content-Type": "application/json"}
	site := map[string]string{"Authorization": "Bearer " + a.token, "Content-Type": "application/json", "x-site-context": `{"account":"` + demo.SiteAccount + `"}`}
	airaKey := map[string]string{"X-API-KEY": a.token, "Content-Type": "application/json"}
	ok := func(r reply, status int, what string) map[string]any {
		t.Helper()
		if r.status != status {
			t.Fatalf("%s: %d %s", what, r.status, r.body)
		}
		if len(r.body) == 0 {
			return nil
		}
		return r.json(t)
	}

	// Kukkingu: create, update, delete.
	k := ok(c.do("POST", "/api/v1/contracts", kukkingu(a.token, demo.Alias), httpapitest.Seed(t, "kukkingu")), 201, "Kukkingu create")["data"].(map[string]any)["id"].(string)
	ok(c.do("PATCH", "/api/v1/contracts/"+k, kukkingu(a.token, demo.Alias), `{"name": "Premium Service Contract"}`), 200, "Kukkingu patch")
	// Aira: create, update, cancel (Aira deletes nothing).
	airaID := ok(c.do("POST", "/v1/contracts/", airaKey, httpapitest.Seed(t, "aira")), 201, "Aira create")["contract"].(map[string]any)["id"].(string)
	ok(c.do("DELETE", "/api/v1/contracts/"+k, kukkingu(a.token, demo.Alias), ""), 204, "Kukkingu delete")
	ok(c.do("PUT", "/v1/contracts/"+airaID, airaKey, `{"contract": {"startDate": "2023-12-25", "endDate": "2025-12-24", "billingEndDay": 20,
		"planIds": ["3c90c3cc-0d44-4b50-8888-8dd25736052a"], "customFields": {}}}`), 200, "Aira replace")
	ok(c.do("POST", "/v1/contracts/"+airaID+"/cancel", airaKey, ""), 200, "Aira cancel")
	// fabric: create, update, delete, resurrect.
	base := "/v1/organizations/org-1/contracts"
	ok(c.do("POST", base, site, `{"contractId": "C-1", "startDate": "2024-01-01T00:00:00.000Z", "endDate": "2024-12-31T23:59:59.000Z", "priceListId": 100001}`), 200, "fabric create")
	ok(c.do("PUT", base+"/C-1", site, `{"status": "ACTIVE"}`), 200, "fabric update")
	ok(c.do("DELETE", base+"/C-1", site, ""), 200, "fabric delete")
	ok(c.do("POST", base+"/C-1/resurrect", site, ""), 200, "fabric resurrect")
	// EasyBilling: create, update (renew), cancel (EasyBilling deletes nothing).
	e := ok(c.do("POST", "/api/contract-actions", bearer, `{"accountNumber": "ACC-0000000001", "actions": [{"type": "create-contract-with-plan",
		"createContractWithPlan": [{"planId": "`+demo.MonthlyPlanID+`", "effectiveDate": "2026-02-01", "expirationDate": "2027-02-01", "currency": ["USD"]}]}]}`), 200, "EasyBilling create")
	ct := e["contractInfo"].(map[string]any)["contractNumber"].(string)
	ok(c.do("POST", "/api/contract-actions", bearer, `{"accountNumber": "ACC-0000000001", "actions": [{"type": "renew",
		"renew": [{"contractNumber": "`+ct+`", "effectiveDate": "2027-02-01", "expirationDate": "2028-02-01"}]}]}`), 200, "EasyBilling renew")
	ok(c.do("POST", "/api/contract-actions", bearer, `{"accountNumber": "ACC-0000000001", "actions": [{"type": "cancel",
		"cancel": [{"contractNumber": "`+ct+`", "effectiveDate": "2027-07-01"}]}]}`), 200, "EasyBilling cancel")

	want := map[contract.API][]contractevents.Type{
		contract.APIKukkingu:    {contractevents.Created, contractevents.Updated, contractevents.Deleted},
		contract.APIAira:        {contractevents.Created, contractevents.Updated, contractevents.Canceled},
		contract.APIFabric:      {contractevents.Created, contractevents.Updated, contractevents.Deleted, contractevents.Resurrected},
		contract.APIEasyBilling: {contractevents.Created, contractevents.Updated, contractevents.Canceled},
	}

	// The feed is done once it has passed the stream's last record; the
	// queue then holds everything it put.
	records := ddbtest.StreamRecords(t, streamARN)
	last := records[len(records)-1].Change.SequenceNumber
	deadline := time.Now().Add(time.Minute)
	for !checkpoints.reached(last) {
		if time.Now().After(deadline) {
			t.Fatalf("the feed has not passed the stream's last record (%s) after a minute", last)
		}
		time.Sleep(50 * time.Millisecond)
	}
	bodies, err := bus.Received(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}

	got := map[contract.API][]contractevents.Type{}
	ids := map[string]bool{}
	for _, body := range bodies {
		var ev struct {
			DetailType string          `json:"detail-type"`
			Source     string          `json:"source"`
			Detail     json.RawMessage `json:"detail"`
		}
		if err := json.Unmarshal([]byte(body), &ev); err != nil {
			t.Fatalf("a message of the queue is no event: %v\n%s", err, body)
		}
		eventschema.Detail(t, ev.Detail)
		var d contractevents.Detail
		json.Unmarshal(ev.Detail, &d)
		if ev.Source != contractevents.Source || ev.DetailType != string(d.Type) {
			t.Errorf("event of source %s, detail-type %s: %s", ev.Source, ev.DetailType, body)
		}
		if ids[d.EventID] {
			t.Errorf("event %s (%s %s v%d) came twice", d.EventID, d.Type, d.ContractNumber, d.Version)
		}
		ids[d.EventID] = true
		if d.ContractNumber == "" || d.TenantID != a.id || d.Dialect == nil || *d.Dialect != d.Owner || d.Principal == nil || *d.Principal != a.credentialID {
			t.Errorf("event %s: tenant %s, contract %q, dialect %v, principal %v", d.EventID, d.TenantID, d.ContractNumber, d.Dialect, d.Principal)
		}
		got[d.Owner] = append(got[d.Owner], d.Type)
	}
	total := 0
	for api, types := range want {
		total += len(types)
		g := slices.Clone(got[api])
		slices.Sort(g)
		w := slices.Clone(types)
		slices.Sort(w)
		if !slices.Equal(g, w) {
			t.Errorf("%s's events %v, want %v, each once", api, got[api], types)
		}
	}
	if len(bodies) != total {
		t.Errorf("%d events on the queue, want %d", len(bodies), total)
	}

	// In order per contract: the puts that took, in the order made.
	calls := proxy.recorded()
	put := map[string][]contractevents.Detail{}
	failedAt := -1
	var failedID string
	for i, call := range calls {
		contracts := map[string]bool{}
		for _, d := range call {
			if contracts[d.ContractNumber] {
				t.Errorf("a call puts two events of %s", d.ContractNumber)
			}
			contracts[d.ContractNumber] = true
			if d.Owner == contract.APIFabric && d.Type == contractevents.Created && failedAt < 0 {
				failedAt, failedID = i, d.EventID
				continue
			}
			put[d.ContractNumber] = append(put[d.ContractNumber], d)
		}
	}
	for number, ds := range put {
		var types []contractevents.Type
		for i, d := range ds {
			types = append(types, d.Type)
			if i > 0 && d.Version <= ds[i-1].Version {
				t.Errorf("%s: v%d put after v%d", number, d.Version, ds[i-1].Version)
			}
		}
		if w := want[ds[0].Owner]; !slices.Equal(types, w) {
			t.Errorf("%s (%s) put %v, want %v in this order", number, ds[0].Owner, types, w)
		}
	}
	// The entry PutEvents failed was put again, alone.
	retried := false
	for _, call := range calls[failedAt+1:] {
		if slices.ContainsFunc(call, func(d contractevents.Detail) bool { return d.EventID == failedID }) {
			if len(call) != 1 {
				t.Errorf("the failed entry was put again with %d others", len(call)-1)
			}
			retried = true
			break
		}
	}
	if failedAt < 0 || !retried {
		t.Errorf("fabric's ContractCreated failed at call %d and was put again: %v", failedAt, retried)
	}

	// The whole stream handed over again, as Lambda would after a lost
	// answer: nothing is put twice.
	before := len(proxy.recorded())
	payload, err := json.Marshal(events.DynamoDBEvent{Records: records})
	if err != nil {
		t.Fatal(err)
	}
	resp, fnErr, err := stack.Functions[eventsFunction].Invoke(ctx, payload)
	if err != nil || fnErr != nil {
		t.Fatalf("redelivery: %v %v", err, fnErr)
	}
	var answer events.DynamoDBEventResponse
	if err := json.Unmarshal(resp, &answer); err != nil || len(answer.BatchItemFailures) != 0 {
		t.Errorf("redelivery answered %s", resp)
	}
	for _, call := range proxy.recorded()[before:] {
		if len(call) > 0 {
			t.Errorf("the redelivered batch put %d events again", len(call))
		}
	}
	again, err := bus.Received(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("the redelivered batch put %d events on the bus", len(again))
	}
	if failures, err := bus.Failures(ctx); err != nil || len(failures) != 0 {
		t.Errorf("the mapping gave up on batches: %v %v", failures, err)
	}
}

// testLogWriter sends lines to the test's log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
