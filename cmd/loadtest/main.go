// Command loadtest is the load harness of `make bench` (PERFORMANCE.md). By
// default it is self-contained: it starts moto_server on a free loopback
// port, puts a counting reverse proxy (shared/testsupport/callcount) in front of it and
// runs the local stack (shared/local/devstack: the API as API Gateway serves it and
// the consumer fed from the queue) against the proxy, so every DynamoDB and
// SQS request of the service is counted. With -external it drives a stack
// that `make dev` already runs (API http://127.0.0.1:3000, AWS endpoint
// http://127.0.0.1:4566, stage local); calls are not counted then.
//
// It seeds a journey, -accounts accounts and one token per client, runs
// -clients concurrent clients posting -targets targets per request for
// -duration, waits until every accepted request is completed, and reports
// accepted requests/s, API latency percentiles, end-to-end targets/s and AWS
// calls per target, as a table and as JSON under -out.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/targetloader/targetloader/shared/wire/managewire"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/local/devstack"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/local/provision"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/callcount"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// Bounds: the harness never runs unbounded.
const (
	maxClients   = 64
	maxDuration  = 10 * time.Minute
	maxAccounts  = 100_000
	journeyID    = "LOADTEST"
	pollInterval = 100 * time.Millisecond
)

type options struct {
	clients      int
	duration     time.Duration
	targets      int
	accounts     int
	drainTimeout time.Duration
	out          string
	external     bool
	apiURL       string
	endpoint     string
	stage        string
	verbose      bool
}

func main() {
	os.Exit(run())
}

func run() int {
	var o options
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.IntVar(&o.clients, "clients", 2, fmt.Sprintf("concurrent clients (1-%d)", maxClients))
	fs.DurationVar(&o.duration, "duration", 20*time.Second, fmt.Sprintf("how long the clients post (at most %s)", maxDuration))
	fs.IntVar(&o.targets, "targets", domain.MaxTargets, "targets per request (1-500)")
	fs.IntVar(&o.accounts, "accounts", 5000, fmt.Sprintf("accounts seeded and cycled through by the requests (at most %d)", maxAccounts))
	fs.DurationVar(&o.drainTimeout, "drain-timeout", 3*time.Minute, "how long to wait for the accepted requests to complete")
	fs.StringVar(&o.out, "out", ".bench", "directory for the raw JSON results")
	fs.BoolVar(&o.external, "external", false, "drive the stack that make dev runs instead of starting one (calls are not counted)")
	fs.StringVar(&o.apiURL, "api", "http://"+localaws.DefaultAPIAddr, "API base URL with -external (loopback only)")
	fs.StringVar(&o.endpoint, "endpoint", localaws.DefaultEndpoint, "AWS endpoint with -external (loopback only)")
	fs.StringVar(&o.stage, "stage", localaws.DefaultStage, "stage with -external")
	fs.BoolVar(&o.verbose, "v", false, "log the stack's output")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := o.validate(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := loadtest(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		return 1
	}
	fmt.Print(res.table())
	path, err := res.save(o.out)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest: save results:", err)
		return 1
	}
	fmt.Println("raw results:", path)
	return 0
}

func (o options) validate() error {
	switch {
	case o.clients < 1 || o.clients > maxClients:
		return fmt.Errorf("-clients must be 1 to %d", maxClients)
	case o.duration <= 0 || o.duration > maxDuration:
		return fmt.Errorf("-duration must be positive and at most %s", maxDuration)
	case o.targets < 1 || o.targets > domain.MaxTargets:
		return fmt.Errorf("-targets must be 1 to %d", domain.MaxTargets)
	case o.accounts < o.targets || o.accounts > maxAccounts:
		return fmt.Errorf("-accounts must be at least -targets and at most %d", maxAccounts)
	case o.drainTimeout <= 0 || o.drainTimeout > maxDuration:
		return fmt.Errorf("-drain-timeout must be positive and at most %s", maxDuration)
	}
	if o.external {
		for _, u := range []string{o.apiURL, o.endpoint} {
			if !loopbackURL(u) {
				return fmt.Errorf("%s is not a loopback http URL; the harness only drives a local stack", u)
			}
		}
	}
	return nil
}

