// Package consumerwire builds the consumer handler from its configuration
// and AWS clients, for the Lambda main, the local stack and the tests alike.
package consumerwire

import (
	"log/slog"
	"time"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/consumer"
	"github.com/targetloader/targetloader/shared/queue"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
)

// New builds the consumer handler.
func New(cfg config.Consumer, db store.DynamoDB, sqs queue.SQS, log *slog.Logger) *consumer.Handler {
	return &consumer.Handler{
		Reader:   store.Reader{DB: db, JourneysTable: cfg.JourneysTable, RequestsTable: cfg.RequestsTable},
		Requests: store.Requests{DB: db, Table: cfg.RequestsTable},
		Accounts: store.Accounts{DB: db, Table: cfg.AccountsTable, EmailsTable: cfg.AccountEmailsTable},
		Targets:  store.JourneyTargets{DB: db, Table: cfg.JourneyTargetsTable},
		Records:  store.LoaderRecords{DB: db, Table: cfg.LoaderRecordsTable, Retention: cfg.Retention()},
		// Messages refused for good leave the FIFO queue at once.
		DeadLetters: queue.DeadLetters{SQS: sqs, QueueURL: cfg.DLQURL},
		Webhooks:    queue.WebhookSender{SQS: sqs, QueueURL: cfg.WebhooksQueueURL},
		Logger:      log,
		Now:         time.Now,
		// A whole batch at once (resources.ConsumerFunction's event source).
		MessageConcurrency: resources.ConsumerFunction.EventSource.BatchSize,
		EnqueuePoll:        250 * time.Millisecond,
		EnqueueWait:        3 * time.Second,
		DeadlineMargin:     3 * time.Second,
	}
}
