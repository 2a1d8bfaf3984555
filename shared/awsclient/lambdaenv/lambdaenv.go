// Package lambdaenv builds a Lambda function's AWS SDK configuration from
// the variables the Lambda runtime sets, without the SDK's config package:
// config.LoadDefaultConfig links the STS, SSO, SSO-OIDC and sign-in clients,
// IMDS and the shared config file parser (1.9 MB of each function binary,
// PERFORMANCE.md "Lambda binaries"), none of which a function uses, since
// Lambda hands it its region and its role's credentials in the environment.
//
// Load returns what LoadDefaultConfig returns in Lambda, field for field
// (lambdaenv_test compares the two). A setting LoadDefaultConfig would
// honour and Load does not is refused at cold start, not ignored.
package lambdaenv

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/smithy-go/logging"
)

// NewRetryer is the retryer of every SDK client of the service, in Lambda
// and in tl and the local stack (awsclient.Load): throttling and transient
// errors are retried with jittered backoff.
func NewRetryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) {
		o.MaxAttempts = 8
		o.MaxBackoff = 2 * time.Second
	})
}

// MaxIdleConnsPerHost is how many connections to one AWS endpoint a client
// keeps open between calls. The consumer has up to 10 journeys' messages x 4
// batch calls in flight (shared/sqsbatch, store's batchConcurrency); with
// the SDK's default of 10, every call beyond 10 would open a new connection.
const MaxIdleConnsPerHost = 64

// NewHTTPClient is the HTTP client of every SDK client of the service, in
// Lambda and in tl and the local stack: the SDK's own, keeping
// MaxIdleConnsPerHost connections per endpoint.
func NewHTTPClient() *awshttp.BuildableClient {
	return awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.MaxIdleConnsPerHost = MaxIdleConnsPerHost
	})
}

// The retry budget of a function that answers a caller while it waits (ForAPI).
const (
	APIMaxAttempts = 3
	APIMaxBackoff  = 200 * time.Millisecond
)

// ForAPI is cfg for the clients of a function that answers a caller while
// it waits (ingest, behind API Gateway): a failing call is tried at most
// APIMaxAttempts times with short backoff, so the caller soon gets a 503 to
// retry rather than an answer that comes too late. Functions fed by a queue
// keep NewRetryer's patience: their work is retried anyway.
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

// Unsupported lists the SDK settings LoadDefaultConfig reads from the
// environment that Load does not implement. Lambda sets none of them.
// AWS_MAX_ATTEMPTS and AWS_RETRY_MODE are not here: LoadDefaultConfig
// ignores them too when given a retryer.
var Unsupported = []string{
	"AWS_PROFILE",
	"AWS_DEFAULT_PROFILE",
	"AWS_CA_BUNDLE",
	"AWS_DEFAULTS_MODE",
	"AWS_ENABLE_ENDPOINT_DISCOVERY",
	"AWS_ACCOUNT_ID_ENDPOINT_MODE",
	"AWS_REQUEST_CHECKSUM_CALCULATION",
	"AWS_RESPONSE_CHECKSUM_VALIDATION",
	"AWS_DISABLE_REQUEST_COMPRESSION",
	"AWS_REQUEST_MIN_COMPRESSION_SIZE_BYTES",
	"AWS_DISABLE_CLOCK_SKEW_CORRECTION",
	"AWS_AUTH_SCHEME_PREFERENCE",
}

