package lambdaenv_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/google/go-cmp/cmp"
	"github.com/targetloader/targetloader/shared/awsclient"
	"github.com/targetloader/targetloader/shared/awsclient/lambdaenv"
)

// setEnv replaces every AWS_ variable of the process with env for the test,
// and points LoadDefaultConfig away from the host's ~/.aws files and IMDS.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "AWS_") {
			t.Setenv(name, "") // restored after the test
			os.Unsetenv(name)
		}
	}
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// lambda is what the Lambda runtime sets for a function (its role's
// temporary credentials, the region) plus one of the function's own settings.
func lambda(extra map[string]string) map[string]string {
	env := map[string]string{
		"AWS_REGION":               "eu-west-1",
		"AWS_DEFAULT_REGION":       "eu-west-1",
		"AWS_ACCESS_KEY_ID":        "ASIALAMBDA",
		"AWS_SECRET_ACCESS_KEY":    "secret",
		"AWS_SESSION_TOKEN":        "session-token",
		"AWS_LAMBDA_FUNCTION_NAME": "ingest",
		"AWS_EXECUTION_ENV":        "AWS_Lambda_provided.al2023",
		"TOKENS_TABLE":             "tokens",
	}
	for k, v := range extra {
		if v == "" {
			delete(env, k)
		} else {
			env[k] = v
		}
	}
	return env
}

// clientView is what an SDK client takes from an aws.Config.
type clientView struct {
	Region           string
	BaseEndpoint     *string
	AppID            string
	FIPS             aws.FIPSEndpointState
	DualStack        aws.DualStackEndpointState
	RetryMaxAttempts int
}

// view is everything of an aws.Config that decides how the functions'
// clients call AWS.
type view struct {
	Region                        string
	BaseEndpoint                  *string
	AppID                         string
	DefaultsMode                  aws.DefaultsMode
	RequestMinCompressSizeBytes   int64
	DisableRequestCompression     bool
	DisableClockSkewCorrection    bool
	AccountIDEndpointMode         aws.AccountIDEndpointMode
	RequestChecksumCalculation    aws.RequestChecksumCalculation
	ResponseChecksumValidation    aws.ResponseChecksumValidation
	RestrictFilePermissions       aws.RestrictFilePermissions
	AuthSchemePreference          []string
	HTTPClient                    bool
	Logger                        string
	RetryMaxAttempts              int
	Credentials                   aws.Credentials
	CredentialSources             []aws.CredentialSource
	DynamoDB, SQS                 clientView
	DynamoDBAccountIDEndpointMode aws.AccountIDEndpointMode
	DynamoDBEndpointDiscovery     aws.EndpointDiscoveryEnableState
}

func viewOf(t *testing.T, cfg aws.Config) view {
	t.Helper()
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatalf("retrieve credentials: %v", err)
	}
	var sources []aws.CredentialSource
	if s, ok := cfg.Credentials.(aws.CredentialProviderSource); ok {
		sources = s.ProviderSources()
	}
	ddb := dynamodb.NewFromConfig(cfg).Options()
	q := sqs.NewFromConfig(cfg).Options()
	return view{
		Region:                      cfg.Region,
		BaseEndpoint:                cfg.BaseEndpoint,
		AppID:                       cfg.AppID,
		DefaultsMode:                cfg.DefaultsMode,
		RequestMinCompressSizeBytes: cfg.RequestMinCompressSizeBytes,
		DisableRequestCompression:   cfg.DisableRequestCompression,
		DisableClockSkewCorrection:  cfg.DisableClockSkewCorrection,
		AccountIDEndpointMode:       cfg.AccountIDEndpointMode,
		RequestChecksumCalculation:  cfg.RequestChecksumCalculation,
		ResponseChecksumValidation:  cfg.ResponseChecksumValidation,
		RestrictFilePermissions:     cfg.RestrictFilePermissions,
		AuthSchemePreference:        cfg.AuthSchemePreference,
		HTTPClient:                  cfg.HTTPClient != nil,
		Logger:                      fmt.Sprintf("%T", cfg.Logger),
		RetryMaxAttempts:            cfg.Retryer().MaxAttempts(),
		Credentials:                 creds,
		CredentialSources:           sources,
		DynamoDB: clientView{ddb.Region, ddb.BaseEndpoint, ddb.AppID, ddb.EndpointOptions.UseFIPSEndpoint,
			ddb.EndpointOptions.UseDualStackEndpoint, ddb.Retryer.MaxAttempts()},
		SQS: clientView{q.Region, q.BaseEndpoint, q.AppID, q.EndpointOptions.UseFIPSEndpoint,
			q.EndpointOptions.UseDualStackEndpoint, q.Retryer.MaxAttempts()},
		DynamoDBAccountIDEndpointMode: ddb.AccountIDEndpointMode,
		DynamoDBEndpointDiscovery:     ddb.EndpointDiscovery.EnableEndpointDiscovery,
	}
}

