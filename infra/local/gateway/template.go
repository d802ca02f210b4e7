package gateway

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/awslabs/goformation/v7"
	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/global"
	"github.com/awslabs/goformation/v7/cloudformation/serverless"
	"github.com/awslabs/goformation/v7/intrinsics"

	"github.com/contracts-service/contracts/infra/local/runtimeapi"
)

// API is what the emulation takes from a SAM template: the HTTP API's
// routes, its Lambda authorizers, its stage's variables, and the functions
// behind them.
type API struct {
	Routes      []Route
	Authorizers map[string]Authorizer
	// StageVariables are the variables of the API's stage, which API
	// Gateway hands to functions and authorizers with every request.
	StageVariables map[string]string
	// Functions holds every AWS::Serverless::Function, by logical id.
	Functions map[string]Function
}

// Route is one HttpApi event of a function.
type Route struct {
	// Method is upper case, or ANY.
	Method string
	// Path is the path template ("/api/v1/contracts/{contractId}"), or
	// "$default" for the catch-all route.
	Path string
	// Function is the logical id of the function the route invokes.
	Function string
	// Event is the event's name in the template.
	Event string
	// Authorizer names the route's authorizer; empty for none.
	Authorizer string
}

// Key returns the route key as API Gateway writes it in events.
func (r Route) Key() string {
	if r.Path == "$default" {
		return "$default"
	}
	return r.Method + " " + r.Path
}

// Authorizer is a Lambda authorizer of the HTTP API.
type Authorizer struct {
	Name string
	// Function is the logical id of the authorizer's function.
	Function string
	// SimpleResponses says the function answers {"isAuthorized": ...}
	// rather than an IAM policy.
	SimpleResponses bool
	// IdentityHeaders and IdentityQueryStrings are the identity sources:
	// a request lacking one is refused with 401 without invoking the
	// authorizer.
	IdentityHeaders      []string
	IdentityQueryStrings []string
	// ResultTTL is how long the authorizer's answer is kept for the
	// identity sources' values (Identity's ReauthorizeEvery); zero keeps
	// none.
	ResultTTL time.Duration
}

// Bounds of an authorizer's cache, as API Gateway's CreateAuthorizer has
// them for HTTP APIs (authorizerResultTtlInSeconds): 300 seconds when the
// template sets none, at most 3600.
const (
	DefaultAuthorizerTTL = 300 * time.Second
	MaxAuthorizerTTL     = 3600 * time.Second
)

// Function is what running a function locally needs from the template,
// with Globals applied.
type Function struct {
	LogicalID     string
	Handler       string
	Runtime       string
	Architectures []string
	Timeout       time.Duration
	MemorySize    int
	// Environment holds the variables whose values the template itself
	// settles (literals, parameter defaults, the local stack's pseudo
	// parameters such as AWS::StackId, a queue's Arn as LocalQueueARN);
	// references to other resources are left to the caller.
	Environment map[string]string
	// BuildMethod is the function's Metadata BuildMethod ("makefile").
	BuildMethod string
}

// LoadTemplate reads a SAM template. Parameters override the template's
// parameter defaults.
func LoadTemplate(path string, parameters map[string]string) (*API, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	api, err := ParseTemplate(data, parameters)
	if err != nil {
		return nil, fmt.Errorf("gateway: %s: %w", path, err)
	}
	return api, nil
}

