// Package awsclient builds the AWS SDK configuration once per process.
package awsclient

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/targetloader/targetloader/shared/awsclient/lambdaenv"
)

// Load reads the SDK's default configuration (credential chain, region,
// AWS_ENDPOINT_URL for local stacks) with the functions' retryer and HTTP
// client (lambdaenv.NewRetryer, lambdaenv.NewHTTPClient). It serves tl, the local stack and the tests; the
// functions themselves build theirs with lambdaenv.Load, which links none of
// the credential chain.
func Load(ctx context.Context, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts = append([]func(*config.LoadOptions) error{
		config.WithRetryer(lambdaenv.NewRetryer),
		config.WithHTTPClient(lambdaenv.NewHTTPClient()),
	}, opts...)
	return config.LoadDefaultConfig(ctx, opts...)
}
