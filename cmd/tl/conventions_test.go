package main

// The conventions every tl command follows. The tests walk the command
// tree, so a command added later is held to them without a test of its own.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/testsupport/readme"
)

// commands is every visible command of tl, the root included.
func commands() []*cobra.Command {
	var all []*cobra.Command
	visit(newRootCmd(Env{}), func(c *cobra.Command) {
		if !c.Hidden {
			all = append(all, c)
		}
	})
	return all
}

// cobraOwn tells cobra's own commands (help, completion) from tl's.
func cobraOwn(c *cobra.Command) bool {
	for p := c; p.HasParent(); p = p.Parent() {
		if p.Parent() == c.Root() && (p.Name() == "help" || p.Name() == "completion") {
			return true
		}
	}
	return false
}

// runnable is every command of tl's own that does something (not a group).
func runnable() []*cobra.Command {
	var cs []*cobra.Command
	for _, c := range commands() {
		if c.Runnable() && !cobraOwn(c) {
			cs = append(cs, c)
		}
	}
	return cs
}

// path is a command's words after "tl".
func path(c *cobra.Command) []string {
	return strings.Fields(strings.TrimPrefix(c.CommandPath(), "tl"))
}

// tlAlone runs tl in-process with no local stack, an empty environment and
// a configuration directory of its own.
func tlAlone(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	dir := t.TempDir()
	var stdout, stderr strings.Builder
	code := run(context.Background(), args, Env{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr,
		ConfigDir: func() (string, error) { return dir, nil },
	})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// refused checks that tl refused args as a usage error, with wantErr, and
// printed nothing on stdout.
func refused(t *testing.T, wantErr string, args ...string) {
	t.Helper()
	r := tlAlone(t, "", args...)
	checkError(t, r, exitUsage, wantErr, args)
	if r.stdout != "" {
		t.Errorf("tl %s: stdout %q with a usage error", strings.Join(args, " "), r.stdout)
	}
}

func TestEveryCommandHasAnExample(t *testing.T) {
	for _, c := range commands() {
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no Example", c.CommandPath())
			continue
		}
		for _, line := range strings.Split(c.Example, "\n") {
			if !strings.HasPrefix(line, "  ") || !strings.Contains(line, "tl ") {
				t.Errorf("%s: example line %q is not an indented tl command line", c.CommandPath(), line)
			}
		}
	}
}

// printsNoData are the commands without --json, and why.
var printsNoData = map[string]string{
	"tl login":  "says who signed in; tl whoami --json tells it as JSON",
	"tl logout": "says it signed out; there is nothing to read",
}

func TestEveryCommandThatPrintsDataHasJSON(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range runnable() {
		seen[c.CommandPath()] = true
		f := c.Flags().Lookup("json")
		if _, exempt := printsNoData[c.CommandPath()]; exempt {
			if f != nil {
				t.Errorf("%s has --json: take it off printsNoData", c.CommandPath())
			}
			continue
		}
		if f == nil {
			t.Errorf("%s has no --json (a listing needs one; a command that prints no data goes in printsNoData with the reason)", c.CommandPath())
			continue
		}
		if f.Value.Type() != "bool" || !strings.HasPrefix(f.Usage, "print ") {
			t.Errorf("%s: --json is a %s %q; want a bool whose usage says what it prints (print …)", c.CommandPath(), f.Value.Type(), f.Usage)
		}
	}
	for name := range printsNoData {
		if !seen[name] {
			t.Errorf("printsNoData names %s, which is no command", name)
		}
	}
}

// flagSynonyms are names tl does not use, and the one it uses instead.
var flagSynonyms = map[string]string{
	"journey-id": "journey", "journeyid": "journey", "request-uuid": "request", "request-id": "request", "uuid": "request",
	"token-id": "id (tl tokens …)", "output": "json", "format": "json", "out": "json", "end-date": "end",
	"expiry": "expires", "expire": "expires", "user": "email", "username": "email",
}

func TestFlagsAreNamedAlike(t *testing.T) {
	kebab := regexp.MustCompile(`^[a-z][a-z0-9]*(-[a-z0-9]+)*$`)
	typeOf := map[string]string{}
	firstIn := map[string]string{}
	for _, c := range commands() {
		if cobraOwn(c) {
			continue
		}
		c.NonInheritedFlags().VisitAll(func(f *pflag.Flag) {
			where := c.CommandPath() + " --" + f.Name
			if f.Name == "help" || f.Name == "version" {
				return
			}
			if !kebab.MatchString(f.Name) {
				t.Errorf("%s: flag names are lower-case words joined by -", where)
			}
			if use, ok := flagSynonyms[f.Name]; ok {
				t.Errorf("%s: tl calls it --%s", where, use)
			}
			if f.Shorthand != "" {
				t.Errorf("%s has the shorthand -%s: tl's flags have none", where, f.Shorthand)
			}
			if typ, ok := typeOf[f.Name]; ok && typ != f.Value.Type() {
				t.Errorf("%s is a %s, but a %s in %s", where, f.Value.Type(), typ, firstIn[f.Name])
			} else if !ok {
				typeOf[f.Name], firstIn[f.Name] = f.Value.Type(), c.CommandPath()
			}
			_, required := f.Annotations[cobra.BashCompOneRequiredFlag]
			if required != strings.HasSuffix(f.Usage, "(required)") {
				t.Errorf("%s: its usage %q ends with (required) exactly when it is required (required: %v)", where, f.Usage, required)
			}
		})
	}
}

