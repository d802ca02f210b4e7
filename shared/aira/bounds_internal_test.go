package aira

import (
	"net/http"
	"strings"
	"testing"

	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/httpapi"
)

// A customer's payment accounts are listed in one answer, with no pages:
// contract.MaxPaymentAccounts of them, every field at the longest its
// validation allows and written as "<", which the answer escapes to six
// characters, fit in one Lambda response.
func TestMaxPaymentAccountsFitOneResponse(t *testing.T) {
	long := func(n int) string { return strings.Repeat("<", n) }
	pa := contract.PaymentAccount{ID: "0f8fad5b-d9cb-469f-a165-70867728950e", CustomerID: "7c9e6679-7425-40de-944b-e07fc1f90ae7",
		BusinessName: long(255), TradeName: long(255), TaxID: "11.222.333/0001-81", Email: long(254),
		Address: contract.Address{ZipCode: "01310-100", Number: long(20), Street: long(255), Neighborhood: long(255),
			City: long(255), State: "SP", Country: long(64), Complement: long(255)}}
	out := itemsBody{Items: make([]paymentAccountBody, contract.MaxPaymentAccounts)}
	for i := range out.Items {
		out.Items[i] = paymentAccountBodyOf(&pa)
	}
	resp, err := httpapi.JSON(http.StatusOK, out)
	if err != nil {
		t.Fatal(err)
	}
	size := httpapi.PayloadSize(resp)
	t.Logf("%d payment accounts answer %d bytes", contract.MaxPaymentAccounts, size)
	if size > httpapi.MaxPayloadBytes {
		t.Fatalf("%d payment accounts answer %d bytes, over Lambda's %d", contract.MaxPaymentAccounts, size, httpapi.MaxPayloadBytes)
	}
}
