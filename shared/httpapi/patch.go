package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/strictjson"
)

// MergePatch applies a JSON merge patch (RFC 7396) of top-level fields to
// base's JSON object form, and decodes the merged object into dst with
// strictjson.Decode: a field of patch replaces base's, and null removes
// it. Dialects then validate dst as they would a create, so an update
// obeys exactly the create's rules.
func MergePatch(base any, patch map[string]json.RawMessage, dst any) error {
	// A null for a key base does not have would vanish in the merge, and
	// the patch would pass with a field nobody knows.
	if err := strictjson.CheckKeys(patch, base); err != nil {
		return err
	}
	raw, err := json.Marshal(base)
	if err != nil {
		return fmt.Errorf("httpapi: encode patch base: %w", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("httpapi: patch base is not an object: %w", err)
	}
	for k, v := range patch {
		if string(v) == "null" {
			delete(obj, k)
			continue
		}
		obj[k] = v
	}
	merged, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("httpapi: encode merged patch: %w", err)
	}
	return strictjson.Decode(merged, dst)
}

// PatchedOnly keeps, of a refusal of a merged patch's shape rules, the
// fields the patch sent (a field is named by its path, whose first name is
// the patch's key): a stored value that a rule added since it was written
// refuses does not stop a change of the other fields, and stays as it is.
// A refusal left with no field is nil; any other error is returned as it
// is. Only shape rules, each of one field, are filtered: rules across
// fields (dates in order) hold whatever the patch sent.
func PatchedOnly(err error, patch map[string]json.RawMessage) error {
	var e *contract.Error
	if !errors.As(err, &e) || e.Kind != contract.KindInvalid || len(e.Fields) == 0 {
		return err
	}
	var kept []contract.FieldError
	for _, f := range e.Fields {
		key, _, _ := strings.Cut(f.Field, ".")
		key, _, _ = strings.Cut(key, "[")
		if _, sent := patch[key]; sent {
			kept = append(kept, f)
		}
	}
	if len(kept) == 0 {
		return nil
	}
	return contract.Invalid(kept...)
}
