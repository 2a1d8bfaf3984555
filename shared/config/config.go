// Package config is each function's typed environment configuration, parsed
// and validated once at cold start. Struct tags cannot name constants, so the
// env names are spelled out here; config_test checks that each struct reads
// exactly the variables its function's definition in shared/resources
// declares, the ones the CDK stack, template.yaml and the local stack set.
package config

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"github.com/targetloader/targetloader/shared/resources"
)

// Ingest configures the ingest function.
type Ingest struct {
	TokensTable        string `env:"TOKENS_TABLE,required,notEmpty"`
	JourneysTable      string `env:"JOURNEYS_TABLE,required,notEmpty"`
	RequestsTable      string `env:"REQUESTS_TABLE,required,notEmpty"`
	LoaderRecordsTable string `env:"LOADER_RECORDS_TABLE,required,notEmpty"`
	IdempotencyTable   string `env:"IDEMPOTENCY_TABLE,required,notEmpty"`
	RateLimitsTable    string `env:"RATE_LIMITS_TABLE,required,notEmpty"`
	QueueURL           string `env:"QUEUE_URL,required,notEmpty"`
	// AccountsTable and AccountEmailsTable are read by dry runs.
	AccountsTable      string `env:"ACCOUNTS_TABLE,required,notEmpty"`
	AccountEmailsTable string `env:"ACCOUNT_EMAILS_TABLE,required,notEmpty"`
	// RateLimitPerSecond and RateLimitBurst bound each token's request rate
	// (domain.RatePolicy); RateLimitBurst is at most MaxRateLimitBurst.
	RateLimitPerSecond int `env:"RATE_LIMIT_PER_SECOND" envDefault:"10"`
	RateLimitBurst     int `env:"RATE_LIMIT_BURST" envDefault:"20"`
	// RetentionDays is how long requests are kept (resources.DefaultRetentionDays).
	RetentionDays int `env:"RETENTION_DAYS" envDefault:"400"`
}

// MaxRateLimitBurst bounds RATE_LIMIT_BURST.
const MaxRateLimitBurst = 1000

// Consumer configures the consumer function.
type Consumer struct {
	JourneysTable       string `env:"JOURNEYS_TABLE,required,notEmpty"`
	AccountsTable       string `env:"ACCOUNTS_TABLE,required,notEmpty"`
	AccountEmailsTable  string `env:"ACCOUNT_EMAILS_TABLE,required,notEmpty"`
	RequestsTable       string `env:"REQUESTS_TABLE,required,notEmpty"`
	LoaderRecordsTable  string `env:"LOADER_RECORDS_TABLE,required,notEmpty"`
	JourneyTargetsTable string `env:"JOURNEY_TARGETS_TABLE,required,notEmpty"`
	// DLQURL is the targets DLQ, where the consumer moves the messages it
	// refuses for good (consumer.DeadLetters).
	DLQURL string `env:"DLQ_URL,required,notEmpty"`
	// WebhooksQueueURL receives the completion webhooks of requests with a callback URL.
	WebhooksQueueURL string `env:"WEBHOOKS_QUEUE_URL,required,notEmpty"`
	// RetentionDays is how long loader records are kept (resources.DefaultRetentionDays).
	RetentionDays int `env:"RETENTION_DAYS" envDefault:"400"`
}

// Manage configures the management function.
type Manage struct {
	TokensTable         string `env:"TOKENS_TABLE,required,notEmpty"`
	JourneysTable       string `env:"JOURNEYS_TABLE,required,notEmpty"`
	JourneyTargetsTable string `env:"JOURNEY_TARGETS_TABLE,required,notEmpty"`
	LoaderRecordsTable  string `env:"LOADER_RECORDS_TABLE,required,notEmpty"`
	// WebhookDeliveriesTable is listed for admins; WebhookKeySecret holds
	// the master key a new token's webhook secret is derived from.
	WebhookDeliveriesTable string `env:"WEBHOOK_DELIVERIES_TABLE,required,notEmpty"`
	WebhookKeySecret       string `env:"WEBHOOK_KEY_SECRET,required,notEmpty"`
	// UserPoolID, UserPoolClientID and CognitoEndpoint tell clients where
	// to sign in (GET /console/config.json).
	UserPoolID       string `env:"USER_POOL_ID,required,notEmpty"`
	UserPoolClientID string `env:"USER_POOL_CLIENT_ID,required,notEmpty"`
	CognitoEndpoint  string `env:"COGNITO_ENDPOINT,required,notEmpty"`
}

