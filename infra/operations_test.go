package infra_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
)

// The resources that make the stack operable, by logical id.
const (
	alarmTopic        = "AlarmTopic"
	dashboard         = "Dashboard"
	accessLogGroup    = "ApiAccessLogGroup"
	apiErrorRateAlarm = "ApiErrorRateAlarm"
	apiLatencyAlarm   = "ApiLatencyAlarm"
	queueAgeAlarm     = "ContractActionsQueueAgeAlarm"
	tableThrottles    = "TableThrottlesAlarm"
	tableSystemErrors = "TableSystemErrorsAlarm"
	refusalsFilter    = "AuthorizerRefusalsMetricFilter"
	requestsFilter    = "ApiRequestsMetricFilter"
	serverErrorFilter = "ApiServerErrorsMetricFilter"
	// aliasName is AutoPublishAlias: SAM names the alias resource
	// <function>Alias<name> and the deployment group <function>DeploymentGroup.
	aliasName = "live"
)

// deadLetterQueues are the queues where failed asynchronous requests
// and contract events wait (see TestFailuresKept,
// TestContractEventsFeed); each has an alarm <queue>Alarm.
var deadLetterQueues = []string{queueDLQ, eventsDLQ, failureQueue, eventsFailureQueue}

// logGroupOf is the log group a function writes to.
func logGroupOf(fn string) string { return fn + "LogGroup" }

// functionAlarms are the alarms every function has, by suffix of the
// logical id (<function><suffix>), with the AWS/Lambda metric each reads.
var functionAlarms = map[string]string{"ErrorsAlarm": "Errors", "ThrottlesAlarm": "Throttles", "DurationAlarm": "Duration"}

// rollbackAlarms are the alarms that stop and roll back a function's
// deployment: its own failures and slowness, and the API's error rate;
// for the contract events, which serve no request, the stream records it
// failed to publish instead, which it reports to the mapping rather than
// fail (so Errors misses them).
func rollbackAlarms(fn string) []string {
	if fn == eventsFunction {
		return []string{fn + "ErrorsAlarm", fn + "DurationAlarm", eventsFailuresAlarm}
	}
	return []string{fn + "ErrorsAlarm", fn + "DurationAlarm", apiErrorRateAlarm}
}

func resourcesOf(tpl map[string]any) map[string]any {
	r, _ := tpl["Resources"].(map[string]any)
	return r
}

func ofType(resources map[string]any, typ string) []string {
	var ids []string
	for _, id := range sortedKeys(resources) {
		if lookup(resources[id], "Type") == typ {
			ids = append(ids, id)
		}
	}
	return ids
}

func ref(id string) string               { return `{"Ref":"` + id + `"}` }
func getAtt(id, attribute string) string { return `{"Fn::GetAtt":["` + id + `","` + attribute + `"]}` }

// TestTranslatedLogs: as SAM hands them to CloudFormation, every function
// writes JSON logs, at the level of the LogLevel parameter, to a log group
// of the stack's kept LogRetentionInDays; the API's access log too.
func TestTranslatedLogs(t *testing.T) {
	tpl := translated(t)
	resources := resourcesOf(tpl)
	fns := ofType(resources, "AWS::Lambda::Function")
	if len(fns) != len(functions(t)) {
		t.Fatalf("SAM made functions %v", fns)
	}
	for _, fn := range fns {
		got := jsonOf(lookup(resources, fn, "Properties", "LoggingConfig"))
		want := `{"ApplicationLogLevel":{"Fn::FindInMap":["LogLevels",{"Ref":"LogLevel"},"Application"]},"LogFormat":"JSON","LogGroup":` + ref(logGroupOf(fn)) + `}`
		if got != want {
			t.Errorf("%s LoggingConfig %s, want %s", fn, got, want)
		}
	}
	for _, group := range ofType(resources, "AWS::Logs::LogGroup") {
		if got := jsonOf(lookup(resources, group, "Properties", "RetentionInDays")); got != ref("LogRetentionInDays") {
			t.Errorf("%s keeps its logs %s, want the LogRetentionInDays parameter", group, got)
		}
	}
	wantGroups := []string{accessLogGroup}
	for _, fn := range fns {
		wantGroups = append(wantGroups, logGroupOf(fn))
	}
	if a, b := setDiff(ofType(resources, "AWS::Logs::LogGroup"), wantGroups); len(a)+len(b) > 0 {
		t.Errorf("log groups beyond the expected %v, expected but absent %v", a, b)
	}

	// Lambda drops the lines below ApplicationLogLevel: every level the
	// code may be set to must map to the name slog writes for it.
	levels, _ := lookup(tpl, "Parameters", "LogLevel", "AllowedValues").([]any)
	if len(levels) == 0 {
		t.Fatal("LogLevel has no AllowedValues")
	}
	for _, v := range levels {
		var l slog.Level
		if err := l.UnmarshalText([]byte(fmt.Sprint(v))); err != nil {
			t.Errorf("LogLevel %v is no slog level: %v", v, err)
			continue
		}
		if got := lookup(tpl, "Mappings", "LogLevels", fmt.Sprint(v), "Application"); got != l.String() {
			t.Errorf("LogLevel %v maps to ApplicationLogLevel %v, want %s, the level slog writes", v, got, l.String())
		}
	}
}

