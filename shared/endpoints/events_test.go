package endpoints_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"

	"github.com/contracts-service/contracts/shared/auth"
	"github.com/contracts-service/contracts/shared/contract"
	"github.com/contracts-service/contracts/shared/contractevents"
	"github.com/contracts-service/contracts/shared/contractevents/eventschema"
	"github.com/contracts-service/contracts/shared/ddb"
	"github.com/contracts-service/contracts/shared/ddb/ddbtest"
	"github.com/contracts-service/contracts/shared/endpoints"
	"github.com/contracts-service/contracts/shared/httpapi"
	"github.com/contracts-service/contracts/shared/httpapi/httpapitest"
)

// TestEveryChangeMapsToOneEvent reads the table's stream after every
// API's writes, as each API makes them (its routers, and the queue path
// of EasyBilling's): every record of a contract, new and old images,
// reads as one event of the right type, of the API that made the change
// and the principal it records, its version and the fields it changed,
// within the schema; every record of anything else (each kind of item the
// writes make) reads as no contract's.
func TestEveryChangeMapsToOneEvent(t *testing.T) {
	dynamo, table, stream := ddbtest.NewStreamTable(t)
	store := ddb.New(dynamo, table)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	ddbtest.CreateTenant(t, store, auth.Tenant{ID: "tenant-a", Aliases: []string{siteAccount}, CreatedAt: time.Now()})
	cred, _ := auth.NewToken("tenant-a", time.Now())
	if err := store.CreateCredential(ctx, cred); err != nil {
		t.Fatal(err)
	}
	ddbtest.PutPlans(t, store, "tenant-a", []contract.Plan{
		{ID: ownershipPlan, Name: "Pro", Currencies: []string{"BRL", "USD"}},
		{ID: trustPlan, Name: "Monthly", Currencies: []string{"USD"}},
	})
	creates := client{t, endpoints.CreateContract(store, log), "tenant-a"}
	actions := client{t, endpoints.ContractActions(store, log), "tenant-a"}
	organizations := client{t, endpoints.OrganizationContracts(store, log), "tenant-a"}
	body := func(r events.APIGatewayV2HTTPResponse, status int, what string) map[string]any {
		t.Helper()
		if r.StatusCode != status {
			t.Fatalf("%s: %d %s", what, r.StatusCode, r.Body)
		}
		var m map[string]any
		json.Unmarshal([]byte(r.Body), &m)
		return m
	}

	// Kukkingu: create (with an Idempotency-Key), patch, delete.
	k := body(creates.do("POST", "/api/v1/contracts", "key-1", seedBody), 201, "Kukkingu create")["data"].(map[string]any)["id"].(string)
	body(creates.do("PATCH", "/api/v1/contracts/"+k, "", `{"name":"Premium"}`), 200, "Kukkingu patch")
	body(creates.do("DELETE", "/api/v1/contracts/"+k, "", ""), 204, "Kukkingu delete")
	// Aira: create with a new customer and payment account, replace, cancel.
	seed := httpapitest.ReadFile(t, "../aira/testdata/seed-create.json")
	a := body(creates.do("POST", "/v1/contracts/", "", seed), 201, "Aira create")["contract"].(map[string]any)["id"].(string)
	body(creates.do("PUT", "/v1/contracts/"+a, "", `{"contract":{"startDate":"2023-12-25","endDate":"2025-12-24","planIds":["`+ownershipPlan+`"],"customFields":{}}}`), 200, "Aira replace")
	body(creates.do("POST", "/v1/contracts/"+a+"/cancel", "", ""), 200, "Aira cancel")
	// fabric: create (its contractId a reference item), update, delete, resurrect.
	body(organizations.do("POST", "/v1/organizations/org-1/contracts", "", `{"contractId":"C-1","startDate":"2024-01-01T00:00:00.000Z","endDate":"2024-12-31T00:00:00.000Z"}`), 200, "fabric create")
	body(organizations.do("PUT", "/v1/organizations/org-1/contracts/C-1", "", `{"status":"ACTIVE"}`), 200, "fabric update")
	body(organizations.do("DELETE", "/v1/organizations/org-1/contracts/C-1", "", ""), 200, "fabric delete")
	body(organizations.do("POST", "/v1/organizations/org-1/contracts/C-1/resurrect", "", ""), 200, "fabric resurrect")
	// EasyBilling: create over HTTP, renew, cancel; and a create by the
	// queue, which records its delivery.
	e := body(actions.do("POST", "/api/contract-actions", "", actionsRequest("ACC-1")), 200, "EasyBilling create")["contractInfo"].(map[string]any)["contractNumber"].(string)
	body(actions.do("POST", "/api/contract-actions", "", `{"accountNumber":"ACC-1","actions":[{"type":"renew","renew":[{"contractNumber":"`+e+`","effectiveDate":"2027-03-01","expirationDate":"2028-03-01"}]}]}`), 200, "EasyBilling renew")
	body(actions.do("POST", "/api/contract-actions", "", `{"accountNumber":"ACC-1","actions":[{"type":"cancel","cancel":[{"contractNumber":"`+e+`","effectiveDate":"2027-06-01"}]}]}`), 200, "EasyBilling cancel")
	handler := endpoints.ContractActionsHandler(store, log, httpapi.Origin{StackID: trustStack}, trust)
	raw, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{sqsRecord("m-1", trustQueue, "AROAEXAMPLE:sender", "tenant-a", actionsRequest("ACC-2"))}})
	lctx := lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: "aws-req",
		InvokedFunctionArn: "arn:aws:lambda:eu-west-1:" + trustAccount + ":function:contracts-ContractActionsFunction-X"})
	if out, err := handler(lctx, raw); err != nil || len(out.(events.SQSEventResponse).BatchItemFailures) != 0 {
		t.Fatalf("queue create: %v %v", out, err)
	}

	want := map[string][]contractevents.Type{
		"CT-0000000001": {contractevents.Created, contractevents.Updated, contractevents.Deleted},
		"CT-0000000002": {contractevents.Created, contractevents.Updated, contractevents.Canceled},
		"CT-0000000003": {contractevents.Created, contractevents.Updated, contractevents.Deleted, contractevents.Resurrected},
		"CT-0000000004": {contractevents.Created, contractevents.Updated, contractevents.Canceled},
		"CT-0000000005": {contractevents.Created},
	}
	owners := map[string]contract.API{"CT-0000000001": contract.APIKukkingu, "CT-0000000002": contract.APIAira,
		"CT-0000000003": contract.APIFabric, "CT-0000000004": contract.APIEasyBilling, "CT-0000000005": contract.APIEasyBilling}
	got := map[string][]contractevents.Type{}
	kinds := map[string]bool{}
	for _, rec := range ddbtest.StreamRecords(t, stream) {
		image := rec.Change.NewImage
		if image == nil {
			image = rec.Change.OldImage
		}
		kind := image["type"].String()
		kinds[kind] = true
		ch, ok, err := ddb.ContractChangeOf(rec)
		if err != nil || ok != (kind == "contract") {
			t.Errorf("%s record of a %s: ok %v, %v", rec.EventName, kind, ok, err)
			continue
		}
		if !ok {
			continue
		}
		if (rec.EventName == "INSERT") != (ch.Old == nil) || ch.New == nil {
			t.Errorf("%s record: old %v, new %v", rec.EventName, ch.Old != nil, ch.New != nil)
			continue
		}
		d, err := contractevents.DetailOf(contractevents.Change{Old: ch.Old, New: ch.New, RecordedAt: rec.Change.ApproximateCreationDateTime.Time})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(d)
		eventschema.Detail(t, raw)
		got[d.ContractNumber] = append(got[d.ContractNumber], d.Type)
		principal := "cred-tenant-a"
		if d.ContractNumber == "CT-0000000005" {
			principal = "aws:sqs:AROAEXAMPLE:sender"
		}
		if d.Owner != owners[d.ContractNumber] || d.Dialect == nil || *d.Dialect != d.Owner || d.Principal == nil || *d.Principal != principal {
			t.Errorf("%s %s: owner %s, dialect %v, principal %v; want %s, %s", d.ContractNumber, d.Type, d.Owner, d.Dialect, d.Principal, owners[d.ContractNumber], principal)
		}
		if d.Version != int64(len(got[d.ContractNumber])) {
			t.Errorf("%s %s: version %d, the %dth change", d.ContractNumber, d.Type, d.Version, len(got[d.ContractNumber]))
		}
		if len(d.ChangedFields) == 0 && d.Type != contractevents.Updated {
			t.Errorf("%s %s changed no field", d.ContractNumber, d.Type)
		}
		switch d.Type {
		case contractevents.Deleted, contractevents.Resurrected:
			if !slices.Equal(d.ChangedFields, []string{"deletedAt"}) {
				t.Errorf("%s %s changed %v, want deletedAt", d.ContractNumber, d.Type, d.ChangedFields)
			}
		case contractevents.Canceled:
			if !slices.Contains(d.ChangedFields, "status") {
				t.Errorf("%s %s changed %v, want status among them", d.ContractNumber, d.Type, d.ChangedFields)
			}
		}
	}
	for number, types := range want {
		if !slices.Equal(got[number], types) {
			t.Errorf("%s: events %v, want %v", number, got[number], types)
		}
	}
	// Every kind of item the writes made was seen, and published nothing.
	for _, kind := range []string{"tenant", "tenant-name", "credential", "plan", "counter", "contract", "contract-id", "contract-reference",
		"customer", "customer-external-id", "payment-account", "contract-action", "idempotency-key", "delivery"} {
		if !kinds[kind] {
			t.Errorf("no record of a %s among %v", kind, kinds)
		}
	}
}
