package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// MaxSafeInteger is the largest integer every JSON client can represent
// exactly (2^53-1). Amounts and orders are bounded by it so a value written
// by one client reads back unchanged in another.
const MaxSafeInteger = 1<<53 - 1

// Status is the lifecycle state of a contract.
type Status string

// The statuses a contract can be in. Dialects spell them their own way on
// the wire (fabric uses upper case); this is the stored form.
const (
	StatusDraft    Status = "draft"
	StatusActive   Status = "active"
	StatusInactive Status = "inactive"
	StatusExpired  Status = "expired"
	StatusCanceled Status = "canceled"
)

// PartyKind says what kind of party a contract is with. Each dialect names
// its counterparty differently: Kukkingu a client, fabric an organization,
// EasyBilling a billing account, Aira a customer.
type PartyKind string

// The party kinds, one per dialect.
const (
	PartyClient       PartyKind = "client"
	PartyOrganization PartyKind = "organization"
	PartyAccount      PartyKind = "account"
	PartyCustomer     PartyKind = "customer"
)

// API is a wire format the service speaks, through which contracts are
// made and changed.
type API string

// The four APIs, named as their vendors write them.
const (
	APIKukkingu    API = "Kukkingu"
	APIAira        API = "Aira"
	APIFabric      API = "fabric"
	APIEasyBilling API = "EasyBilling"
)

// apiOf is the API each kind of party belongs to: each API files its
// contracts under its own kind of counterparty, so a contract's party
// says which API made it.
var apiOf = map[PartyKind]API{
	PartyClient:       APIKukkingu,
	PartyCustomer:     APIAira,
	PartyOrganization: APIFabric,
	PartyAccount:      APIEasyBilling,
}

// Owner is the API that made c, and the only one through which it is
// changed: each API keeps fields and rules of its own (fabric's
// organization and contractId, Aira's customer and payment account,
// EasyBilling's segments), which a change through another would break.
func (c *Contract) Owner() API { return apiOf[c.Party.Kind] }

// ChangeableVia returns nil when c may be changed through api: the API
// that owns it, or no API at all (an operator's own tooling). A change
// through another API is a KindConflict *Error whose Code names the
// owner (CONTRACT_OWNED_BY_FABRIC), so its client knows where to go.
func (c *Contract) ChangeableVia(api API) error {
	owner := c.Owner()
	if api == "" || owner == api {
		return nil
	}
	if owner == "" {
		return &Error{Kind: KindConflict, Code: "CONTRACT_OWNED_ELSEWHERE",
			Message: fmt.Sprintf("contract %s was not made through the %s API and cannot be changed through it", c.Number, api)}
	}
	return &Error{Kind: KindConflict, Code: "CONTRACT_OWNED_BY_" + strings.ToUpper(string(owner)),
		Message: fmt.Sprintf("contract %s belongs to the %s API: it can be read here, but is changed only through %s's routes", c.Number, owner, owner)}
}

// Party is the counterparty of a contract: a reference kept as the client
// gave it. The service does not own parties; it only files contracts under
// them so they can be listed by party.
type Party struct {
	Kind PartyKind
	ID   string
}

// Money is an amount in the minor unit of an ISO 4217 currency (cents for
// EUR), so no value is ever a binary fraction.
type Money struct {
	Minor    int64
	Currency string
}

