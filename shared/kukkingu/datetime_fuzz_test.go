package kukkingu

import (
	"testing"
)

// FuzzKukkinguDateTime holds the three date-time functions to each other:
// every string the pattern accepts parses, and what the service writes
// for that instant is itself accepted and parses to the same instant, so
// a value read back can always be written again unchanged.
func FuzzKukkinguDateTime(f *testing.F) {
	for _, s := range []string{
		"2023-10-05T14:48:00.000Z", "2023-10-05T14:48Z", "2023-10-05T14:48:07Z",
		"2023-10-05T14:48:07.5Z", "2023-10-05T14:48:07.123456789Z", "2023-10-05T14:48:07.1234567891234Z",
		"2024-02-29T23:59:59.999999999Z", "2000-02-29T00:00Z", "1900-02-28T00:00Z", "0000-02-29T00:00Z",
		"0000-01-01T00:00:00.000000000001Z", "9999-12-31T23:59:59.9999999999Z",
		"2023-02-29T00:00Z", "2023-10-05T14:48:00+01:00", "2023-10-05", "", "T", "2023-10-05T14:48:00.Z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !validDateTime(s) {
			return
		}
		parsed, err := parseDateTime(s)
		if err != nil {
			t.Fatalf("%q matches the pattern but does not parse: %v", s, err)
		}
		written := formatDateTime(parsed)
		if !validDateTime(written) {
			t.Fatalf("%q is written as %q, which the pattern refuses", s, written)
		}
		again, err := parseDateTime(written)
		if err != nil {
			t.Fatalf("%q is written as %q, which does not parse: %v", s, written, err)
		}
		if !again.Equal(parsed) {
			t.Fatalf("%q is written as %q, which parses to %v, not %v", s, written, again, parsed)
		}
		if formatDateTime(again) != written {
			t.Fatalf("writing %q is not stable: %q, then %q", s, written, formatDateTime(again))
		}
	})
}
