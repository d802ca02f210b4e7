package strictjson

import (
	"encoding"
	stdjson "encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/contracts-service/contracts/shared/contract"
)

// kind is what JSON a destination accepts.
type kind uint8

const (
	kindAny kind = iota // anything; a nil *shape means the same
	kindStruct
	kindMap
	kindArray
	kindString
	kindBool
	kindInteger
	kindFloat
)

// shape is the JSON form of a Go type as json/v2 decodes it, compiled
// once per type so that the walk of a body needs no reflection. A nil
// *shape accepts any JSON: an interface, json.RawMessage, jsontext.Value,
// a type with its own UnmarshalJSON, time.Time. The walk still applies the
// bounds, duplicate keys and the range of numbers inside it.
type shape struct {
	kind kind
	// fields maps each JSON name of a struct to its value's shape (nil
	// for any); names holds the same names, sorted, for suggestions.
	fields map[string]*shape
	names  []string
	// open is set for a struct json/v2 gives every unknown member to (an
	// embedded fallback): any name is known, and its value any JSON.
	open bool
	// elem is the shape of a map's values or an array's elements.
	elem *shape
	// min and max bound an integer; bits is a float's size.
	min, max int64
	bits     int
}

var (
	unmarshalerFromType = reflect.TypeFor[json.UnmarshalerFrom]()
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	numberType          = reflect.TypeFor[stdjson.Number]()
)

// compiled caches shapes, and the error of a type json/v2 cannot decode
// into, by Go type.
var compiled sync.Map // reflect.Type -> compiledShape

type compiledShape struct {
	shape *shape
	err   error
}

// shapeOf returns the shape json/v2 decodes into t by, or an error when
// t is a type it cannot decode into at all: the service's fault, never
// the client's.
func shapeOf(t reflect.Type) (*shape, error) {
	if c, ok := compiled.Load(t); ok {
		return c.(compiledShape).shape, c.(compiledShape).err
	}
	s, err := compile(t, map[reflect.Type]*shape{})
	c, _ := compiled.LoadOrStore(t, compiledShape{s, err})
	return c.(compiledShape).shape, c.(compiledShape).err
}

// implements reports whether t or *t has the method set of iface, as
// json/v2 looks for it on an addressable value.
func implements(t, iface reflect.Type) bool {
	return t.Implements(iface) || (t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(iface))
}

// compile follows the decisions json/v2 makes by kind when it decodes
// into t (its Unmarshal documentation lists them). Which JSON name
// reaches which field of a struct is not followed here but asked of
// json/v2 itself (structFields). seen breaks the cycle of recursive types.
func compile(t reflect.Type, seen map[reflect.Type]*shape) (*shape, error) {
	for {
		switch {
		case t == numberType || t == reflect.PointerTo(numberType):
			// Decoded by the service's own unmarshaler (numberOption),
			// whatever methods it has: the API documents every such
			// field as a number.
			return &shape{kind: kindFloat, bits: 64}, nil
		case implements(t, unmarshalerFromType) || implements(t, unmarshalerType):
			return nil, nil
		case implements(t, textUnmarshalerType):
			// json/v2 hands such a type only a JSON string.
			return &shape{kind: kindString}, nil
		}
		if t.Kind() != reflect.Pointer {
			break
		}
		t = t.Elem()
	}
	if s, ok := seen[t]; ok {
		return s, nil
	}
	switch t.Kind() {
	case reflect.String:
		return &shape{kind: kindString}, nil
	case reflect.Bool:
		return &shape{kind: kindBool}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		lo, hi := integerRange(t)
		return &shape{kind: kindInteger, min: lo, max: hi}, nil
	case reflect.Float32, reflect.Float64:
		return &shape{kind: kindFloat, bits: t.Bits()}, nil
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && !implements(t.Elem(), unmarshalerType) &&
			!implements(t.Elem(), unmarshalerFromType) && !implements(t.Elem(), textUnmarshalerType) {
			return &shape{kind: kindString}, nil // bytes, as base64
		}
		return compileElems(kindArray, t, seen)
	case reflect.Map:
		return compileElems(kindMap, t, seen)
	case reflect.Struct:
		s := &shape{kind: kindStruct, fields: map[string]*shape{}}
		seen[t] = s
		fields, open, err := structFields(t)
		if err != nil {
			return nil, err
		}
		s.open = open
		for name, f := range fields {
			if f.stringified {
				// A number quoted in a string (the ",string" option):
				// json/v2 checks the string holds one.
				s.fields[name] = &shape{kind: kindString}
			} else if s.fields[name], err = compile(f.typ, seen); err != nil {
				return nil, err
			}
			s.names = append(s.names, name)
		}
		slices.Sort(s.names)
		return s, nil
	case reflect.Interface:
		return nil, nil
	default:
		return nil, fmt.Errorf("strictjson: json/v2 cannot decode into %v", t)
	}
}

