package awsenv_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/contracts-service/contracts/shared/awsenv"
)

// The endpoint is the service's most specific override that is set, else
// AWS_ENDPOINT_URL's, else none; an override set empty (as deployed) is
// not set. The region and credentials are Lambda's.
func TestConfig(t *testing.T) {
	for _, tt := range []struct {
		name            string
		streams, dynamo string
		generic         string
		want            string
	}{
		{name: "the service's own", streams: "http://streams", dynamo: "http://dynamo", generic: "http://any", want: "http://streams"},
		{name: "the next the service names", dynamo: "http://dynamo", generic: "http://any", want: "http://dynamo"},
		{name: "every service's", generic: "http://any", want: "http://any"},
		{name: "empty as deployed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", "eu-west-1")
			t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
			t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
			t.Setenv("AWS_SESSION_TOKEN", "token")
			t.Setenv("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", tt.streams)
			t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", tt.dynamo)
			t.Setenv("AWS_ENDPOINT_URL", tt.generic)
			cfg, err := awsenv.Config("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", "AWS_ENDPOINT_URL_DYNAMODB")
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(cfg.BaseEndpoint); got != tt.want {
				t.Errorf("endpoint %q, want %q", got, tt.want)
			}
			creds, err := cfg.Credentials.Retrieve(context.Background())
			if err != nil || cfg.Region != "eu-west-1" || creds.AccessKeyID != "AKID" || creds.SecretAccessKey != "secret" || creds.SessionToken != "token" {
				t.Errorf("region %q, credentials %+v (%v), want Lambda's", cfg.Region, creds, err)
			}
		})
	}
}

// Outside Lambda's environment (no region or credentials) there is no
// client to make: the error names what must be set.
func TestConfigNeedsLambdasEnvironment(t *testing.T) {
	for _, unset := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Setenv("AWS_REGION", "eu-west-1")
		t.Setenv("AWS_DEFAULT_REGION", "")
		t.Setenv("AWS_ACCESS_KEY_ID", "AKID")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
		t.Setenv(unset, "")
		if _, err := awsenv.Config(); err == nil {
			t.Errorf("%s unset: no error", unset)
		}
	}
}