// TestLoadIsLoadDefaultConfigInLambda: for every environment a function can
// run in, Load gives the clients what LoadDefaultConfig (awsclient.Load,
// which the functions used before) gives them.
func TestLoadIsLoadDefaultConfigInLambda(t *testing.T) {
	cases := map[string]map[string]string{
		"lambda":                     lambda(nil),
		"AWS_DEFAULT_REGION only":    lambda(map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": "us-west-2"}),
		"AWS_REGION wins":            lambda(map[string]string{"AWS_DEFAULT_REGION": "us-west-2"}),
		"long-term keys":             lambda(map[string]string{"AWS_SESSION_TOKEN": ""}),
		"account id":                 lambda(map[string]string{"AWS_ACCOUNT_ID": "123456789012"}),
		"endpoint url":               lambda(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566"}),
		"service endpoint":           lambda(map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}),
		"service endpoint with sqs":  lambda(map[string]string{"AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9324"}),
		"endpoint and service":       lambda(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:8000"}),
		"ignore configured":          lambda(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_ENDPOINT_URL_SQS": "http://127.0.0.1:9324", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "TRUE"}),
		"do not ignore configured":   lambda(map[string]string{"AWS_ENDPOINT_URL": "http://127.0.0.1:4566", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "false"}),
		"fips and dual-stack":        lambda(map[string]string{"AWS_USE_FIPS_ENDPOINT": "true", "AWS_USE_DUALSTACK_ENDPOINT": "True"}),
		"fips and dual-stack off":    lambda(map[string]string{"AWS_USE_FIPS_ENDPOINT": "false", "AWS_USE_DUALSTACK_ENDPOINT": "FALSE"}),
		"app id":                     lambda(map[string]string{"AWS_SDK_UA_APP_ID": "target-loader"}),
		"retry settings overridden":  lambda(map[string]string{"AWS_MAX_ATTEMPTS": "2", "AWS_RETRY_MODE": "adaptive"}),
		"container credentials too":  lambda(map[string]string{"AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/creds", "AWS_CONTAINER_AUTHORIZATION_TOKEN": "x"}),
		"web identity too":           lambda(map[string]string{"AWS_WEB_IDENTITY_TOKEN_FILE": "/nonexistent", "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/r"}),
		"log format and level (SDK)": lambda(map[string]string{"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "DEBUG"}),
	}
	for name, env := range cases {
		t.Run(name, func(t *testing.T) {
			setEnv(t, env)
			want, err := awsclient.Load(context.Background())
			if err != nil {
				t.Fatalf("LoadDefaultConfig: %v", err)
			}
			got, err := lambdaenv.Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if diff := cmp.Diff(viewOf(t, want), viewOf(t, got)); diff != "" {
				t.Errorf("Load differs from LoadDefaultConfig (-LoadDefaultConfig +Load):\n%s", diff)
			}
		})
	}
}

// TestLoadRefusesAtColdStart: what would leave a function without a working
// SDK, or working differently than configured, fails Load with the name of
// the variable at fault.
func TestLoadRefusesAtColdStart(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"no region":                 {lambda(map[string]string{"AWS_REGION": "", "AWS_DEFAULT_REGION": ""}), "AWS_REGION is not set"},
		"no access key":             {lambda(map[string]string{"AWS_ACCESS_KEY_ID": ""}), "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set"},
		"no secret key":             {lambda(map[string]string{"AWS_SECRET_ACCESS_KEY": ""}), "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set"},
		"endpoint without a scheme": {lambda(map[string]string{"AWS_ENDPOINT_URL": "127.0.0.1:4566"}), `AWS_ENDPOINT_URL must be an absolute http(s) URL, got "127.0.0.1:4566"`},
		"bad service endpoint":      {lambda(map[string]string{"AWS_ENDPOINT_URL_SQS": "ftp://queue"}), `AWS_ENDPOINT_URL_SQS must be an absolute http(s) URL, got "ftp://queue"`},
		"fips not a boolean":        {lambda(map[string]string{"AWS_USE_FIPS_ENDPOINT": "yes"}), `AWS_USE_FIPS_ENDPOINT must be true or false, got "yes"`},
		"dual-stack not a boolean":  {lambda(map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "1"}), `AWS_USE_DUALSTACK_ENDPOINT must be true or false, got "1"`},
		"ignore not a boolean":      {lambda(map[string]string{"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "on"}), `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS must be true or false, got "on"`},
	}
	for _, name := range lambdaenv.Unsupported {
		cases[name] = struct {
			env  map[string]string
			want string
		}{lambda(map[string]string{name: "x"}), name + " is set, but the functions' SDK configuration (shared/awsclient/lambdaenv) does not support it"}
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			setEnv(t, c.env)
			_, err := lambdaenv.Load()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Load() error = %v, want one containing %q", err, c.want)
			}
		})
	}
}

// TestClientsCallTheConfiguredEndpoints: requests of clients built from Load
// reach AWS_ENDPOINT_URL (or the service's own), signed with the
// environment's credentials for its region.
func TestClientsCallTheConfiguredEndpoints(t *testing.T) {
	type call struct{ server, target, auth, token string }
	var (
		mu    sync.Mutex
		calls []call
	)
	serve := func(server string) *httptest.Server {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			calls = append(calls, call{server, r.Header.Get("X-Amz-Target"), r.Header.Get("Authorization"), r.Header.Get("X-Amz-Security-Token")})
			mu.Unlock()
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = w.Write([]byte(`{}`))
		}))
		t.Cleanup(srv.Close)
		return srv
	}
	shared, own := serve("AWS_ENDPOINT_URL"), serve("AWS_ENDPOINT_URL_SQS")
	setEnv(t, lambda(map[string]string{"AWS_ENDPOINT_URL": shared.URL, "AWS_ENDPOINT_URL_SQS": own.URL}))
	cfg, err := lambdaenv.Load()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := dynamodb.NewFromConfig(cfg).GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("tokens"),
		Key:       map[string]ddbtypes.AttributeValue{"token_hash": &ddbtypes.AttributeValueMemberS{Value: "h"}},
	}); err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	if _, err := sqs.NewFromConfig(cfg).SendMessageBatch(ctx, &sqs.SendMessageBatchInput{
		QueueUrl: aws.String(own.URL + "/000000000000/targets"),
		Entries:  []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("0"), MessageBody: aws.String("{}")}},
	}); err != nil {
		t.Fatalf("SendMessageBatch: %v", err)
	}

	want := []call{
		{"AWS_ENDPOINT_URL", "DynamoDB_20120810.GetItem", "/eu-west-1/dynamodb/aws4_request", "session-token"},
		{"AWS_ENDPOINT_URL_SQS", "AmazonSQS.SendMessageBatch", "/eu-west-1/sqs/aws4_request", "session-token"},
	}
	if len(calls) != len(want) {
		t.Fatalf("calls = %+v, want %d", calls, len(want))
	}
	for i, c := range calls {
		w := want[i]
		if c.server != w.server || c.target != w.target || c.token != w.token ||
			!strings.Contains(c.auth, "Credential=ASIALAMBDA/") || !strings.Contains(c.auth, w.auth) {
			t.Errorf("call %d = %+v, want %s at %s signed by ASIALAMBDA for %s with the session token", i, c, w.target, w.server, w.auth)
		}
	}
}

