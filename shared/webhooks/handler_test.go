package webhooks

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

var (
	_ Deliveries = fakes.Deliveries{}
	_ Keys       = fakes.WebhookKeys{}
	_ Delayer    = fakes.Delayer{}
)

var key = []byte("0123456789abcdef0123456789abcdef")

// world is the webhooks handler's surroundings: a receiver answering
// status, and what the handler recorded and delayed.
type world struct {
	mu       sync.Mutex
	status   int
	posts    []*http.Request
	bodies   [][]byte
	attempts []domain.DeliveryAttempt
	states   []string
	delays   []time.Duration
	claimed  bool
	prior    *domain.WebhookDelivery
}

func newWorld(t *testing.T, status int) (*world, *Handler) {
	w := &world{status: status, claimed: true}
	h := &Handler{
		Deliveries: fakes.Deliveries{
			ClaimFunc: func(context.Context, domain.WebhookDelivery, time.Time, time.Time) (bool, error) {
				return w.claimed, nil
			},
			GetFunc: func(context.Context, string, string) (*domain.WebhookDelivery, error) {
				return w.prior, nil
			},
			RecordAttemptFunc: func(_ context.Context, d domain.WebhookDelivery, a domain.DeliveryAttempt) error {
				w.mu.Lock()
				defer w.mu.Unlock()
				w.attempts, w.states = append(w.attempts, a), append(w.states, d.Status)
				return nil
			},
		},
		Keys: fakes.WebhookKeys{KeyFunc: func(context.Context, string) ([]byte, error) { return key, nil }},
		Delayer: fakes.Delayer{DelayFunc: func(_ context.Context, _ string, d time.Duration) error {
			w.mu.Lock()
			defer w.mu.Unlock()
			w.delays = append(w.delays, d)
			return nil
		}},
		Client:      NewClient(true, nil),
		Logger:      slog.New(slog.DiscardHandler),
		Now:         time.Now,
		RetryDelays: []time.Duration{time.Minute, time.Hour},
		Concurrency: 2,
	}
	return w, h
}

func message(t *testing.T, url string, receiveCount int) events.SQSMessage {
	event, _ := json.Marshal(map[string]string{"type": domain.EventRequestCompleted})
	body, _ := json.Marshal(domain.WebhookMessage{JourneyID: "J1", RequestUUID: "0d6f4bd4-5b6c-4b57-8a0e-6f1b5f0e8d11", TokenID: "tok",
		CallbackURL: url, ReceivedAt: time.Now(), Event: event})
	return events.SQSMessage{MessageId: "m1", ReceiptHandle: "r1", Body: string(body), Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(receiveCount)}}
}

func handle(t *testing.T, h *Handler, msgs ...events.SQSMessage) int {
	t.Helper()
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: msgs})
	if err != nil {
		t.Fatal(err)
	}
	return len(resp.BatchItemFailures)
}

func TestDeliveredWebhookIsSignedAsStandardWebhooksSays(t *testing.T) {
	w, h := newWorld(t, http.StatusOK)
	// GIVEN a receiver that answers 200 WHEN a webhook is delivered
	msg := message(t, w.receiver(t), 1)
	if failed := handle(t, h, msg); failed != 0 {
		t.Fatalf("%d failed", failed)
	}
	// THEN its signature verifies with the specification's library and the token's secret
	wh, err := standardwebhooks.NewWebhook(domain.WebhookSecret(key))
	if err != nil {
		t.Fatal(err)
	}
	if len(w.posts) != 1 {
		t.Fatalf("%d posts", len(w.posts))
	}
	if err := wh.Verify(w.bodies[0], w.posts[0].Header); err != nil {
		t.Errorf("signature: %v", err)
	}
	if id := w.posts[0].Header.Get("webhook-id"); id != domain.WebhookID("0d6f4bd4-5b6c-4b57-8a0e-6f1b5f0e8d11") || w.posts[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", w.posts[0].Header)
	}
	// AND the attempt is recorded as delivered, with no delay
	if len(w.states) != 1 || w.states[0] != domain.DeliveryDelivered || w.attempts[0].StatusCode != 200 || len(w.delays) != 0 {
		t.Errorf("states %v attempts %+v delays %v", w.states, w.attempts, w.delays)
	}
}