func loopbackURL(raw string) bool {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "http" {
		return false
	}
	if u.Hostname() == "localhost" {
		return true
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.IsLoopback()
}

// target is what the harness drives: an API, AWS clients for seeding and
// for watching progress without being counted, and the counter if any.
type target struct {
	apiURL  string
	db      store.DynamoDB // seeding and progress reads (not counted)
	env     map[string]string
	counter *callcount.Counter
	stack   string
	close   func()
	// manage creates the tokens, as a signed-in marketer would.
	manage *manage.Handler
}

func loadtest(ctx context.Context, o options) (*result, error) {
	logger := slog.New(slog.DiscardHandler)
	if o.verbose {
		logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	var tg *target
	var err error
	if o.external {
		tg, err = externalTarget(ctx, o, logger)
	} else {
		tg, err = selfContained(ctx, logger)
	}
	if err != nil {
		return nil, err
	}
	defer tg.close()

	res := newResult(o, tg.stack)
	fmt.Fprintf(os.Stderr, "seeding journey %s, %d accounts and %d token(s)...\n", journeyID, o.accounts, o.clients)
	accounts, secrets, err := seed(ctx, tg, o)
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	bodies := makeBodies(accounts, o.targets)

	if tg.counter != nil {
		tg.counter.Reset()
	}
	fmt.Fprintf(os.Stderr, "posting with %d client(s) for %s...\n", o.clients, o.duration)
	start := time.Now()
	samples := post(ctx, tg.apiURL, secrets, bodies, o.duration)
	postEnd := time.Now()
	res.addSamples(samples, postEnd.Sub(start), o.targets)
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}

	fmt.Fprintf(os.Stderr, "%d request(s) accepted; waiting until every one is completed...\n", res.Requests.Accepted)
	last, err := waitCompleted(ctx, tg, samples, o.drainTimeout)
	if err != nil {
		return nil, err
	}
	res.EndToEndSeconds = last.Sub(start).Seconds()
	if res.EndToEndSeconds > 0 {
		res.TargetsPerSecond = float64(res.Requests.Accepted*o.targets) / res.EndToEndSeconds
	}
	if tg.counter != nil {
		res.addCalls(tg.counter.Snapshot())
	}
	if err := checkStatus(ctx, tg.apiURL, secrets[0], samples, o.targets); err != nil {
		return nil, err
	}
	return res, nil
}

// selfContained starts moto_server, the counting proxy and the local stack.
func selfContained(ctx context.Context, logger *slog.Logger) (*target, error) {
	moto, err := localaws.StartMoto("127.0.0.1", 0, nil)
	if err != nil {
		return nil, err
	}
	stopMoto, motoURL := moto.Stop, moto.Endpoint
	counter := callcount.New()
	proxy, err := countingProxy(motoURL, counter)
	if err != nil {
		stopMoto()
		return nil, err
	}
	stack, err := devstack.Start(ctx, devstack.Options{
		Endpoint:   proxy.URL,
		NoMoto:     true,
		APIAddr:    "127.0.0.1:0",
		LambdaAddr: "127.0.0.1:0",
		Stage:      "loadtest",
		Logger:     logger,
		PollWait:   time.Second,
	})
	if err != nil {
		proxy.Close()
		stopMoto()
		return nil, err
	}
	direct, err := awsConfig(ctx, motoURL)
	if err != nil {
		stack.Close()
		proxy.Close()
		stopMoto()
		return nil, err
	}
	manageCfg, err := config.LoadFrom[config.Manage](stack.Env)
	if err != nil {
		return nil, err
	}
	mh := managewire.New(manageCfg, dynamodb.NewFromConfig(direct), secretsmanager.NewFromConfig(direct), logger)
	return &target{
		apiURL:  stack.APIURL,
		db:      dynamodb.NewFromConfig(direct),
		env:     stack.Env,
		counter: counter,
		stack:   "self-contained: moto_server " + motoURL + " behind a counting proxy, shared/local/devstack API " + stack.APIURL,
		manage:  mh,
		close: func() {
			stack.Close()
			proxy.Close()
			stopMoto()
		},
	}, nil
}

// externalTarget drives a stack `make dev` runs.
func externalTarget(ctx context.Context, o options, logger *slog.Logger) (*target, error) {
	cfg, err := awsConfig(ctx, o.endpoint)
	if err != nil {
		return nil, err
	}
	db := dynamodb.NewFromConfig(cfg)
	res, err := provision.Ensure(ctx, db, sqs.NewFromConfig(cfg), secretsmanager.NewFromConfig(cfg), o.stage)
	if err != nil {
		return nil, fmt.Errorf("stage %s at %s: %w", o.stage, o.endpoint, err)
	}
	env := res.Env()
	// Tokens are created by the handler itself: the user pool is not used.
	maps.Copy(env, provision.UserPool{ID: localaws.CognitoRegion + "_loadtest", ClientID: "loadtest", Endpoint: o.endpoint}.Env())
	manageCfg, err := config.LoadFrom[config.Manage](env)
	if err != nil {
		return nil, err
	}
	mh := managewire.New(manageCfg, db, secretsmanager.NewFromConfig(cfg), logger)
	return &target{apiURL: strings.TrimRight(o.apiURL, "/"), db: db, env: env, manage: mh,
		stack: "external: API " + o.apiURL + ", AWS endpoint " + o.endpoint + ", stage " + o.stage, close: func() {}}, nil
}

func awsConfig(ctx context.Context, endpoint string) (aws.Config, error) {
	return localaws.Config(ctx, endpoint, localaws.IgnoreEnv)
}

type proxyServer struct {
	URL string
	srv *http.Server
}

func (p *proxyServer) Close() { _ = p.srv.Close() }

// countingProxy forwards to upstream, counting every request. The Host
// header is kept, so queue URLs moto builds point back at the proxy.
func countingProxy(upstream string, counter *callcount.Counter) (*proxyServer, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConnsPerHost = 128
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host
		},
		Transport: counter.Transport(base),
		// The poller's long polls are cut when the stack stops: not news.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return &proxyServer{URL: "http://" + ln.Addr().String(), srv: srv}, nil
}

