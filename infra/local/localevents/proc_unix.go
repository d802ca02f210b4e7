//go:build unix

package localevents

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup puts cmd in a process group of its own, so that Close
// ends moto_server and any process it started, and nothing else.
func ownProcessGroup(cmd *exec.Cmd) { cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} }

func killProcessGroup(cmd *exec.Cmd) {
	if cmd.Process != nil {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
