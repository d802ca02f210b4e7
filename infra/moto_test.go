//go:build unix

package infra_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// motoCannotCreate are the resource types of the translated template
// that moto's CloudFormation (moto 5) has no model for: it would skip
// them without a word, and fail on the first reference to one. The test
// deploys a copy without them and fails when this list and moto's own
// differ, so that what is not deployed is always this list, said aloud.
// The template tests (TestTranslated*) hold their properties instead.
var motoCannotCreate = []string{
	"AWS::ApiGatewayV2::Api",
	"AWS::ApiGatewayV2::Stage",
	"AWS::CloudWatch::Alarm",
	"AWS::CodeDeploy::Application",
	"AWS::CodeDeploy::DeploymentGroup",
	"AWS::EventSchemas::Registry",
	"AWS::EventSchemas::Schema",
	"AWS::Events::EventBusPolicy",
	"AWS::Lambda::Alias",
	"AWS::Lambda::EventInvokeConfig",
	"AWS::Logs::MetricFilter",
	"AWS::SQS::QueuePolicy",
}

const motoBucket = "contracts-artifacts"

// motoTemplate returns the translated template as moto can deploy it:
// without the resources of the types in drop, and with every reference
// to one rewritten, as rewrites records:
//   - a reference to a function's alias names the function itself: moto
//     creates the alias's version but answers neither Ref nor GetAtt for
//     it;
//   - a reference to any other resource left out is the text
//     "moto-cannot-create:<LogicalId>[.<attribute>]";
//   - a Ref to an event bus is its GetAtt Name, which CloudFormation's Ref
//     returns and moto's does not;
//   - each function's code is s3://motoBucket/<LogicalId>.zip.
func motoTemplate(tpl map[string]any, drop map[string]bool) (out map[string]any, rewrites map[string]int) {
	resources := resourcesOf(tpl)
	dropped := map[string]bool{}
	for id, r := range resources {
		if drop[fmt.Sprint(lookup(r, "Type"))] {
			dropped[id] = true
		}
	}
	rewrites = map[string]int{}
	target := func(id, attribute string) any {
		switch {
		case lookup(resources, id, "Type") == "AWS::Lambda::Alias":
			rewrites["alias -> function"]++
			return map[string]any{"Fn::GetAtt": []any{lookup(resources, id, "Properties", "FunctionName", "Ref"), "Arn"}}
		case dropped[id]:
			rewrites["left out -> text"]++
			if attribute != "" {
				return "moto-cannot-create:" + id + "." + attribute
			}
			return "moto-cannot-create:" + id
		case attribute == "" && lookup(resources, id, "Type") == "AWS::Events::EventBus":
			rewrites["bus Ref -> GetAtt Name"]++
			return map[string]any{"Fn::GetAtt": []any{id, "Name"}}
		}
		return nil
	}
	subRE := regexp.MustCompile(`\$\{([A-Za-z0-9]+)(?:\.([A-Za-z]+))?\}`)
	var walk func(v any) any
	walk = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			if id, ok := v["Ref"].(string); ok && len(v) == 1 {
				if r := target(id, ""); r != nil {
					return r
				}
			}
			if ga, ok := v["Fn::GetAtt"].([]any); ok && len(v) == 1 && len(ga) == 2 {
				if r := target(fmt.Sprint(ga[0]), fmt.Sprint(ga[1])); r != nil {
					return r
				}
			}
			if sub, ok := v["Fn::Sub"]; ok && len(v) == 1 {
				rewrite := func(s string) string {
					return subRE.ReplaceAllStringFunc(s, func(m string) string {
						p := subRE.FindStringSubmatch(m)
						switch r := target(p[1], p[2]).(type) {
						case string:
							return r
						case map[string]any:
							// An alias or a bus: ${Function.Arn}, ${Bus.Name}.
							ga := r["Fn::GetAtt"].([]any)
							return "${" + fmt.Sprint(ga[0]) + "." + fmt.Sprint(ga[1]) + "}"
						}
						return m
					})
				}
				switch s := sub.(type) {
				case string:
					return map[string]any{"Fn::Sub": rewrite(s)}
				case []any:
					return map[string]any{"Fn::Sub": []any{rewrite(fmt.Sprint(s[0])), walk(s[1])}}
				}
			}
			out := make(map[string]any, len(v))
			for k, e := range v {
				out[k] = walk(e)
			}
			return out
		case []any:
			out := make([]any, len(v))
			for i, e := range v {
				out[i] = walk(e)
			}
			return out
		}
		return v
	}
	kept := map[string]any{}
	for id, r := range resources {
		if dropped[id] {
			continue
		}
		res := walk(r).(map[string]any)
		var deps []any
		switch d := res["DependsOn"].(type) {
		case string:
			deps = []any{d}
		case []any:
			deps = d
		}
		var keep []any
		for _, d := range deps {
			if !dropped[fmt.Sprint(d)] {
				keep = append(keep, d)
			}
		}
		delete(res, "DependsOn")
		if len(keep) > 0 {
			res["DependsOn"] = keep
		}
		if res["Type"] == "AWS::Lambda::Function" {
			res["Properties"].(map[string]any)["Code"] = map[string]any{"S3Bucket": motoBucket, "S3Key": id + ".zip"}
		}
		kept[id] = res
	}
	out = map[string]any{}
	for k, v := range tpl {
		out[k] = v
	}
	out["Resources"] = kept
	if outputs, ok := tpl["Outputs"]; ok {
		out["Outputs"] = walk(outputs)
	}
	return out, rewrites
}

