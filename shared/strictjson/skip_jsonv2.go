//go:build goexperiment.jsonv2 && !go1.27

package strictjson

import jsonv2 "encoding/json/v2"

// errSkip tells json/v2 that an unmarshal function declines a value. The
// module github.com/go-json-experiment/json is encoding/json/v2 itself
// under GOEXPERIMENT=jsonv2, and before Go 1.27 that package names this
// error SkipFunc where the module has errors.ErrUnsupported.
var errSkip = jsonv2.SkipFunc
