package httpapi

import (
	"encoding/json"
	"fmt"

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