// buildZips builds each function's bootstrap with its Makefile target,
// for the architecture the template deploys it on, and zips it as sam
// package would, into dir/<LogicalId>.zip.
func buildZips(t *testing.T, tpl map[string]any, dir string) {
	t.Helper()
	resources := resourcesOf(tpl)
	for _, id := range ofType(resources, "AWS::Lambda::Function") {
		arch := strings.Trim(jsonOf(lookup(resources, id, "Properties", "Architectures")), `[]"`)
		if arch != "arm64" && arch != "x86_64" {
			t.Fatalf("%s: architectures %s", id, arch)
		}
		goarch := map[string]string{"arm64": "arm64", "x86_64": "amd64"}[arch]
		artifacts := filepath.Join(dir, "build", id)
		cmd := exec.Command("make", "--no-print-directory", "build-"+id, "ARCH="+goarch, "GOOS=linux", "ARTIFACTS_DIR="+artifacts)
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("make build-%s: %v\n%s", id, err, out)
		}
		bootstrap, err := os.ReadFile(filepath.Join(artifacts, "bootstrap"))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		hdr := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
		hdr.SetMode(0o755)
		w, err := zw.CreateHeader(hdr)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(bootstrap); err != nil {
			t.Fatal(err)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "code", id+".zip"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// startMoto starts moto_server on a port of 127.0.0.1 the system picks,
// in a process group of its own that the test kills when it ends, and
// returns its endpoint and what it has logged so far.
func startMoto(t *testing.T) (endpoint string, logged func() string) {
	t.Helper()
	cmd := exec.Command("moto_server", "-H", "127.0.0.1", "-p", "0")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = nil
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var log strings.Builder
	drained := make(chan struct{})
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		<-drained
	})
	found := make(chan string, 1)
	go func() {
		defer close(drained)
		running := regexp.MustCompile(`Running on (http://127\.0\.0\.1:[0-9]+)`)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			mu.Lock()
			log.WriteString(sc.Text() + "\n")
			mu.Unlock()
			if m := running.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
	}()
	logged = func() string {
		mu.Lock()
		defer mu.Unlock()
		return log.String()
	}
	select {
	case endpoint = <-found:
		return endpoint, logged
	case <-drained:
		t.Fatalf("moto_server ended before it listened:\n%s", logged())
	case <-time.After(30 * time.Second):
		t.Fatalf("moto_server did not listen within 30 s:\n%s", logged())
	}
	return "", logged
}

