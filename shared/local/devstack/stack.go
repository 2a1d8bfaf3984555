// Package devstack runs the whole service on one machine, as `make dev`
// does: an AWS-compatible endpoint for DynamoDB and SQS (moto_server unless
// one already answers), the stage's tables and queues, the REST API as API
// Gateway would serve it, the Lambda Invoke API, and the consumer fed from
// the queue as the SQS event source mapping would feed it. It runs the same
// handlers (shared/wire) that the Lambda functions run.
package devstack

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/awsclient/lambdaenv"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/local/authorizer"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/local/poller"
	"github.com/targetloader/targetloader/shared/local/provision"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/signedin"
	"github.com/targetloader/targetloader/shared/webhooks"
	"github.com/targetloader/targetloader/shared/wire/consumerwire"
	"github.com/targetloader/targetloader/shared/wire/ingestwire"
	"github.com/targetloader/targetloader/shared/wire/managewire"
	"github.com/targetloader/targetloader/shared/wire/uploadwire"
	"github.com/targetloader/targetloader/shared/wire/webhookswire"
)

// Options configure Start. Zero values take the `make dev` defaults.
type Options struct {
	// Endpoint is the AWS endpoint for DynamoDB and SQS.
	Endpoint string
	// NoMoto forbids starting moto_server when nothing answers at Endpoint.
	NoMoto bool
	// AllowAnyEndpoint lets the stack use an Endpoint that is not on a
	// loopback address, or answers as neither moto_server nor LocalStack.
	AllowAnyEndpoint bool
	// MotoOutput receives moto_server's output (discarded when nil).
	MotoOutput io.Writer
	APIAddr    string
	LambdaAddr string
	Stage      string
	// Logger is the base logger; each part adds a component attribute.
	Logger *slog.Logger
	// PollWait is the consumer poller's long-poll wait (default 1 s).
	PollWait time.Duration
	// DevPassword is the local users' password (default
	// localaws.DevPassword(nil): TL_DEV_PASSWORD or Local-dev-pass-1).
	DevPassword string
	// Observe, when set, sees every request the API serves and its
	// response (tests check them against the OpenAPI document).
	Observe func(events.APIGatewayProxyRequest, events.APIGatewayProxyResponse)
	// WebhookRootCAs, when set, are the certificate authorities webhook
	// receivers are trusted by, instead of the system's (tests).
	WebhookRootCAs *x509.CertPool
}

// Stack is a running local stack.
type Stack struct {
	// APIURL and LambdaURL are the base URLs of the REST API and the Invoke API.
	APIURL    string
	LambdaURL string
	// Endpoint is the AWS endpoint in use; StartedMoto tells whether this
	// stack started moto_server there, Server what answered there before.
	Endpoint    string
	StartedMoto bool
	Server      localaws.Server
	Stage       string
	Resources   provision.Resources
	// UserPool is the stage's Cognito user pool; Users are the local users
	// in it. CognitoMoto tells whether this stack started a moto_server of
	// its own for Cognito, because the endpoint does not serve it (LocalStack
	// community).
	UserPool    provision.UserPool
	Users       []provision.User
	CognitoMoto bool
	// Env is the environment the functions get (tables, queues, the user pool).
	Env      map[string]string
	AWS      aws.Config
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client
	// Webhooks is the webhooks function's handler the stack runs.
	Webhooks *webhooks.Handler

	log         *slog.Logger
	secrets     *secretsmanager.Client
	moto        *localaws.Moto
	cognitoMoto *localaws.Moto
	// background bounds what runs until Close: the poller, the key cache.
	background context.Context
	servers    []*http.Server
	cancel     context.CancelFunc
	wg         sync.WaitGroup
	closeOnce  sync.Once
}

