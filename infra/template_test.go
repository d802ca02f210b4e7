// Package infra_test holds template.yaml to the code: the functions it
// declares are the ones the Makefile builds, its routes are the ones the
// routers serve and openapi.yaml documents, its table is the one local runs
// and tests create, and its functions get no permission nobody asked for.
package infra_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sdkddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	cfnddb "github.com/awslabs/goformation/v7/cloudformation/dynamodb"
	"github.com/awslabs/goformation/v7/cloudformation/global"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/awslabs/goformation/v7/intrinsics"
	"gopkg.in/yaml.v3"

	"github.com/contracts-service/contracts/infra/local/gateway"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/openapitest"
)

const (
	templatePath = "../template.yaml"
	makefilePath = "../Makefile"
	functionsDir = "../functions"

	tableID      = "ContractsTable"
	httpAPIID    = "HttpApi"
	authorizerID = "AuthorizerFunction"
)

// routers maps each HTTP function to the constructor of its router. A
// function added to the template needs its entry here, so its routes are
// checked from the start.
var routers = map[string]func() *httpapi.Router{
	// No route is served in these tests, so no store is needed: the
	// routers are only asked for their keys.
	"CreateContractFunction":        func() *httpapi.Router { return endpoints.CreateContract(nil, discard) },
	"ContractActionsFunction":       func() *httpapi.Router { return endpoints.ContractActions(nil, discard) },
	"OrganizationContractsFunction": func() *httpapi.Router { return endpoints.OrganizationContracts(nil, discard) },
}

var discard = slog.New(slog.DiscardHandler)

// dynamoDBActions is every DynamoDB action each function may be granted.
// Granting another is a deliberate change to this list (ContractActions'
// ConditionCheckItem: the once-per-tenant move of its action count).
var dynamoDBActions = map[string][]string{
	"AuthorizerFunction":            {"dynamodb:GetItem"},
	"CreateContractFunction":        {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"},
	"ContractActionsFunction":       {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query", "dynamodb:ConditionCheckItem"},
	"OrganizationContractsFunction": {"dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"},
	// The ledger of the events it put; its stream reads are streamActions.
	"ContractEventsFunction": {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"},
}

// streamActions are what reading the table's stream takes: granted only
// to the function the stream feeds, and only on the table's stream.
var streamActions = map[string]bool{
	"dynamodb:DescribeStream": true, "dynamodb:GetRecords": true, "dynamodb:GetShardIterator": true, "dynamodb:ListStreams": true,
}

// streamResource is the table's stream, the one resource stream actions
// may name.
const streamResource = "!GetAtt " + tableID + ".StreamArn"

// tableResources are the only resources a DynamoDB grant may name: the
// table and its indexes.
var tableResources = map[string]bool{
	"!GetAtt " + tableID + ".Arn":         true,
	"!Sub ${" + tableID + ".Arn}/index/*": true,
}

// forbiddenActions may never be granted, whatever the list above says: a
// scan reads every tenant's items, and the table outlives the stack.
var forbiddenActions = map[string]bool{"dynamodb:scan": true, "dynamodb:deletetable": true}

// samOnlyGlobals are Globals.Function properties SAM accepts that
// goformation's global.Function does not model (and silently drops); they
// are read from the YAML instead.
var samOnlyGlobals = map[string]bool{"LoggingConfig": true}

var (
	loadOnce sync.Once
	parsed   *cloudformation.Template
	raw      map[string]any
	loadErr  error
)

// keep returns an intrinsic handler that leaves the intrinsic as readable
// text ("!Ref HttpApi", "!GetAtt ContractsTable.Arn", "!Sub ..."): by
// default goformation resolves a reference to a resource to nothing, and a
// parameter to its default, which would hide what the template points at.
//
// A Ref to a Number parameter is its default, as goformation would have
// it: the properties that take one (a retention, a threshold) are numbers
// to goformation, and the plain YAML shows the reference.
func keep(tag string) intrinsics.IntrinsicHandler {
	return func(_ string, input any, template any) any {
		switch v := input.(type) {
		case string:
			if p, ok := lookup(template, "Parameters", v).(map[string]any); ok && tag == "!Ref" && p["Type"] == "Number" {
				return p["Default"]
			}
			return tag + " " + v
		case []any:
			var parts []string
			for _, p := range v {
				if s, ok := p.(string); ok {
					parts = append(parts, s)
				}
			}
			if tag == "!GetAtt" {
				return tag + " " + strings.Join(parts, ".")
			}
			if len(parts) > 0 {
				// !Sub [template, variables]: the template says what it is.
				return tag + " " + parts[0]
			}
		}
		return fmt.Sprintf("%s %v", tag, input)
	}
}

// keepIntrinsics parses templates with the intrinsics the template uses
// kept as text.
var keepIntrinsics = &intrinsics.ProcessorOptions{
	IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
		"Ref":        keep("!Ref"),
		"Fn::GetAtt": keep("!GetAtt"),
		"Fn::Sub":    keep("!Sub"),
	},
}

// load parses template.yaml with goformation, which refuses properties it
// does not know (but for those gateway.GoformationYAML names, which SAM
// knows and goformation does not), and also as plain YAML for what
// goformation does not expose.
func load(t *testing.T) (*cloudformation.Template, map[string]any) {
	t.Helper()
	loadOnce.Do(func() {
		data, err := os.ReadFile(templatePath)
		if err != nil {
			loadErr = err
			return
		}
		readable, err := gateway.GoformationYAML(data)
		if err != nil {
			loadErr = err
			return
		}
		parsed, loadErr = goformation.ParseYAMLWithOptions(readable, keepIntrinsics)
		if loadErr != nil {
			loadErr = fmt.Errorf("goformation refuses template.yaml: %w", loadErr)
			return
		}
		var root yaml.Node
		if err := yaml.Unmarshal(data, &root); err != nil {
			loadErr = fmt.Errorf("template.yaml is not YAML: %w", err)
			return
		}
		m, ok := plain(&root).(map[string]any)
		if !ok {
			loadErr = fmt.Errorf("template.yaml is not a mapping")
			return
		}
		raw = m
	})
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return parsed, raw
}

// plain decodes a YAML node into maps, slices and scalars, writing
// CloudFormation's short-form tags the way keep does ("!Ref X"), where a
// plain decode would fail on or drop them.
func plain(n *yaml.Node) any {
	custom := strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!")
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil
		}
		return plain(n.Content[0])
	case yaml.AliasNode:
		return plain(n.Alias)
	case yaml.MappingNode:
		m := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			m[n.Content[i].Value] = plain(n.Content[i+1])
		}
		if custom {
			return fmt.Sprintf("%s %v", n.Tag, m)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			s = append(s, plain(c))
		}
		if custom {
			if n.Tag == "!GetAtt" {
				parts := make([]string, len(s))
				for i, p := range s {
					parts[i] = fmt.Sprint(p)
				}
				return n.Tag + " " + strings.Join(parts, ".")
			}
			if len(s) > 0 {
				return fmt.Sprintf("%s %v", n.Tag, s[0])
			}
		}
		return s
	default:
		if custom {
			return n.Tag + " " + n.Value
		}
		var v any
		if err := n.Decode(&v); err != nil {
			return n.Value
		}
		return v
	}
}

