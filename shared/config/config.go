// Package config is each function's typed environment configuration, parsed
// and validated once at cold start. Struct tags cannot name constants, so the
// env names are spelled out here; config_test checks that each struct reads
// exactly the variables its function's definition in shared/resources
// declares, the ones the CDK stack, template.yaml and the local stack set.
package config

import (
	"fmt"
	"net/url"
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
	// RateLimitPerSecond and RateLimitBurst bound each token's request rate.
	RateLimitPerSecond int `env:"RATE_LIMIT_PER_SECOND" envDefault:"10"`
	RateLimitBurst     int `env:"RATE_LIMIT_BURST" envDefault:"20"`
	// RetentionDays is how long requests are kept (resources.DefaultRetentionDays).
	RetentionDays int `env:"RETENTION_DAYS" envDefault:"400"`
}

// Consumer configures the consumer function.
type Consumer struct {
	JourneysTable       string `env:"JOURNEYS_TABLE,required,notEmpty"`
	AccountsTable       string `env:"ACCOUNTS_TABLE,required,notEmpty"`
	AccountEmailsTable  string `env:"ACCOUNT_EMAILS_TABLE,required,notEmpty"`
	RequestsTable       string `env:"REQUESTS_TABLE,required,notEmpty"`
	LoaderRecordsTable  string `env:"LOADER_RECORDS_TABLE,required,notEmpty"`
	JourneyTargetsTable string `env:"JOURNEY_TARGETS_TABLE,required,notEmpty"`
	// RetentionDays is how long loader records are kept (resources.DefaultRetentionDays).
	RetentionDays int `env:"RETENTION_DAYS" envDefault:"400"`
}

// Tokens configures the tokens function.
type Tokens struct {
	TokensTable   string `env:"TOKENS_TABLE,required,notEmpty"`
	JourneysTable string `env:"JOURNEYS_TABLE,required,notEmpty"`
	// APIBaseURL is the ingest API's base URL, returned with each new token.
	APIBaseURL string `env:"API_BASE_URL,required,notEmpty"`
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
	return validRetention(c.RetentionDays)
}

func (c *Consumer) validate() error { return validRetention(c.RetentionDays) }

// Retention is how long the requests ingest writes are kept.
func (c Ingest) Retention() time.Duration { return days(c.RetentionDays) }

// Retention is how long the loader records the consumer writes are kept.
func (c Consumer) Retention() time.Duration { return days(c.RetentionDays) }

func validRetention(d int) error {
	if d < resources.MinRetentionDays {
		return fmt.Errorf("RETENTION_DAYS must be at least %d, got %d", resources.MinRetentionDays, d)
	}
	return nil
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func (c *Tokens) validate() error {
	u, err := url.Parse(c.APIBaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("API_BASE_URL must be an absolute http(s) URL, got %q", c.APIBaseURL)
	}
	return nil
}
