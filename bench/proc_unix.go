//go:build unix

package main

import (
	"os/exec"
	"syscall"
)

// inOwnGroup puts cmd in a process group of its own and makes cancelling
// it kill the whole group, so the compilers a make or go test starts die
// with it instead of running on after the benchmarks have ended.
func inOwnGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}
