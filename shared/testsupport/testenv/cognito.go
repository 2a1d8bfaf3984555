package testenv

import (
	"context"
	"log/slog"
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/targetloader/targetloader/shared/local/authorizer"
	"github.com/targetloader/targetloader/shared/local/devstack"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/local/provision"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/upload"
)

// UserPool is a stage's Cognito user pool at the test endpoint, provisioned
// as the local stack provisions it, with the local stack's two users.
type UserPool struct {
	provision.UserPool
	Client *cip.Client
	// Authorizer validates the pool's ID tokens as the local API does.
	Authorizer *authorizer.Cognito
	Password   string
}

// UserPool provisions the stage's user pool, its client, groups and the
// users localaws.LocalMarketer and localaws.LocalAdmin, and points the
// stack's environment at it. Call it before Wire.
func (s *Stack) UserPool(t testing.TB) *UserPool {
	t.Helper()
	ctx := context.Background()
	cfg, err := AWSConfig(ctx, endpoint, config.WithRegion(localaws.CognitoRegion))
	if err != nil {
		t.Fatal(err)
	}
	p := &UserPool{Client: cip.NewFromConfig(cfg), Password: localaws.DefaultDevPassword}
	if p.UserPool, err = provision.EnsureUserPool(ctx, p.Client, endpoint, s.Resources.Stage); err != nil {
		t.Fatal(err)
	}
	p.AddUser(t, localaws.LocalMarketer, resources.GroupMarketers)
	p.AddUser(t, localaws.LocalAdmin, resources.GroupAdmins, resources.GroupMarketers)
	authCtx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if p.Authorizer, err = p.NewAuthorizer(authCtx, time.Now); err != nil {
		t.Fatal(err)
	}
	maps.Copy(s.Env, p.UserPool.Env())
	return p
}

// NewAuthorizer is an authorizer of the pool whose clock is now.
func (p *UserPool) NewAuthorizer(ctx context.Context, now func() time.Time) (*authorizer.Cognito, error) {
	return authorizer.NewCognito(ctx, authorizer.Pool{Issuer: p.Issuer(), ClientID: p.ClientID, JWKSURL: p.JWKSURL(), Now: now})
}

// AddUser creates a user with the pool's test password in groups.
func (p *UserPool) AddUser(t testing.TB, email string, groups ...string) {
	t.Helper()
	if err := provision.EnsureUser(context.Background(), p.Client, p.ID, provision.User{Email: email, Password: p.Password, Groups: groups}); err != nil {
		t.Fatal(err)
	}
}

// SignIn signs email in with its password, as tl and the console do, and
// returns its ID token.
func (p *UserPool) SignIn(t testing.TB, email string) string {
	t.Helper()
	out, err := p.Client.InitiateAuth(context.Background(), &cip.InitiateAuthInput{
		ClientId:       aws.String(p.ClientID),
		AuthFlow:       ciptypes.AuthFlowTypeUserPasswordAuth,
		AuthParameters: map[string]string{"USERNAME": email, "PASSWORD": p.Password},
	})
	if err != nil {
		t.Fatalf("sign in %s: %v", email, err)
	}
	if out.AuthenticationResult == nil {
		t.Fatalf("sign in %s: challenge %s", email, out.ChallengeName)
	}
	return aws.ToString(out.AuthenticationResult.IdToken)
}

// ManageAPI serves the management API the way the local API does: the
// routes of resources.Routes of manage (h) and upload (u), the signed-in
// ones behind auth; observe, when not nil, sees every exchange.
func ManageAPI(stage string, h *manage.Handler, u *upload.Handler, auth devstack.Authorizer, log *slog.Logger, observe func(events.APIGatewayProxyRequest, events.APIGatewayProxyResponse)) devstack.Router {
	api := devstack.Router{
		devstack.Gateway(stage, resources.ManageFunction, h.Handle, auth, log),
		devstack.Gateway(stage, resources.UploadFunction, u.Handle, auth, log),
	}
	for _, g := range api {
		g.Observe = observe
	}
	return api
}
