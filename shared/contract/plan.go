package contract

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

// DefaultBillingCycleType is the billing cycle of a plan that names none.
const DefaultBillingCycleType = "monthly"

// Validate checks a catalog entry, naming fields by their JSON names.
func (p *Plan) Validate() error {
	var fields []FieldError
	if p.ID == "" || len(p.ID) > 128 {
		fields = append(fields, FieldError{Field: "id", Message: "is required, at most 128 characters"})
	}
	if p.Name == "" || len(p.Name) > 255 {
		fields = append(fields, FieldError{Field: "name", Message: "is required, at most 255 characters"})
	}
	if len(p.Currencies) == 0 {
		fields = append(fields, FieldError{Field: "currencies", Message: "must list at least one currency"})
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
