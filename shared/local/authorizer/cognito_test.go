package authorizer_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/targetloader/targetloader/shared/local/authorizer"
)

const (
	issuer   = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test"
	clientID = "client-1"
)

var now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

// keyPair is an RSA key with kid, and its public JWK.
func keyPair(t *testing.T, kid string) (jwk.Key, jwk.Key) {
	t.Helper()
	raw, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := jwk.Import(raw)
	if err != nil {
		t.Fatal(err)
	}
	_ = priv.Set(jwk.KeyIDKey, kid)
	_ = priv.Set(jwk.AlgorithmKey, jwa.RS256())
	pub, err := priv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// pool serves pub as a user pool's JWKS and returns an authorizer of it.
func pool(t *testing.T, pub jwk.Key) *authorizer.Cognito {
	t.Helper()
	set := jwk.NewSet()
	_ = set.AddKey(pub)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_ = json.NewEncoder(w).Encode(set)
	}))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	a, err := authorizer.NewCognito(ctx, authorizer.Pool{Issuer: issuer, ClientID: clientID, JWKSURL: srv.URL + "/us-east-1_Test/.well-known/jwks.json", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// idToken is an ID token as Cognito issues it, changed by mod, signed with key.
func idToken(t *testing.T, key jwk.Key, mod func(jwt.Token)) string {
	t.Helper()
	tok, err := jwt.NewBuilder().
		Issuer(issuer).Audience([]string{clientID}).Subject("sub-1").
		IssuedAt(now.Add(-time.Minute)).Expiration(now.Add(59*time.Minute)).
		Claim("token_use", "id").Claim("email", "marketer@example.com").Claim("email_verified", true).
		Claim("cognito:groups", []string{"admins", "marketers"}).Claim("auth_time", now.Add(-time.Minute).Unix()).
		Build()
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(tok)
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.RS256(), key))
	if err != nil {
		t.Fatal(err)
	}
	return string(signed)
}

func TestValidTokenGivesTheClaimsAsAPIGatewayDoes(t *testing.T) {
	priv, pub := keyPair(t, "pool-key")
	a := pool(t, pub)
	for _, header := range []string{"Bearer " + idToken(t, priv, nil), idToken(t, priv, nil), "bearer  " + idToken(t, priv, nil)} {
		claims, err := a.Authorize(t.Context(), header)
		if err != nil {
			t.Fatalf("Authorize: %v", err)
		}
		want := map[string]any{
			"iss": issuer, "aud": clientID, "sub": "sub-1", "token_use": "id", "email": "marketer@example.com",
			"email_verified": "true", "cognito:groups": "admins,marketers",
			"exp": "Mon Jun 01 12:59:00 UTC 2026", "iat": "Mon Jun 01 11:59:00 UTC 2026", "auth_time": "1780315140",
		}
		for k, v := range want {
			if claims[k] != v {
				t.Errorf("claim %s = %#v, want %#v", k, claims[k], v)
			}
		}
	}
}

func TestRefusedTokens(t *testing.T) {
	priv, pub := keyPair(t, "pool-key")
	foreign, _ := keyPair(t, "pool-key") // another key under the pool key's id
	a := pool(t, pub)
	good := idToken(t, priv, nil)
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + strings.TrimRight(parts[1], "A=") + "B." + parts[2]
	claims := func(mod func(jwt.Token)) string { return idToken(t, priv, mod) }
	tests := map[string]string{
		"no token":              "",
		"only the scheme":       "Bearer ",
		"not a JWT":             "Bearer tl_abc",
		"tampered claims":       "Bearer " + tampered,
		"signed by another key": "Bearer " + idToken(t, foreign, nil),
		"expired":               "Bearer " + claims(func(tok jwt.Token) { _ = tok.Set(jwt.ExpirationKey, now.Add(-time.Second)) }),
		"another pool":          "Bearer " + claims(func(tok jwt.Token) { _ = tok.Set(jwt.IssuerKey, strings.Replace(issuer, "Test", "Other", 1)) }),
		"another app client":    "Bearer " + claims(func(tok jwt.Token) { _ = tok.Set(jwt.AudienceKey, []string{"client-2"}) }),
		"an access token":       "Bearer " + claims(func(tok jwt.Token) { _ = tok.Set("token_use", "access") }),
		"unsigned":              "Bearer " + parts[0] + "." + parts[1] + ".",
	}
	for name, header := range tests {
		t.Run(name, func(t *testing.T) {
			claims, err := a.Authorize(t.Context(), header)
			if err == nil {
				t.Fatalf("accepted: %v", claims)
			}
			if (header == "" || header == "Bearer ") != errors.Is(err, authorizer.ErrNoToken) {
				t.Errorf("err = %v", err)
			}
			if raw := strings.TrimPrefix(header, "Bearer "); raw != "" && strings.Contains(err.Error(), raw) {
				t.Errorf("the error holds the token: %v", err)
			}
		})
	}
}
