package auth_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/contracts-service/contracts/shared/auth"
)

// tokenShape is the documented token format, written out independently of
// the package so a change to the format fails here.
var tokenShape = regexp.MustCompile(`^ctk_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$`)

// now is deliberately not UTC: credentials must be stamped in UTC whatever
// the caller's zone.
var now = time.Date(2026, 3, 12, 19, 3, 58, 0, time.FixedZone("CET", 3600))

// fakeStore is a hand-written auth.Store. A method whose function field is
// nil fails the test when called, so each test states exactly which
// lookups it expects.
type fakeStore struct {
	t             *testing.T
	getCredential func(ctx context.Context, id string) (*auth.Credential, error)
	getTenant     func(ctx context.Context, id string) (*auth.Tenant, error)
}

var errUnexpectedCall = errors.New("unexpected store call")

// unexpected fails the test for a call it did not expect.
func (f *fakeStore) unexpected(call, arg string) error {
	f.t.Errorf("unexpected %s(%q)", call, arg)
	return errUnexpectedCall
}

// lookup answers a get through fn, or as an unexpected call when the test
// gave no fn.
func lookup[T any](ctx context.Context, f *fakeStore, call, id string, fn func(ctx context.Context, id string) (*T, error)) (*T, error) {
	if fn == nil {
		return nil, f.unexpected(call, id)
	}
	return fn(ctx, id)
}

func (f *fakeStore) CreateTenant(_ context.Context, tn auth.Tenant) error {
	return f.unexpected("CreateTenant", tn.ID)
}

func (f *fakeStore) GetTenant(ctx context.Context, id string) (*auth.Tenant, error) {
	return lookup(ctx, f, "GetTenant", id, f.getTenant)
}

func (f *fakeStore) CreateCredential(_ context.Context, c auth.Credential) error {
	return f.unexpected("CreateCredential", c.ID)
}

func (f *fakeStore) GetCredential(ctx context.Context, id string) (*auth.Credential, error) {
	return lookup(ctx, f, "GetCredential", id, f.getCredential)
}

func (f *fakeStore) RevokeCredential(_ context.Context, id string, _ time.Time) error {
	return f.unexpected("RevokeCredential", id)
}

// fixture is a small, fixed world of tenants and credentials, with the
// tokens that go with them.
type fixture struct {
	tenants map[string]auth.Tenant
	creds   map[string]auth.Credential

	valid, revoked, orphan, unknown, wrongSecret string
	validCred                                    auth.Credential
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{
		tenants: map[string]auth.Tenant{
			"t1": {ID: "t1", Aliases: []string{"a1", "a2"}, CreatedAt: now.UTC()},
		},
		creds: map[string]auth.Credential{},
	}
	var revokedCred, orphanCred auth.Credential
	f.validCred, f.valid = auth.NewToken("t1", now)
	revokedCred, f.revoked = auth.NewToken("t1", now)
	revokedAt := now.Add(time.Hour)
	revokedCred.RevokedAt = &revokedAt
	orphanCred, f.orphan = auth.NewToken("gone", now)
	_, f.unknown = auth.NewToken("t1", now)
	for _, c := range []auth.Credential{f.validCred, revokedCred, orphanCred} {
		f.creds[c.ID] = c
	}
	// Same credential id as the valid token, another secret: only the
	// hash comparison can tell them apart.
	f.wrongSecret = f.valid[:len("ctk_")+32+1] + strings.Repeat("A", 43)
	if f.wrongSecret == f.valid {
		t.Fatal("wrong-secret token equals the valid one")
	}
	return f
}

// store returns a fake backed by the fixture's maps. lookedUp, when not
// nil, receives the ids of the credentials asked for.
func (f *fixture) store(t *testing.T, lookedUp *[]string) *fakeStore {
	return &fakeStore{
		t: t,
		getCredential: func(_ context.Context, id string) (*auth.Credential, error) {
			if lookedUp != nil {
				*lookedUp = append(*lookedUp, id)
			}
			c, ok := f.creds[id]
			if !ok {
				// Stores wrap their errors; the sentinel must still be
				// recognised through the chain.
				return nil, fmt.Errorf("get credential %s: %w", id, auth.ErrNotFound)
			}
			return &c, nil
		},
		getTenant: func(_ context.Context, id string) (*auth.Tenant, error) {
			tn, ok := f.tenants[id]
			if !ok {
				return nil, auth.ErrNotFound
			}
			return &tn, nil
		},
	}
}

