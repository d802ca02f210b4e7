package infra_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/httpapi"
)

const envJSONPath = "env.json"

// declaredVariables returns, for each function of the template as the SAM
// translator makes it, the environment variables it declares: the only
// ones sam local passes it a value for (samcli/local/lambdafn/env_vars.py
// overrides the declared variables and drops any other name).
func declaredVariables(t *testing.T) map[string]map[string]bool {
	t.Helper()
	resources, _ := translated(t)["Resources"].(map[string]any)
	out := map[string]map[string]bool{}
	for id, r := range resources {
		if lookup(r, "Type") != "AWS::Lambda::Function" {
			continue
		}
		vars, _ := lookup(r, "Properties", "Environment", "Variables").(map[string]any)
		out[id] = map[string]bool{}
		for name := range vars {
			out[id][name] = true
		}
	}
	if len(out) == 0 {
		t.Fatal("the translated template has no function")
	}
	return out
}

// TestEnvJSONNamesOnlyDeclaredVariables: every value infra/env.json gives
// reaches a function under sam local. Its Parameters go to every
// function, so every function declares each; a function's own section
// names a function of the template and only what it declares. A name no
// function declares (AWS_REGION and the keys, which Lambda reserves and
// SAM CLI sets itself) would be silently dropped, as
// AWS_ENDPOINT_URL_DYNAMODB was before the template declared it, and
// sam local would talk to real DynamoDB.
func TestEnvJSONNamesOnlyDeclaredVariables(t *testing.T) {
	raw, err := os.ReadFile(envJSONPath)
	if err != nil {
		t.Fatal(err)
	}
	var env map[string]map[string]string
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s is not {section: {name: value}}: %v", envJSONPath, err)
	}
	declared := declaredVariables(t)
	for _, section := range sortedKeys(env) {
		targets := []string{section}
		if section == "Parameters" {
			targets = sortedKeys(declared)
		} else if declared[section] == nil {
			t.Errorf("%s has a section %s, which is no function of the template", envJSONPath, section)
			continue
		}
		for _, name := range sortedKeys(env[section]) {
			for _, fn := range targets {
				if !declared[fn][name] {
					t.Errorf("%s %s.%s: %s does not declare it, so sam local drops it", envJSONPath, section, name, fn)
				}
			}
		}
	}
	// The loop's point: the functions reach DynamoDB Local on the host.
	if got := env["Parameters"]["AWS_ENDPOINT_URL_DYNAMODB"]; !strings.HasPrefix(got, "http://host.docker.internal:") {
		t.Errorf("%s Parameters.AWS_ENDPOINT_URL_DYNAMODB = %q, want DynamoDB Local on the Docker host", envJSONPath, got)
	}
}

// TestNoFunctionRunsAsSAMLocal: the functions take the account of an API
// from AWS_ACCOUNT_ID only when AWS_SAM_LOCAL is "true", as SAM CLI sets
// them (httpapi.EnvSAMLocal); no function of the stack declares either,
// so deployed, the account is always the invoked function's.
func TestNoFunctionRunsAsSAMLocal(t *testing.T) {
	for fn, vars := range declaredVariables(t) {
		for _, name := range []string{httpapi.EnvSAMLocal, "AWS_ACCOUNT_ID"} {
			if vars[name] {
				t.Errorf("%s declares %s", fn, name)
			}
		}
	}
}

// TestBuildIgnoresCallersArchitecture: sam build runs build-<LogicalId>
// in the caller's environment, so an ARCH or GOOS exported there must not
// change what Lambda gets; a value on make's command line (the tests',
// the benchmarks') still does.
func TestBuildIgnoresCallersArchitecture(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"as sam build runs it", nil, nil, "GOOS=linux GOARCH=arm64 "},
		{"ARCH and GOOS exported", []string{"ARCH=x86_64", "GOOS=darwin"}, nil, "GOOS=linux GOARCH=arm64 "},
		{"on the command line", nil, []string{"ARCH=amd64", "GOOS=linux"}, "GOOS=linux GOARCH=amd64 "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"-n", "--no-print-directory", "-f", makefilePath, "build-AuthorizerFunction"}, tt.args...)
			cmd := exec.Command("make", args...)
			cmd.Env = append(os.Environ(), append([]string{"ARTIFACTS_DIR=" + t.TempDir()}, tt.env...)...)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("make: %v\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("make builds with\n%s\nwant %q", out, tt.want)
			}
		})
	}
}
