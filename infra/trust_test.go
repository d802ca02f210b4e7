package infra_test

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/httpapi"
)

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

// TestCfnLint runs AWS's CloudFormation linter, where it is installed
// (pip install cfn-lint), over the template.
func TestCfnLint(t *testing.T) {
	if _, err := exec.LookPath("cfn-lint"); err != nil {
		t.Skip("cfn-lint is not installed (pip install cfn-lint)")
	}
	out, err := exec.Command("cfn-lint", templatePath).CombinedOutput()
	if err != nil {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
}