// accessLogLine renders the API's access log format as API Gateway
// would for one request, with the given $context values (others "-").
func accessLogLine(t *testing.T, format string, values map[string]string) map[string]any {
	t.Helper()
	line := regexp.MustCompile(`\$context\.[A-Za-z.]+`).ReplaceAllStringFunc(format, func(v string) string {
		if s, ok := values[strings.TrimPrefix(v, "$context.")]; ok {
			return s
		}
		return "-"
	})
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatalf("the access log format does not render JSON: %v\n%s", err, line)
	}
	return m
}

// TestTranslatedAPI: the stage writes a JSON access log line per request
// to its log group, with the request id the functions log, the route
// key, the status and latency as numbers, the authorizer's and the
// integration's errors and the tenant the authorizer found; every route
// is throttled by the parameters; a deployment with warnings fails.
func TestTranslatedAPI(t *testing.T) {
	tpl := translated(t)
	resources := resourcesOf(tpl)
	if got := lookup(resources, httpAPIID, "Properties", "FailOnWarnings"); got != true {
		t.Errorf("%s FailOnWarnings = %v, want true", httpAPIID, got)
	}
	stages := ofType(resources, "AWS::ApiGatewayV2::Stage")
	if len(stages) != 1 {
		t.Fatalf("stages %v, want one", stages)
	}
	stage := lookup(resources, stages[0], "Properties")
	if got := jsonOf(lookup(stage, "DefaultRouteSettings")); got != `{"ThrottlingBurstLimit":`+ref("ApiThrottlingBurstLimit")+`,"ThrottlingRateLimit":`+ref("ApiThrottlingRateLimit")+`}` {
		t.Errorf("DefaultRouteSettings %s, want both limits from the parameters", got)
	}
	if got := jsonOf(lookup(stage, "AccessLogSettings", "DestinationArn")); got != getAtt(accessLogGroup, "Arn") {
		t.Errorf("access log to %s, want %s", got, accessLogGroup)
	}
	format, _ := lookup(stage, "AccessLogSettings", "Format").(string)
	line := accessLogLine(t, format, map[string]string{
		"requestId":                          "req-1",
		"routeKey":                           "POST /api/v1/contracts",
		"status":                             "201",
		"responseLatency":                    "42",
		"integration.error":                  "integration failed",
		"authorizer.error":                   "authorizer failed",
		"authorizer." + auth.ContextTenantID: "tenant-a",
	})
	want := map[string]any{
		"requestId": "req-1", "routeKey": "POST /api/v1/contracts", "status": 201.0, "latencyMs": 42.0,
		"integrationError": "integration failed", "authorizerError": "authorizer failed", "tenant": "tenant-a",
	}
	for k, v := range want {
		if line[k] != v {
			t.Errorf("access log %s = %#v, want %#v (line %s)", k, line[k], v, jsonOf(line))
		}
	}
	for k := range line {
		if strings.Contains(strings.ToLower(k), "query") || strings.Contains(strings.ToLower(k), "header") || k == "path" {
			t.Errorf("access log field %s can carry a token", k)
		}
	}
}

