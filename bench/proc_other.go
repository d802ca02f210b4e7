//go:build !unix

package main

import "os/exec"

// inOwnGroup leaves the default where there are no process groups:
// cancelling kills the process itself.
func inOwnGroup(cmd *exec.Cmd) {}
