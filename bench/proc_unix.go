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

// processCPU returns the CPU time, user and system, this process and its
// threads have used so far.
func processCPU() (user, system int64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, false
	}
	return ru.Utime.Nano(), ru.Stime.Nano(), true
}