// lookup follows keys through nested maps of the plain YAML.
func lookup(m any, keys ...string) any {
	for _, k := range keys {
		mm, ok := m.(map[string]any)
		if !ok {
			return nil
		}
		m = mm[k]
	}
	return m
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// setDiff returns the elements of a not in b and of b not in a, sorted.
func setDiff(a, b []string) (onlyA, onlyB []string) {
	in := func(s []string) map[string]bool {
		m := make(map[string]bool, len(s))
		for _, v := range s {
			m[v] = true
		}
		return m
	}
	ma, mb := in(a), in(b)
	for v := range ma {
		if !mb[v] {
			onlyA = append(onlyA, v)
		}
	}
	for v := range mb {
		if !ma[v] {
			onlyB = append(onlyB, v)
		}
	}
	sort.Strings(onlyA)
	sort.Strings(onlyB)
	return onlyA, onlyB
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func functions(t *testing.T) map[string]*serverless.Function {
	t.Helper()
	tpl, _ := load(t)
	fns := tpl.GetAllServerlessFunctionResources()
	if len(fns) == 0 {
		t.Fatal("template.yaml declares no AWS::Serverless::Function")
	}
	return fns
}

// asyncTriggers are the event sources besides the HTTP API that may
// invoke a function: EasyBilling's contract actions also arrive by queue
// and by EventBridge.
var asyncTriggers = map[string]map[string]bool{
	"ContractActionsFunction": {"SQS": true, "EventBridgeRule": true},
}

// TestAsyncTriggers checks the queue and the rule that feed
// ContractActionsFunction: partial batch responses, so one bad message
// fails alone; a dead-letter queue behind the queue and the rule; the
// rule's pattern on the documented detail-type.
func TestAsyncTriggers(t *testing.T) {
	// goformation does not model every property of these events
	// (FunctionResponseTypes, for one), so they are read from the YAML.
	_, raw := load(t)
	events, _ := lookup(raw, "Resources", "ContractActionsFunction", "Properties", "Events").(map[string]any)
	var sqs, rule bool
	for name, ev := range events {
		props := lookup(ev, "Properties")
		switch lookup(ev, "Type") {
		case "SQS":
			sqs = true
			if b, _ := json.Marshal(lookup(props, "FunctionResponseTypes")); string(b) != `["ReportBatchItemFailures"]` {
				t.Errorf("%s: the SQS event must report batch item failures, has %s", name, b)
			}
			if q := lookup(props, "Queue"); q != "!GetAtt ContractActionsQueue.Arn" {
				t.Errorf("%s: queue %v, want ContractActionsQueue", name, q)
			}
		case "EventBridgeRule":
			rule = true
			if lookup(props, "DeadLetterConfig") == nil || lookup(props, "RetryPolicy") == nil {
				t.Errorf("%s: the rule needs a retry policy and a dead-letter queue", name)
			}
			if b, _ := json.Marshal(lookup(props, "Pattern", "detail-type")); string(b) != `["ContractActionRequested"]` {
				t.Errorf("%s: pattern detail-type %s, want [ContractActionRequested]", name, b)
			}
		}
	}
	if !sqs || !rule {
		t.Fatalf("ContractActionsFunction lacks its SQS (%v) or EventBridge (%v) trigger", sqs, rule)
	}
	if n := lookup(raw, "Resources", "ContractActionsQueue", "Properties", "RedrivePolicy", "maxReceiveCount"); n == nil {
		t.Error("ContractActionsQueue has no redrive to a dead-letter queue")
	}
	if lookup(raw, "Resources", "ContractActionsDeadLetterQueue") == nil {
		t.Error("no ContractActionsDeadLetterQueue")
	}
}

// route is one HttpApi event of a function.
type route struct {
	event string
	key   string // "METHOD /path", as the routers and openapi.yaml write it
	apiID string
	auth  *serverless.Function_HttpApiFunctionAuth
}

// routesOf returns fn's HttpApi events. goformation drops the typed
// properties of an event it cannot read, so an event without them fails
// here rather than pass unchecked.
func routesOf(t *testing.T, id string, fn *serverless.Function) []route {
	t.Helper()
	var routes []route
	for _, name := range sortedKeys(fn.Events) {
		ev := fn.Events[name]
		if ev.Type != "HttpApi" {
			if !asyncTriggers[id][ev.Type] {
				t.Errorf("%s event %s is of type %q; only the HTTP API invokes this function", id, name, ev.Type)
			}
			continue
		}
		if ev.Properties == nil || ev.Properties.HttpApiEvent == nil {
			t.Errorf("%s event %s: its properties are not a valid HttpApi event", id, name)
			continue
		}
		p := ev.Properties.HttpApiEvent
		routes = append(routes, route{
			event: name,
			key:   strings.ToUpper(str(p.Method)) + " " + str(p.Path),
			apiID: str(p.ApiId),
			auth:  p.Auth,
		})
	}
	return routes
}

func templateRouteKeys(t *testing.T) []string {
	t.Helper()
	var keys []string
	for id, fn := range functions(t) {
		for _, r := range routesOf(t, id, fn) {
			keys = append(keys, r.key)
		}
	}
	sort.Strings(keys)
	return keys
}

func TestTemplateParses(t *testing.T) {
	tpl, raw := load(t)
	if tpl.AWSTemplateFormatVersion != "2010-09-09" {
		t.Errorf("AWSTemplateFormatVersion = %q, want 2010-09-09", tpl.AWSTemplateFormatVersion)
	}
	if tpl.Transform == nil || str(tpl.Transform.String) != "AWS::Serverless-2016-10-31" {
		t.Errorf("Transform is not AWS::Serverless-2016-10-31")
	}
	// goformation reads Globals.Function without refusing unknown
	// properties, so a misspelt global would vanish silently: every
	// property must be one it models or one SAM is known to accept.
	known := map[string]bool{}
	gt := reflect.TypeOf(global.Function{})
	for i := 0; i < gt.NumField(); i++ {
		if name, _, _ := strings.Cut(gt.Field(i).Tag.Get("json"), ","); name != "" && name != "-" {
			known[name] = true
		}
	}
	globals, ok := lookup(raw, "Globals", "Function").(map[string]any)
	if !ok {
		t.Fatal("template.yaml has no Globals.Function")
	}
	for _, prop := range sortedKeys(globals) {
		if !known[prop] && !samOnlyGlobals[prop] {
			t.Errorf("Globals.Function.%s is not a property of AWS::Serverless::Function", prop)
		}
	}
}

func TestGlobals(t *testing.T) {
	tpl, raw := load(t)
	g, err := tpl.GetServerlessGlobalFunction()
	if err != nil {
		t.Fatal(err)
	}
	var arch []string
	if g.Architectures != nil {
		arch = *g.Architectures
	}
	var env map[string]string
	if g.Environment != nil {
		env = g.Environment.Variables
	}
	tests := []struct {
		name string
		got  any
		want any
	}{
		{"Runtime", str(g.Runtime), "provided.al2023"},
		{"Architectures", arch, []string{"arm64"}},
		{"Handler", str(g.Handler), "bootstrap"},
		{"Tracing", str(g.Tracing), "Active"},
		// goformation does not model LoggingConfig; read it from the YAML.
		{"LoggingConfig.LogFormat", lookup(raw, "Globals", "Function", "LoggingConfig", "LogFormat"), "JSON"},
		{"Environment.Variables.TABLE_NAME", env["TABLE_NAME"], "!Ref " + tableID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("Globals.Function.%s = %#v, want %#v", tc.name, tc.got, tc.want)
			}
		})
	}

	// A function may repeat a global but not contradict it: every function
	// runs the same bootstrap on the same runtime.
	for id, fn := range functions(t) {
		overrides := []struct {
			name      string
			set       bool
			got, want any
		}{
			{"Runtime", fn.Runtime != nil, str(fn.Runtime), "provided.al2023"},
			{"Architectures", fn.Architectures != nil, fn.Architectures, []string{"arm64"}},
			{"Handler", fn.Handler != nil, str(fn.Handler), "bootstrap"},
			{"Tracing", fn.Tracing != nil, str(fn.Tracing), "Active"},
		}
		for _, o := range overrides {
			if o.set && !reflect.DeepEqual(o.got, o.want) {
				t.Errorf("%s overrides %s with %#v, want %#v", id, o.name, o.got, o.want)
			}
		}
	}
}

