//go:build !goexperiment.jsonv2 || go1.27

package strictjson

import "errors"

// errSkip tells json/v2 that an unmarshal function declines a value, which
// json/v2 then decodes as it would without the function.
var errSkip = errors.ErrUnsupported
