package validate_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/validate"
)

type inner struct {
	Count int `json:"count" validate:"gte=1"`
}

type request struct {
	Name     string   `json:"name" validate:"required,max=3"`
	Code     string   `json:"currencyCode" validate:"required,iso4217"`
	Items    []string `json:"items" validate:"min=1"`
	Inner    inner    `json:"inner"`
	Pattern  string   `json:"pattern" validate:"omitempty,digits"`
	Untagged string   `validate:"required"`
}

func TestStructNamesEveryFieldByJSONPath(t *testing.T) {
	v := validate.New()
	v.RegisterPattern("digits", "must be digits only", func(s string) bool {
		return strings.Trim(s, "0123456789") == ""
	})
	err := v.Struct(&request{Name: "long", Code: "ZZZ", Pattern: "12a"})
	var e *contract.Error
	if !errors.As(err, &e) || e.Kind != contract.KindInvalid {
		t.Fatalf("err = %v, want KindInvalid", err)
	}
	got := map[string]string{}
	for _, f := range e.Fields {
		got[f.Field] = f.Message
	}
	want := map[string]string{
		"name":         "must be at most 3 characters",
		"currencyCode": "must be an ISO 4217 currency code, such as EUR",
		"items":        "must have at least 1 items",
		"inner.count":  "must be at least 1",
		"pattern":      "must be digits only",
		"Untagged":     "is required",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	if err := v.Struct(&request{Name: "ok", Code: "EUR", Items: []string{"a"}, Inner: inner{Count: 1}, Untagged: "x"}); err != nil {
		t.Fatalf("valid request refused: %v", err)
	}
}

// singleline, registered on every Validator, refuses what would break a
// log line or an export of an identifier or a name, and nothing else.
func TestSingleLine(t *testing.T) {
	type named struct {
		Name string `json:"name" validate:"singleline"`
	}
	v := validate.New()
	for _, s := range []string{"", "Acme GmbH", "Vertrag für Zoë ☃", "a/b:c-d_e.f", "emoji 🙂"} {
		if err := v.Struct(&named{Name: s}); err != nil {
			t.Errorf("%q refused: %v", s, err)
		}
	}
	for _, s := range []string{"a\x00b", "a\nb", "a\tb", "\x1b[31mred", "a\u0085b", "a\u2028b", "a\u2029b", "\x7f"} {
		var e *contract.Error
		if err := v.Struct(&named{Name: s}); !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "name" ||
			e.Fields[0].Message != "must be one line of text, without control characters" {
			t.Errorf("%q: %v", s, err)
		}
	}
}