// TestTranslatedDeployments: every function publishes a version behind
// the alias live, which CodeDeploy moves (DeploymentType, a canary by
// default) and rolls back on the function's rollback alarms; and
// everything that invokes a function invokes that alias: API Gateway's
// routes and authorizer, their permissions, the queue, the rule and the
// failure destination of asynchronous invocations.
func TestTranslatedDeployments(t *testing.T) {
	tpl := translated(t)
	resources := resourcesOf(tpl)
	aliasOf := map[string]string{}
	for _, fn := range ofType(resources, "AWS::Lambda::Function") {
		alias := fn + "Alias" + aliasName
		aliasOf[fn] = alias
		t.Run(fn, func(t *testing.T) {
			if got := lookup(resources, alias, "Properties", "Name"); got != aliasName {
				t.Fatalf("no alias %s of %s (%v)", alias, fn, got)
			}
			group := fn + "DeploymentGroup"
			if got := jsonOf(lookup(resources, alias, "UpdatePolicy", "CodeDeployLambdaAliasUpdate", "DeploymentGroupName")); got != ref(group) {
				t.Errorf("%s is moved by %s, want CodeDeploy's %s", alias, got, group)
			}
			dg := lookup(resources, group, "Properties")
			var alarms []string
			for _, a := range lookup(dg, "AlarmConfiguration", "Alarms").([]any) {
				alarms = append(alarms, strings.TrimSuffix(strings.TrimPrefix(jsonOf(lookup(a, "Name")), `{"Ref":"`), `"}`))
			}
			if a, b := setDiff(alarms, rollbackAlarms(fn)); len(a)+len(b) > 0 || lookup(dg, "AlarmConfiguration", "Enabled") != true {
				t.Errorf("%s rolls back on %v, want %v", group, alarms, rollbackAlarms(fn))
			}
			if got := jsonOf(lookup(dg, "AutoRollbackConfiguration", "Events")); !strings.Contains(got, "DEPLOYMENT_STOP_ON_ALARM") {
				t.Errorf("%s rolls back on %s, not on its alarms", group, got)
			}
			// The translator resolves the parameter to its default here;
			// CloudFormation's transform, to the value deployed.
			wantConfig := `{"Fn::Sub":["CodeDeployDefault.Lambda${Type}",{"Type":"` + fmt.Sprint(lookup(tpl, "Parameters", "DeploymentType", "Default")) + `"}]}`
			if got := jsonOf(lookup(dg, "DeploymentConfigName")); got != wantConfig {
				t.Errorf("%s deploys with %s, want %s", group, got, wantConfig)
			}
		})
	}
	if got := fmt.Sprint(lookup(tpl, "Parameters", "DeploymentType", "Default")); !strings.HasPrefix(got, "Canary") {
		t.Errorf("DeploymentType defaults to %s, want a canary", got)
	}
	if !strings.Contains(jsonOf(lookup(tpl, "Parameters", "DeploymentType", "AllowedValues")), `"AllAtOnce"`) {
		t.Error("DeploymentType does not allow AllAtOnce, for development stacks")
	}
	isAlias := func(v any) bool {
		for _, a := range aliasOf {
			if jsonOf(v) == ref(a) {
				return true
			}
		}
		return false
	}
	for _, id := range ofType(resources, "AWS::Lambda::Permission") {
		if fn := lookup(resources, id, "Properties", "FunctionName"); !isAlias(fn) {
			t.Errorf("%s lets %v invoke %s, not an alias", id, lookup(resources, id, "Properties", "Principal"), jsonOf(fn))
		}
	}
	for _, id := range ofType(resources, "AWS::Lambda::EventSourceMapping") {
		if fn := lookup(resources, id, "Properties", "FunctionName"); !isAlias(fn) {
			t.Errorf("%s feeds %s, not an alias", id, jsonOf(fn))
		}
	}
	for _, id := range ofType(resources, "AWS::Lambda::EventInvokeConfig") {
		if q := lookup(resources, id, "Properties", "Qualifier"); q != aliasName {
			t.Errorf("%s applies to %v, not the alias %s that EventBridge invokes", id, q, aliasName)
		}
	}
	for _, id := range ofType(resources, "AWS::Events::Rule") {
		targets, _ := lookup(resources, id, "Properties", "Targets").([]any)
		for _, tg := range targets {
			if !isAlias(lookup(tg, "Arn")) {
				t.Errorf("%s targets %s, not an alias", id, jsonOf(lookup(tg, "Arn")))
			}
		}
	}
	// Every integration and the authorizer of the API's definition.
	uris := regexp.MustCompile(`functions/\$\{([A-Za-z0-9]+)\}/invocations|"__FunctionArn__":\{"Ref":"([A-Za-z0-9]+)"\}`).FindAllStringSubmatch(jsonOf(lookup(resources, httpAPIID, "Properties", "Body")), -1)
	if len(uris) < len(templateRouteKeys(t))+1 {
		t.Errorf("the API's definition invokes %d functions, want one per route and the authorizer", len(uris))
	}
	for _, u := range uris {
		if target := u[1] + u[2]; !isAlias(map[string]any{"Ref": target}) {
			t.Errorf("the API invokes %s, not an alias", target)
		}
	}
}

