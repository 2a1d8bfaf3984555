package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/spf13/cobra"
)

func (a *app) loginCmd() *cobra.Command {
	var email string
	var passwordStdin bool
	cmd := &cobra.Command{
		Use:   "login [--email EMAIL] [--password-stdin]",
		Short: "Sign in to the management API (marketers and admins)",
		Long: `Sign in with your email and password. On a terminal tl asks for what is
missing (the password without echo); otherwise give --email and the password
on standard input with --password-stdin. The session is kept in your
configuration directory, readable by you only, and renewed as needed until
the sign-in expires.

Against a deployed stack: tl --aws --api-url <the stack's ApiUrl output> login
(later --aws commands use that API until you sign in to another).`,
		Example: `  tl login
  echo "$PASSWORD" | tl login --email marketer@example.com --password-stdin
  tl --aws --api-url https://abc123.execute-api.eu-west-1.amazonaws.com/v1 login`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			apiURL, err := a.api()
			if err != nil {
				return err
			}
			lines := bufio.NewReader(a.env.Stdin)
			email = strings.TrimSpace(email)
			if email == "" {
				if a.env.ReadSecret == nil {
					return usageErrorf("--email is required when standard input is not a terminal")
				}
				a.warnf("Email: ")
				if email, err = readLine(lines); err != nil {
					return err
				}
			}
			var password string
			switch {
			case passwordStdin:
				if password, err = readLine(lines); err != nil {
					return err
				}
			case a.env.ReadSecret != nil:
				if password, err = a.env.ReadSecret("Password: "); err != nil {
					return err
				}
			default:
				return usageErrorf("no terminal to ask for the password on: pass it on standard input with --password-stdin")
			}
			if email == "" || password == "" {
				return errors.New("an email and a password are required")
			}
			pool, err := a.poolOf(ctx, apiURL)
			if err != nil {
				return err
			}
			var ask prompter
			if a.env.ReadSecret != nil && !passwordStdin {
				ask = a.env.ReadSecret
			}
			s, err := signIn(ctx, apiURL, pool, email, password, ask)
			if err != nil {
				return err
			}
			if err := a.sessions.put(s, a.useAWS); err != nil {
				return err
			}
			c, _ := s.claims()
			a.printf("signed in to %s as %s (groups: %s)\n", apiURL, s.Email, groupList(c.groups))
			return nil
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "your email (asked on a terminal when not given)")
	cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	return cmd
}

func (a *app) logoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Sign out: revoke the session's refresh token and forget the session",
		Example: `  tl logout
  tl --aws logout`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			apiURL, err := a.api()
			if err != nil {
				return err
			}
			s, err := a.sessions.get(apiURL)
			if err != nil {
				return err
			}
			if s == nil {
				a.printf("not signed in to %s\n", apiURL)
				return nil
			}
			// Best effort: the session is forgotten whatever Cognito says.
			ctx, cancel := context.WithTimeout(cmd.Context(), 10*time.Second)
			defer cancel()
			once := func(o *cip.Options) { o.RetryMaxAttempts = 1 }
			if _, err := cognito(s.Pool).RevokeToken(ctx, &cip.RevokeTokenInput{ClientId: aws.String(s.Pool.ClientID), Token: aws.String(s.RefreshToken)}, once); err != nil {
				a.warnf("tl: Cognito did not revoke the refresh token (%s); the session is forgotten all the same\n", briefly(err))
			}
			if err := a.sessions.remove(apiURL); err != nil {
				return err
			}
			a.printf("signed out of %s (%s)\n", apiURL, s.Email)
			return nil
		},
	}
}

func (a *app) whoamiCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "whoami",
		Short: "Show who is signed in, in which groups, and until when",
		Example: `  tl whoami
  tl --aws whoami --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := a.session(cmd.Context())
			if err != nil {
				return err
			}
			c, err := s.claims()
			if err != nil {
				return err
			}
			if asJSON {
				if c.groups == nil {
					c.groups = []string{}
				}
				return a.printJSON(map[string]any{"email": s.Email, "groups": c.groups, "api_url": s.APIURL, "expires_at": s.ExpiresAt})
			}
			a.printf("email: %s\ngroups: %s\napi: %s\nsigned in until: %s (then renewed)\n", s.Email, groupList(c.groups), s.APIURL, formatTime(s.ExpiresAt))
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, `print {"email","groups","api_url","expires_at"} as JSON`)
	return cmd
}

// briefly names what went wrong with an AWS call without the SDK's chain
// of wrappers: the API error's code, else the HTTP status.
func briefly(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return fmt.Sprintf("HTTP %d", re.HTTPStatusCode())
	}
	return err.Error()
}

func groupList(groups []string) string {
	if len(groups) == 0 {
		return "none"
	}
	return strings.Join(groups, ", ")
}

// readLine reads one line, without its line ending.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("nothing to read on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