// compileElems compiles the shape of a slice, an array or a map: of kind
// k, holding elements of t.Elem()'s shape. It is in seen before its
// elements are compiled, so a type that holds itself ends.
func compileElems(k kind, t reflect.Type, seen map[reflect.Type]*shape) (*shape, error) {
	s := &shape{kind: k}
	seen[t] = s
	var err error
	s.elem, err = compile(t.Elem(), seen)
	return s, err
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

// field is what json/v2 decodes one JSON name of a struct into.
type field struct {
	typ         reflect.Type
	stringified bool
}

// structFields asks json/v2 which JSON names struct type t has, and what
// each decodes into, rather than re-implementing its rules (tags, quoted
// names, embedding, the shallowest field winning a name, ties hiding it):
// it decodes an object holding every name that could be one, each null,
// into a new t, and records the destination json/v2 chooses for each. The
// candidates are every Go field name and tag name found in t and the
// structs it holds; json/v2 decides which of them are names of t.
func structFields(t reflect.Type) (fields map[string]field, open bool, err error) {
	candidates := candidateNames(t, map[reflect.Type]bool{}, nil)
	obj := []byte{'{'}
	for i, name := range candidates {
		if i > 0 {
			obj = append(obj, ',')
		}
		if obj, err = jsontext.AppendQuote(obj, name); err != nil {
			return nil, false, fmt.Errorf("strictjson: field name %q of %v: %w", name, t, err)
		}
		obj = append(obj, ":null"...)
	}
	obj = append(obj, '}')

	fields = map[string]field{}
	record := json.UnmarshalFromFunc(func(dec *jsontext.Decoder, v any) error {
		if dec.StackDepth() == 1 {
			stringified, _ := json.GetOption(dec.Options(), json.StringifyNumbers)
			fields[dec.StackPointer().LastToken()] = field{reflect.TypeOf(v).Elem(), stringified}
		}
		return errSkip // decode as json/v2 does
	})
	// Two candidates may name one field (a field matched without regard
	// to case, by its own tag): both are its names.
	if err := json.Unmarshal(obj, reflect.New(t).Interface(), json.WithUnmarshalers(record), jsontext.AllowDuplicateNames(true)); err != nil {
		return nil, false, fmt.Errorf("strictjson: json/v2 cannot decode into %v: %w", t, err)
	}
	// No Go field is named "\u0000": a struct that takes it gives unknown
	// members to an embedded fallback.
	probe := []byte(`{"\u0000":null}`)
	open = json.Unmarshal(probe, reflect.New(t).Interface(), json.RejectUnknownMembers(true)) == nil
	return fields, open, nil
}

// candidateNames appends to names every name a field of struct type t, or
// of a struct it holds, is known by in Go or in its json tag.
func candidateNames(t reflect.Type, visited map[reflect.Type]bool, names []string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || visited[t] {
		return names
	}
	visited[t] = true
	for i := range t.NumField() {
		sf := t.Field(i)
		names = appendNew(names, sf.Name)
		if name, _, _ := strings.Cut(sf.Tag.Get("json"), ","); name != "" {
			names = appendNew(names, name)
		}
		names = candidateNames(sf.Type, visited, names)
	}
	return names
}

func appendNew(names []string, name string) []string {
	if slices.Contains(names, name) {
		return names
	}
	return append(names, name)
}
