package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/local/devstack"
)

// TestLocalStackWithoutCognito: against an endpoint that serves DynamoDB and
// SQS but not Cognito (LocalStack's community edition), the local stack
// starts a moto_server of its own for the user pool, and signing in works.
func TestLocalStackWithoutCognito(t *testing.T) {
	upstream, err := url.Parse(stack.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(upstream)
	noCognito := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(r.Header.Get("Authorization"), "/cognito-idp/") || strings.HasPrefix(r.Header.Get("X-Amz-Target"), "AWSCognitoIdentityProviderService") {
			http.Error(w, `{"__type":"InternalFailure","message":"API for service 'cognito-idp' not yet implemented or pro feature"}`, http.StatusNotImplemented)
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer noCognito.Close()

	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	s, err := devstack.Start(ctx, devstack.Options{
		Endpoint: noCognito.URL, NoMoto: true, APIAddr: "127.0.0.1:0", LambdaAddr: "127.0.0.1:0",
		Stage: "nocog-" + hex.EncodeToString(suffix), Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("start: %v", err)
	}
	defer s.Close()
	if !s.CognitoMoto || s.UserPool.Endpoint == noCognito.URL || !strings.Contains(s.Banner(), "the AWS endpoint does not serve Cognito") {
		t.Errorf("Cognito at %s (own moto_server: %v)\n%s", s.UserPool.Endpoint, s.CognitoMoto, s.Banner())
	}
	env := append(tlEnv(t.TempDir(), false), "TL_API_URL="+s.APIURL)
	out, errOut, err := tlWith(env, "", "whoami")
	if err != nil || !strings.Contains(out, "email: admin@example.com") {
		t.Errorf("whoami: %v\n%s\n%s", err, out, errOut)
	}
}
