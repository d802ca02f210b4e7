package fabric

import (
	"cmp"
	"context"
	"net/http"
	"slices"
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

// readPage is how many contracts one store read asks for while a list
// gathers an organization's contracts; DynamoDB returns at most 1 MB per
// query whatever the limit.
const readPage = 1000

// sortKeys compare two contracts by each sortBy value fabric accepts.
// Contracts without the value (no price list) sort after those with it in
// ascending order.
var sortKeys = map[string]func(a, b *contract.Contract) int{
	"contractId": func(a, b *contract.Contract) int { return strings.Compare(a.Reference, b.Reference) },
	"startDate":  func(a, b *contract.Contract) int { return compareTimes(a.ValidFrom, b.ValidFrom) },
	"endDate":    func(a, b *contract.Contract) int { return compareTimes(a.ValidTo, b.ValidTo) },
	"status":     func(a, b *contract.Contract) int { return strings.Compare(string(a.Status), string(b.Status)) },
	"updatedAt":  func(a, b *contract.Contract) int { return a.UpdatedAt.Compare(b.UpdatedAt) },
	"priceListId": func(a, b *contract.Contract) int {
		switch {
		case a.PriceList == nil && b.PriceList == nil:
			return 0
		case a.PriceList == nil:
			return 1
		case b.PriceList == nil:
			return -1
		}
		return cmp.Compare(a.PriceList.PriceListID, b.PriceList.PriceListID)
	},
}

func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

// listQuery is a parsed, validated list request.
type listQuery struct {
	offset, limit  int
	sortBy         string
	descending     bool
	status         contract.Status
	startFrom      *time.Time
	startTo        *time.Time
	endFrom        *time.Time
	endTo          *time.Time
	search         string
	includeDeleted bool
}

// parseListQuery reads the query string, reporting every bad parameter.
func parseListQuery(r *httpapi.Request) (listQuery, error) {
	q := listQuery{limit: defaultLimit, sortBy: "updatedAt", descending: true}
	var fields []contract.FieldError
	bad := func(name, msg string) { fields = append(fields, contract.FieldError{Field: name, Message: msg}) }
	if v, ok := r.Query("offset"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			bad("offset", "must be an integer of 0 or more")
		}
		q.offset = n
	}
	if v, ok := r.Query("limit"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			bad("limit", "must be an integer from 1 to "+strconv.Itoa(maxLimit))
		}
		q.limit = n
	}
	if v, ok := r.Query("sortBy"); ok {
		if _, known := sortKeys[v]; !known {
			bad("sortBy", "must be one of contractId, startDate, endDate, status, priceListId, updatedAt")
		}
		q.sortBy = v
	}
	if v, ok := r.Query("sortOrder"); ok {
		switch v {
		case "asc":
			q.descending = false
		case "desc":
			q.descending = true
		default:
			bad("sortOrder", "must be asc or desc")
		}
	}
	if v, ok := r.Query("status"); ok {
		s, known := statuses[v]
		if !known {
			bad("status", "must be ACTIVE, DRAFT or INACTIVE")
		}
		q.status = s
	}
	for _, pair := range []struct {
		from, to   string
		fromT, toT **time.Time
	}{
		{"startDateFrom", "startDateTo", &q.startFrom, &q.startTo},
		{"endDateFrom", "endDateTo", &q.endFrom, &q.endTo},
	} {
		fromV, hasFrom := r.Query(pair.from)
		toV, hasTo := r.Query(pair.to)
		if hasFrom != hasTo {
			missing := pair.to
			if !hasFrom {
				missing = pair.from
			}
			bad(missing, "is required with "+map[bool]string{true: pair.from, false: pair.to}[hasFrom])
			continue
		}
		if !hasFrom {
			continue
		}
		from, okFrom := filterTime(fromV, false)
		to, okTo := filterTime(toV, true)
		if !okFrom {
			bad(pair.from, "must be a date (2024-01-31) or an ISO 8601 date-time")
		}
		if !okTo {
			bad(pair.to, "must be a date (2024-01-31) or an ISO 8601 date-time")
		}
		if okFrom && okTo && to.Before(from) {
			bad(pair.to, "must not be before "+pair.from)
		}
		*pair.fromT, *pair.toT = &from, &to
	}
	if v, ok := r.Query("search"); ok {
		if len(v) > 255 {
			bad("search", "must be at most 255 characters")
		}
		q.search = strings.ToLower(v)
	}
	if v, ok := r.Query("includeDeleted"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			bad("includeDeleted", "must be true or false")
		}
		q.includeDeleted = b
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

