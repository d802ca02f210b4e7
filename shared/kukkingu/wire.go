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
	ClientID     string  `json:"clientId" validate:"required,max=255"`
	Name         string  `json:"name" validate:"required,min=1,max=255"`
	AmountMinor  *int64  `json:"amountMinor" validate:"required,min=0,max=9007199254740991"`
	CurrencyCode string  `json:"currencyCode" validate:"required,len=3,iso4217"`
	Description  *string `json:"description,omitempty" validate:"omitempty,max=10000"`
	Order        *int64  `json:"order,omitempty" validate:"omitempty,min=0,max=9007199254740991"`
	ValidFrom    *string `json:"validFrom,omitempty" validate:"omitempty,kukkingu_datetime"`
	ValidTo      *string `json:"validTo,omitempty" validate:"omitempty,kukkingu_datetime"`
}

// contractBody is a contract as Kukkingu returns it, in the seed's field
// order.
type contractBody struct {
	ID           string `json:"id"`
	Client       string `json:"client"`
	Name         string `json:"name"`
	AmountMinor  *int64 `json:"amountMinor,omitempty"`
	CurrencyCode string `json:"currencyCode,omitempty"`
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

// bodyOf renders a contract as Kukkingu returns it.
func bodyOf(c *contract.Contract) contractBody {
	return bodiesOf(1, func(int) *contract.Contract { return c })[0]
}

// bodiesOf renders n contracts, the i-th at(i), as Kukkingu returns them.
// A list is the hottest encoder, so the bodies take nothing from the heap
// that the contracts already hold (their optional numbers are pointed
// at, not copied), and their date-times share one string (see
// httpapi.Texts).
func bodiesOf(n int, at func(i int) *contract.Contract) []contractBody {
	const stampsPerBody = 4 // createdAt, updatedAt, validFrom, validTo
	texts := httpapi.NewTexts(n*stampsPerBody, len(layoutMillis))
	for i := range n {
		c := at(i)
		texts.Time(c.CreatedAt, layoutMillis)
		texts.Time(c.UpdatedAt, layoutMillis)
		for _, t := range [...]*time.Time{c.ValidFrom, c.ValidTo} {
			if t == nil {
				texts.Empty()
			} else {
				texts.Time(*t, layoutOf(*t))
			}
		}
	}
	texts.Seal()
	bodies := make([]contractBody, n)
	for i := range bodies {
		c, k := at(i), i*stampsPerBody
		b := &bodies[i]
		*b = contractBody{
			ID: c.ID, Client: c.Party.ID, Name: c.Name, Description: c.Description, Order: c.Order,
			CreatedAt: texts.Text(k), UpdatedAt: texts.Text(k + 1), ValidFrom: texts.Text(k + 2), ValidTo: texts.Text(k + 3),
		}
		if c.Amount != nil {
			b.AmountMinor, b.CurrencyCode = &c.Amount.Minor, c.Amount.Currency
		}
	}
	return bodies
}
