package auth

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// The shapes as regexps: the definition the hand-written checks must
// agree with.
var (
	tokenShape = regexp.MustCompile(`^ctk_([0-9a-f]{32})_[A-Za-z0-9_-]{43}$`)
	idShape    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)
)

func checkShapes(t *testing.T, s string) {
	t.Helper()
	if got, want := ValidID(s), idShape.MatchString(s); got != want {
		t.Errorf("ValidID(%q) = %v, the shape says %v", s, got, want)
	}
	id, ok := credentialID(s)
	m := tokenShape.FindStringSubmatch(s)
	if ok != (m != nil) || (ok && id != m[1]) {
		t.Errorf("credentialID(%q) = %q, %v; the shape says %q", s, id, ok, m)
	}
}

func TestShapesAgreeWithTheirDefinitions(t *testing.T) {
	_, token := NewToken("tenant", time.Now())
	cases := []string{
		"", "a", "_a", "a_", "a.b-c_d", "-a", "é", "a b", strings.Repeat("a", 128), strings.Repeat("a", 129),
		token, token[:len(token)-1], token + "x", strings.Replace(token, "ctk_", "ctx_", 1),
		strings.ToUpper(token[:36]) + token[36:], token[:36] + "-" + token[37:], token[:40] + "=" + token[41:],
		token[:40] + "." + token[41:],
	}
	for _, s := range cases {
		checkShapes(t, s)
	}
}

func FuzzShapes(f *testing.F) {
	_, token := NewToken("tenant", time.Now())
	for _, s := range []string{"", "tenant-a", token, token[:20] + "G" + token[21:]} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkShapes(t, s) })
}
