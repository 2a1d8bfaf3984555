package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/manage"
)

// session is one signed-in user of one API, as kept in the user's
// configuration directory. It holds Cognito's tokens: readable by the user only.
type session struct {
	APIURL string        `json:"api_url"`
	Pool   manage.SignIn `json:"pool"`
	Email  string        `json:"email"`
	// IDToken is what the management API takes; RefreshToken renews it.
	IDToken      string    `json:"id_token"`
	RefreshToken string    `json:"refresh_token"`
	ExpiresAt    time.Time `json:"expires_at"`
	// Auto marks the local admin's session tl opened by itself.
	Auto bool `json:"auto,omitempty"`
}

// sessionFile is what the session store keeps.
type sessionFile struct {
	// AWSAPIURL is the API of the last tl login --aws: --aws commands use it
	// unless --api-url names another.
	AWSAPIURL string              `json:"aws_api_url,omitempty"`
	Sessions  map[string]*session `json:"sessions"`
}

// sessionStore keeps the sessions in <config dir>/targetloader/session.json,
// mode 0600 in a directory of mode 0700.
type sessionStore struct {
	dir func() (string, error)
}

func (s *sessionStore) path() (string, error) {
	dir, err := s.dir()
	if err != nil {
		return "", fmt.Errorf("the configuration directory: %w", err)
	}
	return filepath.Join(dir, "targetloader", "session.json"), nil
}

func (s *sessionStore) load() (sessionFile, error) {
	f := sessionFile{Sessions: map[string]*session{}}
	p, err := s.path()
	if err != nil {
		return f, err
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, err
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return sessionFile{Sessions: map[string]*session{}}, fmt.Errorf("%s is damaged (%v): delete it and sign in again", p, err)
	}
	if f.Sessions == nil {
		f.Sessions = map[string]*session{}
	}
	return f, nil
}

// save writes f so that no other user can read it, replacing the file at
// once (a crash leaves the old one or the new one).
func (s *sessionStore) save(f sessionFile) error {
	p, err := s.path()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return err
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), ".session-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil && !errors.Is(err, errors.ErrUnsupported) {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

func (s *sessionStore) get(apiURL string) (*session, error) {
	f, err := s.load()
	if err != nil {
		return nil, err
	}
	return f.Sessions[apiURL], nil
}

func (s *sessionStore) put(ss *session, aws bool) error {
	f, err := s.load()
	if err != nil {
		return err
	}
	f.Sessions[ss.APIURL] = ss
	if aws {
		f.AWSAPIURL = ss.APIURL
	}
	return s.save(f)
}

func (s *sessionStore) remove(apiURL string) error {
	f, err := s.load()
	if err != nil {
		return err
	}
	delete(f.Sessions, apiURL)
	if f.AWSAPIURL == apiURL {
		f.AWSAPIURL = ""
	}
	return s.save(f)
}

// api resolves the API's base URL: --api-url or TL_API_URL, else locally
// the local stack's, with --aws the last tl login --aws's.
func (a *app) api() (string, error) {
	if a.apiURL != "" {
		return a.apiURL, nil
	}
	f, err := a.sessions.load()
	if err != nil {
		return "", err
	}
	if f.AWSAPIURL == "" {
		return "", errors.New("no API to talk to: sign in with tl --aws --api-url <the stack's ApiUrl output> login")
	}
	a.apiURL = f.AWSAPIURL
	return a.apiURL, nil
}

// poolOf reads where to sign in from the API itself (GET /console/config.json).
func (a *app) poolOf(ctx context.Context, apiURL string) (manage.SignIn, error) {
	var p manage.SignIn
	err := a.request(ctx, http.MethodGet, apiURL+"/console/config.json", "", nil, &p)
	if err == nil && (p.UserPoolID == "" || p.ClientID == "" || p.Region == "") {
		err = fmt.Errorf("%s/console/config.json names no user pool", apiURL)
	}
	return p, err
}

