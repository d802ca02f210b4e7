package httpapi

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/contracts-service/contracts/shared/contract"
)

// Bounds on the shape of a JSON body. No contract of any dialect comes
// near them; they exist so that a hostile body of MaxBodyBytes cannot
// become deep recursion or a large in-memory structure once decoded, and
// they are checked in one streaming pass before anything is decoded.
const (
	// MaxJSONDepth bounds the nesting of objects and arrays; the body's
	// own object is level 1. The deepest request of any dialect nests a
	// handful of levels.
	MaxJSONDepth = 32
	// MaxJSONArrayLength bounds the elements of any one array.
	MaxJSONArrayLength = 1000
	// MaxJSONObjectMembers bounds the members of any one object, for the
	// same reason as MaxJSONArrayLength: a map field is as open-ended as
	// an array.
	MaxJSONObjectMembers = 1000
)

// maxFieldErrors bounds how many refusals one response lists: a body of
// repeated bad members would otherwise be answered by a larger one.
const maxFieldErrors = 20

// maxPathSegment bounds how much of a client's key an error echoes back.
const maxPathSegment = 100

// shapeKind is what JSON a destination accepts.
type shapeKind uint8

const (
	shapeAny shapeKind = iota // anything; a nil *shape means the same
	shapeStruct
	shapeMap
	shapeArray
	shapeString
	shapeBool
	shapeInteger
	shapeFloat
)

// shape is the JSON form of a Go type, compiled once per type so that the
// scan of a body needs no reflection. A nil *shape accepts any JSON: an
// interface, json.RawMessage, a type with its own UnmarshalJSON or
// UnmarshalText, a ",string" field. The scan still applies the structural
// bounds, duplicate keys and number magnitude inside it.
type shape struct {
	kind shapeKind
	// fields maps each JSON name of a struct to its value's shape (nil
	// for any); names holds the same names, sorted, for suggestions.
	fields map[string]*shape
	names  []string
	// elem is the shape of a map's values or an array's elements.
	elem *shape
	// min and max bound an integer; bits is a float's size.
	min, max int64
	bits     int
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[json.Number]()
)

// shapes caches compiled shapes by Go type.
var shapes sync.Map // reflect.Type -> *shape

// shapeOf returns the shape a decode into v expects.
func shapeOf(v any) *shape {
	t := reflect.TypeOf(v)
	if t == nil {
		return nil
	}
	if s, ok := shapes.Load(t); ok {
		return s.(*shape)
	}
	s, _ := shapes.LoadOrStore(t, compileShape(t, map[reflect.Type]*shape{}))
	return s.(*shape)
}

// customDecoded reports whether encoding/json hands t's JSON to t's own
// method rather than decoding it by kind.
func customDecoded(t reflect.Type) bool {
	return t.Implements(jsonUnmarshalerType) || t.Implements(textUnmarshalerType) ||
		(t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface &&
			(reflect.PointerTo(t).Implements(jsonUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType)))
}

