package infra_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/contracts-service/contracts/shared/easybilling"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// The resources that carry the asynchronous paths' trust, by logical id.
const (
	actionsFunction    = "ContractActionsFunction"
	actionsQueue       = "ContractActionsQueue"
	actionsQueuePolicy = "ContractActionsQueuePolicy"
	queueDLQ           = "ContractActionsDeadLetterQueue"
	actionsBus         = "ContractActionsBus"
	actionsBusPolicy   = "ContractActionsBusPolicy"
	eventsDLQ          = "ContractActionEventsDeadLetterQueue"
	eventsDLQPolicy    = "ContractActionEventsDeadLetterQueuePolicy"
	failureQueue       = "ContractActionEventsFailureQueue"
	// actionRule is the AWS::Events::Rule SAM makes of the function's
	// EventBridgeRule event ActionRequested: <function><event>.
	actionRule = actionsFunction + "ActionRequested"
)

func resource(t *testing.T, id string) map[string]any {
	t.Helper()
	_, raw := load(t)
	r, ok := lookup(raw, "Resources", id).(map[string]any)
	if !ok {
		t.Fatalf("template.yaml has no resource %s", id)
	}
	return r
}

// statementsOf returns a policy document's statements, whether one
// mapping or a list.
func statementsOf(doc any) []map[string]any {
	var out []map[string]any
	switch s := doc.(type) {
	case map[string]any:
		out = append(out, s)
	case []any:
		for _, e := range s {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestHTTPOrigin: the API's stage carries the stack's id as a stage
// variable and every function knows the same id, the names the router
// reads (httpapi); and no function names the API in its environment, which
// would make the API and the function depend on each other.
func TestHTTPOrigin(t *testing.T) {
	_, raw := load(t)
	if got := lookup(raw, "Resources", httpAPIID, "Properties", "StageVariables", httpapi.StageVariableStackID); got != "!Ref AWS::StackId" {
		t.Errorf("%s StageVariables.%s = %v, want !Ref AWS::StackId", httpAPIID, httpapi.StageVariableStackID, got)
	}
	if got := lookup(raw, "Globals", "Function", "Environment", "Variables", httpapi.EnvStackID); got != "!Ref AWS::StackId" {
		t.Errorf("Globals.Function.Environment.Variables.%s = %v, want !Ref AWS::StackId", httpapi.EnvStackID, got)
	}
	for id := range functions(t) {
		vars, _ := lookup(raw, "Resources", id, "Properties", "Environment", "Variables").(map[string]any)
		if _, ok := vars[httpapi.EnvStackID]; ok {
			t.Errorf("%s overrides %s", id, httpapi.EnvStackID)
		}
		if strings.Contains(jsonOf(vars), httpAPIID) {
			t.Errorf("%s's environment names %s: CloudFormation refuses the cycle", id, httpAPIID)
		}
	}
}

// TestEventBusTrust: the rule listens on the stack's own bus, never the
// default one, to the allow-listed sources only; the bus's policy lets
// only the named producers put events, of those sources and the one
// detail-type; the function applies events of the same sources.
func TestEventBusTrust(t *testing.T) {
	_, raw := load(t)
	if typ := resource(t, actionsBus)["Type"]; typ != "AWS::Events::EventBus" {
		t.Fatalf("%s is a %v", actionsBus, typ)
	}
	for id := range functions(t) {
		events, _ := lookup(raw, "Resources", id, "Properties", "Events").(map[string]any)
		for name, ev := range events {
			if lookup(ev, "Type") != "EventBridgeRule" {
				continue
			}
			props := lookup(ev, "Properties")
			if bus := lookup(props, "EventBusName"); bus != "!Ref "+actionsBus {
				t.Errorf("%s.%s listens on bus %v, want !Ref %s (without it, the default bus)", id, name, bus, actionsBus)
			}
			if src := lookup(props, "Pattern", "source"); src != "!Ref ActionEventSources" {
				t.Errorf("%s.%s: pattern source %v, want the allow-list !Ref ActionEventSources", id, name, src)
			}
			if dt := jsonOf(lookup(props, "Pattern", "detail-type")); dt != `["`+easybilling.EventDetailType+`"]` {
				t.Errorf("%s.%s: pattern detail-type %s", id, name, dt)
			}
		}
	}
	policy := resource(t, actionsBusPolicy)
	if policy["Type"] != "AWS::Events::EventBusPolicy" || policy["Condition"] != "HasActionEventProducers" {
		t.Errorf("%s: type %v, condition %v", actionsBusPolicy, policy["Type"], policy["Condition"])
	}
	props := lookup(policy, "Properties")
	if bus := lookup(props, "EventBusName"); bus != "!Ref "+actionsBus {
		t.Errorf("%s is on bus %v", actionsBusPolicy, bus)
	}
	st, _ := lookup(props, "Statement").(map[string]any)
	want := map[string]any{
		"Effect":    "Allow",
		"Principal": map[string]any{"AWS": "!Ref ActionEventProducers"},
		"Action":    "events:PutEvents",
		"Resource":  "!GetAtt " + actionsBus + ".Arn",
		"Condition": map[string]any{"StringEquals": map[string]any{
			"events:source":      "!Ref ActionEventSources",
			"events:detail-type": easybilling.EventDetailType,
		}},
	}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("%s statement:\n%s\nwant\n%s", actionsBusPolicy, jsonOf(st), jsonOf(want))
	}
	vars := lookup(raw, "Resources", actionsFunction, "Properties", "Environment", "Variables")
	if got := fmt.Sprint(lookup(vars, easybilling.EnvEventSources)); !strings.HasPrefix(got, "!Join") {
		t.Errorf("%s %s = %v, want the allow-list joined", actionsFunction, easybilling.EnvEventSources, got)
	}
	if got := lookup(vars, easybilling.EnvQueueARN); got != "!GetAtt "+actionsQueue+".Arn" {
		t.Errorf("%s %s = %v, want the queue's ARN", actionsFunction, easybilling.EnvQueueARN, got)
	}
}

// TestQueueTrust: the queue's policy names its producers; every queue
// policy that lets an AWS service send is scoped to the one resource
// that sends (aws:SourceArn), and no policy lets anyone at all send.
func TestQueueTrust(t *testing.T) {
	_, raw := load(t)
	policy := resource(t, actionsQueuePolicy)
	if policy["Condition"] != "HasActionQueueProducers" {
		t.Errorf("%s condition %v", actionsQueuePolicy, policy["Condition"])
	}
	if q := jsonOf(lookup(policy, "Properties", "Queues")); q != `["!Ref `+actionsQueue+`"]` {
		t.Errorf("%s applies to %s", actionsQueuePolicy, q)
	}
	sts := statementsOf(lookup(policy, "Properties", "PolicyDocument", "Statement"))
	want := map[string]any{
		"Sid": "ContractActionProducers", "Effect": "Allow",
		"Principal": map[string]any{"AWS": "!Ref ActionQueueProducers"},
		"Action":    "sqs:SendMessage", "Resource": "!GetAtt " + actionsQueue + ".Arn",
	}
	if len(sts) != 1 || !reflect.DeepEqual(sts[0], want) {
		t.Errorf("%s statements %s, want only %s", actionsQueuePolicy, jsonOf(sts), jsonOf(want))
	}

	sourceOf := map[string]string{eventsDLQPolicy: "!GetAtt " + actionRule + ".Arn"}
	resources, _ := lookup(raw, "Resources").(map[string]any)
	for _, id := range sortedKeys(resources) {
		if lookup(resources[id], "Type") != "AWS::SQS::QueuePolicy" {
			continue
		}
		for _, st := range statementsOf(lookup(resources[id], "Properties", "PolicyDocument", "Statement")) {
			principal := lookup(st, "Principal")
			if principal == "*" || lookup(principal, "AWS") == "*" {
				t.Errorf("%s lets anyone %v", id, st["Action"])
			}
			if lookup(principal, "Service") == nil {
				continue
			}
			got := lookup(st, "Condition", "ArnEquals", "aws:SourceArn")
			if got == nil || (sourceOf[id] != "" && got != sourceOf[id]) {
				t.Errorf("%s lets %v send from %v, want only from %q (aws:SourceArn)", id, principal, got, sourceOf[id])
			}
		}
	}
	if q := jsonOf(lookup(raw, "Resources", eventsDLQPolicy, "Properties", "Queues")); q != `["!Ref `+eventsDLQ+`"]` {
		t.Errorf("%s applies to %s", eventsDLQPolicy, q)
	}
}

// TestFailuresKept: every failure of an asynchronous path ends in a queue
// of its own, kept 14 days: the queue's messages past their receives in
// its dead-letter queue, events the rule could not deliver in the events'
// dead-letter queue, invocations that failed or were refused in the
// function's on-failure destination.
func TestFailuresKept(t *testing.T) {
	_, raw := load(t)
	fn := lookup(raw, "Resources", actionsFunction, "Properties")
	var rule, queue any
	events, _ := lookup(fn, "Events").(map[string]any)
	for _, ev := range events {
		switch lookup(ev, "Type") {
		case "EventBridgeRule":
			rule = lookup(ev, "Properties")
		case "SQS":
			queue = lookup(ev, "Properties")
		}
	}
	if rule == nil || queue == nil {
		t.Fatalf("%s lacks its queue or rule", actionsFunction)
	}
	kept := map[string]string{
		"the queue's redrive":          fmt.Sprint(lookup(raw, "Resources", actionsQueue, "Properties", "RedrivePolicy", "deadLetterTargetArn")),
		"the rule's dead-letter queue": fmt.Sprint(lookup(rule, "DeadLetterConfig", "Arn")),
		"the on-failure destination":   fmt.Sprint(lookup(fn, "EventInvokeConfig", "DestinationConfig", "OnFailure", "Destination")),
	}
	want := map[string]string{
		"the queue's redrive":          "!GetAtt " + queueDLQ + ".Arn",
		"the rule's dead-letter queue": "!GetAtt " + eventsDLQ + ".Arn",
		"the on-failure destination":   "!GetAtt " + failureQueue + ".Arn",
	}
	if !reflect.DeepEqual(kept, want) {
		t.Errorf("failures kept in %v, want %v (each its own queue)", kept, want)
	}
	if typ := lookup(fn, "EventInvokeConfig", "DestinationConfig", "OnFailure", "Type"); typ != "SQS" {
		t.Errorf("on-failure destination type %v", typ)
	}
	if n, _ := lookup(fn, "EventInvokeConfig", "MaximumRetryAttempts").(int); n < 1 {
		t.Errorf("EventInvokeConfig.MaximumRetryAttempts = %v: a fault deserves a retry", lookup(fn, "EventInvokeConfig", "MaximumRetryAttempts"))
	}
	if lookup(rule, "RetryPolicy", "MaximumRetryAttempts") == nil {
		t.Error("the rule has no retry policy")
	}
	for _, q := range []string{queueDLQ, eventsDLQ, failureQueue} {
		if p := lookup(raw, "Resources", q, "Properties", "MessageRetentionPeriod"); p != 1209600 {
			t.Errorf("%s keeps messages %v seconds, want 14 days (1209600)", q, p)
		}
	}
	// Every function an asynchronous source invokes has a destination.
	for id := range functions(t) {
		evs, _ := lookup(raw, "Resources", id, "Properties", "Events").(map[string]any)
		for name, ev := range evs {
			if lookup(ev, "Type") == "EventBridgeRule" && lookup(raw, "Resources", id, "Properties", "EventInvokeConfig", "DestinationConfig", "OnFailure") == nil {
				t.Errorf("%s is invoked asynchronously by %s but has no on-failure destination", id, name)
			}
		}
	}
}

// translated is template.yaml as AWS's SAM translator turns it into plain
// CloudFormation. Without the translator the test is skipped, or fails
// under CI (see requireTool).
func translated(t *testing.T) map[string]any {
	t.Helper()
	const script = `
import json, sys
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse
class NoManagedPolicies:
    def load(self): return {}
t = yaml_parse(open(sys.argv[1]).read())
# The translator wants code in S3; sam build and package put it there.
t["Globals"]["Function"]["CodeUri"] = "s3://bucket/key"
json.dump(transform(t, {}, NoManagedPolicies()), sys.stdout)
`
	requirePython(t, "samtranslator", "the SAM translator (pip install aws-sam-translator)")
	translateOnce.Do(func() {
		cmd := exec.Command("python3", "-c", script, templatePath)
		cmd.Env = append(os.Environ(), "AWS_DEFAULT_REGION=us-east-1")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			translateErr = fmt.Errorf("the SAM translator refuses template.yaml: %v\n%s", err, stderr.String())
			return
		}
		translateOut = out
	})
	if translateErr != nil {
		t.Fatal(translateErr)
	}
	// Each caller gets its own copy, free to change it.
	var tpl map[string]any
	if err := json.Unmarshal(translateOut, &tpl); err != nil {
		t.Fatal(err)
	}
	return tpl
}

// The translation is the same for every test of a run: it is made once.
var (
	translateOnce sync.Once
	translateOut  []byte
	translateErr  error
)

// managedPolicies are the AWS managed policies SAM attaches to a
// function's role: logs, X-Ray (Tracing: Active), and, for a function an
// SQS queue feeds, the poller's ReceiveMessage, DeleteMessage and
// GetQueueAttributes.
var managedPolicies = map[string][]string{
	"AuthorizerFunction":            {"service-role/AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"},
	"CreateContractFunction":        {"service-role/AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"},
	"OrganizationContractsFunction": {"service-role/AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"},
	actionsFunction:                 {"service-role/AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess", "service-role/AWSLambdaSQSQueueExecutionRole"},
	// Its stream is read under grants of its own, on this table's
	// stream only (not SAM's AWSLambdaDynamoDBExecutionRole, on every
	// stream of the account).
	eventsFunction: {"service-role/AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess"},
}

// otherGrants are each function's grants besides its DynamoDB actions on
// the table and indexes.
var otherGrants = map[string][]string{
	actionsFunction: {"sqs:SendMessage map[Fn::GetAtt:[" + failureQueue + " Arn]]"},
	eventsFunction: {
		"dynamodb:DescribeStream map[Fn::GetAtt:[" + tableID + " StreamArn]]",
		"dynamodb:GetRecords map[Fn::GetAtt:[" + tableID + " StreamArn]]",
		"dynamodb:GetShardIterator map[Fn::GetAtt:[" + tableID + " StreamArn]]",
		"dynamodb:ListStreams map[Fn::GetAtt:[" + tableID + " StreamArn]]",
		"events:PutEvents map[Fn::GetAtt:[" + eventsBus + " Arn]]",
		"sqs:SendMessage map[Fn::GetAtt:[" + eventsFailureQueue + " Arn]]",
	},
}

// tableOnly are the functions granted the table alone, no index.
var tableOnly = map[string]bool{authorizerID: true, eventsFunction: true}

// TestTranslatedRolesAndInvokers reads what SAM makes of the template:
// each function's role holds the DynamoDB actions it uses on the table
// and, for ContractActionsFunction, sending to its failure queue, for
// ContractEventsFunction, reading the table's stream, putting events on
// its bus and sending to its failure queue, and nothing else; and only API Gateway (for this API's routes and
// authorizer) and EventBridge (for the one rule) are let invoke a
// function. Any other invoker is a principal of the account allowed by
// IAM, as the README says.
func TestTranslatedRolesAndInvokers(t *testing.T) {
	tpl := translated(t)
	resources, _ := tpl["Resources"].(map[string]any)
	for id := range functions(t) {
		t.Run(id, func(t *testing.T) {
			role := lookup(resources, id+"Role", "Properties")
			var managed []string
			for _, arn := range stringsOf(lookup(role, "ManagedPolicyArns")) {
				managed = append(managed, strings.TrimPrefix(arn, "arn:aws:iam::aws:policy/"))
			}
			if a, b := setDiff(managed, managedPolicies[id]); len(a)+len(b) > 0 {
				t.Errorf("managed policies beyond the expected: %v; expected but absent: %v", a, b)
			}
			var grants []string
			policies, _ := lookup(role, "Policies").([]any)
			for _, p := range policies {
				for _, st := range statementsOf(lookup(p, "PolicyDocument", "Statement")) {
					if st["Effect"] != "Allow" {
						continue
					}
					for _, a := range stringsOf(st["Action"]) {
						for _, r := range stringsOf(st["Resource"]) {
							grants = append(grants, a+" "+r)
						}
					}
				}
			}
			want := append([]string{}, otherGrants[id]...)
			for _, a := range dynamoDBActions[id] {
				want = append(want, a+" map[Fn::GetAtt:[ContractsTable Arn]]")
				if !tableOnly[id] {
					want = append(want, a+" map[Fn::Sub:${ContractsTable.Arn}/index/*]")
				}
			}
			sort.Strings(grants)
			sort.Strings(want)
			if !reflect.DeepEqual(grants, want) {
				t.Errorf("the role grants\n  %s\nwant\n  %s", strings.Join(grants, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}

	for _, id := range sortedKeys(resources) {
		r := resources[id]
		switch lookup(r, "Type") {
		case "AWS::Lambda::Url":
			t.Errorf("%s: a function URL would be a way in past API Gateway", id)
		case "AWS::Lambda::Permission":
			p := lookup(r, "Properties")
			source := jsonOf(lookup(p, "SourceArn"))
			switch lookup(p, "Principal") {
			case "apigateway.amazonaws.com":
				if !strings.Contains(source, `{"Ref":"`+httpAPIID+`"}`) {
					t.Errorf("%s lets API Gateway invoke from %s, not only from %s", id, source, httpAPIID)
				}
			case "events.amazonaws.com":
				if source != `{"Fn::GetAtt":["`+actionRule+`","Arn"]}` {
					t.Errorf("%s lets EventBridge invoke from %s, not only the rule %s", id, source, actionRule)
				}
			default:
				t.Errorf("%s lets %v invoke a function", id, lookup(p, "Principal"))
			}
		}
	}
	// The rule whose ARN scopes the events' dead-letter queue is the one
	// SAM makes, on the stack's bus, sending its dead letters there.
	if got := jsonOf(lookup(resources, actionRule, "Properties", "EventBusName")); got != `{"Ref":"`+actionsBus+`"}` {
		t.Errorf("%s is on bus %s", actionRule, got)
	}
	targets, _ := lookup(resources, actionRule, "Properties", "Targets").([]any)
	if len(targets) != 1 || jsonOf(lookup(targets[0], "DeadLetterConfig", "Arn")) != `{"Fn::GetAtt":["`+eventsDLQ+`","Arn"]}` {
		t.Errorf("%s targets %s", actionRule, jsonOf(targets))
	}
}

// TestCfnLint runs AWS's CloudFormation linter over the template (make
// lint does too). Without cfn-lint the test is skipped, or fails under CI.
func TestCfnLint(t *testing.T) {
	requireTool(t, "cfn-lint", "AWS's CloudFormation linter (pip install cfn-lint)")
	out, err := exec.Command("cfn-lint", templatePath).CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
}
