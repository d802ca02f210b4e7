package contractevents_test

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contractevents"
	"github.com/contracts-service/contracts/shared/contractevents/eventschema"
)

var at = time.Date(2026, 3, 1, 9, 30, 0, 123456000, time.UTC)

// shapes are contracts as each API stores them, every optional field of
// the domain set in one of them.
func shapes() map[contract.API]*contract.Contract {
	minor, order, day, due := int64(5000), int64(13), 20, 10
	base := func(api contract.API, kind contract.PartyKind, id string) *contract.Contract {
		return &contract.Contract{TenantID: "tenant-a", Number: "CT-0000000042", ID: id,
			Party: contract.Party{Kind: kind, ID: "party-1"}, Status: contract.StatusActive, Version: 1,
			CreatedAt: at, UpdatedAt: at, CreatedBy: "cred-a", UpdatedBy: "cred-a", UpdatedVia: api}
	}
	to := at.AddDate(1, 0, 0)
	k := base(contract.APIKukkingu, contract.PartyClient, "ctr_z23aoo8naxk68ewcr64tchh5")
	k.Name, k.Description, k.Order = "Standard Service Contract", "Terms", &order
	k.Amount = &contract.Money{Minor: minor, Currency: "EUR"}
	k.ValidFrom, k.ValidTo = &at, &to
	a := base(contract.APIAira, contract.PartyCustomer, "0f8fad5b-d9cb-469f-a165-70867728950e")
	a.PaymentAccountID, a.PlanIDs = "pa-1", []string{"plan-a"}
	a.Billing = &contract.BillingTerms{EndDay: &day, ScheduledPaymentDay: &day, DueOffsetDays: &due, CycleMinimumAmount: "10.50"}
	a.ValidFrom = &at
	f := base(contract.APIFabric, contract.PartyOrganization, "0123456789abcdef01234567")
	f.Reference, f.AccountID, f.Type = "CONTRACT-2024-001", "1234567890abcdef12345678", "standard"
	f.Attributes = json.RawMessage(`{"b":1,"a":[true,null]}`)
	f.PriceList = &contract.PriceListLink{ID: "pl-1", PriceListID: 100001, CreatedAt: at, UpdatedAt: at}
	f.ValidFrom, f.ValidTo = &at, &to
	e := base(contract.APIEasyBilling, contract.PartyAccount, "9d7c0a1e-3b2f-4c6d-8e9f-0a1b2c3d4e5f")
	e.Segments = []contract.Segment{
		{ID: "s1", PlanID: "p1", Currencies: []string{"USD"}, EffectiveDate: "2026-02-01", ExpirationDate: "2027-02-01",
			BillingCycleDay: 1, BillingCycleType: "monthly", CreatedAt: at, UpdatedAt: at, CreatedBy: "cred-a", UpdatedBy: "cred-a"},
		{ID: "s2", PreviousID: "s1", PlanID: "p2", Currencies: []string{"USD", "CNY"}, EffectiveDate: "2026-06-01", ExpirationDate: "2027-02-01",
			BillingCycleDay: 1, BillingCycleType: "monthly", Price: "99.90", CreatedAt: at, UpdatedAt: at, CreatedBy: "cred-a", UpdatedBy: "cred-a"},
	}
	e.ValidFrom, e.ValidTo = &at, &to
	return map[contract.API]*contract.Contract{contract.APIKukkingu: k, contract.APIAira: a, contract.APIFabric: f, contract.APIEasyBilling: e}
}

// changed returns a copy of c as a change by change leaves it, one
// version on.
func changed(c *contract.Contract, change func(*contract.Contract)) *contract.Contract {
	n := *c
	n.Version++
	n.UpdatedAt = c.UpdatedAt.Add(time.Minute)
	n.UpdatedBy = "cred-b"
	change(&n)
	return &n
}

