package easybilling

import (
	"encoding/json"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
)

// actionsRequest is the body of POST /api/contract-actions.
type actionsRequest struct {
	AccountNumber string        `json:"accountNumber" validate:"required,min=1,max=64"`
	Actions       []actionEntry `json:"actions" validate:"required,min=1,max=25,dive"`
}

// actionEntry is one action: its type in kebab-case, and its entries
// under the type's payload key in camelCase.
type actionEntry struct {
	Type                   string             `json:"type" validate:"required,max=64"`
	CreateContractWithPlan []createEntry      `json:"createContractWithPlan,omitempty" validate:"omitempty,max=12,dive"`
	SwitchPlan             []switchPlanEntry  `json:"switchPlan,omitempty" validate:"omitempty,max=25,dive"`
	Renew                  []renewEntry       `json:"renew,omitempty" validate:"omitempty,max=25,dive"`
	EarlyRenew             []earlyRenewEntry  `json:"earlyRenew,omitempty" validate:"omitempty,max=25,dive"`
	UpdatePrice            []updatePriceEntry `json:"updatePrice,omitempty" validate:"omitempty,max=25,dive"`
	Cancel                 []cancelEntry      `json:"cancel,omitempty" validate:"omitempty,max=25,dive"`
}

// payloadKeys maps each action type to its payload key.
var payloadKeys = map[string]string{
	"create-contract-with-plan": "createContractWithPlan",
	"switch-plan":               "switchPlan",
	"renew":                     "renew",
	"early-renew":               "earlyRenew",
	"update-price":              "updatePrice",
	"cancel":                    "cancel",
}

// entries returns how many entries each payload key holds.
func (a *actionEntry) entries() map[string]int {
	return map[string]int{
		"createContractWithPlan": len(a.CreateContractWithPlan), "switchPlan": len(a.SwitchPlan),
		"renew": len(a.Renew), "earlyRenew": len(a.EarlyRenew), "updatePrice": len(a.UpdatePrice), "cancel": len(a.Cancel),
	}
}

type createEntry struct {
	PlanID         string       `json:"planId" validate:"required,max=128"`
	EffectiveDate  string       `json:"effectiveDate" validate:"required,eb_date"`
	ExpirationDate string       `json:"expirationDate" validate:"required,eb_date"`
	Currency       []string     `json:"currency" validate:"required,min=1,max=10,dive,iso4217"`
	ContractPrice  *json.Number `json:"contractPrice,omitempty" validate:"omitempty,eb_price"`
}

// contractRef names an existing contract by its number or its id.
// checkShape checks it: the validator would name its fields after the
// embedded struct.
type contractRef struct {
	ContractNumber string `json:"contractNumber,omitempty"`
	ContractID     string `json:"contractId,omitempty"`
}

// field is the name of the field r was sent in.
func (r contractRef) field() string {
	if r.ContractNumber != "" {
		return "contractNumber"
	}
	return "contractId"
}

func (r contractRef) id() string {
	if r.ContractNumber != "" {
		return r.ContractNumber
	}
	return r.ContractID
}

type switchPlanEntry struct {
	contractRef
	PlanID        string   `json:"planId" validate:"required,max=128"`
	EffectiveDate string   `json:"effectiveDate" validate:"required,eb_date"`
	Currency      []string `json:"currency" validate:"required,min=1,max=10,dive,iso4217"`
}

type renewEntry struct {
	contractRef
	EffectiveDate  string `json:"effectiveDate" validate:"required,eb_date"`
	ExpirationDate string `json:"expirationDate" validate:"required,eb_date"`
}

type earlyRenewEntry struct {
	contractRef
	PlanID         string   `json:"planId,omitempty" validate:"omitempty,max=128"`
	EffectiveDate  string   `json:"effectiveDate" validate:"required,eb_date"`
	ExpirationDate string   `json:"expirationDate" validate:"required,eb_date"`
	Currency       []string `json:"currency,omitempty" validate:"omitempty,max=10,dive,iso4217"`
}

type updatePriceEntry struct {
	contractRef
	ContractSegmentID string       `json:"contractSegmentId" validate:"required,max=64"`
	PlanID            string       `json:"planId,omitempty" validate:"omitempty,max=128"`
	ContractPrice     *json.Number `json:"contractPrice" validate:"required,eb_price"`
	EffectiveDate     string       `json:"effectiveDate" validate:"required,eb_date"`
}

type cancelEntry struct {
	contractRef
	EffectiveDate string `json:"effectiveDate" validate:"required,eb_date"`
}

// naming is how a variant of the API names its timestamps: the production
// API says createdOn/updatedOn, the payment-hub sandbox createdAt/updatedAt.
type naming int

const (
	namedOn naming = iota
	namedAt
)

// audit holds the audit fields; only the pair of the request's naming is
// filled, and the other is left out.
type audit struct {
	CreatedOn string `json:"createdOn,omitempty"`
	UpdatedOn string `json:"updatedOn,omitempty"`
	CreatedAt string `json:"createdAt,omitempty"`
	UpdatedAt string `json:"updatedAt,omitempty"`
	CreatedBy string `json:"createdBy"`
	UpdatedBy string `json:"updatedBy"`
}