// alarmSpec says what one alarm watches: a metric of AWS's (or an
// expression), and the resource it names.
type alarmSpec struct {
	namespace, metric, statistic string
	dimension                    string // the dimension's value as JSON
	expression                   string // a substring of the returned expression
}

// TestTranslatedAlarms: the alarms the README lists exist, each telling
// the alarm topic when it fires and when it recovers, and the dashboard
// shows every one.
func TestTranslatedAlarms(t *testing.T) {
	tpl := translated(t)
	resources := resourcesOf(tpl)
	want := map[string]alarmSpec{
		apiErrorRateAlarm: {expression: "100 * FILL(errors, 0) / requests"},
		apiLatencyAlarm:   {namespace: "AWS/ApiGateway", metric: "Latency", statistic: "p99", dimension: ref(httpAPIID)},
		queueAgeAlarm:     {namespace: "AWS/SQS", metric: "ApproximateAgeOfOldestMessage", statistic: "Maximum", dimension: getAtt(actionsQueue, "QueueName")},
		tableThrottles:    {expression: "SUM(ThrottledRequests)"},
		tableSystemErrors: {expression: "SUM(SystemErrors)"},
		// The contract events: records not published, and the stream's lag.
		eventsFailuresAlarm: {expression: "FILL(failed, 0) + FILL(refused, 0)"},
		eventsIteratorAge:   {namespace: "AWS/Lambda", metric: "IteratorAge", statistic: "Maximum", dimension: ref(eventsFunction)},
	}
	for id := range functions(t) {
		for suffix, metric := range functionAlarms {
			spec := alarmSpec{namespace: "AWS/Lambda", metric: metric, statistic: "Sum", dimension: ref(id)}
			if metric == "Duration" {
				spec.statistic = "p99"
			}
			if id == authorizerID && metric == "Errors" {
				// Its refusals are errors to Lambda: they are taken out.
				spec = alarmSpec{expression: "FILL(errors, 0) - FILL(refusals, 0)"}
			}
			want[id+suffix] = spec
		}
	}
	for _, q := range deadLetterQueues {
		want[q+"Alarm"] = alarmSpec{namespace: "AWS/SQS", metric: "ApproximateNumberOfMessagesVisible", statistic: "Maximum", dimension: getAtt(q, "QueueName")}
	}
	alarms := ofType(resources, "AWS::CloudWatch::Alarm")
	if a, b := setDiff(alarms, sortedKeys(want)); len(a)+len(b) > 0 {
		t.Errorf("alarms beyond the expected: %v; expected but absent: %v", a, b)
	}
	for _, id := range alarms {
		spec, ok := want[id]
		if !ok {
			continue
		}
		t.Run(id, func(t *testing.T) {
			p := lookup(resources, id, "Properties")
			for _, k := range []string{"AlarmActions", "OKActions"} {
				if got := jsonOf(lookup(p, k)); got != "["+ref(alarmTopic)+"]" {
					t.Errorf("%s %s, want the alarm topic", k, got)
				}
			}
			if got := lookup(p, "TreatMissingData"); got != "notBreaching" {
				t.Errorf("TreatMissingData %v: no traffic is no alarm", got)
			}
			if spec.expression != "" {
				var returned []string
				for _, m := range lookup(p, "Metrics").([]any) {
					if lookup(m, "ReturnData") == true {
						returned = append(returned, jsonOf(lookup(m, "Expression")))
					}
				}
				if len(returned) != 1 || !strings.Contains(returned[0], spec.expression) {
					t.Errorf("alarm returns %v, want one expression with %q", returned, spec.expression)
				}
				return
			}
			got := alarmSpec{namespace: fmt.Sprint(lookup(p, "Namespace")), metric: fmt.Sprint(lookup(p, "MetricName"))}
			got.statistic = fmt.Sprint(lookup(p, "Statistic"))
			if s := lookup(p, "ExtendedStatistic"); s != nil {
				got.statistic = fmt.Sprint(s)
			}
			dims, _ := lookup(p, "Dimensions").([]any)
			for _, d := range dims {
				if n := lookup(d, "Name"); n == "FunctionName" || n == "QueueName" || n == "ApiId" {
					got.dimension = jsonOf(lookup(d, "Value"))
				}
			}
			if got != spec {
				t.Errorf("alarm watches %+v, want %+v", got, spec)
			}
		})
	}

	// A function whose p99 nears its timeout pages before it times out.
	for id := range functions(t) {
		timeout, _ := lookup(resources, id, "Properties", "Timeout").(float64)
		threshold, _ := lookup(resources, id+"DurationAlarm", "Properties", "Threshold").(float64)
		if timeout == 0 || threshold != 0.8*timeout*1000 {
			t.Errorf("%s: duration alarm at %v ms, want 80%% of its timeout (%v s)", id, threshold, timeout)
		}
	}

	if got := jsonOf(lookup(resources, alarmTopic, "Properties", "Subscription")); got != `{"Fn::If":["HasAlarmEmail",[{"Endpoint":{"Ref":"AlarmEmail"},"Protocol":"email"}],{"Ref":"AWS::NoValue"}]}` {
		t.Errorf("%s subscribes %s, want the AlarmEmail parameter's address when it is set", alarmTopic, got)
	}

	// The dashboard: valid JSON once CloudFormation substitutes it, its
	// alarm widget lists every alarm.
	sub, _ := lookup(resources, dashboard, "Properties", "DashboardBody", "Fn::Sub").(string)
	names := regexp.MustCompile(`\$\{([A-Za-z0-9:]+)(\.[A-Za-z]+)?\}`)
	body := names.ReplaceAllStringFunc(sub, func(s string) string {
		m := names.FindStringSubmatch(s)
		if _, ok := resources[m[1]]; !ok && lookup(tpl, "Parameters", m[1]) == nil && !strings.HasPrefix(m[1], "AWS::") {
			t.Errorf("the dashboard names %s, which is no resource or parameter", m[1])
		}
		if m[2] == "" && lookup(tpl, "Parameters", m[1], "Type") == "Number" {
			return "1"
		}
		return "sub:" + m[1] + m[2]
	})
	var board struct {
		Widgets []struct {
			Type       string `json:"type"`
			Properties struct {
				Alarms []string `json:"alarms"`
			} `json:"properties"`
		} `json:"widgets"`
	}
	if err := json.Unmarshal([]byte(body), &board); err != nil {
		t.Fatalf("the dashboard body is not JSON: %v", err)
	}
	var shown []string
	for _, w := range board.Widgets {
		if w.Type == "alarm" {
			for _, a := range w.Properties.Alarms {
				shown = append(shown, strings.TrimSuffix(strings.TrimPrefix(a, "sub:"), ".Arn"))
			}
		}
	}
	if a, b := setDiff(shown, alarms); len(a)+len(b) > 0 {
		t.Errorf("the dashboard shows alarms %v that do not exist, and not %v", a, b)
	}
}

