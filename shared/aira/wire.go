package aira

import (
	"bytes"
	"encoding/json"
	"slices"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
)

// createRequest is the body of a contract create: exactly one of customer
// and customerId, exactly one of paymentAccount and paymentAccountId, and
// the contract.
type createRequest struct {
	Customer         *customerFields       `json:"customer"`
	CustomerID       *string               `json:"customerId" validate:"omitempty,uuid"`
	PaymentAccount   *paymentAccountFields `json:"paymentAccount"`
	PaymentAccountID *string               `json:"paymentAccountId" validate:"omitempty,uuid"`
	Contract         *contractFields       `json:"contract" validate:"required"`
}

// replaceRequest is the body of a contract replace: the contract's fields
// and, optionally, a new or another existing payment account. The customer
// of a contract never changes.
type replaceRequest struct {
	PaymentAccount   *paymentAccountFields `json:"paymentAccount"`
	PaymentAccountID *string               `json:"paymentAccountId" validate:"omitempty,uuid"`
	Contract         *contractFields       `json:"contract" validate:"required"`
}

type customerFields struct {
	ExternalID   string          `json:"externalId" validate:"required,max=255,singleline"`
	Name         string          `json:"name" validate:"required,max=255,singleline"`
	CustomFields json.RawMessage `json:"customFields"`
}

type paymentAccountFields struct {
	BusinessName string        `json:"businessName" validate:"required,max=255,singleline"`
	TradeName    string        `json:"tradeName" validate:"omitempty,max=255,singleline"`
	TaxID        string        `json:"taxId" validate:"required,brazil_taxid"`
	Email        string        `json:"email" validate:"required,max=254,email"`
	Address      addressFields `json:"address" validate:"required"`
}

type addressFields struct {
	ZipCode      string `json:"zipCode" validate:"required,brazil_cep"`
	Number       string `json:"number" validate:"required,max=20"`
	Street       string `json:"street" validate:"required,max=255"`
	Neighborhood string `json:"neighborhood" validate:"omitempty,max=255"`
	City         string `json:"city" validate:"required,max=255"`
	State        string `json:"state" validate:"required,brazil_uf"`
	Country      string `json:"country" validate:"required,max=64"`
	Complement   string `json:"complement" validate:"omitempty,max=255"`
}

type contractFields struct {
	StartDate       string           `json:"startDate" validate:"required,aira_date"`
	EndDate         *string          `json:"endDate" validate:"omitempty,aira_date"`
	BillingEndDay   *int             `json:"billingEndDay" validate:"omitempty,min=1,max=31"`
	PlanIDs         []string         `json:"planIds" validate:"required,min=1,max=20,unique,dive,required,max=128,singleline"`
	PaymentSettings *paymentSettings `json:"paymentSettings"`
	BillingSettings *billingSettings `json:"billingSettings"`
	CustomFields    json.RawMessage  `json:"customFields"`
	// Status is "active" (the default) or "draft" on a create; a replace
	// may send only the status the contract has: status changes through
	// /activate and /cancel.
	Status *string `json:"status" validate:"omitempty,oneof=active draft"`
}

type paymentSettings struct {
	ScheduledPaymentDay *int `json:"scheduledPaymentDay" validate:"required,min=1,max=31"`
	DueOffsetDays       *int `json:"dueOffsetDays" validate:"required,min=0,max=365"`
}

type billingSettings struct {
	BillingCycleMinimumAmount *json.Number `json:"billingCycleMinimumAmount" validate:"required"`
}

// customerRequest is the body of POST /v1/customers.
type customerRequest = customerFields

type contractResponse struct {
	Contract       contractBody       `json:"contract"`
	Customer       customerBody       `json:"customer"`
	PaymentAccount paymentAccountBody `json:"paymentAccount"`
}

type contractBody struct {
	ID              string           `json:"id"`
	StartDate       string           `json:"startDate"`
	EndDate         *string          `json:"endDate"`
	BillingEndDay   *int             `json:"billingEndDay,omitempty"`
	Status          string           `json:"status"`
	Plans           []planBody       `json:"plans"`
	PaymentSettings *paymentSettings `json:"paymentSettings,omitempty"`
	BillingSettings *billingSettings `json:"billingSettings,omitempty"`
	CustomFields    json.RawMessage  `json:"customFields"`
}

type planBody struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

type customerBody struct {
	ID           string          `json:"id"`
	ExternalID   string          `json:"externalId"`
	Name         string          `json:"name"`
	CustomFields json.RawMessage `json:"customFields"`
}

type paymentAccountBody struct {
	ID           string      `json:"id"`
	BusinessName string      `json:"businessName"`
	TradeName    string      `json:"tradeName"`
	TaxID        string      `json:"taxId"`
	Email        string      `json:"email"`
	Address      addressBody `json:"address"`
}

type addressBody struct {
	ZipCode      string `json:"zipCode"`
	Number       string `json:"number"`
	Street       string `json:"street"`
	Neighborhood string `json:"neighborhood"`
	City         string `json:"city"`
	State        string `json:"state"`
	Country      string `json:"country"`
	Complement   string `json:"complement"`
}

type itemsBody struct {
	Items []paymentAccountBody `json:"items"`
}

// emptyObject is what an absent customFields reads as, as in Aira's
// examples.
var emptyObject = json.RawMessage("{}")

// Dates are whole days. A contract runs from the first instant of its
// startDate to the last instant of its endDate: the end date is inclusive,
// so 2024-01-01 to 2024-12-31 is one year.
func startOfDay(d string) time.Time {
	t, _ := time.Parse(time.DateOnly, d)
	return t
}

// endAfter maps Aira's endDate, the contract's last day (inclusive), to
// the domain's half-open end: midnight of the day after, the first
// instant the contract is no longer in effect.
func endAfter(d string) time.Time { return startOfDay(d).AddDate(0, 0, 1) }