// compileShape mirrors the decisions encoding/json makes when it decodes
// into t. seen breaks the cycle of recursive types.
func compileShape(t reflect.Type, seen map[reflect.Type]*shape) *shape {
	for {
		if customDecoded(t) {
			return nil
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	if s, ok := seen[t]; ok {
		return s
	}
	switch t.Kind() {
	case reflect.String:
		if t == numberType {
			// encoding/json also reads a json.Number from a string
			// holding one; the API documents every such field as a
			// number.
			return &shape{kind: shapeFloat, bits: 64}
		}
		return &shape{kind: shapeString}
	case reflect.Bool:
		return &shape{kind: shapeBool}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		lo, hi := integerRange(t)
		return &shape{kind: shapeInteger, min: lo, max: hi}
	case reflect.Float32, reflect.Float64:
		return &shape{kind: shapeFloat, bits: t.Bits()}
	case reflect.Slice, reflect.Array:
		if t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Uint8 {
			return nil // a byte slice also takes a base64 string
		}
		s := &shape{kind: shapeArray}
		seen[t] = s
		s.elem = compileShape(t.Elem(), seen)
		return s
	case reflect.Map:
		s := &shape{kind: shapeMap}
		seen[t] = s
		s.elem = compileShape(t.Elem(), seen)
		return s
	case reflect.Struct:
		s := &shape{kind: shapeStruct, fields: map[string]*shape{}}
		seen[t] = s
		for _, f := range jsonFields(t) {
			var fs *shape
			if !f.quoted {
				fs = compileShape(f.typ, seen)
			}
			s.fields[f.name] = fs
			s.names = append(s.names, f.name)
		}
		slices.Sort(s.names)
		return s
	default:
		return nil // interfaces, and kinds encoding/json refuses itself
	}
}

// integerRange is what an integer field of type t accepts: its type's
// range, cut to ±contract.MaxSafeInteger, beyond which a number does not
// survive a JSON client that reads numbers as doubles.
func integerRange(t reflect.Type) (lo, hi int64) {
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return 0, int64(min(uint64(1)<<t.Bits()-1, contract.MaxSafeInteger))
	default:
		hi = min(int64(1)<<(t.Bits()-1)-1, contract.MaxSafeInteger)
		return -hi, hi
	}
}

// jsonField is a struct field as encoding/json sees it.
type jsonField struct {
	name   string
	tagged bool
	index  []int
	typ    reflect.Type
	quoted bool
}

// jsonFields lists the fields encoding/json decodes into for struct type t,
// by its rules: exported fields and the promoted fields of embedded
// structs, named by their json tags, the shallowest (or the tagged one at
// equal depth) winning a name and a tie hiding the name altogether.
func jsonFields(t reflect.Type) []jsonField {
	var found []jsonField
	level := []jsonField{{typ: t}}
	// count says how often each embedded type of level was met; a field
	// of one met twice at the same depth is recorded twice, so that the
	// tie below hides it.
	count := map[reflect.Type]int{}
	visited := map[reflect.Type]bool{}
	for len(level) > 0 {
		var next []jsonField
		nextCount := map[reflect.Type]int{}
		for _, emb := range level {
			if visited[emb.typ] {
				continue
			}
			visited[emb.typ] = true
			for i := range emb.typ.NumField() {
				sf := emb.typ.Field(i)
				if sf.Anonymous {
					ft := sf.Type
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := sf.Tag.Get("json")
				if tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if !validTagName(name) {
					name = ""
				}
				index := append(slices.Clip(emb.index), i)
				ft := sf.Type
				if ft.Name() == "" && ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				if name != "" || !sf.Anonymous || ft.Kind() != reflect.Struct {
					f := jsonField{name: name, tagged: name != "", index: index, typ: sf.Type, quoted: quotable(ft, opts)}
					if f.name == "" {
						f.name = sf.Name
					}
					found = append(found, f)
					if count[emb.typ] > 1 {
						found = append(found, f)
					}
					continue
				}
				nextCount[ft]++
				if nextCount[ft] == 1 {
					next = append(next, jsonField{name: ft.Name(), index: index, typ: ft})
				}
			}
		}
		level, count = next, nextCount
	}
	slices.SortStableFunc(found, func(a, b jsonField) int {
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		if c := len(a.index) - len(b.index); c != 0 {
			return c
		}
		if a.tagged != b.tagged {
			if a.tagged {
				return -1
			}
			return 1
		}
		return slices.Compare(a.index, b.index)
	})
	var out []jsonField
	for i := 0; i < len(found); {
		j := i + 1
		for j < len(found) && found[j].name == found[i].name {
			j++
		}
		if j-i == 1 || len(found[i].index) != len(found[i+1].index) || found[i].tagged != found[i+1].tagged {
			out = append(out, found[i])
		}
		i = j
	}
	return out
}

// quotable reports whether a ",string" option applies to a field of type
// t: encoding/json honours it only for scalars.
func quotable(t reflect.Type, opts string) bool {
	has := false
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ",")
		has = has || o == "string"
	}
	if !has {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.String, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// validTagName is encoding/json's rule for a usable json tag name.
func validTagName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("!#$%&()*+-./:;<=>?@[]^_{|}~ ", c) && !unicode.IsLetter(c) && !unicode.IsDigit(c) {
			return false
		}
	}
	return true
}

