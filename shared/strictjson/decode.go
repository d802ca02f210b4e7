package strictjson

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/contracts-service/contracts/shared/contract"
)

// Bounds on the shape of a JSON body. No contract of any dialect comes
// near them; they exist so that a hostile body cannot become deep
// recursion or a large in-memory structure once decoded, and they are
// checked while the body is read, before anything is decoded.
const (
	// MaxDepth bounds the nesting of objects and arrays; the body's own
	// object is level 1. The deepest request of any dialect nests a
	// handful of levels.
	MaxDepth = 32
	// MaxArrayLength bounds the elements of any one array.
	MaxArrayLength = 1000
	// MaxObjectMembers bounds the members of any one object, for the
	// same reason as MaxArrayLength: a map field is as open-ended as an
	// array.
	MaxObjectMembers = 1000
)

// maxFieldErrors bounds how many refusals one answer lists: a body of
// repeated bad members would otherwise be answered by a larger one.
const maxFieldErrors = 20

// maxPathSegment bounds how much of a client's key an error echoes back.
const maxPathSegment = 100

// numberOption decodes encoding/json's Number, which the wire formats use
// to keep a price as it was written, from a JSON number: json/v2 would
// take only a string for it, as for any string type.
var numberOption = json.WithUnmarshalers(json.UnmarshalFromFunc(func(dec *jsontext.Decoder, n *stdjson.Number) error {
	val, err := dec.ReadValue()
	switch {
	case err != nil:
		return err
	case val.Kind() == '0':
		*n = stdjson.Number(val)
	case val.Kind() == 'n':
		*n = ""
	default:
		return errors.New("a number is required")
	}
	return nil
}))

var (
	// strict is how a body the walk found sound is decoded. json/v2
	// refuses duplicate names, invalid UTF-8 and names that match a field
	// only when case is ignored by default; they are spelled out because
	// the walk's refusals rest on them, and should the defaults change,
	// this decode would still refuse what the walk let through.
	strict = json.JoinOptions(
		json.RejectUnknownMembers(true),
		json.MatchCaseInsensitiveNames(false),
		jsontext.AllowDuplicateNames(false),
		jsontext.AllowInvalidUTF8(false),
		numberOption,
	)
	// around is how a body refused for some of its fields is decoded,
	// once the refused values are taken out, so that the rules of the
	// rest can be checked (DecodeValid): its unknown and repeated names
	// have been named already.
	around = json.JoinOptions(
		jsontext.AllowDuplicateNames(true),
		numberOption,
	)
)

// Decode decodes one JSON value from data into v, which must be a non-nil
// pointer, with errors that name the field ("items[3].name"). Besides
// malformed JSON and invalid UTF-8 it refuses unknown fields, names that
// match a field only when case is ignored (saying which it matches),
// duplicate names, data after the value, integers beyond ±(2^53-1)
// (contract.MaxSafeInteger) or written with a fraction or exponent,
// numbers beyond a float64 (or the float32 of the field), values of the
// wrong JSON type, and nesting, arrays or objects past MaxDepth,
// MaxArrayLength and MaxObjectMembers. Every failing field is named, up to
// twenty. A refusal is a KindInvalid *contract.Error; any other error is
// the service's fault (a destination json/v2 cannot decode into).
func Decode(data []byte, v any) error {
	refused, err := decode(data, v)
	if err != nil {
		return err
	}
	if refused != nil {
		return refused
	}
	return nil
}

// DecodeValid is Decode followed by check, the rules of the decoded value
// (its validator tags, pairs of fields sent together), answering every
// failing field of both at once: a value of the wrong type or an unknown
// name does not hide a bad value elsewhere in the body. check runs when
// the body decoded, or was refused only for fields it names, in which case
// the rest of the body has been decoded without them; a body refused as a
// whole (malformed, not the JSON type of v, past a bound, more refusals
// than an answer lists) is refused without it. A field the decoding named
// is not named again by check.
func DecodeValid(data []byte, v any, check func() error) error {
	refused, err := decode(data, v)
	if err != nil {
		return err
	}
	if refused == nil {
		return check()
	}
	checked := check()
	if checked != nil && contract.KindOf(checked) != contract.KindInvalid {
		return checked // a fault, or a refusal of another kind, stands alone
	}
	err = contract.JoinInvalid(refused, checked)
	var e *contract.Error
	if errors.As(err, &e) && len(e.Fields) > maxFieldErrors {
		e.Fields = e.Fields[:maxFieldErrors]
	}
	return err
}

