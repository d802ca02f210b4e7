package fabric

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// List bounds and defaults, as fabric documents them.
const (
	defaultLimit = 10
	maxLimit     = 100
)

// sortFields maps each sortBy value fabric accepts to the domain's order
// (contract.SortField says how each breaks ties). Contracts without the
// value (no price list) sort after those with it in ascending order.
var sortFields = map[string]contract.SortField{
	"contractId":  contract.SortReference,
	"startDate":   contract.SortValidFrom,
	"endDate":     contract.SortValidTo,
	"status":      contract.SortStatus,
	"priceListId": contract.SortPriceList,
	"updatedAt":   contract.SortUpdatedAt,
}

// fabricStatuses are the statuses an organization's contracts can have,
// in the domain's spelling: a list without a status filter lists these.
var fabricStatuses = []contract.Status{contract.StatusActive, contract.StatusDraft, contract.StatusInactive}

// parseListQuery reads the query string into a query of the organization
// party's contracts, reporting every bad parameter.
func parseListQuery(r *httpapi.Request, party contract.Party) (contract.OrderedQuery, error) {
	q := contract.OrderedQuery{Party: party, Limit: defaultLimit, SortBy: contract.SortUpdatedAt, Descending: true, Statuses: fabricStatuses}
	var fields []contract.FieldError
	bad := func(name, msg string) { fields = append(fields, contract.FieldError{Field: name, Message: msg}) }
	if v, ok := r.Query("offset"); ok {
		// The answer echoes it: past 2^53-1 a client reading numbers as
		// doubles would read another one.
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > contract.MaxSafeInteger {
			bad("offset", fmt.Sprintf("must be an integer from 0 to %d", contract.MaxSafeInteger))
		}
		q.Offset = n
	}
	if v, ok := r.Query("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			bad("limit", "must be an integer from 1 to "+strconv.Itoa(maxLimit))
		}
		q.Limit = n
	}
	if v, ok := r.Query("sortBy"); ok {
		field, known := sortFields[v]
		if !known {
			bad("sortBy", "must be one of contractId, startDate, endDate, status, priceListId, updatedAt")
		}
		q.SortBy = field
	}
	if v, ok := r.Query("sortOrder"); ok {
		switch v {
		case "asc":
			q.Descending = false
		case "desc":
			q.Descending = true
		default:
			bad("sortOrder", "must be asc or desc")
		}
	}
	if v, ok := r.Query("status"); ok {
		s, known := statuses[v]
		if !known {
			bad("status", "must be ACTIVE, DRAFT or INACTIVE")
		}
		q.Statuses = []contract.Status{s}
	}
	for _, pair := range []struct {
		from, to string
		period   **contract.Period
	}{
		{"startDateFrom", "startDateTo", &q.ValidFrom},
		{"endDateFrom", "endDateTo", &q.ValidTo},
	} {
		fromV, hasFrom := r.Query(pair.from)
		toV, hasTo := r.Query(pair.to)
		if !hasFrom && !hasTo {
			continue
		}
		// The one sent is checked too, so a single answer names both
		// what is missing and what is wrong.
		from, okFrom := filterTime(fromV, false)
		to, okTo := filterTime(toV, true)
		switch {
		case !hasFrom:
			bad(pair.from, "is required with "+pair.to)
		case !okFrom:
			bad(pair.from, "must be a date (2024-01-31) or an ISO 8601 date-time")
		}
		switch {
		case !hasTo:
			bad(pair.to, "is required with "+pair.from)
		case !okTo:
			bad(pair.to, "must be a date (2024-01-31) or an ISO 8601 date-time")
		}
		if hasFrom && hasTo && okFrom && okTo && to.Before(from) {
			bad(pair.to, "must not be before "+pair.from)
		}
		*pair.period = &contract.Period{From: from, To: to}
	}
	if v, ok := r.Query("search"); ok {
		if len(v) > 255 {
			bad("search", "must be at most 255 characters")
		}
		q.Search = strings.ToLower(v)
	}
	if v, ok := r.Query("includeDeleted"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("includeDeleted", "must be true or false")
		}
		q.IncludeDeleted = b
	}
	if len(fields) > 0 {
		return q, contract.Invalid(fields...)
	}
	return q, nil
}

// filterTime reads a date filter bound. A bare date covers its whole day:
// as a lower bound it starts at 00:00Z, as an upper bound it ends at the
// last instant of the day, so startDateTo=2024-01-31 includes the 31st.
func filterTime(v string, upper bool) (time.Time, bool) {
	if t, err := parseDateTime(v); err == nil {
		return t, true
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, false
	}
	if upper {
		d = d.Add(24*time.Hour - time.Nanosecond)
	}
	return d, true
}

// boolParam reads an optional true/false query parameter.
func boolParam(r *httpapi.Request, name string) (bool, error) {
	v, ok := r.Query(name)
	if !ok {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, contract.Invalid(contract.FieldError{Field: name, Message: "must be true or false"})
	}
	return b, nil
}

// list answers a window of the organization's contracts.
//
// Cost: the store keeps an index per order fabric sorts by, partitioned by
// status and deletion, and a count per status and deletion for each
// organization (shared/ddb/keys.go), so a window without a filter but the
// status reads only the first offset+limit index keys of each status
// listed, then the window's contracts and the count: about the same at
// fifty thousand contracts as at a hundred, growing with the offset. A
// date range reads the index entries of the contracts in the range; a
// search those of every contract in the statuses listed, so it grows with
// the organization (the README's Performance section measures each).
// Nothing outside the organization is read, and never a scan.
func (h *Handler) list(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	s, err := scopeOf(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	q, err := parseListQuery(r, s.party)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	page, err := h.service.ListOrdered(ctx, r.Actor, h.lister, q)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	data := bodiesOf(len(page.Contracts), func(i int) *contract.Contract { return &page.Contracts[i] })
	// Large contracts may not all fit in one answer: a page then shows as
	// many as fit, and its limit says how many it could hold, so the next
	// page starts at offset + limit.
	resp, _, err := httpapi.JSONPage(http.StatusOK, len(data), func(n int) any {
		limit := q.Limit
		if n < len(data) {
			limit = n
		}
		return listBody{Query: listQueryBody{Offset: q.Offset, Limit: limit, Count: page.Count}, Data: data[:n]}
	})
	return resp, err
}
