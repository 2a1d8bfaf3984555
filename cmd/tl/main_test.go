package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/wire/tokenswire"

	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/local/devstack"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m))
}

// harness runs tl in-process against a fresh stage on moto_server and a
// Lambda Invoke API serving the real tokens handler.
type harness struct {
	t      *testing.T
	stack  *testenv.Stack
	lambda *httptest.Server
	// invocations counts calls per function name.
	invocations map[string]int
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{t: t, stack: testenv.NewStack(t), invocations: map[string]int{}}
	cfg := testenv.Config[config.Tokens](t, h.stack)
	handler := tokenswire.New(cfg, h.stack.DynamoDB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	// The Invoke API of the local stack, serving the real tokens handler.
	api := &devstack.InvokeAPI{Functions: []devstack.Function{{Name: "tokens", Handler: handler.Handle, Timeout: 10 * time.Second}}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h.lambda = httptest.NewServer(countInvocations(api, h.invocations))
	t.Cleanup(h.lambda.Close)
	return h
}

var invokePath = regexp.MustCompile(`^/2015-03-31/functions/([^/]+)/invocations$`)

// countInvocations counts the Invoke API calls per function name, then hands
// them to next.
func countInvocations(next http.Handler, calls map[string]int) http.Handler {
	var mu sync.Mutex
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := invokePath.FindStringSubmatch(r.URL.Path); m != nil {
			mu.Lock()
			calls[m[1]]++
			mu.Unlock()
		}
		next.ServeHTTP(w, r)
	})
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
		"--lambda-endpoint", h.lambda.URL,
	}, args...)
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), full, Env{
		Stdin:  strings.NewReader(stdin),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string {
			if k == "USER" {
				return "tester"
			}
			return ""
		},
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

// fails runs tl and fails the test unless it exits non-zero with wantErr on stderr.
func (h *harness) fails(wantErr string, args ...string) result {
	h.t.Helper()
	r := h.tl(args...)
	if r.code == 0 {
		h.t.Fatalf("tl %s: exit 0, want failure\nstdout:\n%s", strings.Join(args, " "), r.stdout)
	}
	if !strings.Contains(r.stderr, wantErr) {
		h.t.Fatalf("tl %s: stderr %q does not contain %q", strings.Join(args, " "), r.stderr, wantErr)
	}
	return r
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
