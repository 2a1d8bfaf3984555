// Package ingestwire builds the ingest handler from its configuration and
// AWS clients. The Lambda main, the local stack and the tests all use it, so
// they run the same wiring; it links no other function's handler.
package ingestwire

import (
	"log/slog"
	"time"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/queue"
	"github.com/targetloader/targetloader/shared/store"
)

// New builds the ingest handler. Its clients should be made with
// lambdaenv.ForAPI, as the Lambda main and the local stack make them.
func New(cfg config.Ingest, db store.DynamoDB, sqs queue.SQS, log *slog.Logger) *ingest.Handler {
	log = httpapi.RequestLogger(log)
	return &ingest.Handler{
		Reader:      store.Reader{DB: db, TokensTable: cfg.TokensTable, JourneysTable: cfg.JourneysTable, RequestsTable: cfg.RequestsTable},
		Requests:    store.Requests{DB: db, Table: cfg.RequestsTable, IdempotencyTable: cfg.IdempotencyTable, Retention: cfg.Retention()},
		Queue:       queue.Sender{SQS: sqs, QueueURL: cfg.QueueURL},
		Records:     store.LoaderRecords{DB: db, Table: cfg.LoaderRecordsTable},
		RateLimiter: store.RateLimiter{DB: db, Table: cfg.RateLimitsTable},
		Accounts:    store.Accounts{DB: db, Table: cfg.AccountsTable, EmailsTable: cfg.AccountEmailsTable},
		RatePolicy:  domain.RatePolicy{PerSecond: cfg.RateLimitPerSecond, Burst: cfg.RateLimitBurst},
		Logger:      log,
		Now:         time.Now,
		// 2 s of the function's 10 s: AWS calls get 8 s, and after a stall
		// the abort of a partly queued request still has 1 s.
		DeadlineMargin: 2 * time.Second,
	}
}
