package contract

import (
	"errors"
	"fmt"
)

// Plan is an entry of a tenant's plan catalog: what a contract can be
// billed on. Aira and EasyBilling contracts name plans by id; the catalog
// is loaded by operators with the admin command.
type Plan struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Description      string   `json:"description,omitempty"`
	BillingCycleType string   `json:"billingCycleType,omitempty"`
	Currencies       []string `json:"currencies"`
}

// NoPlan is RFC 9562's Nil UUID, the plan id a reader is shown for a
// contract billed on no plan of the catalog (EasyBilling shows it for
// Kukkingu's and fabric's contracts): no plan of a catalog may take it,
// or such a contract would read as billed on that plan.
const NoPlan = "00000000-0000-0000-0000-000000000000"

// DefaultBillingCycleType is the billing cycle of a plan that names none.
const DefaultBillingCycleType = "monthly"

// maxPlanDescription bounds a plan's description: Aira shows the
// description of each of a contract's plans (up to 20) in every answer
// about the contract, which must fit in one response and in the record
// an Idempotency-Key keeps.
const maxPlanDescription = 1000

// ValidateCatalog checks the entries of one write to a tenant's catalog,
// naming every failing field of each by its index ("[2].currencies[0]"),
// and refuses an id given twice: one write holds each plan once, so that
// which of two entries stands is never a matter of order.
func ValidateCatalog(plans []Plan) error {
	var fields []FieldError
	first := make(map[string]int, len(plans))
	for i, p := range plans {
		var e *Error
		if err := p.Validate(); errors.As(err, &e) {
			for _, f := range e.Fields {
				fields = append(fields, FieldError{Field: fmt.Sprintf("[%d].%s", i, f.Field), Message: f.Message})
			}
		}
		if j, seen := first[p.ID]; seen && p.ID != "" {
			fields = append(fields, FieldError{Field: fmt.Sprintf("[%d].id", i), Message: fmt.Sprintf("names the same plan as [%d]", j)})
		} else if !seen {
			first[p.ID] = i
		}
	}
	if len(fields) > 0 {
		return Invalid(fields...)
	}
	return nil
}

// Validate checks a catalog entry, naming fields by their JSON names.
func (p *Plan) Validate() error {
	var fields []FieldError
	switch {
	case p.ID == "" || len(p.ID) > 128:
		fields = append(fields, FieldError{Field: "id", Message: "is required, at most 128 characters"})
	case p.ID == NoPlan:
		fields = append(fields, FieldError{Field: "id", Message: "must not be the Nil UUID, which names no plan"})
	}
	if p.Name == "" || len(p.Name) > 255 {
		fields = append(fields, FieldError{Field: "name", Message: "is required, at most 255 characters"})
	}
	if len(p.Description) > maxPlanDescription {
		fields = append(fields, FieldError{Field: "description", Message: fmt.Sprintf("must be at most %d characters", maxPlanDescription)})
	}
	if len(p.Currencies) == 0 {
		fields = append(fields, FieldError{Field: "currencies", Message: "must list at least one currency"})
	}
	for i, c := range p.Currencies {
		if !isCurrencyShape(c) {
			fields = append(fields, FieldError{Field: fmt.Sprintf("currencies[%d]", i), Message: "must be an ISO 4217 code of three capital letters"})
		}
	}
	switch p.BillingCycleType {
	case "", "monthly", "quarterly", "yearly":
	default:
		fields = append(fields, FieldError{Field: "billingCycleType", Message: "must be monthly, quarterly or yearly"})
	}
	if len(fields) > 0 {
		return Invalid(fields...)
	}
	return nil
}

// isCurrencyShape reports whether code looks like an ISO 4217 code. The
// dialects check codes against the full list; the catalog only needs the
// shape to stay comparable.
func isCurrencyShape(code string) bool {
	if len(code) != 3 {
		return false
	}
	for _, r := range code {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
