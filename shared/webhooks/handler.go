// Package webhooks is the handler of the webhooks function: it delivers the
// request.completed webhooks the consumer queues, signed as the Standard
// Webhooks specification says, and retries failed deliveries with growing
// delays for more than 24 hours (domain.WebhookRetryDelays), recording every
// attempt for admins.
package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/sqsbatch"
)

// Deliveries records each webhook's attempts. Claim serialises the
// attempts of duplicates of one webhook's message.
type Deliveries interface {
	Claim(ctx context.Context, d domain.WebhookDelivery, now, until time.Time) (bool, error)
	Get(ctx context.Context, journeyID, key string) (*domain.WebhookDelivery, error)
	RecordAttempt(ctx context.Context, d domain.WebhookDelivery, attempt domain.DeliveryAttempt) error
}

// claimFor is how long an attempt holds its delivery: longer than the POST
// can take, so a duplicate never sends while it runs.
const claimFor = resources.WebhookPostTimeout + 5*time.Second

// Keys derives a token's webhook signing key.
type Keys interface {
	Key(ctx context.Context, tokenID string) ([]byte, error)
}

// Delayer hides a received message until its next attempt is due.
type Delayer interface {
	Delay(ctx context.Context, receiptHandle string, d time.Duration) error
}

// UserAgent names the service in every webhook request.
const UserAgent = "TargetLoader-Webhooks/1"

// maxResponseBytes of a receiver's answer are read (and discarded).
const maxResponseBytes = 64 << 10

// Handler delivers webhooks from SQS batches.
type Handler struct {
	Deliveries Deliveries
	Keys       Keys
	Delayer    Delayer
	// Client sends the webhooks (NewClient: no private addresses in AWS).
	Client *http.Client
	Logger *slog.Logger
	Now    func() time.Time
	// RetryDelays are the waits after each failed attempt; a delivery is
	// given up after len(RetryDelays)+1 attempts.
	RetryDelays []time.Duration
	// Concurrency bounds the deliveries of one batch made at once.
	Concurrency int
}

// Handle delivers every message of the batch and reports the ones to try
// again (partial batch response); each of those was first hidden until its
// next attempt is due.
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	return sqsbatch.Process(ctx, ev, h.Concurrency, h.deliver), nil
}

// deliver makes one attempt at msg's webhook and tells whether the message is done with.
func (h *Handler) deliver(ctx context.Context, msg events.SQSMessage) bool {
	log := h.Logger.With("message_id", msg.MessageId)
	var m domain.WebhookMessage
	if err := json.Unmarshal([]byte(msg.Body), &m); err != nil || !m.Valid() {
		log.ErrorContext(ctx, "message is not a webhook; leaving it for the DLQ", "error", err)
		return false
	}
	d := domain.WebhookDelivery{
		JourneyID: m.JourneyID, DeliveryKey: domain.DeliveryKey(m.ReceivedAt, m.RequestUUID), RequestUUID: m.RequestUUID,
		TokenID: m.TokenID, WebhookID: domain.WebhookID(m.RequestUUID), CallbackURL: m.CallbackURL,
	}
	log = log.With("request_uuid", m.RequestUUID, "journey_id", m.JourneyID, "webhook_id", d.WebhookID)
	if u, err := url.Parse(m.CallbackURL); err == nil {
		log = log.With("callback_host", u.Host) // not the whole URL: its query may hold the receiver's own secret
	}
	now := h.Now().UTC()
	claimed, err := h.Deliveries.Claim(ctx, d, now, now.Add(claimFor))
	if err != nil {
		log.ErrorContext(ctx, "claim the delivery; retrying the message", "error", err)
		return false
	}
	if !claimed {
		prior, err := h.Deliveries.Get(ctx, d.JourneyID, d.DeliveryKey)
		if err == nil && prior != nil && prior.Status == domain.DeliveryDelivered {
			log.InfoContext(ctx, "webhook already delivered; dropping the duplicate")
			return true
		}
		// A duplicate is being sent right now: look again once it is done.
		log.InfoContext(ctx, "webhook being sent by a duplicate message; looking again later", "error", err)
		if err := h.Delayer.Delay(ctx, msg.ReceiptHandle, claimFor); err != nil {
			log.ErrorContext(ctx, "delay the duplicate", "error", err)
		}
		return false
	}
	attempt := receiveCount(msg)
	statusCode, sendErr := h.send(ctx, m, d.WebhookID, now)
	a := domain.DeliveryAttempt{At: now, StatusCode: statusCode}
	var delay time.Duration
	switch {
	case sendErr == nil:
		d.Status = domain.DeliveryDelivered
	case attempt <= len(h.RetryDelays):
		d.Status = domain.DeliveryRetrying
		delay = h.RetryDelays[attempt-1]
		next := now.Add(delay)
		d.NextAttempt = &next
	default:
		d.Status = domain.DeliveryFailed
	}
	if sendErr != nil {
		a.Error = domain.TruncateError(sendErr.Error())
	}
	if err := h.Deliveries.RecordAttempt(ctx, d, a); err != nil {
		log.ErrorContext(ctx, "record the delivery attempt", "error", err, "status", d.Status)
	}
	if sendErr == nil {
		log.InfoContext(ctx, "webhook delivered", "attempt", attempt, "status_code", statusCode)
		return true
	}
	if d.Status == domain.DeliveryFailed {
		// Visible again at once: its next receive moves it to the DLQ.
		log.ErrorContext(ctx, "webhook given up after its last attempt; its message goes to the webhooks DLQ", "attempt", attempt, "status_code", statusCode, "error", sendErr)
	}
	if d.Status == domain.DeliveryRetrying {
		log.WarnContext(ctx, "webhook not delivered; trying again later", "attempt", attempt, "status_code", statusCode, "error", sendErr, "retry_in", delay.String())
	}
	if err := h.Delayer.Delay(ctx, msg.ReceiptHandle, delay); err != nil {
		log.ErrorContext(ctx, "delay the next attempt; it comes after the queue's visibility timeout instead", "error", err)
	}
	return false
}

// send POSTs m's event signed with its token's key, and reports the
// receiver's status code and, unless it is 2xx, why the attempt failed.
func (h *Handler) send(ctx context.Context, m domain.WebhookMessage, id string, now time.Time) (int, error) {
	key, err := h.Keys.Key(ctx, m.TokenID)
	if err != nil {
		return 0, fmt.Errorf("the signing key could not be read")
	}
	signer, err := standardwebhooks.NewWebhookRaw(key)
	if err != nil {
		return 0, err
	}
	signature, err := signer.Sign(id, now, m.Event)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.CallbackURL, bytes.NewReader(m.Event))
	if err != nil {
		return 0, fmt.Errorf("the callback URL cannot be called: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(standardwebhooks.HeaderWebhookID, id)
	req.Header.Set(standardwebhooks.HeaderWebhookTimestamp, strconv.FormatInt(now.Unix(), 10))
	req.Header.Set(standardwebhooks.HeaderWebhookSignature, signature)
	resp, err := h.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is in the delivery already
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("the receiver answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return resp.StatusCode, nil
}

// receiveCount is how many times SQS has delivered msg, this time included.
func receiveCount(msg events.SQSMessage) int {
	n, err := strconv.Atoi(msg.Attributes["ApproximateReceiveCount"])
	if err != nil || n < 1 {
		return 1
	}
	return n
}