// matches reports whether c passes the query's filters.
func (q *listQuery) matches(c *contract.Contract) bool {
	if q.status != "" && c.Status != q.status {
		return false
	}
	if q.startFrom != nil && !within(c.ValidFrom, *q.startFrom, *q.startTo) {
		return false
	}
	if q.endFrom != nil && !within(c.ValidTo, *q.endFrom, *q.endTo) {
		return false
	}
	if q.search != "" && !strings.Contains(strings.ToLower(c.Reference), q.search) &&
		!strings.Contains(strings.ToLower(c.Type), q.search) {
		return false
	}
	return true
}

func within(t *time.Time, from, to time.Time) bool {
	return t != nil && !t.Before(from) && !t.After(to)
}

// list answers a page of the organization's contracts.
//
// Cost: fabric sorts and filters on any field and counts the matches, which
// no DynamoDB key order serves, so a list reads every contract of the
// organization (deleted ones only with includeDeleted) from the
// organization's own partition of the party index (GSI2), then filters,
// sorts and slices in memory. That is one Query per 1 MB of the
// organization's contracts (about a thousand contracts of fabric's size),
// about 0.5 read capacity units per 4 KB read, eventually consistent; never
// a scan, and nothing outside the organization is read. An organization
// with tens of thousands of contracts would want the common sort orders
// kept as index keys instead.
func (h *Handler) list(ctx context.Context, r *httpapi.Request) (events.APIGatewayV2HTTPResponse, error) {
	s, err := scopeOf(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	q, err := parseListQuery(r)
	if err != nil {
		return events.APIGatewayV2HTTPResponse{}, err
	}
	// matched points into the pages read, which stay alive for the
	// request: sorting pointers moves words, not whole contracts.
	var matched []*contract.Contract
	page := contract.Page{}
	for first := true; first || page.Next != ""; first = false {
		page, err = h.service.List(ctx, r.Actor, contract.ListQuery{
			Party: s.party, IncludeDeleted: q.includeDeleted, Limit: readPage, After: page.Next,
		})
		if err != nil {
			return events.APIGatewayV2HTTPResponse{}, err
		}
		for i := range page.Contracts {
			if q.matches(&page.Contracts[i]) {
				matched = append(matched, &page.Contracts[i])
			}
		}
	}
	byKey := sortKeys[q.sortBy]
	slices.SortStableFunc(matched, func(a, b *contract.Contract) int {
		c := byKey(a, b)
		if q.descending {
			c = -c
		}
		// Ties keep creation order, so pages never shuffle between calls.
		return cmp.Or(c, strings.Compare(a.Number, b.Number))
	})
	// offset may be near the largest int: compare, never add.
	shown := matched[min(q.offset, len(matched)):]
	shown = shown[:min(q.limit, len(shown))]
	data := bodiesOf(len(shown), func(i int) *contract.Contract { return shown[i] })
	// Large contracts may not all fit in one answer: a page then shows as
	// many as fit, and its limit says how many it could hold, so the next
	// page starts at offset + limit.
	resp, _, err := httpapi.JSONPage(http.StatusOK, len(data), func(n int) any {
		limit := q.limit
		if n < len(data) {
			limit = n
		}
		return listBody{Query: listQueryBody{Offset: q.offset, Limit: limit, Count: len(matched)}, Data: data[:n]}
	})
	return resp, err
}
