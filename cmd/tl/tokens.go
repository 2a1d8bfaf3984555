package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os/user"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/tokens"
)

func (a *app) tokensCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "Generate, list and expire a journey's API tokens (through the tokens function)",
	}
	cmd.AddCommand(a.tokensOptionsCmd(), a.tokensCreateCmd(), a.tokensListCmd(), a.tokensExpireCmd())
	return cmd
}

// functionError is an error the tokens function returned; its message is
// meant for the user.
type functionError struct {
	Message string `json:"errorMessage"`
	Type    string `json:"errorType"`
}

func (e *functionError) Error() string { return e.Message }

// invokeTokens calls the tokens function with req and decodes its result into out.
func (a *app) invokeTokens(ctx context.Context, req tokens.Request, out any) error {
	client, err := a.lambdaClient(ctx)
	if err != nil {
		return err
	}
	payload, err := json.Marshal(req)
	if err != nil {
		return err
	}
	resp, err := client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName: aws.String(a.tokensFunction),
		Payload:      payload,
	})
	if err != nil {
		var rnf *lambdatypes.ResourceNotFoundException
		if errors.As(err, &rnf) {
			return fmt.Errorf("function %q not found: check --tokens-function and --stage", a.tokensFunction)
		}
		if !a.useAWS {
			return fmt.Errorf("invoke %s at %s: %w (is `make dev` running?)", a.tokensFunction, a.lambdaEndpoint, err)
		}
		return fmt.Errorf("invoke %s: %w", a.tokensFunction, err)
	}
	if resp.FunctionError != nil {
		fe := &functionError{}
		if err := json.Unmarshal(resp.Payload, fe); err != nil || fe.Message == "" {
			return fmt.Errorf("the tokens function failed (%s): %s", aws.ToString(resp.FunctionError), strings.TrimSpace(string(resp.Payload)))
		}
		return fe
	}
	if err := json.Unmarshal(resp.Payload, out); err != nil {
		return fmt.Errorf("the tokens function returned an unexpected response: %w", err)
	}
	return nil
}

func (a *app) tokensOptionsCmd() *cobra.Command {
	var journey string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "options --journey ID",
		Short: "List the expiry choices a new token of the journey can have now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp tokens.OptionsResponse
			if err := a.invokeTokens(cmd.Context(), tokens.Request{Operation: tokens.OpOptions, JourneyID: journey}, &resp); err != nil {
				return err
			}
			if asJSON {
				return printJSONList(a, resp.Options)
			}
			end := resp.EndDate
			if end == "" {
				end = "none"
			}
			a.printf("journey %s (end date: %s)\n", resp.JourneyID, end)
			rows := make([][]string, len(resp.Options))
			for i, o := range resp.Options {
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

// createdJSON is what `tokens create --json` prints (PRODUCT.md §7).
type createdJSON struct {
	TokenID   string    `json:"token_id"`
	Token     string    `json:"token"`
	Endpoint  string    `json:"endpoint"`
	ExpiresAt time.Time `json:"expires_at"`
}

func (a *app) tokensCreateCmd() *cobra.Command {
	var journey, expires, by string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "create --journey ID --expires CHOICE [--by USER]",
		Short: "Generate an API token for a journey; the secret is shown only once",
		Long: `Generate an API token for a journey. The token and the endpoint to call are
printed once; the service keeps only a hash of the token.

--expires is one of the choices "tl tokens options" lists: 30d, 90d, 6m, 1y,
journey_end. --by defaults to the current user.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			who, err := a.who(by)
			if err != nil {
				return err
			}
			var c tokens.Created
			req := tokens.Request{Operation: tokens.OpCreate, JourneyID: journey, Expires: strings.TrimSpace(expires), By: who}
			if err := a.invokeTokens(cmd.Context(), req, &c); err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(createdJSON{TokenID: c.TokenID, Token: c.Token, Endpoint: c.Endpoint, ExpiresAt: c.ExpiresAt})
			}
			a.printf("token_id: %s\njourney_id: %s\nexpires_at: %s\nendpoint: %s\ntoken: %s\n",
				c.TokenID, c.JourneyID, formatTime(c.ExpiresAt), c.Endpoint, c.Token)
			a.warnf("Copy the token now: it is shown only this once.\n")
			return nil
		},
	}
	cmd.Flags().StringVar(&journey, "journey", "", "journey id (required)")
	cmd.Flags().StringVar(&expires, "expires", "", "expiry choice: 30d, 90d, 6m, 1y or journey_end (required)")
	cmd.Flags().StringVar(&by, "by", "", "who creates the token (default: the current user)")
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"token_id","token","endpoint","expires_at"} as JSON`)
	requireFlag(cmd, "journey", "expires")
	return cmd
}

func (a *app) tokensListCmd() *cobra.Command {
	var journey string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list --journey ID",
		Short: "List a journey's tokens (obscured), newest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var resp tokens.ListResponse
			if err := a.invokeTokens(cmd.Context(), tokens.Request{Operation: tokens.OpList, JourneyID: journey}, &resp); err != nil {
				return err
			}
			if asJSON {
				return printJSONList(a, resp.Tokens)
			}
			if len(resp.Tokens) == 0 {
				a.printf("journey %s has no tokens\n", journey)
				return nil
			}
			rows := make([][]string, len(resp.Tokens))
			for i, t := range resp.Tokens {
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
	var id, by string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "expire --id TOKEN_ID [--by USER]",
		Short: "Expire (revoke) a token now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			who, err := a.who(by)
			if err != nil {
				return err
			}
			var t tokens.TokenView
			if err := a.invokeTokens(cmd.Context(), tokens.Request{Operation: tokens.OpExpire, TokenID: strings.TrimSpace(id), By: who}, &t); err != nil {
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
	cmd.Flags().StringVar(&by, "by", "", "who expires the token (default: the current user)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the token as JSON")
	requireFlag(cmd, "id")
	return cmd
}

// who is the --by value, else $USER, else the OS user.
func (a *app) who(by string) (string, error) {
	if v := firstNonEmpty(by, a.env.Getenv("USER"), a.env.Getenv("USERNAME")); v != "" {
		return v, nil
	}
	if u, err := user.Current(); err == nil && strings.TrimSpace(u.Username) != "" {
		return u.Username, nil
	}
	return "", errors.New("cannot tell who you are: pass --by USER")
}
