package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/mattn/go-isatty"
	"github.com/spf13/cobra"
	"github.com/targetloader/targetloader/shared/awsclient"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/resources"
)

// Defaults of the local stack (PRODUCT.md §7).
const (
	defaultEndpoint   = localaws.DefaultEndpoint
	defaultAPIURL     = "http://" + localaws.DefaultAPIAddr
	defaultLocalStage = localaws.DefaultStage
	defaultAWSStage   = "dev"
)

// localEndpoint is a part of the local stack tl talks to, and the global
// flag and environment variable that say where it serves.
type localEndpoint struct{ what, flag, env string }

var (
	localAWS = localEndpoint{"AWS endpoint", "endpoint", "TL_ENDPOINT"}
	localAPI = localEndpoint{"API", "api-url", "TL_API_URL"}
)

// Env is the process environment a command runs in; tests pass their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// ConfigDir is the user's configuration directory, where the sign-in
	// session is kept (os.UserConfigDir when nil).
	ConfigDir func() (string, error)
	// ReadSecret prompts on the terminal and reads a line without echo;
	// nil when standard input is not a terminal.
	ReadSecret func(prompt string) (string, error)
}

// run executes tl with args and returns the process exit code.
func run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) string { return "" }
	}
	if env.Stdin == nil {
		env.Stdin = strings.NewReader("")
	}
	if env.ConfigDir == nil {
		env.ConfigDir = os.UserConfigDir
	}
	root := newRootCmd(env)
	root.SetArgs(args)
	return execute(ctx, root, env.Stderr)
}

// app holds the global flags and the clients built from them.
type app struct {
	env      Env
	useAWS   bool
	stage    string
	endpoint string
	// apiURL is the REST API's base URL ("" with --aws until a session names it).
	apiURL string

	cfg      *aws.Config
	db       *dynamodb.Client
	sessions *sessionStore
	// signedIn is the session of this run, once the first API call needed
	// it; sessionMu guards it when calls run at once (tl loader import).
	signedIn  *session
	sessionMu sync.Mutex
}

func newRootCmd(env Env) *cobra.Command {
	a := &app{env: env}
	root := &cobra.Command{
		Use:   "tl",
		Short: "Target Loader command line: journeys, accounts, API tokens, targets and loader records",
		Long: `tl manages Target Loader: journeys, CRM accounts, journey API tokens, and
reads journey target lists and target loader records.

Marketers and admins sign in (tl login): tokens, target lists and loader
records go through the management API as the signed-in user, with no AWS
credentials. Against the local stack tl signs in as its admin by itself.
Ops commands (journeys, accounts import, dlq redrive) use AWS credentials.

By default it talks to the local stack started by "make dev"; with --aws it
talks to a deployed stack: the API named by --api-url (or the last tl login
--aws), and AWS for ops commands (SDK default credential chain and region;
AWS_ENDPOINT_URL applies).

` + exitStatusHelp,
		Example: `  tl journeys put --id J-DEMO --name "Cardiology webinar" --end 2030-06-30
  tl tokens create --journey J-DEMO --expires 90d
  tl targets list --journey J-DEMO --json
  tl --aws --api-url https://abc123.execute-api.eu-west-1.amazonaws.com/v1 login`,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return a.resolveFlags(cmd) },
	}
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.SetIn(env.Stdin)
	f := root.PersistentFlags()
	f.BoolVar(&a.useAWS, "aws", false, "talk to AWS instead of the local stack")
	f.StringVar(&a.stage, "stage", "", `stage whose tables to use (env TL_STAGE; default "local", or "dev" with --aws)`)
	f.StringVar(&a.endpoint, "endpoint", "", "local AWS endpoint for DynamoDB (env TL_ENDPOINT; default "+defaultEndpoint+")")
	f.StringVar(&a.apiURL, "api-url", "", "the REST API's base URL (env TL_API_URL; default "+defaultAPIURL+", or with --aws the stack's ApiUrl output as the last tl login --aws gave it)")

	root.AddCommand(a.loginCmd(), a.logoutCmd(), a.whoamiCmd(),
		a.journeysCmd(), a.accountsCmd(), a.tokensCmd(), a.targetsCmd(), a.loaderCmd(), a.webhooksCmd(), a.dlqCmd())
	holdToConventions(root)
	return root
}

// resolveFlags fills unset global flags from the environment and defaults.
func (a *app) resolveFlags(cmd *cobra.Command) error {
	pick := func(flag, envVar, def string) string {
		if cmd.Flags().Changed(flag) {
			v, _ := cmd.Flags().GetString(flag)
			return v
		}
		if v := strings.TrimSpace(a.env.Getenv(envVar)); v != "" {
			return v
		}
		return def
	}
	if a.useAWS && cmd.Flags().Changed("endpoint") {
		return errors.New("--endpoint is for the local stack; with --aws, set AWS_ENDPOINT_URL to use another endpoint")
	}
	stageDefault := defaultLocalStage
	if a.useAWS {
		stageDefault = defaultAWSStage
	}
	a.stage = pick("stage", "TL_STAGE", stageDefault)
	if a.stage == "" {
		return errors.New("--stage must not be empty")
	}
	a.endpoint = pick(localAWS.flag, localAWS.env, defaultEndpoint)
	apiDefault := defaultAPIURL
	if a.useAWS {
		apiDefault = "" // the session's, once it is read
	}
	a.apiURL = strings.TrimRight(pick("api-url", "TL_API_URL", apiDefault), "/")
	a.sessions = &sessionStore{dir: a.env.ConfigDir}
	return nil
}

