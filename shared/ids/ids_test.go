package ids

import (
	"regexp"
	"testing"
)

func TestShapes(t *testing.T) {
	tests := []struct {
		name    string
		make    func() string
		pattern string
	}{
		{"LowerAlnum", func() string { return LowerAlnum("ctr_", 24) }, `^ctr_[a-z0-9]{24}$`},
		{"UUID", UUID, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"Hex", func() string { return Hex(12) }, `^[0-9a-f]{24}$`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			re := regexp.MustCompile(tt.pattern)
			seen := map[string]bool{}
			for i := 0; i < 1000; i++ {
				id := tt.make()
				if !re.MatchString(id) {
					t.Fatalf("%q does not match %s", id, tt.pattern)
				}
				if seen[id] {
					t.Fatalf("%q made twice", id)
				}
				seen[id] = true
			}
		})
	}
}

// Every character must be drawn: a biased or truncated alphabet would
// show as characters that never appear.
func TestLowerAlnumUsesWholeAlphabet(t *testing.T) {
	counts := map[rune]int{}
	for i := 0; i < 200; i++ {
		for _, r := range LowerAlnum("", 100) {
			counts[r]++
		}
	}
	if len(counts) != len(lowerAlnum) {
		t.Fatalf("%d distinct characters, want %d", len(counts), len(lowerAlnum))
	}
}