// makefile is what the tests need of the Makefile: the functions it
// builds and the folder of each.
type makefile struct {
	functions []string
	dirs      map[string]string
	targets   map[string]bool
	text      string
}

var (
	assignRE  = regexp.MustCompile(`^([A-Za-z_][A-Za-z0-9_]*)\s*[:?]?=\s*(.*)$`)
	addprefix = regexp.MustCompile(`\$\(addprefix ([^,()]+),([^()]*)\)`)
)

func readMakefile(t *testing.T) makefile {
	t.Helper()
	data, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	mf := makefile{dirs: map[string]string{}, targets: map[string]bool{}, text: text}
	lines := strings.Split(text, "\n")
	for _, line := range lines {
		if m := assignRE.FindStringSubmatch(line); m != nil {
			switch name, value := m[1], strings.TrimSpace(m[2]); {
			case name == "FUNCTIONS":
				mf.functions = strings.Fields(value)
			case strings.HasPrefix(name, "DIR_"):
				mf.dirs[strings.TrimPrefix(name, "DIR_")] = value
			}
		}
	}
	// Rule lines: "targets: prerequisites", after expanding $(FUNCTIONS)
	// and $(addprefix ...), the only functions the Makefile's targets use.
	for _, line := range lines {
		if line == "" || strings.HasPrefix(line, "\t") || strings.HasPrefix(line, "#") || assignRE.MatchString(line) {
			continue
		}
		line = strings.ReplaceAll(line, "$(FUNCTIONS)", strings.Join(mf.functions, " "))
		line = addprefix.ReplaceAllStringFunc(line, func(s string) string {
			m := addprefix.FindStringSubmatch(s)
			var out []string
			for _, w := range strings.Fields(m[2]) {
				out = append(out, m[1]+w)
			}
			return strings.Join(out, " ")
		})
		targets, _, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		for _, target := range strings.Fields(targets) {
			mf.targets[target] = true
		}
	}
	return mf
}