// Start brings the stack up and returns once every part serves. ctx bounds
// the start only; call Close to stop the stack.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	opts = withDefaults(opts)
	s := &Stack{Endpoint: strings.TrimRight(opts.Endpoint, "/"), Stage: opts.Stage, log: opts.Logger.With("component", "devstack")}
	s.background, s.cancel = context.WithCancel(context.Background())
	defer func() {
		if err != nil {
			s.Close()
		}
	}()

	// Listen first so that a busy port fails the start at once, with a
	// clear error, before anything is started.
	apiLn, err := listen(opts.APIAddr, "the API", SettingAPIAddr)
	if err != nil {
		return nil, err
	}
	lambdaLn, err := listen(opts.LambdaAddr, "the Invoke API", SettingLambdaAddr)
	if err != nil {
		apiLn.Close()
		return nil, err
	}
	defer func() {
		if err != nil {
			apiLn.Close()
			lambdaLn.Close()
		}
	}()
	s.APIURL = "http://" + apiLn.Addr().String()
	s.LambdaURL = "http://" + lambdaLn.Addr().String()

	if err := s.ensureEndpoint(opts); err != nil {
		return nil, err
	}
	if s.AWS, err = localaws.Config(ctx, s.Endpoint, nil); err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	s.DynamoDB = dynamodb.NewFromConfig(s.AWS)
	s.SQS = sqs.NewFromConfig(s.AWS)
	s.secrets = secretsmanager.NewFromConfig(s.AWS)
	provCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	s.Resources, err = provision.Ensure(provCtx, s.DynamoDB, s.SQS, s.secrets, s.Stage)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("provision stage %q at %s: %w", s.Stage, s.Endpoint, err)
	}
	s.log.Info("tables and queues ready", "stage", s.Stage, "queue", s.Resources.QueueURL)

	cognitoCtx, cancel := context.WithTimeout(ctx, time.Minute)
	auth, err := s.ensureUserPool(cognitoCtx, opts)
	cancel()
	if err != nil {
		return nil, err
	}

	s.Env = s.Resources.Env()
	maps.Copy(s.Env, s.UserPool.Env())
	ingestCfg, err := config.LoadFrom[config.Ingest](s.Env)
	if err != nil {
		return nil, err
	}
	consumerCfg, err := config.LoadFrom[config.Consumer](s.Env)
	if err != nil {
		return nil, err
	}
	manageCfg, err := config.LoadFrom[config.Manage](s.Env)
	if err != nil {
		return nil, err
	}
	uploadCfg, err := config.LoadFrom[config.Upload](s.Env)
	if err != nil {
		return nil, err
	}
	webhooksCfg, err := config.LoadFrom[config.Webhooks](s.Env)
	if err != nil {
		return nil, err
	}
	s.serve(opts, apiLn, lambdaLn, ingestCfg, consumerCfg, manageCfg, uploadCfg, webhooksCfg, auth)
	return s, nil
}

// ensureUserPool creates (or finds) the stage's user pool, its client and
// the local users, at the endpoint or, when that does not serve Cognito, at
// a moto_server started for it, and returns the authorizer that validates
// the pool's ID tokens.
func (s *Stack) ensureUserPool(ctx context.Context, opts Options) (*authorizer.Cognito, error) {
	endpoint := s.Endpoint
	client, err := s.cognitoClient(ctx, endpoint)
	if err != nil {
		return nil, err
	}
	if _, err := client.ListUserPools(ctx, &cip.ListUserPoolsInput{MaxResults: aws.Int32(1)}); err != nil {
		s.log.Info("the AWS endpoint does not serve Cognito; starting moto_server for it", "endpoint", endpoint, "error", err)
		if s.cognitoMoto, err = localaws.StartMoto("127.0.0.1", 0, opts.MotoOutput); err != nil {
			return nil, fmt.Errorf("the AWS endpoint %s does not serve Cognito, and moto_server did not start for it: %w", endpoint, err)
		}
		s.CognitoMoto = true
		endpoint = s.cognitoMoto.Endpoint
		if client, err = s.cognitoClient(ctx, endpoint); err != nil {
			return nil, err
		}
	}
	if s.UserPool, err = provision.EnsureUserPool(ctx, client, endpoint, s.Stage); err != nil {
		return nil, fmt.Errorf("user pool of stage %q at %s: %w", s.Stage, endpoint, err)
	}
	password := opts.DevPassword
	if password == "" {
		password = localaws.DevPassword(nil)
	}
	s.Users = []provision.User{
		{Email: localaws.LocalMarketer, Password: password, Groups: []string{resources.GroupMarketers}},
		{Email: localaws.LocalAdmin, Password: password, Groups: []string{resources.GroupAdmins, resources.GroupMarketers}},
	}
	for _, u := range s.Users {
		if err := provision.EnsureUser(ctx, client, s.UserPool.ID, u); err != nil {
			return nil, fmt.Errorf("local user (is %s a password the pool accepts: 12 characters or more, upper and lower case, digits and symbols?): %w", localaws.EnvDevPassword, err)
		}
	}
	s.log.Info("user pool ready", "pool", s.UserPool.ID, "client", s.UserPool.ClientID, "cognito", endpoint)
	auth, err := authorizer.NewCognito(s.background, authorizer.Pool{Issuer: s.UserPool.Issuer(), ClientID: s.UserPool.ClientID, JWKSURL: s.UserPool.JWKSURL()})
	if err != nil {
		return nil, fmt.Errorf("user pool %s: %w", s.UserPool.ID, err)
	}
	return auth, nil
}