// motoReport is what testdata/moto_deploy.py prints.
type motoReport struct {
	Status    string  `json:"status"`
	Reason    string  `json:"reason"`
	Seconds   float64 `json:"seconds"`
	Resources []struct {
		LogicalResourceID  string `json:"LogicalResourceId"`
		PhysicalResourceID string `json:"PhysicalResourceId"`
		ResourceType       string `json:"ResourceType"`
		ResourceStatus     string `json:"ResourceStatus"`
	} `json:"resources"`
	Outputs                 map[string]string `json:"outputs"`
	Uploaded                map[string]string `json:"uploaded"`
	LogGroups               map[string]int    `json:"logGroups"`
	Dashboards              map[string]string `json:"dashboards"`
	TableDeletionProtection bool              `json:"tableDeletionProtection"`
	TableStream             struct {
		ViewType string `json:"viewType"`
		ARN      string `json:"arn"`
	} `json:"tableStream"`
	Functions           map[string]string   `json:"functions"`
	Versions            map[string][]string `json:"versions"`
	EventSourceMappings []struct {
		Function              string         `json:"function"`
		Source                string         `json:"source"`
		Scaling               map[string]int `json:"scaling"`
		StartingPosition      string         `json:"startingPosition"`
		FunctionResponseTypes []string       `json:"functionResponseTypes"`
		Bisect                bool           `json:"bisect"`
		MaximumRetryAttempts  int            `json:"maximumRetryAttempts"`
		MaximumRecordAge      int            `json:"maximumRecordAgeInSeconds"`
		OnFailure             string         `json:"onFailure"`
	} `json:"eventSourceMappings"`
	Topics    []string          `json:"topics"`
	Buses     []string          `json:"buses"`
	QueueArns map[string]string `json:"queueArns"`
}

