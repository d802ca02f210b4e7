// Package trigger recognises what kind of event invoked a function: an API
// Gateway HTTP API request, an SQS batch, an EventBridge event, or a direct
// invocation (Step Functions, aws lambda invoke). Functions that more than
// one AWS service triggers decode their raw event once, here, and dispatch
// on the kind.
//
// A kind is recognised by the event's shape, which says nothing of who
// sent it: Lambda hands a function its event and no word of its invoker,
// and whoever may invoke the function can send any shape. Each path
// checks what AWS lets it check of its sender (httpapi.Origin for HTTP
// events, easybilling.Trust for the queue's and the bus's), and IAM
// decides who may invoke at all.
package trigger

import (
	"encoding/json"
	"errors"
)

// Kind is the kind of an event.
type Kind int

// The kinds of event a function can receive.
const (
	Unknown     Kind = iota
	HTTP             // API Gateway HTTP API, payload format 2.0
	SQS              // an SQS batch (Records with eventSource aws:sqs)
	EventBridge      // an EventBridge event (detail-type and detail)
	Direct           // a direct invocation: {"tenantId": ..., "request": {...}}
)

// ErrUnknown is returned for an event of no kind this package knows.
var ErrUnknown = errors.New("trigger: not an HTTP API, SQS, EventBridge or direct invocation event")

// probe holds just the fields that tell the kinds apart.
type probe struct {
	Version        string           `json:"version"`
	RouteKey       *string          `json:"routeKey"`
	RequestContext *json.RawMessage `json:"requestContext"`
	Records        []probeRecord    `json:"Records"`
	Type           *string          `json:"type"`
	DetailType     *string          `json:"detail-type"`
	Detail         *json.RawMessage `json:"detail"`
	TenantID       *string          `json:"tenantId"`
	Request        *json.RawMessage `json:"request"`
}

type probeRecord struct {
	EventSource string `json:"eventSource"`
}

// Recognise returns the kind of raw. Each kind is recognised by the fields
// its source always sends, so no event is mistaken for another: an HTTP
// API request by version 2.0 with a route key and request context (and no
// type, which only a Lambda authorizer's request has), an SQS
// batch by records whose eventSource is aws:sqs, an EventBridge event by
// detail-type and detail, a direct invocation by tenantId and request.
func Recognise(raw json.RawMessage) (Kind, error) {
	var p probe
	if err := json.Unmarshal(raw, &p); err != nil {
		return Unknown, ErrUnknown
	}
	switch {
	case p.Version == "2.0" && p.RouteKey != nil && p.RequestContext != nil && p.Type == nil:
		return HTTP, nil
	case len(p.Records) > 0 && allSQS(p.Records):
		return SQS, nil
	case p.DetailType != nil && p.Detail != nil:
		return EventBridge, nil
	case p.TenantID != nil && p.Request != nil:
		return Direct, nil
	}
	return Unknown, ErrUnknown
}

func allSQS(records []probeRecord) bool {
	for _, r := range records {
		if r.EventSource != "aws:sqs" {
			return false
		}
	}
	return true
}