// decode decodes data into v. It returns the refusal of the body as a
// whole, or a fault, as err; or the refusal of the fields it names as
// refused, in which case v holds the rest of the body.
func decode(data []byte, v any) (refused *contract.Error, err error) {
	if !utf8.Valid(data) {
		return nil, contract.Errorf(contract.KindInvalid, "the body is not valid UTF-8")
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return nil, fmt.Errorf("strictjson: decode into %T: not a non-nil pointer", v)
	}
	root, err := shapeOf(rv.Type().Elem())
	if err != nil {
		return nil, err
	}
	w, err := walk(data, root, false)
	if err != nil {
		return nil, err
	}
	defer w.release()
	switch {
	case len(w.fields) == maxFieldErrors:
		return nil, &contract.Error{Kind: contract.KindInvalid, Fields: w.fields,
			Message: fmt.Sprintf("the request has invalid fields; the first %d are listed", maxFieldErrors)}
	case w.stopped:
		return nil, contract.Invalid(w.fields...)
	case len(w.fields) > 0:
		// What remains is sound: its refusals are named, and a decode
		// error here would only repeat one of them.
		_ = json.Unmarshal(without(data, w.refused), v, around)
		return contract.Invalid(w.fields...), nil
	}
	if err := json.Unmarshal(data, v, strict); err != nil {
		return nil, decodeError(err, root)
	}
	return nil, nil
}

// decodeError is the refusal of a body the walk found sound but json/v2
// did not: a value a type decodes by its own method refused (a time.Time
// that is not RFC 3339), an array of fixed length given another. It
// names the field by json/v2's JSON pointer and stands alone: the decode
// stopped there.
func decodeError(err error, root *shape) error {
	var semantic *json.SemanticError
	var syntax *jsontext.SyntacticError
	switch {
	case errors.As(err, &semantic):
		path := pointerPath(semantic.JSONPointer, root)
		if path == "" {
			return contract.Errorf(contract.KindInvalid, "the body could not be read as the expected JSON value")
		}
		msg := "is not valid"
		if errors.Is(semantic.Err, json.ErrUnknownName) {
			msg = "is not a known field"
		} else if semantic.GoType != nil {
			if s, _ := shapeOf(semantic.GoType); s != nil {
				msg = "must be " + describe(s)
			}
		}
		return contract.Invalid(contract.FieldError{Field: path, Message: msg})
	case errors.As(err, &syntax):
		return malformed(err)
	default:
		return fmt.Errorf("strictjson: decode: %w", err)
	}
}

// pointerPath names the value a JSON pointer points to as pathString
// does, telling an array's index from an object's name by shape.
func pointerPath(p jsontext.Pointer, s *shape) string {
	var path []segment
	for tok := range p.Tokens() {
		if s != nil && s.kind == kindArray {
			i, _ := strconv.Atoi(tok)
			path = append(path, segment{array: true, index: i})
			s = s.elem
			continue
		}
		path = append(path, segment{key: []byte(tok)})
		switch {
		case s == nil:
		case s.kind == kindMap:
			s = s.elem
		case s.kind == kindStruct:
			s = s.fields[tok]
		default:
			s = nil
		}
	}
	return pathString(path)
}

// CheckSafeIntegers refuses, naming each by its path under field, the
// integers past ±(2^53-1) in raw, free-form JSON a client sends to be kept
// and read back (fabric's additionalAttributes): a client that reads
// numbers as doubles, as JavaScript does, would read another. Typed
// fields refuse them when decoded; free-form JSON says nothing of its
// numbers, so a dialect asks for this of what its client sent, never of
// what is stored. raw is JSON already decoded.
func CheckSafeIntegers(field string, raw []byte) error {
	if len(raw) == 0 || raw[0] != '{' && raw[0] != '[' {
		return nil // nothing kept as sent, or refused for its type
	}
	w, err := walk(raw, nil, true)
	if err != nil {
		return err
	}
	defer w.release()
	if len(w.fields) == 0 {
		return nil
	}
	fields := make([]contract.FieldError, len(w.fields))
	for i, f := range w.fields {
		sep := "."
		if strings.HasPrefix(f.Field, "[") {
			sep = ""
		}
		fields[i] = contract.FieldError{Field: field + sep + f.Field, Message: f.Message}
	}
	return contract.Invalid(fields...)
}

// CheckKeys refuses, naming each, the names of obj that are not fields of
// target's JSON form, by the rules Decode applies to a body (exact,
// case-sensitive names). A JSON merge patch needs it: a merge drops a key
// whose value is null before anything decodes it, so without this check
// {"nmae": null} would be accepted as a patch that changes nothing. A
// target that is not a struct accepts any name.
func CheckKeys(obj map[string]stdjson.RawMessage, target any) error {
	t := reflect.TypeOf(target)
	if t == nil {
		return nil
	}
	s, err := shapeOf(t)
	if err != nil {
		return err
	}
	if s == nil || s.kind != kindStruct || s.open {
		return nil
	}
	var fields []contract.FieldError
	for _, name := range slices.Sorted(maps.Keys(obj)) {
		if _, ok := s.fields[name]; ok {
			continue
		}
		fields = append(fields, contract.FieldError{Field: pathString([]segment{{key: []byte(name)}}), Message: unknownField(s, name)})
		if len(fields) == maxFieldErrors {
			break
		}
	}
	if len(fields) > 0 {
		return contract.Invalid(fields...)
	}
	return nil
}