func TestNewToken(t *testing.T) {
	const n = 50
	tokens := map[string]bool{}
	ids := map[string]bool{}
	for i := 0; i < n; i++ {
		cred, token := auth.NewToken("t1", now)
		if !tokenShape.MatchString(token) {
			t.Fatalf("token %q does not have the documented shape", token)
		}
		if got := token[len("ctk_") : len("ctk_")+32]; cred.ID != got {
			t.Fatalf("credential id %q, token carries %q", cred.ID, got)
		}
		if cred.SecretHash != auth.Hash(token) {
			t.Fatalf("SecretHash %q is not Hash(token) %q", cred.SecretHash, auth.Hash(token))
		}
		if strings.Contains(cred.SecretHash, token[len("ctk_")+33:]) {
			t.Fatal("the stored hash contains the secret")
		}
		if cred.TenantID != "t1" {
			t.Fatalf("TenantID = %q", cred.TenantID)
		}
		if !cred.CreatedAt.Equal(now) || cred.CreatedAt.Location() != time.UTC {
			t.Fatalf("CreatedAt = %v, want %v in UTC", cred.CreatedAt, now.UTC())
		}
		if cred.RevokedAt != nil {
			t.Fatal("a new credential is revoked")
		}
		if tokens[token] || ids[cred.ID] {
			t.Fatalf("token or id repeated after %d calls: %q", i, token)
		}
		tokens[token], ids[cred.ID] = true, true
	}
}

