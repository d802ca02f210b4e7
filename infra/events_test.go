package infra_test

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/contracts-service/contracts/shared/contractevents"
	"github.com/contracts-service/contracts/shared/ddb"
)

// The resources of the contract events, by logical id.
const (
	eventsFunction      = "ContractEventsFunction"
	eventsMapping       = "ContractEventsStreamMapping"
	eventsBus           = "ContractEventsBus"
	eventsFailureQueue  = "ContractEventsFailureQueue"
	eventsFailuresAlarm = "ContractEventsFunctionFailuresAlarm"
	eventsIteratorAge   = "ContractEventsIteratorAgeAlarm"
	eventsSchema        = "ContractEventSchema"
	eventsRegistry      = "ContractEventsSchemaRegistry"
	eventSchemaPath     = "contract-event.schema.json"
	// streamRetention is how long DynamoDB keeps a stream's records.
	streamRetention = 24 * 60 * 60
)

// TestContractEventsFeed: the table streams both images of every change
// (what ddb reads); the stream feeds the function's alias in order,
// reporting the record it could not publish, splitting a failed batch,
// with bounded retries and record age, and an on-failure destination of
// its own kept 14 days; a record is given up before the stream drops it,
// so the description on the failure queue still leads to it; the
// function knows its bus and stream; nothing but IAM lets anyone else put
// on the bus; the schema the stack registers is infra's.
func TestContractEventsFeed(t *testing.T) {
	_, raw := load(t)
	if got := lookup(raw, "Resources", tableID, "Properties", "StreamSpecification", "StreamViewType"); got != string(ddb.StreamViewType) {
		t.Errorf("%s streams %v, want %s (ddb.StreamViewType)", tableID, got, ddb.StreamViewType)
	}
	m := resource(t, eventsMapping)
	if m["Type"] != "AWS::Lambda::EventSourceMapping" {
		t.Fatalf("%s is a %v", eventsMapping, m["Type"])
	}
	p := lookup(m, "Properties")
	want := map[string]any{
		"FunctionName":               "!Ref " + eventsFunction + ".Alias",
		"EventSourceArn":             "!GetAtt " + tableID + ".StreamArn",
		"StartingPosition":           "TRIM_HORIZON",
		"FunctionResponseTypes":      []any{"ReportBatchItemFailures"},
		"BisectBatchOnFunctionError": true,
		// One batch per shard at a time: a contract's records in order.
		"ParallelizationFactor": 1,
		"DestinationConfig":     map[string]any{"OnFailure": map[string]any{"Destination": "!GetAtt " + eventsFailureQueue + ".Arn"}},
	}
	for k, v := range want {
		if got := lookup(p, k); !reflect.DeepEqual(got, v) {
			t.Errorf("%s %s = %#v, want %#v", eventsMapping, k, got, v)
		}
	}
	retries, _ := lookup(p, "MaximumRetryAttempts").(int)
	if retries < 1 || retries > 10000 {
		t.Errorf("%s MaximumRetryAttempts %v: bounded, and at least one retry", eventsMapping, lookup(p, "MaximumRetryAttempts"))
	}
	age, _ := lookup(p, "MaximumRecordAgeInSeconds").(int)
	if age < 60 || age >= streamRetention {
		t.Errorf("%s MaximumRecordAgeInSeconds %v: bounded, and below the stream's 24 hours, so a record given up can still be read", eventsMapping, lookup(p, "MaximumRecordAgeInSeconds"))
	}
	if got := lookup(raw, "Resources", eventsFailureQueue, "Properties", "MessageRetentionPeriod"); got != 1209600 {
		t.Errorf("%s keeps messages %v seconds, want 14 days", eventsFailureQueue, got)
	}
	vars := lookup(raw, "Resources", eventsFunction, "Properties", "Environment", "Variables")
	for name, want := range map[string]string{
		contractevents.EnvBusName:   "!Ref " + eventsBus,
		contractevents.EnvStreamARN: "!GetAtt " + tableID + ".StreamArn",
	} {
		if got := lookup(vars, name); got != want {
			t.Errorf("%s %s = %v, want %s", eventsFunction, name, got, want)
		}
	}
	if typ := resource(t, eventsBus)["Type"]; typ != "AWS::Events::EventBus" {
		t.Errorf("%s is a %v", eventsBus, typ)
	}
	resources, _ := lookup(raw, "Resources").(map[string]any)
	for _, id := range sortedKeys(resources) {
		if lookup(resources[id], "Type") == "AWS::Events::EventBusPolicy" && lookup(resources[id], "Properties", "EventBusName") == "!Ref "+eventsBus {
			t.Errorf("%s lets others put on %s: only the function puts contract events", id, eventsBus)
		}
	}
	for _, out := range []string{"ContractEventsBusName", "ContractEventsBusArn", "ContractEventsSchemaRegistryName", "ContractEventsFailureQueueUrl", "ContractEventsFunctionName"} {
		if lookup(raw, "Outputs", out) == nil {
			t.Errorf("no output %s", out)
		}
	}

	// The registered schema is infra's, and the events' source and types.
	schema := lookup(raw, "Resources", eventsSchema, "Properties")
	if lookup(schema, "Type") != "JSONSchemaDraft4" || lookup(schema, "RegistryName") != "!GetAtt "+eventsRegistry+".RegistryName" {
		t.Errorf("%s: %v", eventsSchema, schema)
	}
	if got := lookup(schema, "SchemaName"); got != contractevents.Source+"@ContractEvent" {
		t.Errorf("%s is named %v", eventsSchema, got)
	}
	file, err := os.ReadFile(eventSchemaPath)
	if err != nil {
		t.Fatal(err)
	}
	var inFile, inTemplate any
	if err := json.Unmarshal(file, &inFile); err != nil {
		t.Fatalf("%s: %v", eventSchemaPath, err)
	}
	if err := json.Unmarshal([]byte(fmt.Sprint(lookup(schema, "Content"))), &inTemplate); err != nil {
		t.Fatalf("%s Content: %v", eventsSchema, err)
	}
	if !reflect.DeepEqual(inFile, inTemplate) {
		t.Errorf("%s's Content is not %s: copy the file into the template", eventsSchema, eventSchemaPath)
	}
}