// cognitoClient is the Cognito client of the local user pool at endpoint.
func (s *Stack) cognitoClient(ctx context.Context, endpoint string) (*cip.Client, error) {
	cfg, err := localaws.Config(ctx, endpoint, nil, awsconfig.WithRegion(localaws.CognitoRegion))
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	return cip.NewFromConfig(cfg), nil
}

func (s *Stack) serve(opts Options, apiLn, lambdaLn net.Listener, ingestCfg config.Ingest, consumerCfg config.Consumer, manageCfg config.Manage, uploadCfg config.Upload, webhooksCfg config.Webhooks, auth *authorizer.Cognito) {
	apiLog := opts.Logger.With("component", "api")
	lambdaLog := opts.Logger.With("component", "lambda")
	consumerLog := opts.Logger.With("component", "consumer")
	webhooksLog := opts.Logger.With("component", "webhooks")

	// Ingest's clients have its short retry budget, as in its Lambda main.
	apiAWS := lambdaenv.ForAPI(s.AWS)
	ingestH := ingestwire.New(ingestCfg, dynamodb.NewFromConfig(apiAWS), sqs.NewFromConfig(apiAWS), apiLog)
	consumerH := consumerwire.New(consumerCfg, s.DynamoDB, s.SQS, consumerLog)
	manageH := managewire.New(manageCfg, s.DynamoDB, s.secrets, apiLog)
	// Uploads queue as ingest does, with the same retry budget.
	uploadH := uploadwire.New(uploadCfg, dynamodb.NewFromConfig(apiAWS), sqs.NewFromConfig(apiAWS), apiLog)
	s.Webhooks = webhookswire.New(webhooksCfg, s.DynamoDB, s.SQS, s.secrets, webhooksLog)
	if opts.WebhookRootCAs != nil {
		s.Webhooks.Client = webhooks.NewClient(webhooksCfg.AllowPrivateNetworks, opts.WebhookRootCAs)
	}

	api := Router{
		Gateway(s.Stage, resources.IngestFunction, ingestH.Handle, nil, apiLog),
		Gateway(s.Stage, resources.ManageFunction, manageH.Handle, auth, apiLog),
		Gateway(s.Stage, resources.UploadFunction, uploadH.Handle, auth, apiLog),
	}
	for _, g := range api {
		g.Observe = opts.Observe
	}
	invoke := &InvokeAPI{Logger: lambdaLog, Functions: []Function{
		{Name: resources.PhysicalName(s.Stage, "manage"), Aliases: []string{"manage", "ManageFunction"}, Handler: manageH.Handle, Timeout: resources.ManageFunction.Timeout},
		{Name: resources.PhysicalName(s.Stage, "ingest"), Aliases: []string{"ingest", "IngestFunction"}, Handler: ingestH.Handle, Timeout: resources.IngestFunction.Timeout},
		{Name: resources.PhysicalName(s.Stage, "consumer"), Aliases: []string{"consumer", "ConsumerFunction"}, Handler: consumerH.Handle, Timeout: resources.ConsumerFunction.Timeout},
		{Name: resources.PhysicalName(s.Stage, "webhooks"), Aliases: []string{"webhooks", "WebhooksFunction"}, Handler: s.Webhooks.Handle, Timeout: resources.WebhooksFunction.Timeout},
		{Name: resources.PhysicalName(s.Stage, "upload"), Aliases: []string{"upload", "UploadFunction"}, Handler: uploadH.Handle, Timeout: resources.UploadFunction.Timeout},
	}}
	for _, srv := range []struct {
		ln  net.Listener
		h   http.Handler
		log *slog.Logger
	}{{apiLn, api, apiLog}, {lambdaLn, invoke, lambdaLog}} {
		hs := newServer(srv.h, srv.log, serverTimeouts)
		s.servers = append(s.servers, hs)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := hs.Serve(srv.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				srv.log.Error("server stopped", "error", err)
			}
		}()
	}

	// Each queue feeds its function, as the event source mappings do.
	for _, fed := range []struct {
		fn  resources.Function
		url string
		h   poller.Handler
		log *slog.Logger
	}{
		{resources.ConsumerFunction, s.Resources.QueueURL, consumerH.Handle, consumerLog},
		{resources.WebhooksFunction, s.Resources.WebhooksQueueURL, s.Webhooks.Handle, webhooksLog},
	} {
		p := &poller.Poller{
			SQS:           s.SQS,
			QueueURL:      fed.url,
			Handler:       fed.h,
			Logger:        fed.log,
			BatchSize:     int32(fed.fn.EventSource.BatchSize),
			WaitTime:      opts.PollWait,
			InvokeTimeout: fed.fn.Timeout,
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = p.Run(s.background)
		}()
	}
}

