//go:build unix

package main

import "syscall"

// processCPU returns the CPU time, user and system, this process and its
// threads have used so far.
func processCPU() (user, system int64, ok bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, 0, false
	}
	return ru.Utime.Nano(), ru.Stime.Nano(), true
}
