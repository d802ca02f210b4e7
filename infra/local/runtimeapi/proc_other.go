//go:build !unix

package runtimeapi

import "os/exec"

// ownProcessGroup leaves the default: exec.CommandContext kills the
// process itself when cancelled.
func ownProcessGroup(cmd *exec.Cmd) {}
