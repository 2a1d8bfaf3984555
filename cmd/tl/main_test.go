package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
	"github.com/targetloader/targetloader/shared/wire/managewire"
	"github.com/targetloader/targetloader/shared/wire/uploadwire"
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m))
}

// harness runs tl in-process against a fresh stage on moto_server, with a
// user pool in moto's Cognito and the management API served as the local
// stack serves it (ID tokens validated first) by the real manage handler.
type harness struct {
	t     *testing.T
	stack *testenv.Stack
	pool  *testenv.UserPool
	api   *httptest.Server
	// configDir is the user's configuration directory (the session's home).
	configDir string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessOn(t, testenv.NewStack(t))
}

// newHarnessOn is a harness on stack, whose clients the manage handler uses
// (counting ones, say).
func newHarnessOn(t *testing.T, stack *testenv.Stack) *harness {
	t.Helper()
	h := &harness{t: t, stack: stack, configDir: t.TempDir()}
	h.pool = h.stack.UserPool(t)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	handler := managewire.New(testenv.Config[config.Manage](t, h.stack), h.stack.DynamoDB, h.stack.Secrets, log)
	uploads := uploadwire.New(testenv.Config[config.Upload](t, h.stack), h.stack.DynamoDB, h.stack.SQS, log)
	h.api = httptest.NewServer(testenv.ManageAPI(h.stack.Resources.Stage, handler, uploads, h.pool.Authorizer, log, nil))
	t.Cleanup(h.api.Close)
	return h
}

// result is one tl run.
type result struct {
	code   int
	stdout string
	stderr string
}

// tl runs the command line with args against the harness's stage.
func (h *harness) tl(args ...string) result {
	return h.tlIn("", args...)
}

func (h *harness) tlIn(stdin string, args ...string) result {
	h.t.Helper()
	full := append([]string{
		"--endpoint", testenv.Endpoint(),
		"--stage", h.stack.Resources.Stage,
		"--api-url", h.api.URL,
	}, args...)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), full, Env{
		Stdin:     strings.NewReader(stdin),
		Stdout:    &stdout,
		Stderr:    &stderr,
		Getenv:    func(string) string { return "" },
		ConfigDir: func() (string, error) { return h.configDir, nil },
	})
	return result{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// ok runs tl and fails the test unless it exits 0.
func (h *harness) ok(args ...string) result {
	h.t.Helper()
	r := h.tl(args...)
	if r.code != 0 {
		h.t.Fatalf("tl %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// fails runs tl and fails the test unless it fails as a command that ran
// does (exit 1) with wantErr in its error.
func (h *harness) fails(wantErr string, args ...string) result {
	h.t.Helper()
	r := h.tl(args...)
	checkError(h.t, r, exitError, wantErr, args)
	return r
}

// misuse runs tl and fails the test unless it refuses the command line
// (exit 2) with wantErr in its error.
func (h *harness) misuse(wantErr string, args ...string) result {
	h.t.Helper()
	r := h.tl(args...)
	checkError(h.t, r, exitUsage, wantErr, args)
	return r
}

// checkError checks that r is a failure with exit status code reported the
// one way: the error on stderr, each of its lines after "tl: ", ending the
// output, and no usage dump.
func checkError(t *testing.T, r result, code int, wantErr string, args []string) {
	t.Helper()
	cmd := "tl " + strings.Join(args, " ")
	if r.code != code {
		t.Fatalf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", cmd, r.code, code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	if !strings.HasPrefix(lines[len(lines)-1], "tl: ") {
		t.Errorf("%s: the last line on stderr does not start with \"tl: \": %q", cmd, r.stderr)
	}
	if strings.Contains(r.stderr, "Usage:") || strings.Contains(r.stdout, "Usage:") {
		t.Errorf("%s: a usage dump with the error:\nstdout:\n%s\nstderr:\n%s", cmd, r.stdout, r.stderr)
	}
	var msg strings.Builder
	for _, l := range lines {
		if rest, ok := strings.CutPrefix(l, "tl: "); ok {
			msg.WriteString(rest + "\n")
		}
	}
	if !strings.Contains(msg.String(), wantErr) {
		t.Fatalf("%s: the error %q does not contain %q", cmd, msg.String(), wantErr)
	}
}

func decodeJSON[T any](t *testing.T, s string) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(strings.NewReader(s))
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %T from %q: %v", v, s, err)
	}
	return v
}

// login signs email in with tl login --password-stdin.
func (h *harness) login(email string) {
	h.t.Helper()
	r := h.tlIn(h.pool.Password+"\n", "login", "--email", email, "--password-stdin")
	if r.code != 0 {
		h.t.Fatalf("tl login %s: exit %d: %s", email, r.code, r.stderr)
	}
}
