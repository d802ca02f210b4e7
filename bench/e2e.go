package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/contracts-service/contracts/infra/local/demo"
	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contractevents"
	"github.com/contracts-service/contracts/shared/ddb"
)

// The token and credential of the samples of infra/events, written for
// the demo tenant (package demo). The bench creates that tenant in a table
// of its own with a credential of its own, which takes their place.
const (
	sampleToken      = "ctk_9f86d081884c7d659a2feaa0c55ad015_Qm9vdHN0cmFwLWxvY2FsLWRlbW8tdG9rZW4tZXhhbXB"
	sampleCredential = "9f86d081884c7d659a2feaa0c55ad015"
)

// sampleCase is one dialect's sample create and the sample get of what it
// creates. SampleID is the id the get sample names and IDPath where the
// create's answer holds the new contract's; a case without IDPath reads
// what its create names itself (fabric's contractId).
type sampleCase struct {
	Dialect, Function string
	Create, Get       string
	IDPath            []string
	SampleID          string
}

var sampleCases = []sampleCase{
	{"Kukkingu", "CreateContractFunction", "kukkingu-create.json", "kukkingu-get.json", []string{"data", "id"}, "ctr_z23aoo8naxk68ewcr64tchh5"},
	{"fabric", "OrganizationContractsFunction", "fabric-create.json", "fabric-get.json", nil, ""},
	{"Aira", "CreateContractFunction", "aira-create.json", "aira-get.json", []string{"contract", "id"}, "0f8fad5b-d9cb-469f-a165-70867728950e"},
	{"EasyBilling", "ContractActionsFunction", "contract-actions.json", "easybilling-get-contract.json", []string{"contractInfo", "contractNumber"}, "CT-0000000001"},
}

// stack is the template's functions behind the local gateway, over a
// table of their own reached through a counting proxy, with the demo
// tenant and one contract of each sample case.
type stack struct {
	root, table, token, credential string
	client                         *dynamodb.Client
	proxy                          *countingProxy
	env                            map[string]string
	fns                            *gateway.Stack
	srv                            *httptest.Server
	// gets are each case's get event, naming its contract.
	gets map[string][]byte
}

func startStack(ctx context.Context, api *gateway.API, paths map[string]string, endpoint string) (*stack, error) {
	root, err := gateway.RepoRoot()
	if err != nil {
		return nil, err
	}
	st := &stack{root: root, table: fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), os.Getpid()), gets: map[string][]byte{}}
	if st.client, err = ddb.NewClient(ctx); err != nil {
		return nil, err
	}
	if err := ddb.EnsureTable(ctx, st.client, st.table); err != nil {
		return nil, err
	}
	store := ddb.New(st.client, st.table)
	now := time.Now()
	cred, token := auth.NewToken(demo.TenantID, now)
	if err := cmp.Or(demo.Ensure(ctx, store, now), store.CreateCredential(ctx, cred)); err != nil {
		return nil, err
	}
	st.token, st.credential = token, cred.ID
	if st.proxy, err = startProxy(endpoint); err != nil {
		return nil, err
	}
	st.env = map[string]string{"TABLE_NAME": st.table, "AWS_ENDPOINT_URL_DYNAMODB": st.proxy.url}
	for _, k := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		st.env[k] = os.Getenv(k)
	}
	if st.fns, err = gateway.StartFunctions(api, paths, gateway.StackConfig{Env: st.env, MaxConcurrency: 1}); err != nil {
		return nil, err
	}
	st.srv = httptest.NewServer(st.fns.Gateway)
	return st, nil
}

// close ends the functions and the gateway, then the proxy, and deletes
// the table; it may be called more than once.
func (st *stack) close(ctx context.Context) {
	if st.srv == nil {
		return
	}
	st.srv.Close()
	st.fns.Close()
	st.proxy.Close()
	st.srv = nil
	dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	st.client.DeleteTable(dctx, &dynamodb.DeleteTableInput{TableName: aws.String(st.table)})
}