func TestTypeOf(t *testing.T) {
	c := shapes()[contract.APIKukkingu]
	deleted := changed(c, func(n *contract.Contract) { n.DeletedAt = &n.UpdatedAt })
	canceled := changed(c, func(n *contract.Contract) { n.Status = contract.StatusCanceled })
	tests := []struct {
		name     string
		old, new *contract.Contract
		want     contractevents.Type
	}{
		{"new contract", nil, c, contractevents.Created},
		{"a field changes", c, changed(c, func(n *contract.Contract) { n.Name = "Premium" }), contractevents.Updated},
		{"status becomes active", changed(c, func(n *contract.Contract) { n.Status = contract.StatusDraft }), c, contractevents.Updated},
		{"status becomes canceled", c, canceled, contractevents.Canceled},
		{"a canceled contract changes again", canceled, changed(canceled, func(n *contract.Contract) { n.Name = "x" }), contractevents.Updated},
		{"soft delete", c, deleted, contractevents.Deleted},
		{"resurrect", deleted, changed(deleted, func(n *contract.Contract) { n.DeletedAt = nil }), contractevents.Resurrected},
		{"a deleted contract changes", deleted, changed(deleted, func(n *contract.Contract) { n.Name = "x" }), contractevents.Updated},
		{"item removed", c, nil, contractevents.Deleted},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := contractevents.TypeOf(contractevents.Change{Old: tc.old, New: tc.new}); got != tc.want {
				t.Errorf("TypeOf = %s, want %s", got, tc.want)
			}
		})
	}
}

var uuidV8 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// An event's id is a function of its tenant, contract number, version and
// type: the same change always has the same id, and no two changes share
// one.
func TestEventIDIsDerived(t *testing.T) {
	id := contractevents.EventID("tenant-a", "CT-0000000001", 3, contractevents.Updated)
	if !uuidV8.MatchString(id) {
		t.Errorf("id %s is not a version 8 UUID", id)
	}
	if again := contractevents.EventID("tenant-a", "CT-0000000001", 3, contractevents.Updated); again != id {
		t.Errorf("the same change has ids %s and %s", id, again)
	}
	seen := map[string]string{id: "base"}
	for name, other := range map[string]string{
		"another tenant":  contractevents.EventID("tenant-b", "CT-0000000001", 3, contractevents.Updated),
		"another number":  contractevents.EventID("tenant-a", "CT-0000000002", 3, contractevents.Updated),
		"another version": contractevents.EventID("tenant-a", "CT-0000000001", 4, contractevents.Updated),
		"another type":    contractevents.EventID("tenant-a", "CT-0000000001", 3, contractevents.Deleted),
		// The parts are separated: "tenant-a" + "1" is not "tenant-a1" + "".
		"shifted parts": contractevents.EventID("tenant-aCT-0000000001", "", 3, contractevents.Updated),
	} {
		if prev, dup := seen[other]; dup {
			t.Errorf("%s has the id of %s", name, prev)
		}
		seen[other] = name
	}
}

