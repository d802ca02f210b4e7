package kukkingu_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contract/contracttest"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/dialecttest"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
	"github.com/contracts-service/contracts/shared/kukkingu"
	"github.com/contracts-service/contracts/shared/strictjson"
)

// newFuzzAPI serves the real Kukkingu handler over an empty store, every
// request naming the caller's tenant in its tenant-id header.
func newFuzzAPI() *dialecttest.API {
	store := contracttest.New()
	a := dialecttest.New(store, func(service *contract.Service, rt *httpapi.Router) {
		kukkingu.NewHandler(service).Register(rt)
	})
	a.Headers = map[string]string{"tenant-id": dialecttest.Tenant}
	return a
}

// writable is a contract as a client writes it, with the names of a
// create body.
type writable struct {
	ClientID     string  `json:"clientId"`
	Name         string  `json:"name"`
	AmountMinor  *int64  `json:"amountMinor"`
	CurrencyCode string  `json:"currencyCode"`
	Description  *string `json:"description,omitempty"`
	Order        *int64  `json:"order,omitempty"`
	ValidFrom    *string `json:"validFrom,omitempty"`
	ValidTo      *string `json:"validTo,omitempty"`
}

// wireContract is a contract as Kukkingu answers it.
type wireContract struct {
	ID           string  `json:"id"`
	Client       string  `json:"client"`
	Name         string  `json:"name"`
	AmountMinor  *int64  `json:"amountMinor"`
	CurrencyCode string  `json:"currencyCode"`
	CreatedAt    string  `json:"createdAt"`
	UpdatedAt    string  `json:"updatedAt"`
	Description  *string `json:"description"`
	Order        *int64  `json:"order"`
	ValidFrom    *string `json:"validFrom"`
	ValidTo      *string `json:"validTo"`
}

// writableOf is what a client that read c would write back.
func writableOf(c wireContract) writable {
	return writable{
		ClientID: c.Client, Name: c.Name, AmountMinor: c.AmountMinor, CurrencyCode: c.CurrencyCode,
		Description: c.Description, Order: c.Order, ValidFrom: c.ValidFrom, ValidTo: c.ValidTo,
	}
}

// dataOf re-decodes a success body strictly: the service's own answer
// must pass the rules it holds its clients to.
func dataOf(t *testing.T, resp events.APIGatewayV2HTTPResponse) wireContract {
	t.Helper()
	var out struct {
		Data wireContract `json:"data"`
	}
	if err := strictjson.Decode([]byte(resp.Body), &out); err != nil {
		t.Fatalf("a %d body does not re-decode: %v\n%s", resp.StatusCode, err, resp.Body)
	}
	return out.Data
}

var (
	fuzzIDPattern = regexp.MustCompile(`^ctr_[a-z0-9]{24}$`)
	// answeredDateTime is how the service writes a date-time, as
	// Kukkingu's documentation does: always seconds and milliseconds.
	answeredDateTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)
	dateTimeParts    = regexp.MustCompile(`^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)(?::(\d\d)(?:\.(\d+))?)?Z$`)
)

// instant reads a date-time in Kukkingu's form on its own terms, apart
// from the code under test: seconds may be left out, and a fraction past
// milliseconds, the precision Kukkingu answers in, is cut, not rounded.
func instant(s string) (time.Time, bool) {
	m := dateTimeParts.FindStringSubmatch(s)
	if m == nil {
		return time.Time{}, false
	}
	n := make([]int, 6)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1]) // an absent group reads as 0
	}
	frac := (m[7] + "000")[:3] + "000000"
	nanos, _ := strconv.Atoi(frac)
	return time.Date(n[0], time.Month(n[1]), n[2], n[3], n[4], n[5], nanos, time.UTC), true
}

