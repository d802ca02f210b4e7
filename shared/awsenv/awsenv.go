// Package awsenv configures the AWS SDK's clients from the environment
// Lambda gives every function: AWS_REGION, the function's credentials in
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, and the
// SDKs' standard endpoint overrides (AWS_ENDPOINT_URL_<SERVICE>, then
// AWS_ENDPOINT_URL), which point a client at a local emulation with no
// code branch in the service.
//
// It leaves the SDK's config package out on purpose: its default chain
// (shared config files, SSO, web identity, the instance metadata service)
// is never needed inside Lambda, and linking and running it costs every
// cold start about a millisecond. Programs run by people, whose
// credentials come from profiles, use config.LoadDefaultConfig instead.
package awsenv

import (
	"cmp"
	"context"
	"errors"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// Config is the configuration of a client of one service: the region,
// the credentials, and the endpoint the first set of endpointEnvs names
// (the service's own overrides, most specific first), else
// AWS_ENDPOINT_URL's, else none (the service's own).
func Config(endpointEnvs ...string) (aws.Config, error) {
	region := cmp.Or(os.Getenv("AWS_REGION"), os.Getenv("AWS_DEFAULT_REGION"))
	key, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if region == "" || key == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_REGION, AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set, as Lambda sets them")
	}
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN"), Source: "EnvironmentVariables"}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return creds, nil
		}),
	}
	for _, name := range append(endpointEnvs, "AWS_ENDPOINT_URL") {
		if endpoint := os.Getenv(name); endpoint != "" {
			cfg.BaseEndpoint = &endpoint
			break
		}
	}
	return cfg, nil
}
