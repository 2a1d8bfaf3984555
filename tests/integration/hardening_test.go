package integration

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

func (e *env) postWithKey(token, key, body string) eventsResponse {
	e.t.Helper()
	req := workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": "J1"}, token, body)
	req.Headers["Idempotency-Key"] = key
	return e.call(req)
}

func TestIdempotencyKeyReplaysTheFirstResponse(t *testing.T) {
	e := newEnv(t)
	token := e.seed(2)
	body := `[{"source_system_id":"s","account_id":"A000"}]`

	first := e.postWithKey(token, "order-1", body)
	if first.StatusCode != http.StatusAccepted {
		t.Fatalf("first = %d %s", first.StatusCode, first.Body)
	}
	again := e.postWithKey(token, "order-1", body)
	if again.StatusCode != http.StatusAccepted || again.Body != first.Body || again.Headers["Idempotent-Replayed"] != "true" {
		t.Errorf("replay = %d %s %v, want the first response %s", again.StatusCode, again.Body, again.Headers, first.Body)
	}
	assertProblem(t, e.postWithKey(token, "order-1", `[{"source_system_id":"other","account_id":"A001"}]`), http.StatusUnprocessableEntity)
	assertProblem(t, e.postWithKey(token, strings.Repeat("k", domain.MaxIdempotencyKeyChars+1), body), http.StatusBadRequest)
	if resp := e.postWithKey(token, strings.Repeat("k", domain.MaxIdempotencyKeyChars), body); resp.StatusCode != http.StatusAccepted {
		t.Errorf("a %d-character key = %d", domain.MaxIdempotencyKeyChars, resp.StatusCode)
	}
	// Printable ASCII only: nothing that could rewrite a log line or a terminal.
	for _, key := range []string{"🔑", "order-1\x1b[2J", "order\u202e1", "order\t1"} {
		assertProblem(t, e.postWithKey(token, key, body), http.StatusBadRequest)
	}
	// Keys are scoped per token: another token may use the same key.
	other := e.createToken("J1", "30d").Token
	if resp := e.postWithKey(other, "order-1", body); resp.StatusCode != http.StatusAccepted || resp.Body == first.Body {
		t.Errorf("another token's key = %d %s", resp.StatusCode, resp.Body)
	}
	if msgs := e.receiveAll(); len(msgs) != 3 {
		t.Errorf("%d messages queued, want 3 (first, long key, other token)", len(msgs))
	}
}

// gatedQueue holds every send until release is closed.
type gatedQueue struct {
	ingest.Queue
	started chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gatedQueue) Send(ctx context.Context, batches []domain.Batch) error {
	g.once.Do(func() { close(g.started) })
	<-g.release
	return g.Queue.Send(ctx, batches)
}

func TestIdempotencyKeyInFlightAndConcurrent(t *testing.T) {
	e := newEnv(t)
	token := e.seed(1)
	body := `[{"source_system_id":"s","account_id":"A000"}]`
	gate := &gatedQueue{Queue: e.Ingest.Queue, started: make(chan struct{}), release: make(chan struct{})}
	e.Ingest.Queue = gate

	firstDone := make(chan eventsResponse)
	go func() { firstDone <- e.postWithKey(token, "k1", body) }()
	<-gate.started
	assertProblem(t, e.postWithKey(token, "k1", body), http.StatusConflict)
	close(gate.release)
	first := <-firstDone
	if first.StatusCode != http.StatusAccepted {
		t.Fatalf("first = %d %s", first.StatusCode, first.Body)
	}

	// Two requests with one new key at the same moment: one request is queued.
	var wg sync.WaitGroup
	results := make([]eventsResponse, 4)
	for i := range results {
		wg.Go(func() { results[i] = e.postWithKey(token, "k2", body) })
	}
	wg.Wait()
	uuids := map[string]bool{}
	for _, r := range results {
		switch r.StatusCode {
		case http.StatusAccepted:
			uuids[decode[ingest.Accepted](t, r.Body).RequestUUID] = true
		case http.StatusConflict:
		default:
			t.Errorf("concurrent request = %d %s", r.StatusCode, r.Body)
		}
	}
	if len(uuids) != 1 {
		t.Errorf("concurrent requests with one key created %d requests", len(uuids))
	}
	if msgs := e.receiveAll(); len(msgs) != 2 {
		t.Errorf("%d messages queued, want 2 (k1 and k2)", len(msgs))
	}
}

// failingQueue fails every send.
type failingQueue struct{}

func (failingQueue) Send(context.Context, []domain.Batch) error { return context.DeadlineExceeded }

