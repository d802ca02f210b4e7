package fabric

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// contractFields are the fields a client writes. Create decodes into it;
// an update is merged onto the stored contract's fields and the result
// validated with the same tags, so both paths enforce one set of rules.
type contractFields struct {
	StartDate            *string         `json:"startDate" validate:"required,fabric_datetime"`
	EndDate              *string         `json:"endDate" validate:"required,fabric_datetime"`
	ContractID           *string         `json:"contractId,omitempty" validate:"omitempty,min=2,max=255,printascii,fabric_not_internal_id"`
	ContractType         *string         `json:"contractType,omitempty" validate:"omitempty,max=255,singleline"`
	PriceListID          *int64          `json:"priceListId,omitempty" validate:"omitempty,min=0,max=9007199254740991"`
	Status               *string         `json:"status,omitempty" validate:"omitempty,oneof=ACTIVE DRAFT INACTIVE"`
	AdditionalAttributes json.RawMessage `json:"additionalAttributes,omitempty"`
}

// clearable are the updatable fields an update may set to null.
var clearable = map[string]bool{"contractType": true, "priceListId": true, "additionalAttributes": true}

// updatable are the fields an update may change: contractId is fixed once
// the contract exists (it is how clients find it).
var updatable = map[string]bool{
	"startDate": true, "endDate": true, "status": true,
	"contractType": true, "priceListId": true, "additionalAttributes": true,
}

// contractBody is a contract as fabric returns it: every field of the
// seed's response schema; addressId is never known here and so never sent.
type contractBody struct {
	ID                   string          `json:"_id"`
	ContractID           string          `json:"contractId"`
	CreatedAt            string          `json:"createdAt"`
	EndDate              string          `json:"endDate"`
	IsDeleted            bool            `json:"isDeleted"`
	OnContract           bool            `json:"onContract"`
	PartyID              string          `json:"partyId"`
	PromotionStacking    bool            `json:"promotionStacking"`
	StartDate            string          `json:"startDate"`
	Status               string          `json:"status"`
	UpdatedAt            string          `json:"updatedAt"`
	AccountID            string          `json:"accountId,omitempty"`
	AdditionalAttributes json.RawMessage `json:"additionalAttributes,omitempty"`
	ContractPriceList    *priceListBody  `json:"contractPriceList,omitempty"`
	ContractType         string          `json:"contractType,omitempty"`
}

// priceListBody is the contract-to-price-list relation, sent only when the
// contract has a price list.
type priceListBody struct {
	ID          string `json:"_id"`
	ContractID  string `json:"contractId"`
	PriceListID int64  `json:"priceListId"`
	CreatedAt   string `json:"createdAt"`
	UpdatedAt   string `json:"updatedAt"`
}

// listBody is a page of the contract list; Count is the number of
// contracts that match, across all pages.
type listBody struct {
	Query listQueryBody  `json:"query"`
	Data  []contractBody `json:"data"`
}

type listQueryBody struct {
	Offset int `json:"offset"`
	Limit  int `json:"limit"`
	Count  int `json:"count"`
}

// notDeletedBody is the answer to a resurrect of a contract that is not
// deleted: fabric's error shape, on a 303.
type notDeletedBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// domainFieldNames maps the domain's field names to fabric's.
var domainFieldNames = map[string]string{
	"validFrom": "startDate", "validTo": "endDate", "reference": "contractId",
	"attributes": "additionalAttributes", "party": "organizationId",
}

// statuses maps fabric's statuses to the domain's.
var statuses = map[string]contract.Status{
	"ACTIVE": contract.StatusActive, "DRAFT": contract.StatusDraft, "INACTIVE": contract.StatusInactive,
}

const dateTimeMessage = "must be an ISO 8601 date-time with a time zone, such as 2024-01-01T00:00:00.000Z"

