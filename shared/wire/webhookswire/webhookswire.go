// Package webhookswire builds the webhooks handler from its configuration
// and AWS clients, for the Lambda main, the local stack and the tests alike.
package webhookswire

import (
	"log/slog"
	"time"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/queue"
	"github.com/targetloader/targetloader/shared/secret"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/webhooks"
)

// New builds the webhooks handler. Its client refuses every address that
// is not public unless cfg allows private networks (the local stack).
func New(cfg config.Webhooks, db store.DynamoDB, sqs queue.VisibilitySQS, sm secret.SecretsManager, log *slog.Logger) *webhooks.Handler {
	return &webhooks.Handler{
		Deliveries:  store.WebhookDeliveries{DB: db, Table: cfg.WebhookDeliveriesTable},
		Keys:        &secret.WebhookKeys{SM: sm, SecretID: cfg.WebhookKeySecret},
		Delayer:     queue.Delayer{SQS: sqs, QueueURL: cfg.WebhooksQueueURL},
		Client:      webhooks.NewClient(cfg.AllowPrivateNetworks, nil),
		Logger:      log,
		Now:         time.Now,
		RetryDelays: domain.WebhookRetryDelays,
		Concurrency: 10,
	}
}
