package contractevents

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
)

// Source is the source of every contract event on the bus: a rule that
// subscribes to them matches {"source": [Source]}.
const Source = "contracts-service"

// SchemaVersion is the version of Detail's shape. A change that a
// consumer of the current shape could misread (a field removed, renamed
// or given another meaning) comes with a new version; fields are added
// without one.
const SchemaVersion = "1"

// Type is an event's detail-type: what happened to the contract.
type Type string

// The events, one per change of a contract.
const (
	// Created: a new contract, through any API (an EasyBilling
	// create-contract-with-plan included).
	Created Type = "ContractCreated"
	// Updated: any other change of its terms or status (a Kukkingu
	// patch, an Aira replace or activate, a fabric update, an EasyBilling
	// switch-plan, renew, early-renew or update-price).
	Updated Type = "ContractUpdated"
	// Canceled: its status became canceled (Aira's cancel, EasyBilling's
	// cancel action).
	Canceled Type = "ContractCanceled"
	// Deleted: it was deleted (Kukkingu's and fabric's soft deletes), or
	// its item removed from the table, which no API does.
	Deleted Type = "ContractDeleted"
	// Resurrected: a deleted contract came back (fabric's resurrect).
	Resurrected Type = "ContractResurrected"
)

// Types are every event type, in the order the schema lists them.
var Types = []Type{Created, Updated, Canceled, Deleted, Resurrected}

// Detail is an event's detail: what changed, who changed it, and the
// contract as the domain sees it after the change (before it, for a
// removal). It holds no token and no personal field beyond what the
// contract itself holds (the contract keeps ids of its party and payment
// account, never their tax ids or emails).
type Detail struct {
	SchemaVersion string `json:"schemaVersion"`
	// EventID is derived from the tenant, the contract's number, its
	// version and the event's type: the same change always has the same
	// id, so a consumer drops a duplicate by it. (EventBridge's own event
	// id differs on every put.)
	EventID        string `json:"eventId"`
	Type           Type   `json:"type"`
	TenantID       string `json:"tenantId"`
	ContractNumber string `json:"contractNumber"`
	// ContractID is the public id the API that made it handed out.
	ContractID string `json:"contractId"`
	// Owner is the API that made the contract, the only one through which
	// it changes.
	Owner contract.API `json:"owner"`
	// Dialect is the API the change came through; nil for a change
	// through no API (a removal from the table).
	Dialect *contract.API `json:"dialect"`
	// Principal is who made the change, as the contract records it
	// (updatedBy): a credential id for HTTP requests, aws:sqs:...,
	// aws:events:... or aws:lambda:invoke for the other paths; nil for a
	// removal.
	Principal *string `json:"principal"`
	// Version is the contract's version after the change (before it, for
	// a removal); a consumer orders a contract's events by it.
	Version int64 `json:"version"`
	// ChangedFields names the contract's fields (Contract's JSON names)
	// whose value the change set, changed or cleared; for a new
	// contract, every field it has. version, updatedAt, updatedBy and
	// updatedVia, which every change sets, are not listed.
	ChangedFields []string `json:"changedFields"`
	// Time is when the change was made (the contract's updatedAt; for a
	// removal, when the stream recorded it).
	Time string `json:"time"`
	// Contract is the contract after the change; nil when it would not
	// fit one event (EventBridge takes at most 256 KB), then read it
	// through any API that sees it.
	Contract *Contract `json:"contract"`
}

// Contract is a contract as the domain sees it (contract.Contract), in
// the events' JSON. Times are RFC 3339 in UTC; absent fields are unset.
type Contract struct {
	Number string `json:"number"`
	ID     string `json:"id"`
	Party  Party  `json:"party"`
	// Reference is fabric's contractId.
	Reference   string `json:"reference,omitempty"`
	Name        string `json:"name,omitempty"`
	Description string `json:"description,omitempty"`
	// Type is fabric's contractType.
	Type             string          `json:"type,omitempty"`
	Amount           *Money          `json:"amount,omitempty"`
	Order            *int64          `json:"order,omitempty"`
	PriceList        *PriceList      `json:"priceList,omitempty"`
	AccountID        string          `json:"accountId,omitempty"`
	Attributes       json.RawMessage `json:"attributes,omitempty"`
	PaymentAccountID string          `json:"paymentAccountId,omitempty"`
	PlanIDs          []string        `json:"planIds,omitempty"`
	Billing          *Billing        `json:"billing,omitempty"`
	Segments         []Segment       `json:"segments,omitempty"`
	// ValidFrom and ValidTo are the half-open period [validFrom, validTo)
	// the contract is in effect (the README's Dates).
	ValidFrom  string       `json:"validFrom,omitempty"`
	ValidTo    string       `json:"validTo,omitempty"`
	Status     string       `json:"status"`
	Version    int64        `json:"version"`
	CreatedAt  string       `json:"createdAt"`
	UpdatedAt  string       `json:"updatedAt"`
	CreatedBy  string       `json:"createdBy"`
	UpdatedBy  string       `json:"updatedBy"`
	UpdatedVia contract.API `json:"updatedVia,omitempty"`
	DeletedAt  string       `json:"deletedAt,omitempty"`
}