func TestFunctionsAreBuilt(t *testing.T) {
	mf := readMakefile(t)
	fns := functions(t)
	if !strings.Contains(mf.text, "./functions/$(DIR_$*)") {
		t.Errorf("the Makefile's build-%% rule does not build ./functions/$(DIR_$*), so DIR_<LogicalId> does not say what is built")
	}
	for _, id := range sortedKeys(fns) {
		t.Run(id, func(t *testing.T) {
			fn := fns[id]
			if got := fn.AWSCloudFormationMetadata["BuildMethod"]; got != "makefile" {
				t.Errorf("Metadata.BuildMethod = %v, want makefile (sam build runs make build-%s)", got, id)
			}
			if !mf.targets["build-"+id] {
				t.Errorf("the Makefile has no build-%s target (add %s to FUNCTIONS)", id, id)
			}
			dir, ok := mf.dirs[id]
			if !ok {
				t.Fatalf("the Makefile has no DIR_%s naming the function's folder under functions/", id)
			}
			if _, err := os.Stat(filepath.Join(functionsDir, dir, "main.go")); err != nil {
				t.Errorf("DIR_%s = %s, but functions/%s/main.go: %v", id, dir, dir, err)
			}
		})
	}
	for _, id := range mf.functions {
		if _, ok := fns[id]; !ok {
			t.Errorf("the Makefile's FUNCTIONS lists %s, which template.yaml does not declare", id)
		}
	}
	owned := map[string]string{}
	for id, dir := range mf.dirs {
		if _, ok := fns[id]; ok {
			owned[dir] = id
		}
	}
	entries, err := os.ReadDir(functionsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && owned[e.Name()] == "" {
			t.Errorf("functions/%s belongs to no function of template.yaml (no DIR_<LogicalId> := %s for a declared function)", e.Name(), e.Name())
		}
	}
}

