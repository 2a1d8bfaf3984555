package devstack

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// short are the servers' timeouts scaled down for the tests.
var short = timeouts{ReadHeader: 500 * time.Millisecond, Read: 300 * time.Millisecond, Idle: 300 * time.Millisecond}

// serve runs the local API server on a loopback port with timeouts t and
// returns its address and how often the Lambda handler was called.
func serve(t *testing.T, to timeouts) (addr string, invoked *int) {
	t.Helper()
	calls := 0
	g := &APIGateway{Routes: routes, Stage: "local", Handler: func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		calls++
		return events.APIGatewayProxyResponse{StatusCode: http.StatusAccepted, Body: `{}`}, nil
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := newServer(g, slog.New(slog.DiscardHandler), to)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String(), &calls
}

func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	// A guard only: every answer the test expects comes well before.
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	return c
}

// A body shorter than its Content-Length used to hang the request for ever.
// Now the read timeout ends it with a 408 as API Gateway's front end sends
// it, and the function is never called.
func TestBodyThatNeverEndsIs408(t *testing.T) {
	addr, invoked := serve(t, short)
	c := dial(t, addr)
	io.WriteString(c, "POST /journeys/J1/targets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n[{\"source")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer to a body that never ends: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestTimeout || !strings.Contains(string(body), `"message"`) {
		t.Errorf("answer = %d %s, want 408 {\"message\": ...}", resp.StatusCode, body)
	}
	if *invoked != 0 {
		t.Errorf("the function was called %d time(s) with a partial body", *invoked)
	}
}

// A connection that sends nothing, or nothing more after a request, is
// closed by the server after the header or idle timeout (not by the test's
// own guard deadline).
func TestIdleConnectionsAreClosed(t *testing.T) {
	addr, _ := serve(t, short)

	silent := dial(t, addr)
	if _, err := io.ReadAll(silent); err != nil {
		t.Errorf("a connection that never sent a request stays open: %v", err)
	}

	kept := dial(t, addr)
	io.WriteString(kept, "GET /journeys/J1/targets HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	r := bufio.NewReader(kept)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	if rest, err := io.ReadAll(r); err != nil || len(rest) > 0 {
		t.Errorf("the idle kept-alive connection was not closed: %q, %v", rest, err)
	}
}

// The stack's servers have every timeout set.
func TestServerTimeoutsAreSet(t *testing.T) {
	s := newServer(http.NotFoundHandler(), slog.New(slog.DiscardHandler), serverTimeouts)
	if s.ReadHeaderTimeout <= 0 || s.ReadTimeout <= 0 || s.IdleTimeout <= 0 {
		t.Errorf("timeouts: header %s, read %s, idle %s", s.ReadHeaderTimeout, s.ReadTimeout, s.IdleTimeout)
	}
}
