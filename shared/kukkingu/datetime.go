package kukkingu

import (
	"regexp"
	"strings"
	"time"
)

// dateTimePattern is validFrom's and validTo's pattern, verbatim from
// Kukkingu's API: a calendar-correct date (29 February only in leap years),
// hours and minutes, optional seconds with an optional fraction of any
// length, and a mandatory trailing Z. It is stricter than RFC 3339 (no
// offsets, no lower-case t or z) and looser (seconds may be left out).
var dateTimePattern = regexp.MustCompile(`^(?:(?:\d\d[2468][048]|\d\d[13579][26]|\d\d0[48]|[02468][048]00|[13579][26]00)-02-29|\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|(?:02)-(?:0[1-9]|1\d|2[0-8])))T(?:(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?(?:Z))$`)

// validDateTime reports whether s matches Kukkingu's date-time pattern.
func validDateTime(s string) bool { return dateTimePattern.MatchString(s) }

// parseDateTime parses a string that matches dateTimePattern. Fractions
// beyond milliseconds are cut, not rounded, so an instant never moves
// later: Kukkingu answers to the millisecond, and an instant is kept as it
// is answered, so the order of validFrom and validTo checked on a write
// is the one every read shows.
func parseDateTime(s string) (time.Time, error) {
	if strings.Count(s[len("2006-01-02T"):], ":") == 1 {
		// No seconds: "2023-10-05T14:48Z".
		return time.Parse("2006-01-02T15:04Z", s)
	}
	if dot := strings.IndexByte(s, '.'); dot >= 0 && len(s)-dot-2 > 9 {
		s = s[:dot+10] + "Z"
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	return t.Truncate(time.Millisecond), err
}

// layoutMillis is how Kukkingu writes a date-time, as its documentation
// does ("2023-10-05T14:48:00.000Z"): UTC, seconds and milliseconds
// always, the trailing Z. time.Time.Format cuts finer fractions, never
// rounding a time into the next millisecond.
const layoutMillis = "2006-01-02T15:04:05.000Z"

// formatDateTime writes t the way Kukkingu does.
func formatDateTime(t time.Time) string { return t.UTC().Format(layoutMillis) }
