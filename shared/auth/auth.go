// Package auth holds tenants and their API credentials: how tokens are
// made, how they are checked, and the authorizer that turns a request's
// credential into the tenant and principal the functions act for.
//
// A token is "ctk_" + the credential id (32 hex digits) + "_" + a 256-bit
// secret. Only its SHA-256 hash is stored. Carrying the id inside the token
// lets the authorizer find the credential with one key lookup and lets an
// operator revoke a credential by its id, as with AWS access keys.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Tenant is a customer of the service. Aliases are the other identifiers
// its clients send in headers to name it (Kukkingu's tenant-id, the account
// of fabric's x-site-context); a header naming anything else is refused.
//
// A tenant's id and aliases are its names, and they share one namespace
// across the table: a Store refuses a tenant any of whose names already
// names another (TakenError). So a name in a header names at most one
// tenant, and checking it against the credential's tenant (Names) is the
// same as resolving it and comparing: no tenant can answer to another's
// name.
type Tenant struct {
	ID        string
	Aliases   []string
	CreatedAt time.Time
}

// MaxAliases bounds a tenant's aliases: each is reserved in the
// transaction that creates the tenant (DynamoDB takes 100 items), and all
// of them travel in the authorizer's context to every function.
const MaxAliases = 10

// NameList returns the tenant's names: its id, then its aliases.
func (t *Tenant) NameList() []string {
	return append([]string{t.ID}, t.Aliases...)
}

// Validate checks the names of a tenant about to be created: the id and
// every alias ValidID, at most MaxAliases aliases, and no name twice (an
// alias equal to the id included). Its message starts with the name of the
// failing field, "id" or "alias".
func (t *Tenant) Validate() error {
	if !ValidID(t.ID) {
		return errors.New("id must be 1-128 characters of letters, digits, '_', '.', '-', starting with a letter or digit")
	}
	if len(t.Aliases) > MaxAliases {
		return fmt.Errorf("alias is given %d times; a tenant has at most %d aliases", len(t.Aliases), MaxAliases)
	}
	seen := map[string]bool{t.ID: true}
	for _, a := range t.Aliases {
		if !ValidID(a) {
			return fmt.Errorf("alias %q must be 1-128 characters of letters, digits, '_', '.', '-', starting with a letter or digit", a)
		}
		if seen[a] {
			return fmt.Errorf("alias %q is given twice or equals the id", a)
		}
		seen[a] = true
	}
	return nil
}

// Names reports whether name is the tenant's id or one of its aliases.
func (t *Tenant) Names(name string) bool {
	return name == t.ID || slices.Contains(t.Aliases, name)
}