// ParseTemplate parses a SAM template in YAML or JSON.
func ParseTemplate(data []byte, parameters map[string]string) (*API, error) {
	overrides := map[string]any{}
	for k, v := range parameters {
		overrides[k] = v
	}
	data, err := GoformationYAML(data)
	if err != nil {
		return nil, err
	}
	tpl, err := goformation.ParseYAMLWithOptions(data, &intrinsics.ProcessorOptions{
		ParameterOverrides: overrides,
		IntrinsicHandlerOverrides: map[string]intrinsics.IntrinsicHandler{
			// goformation drops GetAtt; the authorizer's FunctionArn needs
			// the logical id it names.
			"Fn::GetAtt": getAtt,
			"Ref":        ref,
		},
	})
	if err != nil {
		return nil, err
	}
	api := &API{Authorizers: map[string]Authorizer{}, Functions: map[string]Function{}}
	defaultAuthorizer, err := api.readHTTPAPI(tpl)
	if err != nil {
		return nil, err
	}
	var globals *global.Function
	if g, ok := tpl.Globals["Function"].(*global.Function); ok {
		globals = g
	}
	for id, fn := range tpl.GetAllServerlessFunctionResources() {
		f := Function{LogicalID: id, Environment: map[string]string{}}
		// The Globals section first, then the function's own properties,
		// which win, as SAM merges them.
		if globals != nil {
			f.override(globals.Handler, globals.Runtime, deref(globals.Architectures), globals.Timeout, globals.MemorySize, globals.Environment)
		}
		f.override(fn.Handler, fn.Runtime, fn.Architectures, fn.Timeout, fn.MemorySize, fn.Environment)
		if bm, ok := fn.AWSCloudFormationMetadata["BuildMethod"].(string); ok {
			f.BuildMethod = bm
		}
		api.Functions[id] = f

		for name, ev := range fn.Events {
			if ev.Type != "HttpApi" {
				continue
			}
			var props = ev.Properties
			if props == nil || props.HttpApiEvent == nil {
				// An HttpApi event with no properties is the $default
				// route of the implicit API.
				api.Routes = append(api.Routes, Route{Method: "ANY", Path: "$default", Function: id, Event: name, Authorizer: defaultAuthorizer})
				continue
			}
			he := props.HttpApiEvent
			r := Route{Method: "ANY", Path: "$default", Function: id, Event: name, Authorizer: defaultAuthorizer}
			if he.Method != nil {
				r.Method = strings.ToUpper(*he.Method)
			}
			if r.Method == "X-AMAZON-APIGATEWAY-ANY-METHOD" || r.Method == "*" {
				r.Method = "ANY"
			}
			if he.Path != nil {
				r.Path = *he.Path
			}
			if he.Auth != nil && he.Auth.Authorizer != nil {
				r.Authorizer = *he.Auth.Authorizer
				if r.Authorizer == "NONE" {
					r.Authorizer = ""
				}
			}
			if he.PayloadFormatVersion != nil && *he.PayloadFormatVersion != "2.0" {
				return nil, fmt.Errorf("route %s (%s.%s): only payload format 2.0 is emulated", r.Key(), id, name)
			}
			api.Routes = append(api.Routes, r)
		}
	}
	for _, r := range api.Routes {
		if r.Authorizer == "" {
			continue
		}
		if _, ok := api.Authorizers[r.Authorizer]; !ok {
			return nil, fmt.Errorf("route %s names authorizer %q, which the HttpApi does not define", r.Key(), r.Authorizer)
		}
	}
	for _, a := range api.Authorizers {
		if _, ok := api.Functions[a.Function]; !ok {
			return nil, fmt.Errorf("authorizer %s: function %q is not in the template", a.Name, a.Function)
		}
	}
	// Map iteration order is random; a stable order keeps logs and
	// listings reproducible.
	sort.Slice(api.Routes, func(i, j int) bool {
		if api.Routes[i].Path != api.Routes[j].Path {
			return api.Routes[i].Path < api.Routes[j].Path
		}
		return api.Routes[i].Method < api.Routes[j].Method
	})
	return api, nil
}

