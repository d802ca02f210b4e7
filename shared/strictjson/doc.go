// Package strictjson decodes the JSON a client sends (an HTTP body, a
// queue's message, an event's detail, a header holding JSON) strictly, and
// refuses what it will not decode with errors that name every failing
// field at once, by its path as the client wrote it ("actions[0].type").
// It rests on json/v2 (github.com/go-json-experiment/json, the code of
// encoding/json/v2 as a module until the toolchain makes it the default),
// and the HTTP, queue and event paths share it without importing one
// another.
//
// json/v2 refuses by itself most of what encoding/json lets through:
// duplicate names, invalid UTF-8, names that match a field only when case
// is ignored, unknown members (RejectUnknownMembers). What it does not do
// is what this package adds, in one pass over the body with json/v2's own
// reader (jsontext.Decoder) before json/v2 decodes it:
//
//   - Every failing field at once. json/v2 stops at its first refusal;
//     a client sending a value of the wrong type beside an unknown name
//     and a bad date should hear of all three in one answer. The walk
//     records each refusal and goes on, and DecodeValid joins them with
//     the value's own rules (validator tags, pairs of fields), checked on
//     the rest of the body, which json/v2 decodes with the refused values
//     taken out.
//   - Bounds checked before memory is spent: MaxDepth, MaxArrayLength and
//     MaxObjectMembers, none of which json/v2 has (jsontext allows 10000
//     levels).
//   - Integers within ±(2^53-1), the range every JSON client reads
//     exactly, where json/v2 takes anything an int64 holds.
//   - Messages a client can act on: "must be an integer from ... to ...",
//     "did you mean "name"?" for a name that differs only in case, in
//     place of json/v2's, which name Go types.
//
// The walk follows the destination's shape, compiled once per Go type.
// Which JSON name reaches which field of a struct is not re-implemented:
// json/v2 itself is asked, by decoding into the type an object of every
// name that could be one (structFields). The walk reads nothing itself:
// grammar, escapes and UTF-8 are jsontext's. After a clean walk json/v2
// decodes the body with RejectUnknownMembers and its strict defaults, so
// that should the walk and json/v2 ever disagree, json/v2's refusal still
// stands (named by its JSON pointer).
package strictjson