// table is the physical name of a table in the chosen stage.
func (a *app) table(t resources.Table) string { return resources.PhysicalName(a.stage, t.ID) }

func (a *app) awsConfig(ctx context.Context) (aws.Config, error) {
	if a.cfg != nil {
		return *a.cfg, nil
	}
	load := func() (aws.Config, error) { return awsclient.Load(ctx) }
	if !a.useAWS {
		// Endpoints are set per client (DynamoDB and Lambda differ locally).
		load = func() (aws.Config, error) { return localaws.Config(ctx, "", a.env.Getenv) }
	}
	cfg, err := load()
	if err != nil {
		return aws.Config{}, fmt.Errorf("load AWS configuration: %w", err)
	}
	a.cfg = &cfg
	return cfg, nil
}

// dynamo returns the DynamoDB client (locally: the --endpoint).
func (a *app) dynamo(ctx context.Context) (*dynamodb.Client, error) {
	if a.db != nil {
		return a.db, nil
	}
	cfg, err := a.clientConfig(ctx, a.endpoint, localAWS)
	if err != nil {
		return nil, err
	}
	a.db = dynamodb.NewFromConfig(cfg)
	return a.db, nil
}

// clientConfig is the SDK config for one client. Locally it points the client
// at endpoint after checking that it answers, so a missing stack fails fast
// with a hint; with --aws the SDK's own endpoint resolution applies.
func (a *app) clientConfig(ctx context.Context, endpoint string, what localEndpoint) (aws.Config, error) {
	cfg, err := a.awsConfig(ctx)
	if err != nil || a.useAWS {
		return cfg, err
	}
	if err := checkReachable(ctx, endpoint, what); err != nil {
		return aws.Config{}, err
	}
	cfg = cfg.Copy()
	cfg.BaseEndpoint = aws.String(endpoint)
	return cfg, nil
}

// checkReachable dials endpoint's host so that a stack that is not running
// is reported at once instead of after the SDK's retries.
func checkReachable(ctx context.Context, endpoint string, what localEndpoint) error {
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return fmt.Errorf("the local %s %q is not an http(s) URL: set %s or --%s", what.what, endpoint, what.env, what.flag)
	}
	host := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		host = net.JoinHostPort(u.Hostname(), port)
	}
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return fmt.Errorf("cannot reach the local %s at %s: is `make dev` running? If it serves elsewhere, set %s or --%s (--aws talks to AWS)",
			what.what, endpoint, what.env, what.flag)
	}
	conn.Close()
	return nil
}

// explain adds a hint to errors whose cause a user can fix.
func (a *app) explain(err error, tableID string) error {
	if err == nil {
		return nil
	}
	var rnf *types.ResourceNotFoundException
	if errors.As(err, &rnf) {
		where := "is `make dev` running, and is --stage right?"
		if a.useAWS {
			where = "is the stack deployed in this account and region, and is --stage right?"
		}
		return fmt.Errorf("table %s not found (stage %q): %s", resources.PhysicalName(a.stage, tableID), a.stage, where)
	}
	var op *net.OpError
	if errors.As(err, &op) && !a.useAWS {
		return fmt.Errorf("%w\nis `make dev` running?", err)
	}
	return err
}

// Output helpers.

func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.env.Stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printJSONList prints items as a JSON array, [] when there are none.
func printJSONList[T any](a *app, items []T) error {
	if items == nil {
		items = []T{}
	}
	return a.printJSON(items)
}

// printTable writes rows under header with aligned columns. Cells hold
// values others submitted (targets, names): every character a terminal would
// not print as itself is shown escaped, so none can move the cursor, recolour
// the screen or reorder the line (escape sequences, C1 controls, bidi
// overrides).
func (a *app) printTable(header []string, rows [][]string) error {
	w := tabwriter.NewWriter(a.env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, strings.Join(header, "\t"))
	for _, r := range rows {
		for i, c := range r {
			if c == "" {
				c = "-"
			}
			r[i] = escapeNonPrintable(c)
		}
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	return w.Flush()
}

// escapeNonPrintable replaces each character of s that is not printable
// (unicode.IsPrint: letters, marks, numbers, punctuation, symbols and the
// ASCII space), and each invalid byte, with its Go escape (\x1b, \u202e).
func escapeNonPrintable(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String()
}

func (a *app) printf(format string, args ...any) {
	fmt.Fprintf(a.env.Stdout, format, args...)
}

func (a *app) warnf(format string, args ...any) {
	fmt.Fprintf(a.env.Stderr, format, args...)
}

// stderrIsTerminal reports whether progress bars can be drawn.
func (a *app) stderrIsTerminal() bool {
	f, ok := a.env.Stderr.(*os.File)
	if !ok {
		return false
	}
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func requireFlag(cmd *cobra.Command, names ...string) {
	for _, n := range names {
		_ = cmd.MarkFlagRequired(n)
	}
}
