//go:build !unix

package main

// processCPU is not available here; the benchmarks then report wall time
// only.
func processCPU() (user, system int64, ok bool) { return 0, 0, false }