func TestUnknownCommandsAreUsageErrors(t *testing.T) {
	var groups int
	for _, c := range commands() {
		if !c.HasAvailableSubCommands() {
			continue
		}
		groups++
		refused(t, `unknown command "nosuch" for "`+c.CommandPath()+`"`, append(path(c), "nosuch")...)
		// A typo names the command meant.
		for _, sub := range c.Commands() {
			if !sub.IsAvailableCommand() || len(sub.Name()) < 4 {
				continue
			}
			typo := sub.Name()[:1] + sub.Name()[2:]
			refused(t, `did you mean "`+sub.CommandPath()+`"`, append(path(c), typo)...)
		}
	}
	if groups < 5 {
		t.Fatalf("only %d commands with subcommands: the walk is broken", groups)
	}
	refused(t, `unknown command "nosuch" for "tl"`, "help", "nosuch")
	refused(t, `did you mean "tl tokens list"`, "help", "tokens", "lst")
}

func TestBadFlagsAndArgumentsAreUsageErrors(t *testing.T) {
	for _, c := range runnable() {
		p := path(c)
		refused(t, "unknown flag: --no-such-flag", append(p, "--no-such-flag")...)
		var required []string
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if _, ok := f.Annotations[cobra.BashCompOneRequiredFlag]; ok {
				required = append(required, f.Name)
			}
		})
		if len(required) > 0 {
			refused(t, `required flag(s) "`+required[0], p...)
		}
		if c.Args == nil {
			t.Errorf("%s takes any arguments: give it Args (cobra.NoArgs, …)", c.CommandPath())
		} else if c.Args(c, []string{"a", "b", "c"}) != nil {
			refused(t, "", append(p, "a", "b", "c")...)
		}
	}
	refused(t, "--endpoint is for the local stack", "--aws", "--endpoint", "http://127.0.0.1:1", "journeys", "list")
}

// runtimeArgs are what some commands need besides their required flags to
// get as far as the local stack.
var runtimeArgs = map[string][]string{
	"tl journeys put":    {"--name", "Journey"},
	"tl loader list":     {"--journey", "J1"},
	"tl login":           {"--email", "marketer@example.com", "--password-stdin"},
	"tl accounts import": {filepath.Join("..", "..", "examples", "accounts.csv")},
	"tl loader import":   {filepath.Join("..", "..", "examples", "targets.csv")},
}

// positional are the arguments of args that are not flags or their values,
// such as the file to import.
func positional(c *cobra.Command, args []string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		name, isFlag := strings.CutPrefix(args[i], "--")
		if !isFlag {
			out = append(out, args[i])
		} else if f := c.Flags().Lookup(name); f != nil && f.Value.Type() != "bool" {
			i++ // its value
		}
	}
	return out
}

// succeedsWithoutStack are the commands that need no local stack.
var succeedsWithoutStack = map[string]string{
	"tl logout": "with no session there is nothing to revoke",
}

