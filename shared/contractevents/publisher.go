package contractevents

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/contracts-service/contracts/shared/awsenv"
)

// Environment variables of the function (template.yaml sets them).
const (
	// EnvBusName names the bus the events are put on.
	EnvBusName = "EVENT_BUS_NAME"
	// EnvStreamARN is the ARN of the table's stream: records of any
	// other source are refused.
	EnvStreamARN = "CONTRACTS_STREAM_ARN"
)

// Bus is what the function needs of EventBridge; *eventbridge.Client
// implements it.
type Bus interface {
	PutEvents(ctx context.Context, in *eventbridge.PutEventsInput, opts ...func(*eventbridge.Options)) (*eventbridge.PutEventsOutput, error)
}

// NewEventBridgeClient returns an EventBridge client configured from the
// environment as Lambda provides it (see awsenv), its endpoint overridden
// by AWS_ENDPOINT_URL_EVENTBRIDGE (or AWS_ENDPOINT_URL), which points it
// at a local EventBridge.
func NewEventBridgeClient() (*eventbridge.Client, error) {
	cfg, err := awsenv.Config("AWS_ENDPOINT_URL_EVENTBRIDGE")
	if err != nil {
		return nil, fmt.Errorf("contractevents: %w", err)
	}
	return eventbridge.NewFromConfig(cfg), nil
}

// EventBridge's bounds on one PutEvents call.
const (
	// MaxEntries is the most entries one call takes.
	MaxEntries = 10
	// MaxRequestBytes is the most all of a call's entries may weigh
	// together, counted as EntrySize counts them; one entry may weigh no
	// more either.
	MaxRequestBytes = 256 * 1024
)

// EntrySize is what an entry weighs against MaxRequestBytes, as
// EventBridge counts it: 14 bytes for a time, and the UTF-8 bytes of the
// source, the detail-type, the detail and each resource.
func EntrySize(e types.PutEventsRequestEntry) int {
	n := 0
	if e.Time != nil {
		n += 14
	}
	n += len(aws.ToString(e.Source)) + len(aws.ToString(e.DetailType)) + len(aws.ToString(e.Detail))
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// Entry is the PutEvents entry of d for bus. A detail that would make
// the entry heavier than MaxRequestBytes goes without its contract
// (Detail.Contract is then null): the event itself is never dropped.
func Entry(bus string, d *Detail) (types.PutEventsRequestEntry, error) {
	entry := func(d *Detail) (types.PutEventsRequestEntry, error) {
		b, err := json.Marshal(d)
		if err != nil {
			return types.PutEventsRequestEntry{}, fmt.Errorf("contractevents: encode event %s: %w", d.EventID, err)
		}
		at, err := time.Parse(time.RFC3339Nano, d.Time)
		if err != nil {
			return types.PutEventsRequestEntry{}, fmt.Errorf("contractevents: event %s time: %w", d.EventID, err)
		}
		return types.PutEventsRequestEntry{
			EventBusName: aws.String(bus), Source: aws.String(Source), DetailType: aws.String(string(d.Type)),
			Detail: aws.String(string(b)), Time: aws.Time(at),
		}, nil
	}
	e, err := entry(d)
	if err != nil || EntrySize(e) <= MaxRequestBytes {
		return e, err
	}
	slim := *d
	slim.Contract = nil
	return entry(&slim)
}
