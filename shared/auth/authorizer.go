package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/logs"
)

// Context keys the authorizer hands to the functions; httpapi reads them.
const (
	ContextTenantID      = "tenantId"
	ContextCredentialID  = "credentialId"
	ContextTenantAliases = "tenantAliases"
)

// ErrUnauthorized is the authorizer's answer to a missing, unknown or
// revoked credential. API Gateway answers 401 for an authorizer error with
// exactly this message; any other error becomes a 500.
var ErrUnauthorized = errors.New("Unauthorized")

// Authorizer is the API Gateway HTTP API Lambda authorizer (payload format
// 2.0, simple responses). It authenticates the request's token and hands
// the tenant and credential id to the function through the authorizer
// context; which headers a dialect requires is the dialect's business.
//
// The token is read from the request's identity source alone, the values
// of the headers the route's authorizer names (Authorization, or
// X-API-KEY on Aira's routes). API Gateway caches the answer under those
// values, for every route of the API, so the answer must depend on
// nothing else: not on another header (a request carrying one token in
// X-API-KEY and another in Authorization would otherwise have an answer
// cached for the wrong one), the route, the source address or the
// tenant a header names, which the functions check against the context.
type Authorizer struct {
	store Store
	log   *slog.Logger
}

// NewAuthorizer returns an Authorizer over store.
func NewAuthorizer(store Store, log *slog.Logger) *Authorizer {
	return &Authorizer{store: store, log: log}
}

// Handle answers one authorization request.
func (a *Authorizer) Handle(ctx context.Context, req events.APIGatewayV2CustomAuthorizerV2Request) (events.APIGatewayV2CustomAuthorizerSimpleResponse, error) {
	logs.Invocation(req.RequestContext.RequestID)
	log := a.log.With("requestId", req.RequestContext.RequestID, "route", req.RouteKey)
	if xray := logs.XRayTraceID(ctx); xray != "" {
		log = log.With("xrayTraceId", xray)
	}
	token, ok := requestToken(req)
	if !ok {
		// A configuration to fix, not a client to refuse: a 500, and an
		// error for the function's alarm.
		log.Error("authorizer misconfigured: its identity source is not one header", "identitySources", len(req.IdentitySource))
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, errors.New("authorizer misconfigured")
	}
	if token == "" {
		log.Info("refused: no credential")
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, ErrUnauthorized
	}
	p, err := Authenticate(ctx, a.store, token)
	if errors.Is(err, ErrUnknownCredential) {
		log.Info("refused: unknown or revoked credential")
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, ErrUnauthorized
	}
	if err != nil {
		log.Error("credential lookup failed", "error", err.Error())
		return events.APIGatewayV2CustomAuthorizerSimpleResponse{}, errors.New("authorizer unavailable")
	}
	log.Info("authorized", "tenant", p.Tenant.ID, "credentialId", p.CredentialID)
	return events.APIGatewayV2CustomAuthorizerSimpleResponse{
		IsAuthorized: true,
		Context: map[string]any{
			ContextTenantID:      p.Tenant.ID,
			ContextCredentialID:  p.CredentialID,
			ContextTenantAliases: strings.Join(p.Tenant.Aliases, ","),
		},
	}, nil
}

// requestToken returns the token of an authorization request: the value of
// its one identity source, the only part of the request API Gateway keys
// its cache by. A request with no identity source comes from an
// authorizer that names none, which API Gateway cannot cache (a hand-built
// event, or a template without one): its headers are read then. More than
// one identity source is an authorizer this function was not made for:
// false.
func requestToken(req events.APIGatewayV2CustomAuthorizerV2Request) (string, bool) {
	switch len(req.IdentitySource) {
	case 0:
		headers := make(map[string]string, len(req.Headers))
		for k, v := range req.Headers {
			headers[strings.ToLower(k)] = v
		}
		return TokenFromHeaders(headers), true
	case 1:
		return TokenFromIdentity(req.IdentitySource[0]), true
	default:
		return "", false
	}
}

// TokenFromIdentity returns the token in the value of an identity source:
// "Bearer <token>", as Authorization carries it, or the bare token, as
// X-API-KEY does; "" for anything else (another scheme). The value alone
// decides, never the header it came from, which the request does not say:
// a token has no space, so the two forms cannot be mistaken for each
// other, and either form proves the same credential.
func TokenFromIdentity(value string) string {
	value = strings.TrimSpace(value)
	scheme, token, found := strings.Cut(value, " ")
	if !found {
		return value
	}
	if !strings.EqualFold(scheme, "bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