// timeouts cut off a client that stalls, as API Gateway's front end does,
// so that no request holds a connection and a handler for ever.
type timeouts struct {
	// ReadHeader bounds reading a request's headers, Read the whole request
	// with its body (a body shorter than its Content-Length is answered 408),
	// Idle how long a kept-alive connection may wait for its next request.
	ReadHeader, Read, Idle time.Duration
}

// serverTimeouts are the local servers' timeouts. Read leaves a 10 MiB body
// time to arrive over a slow link; the handlers then have API Gateway's
// 29 s (or the function's timeout) to answer.
var serverTimeouts = timeouts{ReadHeader: 10 * time.Second, Read: 30 * time.Second, Idle: 2 * time.Minute}

func newServer(h http.Handler, log *slog.Logger, t timeouts) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		IdleTimeout:       t.Idle,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// Gateway is the API Gateway integration of fn in stage: its routes of
// resources.Routes, those signed in behind auth, served by h.
func Gateway(stage string, fn resources.Function, h ProxyHandler, auth Authorizer, log *slog.Logger) *APIGateway {
	g := &APIGateway{
		Handler:      h,
		Stage:        stage,
		FunctionName: resources.PhysicalName(stage, fn.Name),
		Timeout:      fn.Timeout,
		Authorizer:   auth,
		Unauthorized: signedin.Unauthorized(),
		Logger:       log,
		Methods:      map[string][]string{},
	}
	for _, r := range resources.Routes {
		if r.Function != fn.Name {
			continue
		}
		g.Methods[r.Path] = append(g.Methods[r.Path], r.Method)
		if slices.Contains(g.Routes, r.Path) {
			continue
		}
		g.Routes = append(g.Routes, r.Path)
		if !r.SignedIn {
			g.OpenRoutes = append(g.OpenRoutes, r.Path)
		}
	}
	return g
}

// Banner is the startup summary printed by `make dev`.
func (s *Stack) Banner() string {
	moto := s.Server.String() + ", already running"
	if s.StartedMoto {
		moto = "moto_server started by devstack"
	}
	cognito := "the AWS endpoint"
	if s.CognitoMoto {
		cognito = "moto_server started by devstack: the AWS endpoint does not serve Cognito"
	}
	var users strings.Builder
	for _, u := range s.Users {
		fmt.Fprintf(&users, "\n      %-22s password %s  (groups: %s)", u.Email, u.Password, strings.Join(u.Groups, ", "))
	}
	return fmt.Sprintf(`Target Loader local stack ready
  API (like sam local start-api):           %s
      POST %s/journeys/{journey_id}/targets
      GET  %s/journeys/{journey_id}/requests/{request_uuid}
      GET  %s/manage/...  (signed in: Authorization: Bearer <Cognito ID token>)
      GET  %s/openapi.json  (the OpenAPI document)
  Web console:                              %s/console/  (sign in as one of the users below)
  Invoke API (like sam local start-lambda): %s  (functions: manage, ingest, consumer, webhooks)
  AWS endpoint (DynamoDB, SQS):             %s  (%s)
  Cognito user pool:                        %s  client %s
      at %s  (%s)
  Users (tl signs in as the admin by itself; tl login for another):%s
  Stage:                                    %s
  Table prefix:                             %s
  Queue:                                    %s
Press Ctrl-C to stop.`,
		s.APIURL, s.APIURL, s.APIURL, s.APIURL, s.APIURL, s.APIURL, s.LambdaURL, s.Endpoint, moto,
		s.UserPool.ID, s.UserPool.ClientID, s.UserPool.Endpoint, cognito, users.String(), s.Stage,
		strings.TrimSuffix(resources.PhysicalName(s.Stage, "x"), "x"), s.Resources.QueueURL)
}

// Close stops the servers and the poller and, when this stack started it,
// moto_server (its whole process group). It is safe to call more than once.
func (s *Stack) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, hs := range s.servers {
			_ = hs.Shutdown(ctx)
		}
		if s.cancel != nil {
			s.cancel()
		}
		s.wg.Wait()
		s.stopMoto()
	})
	return nil
}

