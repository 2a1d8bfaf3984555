// Package tokenswire builds the tokens handler from its configuration and
// AWS clients, for the Lambda main, the local stack and the tests alike.
package tokenswire

import (
	"log/slog"
	"time"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/tokens"
)

// New builds the tokens handler.
func New(cfg config.Tokens, db store.DynamoDB, log *slog.Logger) *tokens.Handler {
	return &tokens.Handler{
		Tokens:     store.Tokens{DB: db, Table: cfg.TokensTable},
		Journeys:   store.Journeys{DB: db, Table: cfg.JourneysTable},
		APIBaseURL: cfg.APIBaseURL,
		Logger:     log,
		Now:        time.Now,
	}
}
