package httpapi

import "time"

// Texts gathers the short texts of many response bodies (their formatted
// date-times) into one buffer that becomes one string, which the bodies
// then slice: a page of bodies costs two allocations for its texts
// rather than one per text. Add every text, Seal, then read them by the
// index each add returned.
type Texts struct {
	buf  []byte
	ends []int
	text string
}

// NewTexts returns Texts with room for n texts of about size bytes each.
func NewTexts(n, size int) Texts {
	return Texts{buf: make([]byte, 0, n*size), ends: make([]int, 0, n)}
}

// Time adds t, in UTC, formatted with layout, and returns its index.
func (x *Texts) Time(t time.Time, layout string) int {
	x.buf = t.UTC().AppendFormat(x.buf, layout)
	return x.end()
}

// Empty adds an empty text (an absent optional value) and returns its
// index.
func (x *Texts) Empty() int { return x.end() }

func (x *Texts) end() int {
	x.ends = append(x.ends, len(x.buf))
	return len(x.ends) - 1
}

// Seal makes the texts readable; add nothing after it.
func (x *Texts) Seal() { x.text = string(x.buf) }

// Text returns the i-th text added.
func (x *Texts) Text(i int) string {
	start := 0
	if i > 0 {
		start = x.ends[i-1]
	}
	return x.text[start:x.ends[i]]
}