// rfc3339 is the shape RFC 3339 gives a date-time. time.Parse also reads a
// one-digit hour and a comma before the fraction, which it does not allow.
var rfc3339 = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$`)

// parseDateTime reads an ISO 8601 date-time as RFC 3339 profiles it: a
// date, a time, and a Z or an offset.
func parseDateTime(s string) (time.Time, error) {
	if !rfc3339.MatchString(s) {
		return time.Time{}, errors.New("not an RFC 3339 date-time")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, err
	}
	// Answers give instants in UTC with a four-digit year: an offset that
	// moves one past 9999 or before 0000 could never be read back.
	if y := t.UTC().Year(); y < 0 || y > 9999 {
		return time.Time{}, errors.New("the instant is outside years 0000 to 9999 in UTC")
	}
	return t, nil
}

func validDateTime(s string) bool {
	_, err := parseDateTime(s)
	return err == nil
}

// formatTime writes an instant as fabric does: UTC with milliseconds.
func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// apply writes validated fields onto c. now stamps a new or changed price
// list link; newLinkID names a new one.
func (f *contractFields) apply(c *contract.Contract, now time.Time, newLinkID func() string) error {
	// Validation has already checked both parse; these errors are only
	// a guard against that check and this one drifting apart.
	from, err := parseDateTime(*f.StartDate)
	if err != nil {
		return contract.Invalid(contract.FieldError{Field: "startDate", Message: dateTimeMessage})
	}
	to, err := parseDateTime(*f.EndDate)
	if err != nil {
		return contract.Invalid(contract.FieldError{Field: "endDate", Message: dateTimeMessage})
	}
	// Instants are kept to the millisecond fabric answers in, so the order
	// checked here is the one every later read and update sees.
	from, to = from.UTC().Truncate(time.Millisecond), to.UTC().Truncate(time.Millisecond)
	if !to.After(from) {
		return contract.Invalid(contract.FieldError{Field: "endDate", Message: "must be after startDate"})
	}
	c.ValidFrom, c.ValidTo = &from, &to
	c.Status = contract.StatusDraft
	if f.Status != nil {
		c.Status = statuses[*f.Status]
	}
	c.Type = ""
	if f.ContractType != nil {
		c.Type = *f.ContractType
	}
	c.Attributes = nil
	if len(f.AdditionalAttributes) > 0 && string(f.AdditionalAttributes) != "null" {
		c.Attributes = f.AdditionalAttributes
	}
	switch {
	case f.PriceListID == nil:
		c.PriceList = nil
	case c.PriceList == nil:
		c.PriceList = &contract.PriceListLink{ID: newLinkID(), PriceListID: *f.PriceListID, CreatedAt: now, UpdatedAt: now}
	case c.PriceList.PriceListID != *f.PriceListID:
		link := *c.PriceList
		link.PriceListID, link.UpdatedAt = *f.PriceListID, now
		c.PriceList = &link
	}
	return nil
}

// fieldsOf renders a stored contract as its writable fields, the base an
// update is merged onto.
func fieldsOf(c *contract.Contract) contractFields {
	f := contractFields{AdditionalAttributes: c.Attributes}
	if c.ValidFrom != nil {
		s := formatTime(*c.ValidFrom)
		f.StartDate = &s
	}
	if c.ValidTo != nil {
		s := formatTime(*c.ValidTo)
		f.EndDate = &s
	}
	status := statusOf(c.Status)
	f.Status = &status
	if c.Type != "" {
		t := c.Type
		f.ContractType = &t
	}
	if c.PriceList != nil {
		id := c.PriceList.PriceListID
		f.PriceListID = &id
	}
	return f
}

// bodyOf renders a contract as fabric returns it.
func bodyOf(c *contract.Contract) contractBody {
	return bodiesOf(1, func(int) *contract.Contract { return c })[0]
}

// timeLayout is how fabric writes an instant: UTC with milliseconds.
const timeLayout = "2006-01-02T15:04:05.000Z"

// wireStatus is each status as fabric writes it, upper case, made once
// rather than per body.
var wireStatus = map[contract.Status]string{
	contract.StatusDraft: "DRAFT", contract.StatusActive: "ACTIVE", contract.StatusInactive: "INACTIVE",
	contract.StatusExpired: "EXPIRED", contract.StatusCanceled: "CANCELED",
}

// statusOf returns c's status as fabric writes it.
func statusOf(s contract.Status) string {
	if w, ok := wireStatus[s]; ok {
		return w
	}
	return strings.ToUpper(string(s))
}

// bodiesOf renders n contracts, the i-th at(i), as fabric returns them,
// their date-times sharing one string (see httpapi.Texts).
func bodiesOf(n int, at func(i int) *contract.Contract) []contractBody {
	const stampsPerBody = 6 // createdAt, updatedAt, startDate, endDate, the price list's two
	texts := httpapi.NewTexts(n*stampsPerBody, len(timeLayout))
	optional := func(t *time.Time) {
		if t == nil {
			texts.Empty()
		} else {
			texts.Time(*t, timeLayout)
		}
	}
	for i := range n {
		c := at(i)
		texts.Time(c.CreatedAt, timeLayout)
		texts.Time(c.UpdatedAt, timeLayout)
		optional(c.ValidFrom)
		optional(c.ValidTo)
		if pl := c.PriceList; pl != nil {
			texts.Time(pl.CreatedAt, timeLayout)
			texts.Time(pl.UpdatedAt, timeLayout)
		} else {
			texts.Empty()
			texts.Empty()
		}
	}
	texts.Seal()
	bodies := make([]contractBody, n)
	for i := range bodies {
		c, k := at(i), i*stampsPerBody
		bodies[i] = contractBody{
			ID: c.ID, ContractID: c.Reference, PartyID: c.Party.ID,
			CreatedAt: texts.Text(k), UpdatedAt: texts.Text(k + 1), StartDate: texts.Text(k + 2), EndDate: texts.Text(k + 3),
			IsDeleted: c.Deleted(), Status: statusOf(c.Status),
			AccountID: c.AccountID, AdditionalAttributes: c.Attributes, ContractType: c.Type,
		}
		if pl := c.PriceList; pl != nil {
			bodies[i].ContractPriceList = &priceListBody{
				ID: pl.ID, ContractID: c.Reference, PriceListID: pl.PriceListID,
				CreatedAt: texts.Text(k + 4), UpdatedAt: texts.Text(k + 5),
			}
		}
	}
	return bodies
}

// generatedContractID derives the contractId of a contract created without
// one from its tenant-wide number, in fabric's 15-digit form: contract
// CT-0000000013 gets 201000000000013.
func generatedContractID(number string) string {
	var n int64
	fmt.Sscanf(strings.TrimPrefix(number, "CT-"), "%d", &n)
	return fmt.Sprintf("201%012d", n)
}
