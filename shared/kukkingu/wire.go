package kukkingu

import (
	"time"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// contractFields are the fields a client writes, as Kukkingu names them.
// Create decodes into it; a patch is applied onto the current contract's
// fields and the result validated with the same tags, so both paths
// enforce one set of rules.
type contractFields struct {
	ClientID     string  `json:"clientId" validate:"required,max=255,singleline"`
	Name         string  `json:"name" validate:"required,min=1,max=255,singleline"`
	AmountMinor  *int64  `json:"amountMinor" validate:"required,min=0,max=9007199254740991"`
	CurrencyCode string  `json:"currencyCode" validate:"required,len=3,iso4217"`
	Description  *string `json:"description,omitempty" validate:"omitempty,max=10000"`
	Order        *int64  `json:"order,omitempty" validate:"omitempty,min=0,max=9007199254740991"`
	ValidFrom    *string `json:"validFrom,omitempty" validate:"omitempty,kukkingu_datetime"`
	ValidTo      *string `json:"validTo,omitempty" validate:"omitempty,kukkingu_datetime"`
}

// contractBody is a contract as Kukkingu returns it, in the seed's field
// order. Every field the documentation requires is always present,
// whichever API made the contract (see bodiesOf).
type contractBody struct {
	ID           string `json:"id"`
	Client       string `json:"client"`
	Name         string `json:"name"`
	AmountMinor  int64  `json:"amountMinor"`
	CurrencyCode string `json:"currencyCode"`
	CreatedAt    string `json:"createdAt"`
	UpdatedAt    string `json:"updatedAt"`
	Description  string `json:"description,omitempty"`
	Order        *int64 `json:"order,omitempty"`
	ValidFrom    string `json:"validFrom,omitempty"`
	ValidTo      string `json:"validTo,omitempty"`
}

// dataEnvelope wraps every Kukkingu success body.
type dataEnvelope struct {
	Data contractBody `json:"data"`
}

// listBody is a page of the contract list. NextCursor is null on the last
// page.
type listBody struct {
	Data       []contractBody `json:"data"`
	NextCursor *string        `json:"nextCursor"`
}

// domainFieldNames maps the domain's field names to Kukkingu's.
var domainFieldNames = map[string]string{
	"amount": "amountMinor", "currency": "currencyCode", "party": "clientId",
}

// apply writes validated fields onto c.
func (f *contractFields) apply(c *contract.Contract) error {
	c.Party = contract.Party{Kind: contract.PartyClient, ID: f.ClientID}
	c.Name = f.Name
	c.Amount = &contract.Money{Minor: *f.AmountMinor, Currency: f.CurrencyCode}
	c.Description = ""
	if f.Description != nil {
		c.Description = *f.Description
	}
	c.Order = f.Order
	var err error
	if c.ValidFrom, err = parseOptional("validFrom", f.ValidFrom); err != nil {
		return err
	}
	if c.ValidTo, err = parseOptional("validTo", f.ValidTo); err != nil {
		return err
	}
	return nil
}

func parseOptional(field string, s *string) (*time.Time, error) {
	if s == nil {
		return nil, nil
	}
	t, err := parseDateTime(*s)
	if err != nil {
		// The pattern already matched, so this is a value the pattern
		// allows and Go's parser does not; name it rather than fail.
		return nil, contract.Invalid(contract.FieldError{Field: field, Message: "is not a date-time this service can read"})
	}
	return &t, nil
}

// fieldsOf renders a stored contract as the writable fields, the base a
// patch is applied to.
func fieldsOf(c *contract.Contract) contractFields {
	f := contractFields{ClientID: c.Party.ID, Name: c.Name, Order: c.Order}
	if c.Amount != nil {
		minor := c.Amount.Minor
		f.AmountMinor, f.CurrencyCode = &minor, c.Amount.Currency
	}
	if c.Description != "" {
		d := c.Description
		f.Description = &d
	}
	f.ValidFrom = formatOptional(c.ValidFrom)
	f.ValidTo = formatOptional(c.ValidTo)
	return f
}

func formatOptional(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := formatDateTime(*t)
	return &s
}

// nameOf is the name c shows, 1 to 255 characters: its own (a Kukkingu
// contract's), else its client-chosen reference (fabric's contractId, at
// most 255), else its number.
func nameOf(c *contract.Contract) string {
	switch {
	case c.Name != "":
		return c.Name
	case c.Reference != "":
		return c.Reference
	}
	return c.Number
}

// bodyOf renders a contract as Kukkingu returns it on day (YYYY-MM-DD, the
// day its currency is read on).
func bodyOf(c *contract.Contract, day string) contractBody {
	return bodiesOf(1, func(int) *contract.Contract { return c }, day)[0]
}

// bodiesOf renders n contracts, the i-th at(i), as Kukkingu returns them
// on day. A contract another API made fits Kukkingu's schema too, each
// field from a documented source (the README's table "One contract in
// every reader's fields"): its derived id (derivedIDs), its party's client id
// (clientOf), a name (nameOf), its amount or 0, its currency or XXX
// (contract.Contract.CurrencyCodeOn), every date-time to the millisecond.
//
// A list is the hottest encoder, so the bodies take nothing from the heap
// that the contracts already hold (their optional numbers are pointed
// at, not copied), and their date-times share one string, and the
// derived ids and client ids another (see httpapi.Texts).
func bodiesOf(n int, at func(i int) *contract.Contract, day string) []contractBody {
	const stampsPerBody = 4 // createdAt, updatedAt, validFrom, validTo
	texts := httpapi.NewTexts(n*stampsPerBody, len(layoutMillis))
	// The ids and clients of other APIs' contracts, in order, and where
	// each ends.
	var derived []byte
	var ends []int
	for i := range n {
		c := at(i)
		texts.Time(c.CreatedAt, layoutMillis)
		texts.Time(c.UpdatedAt, layoutMillis)
		for _, t := range [...]*time.Time{c.ValidFrom, c.ValidTo} {
			if t == nil {
				texts.Empty()
			} else {
				texts.Time(*t, layoutMillis)
			}
		}
		if c.Owner() != contract.APIKukkingu {
			if derived == nil {
				derived = make([]byte, 0, (n-i)*(len(idPrefix)+idLength+len(clientPrefix)+idLength))
				ends = make([]int, 0, 2*(n-i))
			}
			derived = derivedIDs.Append(derived, c.Number)
			ends = append(ends, len(derived))
			derived = appendPartyClient(derived, c.Party)
			ends = append(ends, len(derived))
		}
	}
	texts.Seal()
	ids, start := string(derived), 0
	bodies := make([]contractBody, n)
	for i := range bodies {
		c, k := at(i), i*stampsPerBody
		b := &bodies[i]
		*b = contractBody{
			ID: c.ID, Client: c.Party.ID, Name: nameOf(c), CurrencyCode: c.CurrencyCodeOn(day),
			Description: c.Description, Order: c.Order,
			CreatedAt: texts.Text(k), UpdatedAt: texts.Text(k + 1), ValidFrom: texts.Text(k + 2), ValidTo: texts.Text(k + 3),
		}
		if c.Amount != nil {
			b.AmountMinor = c.Amount.Minor
		}
		if c.Owner() != contract.APIKukkingu {
			b.ID, b.Client = ids[start:ends[0]], ids[ends[0]:ends[1]]
			start, ends = ends[1], ends[2:]
		}
	}
	return bodies
}