// Party is a contract's counterparty: a Kukkingu client, an Aira
// customer, a fabric organization or an EasyBilling account.
type Party struct {
	Kind contract.PartyKind `json:"kind"`
	ID   string             `json:"id"`
}

// Money is an amount in the minor unit of its ISO 4217 currency.
type Money struct {
	Minor    int64  `json:"minor"`
	Currency string `json:"currency"`
}

// PriceList is a contract's price list link (fabric).
type PriceList struct {
	ID          string `json:"id"`
	PriceListID int64  `json:"priceListId"`
	CreatedAt   string `json:"createdAt"`
	UpdatedAt   string `json:"updatedAt"`
}

// Billing is a contract's billing terms (Aira).
type Billing struct {
	EndDay              *int   `json:"endDay,omitempty"`
	ScheduledPaymentDay *int   `json:"scheduledPaymentDay,omitempty"`
	DueOffsetDays       *int   `json:"dueOffsetDays,omitempty"`
	CycleMinimumAmount  string `json:"cycleMinimumAmount,omitempty"`
}

// Segment is one segment of a contract's terms (EasyBilling), as written:
// its dates are those it was written with (what a reader sees of its end
// is derived when read).
type Segment struct {
	ID               string   `json:"id"`
	PreviousID       string   `json:"previousId,omitempty"`
	PlanID           string   `json:"planId"`
	Currencies       []string `json:"currencies"`
	EffectiveDate    string   `json:"effectiveDate"`
	ExpirationDate   string   `json:"expirationDate"`
	BillingCycleDay  int      `json:"billingCycleDay"`
	BillingCycleType string   `json:"billingCycleType"`
	Price            string   `json:"price,omitempty"`
	CreatedAt        string   `json:"createdAt"`
	UpdatedAt        string   `json:"updatedAt"`
	CreatedBy        string   `json:"createdBy"`
	UpdatedBy        string   `json:"updatedBy"`
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func formatTimePtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return formatTime(*t)
}

// ContractOf is c in the events' JSON.
func ContractOf(c *contract.Contract) *Contract {
	out := &Contract{
		Number: c.Number, ID: c.ID, Party: Party{Kind: c.Party.Kind, ID: c.Party.ID},
		Reference: c.Reference, Name: c.Name, Description: c.Description, Type: c.Type,
		Order: c.Order, AccountID: c.AccountID, Attributes: c.Attributes,
		PaymentAccountID: c.PaymentAccountID, PlanIDs: c.PlanIDs,
		ValidFrom: formatTimePtr(c.ValidFrom), ValidTo: formatTimePtr(c.ValidTo),
		Status: string(c.Status), Version: c.Version,
		CreatedAt: formatTime(c.CreatedAt), UpdatedAt: formatTime(c.UpdatedAt),
		CreatedBy: c.CreatedBy, UpdatedBy: c.UpdatedBy, UpdatedVia: c.UpdatedVia,
		DeletedAt: formatTimePtr(c.DeletedAt),
	}
	if c.Amount != nil {
		out.Amount = &Money{Minor: c.Amount.Minor, Currency: c.Amount.Currency}
	}
	if pl := c.PriceList; pl != nil {
		out.PriceList = &PriceList{ID: pl.ID, PriceListID: pl.PriceListID, CreatedAt: formatTime(pl.CreatedAt), UpdatedAt: formatTime(pl.UpdatedAt)}
	}
	if b := c.Billing; b != nil {
		out.Billing = &Billing{EndDay: b.EndDay, ScheduledPaymentDay: b.ScheduledPaymentDay, DueOffsetDays: b.DueOffsetDays, CycleMinimumAmount: b.CycleMinimumAmount}
	}
	for _, s := range c.Segments {
		out.Segments = append(out.Segments, Segment{
			ID: s.ID, PreviousID: s.PreviousID, PlanID: s.PlanID, Currencies: s.Currencies,
			EffectiveDate: s.EffectiveDate, ExpirationDate: s.ExpirationDate,
			BillingCycleDay: s.BillingCycleDay, BillingCycleType: s.BillingCycleType, Price: s.Price,
			CreatedAt: formatTime(s.CreatedAt), UpdatedAt: formatTime(s.UpdatedAt), CreatedBy: s.CreatedBy, UpdatedBy: s.UpdatedBy,
		})
	}
	return out
}

