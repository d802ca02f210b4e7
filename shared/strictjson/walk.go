package strictjson

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/contracts-service/contracts/shared/contract"
)

// segment names one open object's current member or array's current
// element, for the path of a refusal.
type segment struct {
	array bool
	key   []byte // unescaped
	index int
}

// span is a refused value's bytes in the body, [start, end).
type span struct{ start, end int64 }

// walker is the state of one pass over a body.
type walker struct {
	data   []byte // the body, which names are read from in place
	buf    bytes.Buffer
	dec    jsontext.Decoder // reads buf, which holds data without a copy
	path   []segment        // one per open object or array
	fields []contract.FieldError
	// refused holds the values the refusals name, so that the rest of
	// the body can be decoded without them.
	refused []span
	// stopped is set when the walk ended before the body did: past a
	// bound, or with a response's worth of refusals.
	stopped bool
	// safeIntegers refuses integers past ±(2^53-1) where the destination
	// says nothing of them (see CheckSafeIntegers).
	safeIntegers bool
}

// errStop ends a walk that need not read on: its refusals are recorded.
var errStop = errors.New("strictjson: walk stopped")

// smallObject is how many names an object holds before duplicates are
// looked up in a set rather than by a linear search.
const smallObject = 16

// walk reads data, one JSON value whose destination has shape root, with
// jsontext's decoder, which holds it to JSON's grammar and to UTF-8, and
// records a refusal of every field json/v2 would refuse, or take past the
// service's bounds. It returns the refusal of the body as a whole:
// malformed JSON, a body of the wrong JSON type, one past a bound at its
// top level, data after the value.
//
// Duplicate names are found here rather than by jsontext, whose decoder
// stops at the first: each is named with every other refusal of the body.
//
// The walker returned is the caller's to release once its refusals are
// taken.
func walk(data []byte, root *shape, safeIntegers bool) (*walker, error) {
	w := walkers.Get().(*walker)
	w.data, w.buf = data, *bytes.NewBuffer(data)
	w.dec.Reset(&w.buf, jsontext.AllowDuplicateNames(true))
	w.path, w.fields, w.refused, w.stopped, w.safeIntegers = w.path[:0], nil, w.refused[:0], false, safeIntegers
	switch _, err := w.value(root); {
	case errors.Is(err, errStop):
		return w, nil
	case err != nil:
		w.release()
		return nil, err
	}
	if _, err := w.dec.ReadToken(); err != io.EOF {
		w.release()
		return nil, contract.Errorf(contract.KindInvalid, "the body holds data after the JSON value")
	}
	return w, nil
}

// walkers keeps walkers from one body to the next, as json/v2 keeps its
// decoders: a decoder's state and a walker's path grow with a body's
// nesting, and a request would otherwise allocate them anew.
var walkers = sync.Pool{New: func() any { return new(walker) }}

// release returns w to walkers, keeping neither the body (the path's
// names point into it) nor the refusals, which the caller may still hold.
func (w *walker) release() {
	clear(w.path[:cap(w.path)])
	w.data, w.buf, w.fields = nil, bytes.Buffer{}, nil
	w.dec.Reset(&w.buf)
	walkers.Put(w)
}

// malformed is the refusal of a body jsontext cannot read.
func malformed(err error) error {
	var syntax *jsontext.SyntacticError
	switch {
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return contract.Errorf(contract.KindInvalid, "the body is not valid JSON (it ends too early)")
	case errors.As(err, &syntax):
		return contract.Errorf(contract.KindInvalid, "the body is not valid JSON (at byte %d)", syntax.ByteOffset+1)
	default:
		return fmt.Errorf("strictjson: read body: %w", err) // unreachable: it reads from memory
	}
}

// value reads one value whose destination has shape want, and returns
// the offset where it starts.
func (w *walker) value(want *shape) (int64, error) {
	switch w.dec.PeekKind() {
	case '{':
		return w.object(want)
	case '[':
		return w.array(want)
	}
	val, err := w.dec.ReadValue()
	if err != nil {
		return 0, malformed(err)
	}
	end := w.dec.InputOffset()
	start := end - int64(len(val))
	k := kindAny
	if want != nil {
		k = want.kind
	}
	var msg string
	switch val.Kind() {
	case 'n':
		// null leaves any destination at its zero value; whether that
		// is allowed is the validator's call.
	case '"':
		if k != kindAny && k != kindString {
			msg = w.mismatch(want)
		}
	case 't', 'f':
		if k != kindAny && k != kindBool {
			msg = w.mismatch(want)
		}
	case '0':
		msg = w.number(val, want)
	}
	if msg == "" {
		return start, nil
	}
	w.refused = append(w.refused, span{start, end})
	return start, w.refuse(len(w.path), msg)
}