func seed(ctx context.Context, tg *target, o options) ([]domain.Account, []string, error) {
	if err := (store.Journeys{DB: tg.db, Table: tg.env["JOURNEYS_TABLE"]}).Put(ctx, domain.Journey{ID: journeyID, Name: "Load test"}); err != nil {
		return nil, nil, err
	}
	accounts := workload.Accounts(o.accounts)
	acc := store.Accounts{DB: tg.db, Table: tg.env["ACCOUNTS_TABLE"], EmailsTable: tg.env["ACCOUNT_EMAILS_TABLE"]}
	if _, err := acc.Import(ctx, accounts); err != nil {
		return nil, nil, err
	}
	// One token per client: the per-token rate limit stays out of the way.
	secrets := make([]string, o.clients)
	for i := range secrets {
		resp, err := tg.manage.Handle(ctx, workload.CreateToken(journeyID, "30d"))
		var created manage.Created
		if err == nil && resp.StatusCode != http.StatusCreated {
			err = fmt.Errorf("create token: %d %s", resp.StatusCode, resp.Body)
		}
		if err == nil {
			err = json.Unmarshal([]byte(resp.Body), &created)
		}
		if err != nil {
			return nil, nil, err
		}
		secrets[i] = created.Token
	}
	return accounts, secrets, nil
}

// makeBodies cuts the accounts into request bodies of n targets (see
// workload.Targets). Requests cycle through them.
func makeBodies(accounts []domain.Account, n int) [][]byte {
	var bodies [][]byte
	for from := 0; from+n <= len(accounts); from += n {
		bodies = append(bodies, workload.Body(accounts, from, n))
	}
	return bodies
}

// sample is one POST.
type sample struct {
	client      int
	status      int
	latency     time.Duration
	requestUUID string
	err         string
}

func post(ctx context.Context, apiURL string, secrets []string, bodies [][]byte, d time.Duration) []sample {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = len(secrets)
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var samples []sample
	var next int
	var wg sync.WaitGroup
	for c, secret := range secrets {
		wg.Go(func() {
			for ctx.Err() == nil {
				mu.Lock()
				body := bodies[next%len(bodies)]
				next++
				mu.Unlock()
				s := postOnce(client, apiURL, secret, body)
				s.client = c
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
				if s.status == http.StatusTooManyRequests || s.status >= 500 || s.err != "" {
					select {
					case <-ctx.Done():
					case <-time.After(time.Second):
					}
				}
			}
		})
	}
	wg.Wait()
	return samples
}

