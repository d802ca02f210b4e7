package ddb

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/contracts-service/contracts/shared/contract"
)

// codecContracts are contracts in the shapes the dialects store: bare,
// Kukkingu's, fabric's (price list, attributes, deleted), Aira's (plans,
// billing terms) and EasyBilling's (segments).
func codecContracts() []*contract.Contract {
	at := time.Date(2023, 10, 5, 14, 48, 0, 123456000, time.UTC)
	minor, order, day := int64(5000), int64(13), 20
	base := func(id string) *contract.Contract {
		return &contract.Contract{TenantID: "t1", ID: id, Number: "CT-0000000042",
			Party: contract.Party{Kind: contract.PartyClient, ID: "clnt_1"}, Status: contract.StatusActive, Version: 3,
			CreatedAt: at, UpdatedAt: at.Add(time.Hour), CreatedBy: "cred-a", UpdatedBy: "cred-b"}
	}
	bare := base("ctr_bare")
	kukkingu := base("ctr_kukkingu")
	kukkingu.Name, kukkingu.Description, kukkingu.Order = "Standard", "Terms", &order
	kukkingu.Amount = &contract.Money{Minor: minor, Currency: "EUR"}
	kukkingu.UpdatedVia = contract.APIKukkingu
	kukkingu.ValidFrom, kukkingu.ValidTo = &at, &at
	fabric := base("0123456789abcdef01234567")
	fabric.Party = contract.Party{Kind: contract.PartyOrganization, ID: "org-1"}
	fabric.Reference, fabric.AccountID, fabric.Type = "201000000000042", "1234567890abcdef12345678", "STANDARD"
	fabric.UpdatedVia = contract.APIFabric
	fabric.Attributes = json.RawMessage(`{"b":1,"a":[true,null]}`)
	fabric.PriceList = &contract.PriceListLink{ID: "pl-1", PriceListID: 77, CreatedAt: at, UpdatedAt: at}
	deleted := at.Add(2 * time.Hour)
	fabric.DeletedAt = &deleted
	aira := base("0f8fad5b-d9cb-469f-a165-70867728950e")
	aira.Party = contract.Party{Kind: contract.PartyCustomer, ID: "cust-1"}
	aira.PaymentAccountID, aira.PlanIDs = "pa-1", []string{"plan-a", "plan-b"}
	aira.Billing = &contract.BillingTerms{EndDay: &day}
	aira.UpdatedVia = contract.APIAira
	aira.Customer = &contract.Customer{TenantID: "t1", ID: "cust-1", ExternalID: "ext-1", Name: "Acme",
		CustomFields: json.RawMessage(`{"k":"v"}`), CreatedAt: at, UpdatedAt: at, CreatedBy: "cred-a", UpdatedBy: "cred-a"}
	aira.PaymentAccount = &contract.PaymentAccount{TenantID: "t1", ID: "pa-1", CustomerID: "cust-1", TaxID: "11222333000181",
		Email: "billing@example.com", Address: contract.Address{ZipCode: "01310-100", City: "São Paulo", State: "SP", Country: "BR"},
		CreatedAt: at, UpdatedAt: at, CreatedBy: "cred-a", UpdatedBy: "cred-a"}
	easy := base("9d7c0a1e-3b2f-4c6d-8e9f-0a1b2c3d4e5f")
	easy.Party = contract.Party{Kind: contract.PartyAccount, ID: "acct-1"}
	easy.UpdatedVia = contract.APIEasyBilling
	easy.Segments = []contract.Segment{{ID: "s1", PlanID: "p1", Currencies: []string{"USD"}, EffectiveDate: "2024-01-01",
		ExpirationDate: "2024-12-31", BillingCycleDay: 1, BillingCycleType: "MONTHLY", Price: "10.50", CreatedAt: at, UpdatedAt: at},
		{ID: "s2", PreviousID: "s1", PlanID: "p2", Currencies: []string{"USD", "CNY"}, EffectiveDate: "2025-01-01",
			ExpirationDate: "2025-12-31", BillingCycleDay: 31, BillingCycleType: "YEARLY", CreatedAt: at, UpdatedAt: at, CreatedBy: "c", UpdatedBy: "u"}}
	return []*contract.Contract{bare, kukkingu, fabric, aira, easy}
}

// The hand-written decoder reads every stored shape exactly as the
// reflective one does.
func TestDecodeContractItemMatchesUnmarshalMap(t *testing.T) {
	for _, c := range codecContracts() {
		t.Run(c.ID, func(t *testing.T) {
			av, err := attributevalue.MarshalMap(toContractItem(c))
			if err != nil {
				t.Fatal(err)
			}
			var want contractItem
			if err := attributevalue.UnmarshalMap(av, &want); err != nil {
				t.Fatal(err)
			}
			got, err := decodeContractItem(av)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n%+v\nwant\n%+v", got, want)
			}
			back, err := got.toContract()
			if err != nil {
				t.Fatal(err)
			}
			if back.ID != c.ID || back.Number != c.Number || back.Version != c.Version || back.UpdatedVia != c.UpdatedVia {
				t.Fatalf("read back %+v", back)
			}
		})
	}
}

// Every attribute the item struct declares is decoded by hand: a field
// added to contractItem without a case in decodeContractItem fails here.
func TestDecodeContractItemKnowsEveryAttribute(t *testing.T) {
	typ := reflect.TypeOf(contractItem{})
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("dynamodbav"), ",")
		probe := map[string]types.AttributeValue{name: &types.AttributeValueMemberBOOL{Value: true}}
		if _, err := decodeContractItem(probe); err == nil {
			t.Errorf("attribute %q (field %s) is not decoded by decodeContractItem", name, typ.Field(i).Name)
		}
	}
}

// A stored attribute of the wrong type is an error, not a zero value.
func TestDecodeContractItemRefusesWrongTypes(t *testing.T) {
	for name, v := range map[string]types.AttributeValue{
		"number":  &types.AttributeValueMemberN{Value: "1"},
		"version": &types.AttributeValueMemberS{Value: "1"},
		"order":   &types.AttributeValueMemberN{Value: "1.5"},
	} {
		if _, err := decodeContractItem(map[string]types.AttributeValue{name: v}); err == nil {
			t.Errorf("%s as %T decoded without error", name, v)
		}
	}
}

func BenchmarkDecodeContract(b *testing.B) {
	for _, c := range codecContracts() {
		av, _ := attributevalue.MarshalMap(toContractItem(c))
		b.Run(c.ID, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := decodeContract(av); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
