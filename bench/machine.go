package main

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
)

// machine is what the numbers were measured on.
type machine struct {
	CPUs      int
	GOOS      string
	GOARCH    string
	CPUModel  string
	MemoryMiB int64
	// GoVersion is the toolchain that built the bootstraps.
	GoVersion string
	// DynamoDBLocal is DynamoDB Local's version.
	DynamoDBLocal string
	Date          time.Time
}

// label is the short form each table row carries.
func (m machine) label() string {
	return fmt.Sprintf("%s/%s, %d CPU", m.GOOS, m.GOARCH, m.CPUs)
}

func describeMachine(ctx context.Context, root, goCmd string) machine {
	m := machine{
		CPUs:          runtime.NumCPU(),
		GOOS:          runtime.GOOS,
		GOARCH:        runtime.GOARCH,
		CPUModel:      cpuModel(),
		MemoryMiB:     memoryMiB(),
		GoVersion:     runtime.Version(),
		DynamoDBLocal: dynamoDBLocalVersion(root),
		Date:          time.Now().UTC(),
	}
	if out, err := run(ctx, root, nil, goCmd, "env", "GOVERSION"); err == nil {
		m.GoVersion = strings.TrimSpace(string(out))
	}
	return m
}

// cpuModel reads the processor's name from /proc/cpuinfo: "model name" on
// x86, and on arm64, where Linux often gives no name, the implementer
// number.
func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, key := range []string{"model name", "Hardware", "CPU implementer"} {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == key && strings.TrimSpace(v) != "" {
				if key == "CPU implementer" {
					return "CPU implementer " + strings.TrimSpace(v)
				}
				return strings.TrimSpace(v)
			}
		}
	}
	return "unknown"
}

func memoryMiB() int64 {
	data, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "MemTotal:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb / 1024
		}
	}
	return 0
}

// dynamoDBLocalVersion reads the version out of the DynamoDB Local jar
// that infra/dynamodb-local.sh installs (its Maven properties), which is
// the one running unless AWS_ENDPOINT_URL_DYNAMODB was set beforehand.
func dynamoDBLocalVersion(root string) string {
	jars, _ := filepath.Glob(filepath.Join(root, ".local", "dynamodb-local-*", "lib", "*", "DynamoDBLocal.jar"))
	for _, jar := range jars {
		zr, err := zip.OpenReader(jar)
		if err != nil {
			continue
		}
		for _, f := range zr.File {
			if !strings.HasSuffix(f.Name, "/DynamoDBLocal/pom.properties") {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(io.LimitReader(rc, 1<<16))
			rc.Close()
			for _, line := range strings.Split(string(data), "\n") {
				// The file spells the key "Version" in some releases.
				if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && strings.EqualFold(k, "version") {
					zr.Close()
					return v
				}
			}
		}
		zr.Close()
	}
	return "unknown"
}

// loadSampler samples the machine's one-minute load average while the
// benchmarks run. Other processes compete for the same CPUs; the report
// shows how busy the machine was so its numbers can be judged.
type loadSampler struct {
	mu      sync.Mutex
	samples []float64
	stop    chan struct{}
}

func startLoadSampler(every time.Duration) *loadSampler {
	l := &loadSampler{stop: make(chan struct{})}
	go func() {
		for {
			if v, ok := loadAverage(); ok {
				l.mu.Lock()
				l.samples = append(l.samples, v)
				l.mu.Unlock()
			}
			select {
			case <-l.stop:
				return
			case <-time.After(every):
			}
		}
	}()
	return l
}

// Stop ends the sampling and returns the samples; it may be called more
// than once.
func (l *loadSampler) Stop() []float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	return append([]float64(nil), l.samples...)
}

// loadAverage reads the one-minute load average where Linux exposes it.
func loadAverage() (float64, bool) {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return v, err == nil
}

// MemoryGiB is the machine's memory in GiB.
func (m machine) MemoryGiB() float64 { return float64(m.MemoryMiB) / 1024 }
