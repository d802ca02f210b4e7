// Package routes matches a request's method and path to the routes of an
// HTTP API the way API Gateway does, so that the two places that must
// match raw paths (the local emulation of the HTTP API, and the answers of
// its $default route) share one matcher and cannot disagree. The
// functions themselves never match paths: API Gateway has already chosen
// the route, and names it in the event's routeKey.
//
// A route key is "METHOD /path", as template.yaml declares it. A path
// segment is a literal, a parameter ("{contractId}", one non-empty
// segment) or, last, a greedy parameter ("{proxy+}", the rest of the path,
// at least one character). The method is upper case, or ANY for every
// method.
//
// Of the routes that match a request, the most specific wins, as API
// Gateway's HTTP APIs choose: compared segment by segment from the left, a
// literal beats a parameter and a parameter beats a greedy one; between
// routes of equally specific paths, the one of the request's own method
// beats ANY. The $default route is none of the table's: it takes what no
// route matches, which is the caller's to handle.
package routes

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Default is the route key of an HTTP API's catch-all route, which API
// Gateway invokes for every request no declared route matches.
const Default = "$default"

// Any is the method of a route that matches every method.
const Any = "ANY"

// Table is the routes of an API, ready to match requests.
type Table struct {
	routes []route
}

type route struct {
	key, method string
	segments    []string // the path split on "/", without its leading "/"
}

// New returns the table of keys. A key that is not "METHOD /path" is an
// error; $default is skipped (see the package documentation).
func New(keys []string) (*Table, error) {
	t := &Table{routes: make([]route, 0, len(keys))}
	for _, k := range keys {
		if k == Default {
			continue
		}
		method, path, ok := strings.Cut(k, " ")
		if !ok || method == "" || !strings.HasPrefix(path, "/") {
			return nil, fmt.Errorf("routes: %q is not a route key (METHOD /path)", k)
		}
		t.routes = append(t.routes, route{key: k, method: method, segments: strings.Split(path[1:], "/")})
	}
	return t, nil
}

// MustNew is New for keys known to be route keys (a router's, say); it
// panics on any other.
func MustNew(keys []string) *Table {
	t, err := New(keys)
	if err != nil {
		panic(err)
	}
	return t
}

// Route returns the route key API Gateway names in the event of a request,
// with the path parameters it hands over: the key Match finds, or Default
// when no route matches.
func (t *Table) Route(method, path string) (key string, params map[string]string) {
	if key, params, ok := t.Match(method, path); ok {
		return key, params
	}
	return Default, nil
}

// Match returns the key of the route that serves method on path, and the
// route's path parameters, or ok false when no route does (API Gateway
// then invokes the $default route). path is the request's path as sent,
// percent-encoded (an event's rawPath, without a stage); each segment is
// decoded before it is compared, and the parameters are decoded, as API
// Gateway hands them to functions.
func (t *Table) Match(method, path string) (key string, params map[string]string, ok bool) {
	parts := segments(path)
	var best *route
	var bestScore []int
	for i := range t.routes {
		r := &t.routes[i]
		if r.method != method && r.method != Any {
			continue
		}
		p, score, ok := matchSegments(r.segments, parts)
		if !ok {
			continue
		}
		// The method breaks ties of equally specific paths.
		if r.method == method {
			score = append(score, 1)
		} else {
			score = append(score, 0)
		}
		if best == nil || better(score, bestScore) {
			best, params, bestScore = r, p, score
		}
	}
	if best == nil {
		return "", nil, false
	}
	return best.key, params, true
}

// Methods returns the methods of the routes whose path matches path,
// whatever their method, in the table's order and each once: the methods
// Match accepts on path (every one, when one of them is ANY).
func (t *Table) Methods(path string) []string {
	parts := segments(path)
	var methods []string
	for _, r := range t.routes {
		if _, _, ok := matchSegments(r.segments, parts); ok && !slices.Contains(methods, r.method) {
			methods = append(methods, r.method)
		}
	}
	return methods
}

// segments splits a path as sent into its decoded segments. A segment
// that does not decode is compared as it was sent.
func segments(path string) []string {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, p := range parts {
		if u, err := url.PathUnescape(p); err == nil {
			parts[i] = u
		}
	}
	return parts
}

// matchSegments matches path segments against a route's template. The
// score ranks each segment: 2 literal, 1 parameter, 0 greedy.
func matchSegments(tpl, parts []string) (map[string]string, []int, bool) {
	var params map[string]string
	score := make([]int, 0, len(tpl)+1)
	for i, t := range tpl {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "+}") {
			if i >= len(parts) || strings.Join(parts[i:], "") == "" {
				return nil, nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[t[1:len(t)-2]] = strings.Join(parts[i:], "/")
			return params, append(score, 0), true
		}
		if i >= len(parts) {
			return nil, nil, false
		}
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if parts[i] == "" {
				return nil, nil, false
			}
			if params == nil {
				params = map[string]string{}
			}
			params[t[1:len(t)-1]] = parts[i]
			score = append(score, 1)
			continue
		}
		if t != parts[i] {
			return nil, nil, false
		}
		score = append(score, 2)
	}
	if len(tpl) != len(parts) {
		return nil, nil, false
	}
	return params, score, true
}

// better reports whether score a ranks above b: the first segment where
// they differ decides, and a longer score (a route with more segments
// matched by name) wins a tie.
func better(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] > b[i]
		}
	}
	return len(a) > len(b)
}
