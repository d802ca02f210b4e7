package easybilling_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// TestTenantIsolation: a tenant reaches none of another tenant's contracts
// or actions, by any route, even under the same account number; and
// numbers run per tenant.
func TestTenantIsolation(t *testing.T) {
	a := newAPI(t)
	answer := a.act(t, tenantA, prod, httpapitest.ReadFile(t, "testdata/seed-000-request.json"))
	c := info(t, answer)
	number, id, action := c["contractNumber"].(string), c["id"].(string), answer["contractActionNumber"].(string)

	for _, prefix := range []string{prod, hub} {
		for _, target := range []string{"/contracts/" + number, "/contracts/" + id, "/contract-actions/" + action} {
			refused(t, a.do(t, tenantB, "GET", prefix+target, ""), http.StatusNotFound)
		}
		page := must(t, http.StatusOK, a.do(t, tenantB, "GET", prefix+"/contracts?accountNumber=ACC-0000000001", ""))
		if len(objects(t, page["items"])) != 0 || page["hasMore"] != false || page["cursor"] != nil {
			t.Errorf("tenant B lists tenant A's account: %v", page)
		}
		for typ, entry := range changes(obj{"contractNumber": number}, segments(t, c)[0]) {
			r := a.do(t, tenantB, "POST", prefix+"/contract-actions", request(t, "ACC-0000000001", act1(typ, entry)))
			refused(t, r, http.StatusNotFound, "actions[0]."+payloadKeys[typ]+"[0].contractNumber")
		}
		for typ, entry := range changes(obj{"contractId": id}, segments(t, c)[0]) {
			r := a.do(t, tenantB, "POST", prefix+"/contract-actions", request(t, "ACC-0000000001", act1(typ, entry)))
			if r.Status != http.StatusNotFound || len(httpapitest.ProblemFields(r.Body)) != 1 {
				t.Errorf("tenant B's %s of tenant A's contract by id: %d %s", typ, r.Status, r.Raw)
			}
		}
	}
	// A cursor carries no tenant: tenant A's cursor lists tenant B's own
	// contracts after that number, never A's.
	a.act(t, tenantA, prod, httpapitest.ReadFile(t, "testdata/seed-000-request.json"))
	first := must(t, http.StatusOK, a.do(t, tenantA, "GET", prod+"/contracts?accountNumber=ACC-0000000001&pageSize=1", ""))
	page := must(t, http.StatusOK, a.do(t, tenantB, "GET", prod+"/contracts?accountNumber=ACC-0000000001&pageSize=1&cursor="+first["cursor"].(string), ""))
	if len(objects(t, page["items"])) != 0 {
		t.Errorf("tenant B follows tenant A's cursor into %v", page)
	}

	if got := a.contract(t, tenantA, prod, number); !reflect.DeepEqual(got, c) {
		t.Errorf("tenant B changed tenant A's contract:\n%v\nwas\n%v", got, c)
	}

	// Tenant B's numbers start over; each tenant reads its own.
	mine := a.act(t, tenantB, prod, httpapitest.ReadFile(t, "testdata/seed-000-request.json"))
	if info(t, mine)["contractNumber"] != "CT-0000000001" || mine["contractActionNumber"] != "CA-0000000001" {
		t.Errorf("tenant B's first numbers are %v and %v", info(t, mine)["contractNumber"], mine["contractActionNumber"])
	}
	if number != "CT-0000000001" {
		t.Fatalf("tenant A's first contract is %s", number)
	}
	if got := a.contract(t, tenantB, prod, number); got["id"] != info(t, mine)["id"] {
		t.Errorf("tenant B reads %s as %v, want its own", number, got["id"])
	}
	if got := a.contract(t, tenantA, prod, number); got["id"] != id {
		t.Errorf("tenant A reads %s as %v, want its own", number, got["id"])
	}
	if got := a.action(t, tenantB, prod, action); got["contractId"] != info(t, mine)["id"] {
		t.Errorf("tenant B reads %s as %v, want its own", action, got)
	}
}
