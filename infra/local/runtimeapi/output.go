package runtimeapi

import (
	"fmt"
	"io"
	"sync"
)

// SharedOutput is an Output that several writers running at once can
// share: several Functions, a gateway's access log, a tool's own lines.
// Each Write reaches W whole, one at a time. A Function serialises only
// its own processes' lines; writers that share one stream need this.
//
// Over a writer that holds text (a bytes.Buffer, a strings.Builder),
// String reads it under the same lock, so a test or a tool can read the
// output while processes still write it.
type SharedOutput struct {
	mu sync.Mutex
	W  io.Writer
}

func (o *SharedOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.W.Write(p)
}

// String returns W's text when W is a fmt.Stringer, and "" otherwise.
func (o *SharedOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if s, ok := o.W.(fmt.Stringer); ok {
		return s.String()
	}
	return ""
}