// TestTranslatedTableAndQueue: the table cannot be deleted while its
// deletion protection is on, and Contributor Insights watches it and each
// index; the queue keeps at most QueueMaximumConcurrency instances busy.
func TestTranslatedTableAndQueue(t *testing.T) {
	tpl := translated(t)
	resources := resourcesOf(tpl)
	p := lookup(resources, tableID, "Properties")
	if got := lookup(p, "DeletionProtectionEnabled"); got != true {
		t.Errorf("%s DeletionProtectionEnabled = %v", tableID, got)
	}
	if got := lookup(p, "ContributorInsightsSpecification", "Enabled"); got != true {
		t.Errorf("%s Contributor Insights %v", tableID, got)
	}
	indexes, _ := lookup(p, "GlobalSecondaryIndexes").([]any)
	for _, ix := range indexes {
		if got := lookup(ix, "ContributorInsightsSpecification", "Enabled"); got != true {
			t.Errorf("index %v Contributor Insights %v", lookup(ix, "IndexName"), got)
		}
	}
	for _, id := range ofType(resources, "AWS::Lambda::EventSourceMapping") {
		if id == eventsMapping {
			// A stream's mapping has no ScalingConfig; it takes one
			// instance per shard (TestContractEventsFeed).
			continue
		}
		if got := jsonOf(lookup(resources, id, "Properties", "ScalingConfig", "MaximumConcurrency")); got != ref("QueueMaximumConcurrency") {
			t.Errorf("%s MaximumConcurrency %s, want the QueueMaximumConcurrency parameter", id, got)
		}
	}
}

