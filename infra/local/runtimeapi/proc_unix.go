//go:build unix

package runtimeapi

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts the process in a group of its own and makes
// cancelling it kill the whole group, so nothing the bootstrap started
// outlives it, and a Ctrl-C meant for the parent is not delivered to it
// twice.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		// Lambda ends an environment with SIGKILL; so does this.
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