func postOnce(client *http.Client, apiURL, secret string, body []byte) sample {
	req, err := http.NewRequest(http.MethodPost, apiURL+"/journeys/"+journeyID+"/targets", bytes.NewReader(body))
	if err != nil {
		return sample{err: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+secret)
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return sample{err: err.Error(), latency: time.Since(start)}
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	s := sample{status: resp.StatusCode, latency: time.Since(start)}
	if resp.StatusCode == http.StatusAccepted {
		var acc ingest.Accepted
		if err := json.Unmarshal(raw, &acc); err != nil {
			s.err = "bad 202 body: " + err.Error()
		}
		s.requestUUID = acc.RequestUUID
	}
	return s
}

// waitCompleted polls the accepted requests' progress (read straight from
// the requests table, as GET status computes it, so the polling is not
// counted) and returns when the last one was seen completed.
func waitCompleted(ctx context.Context, tg *target, samples []sample, timeout time.Duration) (time.Time, error) {
	reqs := store.Requests{DB: tg.db, Table: tg.env["REQUESTS_TABLE"]}
	pending := map[string]bool{}
	for _, s := range samples {
		if s.requestUUID != "" {
			pending[s.requestUUID] = true
		}
	}
	deadline := time.Now().Add(timeout)
	last := time.Now()
	for len(pending) > 0 {
		for u := range pending {
			r, err := reqs.Get(ctx, u)
			if err != nil {
				return last, fmt.Errorf("read request %s: %w", u, err)
			}
			if r.Progress().Status == domain.ProgressCompleted {
				delete(pending, u)
				last = time.Now()
			}
		}
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) {
			return last, fmt.Errorf("%d request(s) not completed within %s", len(pending), timeout)
		}
		select {
		case <-ctx.Done():
			return last, ctx.Err()
		case <-time.After(pollInterval):
		}
	}
	return last, nil
}

// checkStatus reads the last accepted request through GET status, as a
// caller would, and checks it is completed with every record there.
func checkStatus(ctx context.Context, apiURL, secret string, samples []sample, targets int) error {
	var u string
	for _, s := range samples {
		if s.requestUUID != "" && s.client == 0 {
			u = s.requestUUID
		}
	}
	if u == "" {
		return nil
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/journeys/"+journeyID+"/requests/"+u+"?limit=500", nil)
	req.Header.Set("Authorization", "Bearer "+secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var st ingest.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET status of %s: %d %v", u, resp.StatusCode, err)
	}
	if st.Status != domain.ProgressCompleted || len(st.Records) != targets {
		return fmt.Errorf("GET status of %s: %s with %d records, want completed with %d", u, st.Status, len(st.Records), targets)
	}
	return nil
}

// result is what a run measured; it is saved as JSON.
type result struct {
	StartedAt time.Time `json:"started_at"`
	Stack     string    `json:"stack"`
	Machine   machine   `json:"machine"`
	Config    struct {
		Clients         int     `json:"clients"`
		DurationSeconds float64 `json:"duration_seconds"`
		TargetsPerReq   int     `json:"targets_per_request"`
		Accounts        int     `json:"accounts"`
	} `json:"config"`
	Requests struct {
		Sent      int `json:"sent"`
		Accepted  int `json:"accepted"`
		Throttled int `json:"throttled_429"`
		Failed    int `json:"failed"`
	} `json:"requests"`
	PostSeconds        float64            `json:"post_seconds"`
	AcceptedPerSecond  float64            `json:"accepted_requests_per_second"`
	LatencyMS          map[string]float64 `json:"latency_ms"`
	EndToEndSeconds    float64            `json:"end_to_end_seconds"`
	TargetsPerSecond   float64            `json:"end_to_end_targets_per_second"`
	Calls              callcount.Snapshot `json:"calls,omitempty"`
	CallsPerTarget     float64            `json:"calls_per_target,omitempty"`
	CallsPerTargetAll  float64            `json:"calls_per_target_with_polling,omitempty"`
	CallsPer500Targets float64            `json:"calls_per_500_targets,omitempty"`
	Errors             []string           `json:"errors,omitempty"`
}

type machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	GoVersion string `json:"go_version"`
	Moto      string `json:"moto_version,omitempty"`
	OS        string `json:"os"`
}

func newResult(o options, stack string) *result {
	r := &result{StartedAt: time.Now().UTC(), Stack: stack, Machine: describeMachine()}
	r.Config.Clients = o.clients
	r.Config.DurationSeconds = o.duration.Seconds()
	r.Config.TargetsPerReq = o.targets
	r.Config.Accounts = o.accounts
	return r
}

