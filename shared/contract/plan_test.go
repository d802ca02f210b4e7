package contract_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
)

// A plan's description is bounded, at the bound accepted and one past it
// refused naming the field: Aira shows the descriptions of up to 20 plans
// in every answer about a contract.
func TestPlanDescriptionBound(t *testing.T) {
	plan := contract.Plan{ID: "p", Name: "n", Currencies: []string{"USD"}, Description: strings.Repeat("d", 1000)}
	if err := plan.Validate(); err != nil {
		t.Fatalf("1000 characters: %v", err)
	}
	plan.Description += "d"
	var e *contract.Error
	err := plan.Validate()
	if !errors.As(err, &e) || e.Kind != contract.KindInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "description" {
		t.Fatalf("1001 characters: %v", err)
	}
}