// TestDeployOnMoto is a deployment dry run: the template as AWS's SAM
// translator turns it into CloudFormation, with the built bootstraps
// uploaded to S3, created as a stack on moto's CloudFormation, which must
// reach CREATE_COMPLETE with every resource moto can create. Of the
// resources the operations work added, it checks what moto keeps: each
// function's log group with its retention, the alarm topic, the
// dashboard, the published versions, the table's deletion protection,
// the queue consumer's maximum concurrency; and that each function runs
// the code uploaded for it. The types moto cannot create are
// motoCannotCreate, left out and named in the log.
func TestDeployOnMoto(t *testing.T) {
	requireTool(t, "moto_server", "moto's server (pip install 'moto[server]')")
	requirePython(t, "moto.cloudformation.parsing, boto3", "moto and boto3 (pip install 'moto[server]' boto3)")
	tpl := translated(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	out, err := exec.CommandContext(ctx, "python3", "-c",
		"import json; from moto.cloudformation.parsing import get_model_map; print(json.dumps(sorted(get_model_map())))").Output()
	if err != nil {
		t.Fatalf("asking moto what it can create: %v", err)
	}
	var supported []string
	if err := json.Unmarshal(out, &supported); err != nil {
		t.Fatal(err)
	}
	canCreate := map[string]bool{}
	for _, s := range supported {
		canCreate[s] = true
	}
	var cannot []string
	for _, id := range sortedKeys(resourcesOf(tpl)) {
		if typ := fmt.Sprint(lookup(resourcesOf(tpl), id, "Type")); !canCreate[typ] {
			cannot = append(cannot, typ)
		}
	}
	cannot = unique(cannot)
	if a, b := setDiff(cannot, motoCannotCreate); len(a)+len(b) > 0 {
		t.Fatalf("moto cannot create %v, which motoCannotCreate does not list; it lists %v, which moto can create now or the template no longer has: update motoCannotCreate (and the README)", a, b)
	}
	drop := map[string]bool{}
	for _, typ := range motoCannotCreate {
		drop[typ] = true
	}
	deployable, rewrites := motoTemplate(tpl, drop)
	var left []string
	for _, id := range sortedKeys(resourcesOf(tpl)) {
		if drop[fmt.Sprint(lookup(resourcesOf(tpl), id, "Type"))] {
			left = append(left, id)
		}
	}
	t.Logf("moto cannot create %d types; left out %d resources: %s; references rewritten: %v", len(motoCannotCreate), len(left), strings.Join(left, ", "), rewrites)

	dir := t.TempDir()
	for _, d := range []string{"build", "code"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	buildZips(t, tpl, dir)
	body, err := json.Marshal(deployable)
	if err != nil {
		t.Fatal(err)
	}
	templateFile := filepath.Join(dir, "template.json")
	if err := os.WriteFile(templateFile, body, 0o644); err != nil {
		t.Fatal(err)
	}

	endpoint, logged := startMoto(t)
	cmd := exec.CommandContext(ctx, "python3", "testdata/moto_deploy.py", endpoint, templateFile, filepath.Join(dir, "code"), motoBucket)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("deploying on moto: %v\n%s\nmoto_server:\n%s", err, stderr.String(), logged())
	}
	var r motoReport
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if r.Status != "CREATE_COMPLETE" {
		t.Fatalf("stack %s (%s) after %v s\nmoto_server:\n%s", r.Status, r.Reason, r.Seconds, logged())
	}
	t.Logf("CREATE_COMPLETE on moto in %v s, %d resources", r.Seconds, len(r.Resources))

	// Every resource kept is created, as the type the template says.
	physical := map[string]string{}
	created := map[string]string{}
	for _, res := range r.Resources {
		physical[res.LogicalResourceID] = res.PhysicalResourceID
		if res.ResourceStatus == "CREATE_COMPLETE" {
			created[res.LogicalResourceID] = res.ResourceType
		}
	}
	kept := resourcesOf(deployable)
	for _, id := range sortedKeys(kept) {
		if created[id] != lookup(kept, id, "Type") {
			t.Errorf("%s (%v) was not created: %q", id, lookup(kept, id, "Type"), created[id])
		}
	}

	// What the operations work added, as moto keeps it.
	retention := fmt.Sprint(lookup(tpl, "Parameters", "LogRetentionInDays", "Default"))
	wantGroups := map[string]bool{"/aws/apigateway/contracts/access": true}
	for _, fn := range ofType(resourcesOf(tpl), "AWS::Lambda::Function") {
		wantGroups["/aws/lambda/contracts/"+fn] = true
		name := physical[fn]
		if name == "" {
			t.Errorf("function %s not in the stack", fn)
			continue
		}
		if got, want := r.Functions[name], r.Uploaded[fn+".zip"]; got == "" || got != want {
			t.Errorf("%s runs code %q, want the bootstrap built and uploaded for it (%q)", fn, got, want)
		}
		if len(r.Versions[name]) < 2 { // $LATEST and the published one
			t.Errorf("%s has versions %v, want one published", fn, r.Versions[name])
		}
	}
	for g := range wantGroups {
		if got, ok := r.LogGroups[g]; !ok || fmt.Sprint(got) != retention {
			t.Errorf("log group %s: present %v, retention %v days, want %s", g, ok, got, retention)
		}
	}
	if len(r.Topics) != 1 || r.Topics[0] != physical[alarmTopic] {
		t.Errorf("topics %v, want the alarm topic %s", r.Topics, physical[alarmTopic])
	}
	board, ok := r.Dashboards["contracts"]
	if !ok {
		t.Errorf("no dashboard named after the stack: %v", sortedKeys(r.Dashboards))
	} else if !json.Valid([]byte(board)) {
		t.Errorf("the dashboard's body as deployed is not JSON:\n%s", board)
	}
	if !r.TableDeletionProtection {
		t.Error("the table is not protected from deletion")
	}
	wantConcurrency := fmt.Sprint(lookup(tpl, "Parameters", "QueueMaximumConcurrency", "Default"))
	// A queue's physical id is its URL, whose last part is its name, as
	// its ARN's is.
	queueArn := func(id string) string {
		name := physical[id][strings.LastIndex(physical[id], "/")+1:]
		for _, arn := range r.QueueArns {
			if name != "" && strings.HasSuffix(arn, ":"+name) {
				return arn
			}
		}
		return ""
	}
	var queue, stream int
	for _, m := range r.EventSourceMappings {
		switch m.Source {
		case queueArn(actionsQueue):
			queue++
			if fmt.Sprint(m.Scaling["MaximumConcurrency"]) != wantConcurrency {
				t.Errorf("the queue's mapping %+v, want MaximumConcurrency %s", m, wantConcurrency)
			}
		case r.TableStream.ARN:
			stream++
			if !strings.HasSuffix(m.Function, ":"+physical[eventsFunction]) || m.StartingPosition != "TRIM_HORIZON" || !m.Bisect ||
				strings.Join(m.FunctionResponseTypes, ",") != "ReportBatchItemFailures" || m.MaximumRetryAttempts < 1 || m.MaximumRecordAge < 1 ||
				m.OnFailure != queueArn(eventsFailureQueue) {
				t.Errorf("the stream's mapping %+v, want %s's, from the trim horizon, reporting items, bisecting, bounded, failing to %s (%s)",
					m, eventsFunction, eventsFailureQueue, queueArn(eventsFailureQueue))
			}
		default:
			t.Errorf("a mapping of %s, neither the queue nor the table's stream", m.Source)
		}
	}
	if queue != 1 || stream != 1 {
		t.Errorf("mappings %+v, want the queue's and the stream's", r.EventSourceMappings)
	}
	if r.TableStream.ViewType != "NEW_AND_OLD_IMAGES" || r.TableStream.ARN == "" {
		t.Errorf("the table's stream %+v", r.TableStream)
	}
	// The stack is named contracts (testdata/moto_deploy.py).
	if !slices.Contains(r.Buses, "contracts-contract-events") {
		t.Errorf("buses %v, want the contract events' contracts-contract-events", r.Buses)
	}
}

func unique(s []string) []string {
	sort.Strings(s)
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// TestMotoTemplate holds the rewriting to what its comment promises, on
// a small template: what is left out, and what each reference becomes.
func TestMotoTemplate(t *testing.T) {
	tpl := map[string]any{
		"Resources": map[string]any{
			"Fn":      map[string]any{"Type": "AWS::Lambda::Function", "Properties": map[string]any{"Code": map[string]any{"S3Bucket": "b", "S3Key": "k"}}},
			"FnAlias": map[string]any{"Type": "AWS::Lambda::Alias", "Properties": map[string]any{"FunctionName": map[string]any{"Ref": "Fn"}}},
			"Api":     map[string]any{"Type": "AWS::ApiGatewayV2::Api"},
			"Bus":     map[string]any{"Type": "AWS::Events::EventBus"},
			"Perm": map[string]any{"Type": "AWS::Lambda::Permission", "DependsOn": []any{"Api", "Fn"}, "Properties": map[string]any{
				"FunctionName": map[string]any{"Ref": "FnAlias"},
				"SourceArn":    map[string]any{"Fn::Sub": "arn:${Api}/${Api.ApiEndpoint}/${Fn}"},
				"Bus":          map[string]any{"Ref": "Bus"},
			}},
		},
		"Outputs": map[string]any{"Url": map[string]any{"Value": map[string]any{"Fn::GetAtt": []any{"Api", "ApiEndpoint"}}}},
	}
	out, rewrites := motoTemplate(tpl, map[string]bool{"AWS::Lambda::Alias": true, "AWS::ApiGatewayV2::Api": true})
	got := jsonOf(out)
	want := `{"Outputs":{"Url":{"Value":"moto-cannot-create:Api.ApiEndpoint"}},"Resources":{` +
		`"Bus":{"Type":"AWS::Events::EventBus"},` +
		`"Fn":{"Properties":{"Code":{"S3Bucket":"` + motoBucket + `","S3Key":"Fn.zip"}},"Type":"AWS::Lambda::Function"},` +
		`"Perm":{"DependsOn":["Fn"],"Properties":{"Bus":{"Fn::GetAtt":["Bus","Name"]},"FunctionName":{"Fn::GetAtt":["Fn","Arn"]},` +
		`"SourceArn":{"Fn::Sub":"arn:moto-cannot-create:Api/moto-cannot-create:Api.ApiEndpoint/${Fn}"}},"Type":"AWS::Lambda::Permission"}}}`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if rewrites["alias -> function"] != 1 || rewrites["left out -> text"] != 3 || rewrites["bus Ref -> GetAtt Name"] != 1 {
		t.Errorf("rewrites %v", rewrites)
	}
}
