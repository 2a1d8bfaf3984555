package consumer_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"

	"github.com/targetloader/targetloader/shared/consumer"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

var _ consumer.Webhooks = fakes.Webhooks{}

func TestCompletedRequestWithACallbackIsAnnouncedOnce(t *testing.T) {
	// GIVEN a request of two parts whose token has a callback URL
	accounts := workload.Accounts(4)
	w := newWorld(accounts)
	r := w.requests[requestUUID]
	r.Parts, r.TokenID, r.CallbackURL, r.StatusURL = 2, "tok", "https://cdp.example.com/hook", "https://api/journeys/J1/requests/"+requestUUID
	w.requests[requestUUID] = r
	var mu sync.Mutex
	var sent []domain.WebhookMessage
	h := w.handler()
	h.Webhooks = fakes.Webhooks{SendFunc: func(_ context.Context, m domain.WebhookMessage) error {
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, m)
		return nil
	}}
	// WHEN both parts are processed (at once)
	if failed := handle(t, h, w.event(t, batches(t, accounts, 4, 2)...)); len(failed) != 0 {
		t.Fatalf("failed %v", failed)
	}
	// THEN the part that completed it queued one request.completed webhook with the counts
	if len(sent) != 1 {
		t.Fatalf("%d webhooks queued", len(sent))
	}
	m := sent[0]
	var ev domain.CompletionEvent
	if err := json.Unmarshal(m.Event, &ev); err != nil || m.CallbackURL != r.CallbackURL || m.TokenID != "tok" || ev.RequestUUID != requestUUID ||
		ev.Type != domain.EventRequestCompleted || ev.ProcessingStatus[domain.StatusSuccess] != 4 || ev.StatusURL != r.StatusURL {
		t.Errorf("message %+v event %+v %v", m, ev, err)
	}
}

func TestWebhookThatCannotBeQueuedFailsTheMessage(t *testing.T) {
	accounts := workload.Accounts(2)
	w := newWorld(accounts)
	r := w.requests[requestUUID]
	r.Parts, r.TokenID, r.CallbackURL = 1, "tok", "https://cdp.example.com/hook"
	w.requests[requestUUID] = r
	h := w.handler()
	h.Webhooks = fakes.Webhooks{SendFunc: func(context.Context, domain.WebhookMessage) error { return errBoom }}
	// WHEN the last part completes but its webhook cannot be queued THEN the
	// message is redelivered (and the webhook queued then)
	if failed := handle(t, h, w.event(t, batches(t, accounts, 2, 2)...)); len(failed) != 1 {
		t.Errorf("failed %v, want the one message", failed)
	}
}
