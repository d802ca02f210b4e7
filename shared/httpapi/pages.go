package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// MaxPayloadBytes is Lambda's bound on what a synchronously invoked
// function answers: 6 MB ("Lambda quotas", Invocation payload (request
// and response): 6 MB each for request and response, synchronous),
// counted here as 6 MiB, a hundred bytes under the 6,291,556 Lambda's
// refusal names (and infra/local/runtimeapi keeps). Past it Lambda drops
// the answer and API Gateway answers 502, while the function has logged a
// success (infra/e2e's TestLargeListThroughLambda). The payload is
// the whole response event as aws-lambda-go encodes it, in which the body
// is one JSON string: each quote and backslash of a JSON body counts
// twice. API Gateway's own bound on an HTTP API's payload (10 MB, "Quotas
// for configuring and running an HTTP API") is never the first reached.
const MaxPayloadBytes = 6 << 20

// pageBudget is the most payload a list page may take: MaxPayloadBytes
// less room for what the router adds to an answer after its handler has
// built it (the trace-id header, at most 128 characters).
const pageBudget = MaxPayloadBytes - 16<<10

// PayloadSize is the size of resp as Lambda's response payload: the bytes
// aws-lambda-go writes for it (encoding/json, HTML characters left
// unescaped, then a newline).
func PayloadSize(resp events.APIGatewayV2HTTPResponse) int {
	body := resp.Body
	resp.Body = ""
	var frame bytes.Buffer
	enc := json.NewEncoder(&frame)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(resp); err != nil {
		// A response of strings, a map of strings and a number always
		// encodes; count it past any bound rather than as fitting.
		return MaxPayloadBytes + 1
	}
	return frame.Len() + jsonStringLen(body) - len(`""`)
}

// jsonStringLen is the length of s encoded as a JSON string by
// encoding/json with HTML escaping off, quotes included: quote,
// backslash and the short-escaped controls take two bytes, other controls
// six (\u00XX), U+2028, U+2029 and each byte of invalid UTF-8 six, and
// everything else itself. TestJSONStringLen and FuzzPayloadSize hold it
// to the encoder.
func jsonStringLen(s string) int {
	n := len(`""`)
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\' || b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
				n += 2
			case b < 0x20:
				n += len(`\u0000`)
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\u2028', r == '\u2029':
			n += len(`\u0000`)
		default:
			n += size
		}
		i += size
	}
	return n
}

// JSONPage answers a page of a list whose body shows, for n, the list's
// first n items (page(n)). It shows all count items when their answer
// fits in one Lambda response, and otherwise as many as fit, and returns
// how many it shows: the caller's list then goes on after the last one
// shown (a cursor, a next offset), so a client reading on is given every
// item, however large. One item always fits, contracts being bounded in
// size (a stored contract is at most 400 KB) far below it; one that did
// not would be a fault of the service, and errs.
//
// The answer of the whole page is encoded first, and in the common case
// it is the only encoding; a page past the budget is cut by a binary
// search on its length, some seven more encodings for a page of 100.
func JSONPage(status, count int, page func(n int) any) (events.APIGatewayV2HTTPResponse, int, error) {
	resp, err := JSON(status, page(count))
	if err != nil || PayloadSize(resp) <= pageBudget {
		return resp, count, err
	}
	// fits(lo) holds (or lo is 0), fits(hi) does not.
	lo, hi := 0, count
	var best events.APIGatewayV2HTTPResponse
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		r, err := JSON(status, page(mid))
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, 0, err
		}
		if PayloadSize(r) <= pageBudget {
			lo, best = mid, r
		} else {
			hi = mid
		}
	}
	if lo == 0 {
		return events.APIGatewayV2HTTPResponse{}, 0, fmt.Errorf("httpapi: one item of a list answers more than %d bytes", pageBudget)
	}
	return best, lo, nil
}