// filterPattern is a CloudWatch Logs JSON filter pattern of the one form
// the template uses: { $.field OP value }, value a number or a quoted
// string that may end in *.
type filterPattern struct {
	field, op, value string
}

var patternRE = regexp.MustCompile(`^\{ \$\.([A-Za-z]+) (=|>|>=) ("[^"*]*\*?"|[0-9]+) \}$`)

func parsePattern(t *testing.T, s string) filterPattern {
	t.Helper()
	m := patternRE.FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("filter pattern %q is not of the form { $.field OP value } this test evaluates", s)
	}
	return filterPattern{field: m[1], op: m[2], value: m[3]}
}

// matches tells whether a JSON log line matches, as CloudWatch Logs
// would: a string compared with = (a trailing * matching any rest), a
// number with =, > or >=; a missing field never matches.
func (p filterPattern) matches(line map[string]any) bool {
	v, ok := line[p.field]
	if !ok {
		return false
	}
	if strings.HasPrefix(p.value, `"`) {
		s, ok := v.(string)
		want := strings.Trim(p.value, `"`)
		if !ok || p.op != "=" {
			return false
		}
		if prefix, wild := strings.CutSuffix(want, "*"); wild {
			return strings.HasPrefix(s, prefix)
		}
		return s == want
	}
	n, ok := v.(float64)
	want, _ := strconv.ParseFloat(p.value, 64)
	switch {
	case !ok:
		return false
	case p.op == "=":
		return n == want
	case p.op == ">":
		return n > want
	default:
		return n >= want
	}
}

// metricFilter returns a metric filter's log group, pattern and metric.
func metricFilter(t *testing.T, id string) (group string, p filterPattern, metric string) {
	t.Helper()
	_, raw := load(t)
	props := lookup(raw, "Resources", id, "Properties")
	transforms, _ := lookup(props, "MetricTransformations").([]any)
	if len(transforms) != 1 {
		t.Fatalf("%s has %d metric transformations", id, len(transforms))
	}
	if ns := lookup(transforms[0], "MetricNamespace"); ns != "!Sub ContractsService/${AWS::StackName}" {
		t.Errorf("%s counts into namespace %v, want the stack's own", id, ns)
	}
	return fmt.Sprint(lookup(props, "LogGroupName")), parsePattern(t, fmt.Sprint(lookup(props, "FilterPattern"))), fmt.Sprint(lookup(transforms[0], "MetricName"))
}

