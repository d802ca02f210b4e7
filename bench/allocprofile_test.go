package main

import (
	"math"
	"strings"
	"testing"
)

var sinkSmall *[64]byte
var sinkLarge *[4096]byte

// allocateTwo allocates exactly two heap objects per call.
//
//go:noinline
func allocateTwo() {
	sinkSmall = new([64]byte)
	sinkLarge = new([4096]byte)
}

func TestProfileRequestsNamesTheAllocatingFunction(t *testing.T) {
	sites, err := profileRequests(func() error {
		allocateTwo()
		return nil
	}, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if len(sites) == 0 || !strings.HasSuffix(sites[0].Function, ".allocateTwo") {
		t.Fatalf("top site %+v, want allocateTwo", sites)
	}
	if math.Abs(sites[0].PerRequest-2) > 0.05 || sites[0].Share < 0.9 {
		t.Fatalf("allocateTwo: %.2f objects per call, %.0f%% of all; want 2 and nearly all", sites[0].PerRequest, sites[0].Share*100)
	}
}
