// Package managewire builds the manage handler from its configuration and
// AWS clients, for the Lambda main, the local stack and the tests alike.
package managewire

import (
	"log/slog"
	"time"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/console"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/store"
)

// New builds the manage handler.
func New(cfg config.Manage, db store.DynamoDB, log *slog.Logger) *manage.Handler {
	region, _ := config.UserPoolRegion(cfg.UserPoolID) // checked when cfg was loaded
	return &manage.Handler{
		Tokens:   store.Tokens{DB: db, Table: cfg.TokensTable},
		Journeys: store.Journeys{DB: db, Table: cfg.JourneysTable},
		Targets:  store.JourneyTargets{DB: db, Table: cfg.JourneyTargetsTable},
		Records:  store.LoaderRecords{DB: db, Table: cfg.LoaderRecordsTable},
		SignIn: manage.SignIn{
			Region:          region,
			UserPoolID:      cfg.UserPoolID,
			ClientID:        cfg.UserPoolClientID,
			CognitoEndpoint: cfg.CognitoEndpoint,
		},
		Console: console.New(cfg.CognitoEndpoint),
		Logger:  log,
		Now:     time.Now,
	}
}
