// Package awsclient builds the AWS SDK configuration once per process.
package awsclient

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/config"
)

// Load reads the SDK's default configuration (credential chain, region,
// AWS_ENDPOINT_URL for local stacks) with a retryer suited to Lambda:
// throttling and transient errors are retried with jittered backoff.
func Load(ctx context.Context, opts ...func(*config.LoadOptions) error) (aws.Config, error) {
	opts = append([]func(*config.LoadOptions) error{
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 8
				o.MaxBackoff = 2 * time.Second
			})
		}),
	}, opts...)
	return config.LoadDefaultConfig(ctx, opts...)
}