// cognito is an unauthenticated Cognito client of pool: signing in takes no
// AWS credentials.
func cognito(pool manage.SignIn) *cip.Client {
	return cip.New(cip.Options{
		Region:       pool.Region,
		BaseEndpoint: aws.String(pool.CognitoEndpoint),
		Credentials:  aws.AnonymousCredentials{},
	})
}

// prompter answers the challenges Cognito may pose while signing in: a new
// password for a user ops created, or an MFA code. nil on no terminal.
type prompter func(prompt string) (string, error)

// signIn signs email in at pool with password (USER_PASSWORD_AUTH),
// answering challenges with ask.
func signIn(ctx context.Context, apiURL string, pool manage.SignIn, email, password string, ask prompter) (*session, error) {
	c := cognito(pool)
	out, err := c.InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId:       aws.String(pool.ClientID),
		AuthFlow:       ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": password},
	})
	if err != nil {
		return nil, signInError(err)
	}
	challenge, sessionID := out.ChallengeName, out.Session
	result := out.AuthenticationResult
	for result == nil {
		if ask == nil {
			return nil, fmt.Errorf("signing in needs an answer on a terminal (Cognito asks for %s): run tl login on a terminal, or sign in once in the console", challenge)
		}
		answers := map[string]string{"USERNAME": email}
		switch challenge {
		case ciptypes.ChallengeNameTypeNewPasswordRequired:
			pw, err := ask("A new password is required (12 characters or more, upper and lower case, digits and symbols).\nNew password: ")
			if err != nil {
				return nil, err
			}
			again, err := ask("New password again: ")
			if err != nil {
				return nil, err
			}
			if pw != again {
				return nil, errors.New("the two new passwords differ")
			}
			answers["NEW_PASSWORD"] = pw
		case ciptypes.ChallengeNameTypeSoftwareTokenMfa:
			code, err := ask("MFA code from your authenticator app: ")
			if err != nil {
				return nil, err
			}
			answers["SOFTWARE_TOKEN_MFA_CODE"] = strings.TrimSpace(code)
		default:
			return nil, fmt.Errorf("the user pool asks for %s, which tl cannot answer: sign in in the console", challenge)
		}
		resp, err := c.RespondToAuthChallenge(ctx, &cip.RespondToAuthChallengeInput{
			ClientId: aws.String(pool.ClientID), ChallengeName: challenge, Session: sessionID, ChallengeResponses: answers,
		})
		if err != nil {
			return nil, signInError(err)
		}
		challenge, sessionID, result = resp.ChallengeName, resp.Session, resp.AuthenticationResult
	}
	s := &session{APIURL: apiURL, Pool: pool, Email: email, RefreshToken: aws.ToString(result.RefreshToken)}
	return s, s.take(result)
}

// take keeps the tokens of a sign-in or a refresh.
func (s *session) take(r *ciptypes.AuthenticationResultType) error {
	s.IDToken = aws.ToString(r.IdToken)
	id, err := s.claims()
	if err != nil {
		return err
	}
	s.ExpiresAt = id.exp
	if id.email != "" {
		s.Email = id.email
	}
	return nil
}

// refresh renews the ID token with the refresh token (REFRESH_TOKEN_AUTH).
func (s *session) refresh(ctx context.Context) error {
	out, err := cognito(s.Pool).InitiateAuth(ctx, &cip.InitiateAuthInput{
		ClientId:       aws.String(s.Pool.ClientID),
		AuthFlow:       ciptypes.AuthFlowTypeRefreshTokenAuth,
		AuthParameters: map[string]string{"REFRESH_TOKEN": s.RefreshToken},
	})
	if err != nil {
		return signInError(err)
	}
	if out.AuthenticationResult == nil {
		return fmt.Errorf("refreshing the sign-in: Cognito asks for %s", out.ChallengeName)
	}
	return s.take(out.AuthenticationResult)
}