// segment names one open object's current member or array's current
// element, for the path of a refusal.
type segment struct {
	array bool
	key   []byte
	index int
}

// smallObject is how many keys an object holds before duplicates are
// looked up in a set rather than by a linear search.
const smallObject = 16

// scanner is the state of one pass over a body.
type scanner struct {
	data   []byte
	pos    int
	path   []segment // one per open object or array
	fields []contract.FieldError
	// stopped is set when the scan ended before the body did: past a
	// bound, or with a response's worth of refusals.
	stopped bool
}

// fieldRefusals is the scan's refusal of a body that is sound but for the
// fields it names: the scan read all of it, so encoding/json can decode
// it around them, and the field rules can be checked on the rest (see
// Request.DecodeValid).
type fieldRefusals struct{ err *contract.Error }

func (f *fieldRefusals) Error() string { return f.err.Error() }
func (f *fieldRefusals) Unwrap() error { return f.err }

// errFull stops a scan that has as many refusals as a response lists.
var errFull = errors.New("enough refusals")

// checkJSON makes one pass over data, without decoding it, and refuses
// with errors naming the field what encoding/json would decode silently
// or at a cost: duplicate keys (it keeps the last), keys that match a
// field only when case is ignored (it matches case-insensitively), unknown
// fields, values of the wrong JSON type, integers beyond ±(2^53-1) or not
// written as integers, numbers beyond float64, and bodies past the bounds
// above. It also refuses malformed JSON and data after the value, to the
// same grammar as encoding/json.
//
// It runs before encoding/json rather than after because the decoded value
// no longer shows duplicates or the spelling of keys, and because the
// bounds must hold before memory is spent. It reads the bytes itself
// rather than through json.Decoder.Token, which costs an allocation per
// token: here only an object's keys are kept, as slices of data, while the
// object is open, and the recursion is as deep as MaxJSONDepth at most.
//
// A \u0000 in a string is left to the field's validator: it is valid JSON
// and harmless to the decoder, and whether a name may hold it is a rule
// of the field. Unescaped control characters are malformed JSON, refused
// here; invalid UTF-8 is refused before the scan.
func checkJSON(data []byte, root *shape) error {
	s := scanner{data: data, path: make([]segment, 0, 8)}
	s.space()
	err := s.value(root)
	switch {
	case errors.Is(err, errFull):
		return s.result()
	case err != nil:
		return err
	}
	if s.space(); s.pos < len(s.data) {
		return contract.Errorf(contract.KindInvalid, "the body holds data after the JSON object")
	}
	return s.result()
}

// space skips whitespace.
func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// malformed is the refusal of a body that is not JSON at the current
// position.
func (s *scanner) malformed() error {
	if s.pos >= len(s.data) {
		return contract.Errorf(contract.KindInvalid, "the body is not valid JSON (it ends too early)")
	}
	return contract.Errorf(contract.KindInvalid, "the body is not valid JSON (at byte %d)", s.pos+1)
}

// value reads one value whose destination has shape want.
func (s *scanner) value(want *shape) error {
	if s.pos >= len(s.data) {
		return s.malformed()
	}
	kind := shapeAny
	if want != nil {
		kind = want.kind
	}
	var ok bool
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(want)
	case c == '[':
		return s.array(want)
	case c == '"':
		if _, _, err := s.str(); err != nil {
			return err
		}
		ok = kind == shapeAny || kind == shapeString
	case c == 't':
		ok = kind == shapeAny || kind == shapeBool
		if err := s.literal("true"); err != nil {
			return err
		}
	case c == 'f':
		ok = kind == shapeAny || kind == shapeBool
		if err := s.literal("false"); err != nil {
			return err
		}
	case c == 'n':
		// null leaves any destination at its zero value; whether that
		// is allowed is the validator's call.
		ok = true
		if err := s.literal("null"); err != nil {
			return err
		}
	case c == '-' || '0' <= c && c <= '9':
		lit, err := s.number()
		if err != nil {
			return err
		}
		return s.checkNumber(lit, want)
	default:
		return s.malformed()
	}
	if !ok {
		return s.mismatch(want)
	}
	return nil
}

