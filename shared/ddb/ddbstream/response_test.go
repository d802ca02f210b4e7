package ddbstream

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// A function's answer is read as Lambda reads a stream batch's answer
// with ReportBatchItemFailures: nothing, null, an empty or null list is
// success; the lowest failed record is where the next attempt starts; an
// identifier that is empty or names no record of the batch, or an answer
// that is no DynamoDBEventResponse, fails the whole batch.
func TestFirstFailed(t *testing.T) {
	batch := []events.DynamoDBEventRecord{
		{Change: events.DynamoDBStreamRecord{SequenceNumber: "100"}},
		{Change: events.DynamoDBStreamRecord{SequenceNumber: "200"}},
		{Change: events.DynamoDBStreamRecord{SequenceNumber: "300"}},
	}
	tests := []struct {
		resp string
		want int
	}{
		{"", -1},
		{"null", -1},
		{"{}", -1},
		{`{"batchItemFailures":null}`, -1},
		{`{"batchItemFailures":[]}`, -1},
		{`{"batchItemFailures":[{"itemIdentifier":"200"}]}`, 1},
		{`{"batchItemFailures":[{"itemIdentifier":"300"},{"itemIdentifier":"200"}]}`, 1},
		{`{"batchItemFailures":[{"itemIdentifier":""}]}`, 0},
		{`{"batchItemFailures":[{"itemIdentifier":"999"}]}`, 0},
		{`{"batchItemFailures":[{"itemIdentifier":"300"},{"itemIdentifier":"999"}]}`, 0},
		{`not json`, 0},
	}
	for _, tc := range tests {
		if got := firstFailed([]byte(tc.resp), batch); got != tc.want {
			t.Errorf("%q: %d, want %d", tc.resp, got, tc.want)
		}
	}
}