// readHTTPAPI reads the authorizers of the template's HttpApi and returns
// the name of its default authorizer.
func (api *API) readHTTPAPI(tpl *cloudformation.Template) (string, error) {
	var names []string
	for id, res := range tpl.Resources {
		if res.AWSCloudFormationType() == "AWS::Serverless::HttpApi" {
			names = append(names, id)
		}
	}
	if len(names) == 0 {
		return "", nil
	}
	if len(names) > 1 {
		sort.Strings(names)
		return "", fmt.Errorf("the template defines %d HttpApis (%s); one is emulated", len(names), strings.Join(names, ", "))
	}
	httpAPI, err := tpl.GetServerlessHttpApiWithName(names[0])
	if err != nil {
		return "", err
	}
	if httpAPI.Auth == nil {
		return "", nil
	}
	authorizers, _ := httpAPI.Auth.Authorizers.(map[string]any)
	if len(httpAPI.StageVariables) > 0 {
		api.StageVariables = httpAPI.StageVariables
	}
	for name, raw := range authorizers {
		props, ok := raw.(map[string]any)
		if !ok {
			return "", fmt.Errorf("authorizer %s: not an object", name)
		}
		arn, hasARN := props["FunctionArn"]
		if !hasARN {
			// JWT authorizers have no function; they are not emulated.
			return "", fmt.Errorf("authorizer %s: only Lambda authorizers are emulated", name)
		}
		fn := functionOf(arn)
		if fn == "" {
			return "", fmt.Errorf("authorizer %s: cannot tell which function FunctionArn %v names", name, arn)
		}
		if v, ok := props["AuthorizerPayloadFormatVersion"]; !ok || fmt.Sprint(v) != "2.0" {
			return "", fmt.Errorf("authorizer %s: only AuthorizerPayloadFormatVersion 2.0 is emulated", name)
		}
		a := Authorizer{Name: name, Function: fn}
		a.SimpleResponses, _ = props["EnableSimpleResponses"].(bool)
		identity, _ := props["Identity"].(map[string]any)
		for _, k := range []string{"Context", "StageVariables"} {
			if identity[k] != nil {
				// They would be part of the cache's key, which the
				// emulation would get wrong by leaving them out.
				return "", fmt.Errorf("authorizer %s: identity sources of %s are not emulated", name, k)
			}
		}
		a.IdentityHeaders = strings1(identity["Headers"])
		a.IdentityQueryStrings = strings1(identity["QueryStrings"])
		ttl, err := resultTTL(identity["ReauthorizeEvery"], len(a.IdentityHeaders)+len(a.IdentityQueryStrings) > 0)
		if err != nil {
			return "", fmt.Errorf("authorizer %s: %w", name, err)
		}
		a.ResultTTL = ttl
		api.Authorizers[name] = a
	}
	return deref(httpAPI.Auth.DefaultAuthorizer), nil
}

// The local stack's pseudo parameters: those SAM CLI gives every template
// it runs (samcli/lib/intrinsic_resolver/intrinsics_symbol_table.py,
// DEFAULT_PSEUDO_PARAM_VALUES), which its command line cannot change. So
// make run's stack and sam local's are one stack: the sample events, which
// carry its id as the stage variable stackId, serve both, and sam local
// start-api's own events match the STACK_ID it gives the functions.
const (
	StackName = "local"
	StackID   = "arn:aws:cloudformation:" + DefaultRegion + ":" + runtimeapi.AccountID + ":stack/" + StackName + "/51af3dc0-da77-11e4-872e-1234567db123"
)

var pseudoParameters = map[string]any{
	"AWS::AccountId": runtimeapi.AccountID,
	"AWS::Partition": "aws",
	"AWS::Region":    DefaultRegion,
	"AWS::StackId":   StackID,
	"AWS::StackName": StackName,
	"AWS::URLSuffix": "amazonaws.com",
}

// LocalQueueARN is the ARN the local stack gives the queue of a logical
// id, shaped as CloudFormation names queues (<stack>-<LogicalId>-<suffix>,
// without the suffix).
func LocalQueueARN(logicalID string) string {
	return "arn:aws:sqs:" + DefaultRegion + ":" + runtimeapi.AccountID + ":" + StackName + "-" + logicalID
}

// ref resolves a Ref as CloudFormation would for the local stack: its
// pseudo parameters, and a CommaDelimitedList parameter as a list (which
// goformation leaves a string). A function's alias (SAM's
// "<LogicalId>.Alias", which AutoPublishAlias makes) is kept as that text,
// for functionOf: locally the alias is the function. Anything else is
// goformation's.
func ref(name string, input any, template any) any {
	s, ok := input.(string)
	if !ok {
		return intrinsics.Ref(name, input, template)
	}
	if v, ok := pseudoParameters[s]; ok {
		return v
	}
	if id, ok := strings.CutSuffix(s, ".Alias"); ok && lookup(template, "Resources", id, "Type") == "AWS::Serverless::Function" {
		return s
	}
	if p, ok := lookup(template, "Parameters", s).(map[string]any); ok && p["Type"] == "CommaDelimitedList" {
		if d, ok := p["Default"].(string); ok {
			list := []any{}
			for _, e := range strings.Split(d, ",") {
				if e = strings.TrimSpace(e); e != "" {
					list = append(list, e)
				}
			}
			return list
		}
	}
	return intrinsics.Ref(name, input, template)
}