// object reads an object whose destination has shape want.
func (w *walker) object(want *shape) (int64, error) {
	at := len(w.path)
	if at == MaxDepth {
		return 0, w.abort(at, fmt.Sprintf("nests more than %d levels deep", MaxDepth))
	}
	wrong := want != nil && want.kind != kindStruct && want.kind != kindMap
	if wrong {
		if err := w.refuse(at, w.mismatch(want)); err != nil {
			return 0, err
		}
		want = nil // read what it holds for the bounds alone
	}
	if _, err := w.dec.ReadToken(); err != nil {
		return 0, malformed(err)
	}
	start := w.dec.InputOffset() - 1 // the brace
	w.path = append(w.path, segment{})
	var small [smallObject][]byte
	names := small[:0]
	var seen map[string]bool
	for n := 1; w.dec.PeekKind() != '}'; n++ {
		if n > MaxObjectMembers {
			return 0, w.abort(at, fmt.Sprintf("has more than %d members", MaxObjectMembers))
		}
		name, err := w.name()
		if err != nil {
			return 0, err
		}
		w.path[at].key = name

		// A repeated name is refused once, whatever else is wrong with it.
		var repeated bool
		if seen != nil {
			repeated = seen[string(name)]
			seen[string(name)] = true
		} else if repeated = slices.ContainsFunc(names, func(k []byte) bool { return bytes.Equal(k, name) }); !repeated {
			if names = append(names, name); len(names) == smallObject {
				seen = make(map[string]bool, 4*smallObject)
				for _, k := range names {
					seen[string(k)] = true
				}
			}
		}
		var child *shape
		var msg string
		switch {
		case repeated:
			msg = "appears more than once"
		case want == nil:
		case want.kind == kindMap:
			child = want.elem
		default:
			var known bool
			if child, known = want.fields[string(name)]; !known && !want.open {
				msg = unknownField(want, string(name))
			}
		}
		if msg != "" {
			if err := w.refuse(at+1, msg); err != nil {
				return 0, err
			}
		}
		valueStart, err := w.value(child)
		if err != nil {
			return 0, err
		}
		if msg != "" {
			w.refused = append(w.refused, span{valueStart, w.dec.InputOffset()})
		}
	}
	return w.close(at, start, wrong)
}

// name reads an object member's name. One without escapes, as nearly
// every name is, is the body's own bytes: a body's names, read for every
// request, cost no allocation.
func (w *walker) name() ([]byte, error) {
	quoted, err := w.dec.ReadValue()
	if err != nil {
		return nil, malformed(err)
	}
	if bytes.IndexByte(quoted, '\\') >= 0 {
		return jsontext.AppendUnquote(nil, quoted) // sound: the decoder has read it
	}
	// The decoder's bytes last only until its next read; the body's stay.
	end := w.dec.InputOffset()
	return w.data[end-int64(len(quoted))+1 : end-1], nil
}

// array reads an array whose destination has shape want.
func (w *walker) array(want *shape) (int64, error) {
	at := len(w.path)
	if at == MaxDepth {
		return 0, w.abort(at, fmt.Sprintf("nests more than %d levels deep", MaxDepth))
	}
	var elem *shape
	wrong := want != nil && want.kind != kindArray
	if wrong {
		if err := w.refuse(at, w.mismatch(want)); err != nil {
			return 0, err
		}
	} else if want != nil {
		elem = want.elem
	}
	if _, err := w.dec.ReadToken(); err != nil {
		return 0, malformed(err)
	}
	start := w.dec.InputOffset() - 1 // the bracket
	w.path = append(w.path, segment{array: true})
	for i := 0; w.dec.PeekKind() != ']'; i++ {
		if i == MaxArrayLength {
			return 0, w.abort(at, fmt.Sprintf("has more than %d elements", MaxArrayLength))
		}
		w.path[at].index = i
		if _, err := w.value(elem); err != nil {
			return 0, err
		}
	}
	return w.close(at, start, wrong)
}

// close reads the brace or bracket that ends the object or array opened
// at offset start, at depth at, and refuses the whole of it when it was
// wrong for its destination. It returns start.
func (w *walker) close(at int, start int64, wrong bool) (int64, error) {
	if _, err := w.dec.ReadToken(); err != nil {
		return 0, malformed(err)
	}
	w.path = w.path[:at]
	if wrong {
		w.refused = append(w.refused, span{start, w.dec.InputOffset()})
	}
	return start, nil
}

