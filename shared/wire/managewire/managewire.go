// Package managewire builds the manage handler from its configuration and
// AWS clients, for the Lambda main, the local stack and the tests alike.
package managewire

import (
	"log/slog"
	"time"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/console"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/queue"
	"github.com/targetloader/targetloader/shared/secret"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/submit"
)

// New builds the manage handler.
func New(cfg config.Manage, db store.DynamoDB, sqs queue.SQS, sm secret.SecretsManager, log *slog.Logger) *manage.Handler {
	region, _ := config.UserPoolRegion(cfg.UserPoolID) // checked when cfg was loaded
	return &manage.Handler{
		Tokens:   store.Tokens{DB: db, Table: cfg.TokensTable},
		Journeys: store.Journeys{DB: db, Table: cfg.JourneysTable},
		Targets:  store.JourneyTargets{DB: db, Table: cfg.JourneyTargetsTable},
		Records:  store.LoaderRecords{DB: db, Table: cfg.LoaderRecordsTable},
		// Uploads take ingest's path: the same request records and queue.
		Uploads: submit.Submitter{
			Reader:   store.Reader{DB: db, RequestsTable: cfg.RequestsTable},
			Requests: store.Requests{DB: db, Table: cfg.RequestsTable, IdempotencyTable: cfg.IdempotencyTable, Retention: cfg.Retention()},
			Queue:    queue.Sender{SQS: sqs, QueueURL: cfg.QueueURL},
		},
		Deliveries:  store.WebhookDeliveries{DB: db, Table: cfg.WebhookDeliveriesTable},
		WebhookKeys: &secret.WebhookKeys{SM: sm, SecretID: cfg.WebhookKeySecret},
		SignIn: manage.SignIn{
			Region:          region,
			UserPoolID:      cfg.UserPoolID,
			ClientID:        cfg.UserPoolClientID,
			CognitoEndpoint: cfg.CognitoEndpoint,
		},
		Console: console.New(cfg.CognitoEndpoint),
		Logger:  httpapi.RequestLogger(log),
		Now:     time.Now,
	}
}