// getAtt keeps a GetAtt as "LogicalId.Attribute", except a queue's Arn,
// which is LocalQueueARN's.
func getAtt(_ string, input any, template any) any {
	var parts []string
	switch v := input.(type) {
	case string:
		parts = strings.SplitN(v, ".", 2)
	case []any:
		for _, p := range v {
			parts = append(parts, fmt.Sprint(p))
		}
	default:
		return nil
	}
	if len(parts) == 2 && parts[1] == "Arn" && lookup(template, "Resources", parts[0], "Type") == "AWS::SQS::Queue" {
		return LocalQueueARN(parts[0])
	}
	return strings.Join(parts, ".")
}

// lookup follows keys through the nested maps of a raw template.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// functionOf returns the logical id a FunctionArn names: a GetAtt of a
// function's Arn, a Ref of its alias, or a literal ARN whose function name
// is the logical id.
func functionOf(arn any) string {
	s, ok := arn.(string)
	if !ok {
		return ""
	}
	if id, ok := strings.CutSuffix(s, ".Arn"); ok {
		return id
	}
	if id, ok := strings.CutSuffix(s, ".Alias"); ok {
		return id
	}
	if _, name, ok := strings.Cut(s, ":function:"); ok {
		name, _, _ = strings.Cut(name, ":")
		return name
	}
	return ""
}

func strings1(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, x := range list {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func mergeEnv(dst, src map[string]string) {
	for k, v := range src {
		if v == "" {
			// A reference goformation cannot settle (a resource's Ref)
			// arrives empty; the caller supplies it.
			delete(dst, k)
			continue
		}
		dst[k] = v
	}
}

// override sets what one level of the template (Globals, or a function's
// own properties) sets of f: the properties it has, the environment
// variables it names.
func (f *Function) override(handler, runtime *string, architectures []string, timeout, memorySize *int, env *serverless.Function_FunctionEnvironment) {
	if handler != nil {
		f.Handler = *handler
	}
	if runtime != nil {
		f.Runtime = *runtime
	}
	if architectures != nil {
		f.Architectures = architectures
	}
	if timeout != nil {
		f.Timeout = time.Duration(*timeout) * time.Second
	}
	if memorySize != nil {
		f.MemorySize = *memorySize
	}
	if env != nil {
		mergeEnv(f.Environment, env.Variables)
	}
}

// deref is what p points to, or T's zero value when p is nil.
func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// resultTTL reads an authorizer's ReauthorizeEvery, a number of seconds
// (a parameter's value arrives as text): DefaultAuthorizerTTL when absent
// and the authorizer has identity sources, none when it has none, which
// is all API Gateway allows it.
func resultTTL(v any, hasIdentity bool) (time.Duration, error) {
	if v == nil {
		if !hasIdentity {
			return 0, nil
		}
		return DefaultAuthorizerTTL, nil
	}
	seconds, err := strconv.ParseFloat(strings.TrimSpace(fmt.Sprint(v)), 64)
	if err != nil || seconds != math.Trunc(seconds) {
		return 0, fmt.Errorf("ReauthorizeEvery %v is not a whole number of seconds", v)
	}
	ttl := time.Duration(seconds) * time.Second
	switch {
	case ttl < 0 || ttl > MaxAuthorizerTTL:
		return 0, fmt.Errorf("ReauthorizeEvery %v is not 0 to %d seconds", v, int(MaxAuthorizerTTL.Seconds()))
	case ttl > 0 && !hasIdentity:
		return 0, fmt.Errorf("ReauthorizeEvery %v caches answers, but the authorizer has no identity source to key them by", v)
	}
	return ttl, nil
}
