// Package e2e starts the local stack the way `make dev` does (on free
// ports, against a moto_server of its own), drives it over real HTTP and
// with the tl command line, and runs the sample events in events/ through
// the real handlers via the Lambda Invoke API.
package e2e

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/local/devstack"
	"github.com/targetloader/targetloader/shared/testsupport/apicheck"
	"github.com/targetloader/targetloader/shared/testsupport/hookreceiver"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

var (
	stack *devstack.Stack
	// tlBin is the tl command line, built once, with the version tlVersion.
	tlBin string
	// repoRoot is the module root (events/ lives there).
	repoRoot string
	logs     testenv.SyncBuffer
	// home is the HOME and configuration directory tl runs with, where it
	// keeps its session.
	home string
	// conformance checks every exchange of the local API against the
	// OpenAPI document; TestMain fails the run on any that does not conform.
	conformance = apicheck.Collecting()
	// hooks is the webhook receiver the stack's webhooks function trusts.
	hooks *hookreceiver.Receiver
)

const tlVersion = "v0.0.0-e2e"

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	flag.Parse()
	if testing.Short() {
		fmt.Println("e2e: skipped in -short mode")
		return 0
	}
	var err error
	if repoRoot, err = filepath.Abs("../.."); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "tl-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	home = filepath.Join(tmp, "home")

	// Build tl while the stack starts.
	var buildErr error
	var buildOut []byte
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tlBin = filepath.Join(tmp, "tl")
		// Stamped as make install stamps it (TestVersion checks it shows).
		cmd := exec.Command("go", "build", "-ldflags", "-X main.buildVersion="+tlVersion, "-o", tlBin, "./cmd/tl")
		cmd.Dir = repoRoot
		buildOut, buildErr = cmd.CombinedOutput()
	}()

	hooks = hookreceiver.Start()
	defer hooks.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var stop func()
	stack, stop, err = testenv.LocalStack(ctx, "e2e", slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		func(o *devstack.Options) {
			o.Observe = conformance.Observe
			o.WebhookRootCAs = hooks.RootCAs()
		})
	wg.Wait()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start the local stack:", err)
		return 1
	}
	defer stop()
	if buildErr != nil {
		fmt.Fprintf(os.Stderr, "e2e: go build ./cmd/tl: %v\n%s", buildErr, buildOut)
		return 1
	}
	return conforming(testenv.RunShowingLog(m, &logs))
}

// conforming fails a run whose exchanges with the local API did not all
// conform to the OpenAPI document, or in which none was checked.
func conforming(code int) int {
	n, ops := conformance.Checked()
	if failures := conformance.Failures(); len(failures) > 0 {
		fmt.Fprintf(os.Stderr, "e2e: %d exchange(s) of the local API do not conform to the OpenAPI document:\n  %s\n", len(failures), strings.Join(failures, "\n  "))
		return 1
	}
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && n == 0 {
		fmt.Fprintln(os.Stderr, "e2e: no exchange of the local API was checked against the OpenAPI document")
		return 1
	}
	if testing.Verbose() {
		fmt.Printf("e2e: %d exchanges checked against the OpenAPI document, %d operation/status pairs\n", n, len(ops))
	}
	return code
}

// tl runs the tl command line against the test's stack and returns its
// standard output; a non-zero exit fails the test.
func tl(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := tlRun(args...)
	if err != nil {
		t.Fatalf("tl %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

func tlRun(args ...string) (stdout, stderr string, err error) {
	return tlWith(tlEnv(home, true), "", args...)
}

// tlEnv is the environment tl runs in, with its configuration directory
// under dir: this process's environment, less every AWS_ variable unless
// withAWS (then the local stack's endpoint and stage, as ops use them).
func tlEnv(dir string, withAWS bool) []string {
	env := []string{"HOME=" + dir, "XDG_CONFIG_HOME=" + filepath.Join(dir, ".config"), "TL_API_URL=" + stack.APIURL}
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "TL_") || k == "HOME" || k == "XDG_CONFIG_HOME" {
			continue
		}
		env = append(env, kv)
	}
	if withAWS {
		env = append(env, "TL_ENDPOINT="+stack.Endpoint, "TL_STAGE="+stack.Stage)
	}
	return env
}

// tlWith runs tl in env with stdin.
func tlWith(env []string, stdin string, args ...string) (stdout, stderr string, err error) {
	cmd := exec.Command(tlBin, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		err = fmt.Errorf("timed out: %w", <-done)
	}
	return o.String(), e.String(), err
}