// The detail of each kind of change, for a contract of every API: who,
// what, which version, which fields; and the detail matches the schema.
func TestDetailOf(t *testing.T) {
	for api, c := range shapes() {
		t.Run(string(api), func(t *testing.T) {
			renamed := changed(c, func(n *contract.Contract) { n.Name, n.Description = "Renamed", "" })
			deleted := changed(renamed, func(n *contract.Contract) { n.DeletedAt = &n.UpdatedAt })
			tests := []struct {
				name     string
				ch       contractevents.Change
				typ      contractevents.Type
				version  int64
				fields   []string
				by       string
				dialect  bool
				contract *contract.Contract
			}{
				{"created", contractevents.Change{New: c}, contractevents.Created, 1, nil, "cred-a", true, c},
				{"renamed", contractevents.Change{Old: c, New: renamed}, contractevents.Updated, 2, namesChanged(c, renamed), "cred-b", true, renamed},
				{"deleted", contractevents.Change{Old: renamed, New: deleted}, contractevents.Deleted, 3, []string{"deletedAt"}, "cred-b", true, deleted},
				{"removed", contractevents.Change{Old: deleted, RecordedAt: at.Add(time.Hour)}, contractevents.Deleted, 3, nil, "", false, deleted},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					d, err := contractevents.DetailOf(tc.ch)
					if err != nil {
						t.Fatal(err)
					}
					raw, err := json.Marshal(d)
					if err != nil {
						t.Fatal(err)
					}
					eventschema.Detail(t, raw)
					if d.Type != tc.typ || d.Version != tc.version || d.ContractNumber != c.Number || d.TenantID != c.TenantID || d.ContractID != c.ID || d.Owner != api {
						t.Errorf("detail %s", raw)
					}
					if d.EventID != contractevents.EventID(c.TenantID, c.Number, tc.version, tc.typ) {
						t.Errorf("eventId %s is not derived from the contract, version and type", d.EventID)
					}
					if tc.fields == nil {
						// A new contract, or a removal: every field it has.
						tc.fields = namesChanged(nil, tc.contract)
					}
					if !reflect.DeepEqual(d.ChangedFields, tc.fields) {
						t.Errorf("changedFields %v, want %v", d.ChangedFields, tc.fields)
					}
					switch {
					case tc.dialect && (d.Dialect == nil || *d.Dialect != api || d.Principal == nil || *d.Principal != tc.by):
						t.Errorf("dialect %v, principal %v; want %s, %s", d.Dialect, d.Principal, api, tc.by)
					case !tc.dialect && (d.Dialect != nil || d.Principal != nil):
						t.Errorf("a removal names dialect %v, principal %v", d.Dialect, d.Principal)
					}
					want := contractevents.ContractOf(tc.contract)
					if !reflect.DeepEqual(d.Contract, want) {
						t.Errorf("contract %+v, want %+v", d.Contract, want)
					}
					wantTime := tc.contract.UpdatedAt.Format(time.RFC3339Nano)
					if tc.ch.New == nil {
						wantTime = tc.ch.RecordedAt.Format(time.RFC3339Nano)
					}
					if d.Time != wantTime {
						t.Errorf("time %s, want %s", d.Time, wantTime)
					}
				})
			}
		})
	}
}

// namesChanged lists, the way the test sees it, the JSON fields of the
// events' Contract that differ between a and b, bookkeeping aside.
func namesChanged(a, b *contract.Contract) []string {
	fields := func(c *contract.Contract) map[string]string {
		m := map[string]json.RawMessage{}
		if c != nil {
			raw, _ := json.Marshal(contractevents.ContractOf(c))
			json.Unmarshal(raw, &m)
		}
		out := map[string]string{}
		for k, v := range m {
			out[k] = string(v)
		}
		return out
	}
	fa, fb := fields(a), fields(b)
	out := []string{}
	for _, name := range contractFields() {
		if slices.Contains([]string{"version", "updatedAt", "updatedBy", "updatedVia"}, name) {
			continue
		}
		va, inA := fa[name]
		vb, inB := fb[name]
		if inA != inB || va != vb {
			out = append(out, name)
		}
	}
	return out
}

func contractFields() []string {
	t := reflect.TypeFor[contractevents.Contract]()
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	return names
}