func describeMachine() machine {
	m := machine{CPUs: runtime.NumCPU(), GoVersion: runtime.Version(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	// moto_server has no --version; ask the Python it is installed in (best effort).
	if out, err := exec.Command("python3", "-c", "import moto; print(moto.__version__)").Output(); err == nil {
		m.Moto = "moto " + strings.TrimSpace(string(out))
	}
	return m
}

func (r *result) addSamples(samples []sample, elapsed time.Duration, targets int) {
	r.PostSeconds = elapsed.Seconds()
	var lat []float64
	errs := map[string]int{}
	for _, s := range samples {
		r.Requests.Sent++
		switch {
		case s.status == http.StatusAccepted && s.err == "":
			r.Requests.Accepted++
			lat = append(lat, float64(s.latency)/float64(time.Millisecond))
		case s.status == http.StatusTooManyRequests:
			r.Requests.Throttled++
		default:
			r.Requests.Failed++
			msg := s.err
			if msg == "" {
				msg = "HTTP " + strconv.Itoa(s.status)
			}
			errs[msg]++
		}
	}
	for msg, n := range errs {
		r.Errors = append(r.Errors, fmt.Sprintf("%d x %s", n, msg))
	}
	if elapsed > 0 {
		r.AcceptedPerSecond = float64(r.Requests.Accepted) / elapsed.Seconds()
	}
	slices.Sort(lat)
	r.LatencyMS = map[string]float64{"p50": percentile(lat, 50), "p95": percentile(lat, 95), "p99": percentile(lat, 99)}
	if len(lat) > 0 {
		r.LatencyMS["max"] = lat[len(lat)-1]
	}
}

func percentile(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

var (
	opReceive    = callcount.Op{Service: callcount.SQS, Operation: "ReceiveMessage"}
	opQueueAttrs = callcount.Op{Service: callcount.SQS, Operation: "GetQueueAttributes"}
)

func (r *result) addCalls(s callcount.Snapshot) {
	r.Calls = s
	targets := float64(r.Requests.Accepted * r.Config.TargetsPerReq)
	if targets == 0 {
		return
	}
	work := s.Without(opReceive, opQueueAttrs).Calls(nil)
	r.CallsPerTarget = float64(work) / targets
	r.CallsPerTargetAll = float64(s.Calls(nil)) / targets
	r.CallsPer500Targets = r.CallsPerTarget * 500
}

func (r *result) table() string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nTarget Loader load test, %s\n", r.Stack)
	fmt.Fprintf(&b, "machine: %d CPU(s) %s, %s, %s, %s\n", r.Machine.CPUs, r.Machine.CPUModel, r.Machine.GoVersion, r.Machine.OS, r.Machine.Moto)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	row := func(k, v string, args ...any) { fmt.Fprintf(w, "%s\t"+v+"\n", append([]any{k}, args...)...) }
	row("clients x duration", "%d x %.0fs, %d targets per request, %d accounts", r.Config.Clients, r.Config.DurationSeconds, r.Config.TargetsPerReq, r.Config.Accounts)
	row("requests", "%d sent, %d accepted, %d throttled (429), %d failed", r.Requests.Sent, r.Requests.Accepted, r.Requests.Throttled, r.Requests.Failed)
	row("accepted requests/s", "%.1f", r.AcceptedPerSecond)
	row("API latency (202)", "p50 %.0f ms, p95 %.0f ms, p99 %.0f ms, max %.0f ms", r.LatencyMS["p50"], r.LatencyMS["p95"], r.LatencyMS["p99"], r.LatencyMS["max"])
	row("end to end", "%d targets in %.1fs = %.0f targets/s (until the last request completed)", r.Requests.Accepted*r.Config.TargetsPerReq, r.EndToEndSeconds, r.TargetsPerSecond)
	if r.Calls != nil {
		row("AWS calls per target", "%.4f (%.1f per 500 targets; %.4f with the poller's ReceiveMessage)", r.CallsPerTarget, r.CallsPer500Targets, r.CallsPerTargetAll)
	} else {
		row("AWS calls per target", "not counted against an external stack")
	}
	for _, e := range r.Errors {
		row("error", "%s", e)
	}
	w.Flush()
	if r.Calls != nil {
		b.WriteString("\nDynamoDB and SQS calls during the run:\n")
		b.WriteString(r.Calls.Table(float64(r.Requests.Accepted*r.Config.TargetsPerReq)/500, "per 500"))
	}
	return b.String()
}

func (r *result) save(dir string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "loadtest-"+r.StartedAt.Format("20060102T150405Z")+".json")
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	return path, os.WriteFile(path, append(b, '\n'), 0o644)
}
