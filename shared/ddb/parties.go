package ddb

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/idempotency"
)

type customerItem struct {
	PK           string `dynamodbav:"PK"`
	SK           string `dynamodbav:"SK"`
	Type         string `dynamodbav:"type"`
	TenantID     string `dynamodbav:"tenantId"`
	CustomerID   string `dynamodbav:"customerId"`
	ExternalID   string `dynamodbav:"externalId"`
	Name         string `dynamodbav:"name"`
	CustomFields string `dynamodbav:"customFields,omitempty"`
	// PaymentAccounts counts the customer's payment accounts, bounded by
	// a condition on each write that adds one (see companionWrites).
	PaymentAccounts int    `dynamodbav:"paymentAccounts,omitempty"`
	CreatedAt       string `dynamodbav:"createdAt"`
	UpdatedAt       string `dynamodbav:"updatedAt"`
	CreatedBy       string `dynamodbav:"createdBy"`
	UpdatedBy       string `dynamodbav:"updatedBy"`
}

// externalIDItem reserves a customer externalId within the tenant.
type externalIDItem struct {
	PK         string `dynamodbav:"PK"`
	SK         string `dynamodbav:"SK"`
	Type       string `dynamodbav:"type"`
	CustomerID string `dynamodbav:"customerId"`
}

type paymentAccountItem struct {
	PK               string           `dynamodbav:"PK"`
	SK               string           `dynamodbav:"SK"`
	GSI2PK           string           `dynamodbav:"GSI2PK"`
	GSI2SK           string           `dynamodbav:"GSI2SK"`
	Type             string           `dynamodbav:"type"`
	TenantID         string           `dynamodbav:"tenantId"`
	PaymentAccountID string           `dynamodbav:"paymentAccountId"`
	CustomerID       string           `dynamodbav:"customerId"`
	BusinessName     string           `dynamodbav:"businessName,omitempty"`
	TradeName        string           `dynamodbav:"tradeName,omitempty"`
	TaxID            string           `dynamodbav:"taxId"`
	Email            string           `dynamodbav:"email"`
	Address          contract.Address `dynamodbav:"address"`
	CreatedAt        string           `dynamodbav:"createdAt"`
	UpdatedAt        string           `dynamodbav:"updatedAt"`
	CreatedBy        string           `dynamodbav:"createdBy"`
	UpdatedBy        string           `dynamodbav:"updatedBy"`
}

func toCustomerItem(cu *contract.Customer) customerItem {
	return customerItem{
		PK: tenantPK(cu.TenantID), SK: customerSK(cu.ID), Type: typeCustomer,
		TenantID: cu.TenantID, CustomerID: cu.ID, ExternalID: cu.ExternalID, Name: cu.Name,
		CustomFields: string(cu.CustomFields), PaymentAccounts: cu.PaymentAccounts,
		CreatedAt: formatTime(cu.CreatedAt), UpdatedAt: formatTime(cu.UpdatedAt),
		CreatedBy: cu.CreatedBy, UpdatedBy: cu.UpdatedBy,
	}
}

func (it *customerItem) toCustomer() (*contract.Customer, error) {
	cu := &contract.Customer{
		TenantID: it.TenantID, ID: it.CustomerID, ExternalID: it.ExternalID, Name: it.Name,
		PaymentAccounts: it.PaymentAccounts, CreatedBy: it.CreatedBy, UpdatedBy: it.UpdatedBy,
	}
	if it.CustomFields != "" {
		cu.CustomFields = json.RawMessage(it.CustomFields)
	}
	var err error
	if cu.CreatedAt, cu.UpdatedAt, err = parseStamps(it.CreatedAt, it.UpdatedAt); err != nil {
		return nil, fmt.Errorf("ddb: decode customer %s: %w", it.CustomerID, err)
	}
	return cu, nil
}

func toPaymentAccountItem(pa *contract.PaymentAccount) paymentAccountItem {
	created := formatTime(pa.CreatedAt)
	return paymentAccountItem{
		PK: tenantPK(pa.TenantID), SK: paymentAccountSK(pa.ID),
		GSI2PK: paymentAccountsGSI2PK(pa.TenantID, pa.CustomerID), GSI2SK: paymentAccountGSI2SK(created, pa.ID),
		Type: typePayAccount, TenantID: pa.TenantID, PaymentAccountID: pa.ID, CustomerID: pa.CustomerID,
		BusinessName: pa.BusinessName, TradeName: pa.TradeName, TaxID: pa.TaxID, Email: pa.Email, Address: pa.Address,
		CreatedAt: created, UpdatedAt: formatTime(pa.UpdatedAt), CreatedBy: pa.CreatedBy, UpdatedBy: pa.UpdatedBy,
	}
}

