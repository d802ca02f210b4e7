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
	headers := make(map[string]string, len(req.Headers))
	for k, v := range req.Headers {
		headers[strings.ToLower(k)] = v
	}
	token := TokenFromHeaders(headers)
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