func TestRoutesMatchRouters(t *testing.T) {
	fns := functions(t)
	servedBy := map[string]string{}
	for _, id := range sortedKeys(fns) {
		t.Run(id, func(t *testing.T) {
			routes := routesOf(t, id, fns[id])
			var keys []string
			for _, r := range routes {
				keys = append(keys, r.key)
				if r.apiID != "!Ref "+httpAPIID {
					t.Errorf("event %s (%s): ApiId = %q, want !Ref %s: without it SAM puts the route on an implicit API without the authorizer", r.event, r.key, r.apiID, httpAPIID)
				}
				if r.auth != nil && strings.EqualFold(str(r.auth.Authorizer), "NONE") {
					t.Errorf("event %s (%s) turns the authorizer off", r.event, r.key)
				}
				if other, dup := servedBy[r.key]; dup {
					t.Errorf("event %s: %s is also declared by %s", r.event, r.key, other)
				}
				servedBy[r.key] = id
			}
			if id == authorizerID || id == eventsFunction {
				if len(fns[id].Events) > 0 {
					t.Errorf("%s has events %v; the authorizer is invoked by the HTTP API's authorizer, the contract events by the table's stream (%s), never by a route", id, sortedKeys(fns[id].Events), eventsMapping)
				}
				return
			}
			newRouter, ok := routers[id]
			if !ok {
				t.Fatalf("no router known for %s: add its shared/endpoints constructor to this test", id)
			}
			router := newRouter()
			if slices.Contains(keys, defaultRoute) {
				// The catch-all route is no route of a handler: the
				// router answers its events from the whole API's routes.
				if !router.AnswersUnmatched() {
					t.Errorf("%s holds the $default route, but its router does not answer unmatched requests", id)
				}
				keys = slices.DeleteFunc(keys, func(k string) bool { return k == defaultRoute })
			}
			inTemplate, inRouter := setDiff(keys, router.RouteKeys())
			for _, k := range inTemplate {
				t.Errorf("template route %s is not registered in %s's router: API Gateway would send it requests that answer 404", k, id)
			}
			for _, k := range inRouter {
				t.Errorf("%s's router serves %s, but template.yaml declares no such event for it", id, k)
			}
		})
	}
	for id := range routers {
		if _, ok := fns[id]; !ok {
			t.Errorf("this test knows a router for %s, which template.yaml does not declare", id)
		}
	}
}

func TestAuthorizer(t *testing.T) {
	tpl, _ := load(t)
	api, err := tpl.GetServerlessHttpApiWithName(httpAPIID)
	if err != nil {
		t.Fatal(err)
	}
	if api.Auth == nil {
		t.Fatalf("%s has no Auth", httpAPIID)
	}
	name := str(api.Auth.DefaultAuthorizer)
	if name == "" {
		t.Fatalf("%s has no DefaultAuthorizer: routes would be open", httpAPIID)
	}
	authorizer, ok := lookup(api.Auth.Authorizers, name).(map[string]any)
	if !ok {
		t.Fatalf("DefaultAuthorizer %s is not one of %s's Authorizers", name, httpAPIID)
	}
	tests := []struct {
		property string
		want     any
	}{
		// The alias AutoPublishAlias makes: API Gateway invokes the
		// version CodeDeploy has deployed, never $LATEST.
		{"FunctionArn", "!Ref " + authorizerID + ".Alias"},
		// A string: unquoted 2.0 would be a number, which SAM refuses.
		{"AuthorizerPayloadFormatVersion", "2.0"},
		{"EnableSimpleResponses", true},
	}
	for _, tc := range tests {
		t.Run(tc.property, func(t *testing.T) {
			if got := authorizer[tc.property]; !reflect.DeepEqual(got, tc.want) {
				t.Errorf("authorizer %s: %s = %#v, want %#v", name, tc.property, got, tc.want)
			}
		})
	}
}

