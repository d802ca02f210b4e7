package main

import (
	"archive/zip"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInitTraceMediansPerPackage(t *testing.T) {
	run := func(a, b string) []packageInit {
		return parseInitTrace("init runtime @0.01 ms, " + a + " ms clock, 0 bytes, 0 allocs\n" +
			"some other line\n" +
			"init github.com/contracts-service/contracts/shared/y @1.5 ms, " + b + " ms clock, 1024 bytes, 12 allocs\n")
	}
	tr := summarizeInitTraces([][]packageInit{run("0.1", "2"), run("0.2", "9"), run("0.3", "3")})
	if tr.Packages != 2 || tr.Allocs != 12 {
		t.Fatalf("%+v", tr)
	}
	if tr.All[0].Package != "github.com/contracts-service/contracts/shared/y" || tr.All[0].Clock != 3*time.Millisecond {
		t.Fatalf("the slowest package should be y with its median, 3 ms: %+v", tr.All)
	}
	if tr.Clock != 3200*time.Microsecond {
		t.Fatalf("total %v, want 3.2 ms", tr.Clock)
	}
	if g := groupInit(tr); g[otherInitGroup] != 200*time.Microsecond || g["the service's packages"] != 3*time.Millisecond {
		t.Fatalf("groups %v", g)
	}
}

func TestInitGroups(t *testing.T) {
	for pkg, want := range map[string]string{
		"github.com/aws/aws-sdk-go-v2/service/ssooidc/internal/endpoints": "SDK default config and credential chain",
		"github.com/aws/aws-sdk-go-v2/service/dynamodb/schemas":           "DynamoDB client and SDK core",
		"github.com/go-playground/validator/v10":                          "validator and its dependencies",
		"github.com/contracts-service/contracts/shared/auth":              "the service's packages",
		"crypto/md5": otherInitGroup,
	} {
		if got := initGroupOf(pkg); got != want {
			t.Errorf("%s: %q, want %q", pkg, got, want)
		}
	}
}

func TestHelloWorldRecipeSwapsOnlyThePackage(t *testing.T) {
	recipe := "test -n \"build/x\" || { echo \"ARTIFACTS_DIR is not set\" >&2; exit 2; }\n" +
		"CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -tags lambda.norpc -trimpath -ldflags='-s -w' \\\n" +
		"\t-o \"build/x/bootstrap\" ./functions/create-contract\n"
	got, n := helloWorldRecipe(recipe)
	if n != 1 {
		t.Fatalf("replaced %d packages", n)
	}
	if !strings.Contains(got, "-tags lambda.norpc -trimpath -ldflags='-s -w'") || !strings.HasSuffix(got, "./bench/internal/helloworld\n") {
		t.Fatalf("recipe %q", got)
	}
	if _, n := helloWorldRecipe("go build ./cmd/x"); n != 0 {
		t.Fatal("a recipe without a function package must be refused")
	}
}

func TestArtifactZipsTheBootstrapAlone(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bootstrap")
	if err := os.WriteFile(path, bytes.Repeat([]byte("compressible "), 10000), 0o755); err != nil {
		t.Fatal(err)
	}
	a, err := measureArtifact("f", path)
	if err != nil {
		t.Fatal(err)
	}
	if a.Bootstrap != 130000 || a.Zip <= 0 || a.Zip >= a.Bootstrap/10 {
		t.Fatalf("%+v: a Deflate zip of repetitive bytes should be far smaller", a)
	}
}

func TestZipHoldsAnExecutableNamedBootstrap(t *testing.T) {
	data, err := zipBootstrap(strings.NewReader("#!/bin/sh\n"), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 {
		t.Fatalf("%d entries, want the bootstrap alone", len(zr.File))
	}
	if f := zr.File[0]; f.Name != "bootstrap" || f.Mode().Perm() != 0o755 || f.Method != zip.Deflate {
		t.Fatalf("%s %v method %d: Lambda runs an executable bootstrap at the root", f.Name, f.Mode(), f.Method)
	}
}
