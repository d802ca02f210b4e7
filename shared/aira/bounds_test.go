package aira_test

import (
	"fmt"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// A customer takes contract.MaxPaymentAccounts payment accounts, one per
// contract created with a new one, and the next is refused naming
// paymentAccount, writes nothing and draws no contract number; a contract
// on one of its accounts (paymentAccountId) is still taken.
func TestPaymentAccountBound(t *testing.T) {
	a := newAPI(t)
	s := seed(t)
	first := a.must(201, a.do("tenant-a", "POST", "/v1/contracts", httpapitest.MustJSON(s)))
	customerID := first["customer"].(map[string]any)["id"].(string)
	accountID := first["paymentAccount"].(map[string]any)["id"].(string)
	another := with(with(s, "customer", nil), "customerId", customerID)
	for i := 2; i <= contract.MaxPaymentAccounts; i++ {
		if r := a.do("tenant-a", "POST", "/v1/contracts", httpapitest.MustJSON(another)); r.Status != 201 {
			t.Fatalf("payment account %d: %d %v", i, r.Status, r.Body)
		}
	}
	before := a.itemTypes()
	r := a.do("tenant-a", "POST", "/v1/contracts", httpapitest.MustJSON(another))
	if r.Status != 422 || fmt.Sprint(r.Body["errors"]) == "" || r.Body["errors"].([]any)[0].(map[string]any)["field"] != "paymentAccount" {
		t.Fatalf("payment account %d: %d %v", contract.MaxPaymentAccounts+1, r.Status, r.Body)
	}
	if after := a.itemTypes(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("the refused request wrote %v, was %v", after, before)
	}
	onExisting := with(another, "paymentAccount", nil)
	onExisting["paymentAccountId"] = accountID
	made := a.must(201, a.do("tenant-a", "POST", "/v1/contracts", httpapitest.MustJSON(onExisting)))
	next := contract.FormatNumber(int64(contract.MaxPaymentAccounts + 1))
	got := a.must(200, a.do("tenant-a", "GET", "/v1/contracts/"+next, ""))
	if got["contract"].(map[string]any)["id"] != made["contract"].(map[string]any)["id"] {
		t.Fatalf("the contract after the refusal is not %s: a number was drawn", next)
	}
}