// Contract is the one contract model behind every dialect.
//
// Number is the tenant-wide sequence number ("CT-0000000001") under which
// the contract is stored and by which every dialect can find it. ID is the
// public identifier the creating dialect handed out (Kukkingu's "ctr_...",
// a UUID for Aira); it is unique within the tenant.
type Contract struct {
	TenantID string
	Number   string
	ID       string
	Party    Party
	// Reference is a client-chosen identifier, unique among the
	// contracts of the same party (fabric's contractId). It never
	// changes once the contract exists.
	Reference   string
	Name        string
	Description string
	// Type is a free-form classification (fabric's contractType).
	Type   string
	Amount *Money
	Order  *int64
	// PriceList links the contract to a price list, when it has one.
	PriceList *PriceListLink
	// AccountID is the account the contract was created under, as the
	// client's context named it (fabric's x-site-context account).
	AccountID string
	// Attributes is a JSON object of attributes the model does not
	// capture, kept byte for byte as the client sent it.
	Attributes json.RawMessage
	// PaymentAccountID names the payment account that pays for the
	// contract (Aira's paymentAccountId).
	PaymentAccountID string
	// PlanIDs are the plans of the tenant's catalog the contract bills on.
	PlanIDs []string
	// Billing holds the billing terms, when the dialect sets any.
	Billing *BillingTerms
	// Segments is the chain of the contract's terms, oldest first
	// (EasyBilling's contract segments); empty for dialects without them.
	Segments []Segment
	// ValidFrom and ValidTo bound the contract in time as a half-open
	// period [ValidFrom, ValidTo): in effect from ValidFrom on, and no
	// longer from ValidTo on, the convention of billing systems. Each
	// dialect maps its own at its edge (the README's Dates table). Nil
	// means unbounded on that side; equal bounds, an empty period.
	ValidFrom *time.Time
	ValidTo   *time.Time
	Status    Status
	// Version counts the writes of the contract; an update succeeds only
	// if the stored version is still the one it read (optimistic locking).
	Version   int64
	CreatedAt time.Time
	UpdatedAt time.Time
	CreatedBy string
	UpdatedBy string
	// UpdatedVia is the API of the change that wrote this version (the
	// actor's Via), so that what the change was can be told later, as the
	// contract events do; empty for a change through no API.
	UpdatedVia API
	// DeletedAt is set by a delete; a deleted contract keeps its number
	// and id but reads as not found.
	DeletedAt *time.Time
	// Stored is the contract's Listing as the store last read or wrote
	// it, or nil where the store keeps no listing for its party. Only the
	// store sets it: a replace compares it with the contract's own Listing
	// to move the contract between the lists and counts it keeps per
	// status and deletion (an organization's, for fabric).
	Stored *Listing
	// Customer and PaymentAccount are copies of the records a customer's
	// contract (Aira's) names, kept in it so that one read answers it
	// whole; nil in one written before they were kept, or of another
	// party. A copy cannot go stale: neither record changes once
	// written, but for a customer's count of payment accounts, which the
	// copy leaves out (zero).
	Customer       *Customer
	PaymentAccount *PaymentAccount
}

// Listing is where a store files a contract among its party's contracts:
// under its status, and apart once deleted.
type Listing struct {
	Status  Status
	Deleted bool
}

// Listing returns where c is filed as it stands.
func (c *Contract) Listing() Listing { return Listing{Status: c.Status, Deleted: c.Deleted()} }

// BillingTerms say when and how a contract is billed. Days of the month
// are 1 to 31; in a shorter month a day past its end means its last day.
type BillingTerms struct {
	// EndDay is the day of the month a billing period ends on.
	EndDay *int
	// ScheduledPaymentDay is the day of the month payment is collected.
	ScheduledPaymentDay *int
	// DueOffsetDays is how many days after issue an invoice is due.
	DueOffsetDays *int
	// CycleMinimumAmount is the least a billing cycle charges, a
	// non-negative decimal kept exactly as written ("10.50").
	CycleMinimumAmount string
}