// Every client keeps enough connections open for the consumer's concurrent
// conditional puts, in Lambda and in the local stack alike.
func TestClientsKeepConnectionsForConcurrentCalls(t *testing.T) {
	setEnv(t, lambda(nil))
	fromEnv, err := lambdaenv.Load()
	if err != nil {
		t.Fatal(err)
	}
	local, err := awsclient.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]aws.Config{"lambdaenv.Load": fromEnv, "awsclient.Load": local} {
		c, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
		if !ok {
			t.Fatalf("%s: HTTP client %T", name, cfg.HTTPClient)
		}
		if n := c.GetTransport().MaxIdleConnsPerHost; n != lambdaenv.MaxIdleConnsPerHost {
			t.Errorf("%s: MaxIdleConnsPerHost = %d, want %d", name, n, lambdaenv.MaxIdleConnsPerHost)
		}
	}
}

// Ingest's clients give up sooner than the others: they answer a caller who waits.
func TestForAPIHasAShortRetryBudget(t *testing.T) {
	setEnv(t, lambda(nil))
	cfg, err := lambdaenv.Load()
	if err != nil {
		t.Fatal(err)
	}
	if n := lambdaenv.ForAPI(cfg).Retryer().MaxAttempts(); n != lambdaenv.APIMaxAttempts {
		t.Errorf("ForAPI's retryer makes %d attempts, want %d", n, lambdaenv.APIMaxAttempts)
	}
	if n := cfg.Retryer().MaxAttempts(); n != 8 {
		t.Errorf("the functions' retryer makes %d attempts, want 8 (and ForAPI must not change it)", n)
	}
}
