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
	"QUEUE_URL": "http://127.0.0.1:4566/000000000000/tl-targets",
}

var consumerEnv = map[string]string{
	"JOURNEYS_TABLE": "tl-journeys", "ACCOUNTS_TABLE": "tl-accounts", "ACCOUNT_EMAILS_TABLE": "tl-account-emails",
	"REQUESTS_TABLE": "tl-requests", "LOADER_RECORDS_TABLE": "tl-records", "JOURNEY_TARGETS_TABLE": "tl-journey-targets",
}

var tokensEnv = map[string]string{
	"TOKENS_TABLE": "tl-tokens", "JOURNEYS_TABLE": "tl-journeys", "API_BASE_URL": "http://127.0.0.1:3000",
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
				QueueURL: "http://127.0.0.1:4566/000000000000/tl-targets", RateLimitPerSecond: 10, RateLimitBurst: 20,
				RetentionDays: resources.DefaultRetentionDays,
			},
		},
		{
			name:     "rate limits set",
			override: map[string]string{"RATE_LIMIT_PER_SECOND": "5", "RATE_LIMIT_BURST": "5"},
			want: config.Ingest{
				TokensTable: "tl-tokens", JourneysTable: "tl-journeys", RequestsTable: "tl-requests",
				LoaderRecordsTable: "tl-records", IdempotencyTable: "tl-idem", RateLimitsTable: "tl-rates",
				QueueURL: "http://127.0.0.1:4566/000000000000/tl-targets", RateLimitPerSecond: 5, RateLimitBurst: 5,
				RetentionDays: resources.DefaultRetentionDays,
			},
		},
		{
			name:     "retention set",
			override: map[string]string{"RETENTION_DAYS": "30"},
			want: config.Ingest{
				TokensTable: "tl-tokens", JourneysTable: "tl-journeys", RequestsTable: "tl-requests",
				LoaderRecordsTable: "tl-records", IdempotencyTable: "tl-idem", RateLimitsTable: "tl-rates",
				QueueURL: "http://127.0.0.1:4566/000000000000/tl-targets", RateLimitPerSecond: 10, RateLimitBurst: 20,
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
				RetentionDays: resources.DefaultRetentionDays,
			},
		},
		{
			name:     "retention set",
			override: map[string]string{"RETENTION_DAYS": "731"},
			want: config.Consumer{
				JourneysTable: "tl-journeys", AccountsTable: "tl-accounts", AccountEmailsTable: "tl-account-emails",
				RequestsTable: "tl-requests", LoaderRecordsTable: "tl-records", JourneyTargetsTable: "tl-journey-targets",
				RetentionDays: 731,
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

func TestLoadTokens(t *testing.T) {
	want := func(url string) config.Tokens {
		return config.Tokens{TokensTable: "tl-tokens", JourneysTable: "tl-journeys", APIBaseURL: url}
	}
	tests := []struct {
		name     string
		override map[string]string
		want     config.Tokens
		wantErr  []string
	}{
		{name: "local", want: want("http://127.0.0.1:3000")},
		{
			name:     "API Gateway stage",
			override: map[string]string{"API_BASE_URL": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod"},
			want:     want("https://abc123.execute-api.eu-west-1.amazonaws.com/prod"),
		},
		{name: "API_BASE_URL missing", override: map[string]string{"API_BASE_URL": unset}, wantErr: []string{"API_BASE_URL"}},
		{name: "API_BASE_URL empty", override: map[string]string{"API_BASE_URL": ""}, wantErr: []string{"API_BASE_URL"}},
		{name: "API_BASE_URL not a URL", override: map[string]string{"API_BASE_URL": "not a url"}, wantErr: []string{"API_BASE_URL", "not a url"}},
		{name: "API_BASE_URL without scheme", override: map[string]string{"API_BASE_URL": "example.com/prod"}, wantErr: []string{"API_BASE_URL"}},
		{name: "API_BASE_URL relative", override: map[string]string{"API_BASE_URL": "/prod"}, wantErr: []string{"API_BASE_URL"}},
		{name: "API_BASE_URL ftp", override: map[string]string{"API_BASE_URL": "ftp://example.com"}, wantErr: []string{"API_BASE_URL"}},
		{name: "API_BASE_URL without host", override: map[string]string{"API_BASE_URL": "https://"}, wantErr: []string{"API_BASE_URL"}},
		{name: "API_BASE_URL unparsable", override: map[string]string{"API_BASE_URL": "http://[::1"}, wantErr: []string{"API_BASE_URL"}},
		{name: "TOKENS_TABLE missing", override: map[string]string{"TOKENS_TABLE": unset}, wantErr: []string{"TOKENS_TABLE"}},
		{name: "JOURNEYS_TABLE empty", override: map[string]string{"JOURNEYS_TABLE": ""}, wantErr: []string{"JOURNEYS_TABLE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env(t, tokensEnv, tt.override)
			got, err := config.Load[config.Tokens]()
			checkLoad(t, tt.want, got, err, tt.wantErr)
		})
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