func TestIdempotencyKeyAfterAFailedAttemptRetriesForReal(t *testing.T) {
	e := newEnv(t)
	token := e.seed(1)
	body := `[{"source_system_id":"s","account_id":"A000"}]`
	real := e.Ingest.Queue
	e.Ingest.Queue = failingQueue{}
	assertProblem(t, e.postWithKey(token, "k", body), http.StatusServiceUnavailable)
	e.Ingest.Queue = real
	resp := e.postWithKey(token, "k", body)
	if resp.StatusCode != http.StatusAccepted || resp.Headers["Idempotent-Replayed"] != "" {
		t.Fatalf("retry after a 5xx = %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	e.drain()
	if recs := e.records(decode[ingest.Accepted](t, resp.Body).RequestUUID); len(recs) != 1 {
		t.Errorf("%d records", len(recs))
	}
}

func TestPerTokenRateLimit(t *testing.T) {
	e := newEnv(t)
	token := e.seed(1)
	other := e.createToken("J1", "30d").Token
	e.Ingest.RatePolicy = domain.RatePolicy{PerSecond: 1, Burst: 3}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	e.Ingest.Now = func() time.Time { return now }
	body := `[{"source_system_id":"s","account_id":"A000"}]`

	for i := range 3 {
		resp := e.post("J1", token, body)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("request %d = %d %s", i, resp.StatusCode, resp.Body)
		}
		if got, want := resp.Headers["RateLimit"], `"per-token";r=`+strconv.Itoa(2-i)+`;t=3`; got != want {
			t.Errorf("RateLimit = %q, want %q", got, want)
		}
	}
	limited := e.post("J1", token, body)
	assertProblem(t, limited, http.StatusTooManyRequests)
	if limited.Headers["Retry-After"] != "3" || limited.Headers["RateLimit-Policy"] != `"per-token";q=3;w=3` {
		t.Errorf("429 headers = %v", limited.Headers)
	}
	// The limit is per token, and it resets with the next window.
	if resp := e.post("J1", other, body); resp.StatusCode != http.StatusAccepted {
		t.Errorf("another token = %d", resp.StatusCode)
	}
	now = now.Add(3 * time.Second)
	if resp := e.post("J1", token, body); resp.StatusCode != http.StatusAccepted {
		t.Errorf("next window = %d %s", resp.StatusCode, resp.Body)
	}
	// Every response carries the policy, even a refusal before any token is known.
	if resp := e.post("J1", "", body); resp.Headers["RateLimit-Policy"] == "" {
		t.Errorf("401 without RateLimit-Policy: %v", resp.Headers)
	}
}

// The review's finding: with fixed windows, 20 requests just before a
// window's edge and 20 just after were all accepted, 40 in 0.2 s against a
// policy of 20 per 2 s. The sliding window lets 20 through, then one more
// for each request that leaves the window.
func TestRateLimitHasNoBurstAtAWindowEdge(t *testing.T) {
	e := newEnv(t)
	token := e.seed(1)
	e.Ingest.RatePolicy = domain.RatePolicy{PerSecond: 10, Burst: 20}
	start := time.Date(2026, 11, 26, 12, 0, 1, 900_000_000, time.UTC) // 0.1 s before an even second
	var now time.Time
	e.Ingest.Now = func() time.Time { return now }
	body := `[{"source_system_id":"s","account_id":"A000"}]`
	accepted := 0
	for i := range 40 {
		now = start.Add(time.Duration(i) * 5 * time.Millisecond)
		resp := e.post("J1", token, body)
		switch resp.StatusCode {
		case http.StatusAccepted:
			accepted++
		case http.StatusTooManyRequests:
			if resp.Headers["Retry-After"] == "" {
				t.Errorf("429 without Retry-After")
			}
		default:
			t.Fatalf("request %d = %d %s", i, resp.StatusCode, resp.Body)
		}
	}
	if accepted != 20 {
		t.Errorf("%d of 40 requests in 0.2 s accepted across a window edge; the policy allows 20 per 2 s", accepted)
	}
	// 2 s after the first request its slot is free again, and only its slot.
	now = start.Add(2 * time.Second)
	if resp := e.post("J1", token, body); resp.StatusCode != http.StatusAccepted || resp.Headers["RateLimit"] != `"per-token";r=0;t=2` {
		t.Errorf("2 s later = %d %v", resp.StatusCode, resp.Headers["RateLimit"])
	}
	if resp := e.post("J1", token, body); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("the next one at once = %d", resp.StatusCode)
	}
}