// TestTranslatedAuthorizers: as SAM hands the HTTP API to API Gateway,
// each route is guarded by the authorizer of the header its API's clients
// send (X-API-KEY on Aira's routes, Authorization on every other, the
// $default route's included), each authorizer is keyed by that one header
// and keeps its answers for AuthorizerCacheSeconds, a parameter of 0 to
// 300 seconds, 300 by default: the longest a revoked token keeps working.
func TestTranslatedAuthorizers(t *testing.T) {
	tpl := translated(t)
	param := lookup(tpl, "Parameters", "AuthorizerCacheSeconds")
	if got := jsonOf(param); !strings.Contains(got, `"Default":300`) || !strings.Contains(got, `"MinValue":0`) || !strings.Contains(got, `"MaxValue":300`) {
		t.Errorf("parameter AuthorizerCacheSeconds %s, want Default 300, MinValue 0, MaxValue 300", got)
	}
	body := lookup(tpl, "Resources", httpAPIID, "Properties", "Body")
	schemes, _ := lookup(body, "components", "securitySchemes").(map[string]any)
	headers := map[string]string{"BearerAuthorizer": "$request.header.Authorization", "AiraKeyAuthorizer": "$request.header.X-API-KEY"}
	if len(schemes) != len(headers) {
		t.Errorf("authorizers %v, want %v", sortedKeys(schemes), sortedKeys(headers))
	}
	for name, header := range headers {
		a := lookup(schemes, name, "x-amazon-apigateway-authorizer")
		for _, tc := range []struct{ property, want string }{
			{"identitySource", `["` + header + `"]`},
			{"authorizerResultTtlInSeconds", ref("AuthorizerCacheSeconds")},
			{"authorizerPayloadFormatVersion", `"2.0"`},
			{"enableSimpleResponses", "true"},
		} {
			if got := jsonOf(lookup(a, tc.property)); got != tc.want {
				t.Errorf("authorizer %s: %s = %s, want %s", name, tc.property, got, tc.want)
			}
		}
	}
	paths, _ := lookup(body, "paths").(map[string]any)
	routes := 0
	for _, path := range sortedKeys(paths) {
		ops, _ := paths[path].(map[string]any)
		for _, method := range sortedKeys(ops) {
			routes++
			want := "BearerAuthorizer"
			if strings.HasPrefix(path, "/v1/contracts") || strings.HasPrefix(path, "/v1/customers") || strings.HasPrefix(path, "/v1/payment-accounts") {
				want = "AiraKeyAuthorizer"
			}
			if got := jsonOf(lookup(ops[method], "security")); got != `[{"`+want+`":[]}]` {
				t.Errorf("%s %s: security %s, want %s", method, path, got, want)
			}
		}
	}
	if routes == 0 {
		t.Fatal("the translated API has no routes")
	}
}

// tableShape is what the template and ddb.TableDefinition must agree on,
// with every list in a canonical order so that they compare as sets.
type tableShape struct {
	billingMode          string
	attributeDefinitions []string // "name:type"
	keySchema            []string // "name:HASH", "name:RANGE"
	indexes              []string // "name key,key projection[nonkey]"
	localIndexes         int
}

func shapeOfTemplate(tbl *cfnddb.Table) tableShape {
	keys := func(ks []cfnddb.Table_KeySchema) []string {
		var out []string
		for _, k := range ks {
			out = append(out, k.AttributeName+":"+k.KeyType)
		}
		sort.Strings(out)
		return out
	}
	s := tableShape{billingMode: str(tbl.BillingMode), keySchema: keys(tbl.KeySchema), localIndexes: len(tbl.LocalSecondaryIndexes)}
	for _, a := range tbl.AttributeDefinitions {
		s.attributeDefinitions = append(s.attributeDefinitions, a.AttributeName+":"+a.AttributeType)
	}
	for _, g := range tbl.GlobalSecondaryIndexes {
		var projection string
		var nonKey []string
		if g.Projection != nil {
			projection, nonKey = str(g.Projection.ProjectionType), g.Projection.NonKeyAttributes
		}
		s.indexes = append(s.indexes, index(g.IndexName, keys(g.KeySchema), projection, nonKey, g.ProvisionedThroughput != nil))
	}
	sort.Strings(s.attributeDefinitions)
	sort.Strings(s.indexes)
	return s
}

