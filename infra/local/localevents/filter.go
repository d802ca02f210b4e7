package localevents

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-lambda-go/events"
)

// Filter is an event source mapping's FilterCriteria, as Lambda applies it
// to a stream's records (the Lambda developer guide, "Control which events
// Lambda sends to your function" and "Using event filtering with a
// DynamoDB event source"): a record reaches the function when any of its
// patterns matches the record as the function would receive it; one that
// none matches is passed over, and the shard's position moves past it as
// past a record the function took.
//
// A pattern matches when each of its fields matches the record's field of
// that name: an object field by its own fields, an array by the record's
// value being one of the array's strings, numbers, booleans or nulls
// (equality matching). The content filters (prefix, exists, numeric,
// anything-but and the rest: objects inside the array) are not emulated:
// ParseFilter refuses them, so a template that uses one fails here rather
// than filter otherwise than Lambda.
type Filter struct {
	patterns []map[string]any
}

// ParseFilter compiles the patterns of a FilterCriteria; none gives a nil
// Filter, which passes every record.
func ParseFilter(patterns []string) (*Filter, error) {
	if len(patterns) == 0 {
		return nil, nil
	}
	f := &Filter{}
	for _, p := range patterns {
		var pattern map[string]any
		if err := json.Unmarshal([]byte(p), &pattern); err != nil {
			return nil, fmt.Errorf("localevents: filter pattern %s: %w", p, err)
		}
		if err := checkPattern(pattern); err != nil {
			return nil, fmt.Errorf("localevents: filter pattern %s: %w", p, err)
		}
		f.patterns = append(f.patterns, pattern)
	}
	return f, nil
}

// checkPattern refuses what Filter does not emulate.
func checkPattern(pattern map[string]any) error {
	for name, v := range pattern {
		switch v := v.(type) {
		case map[string]any:
			if err := checkPattern(v); err != nil {
				return err
			}
		case []any:
			for _, e := range v {
				switch e.(type) {
				case string, float64, bool, nil:
				default:
					return fmt.Errorf("field %q: content filters are not emulated, only equality", name)
				}
			}
		default:
			return fmt.Errorf("field %q: a pattern's values are objects or arrays", name)
		}
	}
	return nil
}

// Match reports whether the record reaches the function.
func (f *Filter) Match(rec events.DynamoDBEventRecord) bool {
	if f == nil {
		return true
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return false
	}
	var doc map[string]any
	if json.Unmarshal(raw, &doc) != nil {
		return false
	}
	return slices.ContainsFunc(f.patterns, func(p map[string]any) bool { return matches(p, doc) })
}

func matches(pattern, doc map[string]any) bool {
	for name, want := range pattern {
		got, ok := doc[name]
		if !ok {
			return false
		}
		switch want := want.(type) {
		case map[string]any:
			sub, isObject := got.(map[string]any)
			if !isObject || !matches(want, sub) {
				return false
			}
		case []any:
			if !slices.Contains(want, got) {
				return false
			}
		}
	}
	return true
}