func withDefaults(o Options) Options {
	if o.Endpoint == "" {
		o.Endpoint = localaws.DefaultEndpoint
	}
	if o.APIAddr == "" {
		o.APIAddr = localaws.DefaultAPIAddr
	}
	if o.LambdaAddr == "" {
		o.LambdaAddr = localaws.DefaultLambdaAddr
	}
	if o.Stage == "" {
		o.Stage = localaws.DefaultStage
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.PollWait <= 0 {
		o.PollWait = time.Second
	}
	return o
}

func listen(addr, what string, setting Setting) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if errors.Is(err, syscall.EADDRINUSE) {
		return nil, fmt.Errorf("%s is in use (another make dev, or another program): %s to another address for %s", addr, setting.Hint(), what)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot serve %s at %s (%w): %s to another address", what, addr, err, setting.Hint())
	}
	return ln, nil
}

// ensureEndpoint uses moto_server or LocalStack when one answers at the
// endpoint on a loopback address, or starts moto_server there when nothing
// does. Any other endpoint, which would get the stage's tables and queues,
// needs AllowAnyEndpoint.
func (s *Stack) ensureEndpoint(opts Options) error {
	u, err := url.Parse(s.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Port() == "" {
		return fmt.Errorf("AWS endpoint %q is not a URL like %s: %s", s.Endpoint, localaws.DefaultEndpoint, SettingEndpoint.Hint())
	}
	loopback := localaws.IsLoopback(u.Hostname())
	s.Server = localaws.Identify(s.Endpoint, 2*time.Second)
	if s.Server.Kind == localaws.ServerNone {
		return s.startMoto(opts, u, loopback)
	}
	if err := checkServer(s.Endpoint, s.Server, loopback, opts.AllowAnyEndpoint); err != nil {
		return err
	}
	s.log.Info("using the AWS endpoint that already answers", "endpoint", s.Endpoint, "server", s.Server.String())
	return nil
}

// checkServer refuses a server that answers at endpoint unless it is
// moto_server or LocalStack on a loopback address, or allowAny.
func checkServer(endpoint string, server localaws.Server, loopback, allowAny bool) error {
	switch {
	case allowAny:
		return nil
	case !loopback:
		return fmt.Errorf("the AWS endpoint %s (%s) is not on this machine, and make dev would create tables and queues there: %s to a loopback address, or %s to use it anyway",
			endpoint, server, SettingEndpoint.Hint(), SettingAllowAny.Hint())
	case server.Kind != localaws.ServerMoto && server.Kind != localaws.ServerLocalStack:
		return fmt.Errorf("%s answers, but as neither moto_server nor LocalStack (another program on that port?): %s to another address, or %s to use it anyway",
			endpoint, SettingEndpoint.Hint(), SettingAllowAny.Hint())
	}
	return nil
}

// startMoto starts moto_server at the endpoint, where nothing answers.
func (s *Stack) startMoto(opts Options, u *url.URL, loopback bool) error {
	switch {
	case opts.NoMoto:
		return fmt.Errorf("nothing answers at the AWS endpoint %s, and moto_server is not to be started (%s): start moto_server or LocalStack there, or %s",
			s.Endpoint, "--"+SettingNoMoto.Flag, SettingEndpoint.Hint())
	case !loopback:
		return fmt.Errorf("nothing answers at the AWS endpoint %s, and moto_server is only started on a loopback address: %s",
			s.Endpoint, SettingEndpoint.Hint())
	}
	s.log.Info("starting moto_server", "endpoint", s.Endpoint)
	port, _ := strconv.Atoi(u.Port())
	m, err := localaws.StartMoto(u.Hostname(), port, opts.MotoOutput)
	if errors.Is(err, localaws.ErrNoMoto) {
		return err
	}
	if err != nil {
		return fmt.Errorf("%w: %s to another address", err, SettingEndpoint.Hint())
	}
	s.moto, s.StartedMoto = m, true
	s.Server = localaws.Server{Kind: localaws.ServerMoto}
	s.log.Info("started moto_server", "endpoint", s.Endpoint, "pid", s.moto.Pid())
	return nil
}

func (s *Stack) stopMoto() {
	for _, m := range []**localaws.Moto{&s.cognitoMoto, &s.moto} {
		if *m == nil {
			continue
		}
		(*m).Stop()
		s.log.Info("stopped moto_server", "pid", (*m).Pid())
		*m = nil
	}
}
