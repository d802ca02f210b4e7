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
	"strings"
	"time"
)

// Tenant is a customer of the service. Aliases are the other identifiers
// its clients send in headers to name it (Kukkingu's tenant-id, the account
// of fabric's x-site-context); a header naming anything else is refused.
type Tenant struct {
	ID        string
	Aliases   []string
	CreatedAt time.Time
}

// Names reports whether name is the tenant's id or one of its aliases.
func (t *Tenant) Names(name string) bool {
	if name == t.ID {
		return true
	}
	for _, a := range t.Aliases {
		if a == name {
			return true
		}
	}
	return false
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
// already taken.
var ErrExists = errors.New("auth: already exists")

// Store is what auth needs from storage.
type Store interface {
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