// Upload configures the upload function: admins' files of targets, queued
// as ingest queues the API's.
type Upload struct {
	JourneysTable    string `env:"JOURNEYS_TABLE,required,notEmpty"`
	RequestsTable    string `env:"REQUESTS_TABLE,required,notEmpty"`
	IdempotencyTable string `env:"IDEMPOTENCY_TABLE,required,notEmpty"`
	QueueURL         string `env:"QUEUE_URL,required,notEmpty"`
	// RetentionDays is how long requests are kept (resources.DefaultRetentionDays).
	RetentionDays int `env:"RETENTION_DAYS" envDefault:"400"`
}

// Webhooks configures the webhooks function.
type Webhooks struct {
	WebhookDeliveriesTable string `env:"WEBHOOK_DELIVERIES_TABLE,required,notEmpty"`
	WebhooksQueueURL       string `env:"WEBHOOKS_QUEUE_URL,required,notEmpty"`
	WebhookKeySecret       string `env:"WEBHOOK_KEY_SECRET,required,notEmpty"`
	// AllowPrivateNetworks lets deliveries reach loopback, private and
	// link-local addresses: the local stack's setting, false in AWS.
	AllowPrivateNetworks bool `env:"WEBHOOK_ALLOW_PRIVATE_NETWORKS,required"`
}

// Load parses the process environment into a T and validates it.
func Load[T any]() (T, error) {
	return LoadFrom[T](nil)
}

// LoadFrom parses environ (the process environment when nil) into a T and
// validates it. The local stack passes the same variables the stack sets.
func LoadFrom[T any](environ map[string]string) (T, error) {
	opts := env.Options{}
	if environ != nil {
		opts.Environment = environ
	}
	cfg, err := env.ParseAsWithOptions[T](opts)
	if err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	if v, ok := any(&cfg).(interface{ validate() error }); ok {
		if err := v.validate(); err != nil {
			return cfg, fmt.Errorf("configuration: %w", err)
		}
	}
	return cfg, nil
}

func (c *Ingest) validate() error {
	if c.RateLimitPerSecond <= 0 || c.RateLimitBurst < c.RateLimitPerSecond {
		return fmt.Errorf("RATE_LIMIT_PER_SECOND must be positive and RATE_LIMIT_BURST at least as large (got %d and %d)", c.RateLimitPerSecond, c.RateLimitBurst)
	}
	// The limiter keeps the time of each of a token's last RATE_LIMIT_BURST
	// requests in one item: 1,000 of them are about 9 KB, 9 write units a request.
	if c.RateLimitBurst > MaxRateLimitBurst {
		return fmt.Errorf("RATE_LIMIT_BURST must be at most %d (got %d)", MaxRateLimitBurst, c.RateLimitBurst)
	}
	return validRetention(c.RetentionDays)
}

func (c *Consumer) validate() error { return validRetention(c.RetentionDays) }

// Retention is how long the requests ingest writes are kept.
func (c Ingest) Retention() time.Duration { return days(c.RetentionDays) }

// Retention is how long the loader records the consumer writes are kept.
func (c Consumer) Retention() time.Duration { return days(c.RetentionDays) }

// Retention is how long the requests of admins' uploads are kept.
func (c Upload) Retention() time.Duration { return days(c.RetentionDays) }

func (c *Upload) validate() error { return validRetention(c.RetentionDays) }

func validRetention(d int) error {
	if d < resources.MinRetentionDays {
		return fmt.Errorf("RETENTION_DAYS must be at least %d, got %d", resources.MinRetentionDays, d)
	}
	return nil
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func (c *Manage) validate() error {
	u, err := url.Parse(c.CognitoEndpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("COGNITO_ENDPOINT must be an absolute http(s) URL, got %q", c.CognitoEndpoint)
	}
	if _, ok := UserPoolRegion(c.UserPoolID); !ok {
		return fmt.Errorf("USER_POOL_ID must be a Cognito user pool id such as eu-west-1_AbC123, got %q", c.UserPoolID)
	}
	return nil
}

// UserPoolRegion is the region of a Cognito user pool, the part of its id
// before the underscore ("eu-west-1" of "eu-west-1_AbC123"), as Cognito
// forms every pool id.
func UserPoolRegion(poolID string) (string, bool) {
	region, suffix, ok := strings.Cut(poolID, "_")
	if !ok || region == "" || suffix == "" || strings.ContainsAny(suffix, "_/") || strings.Count(region, "-") < 2 {
		return "", false
	}
	return region, true
}
