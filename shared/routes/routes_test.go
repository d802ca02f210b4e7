package routes_test

import (
	"reflect"
	"testing"

	"github.com/contracts-service/contracts/shared/routes"
)

// keys have the shapes API Gateway tells apart: literals, parameters, a
// greedy parameter, ANY, a route declared with a trailing slash, and
// routes that only their specificity separates.
var keys = []string{
	"GET /items",
	"POST /items",
	"GET /items/{id}",
	"GET /items/special",
	"DELETE /items/{id}",
	"ANY /items/{id}/notes",
	"POST /items/{id}/notes",
	"ANY /files/{path+}",
	"GET /files/readme",
	"POST /v1/contracts/",
	"GET /{tenant}/settings",
	"GET /admin/{page}",
	routes.Default,
}

func table(t *testing.T) *routes.Table {
	t.Helper()
	tb, err := routes.New(keys)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestMatch(t *testing.T) {
	tests := []struct {
		method, path string
		key          string
		params       map[string]string
	}{
		{"GET", "/items", "GET /items", nil},
		{"POST", "/items", "POST /items", nil},
		{"GET", "/items/42", "GET /items/{id}", map[string]string{"id": "42"}},
		// A literal beats a parameter.
		{"GET", "/items/special", "GET /items/special", nil},
		{"DELETE", "/items/special", "DELETE /items/{id}", map[string]string{"id": "special"}},
		// Parameters are decoded, and segments are compared decoded.
		{"GET", "/items/a%20b", "GET /items/{id}", map[string]string{"id": "a b"}},
		{"GET", "/items/a%2Fb", "GET /items/{id}", map[string]string{"id": "a/b"}},
		{"GET", "/item%73", "GET /items", nil},
		// A segment that does not decode is compared as sent.
		{"GET", "/items/%zz", "GET /items/{id}", map[string]string{"id": "%zz"}},
		// The request's own method beats ANY on equally specific paths.
		{"POST", "/items/1/notes", "POST /items/{id}/notes", map[string]string{"id": "1"}},
		{"PATCH", "/items/1/notes", "ANY /items/{id}/notes", map[string]string{"id": "1"}},
		// A greedy parameter takes the rest of the path, and loses to a
		// literal.
		{"GET", "/files/a/b/c.txt", "ANY /files/{path+}", map[string]string{"path": "a/b/c.txt"}},
		{"GET", "/files/readme", "GET /files/readme", nil},
		{"PUT", "/files/readme", "ANY /files/{path+}", map[string]string{"path": "readme"}},
		// The first segment that differs decides.
		{"GET", "/admin/settings", "GET /admin/{page}", map[string]string{"page": "settings"}},
		// A route declared with a trailing slash matches only with it.
		{"POST", "/v1/contracts/", "POST /v1/contracts/", nil},
	}
	tb := table(t)
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			key, params, ok := tb.Match(tt.method, tt.path)
			if !ok || key != tt.key || !reflect.DeepEqual(params, tt.params) {
				t.Fatalf("Match = %q %v %v, want %q %v", key, params, ok, tt.key, tt.params)
			}
		})
	}
}

func TestNoMatch(t *testing.T) {
	tb := table(t)
	for _, tt := range []struct{ method, path string }{
		{"DELETE", "/items"},
		{"GET", "/items/"},
		{"GET", "/items/42/"},
		{"GET", "/items/42/more"},
		{"GET", "//items"},
		{"GET", "/items//"},
		// An empty segment never fills a parameter, nor an empty rest a
		// greedy one.
		{"GET", "//settings"},
		{"GET", "/files/"},
		{"GET", "/files"},
		{"POST", "/v1/contracts"},
		{"GET", "/"},
		{"GET", ""},
		{"GET", "$default"},
		{"ANY", "/items"},
	} {
		if key, params, ok := tb.Match(tt.method, tt.path); ok {
			t.Errorf("%s %s matched %q %v", tt.method, tt.path, key, params)
		}
	}
}

func TestMethods(t *testing.T) {
	tb := table(t)
	for _, tt := range []struct {
		path string
		want []string
	}{
		{"/items", []string{"GET", "POST"}},
		{"/items/42", []string{"GET", "DELETE"}},
		{"/items/special", []string{"GET", "DELETE"}},
		{"/items/42/notes", []string{"ANY", "POST"}},
		{"/files/readme", []string{"ANY", "GET"}},
		{"/items/", nil},
		{"/nowhere", nil},
	} {
		if got := tb.Methods(tt.path); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Methods(%q) = %q, want %q", tt.path, got, tt.want)
		}
	}
}

// Methods names exactly the methods Match routes on a path.
func TestMethodsAgreeWithMatch(t *testing.T) {
	tb := table(t)
	for _, path := range []string{"/items", "/items/42", "/items/special", "/items/1/notes", "/files/a/b", "/files/readme",
		"/v1/contracts/", "/v1/contracts", "/t1/settings", "/admin/x", "/nowhere", "/"} {
		methods := tb.Methods(path)
		for _, m := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"} {
			_, _, ok := tb.Match(m, path)
			named := false
			for _, allowed := range methods {
				named = named || allowed == m || allowed == routes.Any
			}
			if ok != named {
				t.Errorf("%s %s: Match %v, but Methods names %q", m, path, ok, methods)
			}
		}
	}
}

func TestNewRefusesWhatIsNoRouteKey(t *testing.T) {
	for _, k := range []string{"", "GET", "/items", "GET items", " /items", "GET\t/items"} {
		if _, err := routes.New([]string{"GET /ok", k}); err == nil {
			t.Errorf("New accepted %q", k)
		}
	}
}

// Route names what API Gateway names: the matched route, or $default.
func TestRoute(t *testing.T) {
	tb := routes.MustNew(keys)
	if key, params := tb.Route("GET", "/items/7"); key != "GET /items/{id}" || params["id"] != "7" {
		t.Errorf("Route = %q %v", key, params)
	}
	if key, params := tb.Route("DELETE", "/items"); key != routes.Default || params != nil {
		t.Errorf("Route of an unmatched request = %q %v, want $default", key, params)
	}
}
