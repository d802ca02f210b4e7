package kukkingu

import (
	"testing"
	"time"
)

func TestDateTimePattern(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"2023-10-05T14:48:00.000Z", true},
		{"2023-10-05T14:48:00Z", true},
		{"2023-10-05T14:48Z", true},
		{"2023-10-05T14:48:00.123456789123Z", true},
		{"2024-02-29T00:00Z", true},  // leap year
		{"2000-02-29T00:00Z", true},  // divisible by 400
		{"1900-02-29T00:00Z", false}, // divisible by 100, not 400
		{"2023-02-29T00:00Z", false},
		{"2023-02-28T23:59:59Z", true},
		{"2023-04-31T00:00Z", false},
		{"2023-13-01T00:00Z", false},
		{"2023-00-01T00:00Z", false},
		{"2023-10-05T24:00Z", false},
		{"2023-10-05T14:60Z", false},
		{"2023-10-05T14:48:60Z", false},
		{"2023-10-05T14:48:00", false},       // no Z
		{"2023-10-05T14:48:00+00:00", false}, // offsets are not allowed
		{"2023-10-05t14:48:00z", false},
		{"2023-10-05 14:48:00Z", false},
		{"2023-10-05", false},
		{"2023-10-05T14:48:00.Z", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := validDateTime(tt.in); got != tt.want {
				t.Fatalf("validDateTime(%q) = %v, want %v", tt.in, got, tt.want)
			}
			if !tt.want {
				return
			}
			if _, err := parseDateTime(tt.in); err != nil {
				t.Fatalf("a value the pattern accepts does not parse: %v", err)
			}
		})
	}
}

func TestParseAndFormatDateTime(t *testing.T) {
	tests := []struct{ in, out string }{
		{"2023-10-05T14:48:00.000Z", "2023-10-05T14:48:00.000Z"},
		{"2023-10-05T14:48Z", "2023-10-05T14:48:00.000Z"},
		{"2023-10-05T14:48:07Z", "2023-10-05T14:48:07.000Z"},
		{"2023-10-05T14:48:07.5Z", "2023-10-05T14:48:07.500Z"},
		{"2023-10-05T14:48:07.1239Z", "2023-10-05T14:48:07.123Z"}, // cut, not rounded
		{"2023-10-05T14:48:07.123456Z", "2023-10-05T14:48:07.123Z"},
		{"2023-10-05T14:48:07.1234567891234Z", "2023-10-05T14:48:07.123Z"},
		{"2024-02-29T23:59:59.999999999Z", "2024-02-29T23:59:59.999Z"},
	}
	for _, tt := range tests {
		got, err := parseDateTime(tt.in)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.in, err)
		}
		if s := formatDateTime(got); s != tt.out {
			t.Errorf("%q -> %q, want %q", tt.in, s, tt.out)
		}
		if got.Nanosecond()%int(time.Millisecond) != 0 {
			t.Errorf("%q is kept as %v, finer than the millisecond it is answered in", tt.in, got)
		}
	}
	// An instant another API keeps to the nanosecond (the last instant of
	// an inclusive day) is written at its millisecond, never rounded up
	// into the next day.
	if s := formatDateTime(time.Date(2024, 12, 31, 23, 59, 59, 999999999, time.UTC)); s != "2024-12-31T23:59:59.999Z" {
		t.Errorf("the last instant of a day is written as %s", s)
	}
	if s := formatDateTime(time.Date(2023, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600))); s != "2023-01-02T02:04:05.000Z" {
		t.Errorf("a non-UTC time must be written in UTC, got %s", s)
	}
}
