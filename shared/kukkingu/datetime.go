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
// beyond nanoseconds are cut, not rounded, so an instant never moves later.
func parseDateTime(s string) (time.Time, error) {
	if strings.Count(s[len("2006-01-02T"):], ":") == 1 {
		// No seconds: "2023-10-05T14:48Z".
		return time.Parse("2006-01-02T15:04Z", s)
	}
	if dot := strings.IndexByte(s, '.'); dot >= 0 && len(s)-dot-2 > 9 {
		s = s[:dot+10] + "Z"
	}
	return time.Parse(time.RFC3339Nano, s)
}

// Layouts of Kukkingu's date-times: milliseconds always, and more
// digits only when a time has them.
const (
	layoutMillis = "2006-01-02T15:04:05.000Z"
	layoutNanos  = "2006-01-02T15:04:05.999999999Z"
)

// formatDateTime writes t the way Kukkingu does, with milliseconds
// ("2023-10-05T14:48:00.000Z"), and with more digits only when t has them,
// so a value reads back as precisely as it was written.
func formatDateTime(t time.Time) string { return t.UTC().Format(layoutOf(t)) }

// layoutOf is the layout formatDateTime writes t with.
func layoutOf(t time.Time) string {
	if t.Nanosecond()%int(time.Millisecond) == 0 {
		return layoutMillis
	}
	return layoutNanos
}
