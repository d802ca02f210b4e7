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
