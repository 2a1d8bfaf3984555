// Package devstack runs the whole service on one machine, as `make dev`
// does: an AWS-compatible endpoint for DynamoDB and SQS (moto_server unless
// one already answers), the stage's tables and queues, the REST API as API
// Gateway would serve it, the Lambda Invoke API, and the consumer fed from
// the queue as the SQS event source mapping would feed it. It runs the same
// handlers (shared/wire) that the Lambda functions run.
package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/targetloader/targetloader/shared/wire/consumerwire"
	"github.com/targetloader/targetloader/shared/wire/ingestwire"
	"github.com/targetloader/targetloader/shared/wire/tokenswire"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/local/poller"
	"github.com/targetloader/targetloader/shared/local/provision"
	"github.com/targetloader/targetloader/shared/resources"
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
	// Env is the environment the functions get (tables, queues, API_BASE_URL).
	Env      map[string]string
	AWS      aws.Config
	DynamoDB *dynamodb.Client
	SQS      *sqs.Client

	log       *slog.Logger
	moto      *localaws.Moto
	servers   []*http.Server
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// Start brings the stack up and returns once every part serves. ctx bounds
// the start only; call Close to stop the stack.
func Start(ctx context.Context, opts Options) (_ *Stack, err error) {
	opts = withDefaults(opts)
	s := &Stack{Endpoint: strings.TrimRight(opts.Endpoint, "/"), Stage: opts.Stage, log: opts.Logger.With("component", "devstack")}
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
	provCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	s.Resources, err = provision.Ensure(provCtx, s.DynamoDB, s.SQS, s.Stage)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("provision stage %q at %s: %w", s.Stage, s.Endpoint, err)
	}
	s.log.Info("tables and queues ready", "stage", s.Stage, "queue", s.Resources.QueueURL)

	s.Env = s.Resources.Env()
	s.Env[resources.EnvAPIBaseURL] = s.APIURL
	ingestCfg, err := config.LoadFrom[config.Ingest](s.Env)
	if err == nil {
		var consumerCfg config.Consumer
		if consumerCfg, err = config.LoadFrom[config.Consumer](s.Env); err == nil {
			var tokensCfg config.Tokens
			if tokensCfg, err = config.LoadFrom[config.Tokens](s.Env); err == nil {
				s.serve(opts, apiLn, lambdaLn, ingestCfg, consumerCfg, tokensCfg)
				return s, nil
			}
		}
	}
	return nil, err
}

func (s *Stack) serve(opts Options, apiLn, lambdaLn net.Listener, ingestCfg config.Ingest, consumerCfg config.Consumer, tokensCfg config.Tokens) {
	apiLog := opts.Logger.With("component", "api")
	lambdaLog := opts.Logger.With("component", "lambda")
	consumerLog := opts.Logger.With("component", "consumer")

	ingestH := ingestwire.New(ingestCfg, s.DynamoDB, s.SQS, apiLog)
	consumerH := consumerwire.New(consumerCfg, s.DynamoDB, consumerLog)
	tokensH := tokenswire.New(tokensCfg, s.DynamoDB, lambdaLog)

	api := &APIGateway{
		Handler:      ingestH.Handle,
		Routes:       []string{ingest.RouteTargets, ingest.RouteRequest},
		Stage:        s.Stage,
		FunctionName: resources.PhysicalName(s.Stage, "ingest"),
		Timeout:      resources.IngestFunction.Timeout,
		Logger:       apiLog,
	}
	invoke := &InvokeAPI{Logger: lambdaLog, Functions: []Function{
		{Name: resources.PhysicalName(s.Stage, "tokens"), Aliases: []string{"tokens", "TokensFunction"}, Handler: tokensH.Handle, Timeout: resources.TokensFunction.Timeout},
		{Name: resources.PhysicalName(s.Stage, "ingest"), Aliases: []string{"ingest", "IngestFunction"}, Handler: ingestH.Handle, Timeout: resources.IngestFunction.Timeout},
		{Name: resources.PhysicalName(s.Stage, "consumer"), Aliases: []string{"consumer", "ConsumerFunction"}, Handler: consumerH.Handle, Timeout: resources.ConsumerFunction.Timeout},
	}}
	for _, srv := range []struct {
		ln  net.Listener
		h   http.Handler
		log *slog.Logger
	}{{apiLn, api, apiLog}, {lambdaLn, invoke, lambdaLog}} {
		hs := &http.Server{Handler: srv.h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(srv.log.Handler(), slog.LevelWarn)}
		s.servers = append(s.servers, hs)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := hs.Serve(srv.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				srv.log.Error("server stopped", "error", err)
			}
		}()
	}

	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	p := &poller.Poller{
		SQS:           s.SQS,
		QueueURL:      s.Resources.QueueURL,
		Handler:       consumerH.Handle,
		Logger:        consumerLog,
		BatchSize:     int32(resources.ConsumerFunction.EventSource.BatchSize),
		WaitTime:      opts.PollWait,
		InvokeTimeout: resources.ConsumerFunction.Timeout,
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		_ = p.Run(ctx)
	}()
}

// Banner is the startup summary printed by `make dev`.
func (s *Stack) Banner() string {
	moto := s.Server.String() + ", already running"
	if s.StartedMoto {
		moto = "moto_server started by devstack"
	}
	return fmt.Sprintf(`Target Loader local stack ready
  API (like sam local start-api):           %s
      POST %s/journeys/{journey_id}/targets
      GET  %s/journeys/{journey_id}/requests/{request_uuid}
  Invoke API (like sam local start-lambda): %s  (functions: tokens, ingest, consumer)
  AWS endpoint (DynamoDB, SQS):             %s  (%s)
  Stage:                                    %s
  Table prefix:                             %s
  Queue:                                    %s
Press Ctrl-C to stop.`,
		s.APIURL, s.APIURL, s.APIURL, s.LambdaURL, s.Endpoint, moto, s.Stage,
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
	if s.moto == nil {
		return
	}
	s.moto.Stop()
	s.log.Info("stopped moto_server", "pid", s.moto.Pid())
	s.moto = nil
}