// receiver starts an endpoint answering w.status and returns its URL.
func (w *world) receiver(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.mu.Lock()
		w.posts, w.bodies = append(w.posts, r), append(w.bodies, b)
		status := w.status
		w.mu.Unlock()
		if status == http.StatusFound {
			rw.Header().Set("Location", "http://169.254.169.254/")
		}
		rw.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hook"
}

func TestFailedDeliveryWaitsLongerEachTimeThenGivesUp(t *testing.T) {
	for _, tc := range []struct {
		name       string
		status     int
		receive    int
		wantState  string
		wantDelays []time.Duration
	}{
		{"first attempt answered 500", http.StatusInternalServerError, 1, domain.DeliveryRetrying, []time.Duration{time.Minute}},
		{"second attempt answered 503", http.StatusServiceUnavailable, 2, domain.DeliveryRetrying, []time.Duration{time.Hour}},
		{"last attempt", http.StatusBadGateway, 3, domain.DeliveryFailed, []time.Duration{0}},
		{"a redirect is not followed", http.StatusFound, 1, domain.DeliveryRetrying, []time.Duration{time.Minute}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// GIVEN a receiver answering status to the receive-th attempt
			w, h := newWorld(t, tc.status)
			// WHEN the webhook is attempted
			failed := handle(t, h, message(t, w.receiver(t), tc.receive))
			// THEN the message is kept for another attempt, after the delay of its attempt
			if failed != 1 || len(w.states) != 1 || w.states[0] != tc.wantState || w.attempts[0].StatusCode != tc.status ||
				!strings.Contains(w.attempts[0].Error, strconv.Itoa(tc.status)) {
				t.Fatalf("failed %d states %v attempts %+v", failed, w.states, w.attempts)
			}
			if len(w.delays) != 1 || w.delays[0] != tc.wantDelays[0] {
				t.Errorf("delays %v, want %v", w.delays, tc.wantDelays)
			}
		})
	}
}

func TestDuplicateOfADeliveredWebhookIsDropped(t *testing.T) {
	w, h := newWorld(t, http.StatusOK)
	// GIVEN a delivery already made (the claim is refused)
	w.claimed = false
	w.prior = &domain.WebhookDelivery{Status: domain.DeliveryDelivered}
	// WHEN a duplicate of its message comes THEN it is acknowledged without a POST
	if failed := handle(t, h, message(t, w.receiver(t), 1)); failed != 0 || len(w.posts) != 0 || len(w.attempts) != 0 {
		t.Errorf("failed %d posts %d attempts %d", failed, len(w.posts), len(w.attempts))
	}
	// AND while another attempt holds it, the duplicate comes back after that attempt
	w.prior = &domain.WebhookDelivery{Status: domain.DeliveryRetrying}
	if failed := handle(t, h, message(t, w.receiver(t), 1)); failed != 1 || len(w.posts) != 0 || len(w.delays) != 1 || w.delays[0] != claimFor {
		t.Errorf("failed %d posts %d delays %v", failed, len(w.posts), w.delays)
	}
}

func TestMessageThatIsNotAWebhookGoesToTheDLQ(t *testing.T) {
	_, h := newWorld(t, http.StatusOK)
	if failed := handle(t, h, events.SQSMessage{MessageId: "x", Body: `{"request_uuid":""}`}); failed != 1 {
		t.Errorf("failed %d", failed)
	}
}

func TestClientRefusesPrivateAddressesAfterResolution(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(200) }))
	defer srv.Close()
	port := srv.URL[strings.LastIndex(srv.URL, ":"):]
	// GIVEN the client as in AWS, and a server on this machine reached by
	// address and by a name that resolves to it
	client := NewClient(false, nil)
	for _, url := range []string{srv.URL, "http://localhost" + port} {
		// WHEN it is called THEN the dialer refuses the resolved address
		_, err := client.Get(url)
		if !errors.Is(err, ErrPrivateAddress) {
			t.Errorf("%s: %v, want ErrPrivateAddress", url, err)
		}
	}
	// AND the local stack's client reaches it
	if resp, err := NewClient(true, nil).Get(srv.URL); err != nil || resp.StatusCode != 200 {
		t.Errorf("allowed: %v", err)
	}
}