// object reads an object whose destination has shape want.
func (s *scanner) object(want *shape) error {
	if len(s.path) == MaxJSONDepth {
		return s.abort(len(s.path), fmt.Sprintf("nests more than %d levels deep", MaxJSONDepth))
	}
	if want != nil && want.kind != shapeStruct && want.kind != shapeMap {
		if err := s.mismatch(want); err != nil {
			return err
		}
		want = nil // read what it holds for the bounds alone
	}
	s.pos++ // {
	if s.space(); s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	s.path = append(s.path, segment{})
	at := len(s.path)
	var small [smallObject][]byte
	keys := small[:0]
	var seen map[string]struct{}
	for n := 1; ; n++ {
		if n > MaxJSONObjectMembers {
			return s.abort(at-1, fmt.Sprintf("has more than %d members", MaxJSONObjectMembers))
		}
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.malformed()
		}
		key, escaped, err := s.str()
		if err != nil {
			return err
		}
		if escaped {
			key = unescape(key)
		}
		s.path[at-1].key = key

		// A repeated key is refused once, whatever else is wrong with it.
		var repeated bool
		if seen != nil {
			_, repeated = seen[string(key)]
			seen[string(key)] = struct{}{}
		} else if repeated = slices.ContainsFunc(keys, func(k []byte) bool { return bytes.Equal(k, key) }); !repeated {
			if keys = append(keys, key); len(keys) == smallObject {
				seen = make(map[string]struct{}, 4*smallObject)
				for _, k := range keys {
					seen[string(k)] = struct{}{}
				}
			}
		}
		child, err := s.member(want, key, repeated)
		if err != nil {
			return err
		}

		if s.space(); s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.malformed()
		}
		s.pos++
		s.space()
		if err := s.value(child); err != nil {
			return err
		}
		s.space()
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			s.pos++
			s.space()
			continue
		}
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
			s.path = s.path[:at-1]
			return nil
		}
		return s.malformed()
	}
}

// member checks the key of a member of an object whose destination has
// shape want, and returns the shape of the member's value.
func (s *scanner) member(want *shape, key []byte, repeated bool) (*shape, error) {
	at := len(s.path)
	if repeated {
		return nil, s.refuse(at, "appears more than once")
	}
	switch {
	case want == nil:
		return nil, nil
	case want.kind == shapeMap:
		return want.elem, nil
	}
	if child, ok := want.fields[string(key)]; ok {
		return child, nil
	}
	return nil, s.refuse(at, unknownField(want, key))
}

// unknownField is the refusal of a key that struct shape sh does not
// have; a key that matches a field but for case is told the right name.
func unknownField(sh *shape, key []byte) string {
	for _, name := range sh.names {
		if bytes.EqualFold([]byte(name), key) {
			return fmt.Sprintf("is not a known field (names are case-sensitive: did you mean %q?)", name)
		}
	}
	return "is not a known field"
}

// CheckPatchKeys refuses, naming each, the keys of a JSON merge patch that
// are not fields of target's JSON form, by the rules DecodeStrict applies
// to a body (exact, case-sensitive names). A merge drops a key whose value
// is null before anything decodes it, so without this check
// {"nmae": null} would be accepted as a patch that changes nothing. A
// target that is not a struct accepts any key.
func CheckPatchKeys(patch map[string]json.RawMessage, target any) error {
	sh := shapeOf(target)
	if sh == nil || sh.kind != shapeStruct {
		return nil
	}
	var fields []contract.FieldError
	for _, key := range slices.Sorted(maps.Keys(patch)) {
		if _, ok := sh.fields[key]; ok {
			continue
		}
		s := scanner{path: []segment{{key: []byte(key)}}}
		fields = append(fields, contract.FieldError{Field: s.pathString(1), Message: unknownField(sh, []byte(key))})
		if len(fields) == maxFieldErrors {
			break
		}
	}
	if len(fields) > 0 {
		return contract.Invalid(fields...)
	}
	return nil
}