func shapeOfDefinition(in *sdkddb.CreateTableInput) tableShape {
	keys := func(ks []types.KeySchemaElement) []string {
		var out []string
		for _, k := range ks {
			out = append(out, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		sort.Strings(out)
		return out
	}
	s := tableShape{billingMode: string(in.BillingMode), keySchema: keys(in.KeySchema), localIndexes: len(in.LocalSecondaryIndexes)}
	for _, a := range in.AttributeDefinitions {
		s.attributeDefinitions = append(s.attributeDefinitions, aws.ToString(a.AttributeName)+":"+string(a.AttributeType))
	}
	for _, g := range in.GlobalSecondaryIndexes {
		var projection string
		var nonKey []string
		if g.Projection != nil {
			projection, nonKey = string(g.Projection.ProjectionType), g.Projection.NonKeyAttributes
		}
		s.indexes = append(s.indexes, index(aws.ToString(g.IndexName), keys(g.KeySchema), projection, nonKey, g.ProvisionedThroughput != nil))
	}
	sort.Strings(s.attributeDefinitions)
	sort.Strings(s.indexes)
	return s
}

func index(name string, keys []string, projection string, nonKey []string, provisioned bool) string {
	nonKey = append([]string(nil), nonKey...)
	sort.Strings(nonKey)
	s := fmt.Sprintf("%s %s %s%v", name, strings.Join(keys, ","), projection, nonKey)
	if provisioned {
		s += " provisioned"
	}
	return s
}

func TestTableMatchesDefinition(t *testing.T) {
	tpl, _ := load(t)
	tables := tpl.GetAllDynamoDBTableResources()
	if len(tables) != 1 {
		t.Fatalf("template.yaml declares %d DynamoDB tables (%v), want exactly %s", len(tables), sortedKeys(tables), tableID)
	}
	table, ok := tables[tableID]
	if !ok {
		t.Fatalf("the table is not named %s: %v", tableID, sortedKeys(tables))
	}
	got, want := shapeOfTemplate(table), shapeOfDefinition(ddb.TableDefinition("contracts"))

	var ttlName string
	var ttlOn bool
	if ttl := table.TimeToLiveSpecification; ttl != nil {
		ttlName, ttlOn = str(ttl.AttributeName), ttl.Enabled
	}
	pitr := table.PointInTimeRecoverySpecification
	tests := []struct {
		name      string
		got, want any
	}{
		{"BillingMode", got.billingMode, want.billingMode},
		{"AttributeDefinitions", got.attributeDefinitions, want.attributeDefinitions},
		{"KeySchema", got.keySchema, want.keySchema},
		{"GlobalSecondaryIndexes", got.indexes, want.indexes},
		{"LocalSecondaryIndexes", got.localIndexes, want.localIndexes},
		{"TimeToLiveSpecification.AttributeName", ttlName, ddb.TTLAttribute},
		{"TimeToLiveSpecification.Enabled", ttlOn, true},
		{"PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled", pitr != nil && pitr.PointInTimeRecoveryEnabled != nil && *pitr.PointInTimeRecoveryEnabled, true},
		// Contracts outlive the stack: deleting or replacing it must
		// never delete the table.
		{"DeletionPolicy", string(table.AWSCloudFormationDeletionPolicy), "Retain"},
		{"UpdateReplacePolicy", string(table.AWSCloudFormationUpdateReplacePolicy), "Retain"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !reflect.DeepEqual(tc.got, tc.want) {
				t.Errorf("%s.%s = %#v, ddb.TableDefinition and the service want %#v", tableID, tc.name, tc.got, tc.want)
			}
		})
	}
}

// statements returns the IAM statements of fn's Policies. Every entry of
// Policies must be an inline policy document: a managed policy or a SAM
// policy template grants actions this test cannot see.
func statements(t *testing.T, id string, fn *serverless.Function, rawPolicies any) []map[string]any {
	t.Helper()
	if fn.Policies == nil {
		return nil
	}
	var docs []serverless.Function_IAMPolicyDocument
	if fn.Policies.IAMPolicyDocument != nil {
		docs = append(docs, *fn.Policies.IAMPolicyDocument)
	}
	if fn.Policies.IAMPolicyDocumentArray != nil {
		docs = append(docs, *fn.Policies.IAMPolicyDocumentArray...)
	}
	entries := 1
	if list, ok := rawPolicies.([]any); ok {
		entries = len(list)
		for i, e := range list {
			if m, ok := e.(map[string]any); !ok || m["Statement"] == nil {
				t.Errorf("%s: Policies[%d] = %v is not an inline policy document; grant DynamoDB access with Statement entries only", id, i, e)
			}
		}
	}
	if len(docs) != entries {
		t.Errorf("%s: %d of its %d Policies entries are policy documents; the others' grants cannot be checked", id, len(docs), entries)
	}
	var out []map[string]any
	for _, d := range docs {
		for i, s := range d.Statement {
			m, ok := s.(map[string]any)
			if !ok {
				t.Errorf("%s: statement %d is %T, not a mapping", id, i, s)
				continue
			}
			out = append(out, m)
		}
	}
	return out
}

// stringsOf reads an IAM Action or Resource: a string or a list of them.
func stringsOf(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, fmt.Sprint(e))
		}
		return out
	case nil:
		return nil
	default:
		return []string{fmt.Sprint(v)}
	}
}