// expiresSoon tells whether the ID token is (nearly) expired: a minute's
// margin covers the clocks and the request's flight.
func (s *session) expiresSoon(now time.Time) bool { return !now.Add(time.Minute).Before(s.ExpiresAt) }

type idClaims struct {
	email  string
	groups []string
	exp    time.Time
}

// claims reads the session's own ID token, which Cognito gave tl over TLS:
// tl shows what it says and knows when to refresh; the API verifies it.
func (s *session) claims() (idClaims, error) {
	tok, err := jwt.ParseInsecure([]byte(s.IDToken))
	if err != nil {
		return idClaims{}, fmt.Errorf("the ID token Cognito returned does not parse: %w", err)
	}
	var c idClaims
	c.exp, _ = tok.Expiration()
	_ = tok.Get("email", &c.email)
	var groups []any
	if tok.Get("cognito:groups", &groups) == nil {
		for _, g := range groups {
			c.groups = append(c.groups, fmt.Sprint(g))
		}
	}
	return c, nil
}

func signInError(err error) error {
	var na *ciptypes.NotAuthorizedException
	var nf *ciptypes.UserNotFoundException
	var pr *ciptypes.PasswordResetRequiredException
	switch {
	case errors.As(err, &na), errors.As(err, &nf):
		return errors.New("sign-in refused: wrong email or password, or the sign-in has expired")
	case errors.As(err, &pr):
		return errors.New("sign-in refused: the password must be reset; ask ops")
	}
	return fmt.Errorf("sign in: %w", err)
}

// session returns the signed-in user's session of the API, refreshed when
// its ID token has expired. Locally, with no session, tl signs in as the
// local stack's admin by itself and says so.
func (a *app) session(ctx context.Context) (*session, error) {
	if a.signedIn != nil {
		return a.signedIn, nil
	}
	apiURL, err := a.api()
	if err != nil {
		return nil, err
	}
	s, err := a.sessions.get(apiURL)
	if err != nil {
		return nil, err
	}
	switch {
	case s == nil && a.useAWS:
		return nil, fmt.Errorf("not signed in to %s: run tl --aws login", apiURL)
	case s == nil:
		return a.signInLocalAdmin(ctx, apiURL)
	case s.expiresSoon(time.Now()):
		if err := a.renew(ctx, s); err != nil {
			return nil, err
		}
	}
	a.signedIn = s
	return s, nil
}

// renew refreshes s and keeps it; a local admin's session tl opened by
// itself is opened again when the refresh fails (the local stack restarted).
func (a *app) renew(ctx context.Context, s *session) error {
	err := s.refresh(ctx)
	if err != nil && s.Auto && !a.useAWS {
		fresh, err := a.signInLocalAdmin(ctx, s.APIURL)
		if err == nil {
			*s = *fresh
		}
		return err
	}
	if err != nil {
		return fmt.Errorf("%w\nsign in again: tl %slogin", err, map[bool]string{true: "--aws "}[a.useAWS])
	}
	return a.sessions.put(s, a.useAWS)
}

func (a *app) signInLocalAdmin(ctx context.Context, apiURL string) (*session, error) {
	pool, err := a.poolOf(ctx, apiURL)
	if err != nil {
		return nil, err
	}
	s, err := signIn(ctx, apiURL, pool, localaws.LocalAdmin, localaws.DevPassword(a.env.Getenv), nil)
	if err != nil {
		return nil, fmt.Errorf("signing in as the local stack's admin %s (password: %s, or Local-dev-pass-1): %w", localaws.LocalAdmin, localaws.EnvDevPassword, err)
	}
	s.Auto = true
	if err := a.sessions.put(s, false); err != nil {
		return nil, err
	}
	a.warnf("tl: signed in as %s, the local stack's admin (tl login to sign in as someone else)\n", localaws.LocalAdmin)
	a.signedIn = s
	return s, nil
}
