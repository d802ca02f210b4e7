package easybilling

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/contracts-service/contracts/shared/contract"
)

// actionsRequest is the body of POST /api/contract-actions.
type actionsRequest struct {
	AccountNumber string        `json:"accountNumber" validate:"required,min=1,max=64,singleline"`
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
	PlanID         string       `json:"planId" validate:"required,max=128,singleline"`
	EffectiveDate  string       `json:"effectiveDate" validate:"required,eb_date"`
	ExpirationDate string       `json:"expirationDate" validate:"required,eb_date"`
	Currency       []string     `json:"currency" validate:"required,min=1,max=10,unique,dive,iso4217"`
	ContractPrice  *json.Number `json:"contractPrice,omitempty" validate:"omitempty,max=32,eb_price"`
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

// refField is the name of the field the j-th entry of a names its
// contract in ("contractNumber" for a create's, which names none).
func (a *actionEntry) refField(j int) string {
	var ref contractRef
	switch {
	case a.Type == "switch-plan" && j < len(a.SwitchPlan):
		ref = a.SwitchPlan[j].contractRef
	case a.Type == "renew" && j < len(a.Renew):
		ref = a.Renew[j].contractRef
	case a.Type == "early-renew" && j < len(a.EarlyRenew):
		ref = a.EarlyRenew[j].contractRef
	case a.Type == "update-price" && j < len(a.UpdatePrice):
		ref = a.UpdatePrice[j].contractRef
	case a.Type == "cancel" && j < len(a.Cancel):
		ref = a.Cancel[j].contractRef
	default:
		return "contractNumber"
	}
	return ref.field()
}

func (r contractRef) id() string {
	if r.ContractNumber != "" {
		return r.ContractNumber
	}
	return r.ContractID
}

type switchPlanEntry struct {
	contractRef
	PlanID        string   `json:"planId" validate:"required,max=128,singleline"`
	EffectiveDate string   `json:"effectiveDate" validate:"required,eb_date"`
	Currency      []string `json:"currency" validate:"required,min=1,max=10,unique,dive,iso4217"`
}

type renewEntry struct {
	contractRef
	EffectiveDate  string `json:"effectiveDate" validate:"required,eb_date"`
	ExpirationDate string `json:"expirationDate" validate:"required,eb_date"`
}

type earlyRenewEntry struct {
	contractRef
	PlanID         string   `json:"planId,omitempty" validate:"omitempty,max=128,singleline"`
	EffectiveDate  string   `json:"effectiveDate" validate:"required,eb_date"`
	ExpirationDate string   `json:"expirationDate" validate:"required,eb_date"`
	Currency       []string `json:"currency,omitempty" validate:"omitempty,max=10,unique,dive,iso4217"`
}

type updatePriceEntry struct {
	contractRef
	ContractSegmentID string       `json:"contractSegmentId" validate:"required,max=64"`
	PlanID            string       `json:"planId,omitempty" validate:"omitempty,max=128,singleline"`
	ContractPrice     *json.Number `json:"contractPrice" validate:"required,max=32,eb_price"`
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

// auditOf is the audit fields under naming n, created and updated being
// written already (see texts).
func auditOf(n naming, created, updated, createdBy, updatedBy string) audit {
	a := audit{CreatedBy: createdBy, UpdatedBy: updatedBy}
	if n == namedAt {
		a.CreatedAt, a.UpdatedAt = created, updated
	} else {
		a.CreatedOn, a.UpdatedOn = created, updated
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
	EffectiveDate    string        `json:"effectiveDate"`
	ExpirationDate   string        `json:"expirationDate"`
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
	// cursor holds the text Cursor points at.
	cursor string
}

// openEnd is the expirationDate of a contract without an end (an Aira
// contract of null endDate, a Kukkingu one without validTo), and of one
// that ends past it: EasyBilling documents no open end, and its dates
// are YYYY-MM-DD, of which this is the last, the "end of time" billing
// and ERP systems write for an open end.
var openEnd = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// spanOf is the days c reads as in effect here, [from, to), which
// effectiveDate and expirationDate show: from its start's day, the day
// it was created when it has no start (EasyBilling has no open start,
// and no contract was in effect for anyone before it existed); to the
// first day it no longer touches (contract.EndDay), openEnd when it has
// no end; from never after to.
func spanOf(c *contract.Contract) (from, to time.Time) {
	to = openEnd
	if c.ValidTo != nil {
		if end := contract.EndDay(*c.ValidTo); end.Before(openEnd) {
			to = end
		}
	}
	start := c.CreatedAt
	if c.ValidFrom != nil {
		start = *c.ValidFrom
	}
	start = start.UTC()
	from = time.Date(start.Year(), start.Month(), start.Day(), 0, 0, 0, 0, time.UTC)
	if from.After(to) {
		from = to
	}
	return from, to
}

// statusOf is the status c reads as at now, in EasyBilling's enum
// (active, expired, canceled). An EasyBilling contract reads as the
// domain derives it (contract.Contract.CurrentStatus). Another API's
// draft or inactive contract (fabric's DRAFT and INACTIVE, Aira's draft)
// reads canceled until its end, expired from it: the enum has no word for
// a contract that is not in effect though its term has not run out, and
// canceled is the one that tells a billing client not to bill it; it
// reads active once its owner activates it.
func statusOf(c *contract.Contract, now time.Time) string {
	switch st := c.CurrentStatus(now); st {
	case contract.StatusActive, contract.StatusExpired, contract.StatusCanceled:
		return string(st)
	}
	if c.ValidTo != nil && !now.Before(*c.ValidTo) {
		return string(contract.StatusExpired)
	}
	return string(contract.StatusCanceled)
}

// maxPlanID is the longest planId EasyBilling's schema allows.
const maxPlanID = 128

// planOf is the planId of another API's contract: the first of the
// plans it bills on (Aira's planIds), or contract.NoPlan, the Nil UUID
// (EasyBilling's plan ids are UUIDs, and this one is the standard's "no
// UUID", as XXX is ISO 4217's "no currency"), which no plan may take.
func planOf(c *contract.Contract) string {
	if len(c.PlanIDs) > 0 && c.PlanIDs[0] != "" && len(c.PlanIDs[0]) <= maxPlanID {
		return c.PlanIDs[0]
	}
	return contract.NoPlan
}

// foreignCycle is the billingCycleType of another API's contract, which
// keeps no cycle of its own: EasyBilling's one documented cycle.
const foreignCycle = "monthly"

// shownSegments is how many segments c shows: its own, or the one
// another API's contract shows (see fillForeign).
func shownSegments(c *contract.Contract) int {
	if foreign(c) {
		return 1
	}
	return len(c.Segments)
}

// stampLayout is how EasyBilling writes an instant: UTC, microseconds.
const stampLayout = "2006-01-02T15:04:05.000000Z"

// Widths of a timestamp and of a date in the years 0 to 9999, which texts
// writes itself; any other year is rare enough to take time.Time.Format.
const (
	stampWidth = len(stampLayout)
	dateWidth  = len(contract.DateLayout)
)

// texts are the date-times of a response, written one after another
// into one string, which the bodies then slice, as httpapi.Texts does: a
// list page has over a hundred of them. Unlike httpapi.Texts, the digits
// of EasyBilling's two fixed-width layouts are written here, which costs a
// fraction of time.Time.AppendFormat's reading of the layout, and so each
// text's width is known and no table of where each ends is kept; and the
// string is a strings.Builder's, which costs one allocation, not two.
//
// Add every text to a textsBuilder, then take them back from its texts in
// the order they were added, with stamp and date given the same times.
type texts struct {
	text string
	at   int
}

// textsBuilder writes texts.
type textsBuilder struct {
	b strings.Builder
}

// grow makes room for size more bytes of texts.
func (w *textsBuilder) grow(size int) { w.b.Grow(size) }

// inUTC returns t in UTC, and whether its year has four digits, which
// are the ones texts writes itself.
func inUTC(t time.Time) (time.Time, bool) {
	t = t.UTC()
	y := t.Year()
	return t, y >= 0 && y <= 9999
}

// addStamp adds the text stamp(t) takes.
func (w *textsBuilder) addStamp(t time.Time) {
	if t, ok := inUTC(t); ok {
		s := [stampWidth]byte([]byte(stampLayout))
		putDate(s[:], t)
		hour, minute, second := t.Clock()
		micro := t.Nanosecond() / 1000 // truncated, as time.Time.Format does
		putPair(s[11:], hour)
		putPair(s[14:], minute)
		putPair(s[17:], second)
		putPair(s[20:], micro/10000)
		putPair(s[22:], micro/100%100)
		putPair(s[24:], micro%100)
		w.b.Write(s[:])
	}
}

// addDate adds the text date(t) takes.
func (w *textsBuilder) addDate(t time.Time) {
	if t, ok := inUTC(t); ok {
		s := [dateWidth]byte([]byte(contract.DateLayout))
		putDate(s[:], t)
		w.b.Write(s[:])
	}
}

// addContract adds the texts of c's body in the order fillInfo takes them:
// its created and updated times, its dates, and its own segments' created
// and updated times.
func (w *textsBuilder) addContract(c *contract.Contract) {
	w.addStamp(c.CreatedAt)
	w.addStamp(c.UpdatedAt)
	from, to := spanOf(c)
	w.addDate(from)
	w.addDate(to)
	if foreign(c) {
		return
	}
	for i := range c.Segments {
		w.addStamp(c.Segments[i].CreatedAt)
		w.addStamp(c.Segments[i].UpdatedAt)
	}
}

// contractTexts is the most room the texts of c's body take.
func contractTexts(c *contract.Contract) int {
	return 2*stampWidth + 2*dateWidth + len(c.Segments)*2*stampWidth
}

// texts returns the texts added, to take back; add nothing after it.
func (w *textsBuilder) texts() texts { return texts{text: w.b.String()} }

// stamp returns the next text, which addStamp(t) added.
func (x *texts) stamp(t time.Time) string {
	t, ok := inUTC(t)
	if !ok {
		return t.Format(stampLayout)
	}
	x.at += stampWidth
	return x.text[x.at-stampWidth : x.at]
}

// date returns the next text, which addDate(t) added.
func (x *texts) date(t time.Time) string {
	t, ok := inUTC(t)
	if !ok {
		return t.Format(contract.DateLayout)
	}
	x.at += dateWidth
	return x.text[x.at-dateWidth : x.at]
}

// putDate writes the digits of t's date, t being in UTC and of a
// four-digit year, over the start of s, which holds a layout's
// separators.
func putDate(s []byte, t time.Time) {
	year, month, day := t.Date()
	putPair(s, year/100)
	putPair(s[2:], year%100)
	putPair(s[5:], int(month))
	putPair(s[8:], day)
}

// digitPairs are the numbers 00 to 99 written with two digits.
const digitPairs = "00010203040506070809" + "10111213141516171819" + "20212223242526272829" +
	"30313233343536373839" + "40414243444546474849" + "50515253545556575859" + "60616263646566676869" +
	"70717273747576777879" + "80818283848586878889" + "90919293949596979899"

// putPair writes v, from 0 to 99, as two digits at the start of s.
func putPair(s []byte, v int) {
	s[0], s[1] = digitPairs[2*v], digitPairs[2*v+1]
}

// fillInfo renders c into info and its segments into segs, which has
// room for exactly them (shownSegments), taking its texts from x. Its
// statuses are those it reads as at now, on day today, and each segment's
// expirationDate the day it reads as ending (contract.Contract.SegmentEnd),
// both derived as it is read: no segment's record is ever rewritten. The
// bodies point at the texts c already holds (the previous segment's id,
// the price) rather than copy them. A contract another API made reads in
// the fields fillForeign gives it.
func fillInfo(info *contractInfo, segs []segmentBody, c *contract.Contract, n naming, now time.Time, today string, x *texts) {
	created := x.stamp(c.CreatedAt)
	from, to := spanOf(c)
	*info = contractInfo{
		AccountNumber: c.Party.ID, ContractNumber: c.Number, ID: c.ID,
		Status: statusOf(c, now), ContractSegments: segs,
		audit: auditOf(n, created, x.stamp(c.UpdatedAt), c.CreatedBy, c.UpdatedBy),
	}
	info.EffectiveDate, info.ExpirationDate = x.date(from), x.date(to)
	if foreign(c) {
		fillForeign(info, &segs[0], c, from.Day(), today)
		return
	}
	account := info.AccountNumber
	for i := range c.Segments {
		s := &c.Segments[i]
		created := x.stamp(s.CreatedAt)
		b := &segs[i]
		*b = segmentBody{
			AccountNumber: account, ContractNumber: c.Number,
			EffectiveDate: s.EffectiveDate, ExpirationDate: c.SegmentEnd(i), Currency: s.Currencies,
			PlanID: s.PlanID, BillingCycleDay: s.BillingCycleDay, BillingCycleType: s.BillingCycleType,
			Status: string(c.SegmentStatus(i, today)), ID: s.ID,
			audit: auditOf(n, created, x.stamp(s.UpdatedAt), s.CreatedBy, s.UpdatedBy),
		}
		if s.PreviousID != "" {
			b.PreviousContractSegmentID = &s.PreviousID
		}
		if s.Price != "" {
			b.ContractPrice = (*json.Number)(&s.Price)
		}
	}
}

// fillForeign gives info, already filled with c's number, dates, status
// and audit fields, the fields EasyBilling's schema wants that another
// API's contract c does not keep, each from the source the README's table
// names: the account its party shows as (partyAccount), its derived id,
// and one segment, seg, spanning it (EasyBilling's contracts have at
// least one): the contract's dates, status and audit fields, its
// currency on today or XXX, its plan or the Nil UUID, the cycle day of
// its first day, monthly, no contractPrice (no API keeps a price in
// EasyBilling's terms, and an amount's minor units would need each
// currency's exponent).
func fillForeign(info *contractInfo, seg *segmentBody, c *contract.Contract, cycleDay int, today string) {
	info.AccountNumber = partyAccount(c.Party)
	info.ID = derivedContractIDs.Of(c.Number)
	*seg = segmentBody{
		AccountNumber: info.AccountNumber, ContractNumber: c.Number,
		EffectiveDate: info.EffectiveDate, ExpirationDate: info.ExpirationDate,
		Currency: []string{c.CurrencyCodeOn(today)}, PlanID: planOf(c),
		BillingCycleDay: cycleDay, BillingCycleType: foreignCycle,
		Status: info.Status, ID: derivedSegmentIDs.Of(c.Number), audit: info.audit,
	}
}

// infosOf renders n contracts, the i-th at(i), as EasyBilling returns
// them, their statuses as at now. A list page is the hottest encoder, so
// the bodies share one string for their date-times (see texts) and one
// slice for their segments.
func infosOf(n int, at func(i int) *contract.Contract, nm naming, now time.Time) []contractInfo {
	segments, size := 0, dateWidth
	for i := range n {
		segments += shownSegments(at(i))
		size += contractTexts(at(i))
	}
	var w textsBuilder
	w.grow(size)
	w.addDate(now)
	for i := range n {
		w.addContract(at(i))
	}
	x := w.texts()
	today := x.date(now)
	infos := make([]contractInfo, n)
	segs := make([]segmentBody, segments)
	for i := range infos {
		c := at(i)
		k := shownSegments(c)
		fillInfo(&infos[i], segs[:k:k], c, nm, now, today, &x)
		segs = segs[k:]
	}
	return infos
}

// oneInfo is the body of a contract rendered on its own, allocated with
// room for the segment of a contract that has one, as a new contract
// and another API's do.
type oneInfo struct {
	info    contractInfo
	segment [1]segmentBody
}

// render renders c into o, its statuses as at now, taking the texts
// w.addDate(now) and w.addContract(c) added from x.
func (o *oneInfo) render(c *contract.Contract, n naming, now time.Time, x *texts) {
	today := x.date(now)
	k := shownSegments(c)
	segs := o.segment[:]
	if k > len(segs) {
		segs = make([]segmentBody, k)
	}
	fillInfo(&o.info, segs[:k:k], c, n, now, today, x)
}

func infoOf(c *contract.Contract, n naming, now time.Time) *contractInfo {
	var w textsBuilder
	w.grow(dateWidth + contractTexts(c))
	w.addDate(now)
	w.addContract(c)
	x := w.texts()
	out := &oneInfo{}
	out.render(c, n, now, &x)
	return &out.info
}

// pageOf renders a page of contracts, of size pageSize, as the list
// route answers it, their statuses as at now.
func pageOf(page contract.Page, pageSize int, n naming, now time.Time) *contractPage {
	out := &contractPage{PageSize: pageSize, HasMore: page.Next != ""}
	out.Items = infosOf(len(page.Contracts), func(i int) *contract.Contract { return &page.Contracts[i] }, n, now)
	if page.Next != "" {
		out.cursor = contract.EncodeCursor(page.Next)
		out.Cursor = &out.cursor
	}
	return out
}

// cut is p showing only its first n items, cut short to fit one
// response, the n-th being the contract numbered last: more follow it.
func (p *contractPage) cut(n int, last string) *contractPage {
	out := &contractPage{Items: p.Items[:n], PageSize: p.PageSize, HasMore: true, cursor: contract.EncodeCursor(last)}
	out.Cursor = &out.cursor
	return out
}

// actionAnswer is an action's body and the contract it shows, allocated
// together.
type actionAnswer struct {
	body     actionBody
	contract oneInfo
}

// actionBodyOf renders a, with c, when not nil, as its contractInfo, whose
// statuses are those as at now. The body and the contract's are
// allocated together.
func actionBodyOf(a *contract.Action, c *contract.Contract, n naming, now time.Time) *actionBody {
	size := 2 * stampWidth
	if c != nil {
		size += dateWidth + contractTexts(c)
	}
	var w textsBuilder
	w.grow(size)
	w.addStamp(a.CreatedAt)
	w.addStamp(a.UpdatedAt)
	if c != nil {
		w.addDate(now)
		w.addContract(c)
	}
	x := w.texts()
	var out *actionBody
	var info *oneInfo
	if c != nil {
		both := &actionAnswer{}
		out, info = &both.body, &both.contract
	} else {
		out = &actionBody{}
	}
	created := x.stamp(a.CreatedAt)
	*out = actionBody{
		ContractActionNumber: a.Number,
		ID:                   a.ID, Number: a.Number, AccountID: a.AccountNumber, ContractID: a.ContractID, ActionType: a.Type,
		ContractActionItemRequest: a.Request, ContractSegmentIDs: a.SegmentIDs, Status: string(a.Status),
		audit: auditOf(n, created, x.stamp(a.UpdatedAt), a.CreatedBy, a.UpdatedBy),
	}
	if c != nil {
		info.render(c, n, now, &x)
		out.ContractInfo = &info.info
	}
	return out
}