func TestLeastPrivilege(t *testing.T) {
	_, raw := load(t)
	fns := functions(t)
	for _, id := range sortedKeys(fns) {
		t.Run(id, func(t *testing.T) {
			fn := fns[id]
			if fn.Role != nil {
				t.Errorf("Role is set: its permissions are outside this template's review")
			}
			want, known := dynamoDBActions[id]
			if !known {
				t.Fatalf("no expected DynamoDB actions for %s: add it to dynamoDBActions", id)
			}
			var granted []string
			for _, s := range statements(t, id, fn, lookup(raw, "Resources", id, "Properties", "Policies")) {
				for _, k := range []string{"NotAction", "NotResource"} {
					if _, ok := s[k]; ok {
						t.Errorf("a statement uses %s, which grants everything it does not name", k)
					}
				}
				if s["Effect"] != "Allow" {
					continue
				}
				actions := stringsOf(s["Action"])
				dynamo := false
				var stream []string
				for _, a := range actions {
					lower := strings.ToLower(a)
					if strings.Contains(a, "*") {
						t.Errorf("action %q is a wildcard", a)
					}
					if forbiddenActions[lower] {
						t.Errorf("action %q is never granted", a)
					}
					switch {
					case streamActions[a]:
						stream = append(stream, a)
					case strings.HasPrefix(lower, "dynamodb:"):
						dynamo = true
						granted = append(granted, a)
					}
				}
				resources := stringsOf(s["Resource"])
				if len(stream) > 0 && (id != eventsFunction || dynamo || len(resources) != 1 || resources[0] != streamResource) {
					t.Errorf("a statement grants %v on %v; stream actions go to %s alone, on %s alone", actions, resources, eventsFunction, streamResource)
				}
				if !dynamo {
					continue
				}
				if len(resources) == 0 {
					t.Errorf("a statement granting %v names no Resource", actions)
				}
				for _, r := range resources {
					if !tableResources[r] {
						t.Errorf("a statement grants %v on %q; only %v may be named", actions, r, sortedKeys(tableResources))
					}
				}
			}
			if onlyGranted, onlyWanted := setDiff(granted, want); len(onlyGranted)+len(onlyWanted) > 0 {
				t.Errorf("DynamoDB actions granted beyond the expected ones: %q; expected but not granted: %q", onlyGranted, onlyWanted)
			}
		})
	}
}

func TestOutputs(t *testing.T) {
	tpl, _ := load(t)
	tests := []struct {
		name   string
		prefix string
	}{
		{"ApiUrl", "!Sub https://${" + httpAPIID + "}.execute-api."},
		{"TableName", "!Ref " + tableID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, ok := tpl.Outputs[tc.name]
			if !ok {
				t.Fatalf("template.yaml has no %s output", tc.name)
			}
			if v, _ := out.Value.(string); !strings.HasPrefix(v, tc.prefix) {
				t.Errorf("output %s = %#v, want it to start with %q", tc.name, out.Value, tc.prefix)
			}
		})
	}
}

// defaultRoute is the route key of the HTTP API's catch-all route as the
// template's events give it.
const defaultRoute = "ANY $default"

func TestOpenAPIDocumentsTemplateRoutes(t *testing.T) {
	// The catch-all route has no path of its own for OpenAPI to name; the
	// document's description says what it answers.
	routes := slices.DeleteFunc(templateRouteKeys(t), func(k string) bool { return k == defaultRoute })
	onlyTemplate, onlyDocument := setDiff(routes, openapitest.Routes(t))
	for _, k := range onlyTemplate {
		t.Errorf("template route %s is not documented in infra/openapi.yaml", k)
	}
	for _, k := range onlyDocument {
		t.Errorf("infra/openapi.yaml documents %s, which is no route of template.yaml", k)
	}
}

// TestIntrinsicsReadAlike checks that the YAML reading and goformation's
// (through keep) write intrinsics the same way, so values read either way
// compare with the same expectations.
func TestIntrinsicsReadAlike(t *testing.T) {
	tests := []struct {
		yaml string
		want string
	}{
		{"v: !Ref ContractsTable", "!Ref ContractsTable"},
		{"v: !GetAtt ContractsTable.Arn", "!GetAtt ContractsTable.Arn"},
		{"v: !GetAtt [ContractsTable, Arn]", "!GetAtt ContractsTable.Arn"},
		{"v: {'Fn::GetAtt': [ContractsTable, Arn]}", "!GetAtt ContractsTable.Arn"},
		{`v: !Sub "${ContractsTable.Arn}/index/*"`, "!Sub ${ContractsTable.Arn}/index/*"},
		{`v: !Sub ["${T}/index/*", {T: !GetAtt ContractsTable.Arn}]`, "!Sub ${T}/index/*"},
	}
	for _, tc := range tests {
		t.Run(tc.yaml, func(t *testing.T) {
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(tc.yaml), &n); err != nil {
				t.Fatal(err)
			}
			// The long form is a plain mapping to YAML; only goformation
			// reads it as an intrinsic.
			if !strings.Contains(tc.yaml, "Fn::") {
				if got := lookup(plain(&n), "v"); got != tc.want {
					t.Errorf("YAML reads %#v, want %q", got, tc.want)
				}
			}
			doc := "Outputs:\n  O:\n    Value: " + strings.TrimPrefix(tc.yaml, "v: ") + "\n"
			tpl, err := goformation.ParseYAMLWithOptions([]byte(doc), keepIntrinsics)
			if err != nil {
				t.Fatal(err)
			}
			if got := tpl.Outputs["O"].Value; got != tc.want {
				t.Errorf("goformation reads %#v, want %q", got, tc.want)
			}
		})
	}
}
