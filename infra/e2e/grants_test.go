package e2e_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// DynamoDB Local ignores IAM: a function that issues an action its role
// lacks works here and fails only in AWS. dynamoDBRecorder stands in
// front of DynamoDB Local, one endpoint per function (its
// AWS_ENDPOINT_URL_DYNAMODB), and records every action each function's
// bootstrap issues, as IAM authorizes it, so the test can hold them to
// the grants of template.yaml.
type dynamoDBRecorder struct {
	upstream *url.URL

	mu sync.Mutex
	// issued maps a function to the actions it issued, each "action on
	// resource" (resource "table" or "index"), to the X-Amz-Target that
	// issued it first.
	issued map[string]map[string]string
}

func newDynamoDBRecorder(t *testing.T, endpoint string) *dynamoDBRecorder {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		t.Fatalf("AWS_ENDPOINT_URL_DYNAMODB %q: %v", endpoint, err)
	}
	return &dynamoDBRecorder{upstream: u, issued: map[string]map[string]string{}}
}

// endpoint starts the recording proxy of one function, closed when the
// test ends, and returns its URL.
func (r *dynamoDBRecorder) endpoint(t *testing.T, function string) string {
	t.Helper()
	proxy := httputil.NewSingleHostReverseProxy(r.upstream)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		req.Body = io.NopCloser(bytes.NewReader(body))
		r.record(function, req.Header.Get("X-Amz-Target"), body)
		proxy.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// iamActions returns what IAM authorizes for one request: a transaction
// is authorized item by item (TransactWriteItems has no action of its
// own: each Put, Update, Delete and ConditionCheck needs PutItem,
// UpdateItem, DeleteItem, ConditionCheckItem; TransactGetItems, GetItem),
// and a Query or Scan of an index is authorized on the index.
func iamActions(target string, body []byte) []string {
	_, op, _ := strings.Cut(target, ".")
	var req struct {
		IndexName     string
		TransactItems []map[string]json.RawMessage
	}
	json.Unmarshal(body, &req)
	switch op {
	case "TransactWriteItems", "TransactGetItems":
		items := map[string]string{"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
		var out []string
		for _, item := range req.TransactItems {
			for kind := range item {
				a, ok := items[kind]
				if !ok {
					a = "unknown transaction item " + kind
				}
				out = append(out, "dynamodb:"+a+" on table")
			}
		}
		return out
	case "Query", "Scan":
		if req.IndexName != "" {
			return []string{"dynamodb:" + op + " on index"}
		}
	}
	return []string{"dynamodb:" + op + " on table"}
}

func (r *dynamoDBRecorder) record(function, target string, body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.issued[function] == nil {
		r.issued[function] = map[string]string{}
	}
	for _, a := range iamActions(target, body) {
		if _, seen := r.issued[function][a]; !seen {
			r.issued[function][a] = target
		}
	}
}

// check fails the test for every action a function issued that
// template.yaml does not grant it, and for a function of reached that
// reached DynamoDB not once (the recording would prove nothing).
func (r *dynamoDBRecorder) check(t *testing.T, grants map[string]map[string]bool, functions, reached []string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, fn := range functions {
		issued := r.issued[fn]
		if len(issued) == 0 {
			if slices.Contains(reached, fn) {
				t.Errorf("%s issued no DynamoDB request through its recording endpoint", fn)
			}
			continue
		}
		var actions []string
		for a := range issued {
			actions = append(actions, a)
		}
		sort.Strings(actions)
		for _, a := range actions {
			if !grants[fn][a] {
				t.Errorf("%s issued %s (X-Amz-Target %s), which template.yaml does not grant it: AWS would refuse it (AccessDenied)", fn, a, issued[a])
			}
		}
		t.Logf("%s issued %s", fn, strings.Join(actions, ", "))
	}
}

// templateGrants reads the DynamoDB grants of each function from
// template.yaml, each "action on table" (the table's ARN) or "action on
// index" (${ContractsTable.Arn}/index/*).
func templateGrants(t *testing.T, path string) map[string]map[string]bool {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Resources map[string]struct {
			Type       string `yaml:"Type"`
			Properties struct {
				Policies []struct {
					Statement []struct {
						Effect   string    `yaml:"Effect"`
						Action   yaml.Node `yaml:"Action"`
						Resource yaml.Node `yaml:"Resource"`
					} `yaml:"Statement"`
				} `yaml:"Policies"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(data, &tpl); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	resources := map[string]string{
		"!GetAtt ContractsTable.Arn":           "table",
		"!Sub ${ContractsTable.Arn}/index/*":   "index",
		`!Sub "${ContractsTable.Arn}/index/*"`: "index",
	}
	texts := func(n yaml.Node) []string {
		nodes := []*yaml.Node{&n}
		if n.Kind == yaml.SequenceNode && n.Tag == "!!seq" {
			nodes = n.Content
		}
		var out []string
		for _, c := range nodes {
			s := c.Value
			if strings.HasPrefix(c.Tag, "!") && !strings.HasPrefix(c.Tag, "!!") {
				s = c.Tag + " " + c.Value
			}
			out = append(out, s)
		}
		return out
	}
	grants := map[string]map[string]bool{}
	for id, res := range tpl.Resources {
		if res.Type != "AWS::Serverless::Function" {
			continue
		}
		grants[id] = map[string]bool{}
		for _, p := range res.Properties.Policies {
			for _, st := range p.Statement {
				if st.Effect != "Allow" {
					continue
				}
				for _, a := range texts(st.Action) {
					for _, r := range texts(st.Resource) {
						if on, ok := resources[r]; ok {
							grants[id][fmt.Sprintf("%s on %s", a, on)] = true
						}
					}
				}
			}
		}
	}
	return grants
}

// TestIAMActions holds the recorder to IAM's rules for the requests the
// service sends.
func TestIAMActions(t *testing.T) {
	tests := []struct {
		target, body string
		want         []string
	}{
		{"DynamoDB_20120810.GetItem", `{"TableName":"t"}`, []string{"dynamodb:GetItem on table"}},
		{"DynamoDB_20120810.Query", `{"TableName":"t"}`, []string{"dynamodb:Query on table"}},
		{"DynamoDB_20120810.Query", `{"TableName":"t","IndexName":"GSI1"}`, []string{"dynamodb:Query on index"}},
		{"DynamoDB_20120810.BatchGetItem", `{"RequestItems":{}}`, []string{"dynamodb:BatchGetItem on table"}},
		{"DynamoDB_20120810.TransactWriteItems", `{"TransactItems":[{"Put":{}},{"Update":{}},{"ConditionCheck":{}},{"Delete":{}}]}`,
			[]string{"dynamodb:PutItem on table", "dynamodb:UpdateItem on table", "dynamodb:ConditionCheckItem on table", "dynamodb:DeleteItem on table"}},
		{"DynamoDB_20120810.TransactGetItems", `{"TransactItems":[{"Get":{}}]}`, []string{"dynamodb:GetItem on table"}},
	}
	for _, tc := range tests {
		if got := iamActions(tc.target, []byte(tc.body)); strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s %s: %v, want %v", tc.target, tc.body, got, tc.want)
		}
	}
}
