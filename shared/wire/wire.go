// Package wire builds each function's handler from its configuration and
// AWS clients. The Lambda mains, the local stack and the tests all use it,
// so they run the same wiring.
package wire

import (
	"log/slog"
	"time"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/consumer"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/queue"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/tokens"
)

// Ingest builds the ingest handler.
func Ingest(cfg config.Ingest, db store.DynamoDB, sqs queue.SQS, log *slog.Logger) *ingest.Handler {
	return &ingest.Handler{
		Reader:      store.Reader{DB: db, TokensTable: cfg.TokensTable, JourneysTable: cfg.JourneysTable, RequestsTable: cfg.RequestsTable},
		Requests:    store.Requests{DB: db, Table: cfg.RequestsTable, IdempotencyTable: cfg.IdempotencyTable},
		Queue:       queue.Sender{SQS: sqs, QueueURL: cfg.QueueURL},
		Records:     store.LoaderRecords{DB: db, Table: cfg.LoaderRecordsTable},
		RateLimiter: store.RateLimiter{DB: db, Table: cfg.RateLimitsTable},
		RatePolicy:  domain.RatePolicy{PerSecond: cfg.RateLimitPerSecond, Burst: cfg.RateLimitBurst},
		Logger:      log,
		Now:         time.Now,
	}
}

// Consumer builds the consumer handler.
func Consumer(cfg config.Consumer, db store.DynamoDB, log *slog.Logger) *consumer.Handler {
	return &consumer.Handler{
		Reader:             store.Reader{DB: db, JourneysTable: cfg.JourneysTable, RequestsTable: cfg.RequestsTable},
		Requests:           store.Requests{DB: db, Table: cfg.RequestsTable},
		Accounts:           store.Accounts{DB: db, Table: cfg.AccountsTable, EmailsTable: cfg.AccountEmailsTable},
		Targets:            store.JourneyTargets{DB: db, Table: cfg.JourneyTargetsTable},
		Records:            store.LoaderRecords{DB: db, Table: cfg.LoaderRecordsTable},
		Logger:             log,
		Now:                time.Now,
		MessageConcurrency: 4,
		EnqueuePoll:        250 * time.Millisecond,
		EnqueueWait:        3 * time.Second,
		DeadlineMargin:     3 * time.Second,
	}
}

// Tokens builds the tokens handler.
func Tokens(cfg config.Tokens, db store.DynamoDB, log *slog.Logger) *tokens.Handler {
	return &tokens.Handler{
		Tokens:     store.Tokens{DB: db, Table: cfg.TokensTable},
		Journeys:   store.Journeys{DB: db, Table: cfg.JourneysTable},
		APIBaseURL: cfg.APIBaseURL,
		Logger:     log,
		Now:        time.Now,
	}
}
