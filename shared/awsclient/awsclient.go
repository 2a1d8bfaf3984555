// Package awsclient builds the AWS SDK configuration once per process.
package awsclient

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
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
		// The consumer has up to 4 messages x 16 conditional puts in flight
		// (store.JourneyTargets.AddNew); with the SDK's default of 10 idle
		// connections per host, every call beyond 10 would open a new one.
		config.WithHTTPClient(awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
			t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
		})),
	}, opts...)
	return config.LoadDefaultConfig(ctx, opts...)
}

// MaxIdleConnsPerHost is how many connections to one AWS endpoint each
// client keeps open between calls.
const MaxIdleConnsPerHost = 64

// Retry budget of a synchronous API call (ForAPI).
const (
	APIMaxAttempts = 3
	APIMaxBackoff  = 200 * time.Millisecond
)

// ForAPI is cfg for the clients of a function that answers a caller while
// it waits (ingest, behind API Gateway): a failing call is retried at most
// APIMaxAttempts times with short backoff, so the caller soon gets a 503 to
// retry rather than a response that comes too late. Functions fed by a
// queue keep Load's patient retryer: their work is retried anyway.
func ForAPI(cfg aws.Config) aws.Config {
	cfg = cfg.Copy()
	cfg.Retryer = func() aws.Retryer {
		return retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = APIMaxAttempts
			o.MaxBackoff = APIMaxBackoff
		})
	}
	return cfg
}