// array reads an array whose destination has shape want.
func (s *scanner) array(want *shape) error {
	if len(s.path) == MaxJSONDepth {
		return s.abort(len(s.path), fmt.Sprintf("nests more than %d levels deep", MaxJSONDepth))
	}
	var elem *shape
	if want != nil && want.kind != shapeArray {
		if err := s.mismatch(want); err != nil {
			return err
		}
	} else if want != nil {
		elem = want.elem
	}
	s.pos++ // [
	if s.space(); s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	s.path = append(s.path, segment{array: true})
	at := len(s.path)
	for i := 0; ; i++ {
		if i == MaxJSONArrayLength {
			return s.abort(at-1, fmt.Sprintf("has more than %d elements", MaxJSONArrayLength))
		}
		s.path[at-1].index = i
		if err := s.value(elem); err != nil {
			return err
		}
		s.space()
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			s.pos++
			s.space()
			continue
		}
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			s.path = s.path[:at-1]
			return nil
		}
		return s.malformed()
	}
}

// str reads a string and returns its contents between the quotes, and
// whether they hold an escape.
func (s *scanner) str() (contents []byte, escaped bool, err error) {
	start := s.pos + 1
	for i := start; i < len(s.data); {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			return s.data[start:i], escaped, nil
		case c == '\\':
			escaped = true
			if i+1 >= len(s.data) {
				s.pos = len(s.data)
				return nil, false, s.malformed()
			}
			switch s.data[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				for j := i + 2; j < i+6; j++ {
					if j >= len(s.data) {
						s.pos = len(s.data)
						return nil, false, s.malformed()
					}
					if !isHex(s.data[j]) {
						s.pos = j
						return nil, false, s.malformed()
					}
				}
				i += 6
			default:
				s.pos = i + 1
				return nil, false, s.malformed()
			}
		case c < ' ':
			s.pos = i
			return nil, false, s.malformed()
		default:
			i++
		}
	}
	s.pos = len(s.data)
	return nil, false, s.malformed()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// unescape decodes the escapes of a key exactly as encoding/json will, so
// that "n\u0061me" is found to be "name". Keys rarely hold escapes; this
// is the slow path.
func unescape(contents []byte) []byte {
	quoted := make([]byte, 0, len(contents)+2)
	quoted = append(append(append(quoted, '"'), contents...), '"')
	var key string
	if err := json.Unmarshal(quoted, &key); err != nil {
		return contents // unreachable: str has checked the escapes
	}
	return []byte(key)
}

// literal reads true, false or null.
func (s *scanner) literal(word string) error {
	for i := 0; i < len(word); i++ {
		if s.pos >= len(s.data) || s.data[s.pos] != word[i] {
			return s.malformed()
		}
		s.pos++
	}
	return nil
}

// number reads a number to JSON's grammar and returns its text.
func (s *scanner) number() ([]byte, error) {
	start := s.pos
	if s.data[s.pos] == '-' {
		s.pos++
	}
	if s.pos >= len(s.data) {
		return nil, s.malformed()
	}
	switch c := s.data[s.pos]; {
	case c == '0':
		s.pos++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return nil, s.malformed()
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return nil, s.malformed()
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return nil, s.malformed()
		}
	}
	return s.data[start:s.pos], nil
}

// digits skips decimal digits and returns how many there were.
func (s *scanner) digits() int {
	start := s.pos
	for s.pos < len(s.data) && '0' <= s.data[s.pos] && s.data[s.pos] <= '9' {
		s.pos++
	}
	return s.pos - start
}

// checkNumber checks a number literal against its destination.
func (s *scanner) checkNumber(lit []byte, want *shape) error {
	switch {
	case want == nil || want.kind == shapeFloat:
		bits := 64
		if want != nil {
			bits = want.bits
		}
		if finite(lit, bits) {
			return nil
		}
		limit := math.MaxFloat64
		if bits == 32 {
			limit = math.MaxFloat32
		}
		return s.refuse(len(s.path), fmt.Sprintf("must be a number from %g to %g", -limit, limit))
	case want.kind == shapeInteger:
		if n, ok := integer(lit); ok && n >= want.min && n <= want.max {
			return nil
		}
		msg := fmt.Sprintf("must be an integer from %d to %d", want.min, want.max)
		if bytes.ContainsAny(lit, ".eE") {
			msg += ", without a fraction or exponent"
		}
		return s.refuse(len(s.path), msg)
	default:
		return s.mismatch(want)
	}
}

