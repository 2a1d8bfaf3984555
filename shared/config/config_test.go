package config_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/resources"
)

// setEnv sets vars for the test; the value unset unsets the variable.
func setEnv(t *testing.T, vars map[string]string) {
	t.Helper()
	for k, v := range vars {
		if v != unset {
			t.Setenv(k, v) // restored after the test
			continue
		}
		t.Setenv(k, "") // registers the restore
		if err := os.Unsetenv(k); err != nil {
			t.Fatal(err)
		}
	}
}

const unset = "\x00unset"

// allVars are every variable any function reads, so that the test
// process's own environment cannot leak in.
var allVars = func() []string {
	var vars []string
	for _, fn := range resources.Functions {
		vars = append(vars, fn.Env()...)
	}
	return vars
}()

func env(t *testing.T, base, override map[string]string) {
	t.Helper()
	vars := map[string]string{}
	for _, k := range allVars {
		vars[k] = unset
	}
	for k, v := range base {
		vars[k] = v
	}
	for k, v := range override {
		vars[k] = v
	}
	setEnv(t, vars)
}

var ingestEnv = map[string]string{
	"TOKENS_TABLE": "tl-tokens", "JOURNEYS_TABLE": "tl-journeys", "REQUESTS_TABLE": "tl-requests",
	"LOADER_RECORDS_TABLE": "tl-records", "IDEMPOTENCY_TABLE": "tl-idem", "RATE_LIMITS_TABLE": "tl-rates",
	"QUEUE_URL": "http://127.0.0.1:4566/000000000000/tl-targets", "ACCOUNTS_TABLE": "tl-accounts", "ACCOUNT_EMAILS_TABLE": "tl-account-emails",
}

var consumerEnv = map[string]string{
	"JOURNEYS_TABLE": "tl-journeys", "ACCOUNTS_TABLE": "tl-accounts", "ACCOUNT_EMAILS_TABLE": "tl-account-emails",
	"REQUESTS_TABLE": "tl-requests", "LOADER_RECORDS_TABLE": "tl-records", "JOURNEY_TARGETS_TABLE": "tl-journey-targets",
	"DLQ_URL":            "http://127.0.0.1:4566/000000000000/tl-targets-dlq.fifo",
	"WEBHOOKS_QUEUE_URL": "http://127.0.0.1:4566/000000000000/tl-webhooks",
}

var manageEnv = map[string]string{
	"TOKENS_TABLE": "tl-tokens", "JOURNEYS_TABLE": "tl-journeys", "JOURNEY_TARGETS_TABLE": "tl-journey-targets",
	"LOADER_RECORDS_TABLE": "tl-records", "WEBHOOK_DELIVERIES_TABLE": "tl-deliveries", "WEBHOOK_KEY_SECRET": "tl-key",
	"USER_POOL_ID": "us-east-1_AbC123", "USER_POOL_CLIENT_ID": "client123", "COGNITO_ENDPOINT": "http://127.0.0.1:4566",
}