// Credential is an API credential of a tenant. Its ID is the principal
// recorded as createdBy and updatedBy; SecretHash is the hex SHA-256 of the
// whole token.
type Credential struct {
	ID         string
	TenantID   string
	SecretHash string
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// ErrUnknownCredential is returned for a token that is malformed, unknown
// or revoked. The three are not told apart, to the client or in logs.
var ErrUnknownCredential = errors.New("auth: unknown credential")

// ErrNotFound is returned by a Store for a tenant or credential that does
// not exist.
var ErrNotFound = errors.New("auth: not found")

// ErrExists is returned by a Store for a tenant or credential id that is
// already taken. A tenant's taken names come as a *TakenError, which
// matches it.
var ErrExists = errors.New("auth: already exists")

// TakenError is a Store's refusal of a tenant some of whose names (its id
// or aliases) already name a tenant. It says which names, and never whose:
// the tenant holding one is none of the caller's business.
type TakenError struct {
	Names []string
}

func (e *TakenError) Error() string {
	verb := "names"
	if len(e.Names) > 1 {
		verb = "name"
	}
	return fmt.Sprintf("auth: %s already %s a tenant", quoteAll(e.Names), verb)
}

// Unwrap makes a TakenError match ErrExists.
func (e *TakenError) Unwrap() error { return ErrExists }

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// Store is what auth needs from storage.
type Store interface {
	// CreateTenant writes t and reserves each of its names table-wide,
	// all or nothing: a name that already names a tenant (t's own id
	// included) is a *TakenError naming it.
	CreateTenant(ctx context.Context, t Tenant) error
	GetTenant(ctx context.Context, id string) (*Tenant, error)
	CreateCredential(ctx context.Context, c Credential) error
	GetCredential(ctx context.Context, id string) (*Credential, error)
	RevokeCredential(ctx context.Context, id string, at time.Time) error
}

const tokenPrefix = "ctk_"

// Token shape: "ctk_", the credential id in 32 lowercase hex digits, "_",
// and the secret in 43 base64url characters (32 bytes, unpadded).
const (
	tokenIDLength     = 32
	tokenSecretLength = 43
	tokenLength       = len(tokenPrefix) + tokenIDLength + 1 + tokenSecretLength
	maxIDLength       = 128
)

// ValidID reports whether s may be used as a tenant id or alias: 1 to 128
// ASCII letters, digits, '_', '.' and '-', starting with a letter or
// digit; safe in keys, headers and logs.
//
// This and credentialID check their shapes by hand rather than with
// regexps: compiling the counted repetitions those shapes need cost every
// cold start half a millisecond.
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > maxIDLength || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// NewToken returns a new credential of tenantID and the token that proves
// it. The token is shown once; only its hash is kept.
func NewToken(tenantID string, now time.Time) (Credential, string) {
	var id [16]byte
	var secret [32]byte
	rand.Read(id[:])
	rand.Read(secret[:])
	hexID := hex.EncodeToString(id[:])
	token := tokenPrefix + hexID + "_" + base64.RawURLEncoding.EncodeToString(secret[:])
	return Credential{ID: hexID, TenantID: tenantID, SecretHash: Hash(token), CreatedAt: now.UTC()}, token
}

// Hash returns the hex SHA-256 of a token, the only form in which tokens
// are stored.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// credentialID returns the credential id inside a token, or false if the
// token does not have the shape NewToken makes.
func credentialID(token string) (string, bool) {
	if len(token) != tokenLength || !strings.HasPrefix(token, tokenPrefix) {
		return "", false
	}
	id, rest := token[len(tokenPrefix):len(tokenPrefix)+tokenIDLength], token[len(tokenPrefix)+tokenIDLength:]
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	if rest[0] != '_' {
		return "", false
	}
	for i := 1; i < len(rest); i++ {
		if c := rest[i]; !isAlnum(c) && c != '_' && c != '-' {
			return "", false
		}
	}
	return id, true
}

// TokenFromHeaders returns the token of a request: "Authorization: Bearer
// <token>" or "X-API-KEY: <token>". Header names must already be lower
// case, as API Gateway's HTTP API delivers them.
func TokenFromHeaders(headers map[string]string) string {
	if v, ok := headers["authorization"]; ok {
		scheme, token, found := strings.Cut(strings.TrimSpace(v), " ")
		if found && strings.EqualFold(scheme, "bearer") {
			return strings.TrimSpace(token)
		}
		return ""
	}
	return strings.TrimSpace(headers["x-api-key"])
}

// Principal is who a request acts for: the tenant and the credential.
type Principal struct {
	Tenant       Tenant
	CredentialID string
}

// Authenticate checks token against the store and returns its principal.
// Any failure to authenticate is ErrUnknownCredential; a failure of the
// store itself is returned as is, so it is not mistaken for a bad token.
func Authenticate(ctx context.Context, store Store, token string) (*Principal, error) {
	id, ok := credentialID(token)
	if !ok {
		return nil, ErrUnknownCredential
	}
	cred, err := store.GetCredential(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnknownCredential
	}
	if err != nil {
		return nil, err
	}
	// Constant-time compare, so response timing says nothing about how
	// much of a guessed secret was right.
	if subtle.ConstantTimeCompare([]byte(cred.SecretHash), []byte(Hash(token))) != 1 || cred.RevokedAt != nil {
		return nil, ErrUnknownCredential
	}
	tenant, err := store.GetTenant(ctx, cred.TenantID)
	if errors.Is(err, ErrNotFound) {
		return nil, ErrUnknownCredential
	}
	if err != nil {
		return nil, err
	}
	return &Principal{Tenant: *tenant, CredentialID: cred.ID}, nil
}
