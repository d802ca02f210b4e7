package ddb

import (
	"context"
	"errors"
	"fmt"
	"slices"
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

// tenantNameItem reserves one name (id or alias) for the tenant it names,
// table-wide.
type tenantNameItem struct {
	PK        string `dynamodbav:"PK"`
	SK        string `dynamodbav:"SK"`
	Type      string `dynamodbav:"type"`
	TenantID  string `dynamodbav:"tenantId"`
	CreatedAt string `dynamodbav:"createdAt"`
}

func nameItems(t auth.Tenant) []any {
	var items []any
	for _, name := range t.NameList() {
		items = append(items, tenantNameItem{PK: tenantNamePK(name), SK: tenantNameSK(), Type: typeTenantName, TenantID: t.ID, CreatedAt: formatTime(t.CreatedAt)})
	}
	return items
}

// CreateTenant implements auth.Store: the tenant and a name item for each
// of its names, in one transaction, each written only if its key is free.
// The tenant's own key failing means its id names a tenant as much as its
// name item failing does.
func (s *Store) CreateTenant(ctx context.Context, t auth.Tenant) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("ddb: create tenant %s: %w", t.ID, err)
	}
	items := append([]any{tenantItem{
		PK: tenantPK(t.ID), SK: tenantSK(), Type: typeTenant,
		TenantID: t.ID, Aliases: t.Aliases, CreatedAt: formatTime(t.CreatedAt),
	}}, nameItems(t)...)
	puts, err := s.newItems(items...)
	if err != nil {
		return fmt.Errorf("ddb: encode tenant %s: %w", t.ID, err)
	}
	err = s.transact(ctx, puts, nil)
	// The tenant's own item stands for its id.
	if taken := takenNames(conditionFailed(err), append([]string{t.ID}, t.NameList()...)); taken != nil {
		return fmt.Errorf("ddb: create tenant %s: %w", t.ID, taken)
	}
	if err != nil {
		return fmt.Errorf("ddb: create tenant %s: %w", t.ID, err)
	}
	return nil
}

// ReserveTenantNames writes the name items of t, a tenant created before
// names were reserved, in one transaction: each name must be free or
// already t's. A name item of another tenant is a *auth.TakenError naming
// it; a tenant that does not exist is auth.ErrNotFound. Reserving twice
// changes nothing.
func (s *Store) ReserveTenantNames(ctx context.Context, t auth.Tenant) error {
	if err := t.Validate(); err != nil {
		return fmt.Errorf("ddb: reserve names of tenant %s: %w", t.ID, err)
	}
	items := []types.TransactWriteItem{{ConditionCheck: &types.ConditionCheck{
		TableName: &s.table, Key: key(tenantPK(t.ID), tenantSK()), ConditionExpression: aws.String("attribute_exists(PK)"),
	}}}
	for _, it := range nameItems(t) {
		av, err := attributevalue.MarshalMap(it)
		if err != nil {
			return fmt.Errorf("ddb: encode names of tenant %s: %w", t.ID, err)
		}
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName: &s.table, Item: av,
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR tenantId = :tenant"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":tenant": &types.AttributeValueMemberS{Value: t.ID}},
		}})
	}
	err := s.transact(ctx, items, nil)
	if failed := conditionFailed(err); failed != nil {
		// The condition check stands for no name.
		if taken := takenNames(failed, append([]string{""}, t.NameList()...)); taken != nil {
			return fmt.Errorf("ddb: reserve names of tenant %s: %w", t.ID, taken)
		}
		return fmt.Errorf("ddb: reserve names of tenant %s: %w", t.ID, auth.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("ddb: reserve names of tenant %s: %w", t.ID, err)
	}
	return nil
}

// takenNames is the refusal naming the names whose items failed their
// condition, nameOf[i] being the name item i stands for ("" for none); nil
// if no such item failed.
func takenNames(failed []bool, nameOf []string) *auth.TakenError {
	var taken []string
	for i, f := range failed {
		if f && i < len(nameOf) && nameOf[i] != "" && !slices.Contains(taken, nameOf[i]) {
			taken = append(taken, nameOf[i])
		}
	}
	if taken == nil {
		return nil
	}
	return &auth.TakenError{Names: taken}
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
