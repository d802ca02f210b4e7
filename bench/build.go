package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// helloWorldID names the hello-world function in the tables.
const helloWorldID = "hello world"

// helloWorldPackage is the hello-world function's package, built with the
// functions' own recipe.
const helloWorldPackage = "./bench/internal/helloworld"

// run runs a command in its own process group, so cancelling ctx ends it
// and everything it started, and returns its combined output.
func run(ctx context.Context, dir string, env []string, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	inOwnGroup(cmd)
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	if err != nil {
		return out.Bytes(), fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return out.Bytes(), nil
}

// makeArgs are the arguments of the Makefile target sam build calls for
// function id, for this machine's architecture so the result can run here.
func makeArgs(id, artifacts, goCmd string) []string {
	return []string{"--no-print-directory", "build-" + id,
		"ARCH=" + runtime.GOARCH, "GOOS=" + runtime.GOOS, "ARTIFACTS_DIR=" + artifacts, "GO=" + goCmd}
}

// functionPackage matches the package a function's build recipe compiles.
var functionPackage = regexp.MustCompile(`\./functions/[A-Za-z0-9_.-]+`)

// buildHelloWorld builds the hello-world function with exactly the
// commands the Makefile runs for function like (its flags, tags,
// environment), only compiling the hello-world package instead. Taking the
// recipe from make itself keeps the comparison fair when the flags change.
func buildHelloWorld(ctx context.Context, root, dir, goCmd, like string) (string, error) {
	artifacts := filepath.Join(dir, "helloworld")
	recipe, err := run(ctx, root, nil, "make", append([]string{"-n"}, makeArgs(like, artifacts, goCmd)...)...)
	if err != nil {
		return "", err
	}
	script, n := helloWorldRecipe(string(recipe))
	if n != 1 {
		return "", fmt.Errorf("the build recipe of %s names %d function packages, want 1:\n%s", like, n, recipe)
	}
	if _, err := run(ctx, root, nil, "sh", "-e", "-c", script); err != nil {
		return "", err
	}
	return filepath.Join(artifacts, "bootstrap"), nil
}

// helloWorldRecipe turns a function's build recipe into the hello world's
// and says how many package paths it replaced.
func helloWorldRecipe(recipe string) (string, int) {
	n := len(functionPackage.FindAllStringIndex(recipe, -1))
	return functionPackage.ReplaceAllLiteralString(recipe, helloWorldPackage), n
}

// artifact is what deploying a function uploads.
type artifact struct {
	Function string
	// Bootstrap is the executable's size.
	Bootstrap int64
	// Zip is the size of the deployment package: the bootstrap alone in a
	// Deflate zip, as sam build and sam deploy package it.
	Zip int64
}

// measureArtifact sizes a bootstrap and its zip, made in memory.
func measureArtifact(id, path string) (artifact, error) {
	f, err := os.Open(path)
	if err != nil {
		return artifact{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return artifact{}, err
	}
	data, err := zipBootstrap(f, st.ModTime())
	if err != nil {
		return artifact{}, err
	}
	return artifact{Function: id, Bootstrap: st.Size(), Zip: int64(len(data))}, nil
}

// zipBootstrap makes a deployment package: the executable alone, named
// bootstrap at the root, Deflate-compressed.
func zipBootstrap(r io.Reader, modified time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate, Modified: modified}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(w, r); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