// number checks a number literal against its destination, and returns
// what is wrong with it, if anything.
func (w *walker) number(lit []byte, want *shape) string {
	if want == nil && w.safeIntegers && !bytes.ContainsAny(lit, ".eE") {
		if n, err := strconv.ParseInt(string(lit), 10, 64); err != nil || n > contract.MaxSafeInteger || n < -contract.MaxSafeInteger {
			return fmt.Sprintf("must be an integer from %d to %d (a larger one can be sent as a string)", -contract.MaxSafeInteger, contract.MaxSafeInteger)
		}
	}
	switch {
	case want == nil || want.kind == kindFloat:
		bits := 64
		if want != nil {
			bits = want.bits
		}
		if _, err := strconv.ParseFloat(string(lit), bits); err == nil {
			return ""
		}
		limit := math.MaxFloat64
		if bits == 32 {
			limit = math.MaxFloat32
		}
		return fmt.Sprintf("must be a number from %g to %g", -limit, limit)
	case want.kind == kindInteger:
		fraction := bytes.ContainsAny(lit, ".eE")
		// json/v2 refuses a minus sign for an unsigned destination,
		// even on -0, which ParseInt reads as 0.
		negative := lit[0] == '-' && want.min == 0
		if !fraction && !negative {
			if n, err := strconv.ParseInt(string(lit), 10, 64); err == nil && n >= want.min && n <= want.max {
				return ""
			}
		}
		msg := fmt.Sprintf("must be an integer from %d to %d", want.min, want.max)
		if fraction {
			msg += ", without a fraction or exponent"
		}
		return msg
	default:
		return w.mismatch(want)
	}
}

// mismatch is the refusal of a value of the wrong JSON type for want.
func (w *walker) mismatch(want *shape) string {
	what := describe(want)
	if len(w.path) == 0 {
		// Said of the body rather than a field, "object" alone would
		// read as the domain's kind of thing.
		what = strings.Replace(strings.Replace(what, "an object", "a JSON object", 1), "an array", "a JSON array", 1)
	}
	return "must be " + what
}

// describe names the JSON a shape accepts.
func describe(s *shape) string {
	if s == nil {
		return "valid"
	}
	return map[kind]string{
		kindAny: "valid", kindStruct: "an object", kindMap: "an object", kindArray: "an array",
		kindString: "a string", kindBool: "a boolean", kindInteger: "an integer", kindFloat: "a number",
	}[s.kind]
}

// unknownField is the refusal of a name that struct shape s does not
// have; a name that matches a field but for case is told the right one.
func unknownField(s *shape, name string) string {
	for _, known := range s.names {
		if strings.EqualFold(known, name) {
			return fmt.Sprintf("is not a known field (names are case-sensitive: did you mean %q?)", known)
		}
	}
	return "is not a known field"
}

// refuse records a refusal of the value that the first at segments of the
// path name (none: the body itself, which ends the walk), and stops the
// walk once a response's worth are recorded.
func (w *walker) refuse(at int, msg string) error {
	if at == 0 {
		return contract.Errorf(contract.KindInvalid, "the body %s", msg)
	}
	w.fields = append(w.fields, contract.FieldError{Field: pathString(w.path[:at]), Message: msg})
	if len(w.fields) == maxFieldErrors {
		w.stopped = true
		return errStop
	}
	return nil
}

// abort refuses the value that the first at segments of the path name and
// ends the walk: past a bound, the rest of the body is not worth reading.
func (w *walker) abort(at int, msg string) error {
	if err := w.refuse(at, msg); err != nil && !errors.Is(err, errStop) {
		return err
	}
	w.stopped = true
	return errStop
}

// without returns data with every refused value replaced by null, which
// json/v2 decodes into any destination as its zero value.
func without(data []byte, refused []span) []byte {
	slices.SortFunc(refused, func(a, b span) int { return int(a.start - b.start) })
	out := make([]byte, 0, len(data))
	var pos int64
	for _, s := range refused {
		if s.start < pos {
			continue // inside a value already left out
		}
		out = append(append(out, data[pos:s.start]...), "null"...)
		pos = s.end
	}
	return append(out, data[pos:]...)
}

// pathString names a value by its path as the client wrote it:
// "items[3].name". A key that is empty or would make the path ambiguous
// is written as a quoted JSON string in brackets: attrs["a.b"], [""].
func pathString(path []segment) string {
	var b strings.Builder
	for _, seg := range path {
		if seg.array {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(seg.index))
			b.WriteByte(']')
			continue
		}
		key := string(seg.key)
		if len(key) > maxPathSegment {
			cut := maxPathSegment
			for cut > 0 && !utf8.RuneStart(key[cut]) {
				cut--
			}
			key = key[:cut] + "…"
		}
		if key == "" || strings.ContainsAny(key, ".[]\"\\") || strings.ContainsFunc(key, unicode.IsControl) {
			quoted, _ := jsontext.AppendQuote(nil, key) // valid UTF-8: the body was
			b.WriteByte('[')
			b.Write(quoted)
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(key)
	}
	return b.String()
}
