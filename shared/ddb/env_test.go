package ddb_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"

	"github.com/contracts-service/contracts/shared/ddb"
)

// TestEmptyEndpointIsUnset: template.yaml declares
// AWS_ENDPOINT_URL_DYNAMODB for every function (so that sam local can set
// it) and leaves it empty when deployed. Empty must mean DynamoDB's own
// endpoint, both in the functions' client and in the SDK's configuration
// chain the admin command uses; a value is the endpoint.
func TestEmptyEndpointIsUnset(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	t.Setenv("AWS_ACCESS_KEY_ID", "key")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_ENDPOINT_URL", "")
	tests := []struct {
		value string
		want  string
	}{
		{"", ""},
		{"http://host.docker.internal:8000", "http://host.docker.internal:8000"},
	}
	for _, tt := range tests {
		t.Run("value "+tt.value, func(t *testing.T) {
			t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", tt.value)
			client, err := ddb.NewClient(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(client.Options().BaseEndpoint); got != tt.want {
				t.Errorf("the functions' client: endpoint %q, want %q", got, tt.want)
			}
			cfg, err := config.LoadDefaultConfig(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := aws.ToString(ddb.NewClientFromConfig(cfg).Options().BaseEndpoint); got != tt.want {
				t.Errorf("the admin command's client: endpoint %q, want %q", got, tt.want)
			}
		})
	}
}