// sample reads an event of infra/events with the bench's credential in
// place of the samples' and the given replacements made.
func (st *stack) sample(name string, replace ...string) ([]byte, error) {
	data, err := os.ReadFile(filepath.Join(st.root, "infra", "events", name))
	if err != nil {
		return nil, err
	}
	replace = append([]string{sampleToken, st.token, sampleCredential, st.credential}, replace...)
	return []byte(strings.NewReplacer(replace...).Replace(string(data))), nil
}

// send makes an API Gateway event into the HTTP request a client sent and
// sends it through the gateway.
func (st *stack) send(ctx context.Context, event []byte) ([]byte, error) {
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(event, &ev); err != nil {
		return nil, err
	}
	url := st.srv.URL + ev.RawPath
	if ev.RawQueryString != "" {
		url += "?" + ev.RawQueryString
	}
	req, err := http.NewRequestWithContext(ctx, ev.RequestContext.HTTP.Method, url, strings.NewReader(ev.Body))
	if err != nil {
		return nil, err
	}
	for k, v := range ev.Headers {
		if k != "host" && k != "content-length" {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode/100 != 2 {
		err = fmt.Errorf("%s %s answered %d: %.300s", req.Method, ev.RawPath, resp.StatusCode, body)
	}
	return body, err
}

// endToEnd is what the report shows of one dialect's warm get through
// the gateway: the authorizer's cache and what the answer took.
type endToEnd struct {
	Dialect, Function, Route string
	// AuthorizerTTL: how long the gateway keeps the authorizer's answer; MaxInvocations: the most one read cost.
	AuthorizerTTL  time.Duration
	MaxInvocations int64
}

// measureEndToEnd creates each case's contract through the gateway, then
// reads it rounds times, each read beside its floor: the DynamoDB
// requests one warm read made, as the proxy saw them, sent again with
// nothing in between. Each read is one benchmark line: its time, the
// Lambda invocations it cost (the route's function and the authorizer, by
// the gateway's counts) and the DynamoDB requests made meanwhile.
func (st *stack) measureEndToEnd(ctx context.Context, rounds int, lines io.Writer) ([]endToEnd, error) {
	var out []endToEnd
	for _, c := range sampleCases {
		create, err := st.sample(c.Create)
		if err != nil {
			return nil, err
		}
		answer, err := st.send(ctx, create)
		if err != nil {
			return nil, fmt.Errorf("%s create: %w", c.Dialect, err)
		}
		var replace []string
		if c.IDPath != nil {
			id, err := jsonPath(answer, c.IDPath)
			if err != nil {
				return nil, fmt.Errorf("%s create: %w", c.Dialect, err)
			}
			replace = []string{c.SampleID, id}
		}
		get, err := st.sample(c.Get, replace...)
		if err != nil {
			return nil, err
		}
		if _, ok := st.gets[c.Function]; !ok {
			st.gets[c.Function] = get
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(get, &ev); err != nil {
			return nil, err
		}
		e := endToEnd{Dialect: c.Dialect, Function: c.Function, Route: ev.RouteKey}
		for _, rt := range st.fns.API.Routes {
			if rt.Key() == ev.RouteKey {
				e.AuthorizerTTL = st.fns.API.Authorizers[rt.Authorizer].ResultTTL
			}
		}
		// Warm the function, the authorizer's cache and DynamoDB Local;
		// the last warm-up's DynamoDB requests are the floor.
		var floor []replayRequest
		for range 10 {
			from := time.Now()
			if _, err := st.send(ctx, get); err != nil {
				return nil, err
			}
			floor = st.proxy.requests(from, time.Now())
		}
		name := "BenchmarkEndToEnd/" + c.Dialect + "/get/"
		// Gateway and floor in turns, ABBA, so a trend reaches both alike.
		for i := range 2 * rounds {
			t0 := time.Now()
			if i%4 == 0 || i%4 == 3 {
				before := st.invocations()
				if _, err := st.send(ctx, get); err != nil {
					return nil, err
				}
				took, n := time.Since(t0), st.invocations()-before
				e.MaxInvocations = max(e.MaxInvocations, n)
				fmt.Fprintf(lines, "%sgateway 1 %d ns/op %d invocations/op %d roundtrips/op\n", name, took.Nanoseconds(), n, st.proxy.between(t0, time.Now()))
			} else {
				if err := st.proxy.replay(ctx, floor); err != nil {
					return nil, fmt.Errorf("%s floor: %w", c.Dialect, err)
				}
				fmt.Fprintf(lines, "%sfloor 1 %d ns/op %d roundtrips/op\n", name, time.Since(t0).Nanoseconds(), len(floor))
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// invocations is every function's invocations so far, by the gateway.
func (st *stack) invocations() int64 {
	var n int64
	for id := range st.fns.Functions {
		n += st.fns.Gateway.Invocations(id)
	}
	return n
}

// coldTargets lists what the cold starts start: the hello world, then
// every function with its first request: the authorizer the sample
// authorizer event, a function that serves a sample case that case's
// get, any other an empty DynamoDB stream batch.
func (st *stack) coldTargets(api *gateway.API, ids []string, paths map[string]string) ([]coldTarget, error) {
	targets := []coldTarget{{ID: helloWorldID, Path: paths[helloWorldID], First: "`{}`", Payload: []byte(`{}`), check: anyAnswer,
		Function: gateway.Function{Timeout: api.Functions[ids[0]].Timeout, MemorySize: api.Functions[ids[0]].MemorySize}}}
	authorizers := map[string]bool{}
	for _, a := range api.Authorizers {
		authorizers[a.Function] = true
	}
	for _, id := range ids {
		t := coldTarget{ID: id, Path: paths[id], Function: api.Functions[id]}
		switch {
		case authorizers[id]:
			p, err := st.sample("authorizer.json")
			if err != nil {
				return nil, err
			}
			t.First, t.Payload, t.check = "authorizer event, valid token", p, authorizerAnswer
		case st.gets[id] != nil:
			for _, c := range sampleCases {
				if c.Function == id {
					t.First = c.Dialect + " get of an existing contract (infra/events/" + c.Get + ")"
					break
				}
			}
			t.Payload, t.check = st.gets[id], apiAnswer
		default:
			// What make run gives the contract events function, which its
			// template sets from resources the local template leaves out.
			env := maps.Clone(t.Function.Environment)
			if env == nil {
				env = map[string]string{}
			}
			env[contractevents.EnvBusName] = cmp.Or(env[contractevents.EnvBusName], "bench-bus")
			env[contractevents.EnvStreamARN] = cmp.Or(env[contractevents.EnvStreamARN], "arn:aws:dynamodb:us-east-1:123456789012:table/"+st.table+"/stream/2026-01-01T00:00:00.000")
			t.Function.Environment = env
			t.First, t.Payload, t.check = "an empty DynamoDB stream batch", []byte(`{"Records":[]}`), anyAnswer
		}
		targets = append(targets, t)
	}
	return targets, nil
}

// jsonPath reads the string at path in a JSON document.
func jsonPath(doc []byte, path []string) (string, error) {
	var v any
	err := json.Unmarshal(doc, &v)
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	if s, ok := v.(string); ok && s != "" && err == nil {
		return s, nil
	}
	return "", fmt.Errorf("no %s in %.300s", strings.Join(path, "."), doc)
}

// replayRequest is one DynamoDB request the proxy passed on.
type replayRequest struct {
	header http.Header
	body   []byte
}

// replay sends requests straight to DynamoDB Local, one after the other,
// as they were sent: the bare calls with no function, SDK or gateway.
func (p *countingProxy) replay(ctx context.Context, reqs []replayRequest) error {
	for _, r := range reqs {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.target, bytes.NewReader(r.body))
		if err != nil {
			return err
		}
		req.Header = r.header.Clone()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s answered %d: %.300s", r.header.Get("X-Amz-Target"), resp.StatusCode, body)
		}
	}
	return nil
}