// timestamp writes an instant as EasyBilling does: UTC, microseconds.
func timestamp(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func auditOf(n naming, created, updated time.Time, createdBy, updatedBy string) audit {
	a := audit{CreatedBy: createdBy, UpdatedBy: updatedBy}
	if n == namedAt {
		a.CreatedAt, a.UpdatedAt = timestamp(created), timestamp(updated)
	} else {
		a.CreatedOn, a.UpdatedOn = timestamp(created), timestamp(updated)
	}
	return a
}

type segmentBody struct {
	AccountNumber             string       `json:"accountNumber"`
	ContractNumber            string       `json:"contractNumber"`
	PreviousContractSegmentID *string      `json:"previousContractSegmentId"`
	EffectiveDate             string       `json:"effectiveDate"`
	ExpirationDate            string       `json:"expirationDate"`
	Currency                  []string     `json:"currency"`
	PlanID                    string       `json:"planId"`
	BillingCycleDay           int          `json:"billingCycleDay"`
	BillingCycleType          string       `json:"billingCycleType"`
	Status                    string       `json:"status"`
	ContractPrice             *json.Number `json:"contractPrice,omitempty"`
	ID                        string       `json:"id"`
	audit
}

type contractInfo struct {
	AccountNumber    string        `json:"accountNumber"`
	ContractNumber   string        `json:"contractNumber"`
	EffectiveDate    *string       `json:"effectiveDate"`
	ExpirationDate   *string       `json:"expirationDate"`
	Status           string        `json:"status"`
	ContractSegments []segmentBody `json:"contractSegments"`
	ID               string        `json:"id"`
	audit
}

// actionBody is the answer to a contract-actions request: the seed's
// example fields (contractActionNumber, contractInfo) and the action
// record of its response schema.
type actionBody struct {
	ContractActionNumber      string          `json:"contractActionNumber"`
	ContractInfo              *contractInfo   `json:"contractInfo,omitempty"`
	ID                        string          `json:"id"`
	Number                    string          `json:"number"`
	AccountID                 string          `json:"accountId"`
	ContractID                string          `json:"contractId"`
	ActionType                string          `json:"actionType"`
	ContractActionItemRequest json.RawMessage `json:"contractActionItemRequest"`
	ContractSegmentIDs        []string        `json:"contractSegmentIds"`
	Status                    string          `json:"status"`
	audit
}

type contractPage struct {
	Items    []contractInfo `json:"items"`
	PageSize int            `json:"pageSize"`
	Cursor   *string        `json:"cursor"`
	HasMore  bool           `json:"hasMore"`
}

// accountOf is the account number a contract is filed under. A contract
// another dialect created is filed under another kind of party (a
// Kukkingu client, a fabric organization): that party stands in for the
// account, so every contract of the tenant reads here.
func accountOf(c *contract.Contract) string { return c.Party.ID }

func infoOf(c *contract.Contract, n naming, now time.Time) *contractInfo {
	account := accountOf(c)
	info := &contractInfo{
		AccountNumber: account, ContractNumber: c.Number, ID: c.ID,
		Status: string(c.CurrentStatus(now)), ContractSegments: []segmentBody{},
		audit: auditOf(n, c.CreatedAt, c.UpdatedAt, c.CreatedBy, c.UpdatedBy),
	}
	if c.ValidFrom != nil {
		d := c.ValidFrom.UTC().Format(contract.DateLayout)
		info.EffectiveDate = &d
	}
	if c.ValidTo != nil {
		d := c.ValidTo.UTC().Format(contract.DateLayout)
		info.ExpirationDate = &d
	}
	today := contract.Today(now)
	for i, s := range c.Segments {
		b := segmentBody{
			AccountNumber: account, ContractNumber: c.Number,
			EffectiveDate: s.EffectiveDate, ExpirationDate: s.ExpirationDate, Currency: s.Currencies,
			PlanID: s.PlanID, BillingCycleDay: s.BillingCycleDay, BillingCycleType: s.BillingCycleType,
			Status: string(c.SegmentStatus(i, today)), ID: s.ID,
			audit: auditOf(n, s.CreatedAt, s.UpdatedAt, s.CreatedBy, s.UpdatedBy),
		}
		if s.PreviousID != "" {
			prev := s.PreviousID
			b.PreviousContractSegmentID = &prev
		}
		if s.Price != "" {
			p := json.Number(s.Price)
			b.ContractPrice = &p
		}
		info.ContractSegments = append(info.ContractSegments, b)
	}
	return info
}

func actionBodyOf(a *contract.Action, info *contractInfo, n naming) actionBody {
	return actionBody{
		ContractActionNumber: a.Number, ContractInfo: info,
		ID: a.ID, Number: a.Number, AccountID: a.AccountNumber, ContractID: a.ContractID, ActionType: a.Type,
		ContractActionItemRequest: a.Request, ContractSegmentIDs: a.SegmentIDs, Status: string(a.Status),
		audit: auditOf(n, a.CreatedAt, a.UpdatedAt, a.CreatedBy, a.UpdatedBy),
	}
}
