package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"

	"github.com/contracts-service/contracts/infra/local/runtimeapi"
)

// TemplateFile is the SAM template's name at the repository root.
const TemplateFile = "template.yaml"

// RepoRoot returns the repository root: the nearest directory at or above
// the working directory that holds both go.mod and the template, so the
// local tools work from any directory of the repository.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if fileExists(filepath.Join(dir, "go.mod")) && fileExists(filepath.Join(dir, TemplateFile)) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("gateway: no directory above the working directory holds go.mod and " + TemplateFile)
		}
		dir = parent
	}
}

// LoadRepoTemplate loads the template of the repository the working
// directory is in (see RepoRoot), with parameters overriding its
// parameters' defaults, and returns that repository's root too, which the
// functions are built from.
func LoadRepoTemplate(parameters map[string]string) (root string, api *API, err error) {
	root, err = RepoRoot()
	if err != nil {
		return "", nil, err
	}
	api, err = LoadTemplate(filepath.Join(root, TemplateFile), parameters)
	return root, api, err
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Build builds the bootstrap of each named function for this machine's
// architecture with the Makefile target sam build itself calls
// (build-<LogicalId>, BuildMethod: makefile), into dir/<LogicalId>/bootstrap.
// It returns the bootstrap path of each function. make's output goes to
// out; makeVars are added to make's command line ("GO=go1.26.1" builds
// with another toolchain).
func Build(ctx context.Context, root, dir string, functions []string, out io.Writer, makeVars ...string) (map[string]string, error) {
	if out == nil {
		out = io.Discard
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	paths := map[string]string{}
	for _, id := range functions {
		artifacts := filepath.Join(dir, id)
		args := append([]string{"--no-print-directory", "build-" + id,
			"ARCH=" + runtime.GOARCH, "GOOS=" + runtime.GOOS, "ARTIFACTS_DIR=" + artifacts}, makeVars...)
		cmd := exec.CommandContext(ctx, "make", args...)
		cmd.Dir = root
		cmd.Stdout, cmd.Stderr = out, out
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("gateway: make build-%s: %w", id, err)
		}
		paths[id] = filepath.Join(artifacts, "bootstrap")
	}
	return paths, nil
}

// StackConfig describes a local stack.
type StackConfig struct {
	// Root is the repository root (see RepoRoot).
	Root string
	// BuildDir receives the bootstraps; it must be outside the source
	// tree or git-ignored.
	BuildDir string
	// Parameters override the template's parameter defaults.
	Parameters map[string]string
	// Env is added to every function's environment over the template's
	// own variables: TABLE_NAME, AWS_ENDPOINT_URL_DYNAMODB, AWS_REGION,
	// credentials, LOG_LEVEL.
	Env map[string]string
	// MaxConcurrency bounds each function's processes
	// (runtimeapi.DefaultMaxConcurrency when zero).
	MaxConcurrency int
	// Output returns where a function's logs go; nil discards them.
	Output func(logicalID string) io.Writer
	// BuildOutput receives make's output; nil discards it.
	BuildOutput io.Writer
	// Gateway tunes the HTTP API emulation.
	Gateway Options
}

// Stack is the template's functions, built and ready to run, behind the
// HTTP API emulation.
type Stack struct {
	API       *API
	Functions map[string]*runtimeapi.Function
	Gateway   *Gateway
}

// StartStack builds every function of the template and wires a Gateway to
// them. Processes start on the first request each function gets. Close
// ends them.
func StartStack(ctx context.Context, cfg StackConfig) (*Stack, error) {
	api, err := LoadTemplate(filepath.Join(cfg.Root, TemplateFile), cfg.Parameters)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(api.Functions))
	for id, fn := range api.Functions {
		if fn.BuildMethod != "makefile" {
			return nil, fmt.Errorf("gateway: %s: only BuildMethod makefile functions can be built locally", id)
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	paths, err := Build(ctx, cfg.Root, cfg.BuildDir, ids, cfg.BuildOutput)
	if err != nil {
		return nil, err
	}
	return StartFunctions(api, paths, cfg)
}

// StartFunctions wires a Gateway to bootstraps already built (the paths
// Build returned).
func StartFunctions(api *API, bootstraps map[string]string, cfg StackConfig) (*Stack, error) {
	s := &Stack{API: api, Functions: map[string]*runtimeapi.Function{}}
	invokers := map[string]Invoker{}
	for id, fn := range api.Functions {
		env := map[string]string{}
		for k, v := range fn.Environment {
			env[k] = v
		}
		for k, v := range cfg.Env {
			env[k] = v
		}
		var out io.Writer
		if cfg.Output != nil {
			out = cfg.Output(id)
		}
		f, err := runtimeapi.NewFunction(runtimeapi.Config{
			Name:           id,
			Path:           bootstraps[id],
			Env:            env,
			Handler:        fn.Handler,
			Timeout:        fn.Timeout,
			MemorySize:     fn.MemorySize,
			MaxConcurrency: cfg.MaxConcurrency,
			Region:         cfg.Gateway.Region,
			Output:         out,
		})
		if err != nil {
			s.Close()
			return nil, err
		}
		s.Functions[id] = f
		invokers[id] = f
	}
	g, err := New(api, invokers, cfg.Gateway)
	if err != nil {
		s.Close()
		return nil, err
	}
	s.Gateway = g
	return s, nil
}

// Close kills every process of every function and waits for them.
func (s *Stack) Close() error {
	for _, f := range s.Functions {
		f.Close()
	}
	return nil
}