func TestLoadIngest(t *testing.T) {
	tests := []struct {
		name     string
		override map[string]string
		want     config.Ingest
		wantErr  []string // substrings of the error
	}{
		{
			name: "defaults",
			want: config.Ingest{
				TokensTable: "tl-tokens", JourneysTable: "tl-journeys", RequestsTable: "tl-requests",
				LoaderRecordsTable: "tl-records", IdempotencyTable: "tl-idem", RateLimitsTable: "tl-rates",
				QueueURL: "http://127.0.0.1:4566/000000000000/tl-targets", AccountsTable: "tl-accounts", AccountEmailsTable: "tl-account-emails", RateLimitPerSecond: 10, RateLimitBurst: 20,
				RetentionDays: resources.DefaultRetentionDays,
			},
		},
		{
			name:     "rate limits set",
			override: map[string]string{"RATE_LIMIT_PER_SECOND": "5", "RATE_LIMIT_BURST": "5"},
			want: config.Ingest{
				TokensTable: "tl-tokens", JourneysTable: "tl-journeys", RequestsTable: "tl-requests",
				LoaderRecordsTable: "tl-records", IdempotencyTable: "tl-idem", RateLimitsTable: "tl-rates",
				QueueURL: "http://127.0.0.1:4566/000000000000/tl-targets", AccountsTable: "tl-accounts", AccountEmailsTable: "tl-account-emails", RateLimitPerSecond: 5, RateLimitBurst: 5,
				RetentionDays: resources.DefaultRetentionDays,
			},
		},
		{
			name:     "retention set",
			override: map[string]string{"RETENTION_DAYS": "30"},
			want: config.Ingest{
				TokensTable: "tl-tokens", JourneysTable: "tl-journeys", RequestsTable: "tl-requests",
				LoaderRecordsTable: "tl-records", IdempotencyTable: "tl-idem", RateLimitsTable: "tl-rates",
				QueueURL: "http://127.0.0.1:4566/000000000000/tl-targets", AccountsTable: "tl-accounts", AccountEmailsTable: "tl-account-emails", RateLimitPerSecond: 10, RateLimitBurst: 20,
				RetentionDays: 30,
			},
		},
		{name: "retention below the minimum", override: map[string]string{"RETENTION_DAYS": "29"}, wantErr: []string{"RETENTION_DAYS", "30", "29"}},
		{name: "retention not a number", override: map[string]string{"RETENTION_DAYS": "1y"}, wantErr: []string{"RetentionDays", "1y"}},
		// caarlos0/env names the Go field, not the variable, in parse errors.
		{name: "rate not a number", override: map[string]string{"RATE_LIMIT_PER_SECOND": "fast"}, wantErr: []string{"RateLimitPerSecond", "fast"}},
		{name: "burst not a number", override: map[string]string{"RATE_LIMIT_BURST": "1.5"}, wantErr: []string{"RateLimitBurst", "1.5"}},
		{name: "zero rate", override: map[string]string{"RATE_LIMIT_PER_SECOND": "0"}, wantErr: []string{"RATE_LIMIT_PER_SECOND"}},
		{name: "negative rate", override: map[string]string{"RATE_LIMIT_PER_SECOND": "-1", "RATE_LIMIT_BURST": "-1"}, wantErr: []string{"RATE_LIMIT_PER_SECOND"}},
		{name: "burst below rate", override: map[string]string{"RATE_LIMIT_PER_SECOND": "30"}, wantErr: []string{"RATE_LIMIT_BURST", "30", "20"}},
		{name: "burst over the limit", override: map[string]string{"RATE_LIMIT_BURST": "1001"}, wantErr: []string{"RATE_LIMIT_BURST", "1000", "1001"}},
		{name: "two missing", override: map[string]string{"TOKENS_TABLE": unset, "QUEUE_URL": unset}, wantErr: []string{"TOKENS_TABLE", "QUEUE_URL"}},
	}
	for _, name := range []string{"TOKENS_TABLE", "JOURNEYS_TABLE", "REQUESTS_TABLE", "LOADER_RECORDS_TABLE", "IDEMPOTENCY_TABLE", "RATE_LIMITS_TABLE", "QUEUE_URL"} {
		tests = append(tests,
			struct {
				name     string
				override map[string]string
				want     config.Ingest
				wantErr  []string
			}{name: name + " missing", override: map[string]string{name: unset}, wantErr: []string{name}},
			struct {
				name     string
				override map[string]string
				want     config.Ingest
				wantErr  []string
			}{name: name + " empty", override: map[string]string{name: ""}, wantErr: []string{name}},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env(t, ingestEnv, tt.override)
			got, err := config.Load[config.Ingest]()
			checkLoad(t, tt.want, got, err, tt.wantErr)
		})
	}
}

