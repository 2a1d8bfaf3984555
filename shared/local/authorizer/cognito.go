// Package authorizer validates Cognito ID tokens the way API Gateway's
// Cognito user pool authorizer does, for the local stack's API emulation and
// the tests: the signature against the pool's published keys (JWKS), the
// issuer, the audience (the app client), the expiry and token_use "id". It
// hands over the claims as the authorizer hands them to the function.
package authorizer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// ErrNoToken is returned for a request without a token.
var ErrNoToken = errors.New("no token in the Authorization header")

// Cognito validates the ID tokens of one user pool's app client.
type Cognito struct {
	issuer   string
	clientID string
	jwksURL  string
	cache    *jwk.Cache
	now      func() time.Time
}

// Pool names what a token must come from.
type Pool struct {
	// Issuer is the pool's issuer (https://cognito-idp.REGION.amazonaws.com/POOL_ID).
	Issuer   string
	ClientID string
	// JWKSURL is where the pool's signing keys are published.
	JWKSURL string
	// HTTPClient fetches the keys (http.DefaultClient when nil).
	HTTPClient *http.Client
	// Now is the clock expiry is checked against (time.Now when nil).
	Now func() time.Time
}

// NewCognito fetches the pool's keys and keeps them, refreshed in the
// background until ctx ends.
func NewCognito(ctx context.Context, p Pool) (*Cognito, error) {
	hc := p.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	cache, err := jwk.NewCache(ctx, httprc.NewClient(httprc.WithHTTPClient(hc)))
	if err != nil {
		return nil, fmt.Errorf("JWKS cache: %w", err)
	}
	if err := cache.Register(ctx, p.JWKSURL); err != nil {
		return nil, fmt.Errorf("fetch the user pool's keys at %s: %w", p.JWKSURL, err)
	}
	now := p.Now
	if now == nil {
		now = time.Now
	}
	return &Cognito{issuer: p.Issuer, clientID: p.ClientID, jwksURL: p.JWKSURL, cache: cache, now: now}, nil
}

// Authorize validates the token of an Authorization header ("Bearer
// <token>", or the bare token, both of which API Gateway accepts) and
// returns its claims as API Gateway's Cognito authorizer passes them in
// requestContext.authorizer.claims. The error says why a token is refused;
// it never holds the token.
func (a *Cognito) Authorize(ctx context.Context, authorization string) (map[string]any, error) {
	raw := strings.TrimSpace(authorization)
	if scheme, rest, ok := strings.Cut(raw, " "); ok && strings.EqualFold(scheme, "Bearer") {
		raw = strings.TrimSpace(rest)
	}
	if raw == "" || strings.EqualFold(raw, "Bearer") {
		return nil, ErrNoToken
	}
	keys, err := a.cache.Lookup(ctx, a.jwksURL)
	if err != nil {
		return nil, fmt.Errorf("the user pool's keys: %w", err)
	}
	tok, err := jwt.Parse([]byte(raw),
		jwt.WithKeySet(keys),
		jwt.WithValidate(true),
		jwt.WithClock(jwt.ClockFunc(a.now)),
		jwt.WithIssuer(a.issuer),
		jwt.WithAudience(a.clientID),
		jwt.WithClaimValue("token_use", "id"),
		jwt.WithRequiredClaim("exp"),
	)
	if err != nil {
		return nil, fmt.Errorf("token refused: %w", err)
	}
	return claimsOf(tok)
}

// claimsOf renders every claim as API Gateway's Cognito authorizer does:
// strings as they are, numbers in decimal, booleans as "true"/"false",
// lists joined with commas, and exp and iat as dates
// ("Tue Apr 04 18:39:39 UTC 2023").
func claimsOf(tok jwt.Token) (map[string]any, error) {
	claims := map[string]any{}
	for _, k := range tok.Keys() {
		var v any
		if err := tok.Get(k, &v); err != nil {
			return nil, fmt.Errorf("claim %s: %w", k, err)
		}
		claims[k] = claimString(v)
	}
	return claims, nil
}

const dateLayout = "Mon Jan 02 15:04:05 MST 2006"

func claimString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case time.Time:
		return x.UTC().Format(dateLayout)
	case []string:
		return strings.Join(x, ",")
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = claimString(e)
		}
		return strings.Join(parts, ",")
	default:
		return fmt.Sprint(x)
	}
}