// Change is one change of a contract, as its stream record tells it.
type Change struct {
	// Old and New are the contract before and after (either nil; not both).
	Old, New *contract.Contract
	// RecordedAt is when the stream recorded the change: the time of a
	// removal, which has no updatedAt of its own.
	RecordedAt time.Time
}

// TypeOf says which event a change is: a new contract is Created, a
// removal and a change that sets deletedAt are Deleted, one that clears
// it Resurrected, one whose status becomes canceled Canceled, any other
// Updated.
func TypeOf(ch Change) Type {
	switch {
	case ch.New == nil:
		return Deleted
	case ch.Old == nil:
		return Created
	case !ch.Old.Deleted() && ch.New.Deleted():
		return Deleted
	case ch.Old.Deleted() && !ch.New.Deleted():
		return Resurrected
	case ch.Old.Status != contract.StatusCanceled && ch.New.Status == contract.StatusCanceled:
		return Canceled
	}
	return Updated
}

// bookkeeping are the contract's fields every change sets; ChangedFields
// leaves them out.
var bookkeeping = []string{"version", "updatedAt", "updatedBy", "updatedVia"}

// EventID is the id of the event of type typ for the given version of
// tenant's contract number: a UUID (version 8, the RFC 9562 form for
// names hashed another way) of their SHA-256.
func EventID(tenant, number string, version int64, typ Type) string {
	sum := sha256.Sum256([]byte("contract-event\x00" + tenant + "\x00" + number + "\x00" + strconv.FormatInt(version, 10) + "\x00" + string(typ)))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// DetailOf is the detail of ch's event.
func DetailOf(ch Change) (*Detail, error) {
	if ch.Old == nil && ch.New == nil {
		return nil, errors.New("contractevents: a change with no contract")
	}
	typ := TypeOf(ch)
	subject := ch.New
	if subject == nil {
		subject = ch.Old
	}
	d := &Detail{
		SchemaVersion: SchemaVersion, Type: typ,
		TenantID: subject.TenantID, ContractNumber: subject.Number, ContractID: subject.ID,
		Owner: subject.Owner(), Version: subject.Version,
		Time: formatTime(subject.UpdatedAt), ChangedFields: []string{},
	}
	if ch.New != nil {
		d.Contract = ContractOf(ch.New)
		if ch.New.UpdatedVia != "" {
			via := ch.New.UpdatedVia
			d.Dialect = &via
		}
		principal := ch.New.UpdatedBy
		d.Principal = &principal
	} else {
		d.Contract = ContractOf(ch.Old)
		d.Time = formatTime(ch.RecordedAt)
	}
	d.EventID = EventID(d.TenantID, d.ContractNumber, d.Version, typ)
	var err error
	if d.ChangedFields, err = changedFields(ch.Old, ch.New); err != nil {
		return nil, err
	}
	return d, nil
}

// changedFields names the fields of the events' Contract whose JSON
// differs between before and after (either nil), bookkeeping left out,
// in the order Contract declares them.
func changedFields(before, after *contract.Contract) ([]string, error) {
	fields := func(c *contract.Contract) (map[string]json.RawMessage, error) {
		m := map[string]json.RawMessage{}
		if c == nil {
			return m, nil
		}
		b, err := json.Marshal(ContractOf(c))
		if err != nil {
			return nil, fmt.Errorf("contractevents: encode contract %s: %w", c.Number, err)
		}
		return m, json.Unmarshal(b, &m)
	}
	a, err := fields(before)
	if err != nil {
		return nil, err
	}
	b, err := fields(after)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, name := range contractFieldNames {
		if slices.Contains(bookkeeping, name) {
			continue
		}
		va, inA := a[name]
		vb, inB := b[name]
		if inA != inB || !bytes.Equal(va, vb) {
			out = append(out, name)
		}
	}
	return out, nil
}

// contractFieldNames are Contract's JSON names, in declaration order.
var contractFieldNames = func() []string {
	t := reflect.TypeFor[Contract]()
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}()