// integer reads a number literal written as an integer of at most 18
// digits, which covers every bound an integer shape has.
func integer(lit []byte) (int64, bool) {
	neg := len(lit) > 0 && lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) == 0 || len(lit) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range lit {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// finite reports whether a number literal fits a float of the given size.
// Literals without an exponent and short enough always do, and skip the
// parse.
func finite(lit []byte, bits int) bool {
	if len(lit) <= 30 && !bytes.ContainsAny(lit, "eE") {
		return true
	}
	_, err := strconv.ParseFloat(string(lit), bits)
	return err == nil
}

// mismatch refuses a value of the wrong JSON type for want.
func (s *scanner) mismatch(want *shape) error {
	what := map[shapeKind]string{
		shapeStruct: "an object", shapeMap: "an object", shapeArray: "an array",
		shapeString: "a string", shapeBool: "a boolean", shapeInteger: "an integer", shapeFloat: "a number",
	}[want.kind]
	if len(s.path) == 0 {
		// Said of the body rather than a field, "object" alone would
		// read as the domain's kind of thing.
		what = strings.Replace(strings.Replace(what, "an object", "a JSON object", 1), "an array", "a JSON array", 1)
	}
	return s.refuse(len(s.path), "must be "+what)
}

// refuse records a refusal of the value that the first at segments of the
// path name (none: the body itself, which ends the scan), and stops the
// scan once a response's worth are recorded.
func (s *scanner) refuse(at int, msg string) error {
	if at == 0 {
		return contract.Errorf(contract.KindInvalid, "the body %s", msg)
	}
	s.fields = append(s.fields, contract.FieldError{Field: s.pathString(at), Message: msg})
	if len(s.fields) == maxFieldErrors {
		s.stopped = true
		return errFull
	}
	return nil
}

// abort refuses the value that the first at segments of the path name and
// ends the scan: past a bound, the rest of the body is not worth reading.
func (s *scanner) abort(at int, msg string) error {
	if err := s.refuse(at, msg); err != nil && !errors.Is(err, errFull) {
		return err
	}
	s.stopped = true
	return errFull
}

// result is the scan's verdict: nil, or every refusal recorded.
func (s *scanner) result() error {
	switch {
	case len(s.fields) == 0:
		return nil
	case len(s.fields) == maxFieldErrors:
		return &contract.Error{Kind: contract.KindInvalid, Fields: s.fields,
			Message: fmt.Sprintf("the request has invalid fields; the first %d are listed", maxFieldErrors)}
	case s.stopped:
		return contract.Invalid(s.fields...)
	default:
		return &fieldRefusals{contract.Invalid(s.fields...)}
	}
}

// pathString names the value that the first at segments of the path name,
// as the client wrote it: "items[3].name". A key that is empty or would
// make the path ambiguous is written as a quoted JSON string in brackets:
// attrs["a.b"], [""].
func (s *scanner) pathString(at int) string {
	var b strings.Builder
	for _, seg := range s.path[:at] {
		if seg.array {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(seg.index))
			b.WriteByte(']')
			continue
		}
		key := seg.key
		if len(key) > maxPathSegment {
			cut := maxPathSegment
			for cut > 0 && !utf8.RuneStart(key[cut]) {
				cut--
			}
			key = append(key[:cut:cut], "…"...)
		}
		if len(key) == 0 || bytes.ContainsAny(key, ".[]\"\\") || bytes.ContainsFunc(key, unicode.IsControl) {
			quoted, _ := json.Marshal(string(key)) // a string always encodes
			b.WriteByte('[')
			b.Write(quoted)
			b.WriteByte(']')
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.Write(key)
	}
	return b.String()
}