func TestHash(t *testing.T) {
	// Stored hashes must stay comparable across releases: pin the
	// algorithm and encoding (hex SHA-256) with the standard test vectors.
	tests := []struct{ in, want string }{
		{"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
	}
	for _, tt := range tests {
		if got := auth.Hash(tt.in); got != tt.want {
			t.Errorf("Hash(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestTokenFromHeaders(t *testing.T) {
	const tok = "ctk_0123456789abcdef0123456789abcdef_secret"
	tests := []struct {
		name    string
		headers map[string]string
		want    string
	}{
		{"bearer", map[string]string{"authorization": "Bearer " + tok}, tok},
		{"bearer lower case scheme", map[string]string{"authorization": "bearer " + tok}, tok},
		{"bearer upper case scheme", map[string]string{"authorization": "BEARER " + tok}, tok},
		{"bearer mixed case scheme", map[string]string{"authorization": "bEaReR " + tok}, tok},
		{"bearer extra spaces", map[string]string{"authorization": "  Bearer    " + tok + "  "}, tok},
		{"x-api-key", map[string]string{"x-api-key": tok}, tok},
		{"x-api-key padded", map[string]string{"x-api-key": "  " + tok + " "}, tok},
		{"bearer wins over x-api-key", map[string]string{"authorization": "Bearer " + tok, "x-api-key": "other"}, tok},
		{"basic scheme", map[string]string{"authorization": "Basic dXNlcjpwYXNz"}, ""},
		// A client sending an Authorization the service does not
		// understand is refused rather than silently judged by X-API-KEY.
		{"basic scheme with x-api-key", map[string]string{"authorization": "Basic dXNlcjpwYXNz", "x-api-key": tok}, ""},
		{"token without scheme", map[string]string{"authorization": tok}, ""},
		{"bearer without token", map[string]string{"authorization": "Bearer"}, ""},
		{"bearer with only spaces", map[string]string{"authorization": "Bearer   "}, ""},
		{"empty authorization", map[string]string{"authorization": ""}, ""},
		{"bearer prefix of another scheme", map[string]string{"authorization": "Bearerx " + tok}, ""},
		{"empty x-api-key", map[string]string{"x-api-key": "  "}, ""},
		{"neither", map[string]string{"content-type": "application/json"}, ""},
		{"nil headers", nil, ""},
		// Names are expected lower case, as the HTTP API delivers them.
		{"header name not lower case", map[string]string{"Authorization": "Bearer " + tok}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auth.TokenFromHeaders(tt.headers); got != tt.want {
				t.Errorf("TokenFromHeaders(%q) = %q, want %q", tt.headers, got, tt.want)
			}
		})
	}
}

func TestAuthenticate(t *testing.T) {
	f := newFixture(t)
	p, err := auth.Authenticate(context.Background(), f.store(t, nil), f.valid)
	if err != nil {
		t.Fatalf("valid token: %v", err)
	}
	if p.Tenant.ID != "t1" || p.CredentialID != f.validCred.ID {
		t.Fatalf("principal = %+v, want tenant t1 and credential %s", p, f.validCred.ID)
	}
	if strings.Join(p.Tenant.Aliases, ",") != "a1,a2" {
		t.Fatalf("aliases = %q", p.Tenant.Aliases)
	}
}

func TestAuthenticateLooksUpTheIDInsideTheToken(t *testing.T) {
	f := newFixture(t)
	var lookedUp []string
	if _, err := auth.Authenticate(context.Background(), f.store(t, &lookedUp), f.valid); err != nil {
		t.Fatal(err)
	}
	if len(lookedUp) != 1 || lookedUp[0] != f.validCred.ID {
		t.Fatalf("looked up %q, want exactly [%s]", lookedUp, f.validCred.ID)
	}
}

func TestAuthenticateRefusesMalformedTokensWithoutLookup(t *testing.T) {
	f := newFixture(t)
	id := f.validCred.ID
	secret := f.valid[len("ctk_")+33:]
	tests := []struct{ name, token string }{
		{"empty", ""},
		{"prefix only", "ctk_"},
		{"other prefix", "ctx_" + id + "_" + secret},
		{"no prefix", id + "_" + secret},
		{"upper case id", "ctk_" + strings.ToUpper(id) + "_" + secret},
		{"short id", "ctk_" + id[1:] + "_" + secret},
		{"long id", "ctk_" + id + "0_" + secret},
		{"non-hex id", "ctk_" + "g" + id[1:] + "_" + secret},
		{"short secret", "ctk_" + id + "_" + secret[1:]},
		{"long secret", "ctk_" + id + "_" + secret + "A"},
		{"padded secret", "ctk_" + id + "_" + secret[1:] + "="},
		{"standard base64 secret", "ctk_" + id + "_" + "+/" + secret[2:]},
		{"missing separator", "ctk_" + id + secret},
		{"leading space", " " + f.valid},
		{"trailing newline", f.valid + "\n"},
		{"two tokens", f.valid + "," + f.valid},
		{"scheme included", "Bearer " + f.valid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A nil-function fake: any lookup fails the test.
			unknownCredential(t, &fakeStore{t: t}, tt.token)
		})
	}
}

func TestAuthenticateRefusals(t *testing.T) {
	f := newFixture(t)
	emptyHash := f.validCred
	emptyHash.SecretHash = ""
	tests := []struct {
		name  string
		token func() string
		store func(t *testing.T) auth.Store
	}{
		{"unknown id", func() string { return f.unknown }, func(t *testing.T) auth.Store { return f.store(t, nil) }},
		{"unwrapped not found", func() string { return f.unknown }, func(t *testing.T) auth.Store {
			return &fakeStore{t: t, getCredential: func(context.Context, string) (*auth.Credential, error) {
				return nil, auth.ErrNotFound
			}}
		}},
		// getTenant is nil in the next fakes: a refused secret must not
		// go on to load the tenant.
		{"right id wrong secret", func() string { return f.wrongSecret }, func(t *testing.T) auth.Store {
			s := f.store(t, nil)
			s.getTenant = nil
			return s
		}},
		{"stored hash empty", func() string { return f.valid }, func(t *testing.T) auth.Store {
			return &fakeStore{t: t, getCredential: func(context.Context, string) (*auth.Credential, error) {
				c := emptyHash
				return &c, nil
			}}
		}},
		{"revoked", func() string { return f.revoked }, func(t *testing.T) auth.Store {
			s := f.store(t, nil)
			s.getTenant = nil
			return s
		}},
		{"tenant missing", func() string { return f.orphan }, func(t *testing.T) auth.Store { return f.store(t, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			unknownCredential(t, tt.store(t), tt.token())
		})
	}
}

// unknownCredential authenticates token against store and fails t unless
// it is refused as an unknown credential, with no principal.
func unknownCredential(t *testing.T, store auth.Store, token string) {
	t.Helper()
	p, err := auth.Authenticate(context.Background(), store, token)
	if !errors.Is(err, auth.ErrUnknownCredential) {
		t.Fatalf("err = %v, want ErrUnknownCredential", err)
	}
	if p != nil {
		t.Fatalf("principal %+v returned with an error", p)
	}
}

func TestAuthenticateReturnsStoreFailures(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("dynamodb: throttled")
	tests := []struct {
		name  string
		store func(t *testing.T) auth.Store
	}{
		{"credential lookup fails", func(t *testing.T) auth.Store {
			return &fakeStore{t: t, getCredential: func(context.Context, string) (*auth.Credential, error) {
				return nil, fmt.Errorf("get credential: %w", boom)
			}}
		}},
		{"tenant lookup fails", func(t *testing.T) auth.Store {
			s := f.store(t, nil)
			s.getTenant = func(context.Context, string) (*auth.Tenant, error) { return nil, boom }
			return s
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := auth.Authenticate(context.Background(), tt.store(t), f.valid)
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v, want the store's error", err)
			}
			// Turning an outage into "unknown credential" would lock
			// every client out with a 401 instead of a retryable 5xx.
			if errors.Is(err, auth.ErrUnknownCredential) {
				t.Fatalf("store failure reported as ErrUnknownCredential: %v", err)
			}
			if p != nil {
				t.Fatalf("principal %+v returned with an error", p)
			}
		})
	}
}

func TestTenantNames(t *testing.T) {
	withAliases := &auth.Tenant{ID: "t1", Aliases: []string{"a1", "a2"}}
	noAliases := &auth.Tenant{ID: "t2"}
	tests := []struct {
		name   string
		tenant *auth.Tenant
		arg    string
		want   bool
	}{
		{"id", withAliases, "t1", true},
		{"first alias", withAliases, "a1", true},
		{"second alias", withAliases, "a2", true},
		{"other tenant", withAliases, "t2", false},
		{"case differs", withAliases, "T1", false},
		{"alias case differs", withAliases, "A1", false},
		{"prefix of id", withAliases, "t", false},
		{"joined aliases", withAliases, "a1,a2", false},
		{"empty", withAliases, "", false},
		{"id without aliases", noAliases, "t2", true},
		{"empty without aliases", noAliases, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tenant.Names(tt.arg); got != tt.want {
				t.Errorf("%+v.Names(%q) = %v, want %v", tt.tenant, tt.arg, got, tt.want)
			}
		})
	}
}

func TestValidID(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"t1", true},
		{"A", true},
		{"0", true},
		{"acme.eu-west_1", true},
		{"tenant-" + strings.Repeat("x", 121), true}, // 128 characters
		{"tenant-" + strings.Repeat("x", 122), false},
		{"", false},
		{"-t1", false},
		{".t1", false},
		{"_t1", false},
		{"t 1", false},
		{"t1,t2", false}, // would break the authorizer's comma-joined aliases
		{"t1/t2", false},
		{"t1#x", false}, // '#' separates parts of storage keys
		{"t1:x", false},
		{"tënant", false},
		{"t1\n", false},
		{"t1\x00", false},
	}
	for _, tt := range tests {
		if got := auth.ValidID(tt.in); got != tt.want {
			t.Errorf("ValidID(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestTenantValidate(t *testing.T) {
	many := make([]string, auth.MaxAliases+1)
	for i := range many {
		many[i] = fmt.Sprintf("alias-%d", i)
	}
	tests := []struct {
		name    string
		tenant  auth.Tenant
		wantErr string
	}{
		{"id alone", auth.Tenant{ID: "acme"}, ""},
		{"id and aliases", auth.Tenant{ID: "acme", Aliases: []string{"tnt_1", "64f0c0ffee0000000000beef"}}, ""},
		{"as many aliases as allowed", auth.Tenant{ID: "acme", Aliases: many[:auth.MaxAliases]}, ""},
		{"no id", auth.Tenant{Aliases: []string{"tnt_1"}}, "id must be"},
		{"bad id", auth.Tenant{ID: "a b"}, "id must be"},
		{"bad alias", auth.Tenant{ID: "acme", Aliases: []string{"t1,t2"}}, `alias "t1,t2" must be`},
		{"alias twice", auth.Tenant{ID: "acme", Aliases: []string{"tnt_1", "tnt_1"}}, `alias "tnt_1" is given twice`},
		{"alias equal to the id", auth.Tenant{ID: "acme", Aliases: []string{"acme"}}, `alias "acme" is given twice or equals the id`},
		{"too many aliases", auth.Tenant{ID: "acme", Aliases: many}, "alias is given 11 times; a tenant has at most 10 aliases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.tenant.Validate()
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.wantErr)) {
				t.Fatalf("Validate() = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestTakenError(t *testing.T) {
	one := &auth.TakenError{Names: []string{"tnt_1"}}
	two := &auth.TakenError{Names: []string{"acme", "tnt_1"}}
	if got := one.Error(); got != `auth: "tnt_1" already names a tenant` {
		t.Errorf("one: %q", got)
	}
	if got := two.Error(); got != `auth: "acme", "tnt_1" already name a tenant` {
		t.Errorf("two: %q", got)
	}
	if !errors.Is(fmt.Errorf("wrapped: %w", one), auth.ErrExists) {
		t.Error("a TakenError does not match ErrExists")
	}
	tn := auth.Tenant{ID: "acme", Aliases: []string{"tnt_1", "acc-2"}}
	if got := tn.NameList(); !slices.Equal(got, []string{"acme", "tnt_1", "acc-2"}) {
		t.Errorf("NameList() = %v", got)
	}
}
