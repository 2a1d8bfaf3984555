package main

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/manage"
)

func (a *app) tokensCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Generate, list and expire a journey's API tokens (signed in, through the management API)",
		Example: `  tl tokens options --journey J-DEMO
  tl tokens create --journey J-DEMO --expires 90d
  tl tokens list --journey J-DEMO`,
	}
	cmd.AddCommand(a.tokensOptionsCmd(), a.tokensCreateCmd(), a.tokensListCmd(), a.tokensExpireCmd())
	return cmd
}

func (a *app) tokensOptionsCmd() *cobra.Command {
	var journey string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "options --journey ID",
		Short: "List the expiry choices a new token of the journey can have now",
		Example: `  tl tokens options --journey J-DEMO
  tl tokens options --journey J-DEMO --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var j manage.JourneyDetail
			if err := a.call(cmd.Context(), http.MethodGet, "/manage/journeys/"+pathEscape(journey), nil, nil, &j); err != nil {
				return err
			}
			if j.Ended {
				return fmt.Errorf("journey %s ended on %s: no token can be generated for it", j.ID, j.EndDate)
			}
			if asJSON {
				return printJSONList(a, j.ExpiryOptions)
			}
			end := j.EndDate
			if end == "" {
				end = "none"
			}
			a.printf("journey %s (end date: %s)\n", j.ID, end)
			rows := make([][]string, len(j.ExpiryOptions))
			for i, o := range j.ExpiryOptions {
				rows[i] = []string{string(o.ID), o.Label, formatTime(o.ExpiresAt)}
			}
			return a.printTable([]string{"CHOICE", "LABEL", "EXPIRES AT"}, rows)
		},
	}
	cmd.Flags().StringVar(&journey, "journey", "", "journey id (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the options as a JSON array")
	requireFlag(cmd, "journey")
	return cmd
}

func (a *app) tokensCreateCmd() *cobra.Command {
	var journey, expires, callbackURL string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --journey ID --expires CHOICE [--callback-url URL]",
		Short: "Generate an API token for a journey; the secret is shown only once",
		Long: `Generate an API token for a journey. The token and the endpoint to call are
printed once; the service keeps only a hash of the token. The token's creator
is the signed-in user (tl whoami).

--expires is one of the choices "tl tokens options" lists: 30d, 90d, 6m, 1y,
journey_end.

--callback-url (an https URL) receives a signed request.completed webhook
whenever a request sent with this token completes; its signing secret
(webhook_secret: whsec_...) is printed once with the token.`,
		Example: `  tl tokens create --journey J-DEMO --expires 90d
  tl tokens create --journey J-DEMO --expires journey_end --json
  tl tokens create --journey J-DEMO --expires 30d --callback-url https://cdp.example.com/hooks/target-loader`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var c manage.Created
			body := manage.CreateTokenRequest{Expires: strings.TrimSpace(expires), CallbackURL: strings.TrimSpace(callbackURL)}
			if err := a.call(cmd.Context(), http.MethodPost, "/manage/journeys/"+pathEscape(journey)+"/tokens", nil, body, &c); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(c)
			}
			a.printf("token_id: %s\nexpires_at: %s\nendpoint: %s\ntoken: %s\n", c.TokenID, formatTime(c.ExpiresAt), c.Endpoint, c.Token)
			if c.CallbackURL != "" {
				a.printf("callback_url: %s\nwebhook_secret: %s\n", c.CallbackURL, c.WebhookSecret)
				a.warnf("Copy the token and the webhook secret now: they are shown only this once.\n")
				return nil
			}
			a.warnf("Copy the token now: it is shown only this once.\n")
			return nil
		},
	}
	cmd.Flags().StringVar(&journey, "journey", "", "journey id (required)")
	cmd.Flags().StringVar(&expires, "expires", "", "expiry choice: 30d, 90d, 6m, 1y or journey_end (required)")
	cmd.Flags().StringVar(&callbackURL, "callback-url", "", "https URL that receives a signed request.completed webhook for each completed request")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"token_id","token","endpoint","expires_at"} as JSON (with "callback_url","webhook_secret" when --callback-url is given)`)
	requireFlag(cmd, "journey", "expires")
	return cmd
}

func (a *app) tokensListCmd() *cobra.Command {
	var journey string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --journey ID",
		Short: "List a journey's tokens (obscured), newest first",
		Example: `  tl tokens list --journey J-DEMO
  tl tokens list --journey J-DEMO --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tokens, err := listAll(cmd.Context(), a, "/manage/journeys/"+pathEscape(journey)+"/tokens", nil,
				func(p manage.TokenPage) ([]manage.TokenView, string) { return p.Tokens, p.NextCursor })
			if err != nil {
				return err
			}
			if asJSON {
				return printJSONList(a, tokens)
			}
			if len(tokens) == 0 {
				a.printf("journey %s has no tokens\n", journey)
				return nil
			}
			rows := make([][]string, len(tokens))
			for i, t := range tokens {
				var revokedAt string
				if t.RevokedAt != nil {
					revokedAt = formatTime(*t.RevokedAt)
				}
				rows[i] = []string{t.ID, t.Obscured, string(t.Status), t.CreatedBy, formatTime(t.CreatedAt), formatTime(t.ExpiresAt), t.RevokedBy, revokedAt}
			}
			return a.printTable([]string{"ID", "TOKEN", "STATUS", "CREATED BY", "CREATED", "EXPIRES", "REVOKED BY", "REVOKED AT"}, rows)
		},
	}
	cmd.Flags().StringVar(&journey, "journey", "", "journey id (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the tokens as a JSON array")
	requireFlag(cmd, "journey")
	return cmd
}

func (a *app) tokensExpireCmd() *cobra.Command {
	var id string
	var asJSON bool
	cmd := &cobra.Command{
		Use:     "expire --id TOKEN_ID",
		Short:   "Expire (revoke) a token now, in the signed-in user's name",
		Example: `  tl tokens expire --id 3f0c9a52-6a1e-4c0e-9a57-1d2b3c4d5e6f`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var t manage.TokenView
			if err := a.call(cmd.Context(), http.MethodPost, "/manage/tokens/"+pathEscape(id)+"/expire", nil, nil, &t); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(t)
			}
			var at string
			if t.RevokedAt != nil {
				at = formatTime(*t.RevokedAt)
			}
			a.printf("token %s (%s) of journey %s: %s, revoked by %s at %s\n", t.ID, t.Obscured, t.JourneyID, t.Status, t.RevokedBy, at)
			return nil
		},
	}
	cmd.Flags().StringVar(&id, "id", "", "token id, as tokens list shows it (required)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the token as JSON")
	requireFlag(cmd, "id")
	return cmd
}