// The schema documents exactly the detail's and the contract's fields,
// lists the event types and the changedFields names the code uses, and
// requires what is always there.
func TestSchemaDocumentsTheDetail(t *testing.T) {
	path, err := eventschema.Path()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Properties  map[string]json.RawMessage `json:"properties"`
		Definitions struct {
			Detail struct {
				Properties map[string]json.RawMessage `json:"properties"`
				Required   []string                   `json:"required"`
			} `json:"ContractEventDetail"`
			Contract struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"Contract"`
		} `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatal(err)
	}
	jsonNames := func(typ reflect.Type) []string {
		var names []string
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			names = append(names, name)
		}
		slices.Sort(names)
		return names
	}
	keys := func(m map[string]json.RawMessage) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	if got, want := keys(schema.Definitions.Detail.Properties), jsonNames(reflect.TypeFor[contractevents.Detail]()); !reflect.DeepEqual(got, want) {
		t.Errorf("the schema's detail has %v, Detail %v", got, want)
	}
	if got, want := slices.Sorted(slices.Values(schema.Definitions.Detail.Required)), jsonNames(reflect.TypeFor[contractevents.Detail]()); !reflect.DeepEqual(got, want) {
		t.Errorf("the schema's detail requires %v; every member of Detail is always there: %v", got, want)
	}
	if got, want := keys(schema.Definitions.Contract.Properties), jsonNames(reflect.TypeFor[contractevents.Contract]()); !reflect.DeepEqual(got, want) {
		t.Errorf("the schema's contract has %v, Contract %v", got, want)
	}
	var types []contractevents.Type
	json.Unmarshal(schema.Properties["detail-type"], &struct {
		Enum *[]contractevents.Type `json:"enum"`
	}{&types})
	if !reflect.DeepEqual(types, contractevents.Types) {
		t.Errorf("the schema's detail-types %v, the code's %v", types, contractevents.Types)
	}
	var source []string
	json.Unmarshal(schema.Properties["source"], &struct {
		Enum *[]string `json:"enum"`
	}{&source})
	if !reflect.DeepEqual(source, []string{contractevents.Source}) {
		t.Errorf("the schema's source %v, the code's %s", source, contractevents.Source)
	}
	var changedFields struct {
		Items struct {
			Enum []string `json:"enum"`
		} `json:"items"`
	}
	json.Unmarshal(schema.Definitions.Detail.Properties["changedFields"], &changedFields)
	if want := namesChanged(nil, everyField()); !reflect.DeepEqual(changedFields.Items.Enum, want) {
		t.Errorf("the schema's changedFields names %v, the code's %v", changedFields.Items.Enum, want)
	}
}

// everyField is a contract with every field of the events' Contract set.
func everyField() *contract.Contract {
	s := shapes()
	c := *s[contract.APIFabric]
	k, a, e := s[contract.APIKukkingu], s[contract.APIAira], s[contract.APIEasyBilling]
	c.Name, c.Description, c.Order, c.Amount = k.Name, k.Description, k.Order, k.Amount
	c.PaymentAccountID, c.PlanIDs, c.Billing = a.PaymentAccountID, a.PlanIDs, a.Billing
	c.Segments = e.Segments
	c.DeletedAt = &at
	return &c
}

// An event whose contract would pass EventBridge's 256 KB goes without
// it, and is put all the same.
func TestEntryOfALargeContract(t *testing.T) {
	c := everyField()
	c.DeletedAt = nil
	d, err := contractevents.DetailOf(contractevents.Change{New: c})
	if err != nil {
		t.Fatal(err)
	}
	small, err := contractevents.Entry("bus", d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(small.Detail), `"contract":{`) {
		t.Errorf("a small contract is left out: %s", aws.ToString(small.Detail))
	}
	c.Description = strings.Repeat("é", contractevents.MaxRequestBytes/2)
	if d, err = contractevents.DetailOf(contractevents.Change{New: c}); err != nil {
		t.Fatal(err)
	}
	large, err := contractevents.Entry("bus", d)
	if err != nil {
		t.Fatal(err)
	}
	if n := contractevents.EntrySize(large); n > contractevents.MaxRequestBytes {
		t.Errorf("the entry weighs %d bytes, over %d", n, contractevents.MaxRequestBytes)
	}
	var got contractevents.Detail
	if err := json.Unmarshal([]byte(aws.ToString(large.Detail)), &got); err != nil {
		t.Fatal(err)
	}
	eventschema.Detail(t, []byte(aws.ToString(large.Detail)))
	if got.Contract != nil || got.EventID != d.EventID || !slices.Contains(got.ChangedFields, "description") {
		t.Errorf("the large contract's event: %s", aws.ToString(large.Detail))
	}
	if aws.ToString(large.Source) != contractevents.Source || aws.ToString(large.DetailType) != string(contractevents.Created) || aws.ToString(large.EventBusName) != "bus" {
		t.Errorf("entry %+v", large)
	}
}