// lastDay maps the domain's half-open end back to Aira's endDate: the day
// of the last instant in effect.
func lastDay(end time.Time) string {
	return end.UTC().Add(-time.Nanosecond).Format(time.DateOnly)
}

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// validCustomFields reports whether raw is absent, null, or an object
// whose values are strings or arrays of strings, as Aira allows.
func validCustomFields(raw json.RawMessage) bool {
	if len(raw) == 0 || string(raw) == "null" {
		return true
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || fields == nil {
		return false
	}
	// The values are valid JSON already, so their first byte tells a
	// string from anything else without decoding it.
	isString := func(v json.RawMessage) bool {
		v = bytes.TrimSpace(v)
		return len(v) > 0 && v[0] == '"'
	}
	for _, v := range fields {
		if isString(v) {
			continue
		}
		var list []json.RawMessage
		if json.Unmarshal(v, &list) != nil || list == nil || slices.ContainsFunc(list, func(e json.RawMessage) bool { return !isString(e) }) {
			return false
		}
	}
	return true
}

// customFieldsOf keeps customFields as sent, dropping an explicit null and
// an empty object: Aira answers {} for none, so a client sending back the
// contract it read changes nothing.
func customFieldsOf(raw json.RawMessage) json.RawMessage {
	if trimmed := bytes.TrimSpace(raw); len(trimmed) == 0 || string(trimmed) == "null" ||
		trimmed[0] == '{' && len(bytes.TrimSpace(trimmed[1:len(trimmed)-1])) == 0 {
		return nil
	}
	return raw
}

func (f *contractFields) apply(c *contract.Contract) {
	from := startOfDay(f.StartDate)
	c.ValidFrom, c.ValidTo = &from, nil
	if f.EndDate != nil {
		to := endAfter(*f.EndDate)
		c.ValidTo = &to
	}
	c.PlanIDs = f.PlanIDs
	c.Attributes = customFieldsOf(f.CustomFields)
	b := &contract.BillingTerms{EndDay: f.BillingEndDay}
	if ps := f.PaymentSettings; ps != nil {
		b.ScheduledPaymentDay, b.DueOffsetDays = ps.ScheduledPaymentDay, ps.DueOffsetDays
	}
	if bs := f.BillingSettings; bs != nil {
		b.CycleMinimumAmount = bs.BillingCycleMinimumAmount.String()
	}
	c.Billing = b
}

func (f *paymentAccountFields) toPaymentAccount(id, customerID string) *contract.PaymentAccount {
	a := f.Address
	return &contract.PaymentAccount{
		ID: id, CustomerID: customerID, BusinessName: f.BusinessName, TradeName: f.TradeName,
		TaxID: f.TaxID, Email: f.Email,
		Address: contract.Address{ZipCode: a.ZipCode, Number: a.Number, Street: a.Street, Neighborhood: a.Neighborhood,
			City: a.City, State: a.State, Country: a.Country, Complement: a.Complement},
	}
}

func contractBodyOf(c *contract.Contract, plans map[string]contract.Plan) contractBody {
	b := contractBody{ID: c.ID, Status: string(c.Status), CustomFields: c.Attributes, Plans: []planBody{}}
	if b.CustomFields == nil {
		b.CustomFields = emptyObject
	}
	if c.ValidFrom != nil {
		b.StartDate = c.ValidFrom.UTC().Format(time.DateOnly)
	}
	if c.ValidTo != nil {
		end := lastDay(*c.ValidTo)
		b.EndDate = &end
	}
	for _, id := range c.PlanIDs {
		p := plans[id]
		b.Plans = append(b.Plans, planBody{ID: id, Name: p.Name, Description: p.Description})
	}
	if t := c.Billing; t != nil {
		b.BillingEndDay = t.EndDay
		if t.ScheduledPaymentDay != nil || t.DueOffsetDays != nil {
			b.PaymentSettings = &paymentSettings{ScheduledPaymentDay: t.ScheduledPaymentDay, DueOffsetDays: t.DueOffsetDays}
		}
		if t.CycleMinimumAmount != "" {
			n := json.Number(t.CycleMinimumAmount)
			b.BillingSettings = &billingSettings{BillingCycleMinimumAmount: &n}
		}
	}
	return b
}

func customerBodyOf(cu *contract.Customer) customerBody {
	b := customerBody{ID: cu.ID, ExternalID: cu.ExternalID, Name: cu.Name, CustomFields: cu.CustomFields}
	if b.CustomFields == nil {
		b.CustomFields = emptyObject
	}
	return b
}

func paymentAccountBodyOf(pa *contract.PaymentAccount) paymentAccountBody {
	a := pa.Address
	return paymentAccountBody{
		ID: pa.ID, BusinessName: pa.BusinessName, TradeName: pa.TradeName, TaxID: pa.TaxID, Email: pa.Email,
		Address: addressBody{ZipCode: a.ZipCode, Number: a.Number, Street: a.Street, Neighborhood: a.Neighborhood,
			City: a.City, State: a.State, Country: a.Country, Complement: a.Complement},
	}
}

// domainFieldNames maps the domain's field names to Aira's.
var domainFieldNames = map[string]string{
	"validFrom": "contract.startDate", "validTo": "contract.endDate", "attributes": "contract.customFields",
	"billingEndDay": "contract.billingEndDay", "scheduledPaymentDay": "contract.paymentSettings.scheduledPaymentDay",
	"dueOffsetDays":      "contract.paymentSettings.dueOffsetDays",
	"cycleMinimumAmount": "contract.billingSettings.billingCycleMinimumAmount",
	"externalId":         "customer.externalId",
}