// sameDateTime compares a date-time as written with one as answered:
// the same instant, in the service's form. Nil (absent) matches only nil.
func sameDateTime(t *testing.T, field string, sent, got *string) {
	t.Helper()
	if sent == nil || got == nil {
		if sent != got {
			t.Fatalf("%s: sent %v, answered %v", field, deref(sent), deref(got))
		}
		return
	}
	if !answeredDateTime.MatchString(*got) {
		t.Fatalf("%s answered as %q, not in the service's form", field, *got)
	}
	a, okA := instant(*sent)
	b, okB := instant(*got)
	if !okA || !okB || !a.Equal(b) {
		t.Fatalf("%s: sent %q, answered %q: not the same instant", field, *sent, *got)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// sameInt64 compares optional integers by value.
func sameInt64(t *testing.T, field string, sent, got *int64) {
	t.Helper()
	if (sent == nil) != (got == nil) || sent != nil && *sent != *got {
		t.Fatalf("%s: sent %v, answered %v", field, deref(sent), deref(got))
	}
}

// matches checks that a contract as answered holds what was written.
// Two normalisations are documented: date-times come back in the
// service's form, cut to the millisecond (see answeredDateTime), and an
// empty description comes back absent, since the model does not tell the
// two apart.
func matches(t *testing.T, sent writable, got wireContract) {
	t.Helper()
	if got.Client != sent.ClientID || got.Name != sent.Name || got.CurrencyCode != sent.CurrencyCode {
		t.Fatalf("answered %+v for %+v", got, sent)
	}
	sameInt64(t, "amountMinor", sent.AmountMinor, got.AmountMinor)
	sameInt64(t, "order", sent.Order, got.Order)
	wantDesc := sent.Description
	if wantDesc != nil && *wantDesc == "" {
		wantDesc = nil
	}
	if (wantDesc == nil) != (got.Description == nil) || wantDesc != nil && *wantDesc != *got.Description {
		t.Fatalf("description: sent %v, answered %v", deref(sent.Description), deref(got.Description))
	}
	sameDateTime(t, "validFrom", sent.ValidFrom, got.ValidFrom)
	sameDateTime(t, "validTo", sent.ValidTo, got.ValidTo)
}

// storedMatches checks the contract as the store holds it against what
// was written.
func storedMatches(t *testing.T, sent writable, c *contract.Contract) {
	t.Helper()
	if c.Party != (contract.Party{Kind: contract.PartyClient, ID: sent.ClientID}) || c.Name != sent.Name ||
		c.Amount == nil || sent.AmountMinor == nil || *c.Amount != (contract.Money{Minor: *sent.AmountMinor, Currency: sent.CurrencyCode}) {
		t.Fatalf("stored %+v for %+v", c, sent)
	}
	if sent.Description == nil && c.Description != "" || sent.Description != nil && c.Description != *sent.Description {
		t.Fatalf("stored description %q for %v", c.Description, deref(sent.Description))
	}
	sameInt64(t, "stored order", sent.Order, c.Order)
	for _, d := range []struct {
		field string
		sent  *string
		got   *time.Time
	}{{"stored validFrom", sent.ValidFrom, c.ValidFrom}, {"stored validTo", sent.ValidTo, c.ValidTo}} {
		if d.sent == nil || d.got == nil {
			if (d.sent == nil) != (d.got == nil) {
				t.Fatalf("%s: sent %v, stored %v", d.field, deref(d.sent), deref(d.got))
			}
			continue
		}
		if want, ok := instant(*d.sent); !ok || !want.Equal(*d.got) {
			t.Fatalf("%s: sent %q, stored %v", d.field, *d.sent, *d.got)
		}
	}
}

// readBack checks that a contract reads back, through the handler, as it
// was answered, and that what it answers is accepted as a create
// unchanged: the service's output passes its own validation.
func readBack(t *testing.T, a *dialecttest.API, want wireContract) {
	t.Helper()
	got := a.Serve(t, "GET", "/api/v1/contracts/"+want.ID, "")
	if got.StatusCode != http.StatusOK || !reflect.DeepEqual(dataOf(t, got), want) {
		t.Fatalf("read back %d %s, want %+v", got.StatusCode, got.Body, want)
	}
	again, err := json.Marshal(writableOf(want))
	if err != nil {
		t.Fatal(err)
	}
	resp := a.Serve(t, "POST", "/api/v1/contracts", string(again))
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the answer %+v, sent back as a create, is refused: %d %s", want, resp.StatusCode, resp.Body)
	}
	copied := dataOf(t, resp)
	copied.ID, copied.CreatedAt, copied.UpdatedAt = want.ID, want.CreatedAt, want.UpdatedAt
	if !reflect.DeepEqual(copied, want) {
		t.Fatalf("a create of the answer %+v answers %+v", want, copied)
	}
}

// The statuses a fuzzed write may answer: applied, or refused as the
// body's fault.
var (
	fuzzCreateStatuses = []int{http.StatusCreated, http.StatusBadRequest, http.StatusRequestEntityTooLarge}
	fuzzPatchStatuses  = []int{http.StatusOK, http.StatusBadRequest, http.StatusRequestEntityTooLarge}
)

// fuzzSeeds are create bodies for f.Add: the seed document's and the
// edges of each rule.
func fuzzSeeds(f *testing.F) []string {
	seed := httpapitest.ReadFile(f, "testdata/seed-create.json")
	return []string{
		seed,
		`{"clientId":"c","name":"n","amountMinor":0,"currencyCode":"USD"}`,
		`{"clientId":"c","name":"n","amountMinor":9007199254740991,"currencyCode":"JPY","order":0,"description":""}`,
		`{"clientId":"c","name":"n","amountMinor":1,"currencyCode":"EUR","validFrom":"2024-02-29T00:00Z","validTo":"2024-02-29T00:00:00.1234567891Z"}`,
		`{"clientId":"c","name":"n","amountMinor":1,"currencyCode":"EUR","validFrom":"0000-01-01T00:00:00.000000001Z"}`,
		`{"clientId":"c","name":"n","amountMinor":1,"currencyCode":"EUR","name":"m"}`,
		`{"clientId":"c","Name":"n","amountMinor":1,"currencyCode":"EUR"}`,
		`{"clientId":"c","name":"n","amountMinor":9007199254740992,"currencyCode":"EUR"}`,
		`{"clientId":"c","name":"n","amountMinor":1e400,"currencyCode":"EUR"}`,
		`{"clientId":"c","name":"n","amountMinor":5000.0,"currencyCode":"EUR"}`,
		`{"clientId":"c","name":"a\u0000b","amountMinor":1,"currencyCode":"EUR"}`,
		"{\"clientId\":\"c\",\"name\":\"\xff\",\"amountMinor\":1,\"currencyCode\":\"EUR\"}",
		`{"clientId":"c","name":"n","amountMinor":1,"currencyCode":"EUR","description":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
		`{"clientId":null,"name":null,"amountMinor":null,"currencyCode":null}`,
		`null`, `[]`, `{`, ``,
	}
}

// FuzzKukkinguCreate sends arbitrary create bodies through the real
// handler. Every answer is a documented success or 4xx problem; a created
// contract answers, stores and reads back what was sent, and its answer is
// itself a valid create.
func FuzzKukkinguCreate(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		a := newFuzzAPI()
		resp, _, _ := a.Write(t, httpapitest.Request{Method: "POST", Target: "/api/v1/contracts", Body: body}, http.StatusCreated, fuzzCreateStatuses...)
		if resp.StatusCode != http.StatusCreated {
			return
		}
		got := dataOf(t, resp)
		var sent writable
		if err := json.Unmarshal([]byte(body), &sent); err != nil {
			t.Fatalf("created from %q, which encoding/json does not read: %v", body, err)
		}
		if !fuzzIDPattern.MatchString(got.ID) || resp.Headers["Location"] != "/api/v1/contracts/"+got.ID {
			t.Fatalf("id %q, Location %q", got.ID, resp.Headers["Location"])
		}
		matches(t, sent, got)
		stored := a.Store.Contracts(dialecttest.Tenant)
		if len(stored) != 1 || stored[0].ID != got.ID {
			t.Fatalf("stored %d contracts", len(stored))
		}
		storedMatches(t, sent, stored[0])
		readBack(t, a, got)
	})
}

// FuzzKukkinguPatch sends arbitrary merge patches through the real
// handler onto a contract made from the seed document. A refused patch
// changes nothing; an applied one changes exactly the fields it names.
func FuzzKukkinguPatch(f *testing.F) {
	for _, s := range []string{
		`{"name":"Premium Service Contract","description":null}`,
		`{"amountMinor":7000,"currencyCode":"USD","order":null,"validFrom":null,"validTo":null}`,
		`{"validFrom":"2023-10-05T14:00Z","validTo":"2023-10-05T14:48:00.000000001Z"}`,
		`{"description":""}`, `{}`,
		`{"name":null}`, `{"name":"a","name":"b"}`, `{"NAME":"x"}`, `{"id":"ctr_x"}`,
		`{"order":9007199254740992}`, `{"order":1e400}`, `{"order":1.5}`, `{"validTo":"2023-10-05T14:47Z"}`,
		`{"description":` + strings.Repeat("[", 40) + strings.Repeat("]", 40) + `}`,
		"{\"name\":\"\xff\"}", `null`, `[]`, `{"name":`,
	} {
		f.Add(s)
	}
	seed := httpapitest.ReadFile(f, "testdata/seed-create.json")
	f.Fuzz(func(t *testing.T, patch string) {
		a := newFuzzAPI()
		created := a.Serve(t, "POST", "/api/v1/contracts", seed)
		if created.StatusCode != http.StatusCreated {
			t.Fatalf("seed create: %d %s", created.StatusCode, created.Body)
		}
		before := dataOf(t, created)
		resp, _, _ := a.Write(t, httpapitest.Request{Method: "PATCH", Target: "/api/v1/contracts/" + before.ID, Body: patch}, http.StatusOK, fuzzPatchStatuses...)
		if resp.StatusCode != http.StatusOK {
			readBack(t, a, before)
			return
		}
		after := dataOf(t, resp)
		if after.ID != before.ID || after.CreatedAt != before.CreatedAt {
			t.Fatalf("a patch changed id or createdAt: %+v -> %+v", before, after)
		}

		// What the patch should give, worked out apart from the handler:
		// RFC 7396 over the writable fields.
		var fields map[string]json.RawMessage
		if err := json.Unmarshal([]byte(patch), &fields); err != nil {
			t.Fatalf("applied %q, which encoding/json does not read: %v", patch, err)
		}
		base, err := json.Marshal(writableOf(before))
		if err != nil {
			t.Fatal(err)
		}
		var merged map[string]json.RawMessage
		if err := json.Unmarshal(base, &merged); err != nil {
			t.Fatal(err)
		}
		for k, v := range fields {
			if string(v) == "null" {
				delete(merged, k)
			} else {
				merged[k] = v
			}
		}
		mergedJSON, err := json.Marshal(merged)
		if err != nil {
			t.Fatal(err)
		}
		var want writable
		if err := json.Unmarshal(mergedJSON, &want); err != nil {
			t.Fatalf("patch %q applied, but its merge does not read as a contract: %v", patch, err)
		}
		matches(t, want, after)
		// A patch that changes nothing is answered the contract as it
		// was, and stores no version.
		version := int64(2)
		if httpapitest.SameJSON(resp.Body, created.Body) {
			version = 1
		}
		s := a.Store.Contracts(dialecttest.Tenant)
		if len(s) != 1 || s[0].Version != version {
			t.Fatalf("an applied patch left %d contracts, not one at version %d", len(s), version)
		}
		storedMatches(t, want, s[0])
		readBack(t, a, after)
	})
}
