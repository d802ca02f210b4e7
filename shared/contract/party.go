package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/contracts-service/contracts/shared/idempotency"
)

// Customer is a tenant's customer (Aira's customer): a party the service
// owns, with an id it assigns and an externalId the tenant chooses, unique
// within the tenant.
type Customer struct {
	TenantID   string
	ID         string
	ExternalID string
	Name       string
	// CustomFields is a JSON object kept byte for byte as sent.
	CustomFields json.RawMessage
	// PaymentAccounts counts the customer's payment accounts; the store
	// keeps it with each new one, bounded by MaxPaymentAccounts.
	PaymentAccounts int
	CreatedAt       time.Time
	UpdatedAt       time.Time
	CreatedBy       string
	UpdatedBy       string
}

// MaxPaymentAccounts bounds a customer's payment accounts. They are
// listed in one answer, without pages (Aira's payment accounts by
// customer), which Lambda caps at 6 MB: a payment account takes at most
// about 13.5 KB of it (every field at its longest, each character one the
// answer escapes), so 400 always fit (the aira package's
// TestMaxPaymentAccountsFitOneResponse). The store refuses the next one
// as KindUnprocessable naming "paymentAccount".
const MaxPaymentAccounts = 400

// TooManyPaymentAccounts refuses a new payment account for a customer
// that has MaxPaymentAccounts already.
func TooManyPaymentAccounts(customerID string) *Error {
	return &Error{Kind: KindUnprocessable, Message: "the customer has as many payment accounts as it may",
		Fields: []FieldError{{Field: "paymentAccount", Message: fmt.Sprintf(
			"customer %q already has %d payment accounts, the most one customer may have; use one of them (paymentAccountId)", customerID, MaxPaymentAccounts)}}}
}

// CheckParties refuses a contract of the customer customerID billed to
// the payment account paymentAccountID, given what the store holds under
// those ids (nil when nothing): each one missing, at once, as KindNotFound
// naming "customerId" and "paymentAccountId"; a payment account of
// another customer as KindUnprocessable.
func CheckParties(customerID string, cu *Customer, paymentAccountID string, pa *PaymentAccount) error {
	var missing []FieldError
	var what []string
	if cu == nil {
		missing = append(missing, FieldError{Field: "customerId", Message: "is not a customer of this tenant"})
		what = append(what, fmt.Sprintf("customer %q", customerID))
	}
	if pa == nil {
		missing = append(missing, FieldError{Field: "paymentAccountId", Message: "is not a payment account of this tenant"})
		what = append(what, fmt.Sprintf("payment account %q", paymentAccountID))
	}
	switch {
	case missing != nil:
		return &Error{Kind: KindNotFound, Message: strings.Join(what, " and ") + " not found", Fields: missing}
	case pa.CustomerID != customerID:
		return &Error{Kind: KindUnprocessable, Message: "the payment account belongs to another customer",
			Fields: []FieldError{{Field: "paymentAccountId", Message: "belongs to another customer"}}}
	}
	return nil
}

// PaymentAccount is who pays for a customer's contracts: a legal entity
// with its tax id, email and billing address.
type PaymentAccount struct {
	TenantID     string
	ID           string
	CustomerID   string
	BusinessName string
	TradeName    string
	TaxID        string
	Email        string
	Address      Address
	CreatedAt    time.Time
	UpdatedAt    time.Time
	CreatedBy    string
	UpdatedBy    string
}

// Address is a postal address.
type Address struct {
	ZipCode      string
	Number       string
	Street       string
	Neighborhood string
	City         string
	State        string
	Country      string
	Complement   string
}

// Companions are new records written in the same transaction as a
// contract, or not at all: a contract refused for any reason leaves no
// orphan customer or payment account behind.
type Companions struct {
	Customer       *Customer
	PaymentAccount *PaymentAccount
}

// Related are the records a contract names: its customer, its payment
// account and the plans of the catalog it bills on, by id.
type Related struct {
	Customer       *Customer
	PaymentAccount *PaymentAccount
	Plans          map[string]Plan
}

// PartyStore is what the domain needs to keep customers and payment
// accounts. Every method is scoped by tenant.
type PartyStore interface {
	// CreateCustomer stores a new customer and, when claim is not nil,
	// the record of claim's key, all or nothing; a taken externalId is a
	// KindConflict *Error naming field "externalId".
	CreateCustomer(ctx context.Context, cu *Customer, claim *idempotency.Claim) error
	// GetCustomer returns a customer; a missing one is KindNotFound.
	GetCustomer(ctx context.Context, tenantID, id string) (*Customer, error)
	// CustomerIDByExternalID returns the id of the customer that holds
	// externalID; none is KindNotFound.
	CustomerIDByExternalID(ctx context.Context, tenantID, externalID string) (string, error)
	// GetPaymentAccount returns a payment account; a missing one is
	// KindNotFound.
	GetPaymentAccount(ctx context.Context, tenantID, id string) (*PaymentAccount, error)
	// ListPaymentAccounts returns a customer's payment accounts, oldest
	// first.
	ListPaymentAccounts(ctx context.Context, tenantID, customerID string) ([]PaymentAccount, error)
}

// Catalog is the tenant's plan catalog.
type Catalog interface {
	// GetPlans returns the plans of the catalog among ids, by id; ids not
	// in the catalog are absent from the map.
	GetPlans(ctx context.Context, tenantID string, ids []string) (map[string]Plan, error)
}

// CreateCustomer stamps cu as created by actor and stores it, with the
// record of claim's key when claim is not nil.
func (s *Service) CreateCustomer(ctx context.Context, actor Actor, claim *idempotency.Claim, store PartyStore, cu *Customer) error {
	s.stampCompanions(actor, Companions{Customer: cu}, s.now())
	return store.CreateCustomer(ctx, cu, claim)
}

// stampCompanions marks a new customer or payment account as created by actor.
func (s *Service) stampCompanions(actor Actor, with Companions, now time.Time) {
	if cu := with.Customer; cu != nil {
		cu.TenantID = actor.TenantID
		cu.CreatedAt, cu.UpdatedAt = now, now
		cu.CreatedBy, cu.UpdatedBy = actor.CredentialID, actor.CredentialID
	}
	if pa := with.PaymentAccount; pa != nil {
		pa.TenantID = actor.TenantID
		pa.CreatedAt, pa.UpdatedAt = now, now
		pa.CreatedBy, pa.UpdatedBy = actor.CredentialID, actor.CredentialID
	}
}
