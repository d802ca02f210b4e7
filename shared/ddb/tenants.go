package ddb

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/auth"
)

type tenantItem struct {
	PK        string   `dynamodbav:"PK"`
	SK        string   `dynamodbav:"SK"`
	Type      string   `dynamodbav:"type"`
	TenantID  string   `dynamodbav:"tenantId"`
	Aliases   []string `dynamodbav:"aliases,omitempty"`
	CreatedAt string   `dynamodbav:"createdAt"`
}

type credentialItem struct {
	PK           string  `dynamodbav:"PK"`
	SK           string  `dynamodbav:"SK"`
	Type         string  `dynamodbav:"type"`
	CredentialID string  `dynamodbav:"credentialId"`
	TenantID     string  `dynamodbav:"tenantId"`
	SecretHash   string  `dynamodbav:"secretHash"`
	CreatedAt    string  `dynamodbav:"createdAt"`
	RevokedAt    *string `dynamodbav:"revokedAt,omitempty"`
}

// CreateTenant implements auth.Store; a taken id is auth.ErrExists.
func (s *Store) CreateTenant(ctx context.Context, t auth.Tenant) error {
	item, err := attributevalue.MarshalMap(tenantItem{
		PK: tenantPK(t.ID), SK: tenantSK(), Type: typeTenant,
		TenantID: t.ID, Aliases: t.Aliases, CreatedAt: formatTime(t.CreatedAt),
	})
	if err != nil {
		return fmt.Errorf("ddb: encode tenant %s: %w", t.ID, err)
	}
	if err := s.putNew(ctx, item); err != nil {
		return fmt.Errorf("ddb: create tenant %s: %w", t.ID, err)
	}
	return nil
}

// GetTenant implements auth.Store; a missing tenant is auth.ErrNotFound.
func (s *Store) GetTenant(ctx context.Context, id string) (*auth.Tenant, error) {
	var it tenantItem
	if err := s.getItem(ctx, tenantPK(id), tenantSK(), &it, auth.ErrNotFound); err != nil {
		return nil, fmt.Errorf("ddb: get tenant %s: %w", id, err)
	}
	created, err := time.Parse(timeLayout, it.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("ddb: decode tenant %s: %w", id, err)
	}
	return &auth.Tenant{ID: it.TenantID, Aliases: it.Aliases, CreatedAt: created}, nil
}

// CreateCredential implements auth.Store.
func (s *Store) CreateCredential(ctx context.Context, c auth.Credential) error {
	item, err := attributevalue.MarshalMap(credentialItem{
		PK: credentialPK(c.ID), SK: credentialSK(), Type: typeCredential,
		CredentialID: c.ID, TenantID: c.TenantID, SecretHash: c.SecretHash, CreatedAt: formatTime(c.CreatedAt),
	})
	if err != nil {
		return fmt.Errorf("ddb: encode credential %s: %w", c.ID, err)
	}
	if err := s.putNew(ctx, item); err != nil {
		return fmt.Errorf("ddb: create credential %s: %w", c.ID, err)
	}
	return nil
}

// putNew writes item only if no item has its key yet; a taken key is
// auth.ErrExists.
func (s *Store) putNew(ctx context.Context, item map[string]types.AttributeValue) error {
	_, err := s.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: &s.table, Item: item, ConditionExpression: aws.String("attribute_not_exists(PK)"),
	})
	if conditionFailed(err) != nil {
		return auth.ErrExists
	}
	return err
}

// GetCredential implements auth.Store; a missing one is auth.ErrNotFound.
func (s *Store) GetCredential(ctx context.Context, id string) (*auth.Credential, error) {
	var it credentialItem
	if err := s.getItem(ctx, credentialPK(id), credentialSK(), &it, auth.ErrNotFound); err != nil {
		return nil, fmt.Errorf("ddb: get credential %s: %w", id, err)
	}
	created, err := time.Parse(timeLayout, it.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("ddb: decode credential %s: %w", id, err)
	}
	c := &auth.Credential{ID: it.CredentialID, TenantID: it.TenantID, SecretHash: it.SecretHash, CreatedAt: created}
	if it.RevokedAt != nil {
		if c.RevokedAt, err = parseTimePtr(*it.RevokedAt); err != nil {
			return nil, fmt.Errorf("ddb: decode credential %s: %w", id, err)
		}
	}
	return c, nil
}

// RevokeCredential implements auth.Store. Revoking twice keeps the first
// revocation time; revoking an unknown id is auth.ErrNotFound.
func (s *Store) RevokeCredential(ctx context.Context, id string, at time.Time) error {
	_, err := s.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 key(credentialPK(id), credentialSK()),
		ConditionExpression: aws.String("attribute_exists(PK)"),
		UpdateExpression:    aws.String("SET revokedAt = if_not_exists(revokedAt, :at)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": &types.AttributeValueMemberS{Value: formatTime(at)},
		},
	})
	if conditionFailed(err) != nil {
		return fmt.Errorf("ddb: revoke credential %s: %w", id, auth.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("ddb: revoke credential %s: %w", id, err)
	}
	return nil
}

// getItem reads one item consistently into out; a missing item is the
// caller's own not-found error, missing, so each entity answers as its
// package's callers expect.
func (s *Store) getItem(ctx context.Context, pk, sk string, out any, missing error) error {
	res, err := s.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: key(pk, sk), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return err
	}
	if res.Item == nil {
		return missing
	}
	if err := attributevalue.UnmarshalMap(res.Item, out); err != nil {
		return errors.Join(errors.New("decode"), err)
	}
	return nil
}
