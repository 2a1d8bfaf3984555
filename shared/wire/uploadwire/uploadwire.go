// Package uploadwire builds the upload handler from its configuration and
// AWS clients, for the Lambda main, the local stack and the tests alike.
package uploadwire

import (
	"log/slog"
	"time"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/queue"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/submit"
	"github.com/targetloader/targetloader/shared/upload"
)

// New builds the upload handler. Its clients should be made with
// lambdaenv.ForAPI, as the Lambda main and the local stack make them.
func New(cfg config.Upload, db store.DynamoDB, sqs queue.SQS, log *slog.Logger) *upload.Handler {
	// 2 s of the function's 10 s, as ingest: AWS calls get 8 s, and after
	// a stall the abort of a partly queued request still has 1 s.
	const margin = 2 * time.Second
	return &upload.Handler{
		Journeys: store.Journeys{DB: db, Table: cfg.JourneysTable},
		// Uploads take ingest's path: the same request records and queue.
		Submitter: submit.Submitter{
			Reader:         store.Reader{DB: db, RequestsTable: cfg.RequestsTable},
			Requests:       store.Requests{DB: db, Table: cfg.RequestsTable, IdempotencyTable: cfg.IdempotencyTable, Retention: cfg.Retention()},
			Queue:          queue.Sender{SQS: sqs, QueueURL: cfg.QueueURL},
			DeadlineMargin: margin,
		},
		Logger:         httpapi.RequestLogger(log),
		Now:            time.Now,
		DeadlineMargin: margin,
	}
}