func (it *paymentAccountItem) toPaymentAccount() (*contract.PaymentAccount, error) {
	pa := &contract.PaymentAccount{
		TenantID: it.TenantID, ID: it.PaymentAccountID, CustomerID: it.CustomerID,
		BusinessName: it.BusinessName, TradeName: it.TradeName, TaxID: it.TaxID, Email: it.Email, Address: it.Address,
		CreatedBy: it.CreatedBy, UpdatedBy: it.UpdatedBy,
	}
	var err error
	if pa.CreatedAt, pa.UpdatedAt, err = parseStamps(it.CreatedAt, it.UpdatedAt); err != nil {
		return nil, fmt.Errorf("ddb: decode payment account %s: %w", it.PaymentAccountID, err)
	}
	return pa, nil
}

// companionWrites are the writes of the new records of with, in a
// contract's transaction, and what a failed condition on each means to a
// client (takenError's field). The records are puts, each written only if
// its key is free. A new payment account also counts in its customer's
// PaymentAccounts: a new customer starts with it, an existing one's count
// goes up by one on the condition that it stays within
// contract.MaxPaymentAccounts (failure reason "paymentAccounts").
func (s *Store) companionWrites(with contract.Companions) ([]types.TransactWriteItem, []string, error) {
	var items []any
	var reasons []string
	if cu := with.Customer; cu != nil {
		if with.PaymentAccount != nil {
			cu.PaymentAccounts = 1
		}
		items = append(items,
			toCustomerItem(cu),
			externalIDItem{PK: tenantPK(cu.TenantID), SK: customerExternalSK(cu.ExternalID), Type: typeExternalID, CustomerID: cu.ID})
		reasons = append(reasons, "customer.id", "externalId")
	}
	if pa := with.PaymentAccount; pa != nil {
		items = append(items, toPaymentAccountItem(pa))
		reasons = append(reasons, "paymentAccount.id")
	}
	writes, err := s.newItems(items...)
	if err != nil {
		return nil, nil, err
	}
	if pa := with.PaymentAccount; pa != nil && with.Customer == nil {
		writes = append(writes, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: key(tenantPK(pa.TenantID), customerSK(pa.CustomerID)),
			UpdateExpression:    aws.String("ADD paymentAccounts :one"),
			ConditionExpression: aws.String("attribute_exists(PK) AND (attribute_not_exists(paymentAccounts) OR paymentAccounts < :most)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":one":  &types.AttributeValueMemberN{Value: "1"},
				":most": &types.AttributeValueMemberN{Value: strconv.Itoa(contract.MaxPaymentAccounts)},
			},
		}})
		reasons = append(reasons, "paymentAccounts")
	}
	return writes, reasons, nil
}

// CreateCustomer implements contract.PartyStore: the customer, its
// externalId reservation and the record of claim's key, in one
// transaction.
func (s *Store) CreateCustomer(ctx context.Context, cu *contract.Customer, claim *idempotency.Claim) error {
	puts, reasons, err := s.companionWrites(contract.Companions{Customer: cu})
	if err != nil {
		return fmt.Errorf("ddb: encode customer %s: %w", cu.ID, err)
	}
	err = s.transact(ctx, puts, claim)
	if failed := conditionFailed(err); failed != nil {
		for i, f := range failed {
			if f && i < len(reasons) {
				return takenError(reasons[i], &contract.Contract{}, contract.Companions{Customer: cu})
			}
		}
	}
	if err != nil {
		return fmt.Errorf("ddb: create customer %s: %w", cu.ID, err)
	}
	return nil
}

// CustomerIDByExternalID implements contract.PartyStore with one read of
// the externalId's reservation.
func (s *Store) CustomerIDByExternalID(ctx context.Context, tenantID, externalID string) (string, error) {
	var it externalIDItem
	missing := contract.Errorf(contract.KindNotFound, "no customer has externalId %q", externalID)
	if err := s.getItem(ctx, tenantPK(tenantID), customerExternalSK(externalID), &it, missing); err != nil {
		return "", fmt.Errorf("ddb: get customer by externalId: %w", err)
	}
	return it.CustomerID, nil
}

