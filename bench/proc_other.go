//go:build !unix

package main

import "os/exec"

// inOwnGroup leaves the default where there are no process groups:
// cancelling kills the process itself.
func inOwnGroup(cmd *exec.Cmd) {}

// processCPU is not available here; the benchmarks then report wall time
// only.
func processCPU() (user, system int64, ok bool) { return 0, 0, false }