func TestLoadConsumer(t *testing.T) {
	tests := []struct {
		name     string
		override map[string]string
		want     config.Consumer
		wantErr  []string
	}{
		{
			name: "complete",
			want: config.Consumer{
				JourneysTable: "tl-journeys", AccountsTable: "tl-accounts", AccountEmailsTable: "tl-account-emails",
				RequestsTable: "tl-requests", LoaderRecordsTable: "tl-records", JourneyTargetsTable: "tl-journey-targets",
				DLQURL:           "http://127.0.0.1:4566/000000000000/tl-targets-dlq.fifo",
				WebhooksQueueURL: "http://127.0.0.1:4566/000000000000/tl-webhooks",
				RetentionDays:    resources.DefaultRetentionDays,
			},
		},
		{
			name:     "retention set",
			override: map[string]string{"RETENTION_DAYS": "731"},
			want: config.Consumer{
				JourneysTable: "tl-journeys", AccountsTable: "tl-accounts", AccountEmailsTable: "tl-account-emails",
				RequestsTable: "tl-requests", LoaderRecordsTable: "tl-records", JourneyTargetsTable: "tl-journey-targets",
				DLQURL:           "http://127.0.0.1:4566/000000000000/tl-targets-dlq.fifo",
				WebhooksQueueURL: "http://127.0.0.1:4566/000000000000/tl-webhooks",
				RetentionDays:    731,
			},
		},
		{name: "retention zero", override: map[string]string{"RETENTION_DAYS": "0"}, wantErr: []string{"RETENTION_DAYS", "0"}},
	}
	for _, name := range []string{"JOURNEYS_TABLE", "ACCOUNTS_TABLE", "ACCOUNT_EMAILS_TABLE", "REQUESTS_TABLE", "LOADER_RECORDS_TABLE", "JOURNEY_TARGETS_TABLE"} {
		tests = append(tests,
			struct {
				name     string
				override map[string]string
				want     config.Consumer
				wantErr  []string
			}{name: name + " missing", override: map[string]string{name: unset}, wantErr: []string{name}},
			struct {
				name     string
				override map[string]string
				want     config.Consumer
				wantErr  []string
			}{name: name + " empty", override: map[string]string{name: ""}, wantErr: []string{name}},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env(t, consumerEnv, tt.override)
			got, err := config.Load[config.Consumer]()
			checkLoad(t, tt.want, got, err, tt.wantErr)
		})
	}
}

func TestRetentionIsDays(t *testing.T) {
	// GIVEN retention settings of 30 and 400 days
	// WHEN / THEN each function's Retention is that many 24-hour days
	if got := (config.Ingest{RetentionDays: 30}).Retention(); got != 30*24*time.Hour {
		t.Errorf("ingest retention %v", got)
	}
	if got := (config.Consumer{RetentionDays: 400}).Retention(); got != 400*24*time.Hour {
		t.Errorf("consumer retention %v", got)
	}
}

func TestLoadManage(t *testing.T) {
	want := func(endpoint string) config.Manage {
		return config.Manage{
			TokensTable: "tl-tokens", JourneysTable: "tl-journeys", JourneyTargetsTable: "tl-journey-targets",
			LoaderRecordsTable: "tl-records", WebhookDeliveriesTable: "tl-deliveries", WebhookKeySecret: "tl-key",
			UserPoolID: "us-east-1_AbC123", UserPoolClientID: "client123", CognitoEndpoint: endpoint,
		}
	}
	tests := []struct {
		name     string
		override map[string]string
		want     config.Manage
		wantErr  []string
	}{
		{name: "local", want: want("http://127.0.0.1:4566")},
		{
			name:     "regional endpoint",
			override: map[string]string{"COGNITO_ENDPOINT": "https://cognito-idp.eu-west-1.amazonaws.com"},
			want:     want("https://cognito-idp.eu-west-1.amazonaws.com"),
		},
		{name: "COGNITO_ENDPOINT missing", override: map[string]string{"COGNITO_ENDPOINT": unset}, wantErr: []string{"COGNITO_ENDPOINT"}},
		{name: "COGNITO_ENDPOINT empty", override: map[string]string{"COGNITO_ENDPOINT": ""}, wantErr: []string{"COGNITO_ENDPOINT"}},
		{name: "COGNITO_ENDPOINT not a URL", override: map[string]string{"COGNITO_ENDPOINT": "not a url"}, wantErr: []string{"COGNITO_ENDPOINT", "not a url"}},
		{name: "COGNITO_ENDPOINT without scheme", override: map[string]string{"COGNITO_ENDPOINT": "example.com/prod"}, wantErr: []string{"COGNITO_ENDPOINT"}},
		{name: "COGNITO_ENDPOINT relative", override: map[string]string{"COGNITO_ENDPOINT": "/prod"}, wantErr: []string{"COGNITO_ENDPOINT"}},
		{name: "COGNITO_ENDPOINT ftp", override: map[string]string{"COGNITO_ENDPOINT": "ftp://example.com"}, wantErr: []string{"COGNITO_ENDPOINT"}},
		{name: "COGNITO_ENDPOINT without host", override: map[string]string{"COGNITO_ENDPOINT": "https://"}, wantErr: []string{"COGNITO_ENDPOINT"}},
		{name: "COGNITO_ENDPOINT unparsable", override: map[string]string{"COGNITO_ENDPOINT": "http://[::1"}, wantErr: []string{"COGNITO_ENDPOINT"}},
		{name: "USER_POOL_ID without region", override: map[string]string{"USER_POOL_ID": "AbC123"}, wantErr: []string{"USER_POOL_ID", "AbC123"}},
		{name: "USER_POOL_ID missing", override: map[string]string{"USER_POOL_ID": unset}, wantErr: []string{"USER_POOL_ID"}},
		{name: "USER_POOL_CLIENT_ID empty", override: map[string]string{"USER_POOL_CLIENT_ID": ""}, wantErr: []string{"USER_POOL_CLIENT_ID"}},
		{name: "TOKENS_TABLE missing", override: map[string]string{"TOKENS_TABLE": unset}, wantErr: []string{"TOKENS_TABLE"}},
		{name: "JOURNEYS_TABLE empty", override: map[string]string{"JOURNEYS_TABLE": ""}, wantErr: []string{"JOURNEYS_TABLE"}},
		{name: "LOADER_RECORDS_TABLE missing", override: map[string]string{"LOADER_RECORDS_TABLE": unset}, wantErr: []string{"LOADER_RECORDS_TABLE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env(t, manageEnv, tt.override)
			got, err := config.Load[config.Manage]()
			checkLoad(t, tt.want, got, err, tt.wantErr)
		})
	}
}