// GetCustomer implements contract.PartyStore.
func (s *Store) GetCustomer(ctx context.Context, tenantID, id string) (*contract.Customer, error) {
	var it customerItem
	missing := contract.Errorf(contract.KindNotFound, "customer %q not found", id)
	if err := s.getItem(ctx, tenantPK(tenantID), customerSK(id), &it, missing); err != nil {
		return nil, fmt.Errorf("ddb: get customer %s: %w", id, err)
	}
	return it.toCustomer()
}

// GetPaymentAccount implements contract.PartyStore.
func (s *Store) GetPaymentAccount(ctx context.Context, tenantID, id string) (*contract.PaymentAccount, error) {
	var it paymentAccountItem
	missing := contract.Errorf(contract.KindNotFound, "payment account %q not found", id)
	if err := s.getItem(ctx, tenantPK(tenantID), paymentAccountSK(id), &it, missing); err != nil {
		return nil, fmt.Errorf("ddb: get payment account %s: %w", id, err)
	}
	return it.toPaymentAccount()
}

// maxPaymentAccounts bounds the reads of one customer's listed payment
// accounts (the list is not paginated). New payment accounts stop at
// contract.MaxPaymentAccounts; this is the backstop for a customer whose
// accounts were created before that bound held.
const maxPaymentAccounts = 1000

// GetRelated reads c's customer, payment account and plans in one
// BatchGetItem (more only past 100 keys), the plans the catalog cache
// does not hold (see PlanCacheTTL): Aira answers every contract with
// them, and reading them one after the other cost a get three more round
// trips. A missing customer or payment account is KindNotFound.
func (s *Store) GetRelated(ctx context.Context, tenantID string, c *contract.Contract) (contract.Related, error) {
	cached, missing := s.plans.get(tenantID, c.PlanIDs)
	keys := append(planKeys(tenantID, missing),
		key(tenantPK(tenantID), customerSK(c.Party.ID)), key(tenantPK(tenantID), paymentAccountSK(c.PaymentAccountID)))
	items, err := s.batchGet(ctx, keys)
	if err != nil {
		return contract.Related{}, fmt.Errorf("ddb: get the records of contract %s: %w", c.Number, err)
	}
	rel := contract.Related{Plans: map[string]contract.Plan{}}
	for _, av := range items {
		var kind string
		if t, ok := av["type"].(*types.AttributeValueMemberS); ok {
			kind = t.Value
		}
		switch kind {
		case typePlan:
			err = addPlan(rel.Plans, av)
		case typeCustomer:
			var it customerItem
			if err = attributevalue.UnmarshalMap(av, &it); err == nil {
				rel.Customer, err = it.toCustomer()
			}
		case typePayAccount:
			var it paymentAccountItem
			if err = attributevalue.UnmarshalMap(av, &it); err == nil {
				rel.PaymentAccount, err = it.toPaymentAccount()
			}
		}
		if err != nil {
			return contract.Related{}, fmt.Errorf("ddb: decode the records of contract %s: %w", c.Number, err)
		}
	}
	s.plans.put(tenantID, rel.Plans)
	maps.Copy(rel.Plans, cached)
	switch {
	case rel.Customer == nil:
		return contract.Related{}, contract.Errorf(contract.KindNotFound, "customer %q not found", c.Party.ID)
	case rel.PaymentAccount == nil:
		return contract.Related{}, contract.Errorf(contract.KindNotFound, "payment account %q not found", c.PaymentAccountID)
	}
	return rel, nil
}

// ListPaymentAccounts implements contract.PartyStore with one Query of the
// customer's partition of GSI2 (more only past 1 MB).
func (s *Store) ListPaymentAccounts(ctx context.Context, tenantID, customerID string) ([]contract.PaymentAccount, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(indexByParty),
		KeyConditionExpression: aws.String("GSI2PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: paymentAccountsGSI2PK(tenantID, customerID)},
		},
	}
	accounts := []contract.PaymentAccount{}
	for {
		out, err := s.client.Query(ctx, in)
		if err != nil {
			return nil, fmt.Errorf("ddb: list payment accounts of %s: %w", customerID, err)
		}
		for _, av := range out.Items {
			var it paymentAccountItem
			if err := attributevalue.UnmarshalMap(av, &it); err != nil {
				return nil, fmt.Errorf("ddb: decode payment account: %w", err)
			}
			pa, err := it.toPaymentAccount()
			if err != nil {
				return nil, err
			}
			accounts = append(accounts, *pa)
		}
		if out.LastEvaluatedKey == nil || len(accounts) >= maxPaymentAccounts {
			return accounts, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

var _ contract.PartyStore = (*Store)(nil)