// Load reads the SDK configuration from the environment:
//
//   - the region from AWS_REGION, else AWS_DEFAULT_REGION (required);
//   - the credentials from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY
//     (required), AWS_SESSION_TOKEN and AWS_ACCOUNT_ID; Lambda's are valid
//     for the life of the execution environment, so they are read once;
//   - endpoints from AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_<SERVICE> (local
//     stacks, the smoke tests), AWS_IGNORE_CONFIGURED_ENDPOINT_URLS,
//     AWS_USE_FIPS_ENDPOINT and AWS_USE_DUALSTACK_ENDPOINT;
//   - the SDK app id from AWS_SDK_UA_APP_ID;
//
// with NewRetryer, NewHTTPClient and the SDK's defaults for everything else. A missing or
// malformed value, or a setting of Unsupported, is an error that names the
// variable.
func Load() (aws.Config, error) {
	for _, name := range Unsupported {
		if os.Getenv(name) != "" {
			return aws.Config{}, fmt.Errorf("%s is set, but the functions' SDK configuration (shared/awsclient/lambdaenv) does not support it: unset it", name)
		}
	}
	region := os.Getenv("AWS_REGION")
	if region == "" {
		region = os.Getenv("AWS_DEFAULT_REGION")
	}
	if region == "" {
		return aws.Config{}, errors.New("AWS_REGION is not set (Lambda sets it): the AWS SDK needs a region")
	}
	creds := aws.Credentials{
		AccessKeyID:     os.Getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    os.Getenv("AWS_SESSION_TOKEN"),
		AccountID:       os.Getenv("AWS_ACCOUNT_ID"),
		Source:          "EnvConfigCredentials", // config.CredentialsSourceName
	}
	if !creds.HasKeys() {
		return aws.Config{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set (Lambda sets them from the function's role): the AWS SDK needs credentials")
	}
	src, err := readEndpointSettings()
	if err != nil {
		return aws.Config{}, err
	}
	cfg := aws.Config{
		Region: region,
		Credentials: aws.NewCredentialsCache(credentials.StaticCredentialsProvider{
			Value:  creds,
			Source: []aws.CredentialSource{aws.CredentialSourceEnvVars},
		}),
		Retryer:       NewRetryer,
		HTTPClient:    NewHTTPClient(),
		Logger:        logging.NewStandardLogger(os.Stderr),
		ConfigSources: []any{src},
		AppID:         os.Getenv("AWS_SDK_UA_APP_ID"),
		// LoadDefaultConfig's values when the environment says nothing.
		DefaultsMode:                aws.DefaultsModeLegacy,
		RequestMinCompressSizeBytes: 10240,
		AccountIDEndpointMode:       aws.AccountIDEndpointModePreferred,
		RequestChecksumCalculation:  aws.RequestChecksumCalculationWhenSupported,
		ResponseChecksumValidation:  aws.ResponseChecksumValidationWhenSupported,
		RestrictFilePermissions:     aws.RestrictFilePermissionsUserReadWrite,
	}
	if endpoint := os.Getenv("AWS_ENDPOINT_URL"); endpoint != "" && !src.ignoreEndpoints {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	return cfg, nil
}

// endpointSettings answers the questions the SDK's service clients ask of
// each aws.Config.ConfigSources entry when built (the interfaces of the
// SDK's internal/configsources), as the config package's EnvConfig does.
type endpointSettings struct {
	ignoreEndpoints bool
	fips            aws.FIPSEndpointState
	dualStack       aws.DualStackEndpointState
}

func readEndpointSettings() (endpointSettings, error) {
	var s endpointSettings
	// A client falls back to the service's default endpoint when its
	// AWS_ENDPOINT_URL_<SERVICE> is bad: check every endpoint here.
	for _, kv := range os.Environ() {
		name, endpoint, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AWS_ENDPOINT_URL") && endpoint != "" {
			u, err := url.Parse(endpoint)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return s, fmt.Errorf("%s must be an absolute http(s) URL, got %q", name, endpoint)
			}
		}
	}
	var err error
	if s.ignoreEndpoints, _, err = boolEnv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"); err != nil {
		return s, err
	}
	if s.fips, err = endpointState("AWS_USE_FIPS_ENDPOINT", aws.FIPSEndpointStateEnabled, aws.FIPSEndpointStateDisabled); err != nil {
		return s, err
	}
	if s.dualStack, err = endpointState("AWS_USE_DUALSTACK_ENDPOINT", aws.DualStackEndpointStateEnabled, aws.DualStackEndpointStateDisabled); err != nil {
		return s, err
	}
	return s, nil
}

// GetIgnoreConfiguredEndpoints reports AWS_IGNORE_CONFIGURED_ENDPOINT_URLS.
func (s endpointSettings) GetIgnoreConfiguredEndpoints(context.Context) (bool, bool, error) {
	return s.ignoreEndpoints, true, nil
}

// GetServiceBaseEndpoint reads AWS_ENDPOINT_URL_<SERVICE>: the service's
// SDK id upper-cased, spaces as underscores (AWS_ENDPOINT_URL_DYNAMODB).
func (s endpointSettings) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	endpoint := os.Getenv("AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_"))
	return endpoint, endpoint != "", nil
}

// GetUseFIPSEndpoint reports AWS_USE_FIPS_ENDPOINT.
func (s endpointSettings) GetUseFIPSEndpoint(context.Context) (aws.FIPSEndpointState, bool, error) {
	return s.fips, s.fips != aws.FIPSEndpointStateUnset, nil
}

// GetUseDualStackEndpoint reports AWS_USE_DUALSTACK_ENDPOINT.
func (s endpointSettings) GetUseDualStackEndpoint(context.Context) (aws.DualStackEndpointState, bool, error) {
	return s.dualStack, s.dualStack != aws.DualStackEndpointStateUnset, nil
}

// endpointState reads a boolean setting into the SDK's state type for it,
// whose zero value is "unset".
func endpointState[S any](name string, enabled, disabled S) (S, error) {
	var unset S
	on, set, err := boolEnv(name)
	switch {
	case err != nil || !set:
		return unset, err
	case on:
		return enabled, nil
	default:
		return disabled, nil
	}
}

// boolEnv reads a boolean as the SDK does: true or false in any case, empty
// as unset, anything else an error.
func boolEnv(name string) (value, set bool, err error) {
	switch v := os.Getenv(name); {
	case v == "":
		return false, false, nil
	case strings.EqualFold(v, "true"):
		return true, true, nil
	case strings.EqualFold(v, "false"):
		return false, true, nil
	default:
		return false, false, fmt.Errorf("%s must be true or false, got %q", name, v)
	}
}