// TestAccessLogMetricFilters: rendered for a request of each kind, the
// access log's lines are counted as requests, and as 5xx answers exactly
// when they are, which the API's error-rate alarm divides.
func TestAccessLogMetricFilters(t *testing.T) {
	_, raw := load(t)
	format := fmt.Sprint(lookup(raw, "Resources", httpAPIID, "Properties", "AccessLogSettings", "Format"))
	reqGroup, requests, reqMetric := metricFilter(t, requestsFilter)
	errGroup, errors5xx, errMetric := metricFilter(t, serverErrorFilter)
	for _, g := range []string{reqGroup, errGroup} {
		if g != "!Ref "+accessLogGroup {
			t.Errorf("a filter reads %s, want the access log %s", g, accessLogGroup)
		}
	}
	alarm := jsonOf(lookup(raw, "Resources", apiErrorRateAlarm, "Properties", "Metrics"))
	for _, m := range []string{reqMetric, errMetric} {
		if !strings.Contains(alarm, `"MetricName":"`+m+`"`) {
			t.Errorf("%s does not read %s", apiErrorRateAlarm, m)
		}
	}
	for _, tc := range []struct {
		status string
		is5xx  bool
	}{{"200", false}, {"201", false}, {"401", false}, {"429", false}, {"499", false}, {"500", true}, {"502", true}, {"503", true}, {"504", true}} {
		line := accessLogLine(t, format, map[string]string{"status": tc.status, "responseLatency": "5", "requestId": "r"})
		if !requests.matches(line) {
			t.Errorf("a %s is not counted as a request", tc.status)
		}
		if errors5xx.matches(line) != tc.is5xx {
			t.Errorf("a %s counted as a 5xx: %v, want %v", tc.status, !tc.is5xx, tc.is5xx)
		}
	}
}

// logLines decodes JSON log lines.
func logLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		lines = append(lines, m)
	}
	return lines
}

// TestAuthorizerRefusalsCounted runs the authorizer over DynamoDB Local
// and reads what it logs with the refusals filter of its log group: each
// refused request (no token, an unknown one, a revoked one) is counted
// exactly once, so that its errors alarm, errors less refusals, sees
// only failures; a failed lookup and an authorized request never are.
func TestAuthorizerRefusalsCounted(t *testing.T) {
	group, refusals, metric := metricFilter(t, refusalsFilter)
	if group != "!Ref "+logGroupOf(authorizerID) {
		t.Errorf("%s reads %s, want the authorizer's log group", refusalsFilter, group)
	}
	_, raw := load(t)
	if !strings.Contains(jsonOf(lookup(raw, "Resources", authorizerID+"ErrorsAlarm", "Properties", "Metrics")), `"MetricName":"`+metric+`"`) {
		t.Errorf("the authorizer's errors alarm does not read %s", metric)
	}

	client, table := ddbtest.NewTable(t)
	store := ddb.New(client, table)
	ctx := context.Background()
	now := time.Now()
	ddbtest.CreateTenant(t, store, auth.Tenant{ID: "tenant-a", Aliases: []string{"tnt_a"}, CreatedAt: now})
	cred, token := auth.NewToken("tenant-a", now)
	if err := store.CreateCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	revoked, revokedToken := auth.NewToken("tenant-a", now)
	if err := store.CreateCredential(ctx, revoked); err != nil {
		t.Fatal(err)
	}
	if err := store.RevokeCredential(ctx, revoked.ID, now); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		store   *ddb.Store
		headers map[string]string
		refused bool
		errs    bool
	}{
		{"no token", store, map[string]string{}, true, true},
		{"unknown token", store, map[string]string{"authorization": "Bearer ctk_0123456789abcdef0123456789abcdef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}, true, true},
		{"revoked token", store, map[string]string{"x-api-key": revokedToken}, true, true},
		{"authorized", store, map[string]string{"authorization": "Bearer " + token}, false, false},
		// A table that does not exist: the lookup fails, which is a
		// failure for the alarm to see.
		{"lookup fails", ddb.New(client, table+"-missing"), map[string]string{"authorization": "Bearer " + token}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
			req := events.APIGatewayV2CustomAuthorizerV2Request{RouteKey: "GET /api/v1/contracts", Headers: tc.headers}
			req.RequestContext.RequestID = "req-" + tc.name
			_, err := auth.NewAuthorizer(tc.store, log).Handle(ctx, req)
			if (err != nil) != tc.errs {
				t.Fatalf("Handle: %v, want an error: %v", err, tc.errs)
			}
			counted := 0
			for _, line := range logLines(t, buf.String()) {
				if refusals.matches(line) {
					counted++
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tc.refused]; counted != want {
				t.Errorf("counted %d refusals, want %d; logged:\n%s", counted, want, buf.String())
			}
		})
	}
}
