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
	"github.com/targetloader/targetloader/shared/secret"
	"github.com/targetloader/targetloader/shared/store"
)

// New builds the manage handler.
func New(cfg config.Manage, db store.DynamoDB, sm secret.SecretsManager, log *slog.Logger) *manage.Handler {
	region, _ := config.UserPoolRegion(cfg.UserPoolID) // checked when cfg was loaded
	return &manage.Handler{
		Tokens:      store.Tokens{DB: db, Table: cfg.TokensTable},
		Journeys:    store.Journeys{DB: db, Table: cfg.JourneysTable},
		Targets:     store.JourneyTargets{DB: db, Table: cfg.JourneyTargetsTable},
		Records:     store.LoaderRecords{DB: db, Table: cfg.LoaderRecordsTable},
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
