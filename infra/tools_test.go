package infra_test

import (
	"os"
	"os/exec"
	"testing"
)

// unavailable stops a test that needs a tool this machine lacks: under CI
// (CI set, as shared/ddb/ddbtest decides) it fails, so a machine without
// the tool can never pass as green; elsewhere it is skipped, saying what
// to install.
func unavailable(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("required under CI: %s", why)
	}
	t.Skipf("skipped: %s", why)
}

// requireTool stops the test (see unavailable) when the command name is
// not on the PATH.
func requireTool(t *testing.T, name, what string) {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		unavailable(t, name+" is not installed: "+what)
	}
}

// requirePython stops the test (see unavailable) when python3 cannot
// import module.
func requirePython(t *testing.T, module, what string) {
	t.Helper()
	requireTool(t, "python3", "the AWS tools run on it")
	if out, err := exec.Command("python3", "-c", "import "+module).CombinedOutput(); err != nil {
		unavailable(t, "python3 cannot import "+module+": "+what+"\n"+string(out))
	}
}