var uploadEnv = map[string]string{
	"JOURNEYS_TABLE": "tl-journeys", "REQUESTS_TABLE": "tl-requests", "IDEMPOTENCY_TABLE": "tl-idem", "QUEUE_URL": "https://sqs/q",
}

func TestLoadUpload(t *testing.T) {
	tests := []struct {
		name     string
		override map[string]string
		want     config.Upload
		wantErr  []string
	}{
		{name: "defaults", want: config.Upload{JourneysTable: "tl-journeys", RequestsTable: "tl-requests", IdempotencyTable: "tl-idem", QueueURL: "https://sqs/q", RetentionDays: 400}},
		{name: "QUEUE_URL missing", override: map[string]string{"QUEUE_URL": unset}, wantErr: []string{"QUEUE_URL"}},
		{name: "REQUESTS_TABLE empty", override: map[string]string{"REQUESTS_TABLE": ""}, wantErr: []string{"REQUESTS_TABLE"}},
		{name: "RETENTION_DAYS too short", override: map[string]string{"RETENTION_DAYS": "7"}, wantErr: []string{"RETENTION_DAYS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env(t, uploadEnv, tt.override)
			got, err := config.Load[config.Upload]()
			checkLoad(t, tt.want, got, err, tt.wantErr)
		})
	}
	if got := (config.Upload{RetentionDays: 30}).Retention(); got != 30*24*time.Hour {
		t.Errorf("upload retention %v", got)
	}
}

func TestUserPoolRegion(t *testing.T) {
	for id, want := range map[string]string{"eu-west-1_AbC123": "eu-west-1", "us-gov-west-1_x1": "us-gov-west-1", "AbC123": "", "eu-west-1_": "", "_AbC": "", "local_AbC": ""} {
		if got, ok := config.UserPoolRegion(id); got != want || ok != (want != "") {
			t.Errorf("UserPoolRegion(%q) = %q, %v; want %q", id, got, ok, want)
		}
	}
}

func checkLoad[T any](t *testing.T, want, got T, err error, wantErr []string) {
	t.Helper()
	if len(wantErr) == 0 {
		if err != nil {
			t.Fatalf("Load() error = %v", err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Load() mismatch (-want +got):\n%s", diff)
		}
		return
	}
	if err == nil {
		t.Fatalf("Load() = %+v, want an error naming %v", got, wantErr)
	}
	if !strings.HasPrefix(err.Error(), "configuration: ") {
		t.Errorf("error %q lacks the configuration: prefix", err)
	}
	for _, s := range wantErr {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not contain %q", err, s)
		}
	}
}