// PriceListLink relates a contract to a price list. It has its own id and
// timestamps because clients address and audit the relation itself.
type PriceListLink struct {
	ID          string
	PriceListID int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Deleted reports whether the contract has been deleted.
func (c *Contract) Deleted() bool { return c.DeletedAt != nil }

// CurrencyOn is the currency c is priced in on day (YYYY-MM-DD): its
// amount's when it has one; else the first currency of the segment in
// effect that day, which is the last to have begun by then (segments
// begin in chain order), or the first while none has begun; else ""
// (a contract with neither). It is computed when read, like every fact
// that depends on the day.
func (c *Contract) CurrencyOn(day string) string {
	if c.Amount != nil && c.Amount.Currency != "" {
		return c.Amount.Currency
	}
	if len(c.Segments) == 0 {
		return ""
	}
	in := &c.Segments[0]
	for i := range c.Segments {
		if c.Segments[i].EffectiveDate <= day {
			in = &c.Segments[i]
		}
	}
	if len(in.Currencies) == 0 {
		return ""
	}
	return in.Currencies[0]
}

// NoCurrency is ISO 4217's code for "no currency": what an API whose
// answers always carry a currency code shows for a contract with none.
const NoCurrency = "XXX"

// CurrencyCodeOn is CurrencyOn as an API that always shows an ISO 4217
// code shows it: NoCurrency when c has no currency on day, or one not of
// ISO 4217's shape (three capital letters), as another API may store.
func (c *Contract) CurrencyCodeOn(day string) string {
	if code := c.CurrencyOn(day); isCurrencyShape(code) {
		return code
	}
	return NoCurrency
}

// Validate checks the rules that hold for a contract whichever dialect
// wrote it. Field names in the returned *Error are the domain's (validFrom,
// validTo, amount, order); a dialect with other names renames them with
// RenameFields.
func (c *Contract) Validate() error {
	var fields []FieldError
	if c.ValidFrom != nil && c.ValidTo != nil && c.ValidTo.Before(*c.ValidFrom) {
		fields = append(fields, FieldError{Field: "validTo", Message: "must not be before validFrom"})
	}
	if c.Amount != nil {
		if c.Amount.Minor < 0 || c.Amount.Minor > MaxSafeInteger {
			fields = append(fields, FieldError{Field: "amount", Message: fmt.Sprintf("must be between 0 and %d", int64(MaxSafeInteger))})
		}
		if c.Amount.Currency == "" {
			fields = append(fields, FieldError{Field: "currency", Message: "is required with an amount"})
		}
	}
	if c.Order != nil && (*c.Order < 0 || *c.Order > MaxSafeInteger) {
		fields = append(fields, FieldError{Field: "order", Message: fmt.Sprintf("must be between 0 and %d", int64(MaxSafeInteger))})
	}
	if c.Party.ID == "" {
		fields = append(fields, FieldError{Field: "party", Message: "is required"})
	}
	if len(c.Reference) > maxReferenceLength {
		fields = append(fields, FieldError{Field: "reference", Message: fmt.Sprintf("must be at most %d characters", maxReferenceLength)})
	}
	if c.Attributes != nil && (!json.Valid(c.Attributes) || !isObject(c.Attributes)) {
		fields = append(fields, FieldError{Field: "attributes", Message: "must be a JSON object"})
	}
	if b := c.Billing; b != nil {
		day := func(field string, d *int) {
			if d != nil && (*d < 1 || *d > 31) {
				fields = append(fields, FieldError{Field: field, Message: "must be a day of the month, 1 to 31"})
			}
		}
		day("billingEndDay", b.EndDay)
		day("scheduledPaymentDay", b.ScheduledPaymentDay)
		if b.DueOffsetDays != nil && *b.DueOffsetDays < 0 {
			fields = append(fields, FieldError{Field: "dueOffsetDays", Message: "must be 0 or more"})
		}
		if b.CycleMinimumAmount != "" && !nonNegativeDecimal(b.CycleMinimumAmount) {
			fields = append(fields, FieldError{Field: "cycleMinimumAmount", Message: "must be a number of 0 or more"})
		}
	}
	if len(fields) > 0 {
		return Invalid(fields...)
	}
	return nil
}

// maxReferenceLength bounds a client-chosen reference, which is part of a
// storage key.
const maxReferenceLength = 255

// nonNegativeDecimal reports whether s is a plain non-negative decimal
// number: digits, optionally a point and more digits (no sign, no
// exponent), so it reads back the same in every client.
func nonNegativeDecimal(s string) bool {
	whole, frac, hasPoint := strings.Cut(s, ".")
	if whole == "" || (hasPoint && frac == "") {
		return false
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return false
			}
		}
	}
	return true
}

// isObject reports whether valid JSON is an object.
func isObject(raw json.RawMessage) bool {
	for _, b := range raw {
		switch b {
		case ' ', '\t', '\n', '\r':
			continue
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}

// RenameFields returns err with the field names of its FieldErrors mapped
// through names (domain name -> wire name); names not in the map are kept.
// The *Error is found as KindOf finds it, wrapped or not; what wraps it
// stays in the text, for the logs. Errors that hold no *Error with fields
// are returned unchanged.
func RenameFields(err error, names map[string]string) error {
	var e *Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return err
	}
	out := &Error{Kind: e.Kind, Code: e.Code, Message: e.Message, Fields: make([]FieldError, len(e.Fields)), Err: e.Err}
	for i, f := range e.Fields {
		if n, ok := names[f.Field]; ok {
			f.Field = n
		}
		out.Fields[i] = f
	}
	if err == error(e) {
		return out
	}
	return &renamedError{renamed: out, err: err}
}

// renamedError is a wrapped *Error whose fields RenameFields renamed:
// errors.As finds the renamed copy first, errors.Is still finds what err
// wraps, and the text is err's own (field names are not part of it).
type renamedError struct {
	renamed *Error
	err     error
}

func (r *renamedError) Error() string   { return r.err.Error() }
func (r *renamedError) Unwrap() []error { return []error{r.renamed, r.err} }

// FormatNumber formats the n-th contract number of a tenant: "CT-" and ten
// zero-padded digits, the form every dialect shows.
func FormatNumber(n int64) string { return fmt.Sprintf("CT-%010d", n) }