// Every command that reaches for a stopped local stack fails the same way:
// exit 1, the error on stderr naming the setting to change, nothing on
// stdout, no usage.
func TestRuntimeErrorsExit1(t *testing.T) {
	port, err := localaws.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://127.0.0.1:" + strconv.Itoa(port)
	for _, c := range runnable() {
		args := append([]string{"--endpoint", dead, "--api-url", dead}, path(c)...)
		c.Flags().VisitAll(func(f *pflag.Flag) {
			if _, ok := f.Annotations[cobra.BashCompOneRequiredFlag]; ok {
				args = append(args, "--"+f.Name, "x")
			}
		})
		args = append(args, runtimeArgs[c.CommandPath()]...)
		r := tlAlone(t, "Local-dev-pass-1\n", args...)
		if _, ok := succeedsWithoutStack[c.CommandPath()]; ok {
			if r.code != exitOK {
				t.Errorf("tl %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
			}
			continue
		}
		checkError(t, r, exitError, "cannot reach the local", args)
		if r.stdout != "" {
			t.Errorf("tl %s: stdout %q with an error", strings.Join(args, " "), r.stdout)
		}
	}
}

// An unknown journey is one sentence and exit 1 in every command that names
// a journey; the API's answers show their HTTP status.
func TestUnknownJourneyIsTheSameEverywhere(t *testing.T) {
	h := newHarness(t)
	var n int
	for _, c := range runnable() {
		var args []string
		switch {
		case c.Flags().Lookup("journey") != nil:
			args = append(path(c), "--journey", "NOPE")
			if c.Flags().Lookup("expires") != nil {
				args = append(args, "--expires", "30d")
			}
			args = append(args, positional(c, runtimeArgs[c.CommandPath()])...)
		case c.Parent().Name() == "journeys" && c.Flags().Lookup("id") != nil:
			args = append(path(c), "--id", "NOPE")
			if c.Flags().Lookup("end") != nil {
				args = append(args, "--end", "2030-01-01")
			}
		default:
			continue
		}
		n++
		r := h.fails("journey NOPE does not exist", args...)
		if !strings.HasPrefix(r.stderr, "tl: journey NOPE does not exist") && !strings.Contains(r.stderr, "\ntl: journey NOPE does not exist") {
			t.Errorf("tl %s said %q", strings.Join(args, " "), r.stderr)
		}
		if r.stdout != "" {
			t.Errorf("tl %s: stdout %q", strings.Join(args, " "), r.stdout)
		}
	}
	if n < 6 {
		t.Fatalf("only %d commands name a journey: the walk is broken", n)
	}
}

func TestAPIProblemsShowDetailAndStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/problem":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"type":"about:blank","title":"Conflict","status":409,"detail":"Journey J1 has ended: no token can be generated for it."}`))
		case "/no-detail":
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"title":"Forbidden","status":403}`))
		case "/gateway":
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte(`{"message": "Internal server error"}`))
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	a := &app{}
	for path, want := range map[string]string{
		"/problem":   "Journey J1 has ended: no token can be generated for it. (HTTP 409)",
		"/no-detail": "Forbidden (HTTP 403)",
		"/gateway":   `GET ` + srv.URL + `/gateway answered "{\"message\": \"Internal server error\"}" (HTTP 502)`,
		"/empty":     `GET ` + srv.URL + `/empty answered "Service Unavailable" (HTTP 503)`,
	} {
		err := a.request(context.Background(), http.MethodGet, srv.URL+path, "", nil, nil)
		var ae *apiError
		if !errors.As(err, &ae) || err.Error() != want {
			t.Errorf("%s: error %v, want %q", path, err, want)
		}
	}
}

func TestVersion(t *testing.T) {
	r := tlAlone(t, "", "--version")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "tl ") || strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
		t.Errorf("tl --version: %+v", r)
	}
	platform := " (" + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + ")"
	info := func(v string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Path: "github.com/targetloader/targetloader", Version: v}, Settings: settings}, true
		}
	}
	for _, tc := range []struct {
		name, stamped string
		info          func() (*debug.BuildInfo, bool)
		want          string
	}{
		{"make install", "v1.4.0-3-g92fd7f4-dirty", info("(devel)"), "v1.4.0-3-g92fd7f4-dirty"},
		{"go install @version", "", info("v1.4.0"), "v1.4.0"},
		{"go build in a clone", "", info("v0.0.0-20261201234838-92fd7f4d05a0+dirty"), "v0.0.0-20261201234838-92fd7f4d05a0+dirty"},
		{"commit only", "", info("(devel)", debug.BuildSetting{Key: "vcs.revision", Value: "92fd7f4d"}, debug.BuildSetting{Key: "vcs.modified", Value: "true"}),
			"devel, commit 92fd7f4d with local changes"},
		{"nothing", "", info("(devel)"), "devel, built without version information"},
		{"no build info", "", func() (*debug.BuildInfo, bool) { return nil, false }, "devel, built without version information"},
	} {
		if got := version(tc.stamped, tc.info); got != tc.want+platform {
			t.Errorf("%s: version %q, want %q", tc.name, got, tc.want+platform)
		}
	}
}

// tl --help and README's tl section state the same exit statuses.
func TestExitStatusesAreDocumented(t *testing.T) {
	r := tlAlone(t, "", "--help")
	if r.code != 0 || !strings.Contains(r.stdout, exitStatusHelp) {
		t.Errorf("tl --help does not state the exit statuses:\n%s", r.stdout)
	}
	section := readme.Section(t, filepath.Join("..", "..", "README.md"), "## `tl` — the command line")
	for _, want := range []string{"Exit status", "`0`", "`1`", "`2`", "tl --version", "make install"} {
		if !strings.Contains(section, want) {
			t.Errorf("README's tl section does not say %q", want)
		}
	}
}
