package aira

import (
	"encoding/json"
	"testing"
)

// customFields, wherever Aira takes them, map names to a string or an
// array of strings, and nothing else.
func TestValidCustomFields(t *testing.T) {
	tests := []struct {
		raw  string
		want bool
	}{
		{``, true},
		{`null`, true},
		{`{}`, true},
		{`{"a":"x"}`, true},
		{`{"a":"x","b":["y","z"],"c":[]}`, true},
		{` { "a" : [ "x" , "y" ] } `, true},
		{`{"a":1}`, false},
		{`{"a":null}`, false},
		{`{"a":true}`, false},
		{`{"a":{"b":"x"}}`, false},
		{`{"a":["x",1]}`, false},
		{`{"a":["x",null]}`, false},
		{`{"a":[["x"]]}`, false},
		{`{"a":"x","b":[{}]}`, false},
		{`[]`, false},
		{`["x"]`, false},
		{`"x"`, false},
		{`5`, false},
		{`{"a":"x"`, false}, // not JSON, which a decoded body never holds
	}
	for _, tt := range tests {
		if got := validCustomFields(json.RawMessage(tt.raw)); got != tt.want {
			t.Errorf("validCustomFields(%s) = %v, want %v", tt.raw, got, tt.want)
		}
	}
}
