package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Completion webhooks (PRODUCT.md §9): a token may carry an https callback
// URL; when a request of that token completes, the service POSTs a signed
// request.completed event to it, as the Standard Webhooks specification says.

// MaxCallbackURLChars limits a token's callback URL.
const MaxCallbackURLChars = 2048

// ValidateCallbackURL checks a callback URL given when a token is created:
// an absolute https URL with a host, no user name or password (they would
// be stored in clear) and no fragment. Where it may point is checked when
// it is called, after DNS resolution (the webhooks function's dialer).
func ValidateCallbackURL(s string) error {
	if tooLong(s, MaxCallbackURLChars) {
		return Errorf(KindInvalid, "callback_url must be at most %d characters", MaxCallbackURLChars)
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "":
		return Errorf(KindInvalid, "callback_url must be an absolute https URL such as https://example.com/hooks/target-loader")
	case u.Scheme != "https":
		return Errorf(KindInvalid, "callback_url must use https")
	case u.Hostname() == "":
		return Errorf(KindInvalid, "callback_url must name a host")
	case u.User != nil:
		return Errorf(KindInvalid, "callback_url must not carry a user name or password; authenticate deliveries with the webhook signature")
	case u.Fragment != "" || strings.Contains(s, "#"):
		return Errorf(KindInvalid, "callback_url must not have a fragment")
	}
	for _, r := range s {
		if r < 0x21 || r == 0x7f {
			return Errorf(KindInvalid, "callback_url must not contain spaces or control characters")
		}
	}
	return nil
}

// WebhookSecretPrefix starts every webhook signing secret (Standard Webhooks).
const WebhookSecretPrefix = "whsec_"

// webhookKeyInfo separates this derivation from any other use of the master key.
const webhookKeyInfo = "targetloader webhook signing key v1\x00"

// WebhookKey is the signing key of token tokenID's webhooks: an HMAC-SHA256
// of the token id under the service's master key. Nothing per token is
// stored: the key is derived again whenever it is needed, and a token's
// key cannot be computed without the master key.
func WebhookKey(masterKey []byte, tokenID string) []byte {
	mac := hmac.New(sha256.New, masterKey)
	mac.Write([]byte(webhookKeyInfo + tokenID))
	return mac.Sum(nil)
}

// WebhookSecret is key as shown to the marketer once, with the token:
// whsec_ and the key in standard base64, the form Standard Webhooks
// libraries take.
func WebhookSecret(key []byte) string {
	return WebhookSecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// MinMasterKeyBytes is the shortest master key accepted.
const MinMasterKeyBytes = 32

// EventRequestCompleted is the type of the event sent when a request completes.
const EventRequestCompleted = "request.completed"

// CompletionEvent is the body of a request.completed webhook.
type CompletionEvent struct {
	Type        string    `json:"type"`
	Timestamp   time.Time `json:"timestamp"`
	RequestUUID string    `json:"request_uuid"`
	JourneyID   string    `json:"journey_id"`
	RequestProgress
	StatusURL string `json:"status_url,omitempty"`
}

// WebhookID is the Standard Webhooks message id of request uuid's
// completion: the same for every attempt and every duplicate send, so a
// receiver can drop what it has already handled.
func WebhookID(requestUUID string) string { return "msg_" + strings.ReplaceAll(requestUUID, "-", "") }

// WebhookMessage is what the consumer queues for the webhooks function when
// a request with a callback URL completes.
type WebhookMessage struct {
	JourneyID   string    `json:"journey_id"`
	RequestUUID string    `json:"request_uuid"`
	TokenID     string    `json:"token_id"`
	CallbackURL string    `json:"callback_url"`
	ReceivedAt  time.Time `json:"received_at"`
	// Event is the body to POST, exactly as signed.
	Event json.RawMessage `json:"event"`
}

// Valid tells whether m has everything a delivery needs.
func (m WebhookMessage) Valid() bool {
	return m.JourneyID != "" && m.RequestUUID != "" && m.TokenID != "" && m.CallbackURL != "" && !m.ReceivedAt.IsZero() && json.Valid(m.Event)
}

// NewWebhookMessage is the message announcing that request r completed, or
// false when r has not completed or has no callback URL.
func NewWebhookMessage(r Request) (WebhookMessage, bool, error) {
	p := r.Progress()
	if r.CallbackURL == "" || p.Status != ProgressCompleted {
		return WebhookMessage{}, false, nil
	}
	event, err := json.Marshal(CompletionEvent{
		Type:            EventRequestCompleted,
		Timestamp:       p.CompletedAt.UTC(),
		RequestUUID:     r.UUID,
		JourneyID:       r.JourneyID,
		RequestProgress: p,
		StatusURL:       r.StatusURL,
	})
	if err != nil {
		return WebhookMessage{}, false, err
	}
	return WebhookMessage{
		JourneyID: r.JourneyID, RequestUUID: r.UUID, TokenID: r.TokenID, CallbackURL: r.CallbackURL,
		ReceivedAt: r.ReceivedAt, Event: event,
	}, true, nil
}

// WebhookRetryDelays is how long each failed attempt waits before the
// next: the first attempt is made as soon as the request completes, the
// last (the tenth) about 27.7 hours after it, so deliveries are retried for
// more than 24 hours. No delay exceeds SQS's 12-hour visibility limit.
var WebhookRetryDelays = []time.Duration{
	30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 2 * time.Hour, 4 * time.Hour, 8 * time.Hour, 12 * time.Hour,
}

// WebhookMaxAttempts is how many times a delivery is attempted before it
// is given up (and its message moves to the webhooks DLQ).
var WebhookMaxAttempts = len(WebhookRetryDelays) + 1

// WebhookRetrySpan is the time from the first attempt to the last.
func WebhookRetrySpan() time.Duration {
	var d time.Duration
	for _, x := range WebhookRetryDelays {
		d += x
	}
	return d
}

// Delivery states, as admins see them.
const (
	DeliveryDelivered = "delivered"
	DeliveryRetrying  = "retrying"
	DeliveryFailed    = "failed"
)

// DeliveryStatuses lists the states a listing may filter on; "undelivered"
// selects retrying and failed together.
var DeliveryStatuses = []string{DeliveryDelivered, DeliveryRetrying, DeliveryFailed, DeliveryUndelivered}

// DeliveryUndelivered is the listing filter for every delivery not (yet) made.
const DeliveryUndelivered = "undelivered"

// MaxDeliveryErrorChars bounds the error kept per attempt.
const MaxDeliveryErrorChars = 300

// DeliveryAttempt is one attempt to deliver a webhook.
type DeliveryAttempt struct {
	At         time.Time `json:"at" dynamodbav:"at"`
	StatusCode int       `json:"status_code,omitempty" dynamodbav:"status_code,omitempty"`
	Error      string    `json:"error,omitempty" dynamodbav:"error,omitempty"`
}

// WebhookDelivery is the record of one request's completion webhook: where
// it goes, its state and every attempt made.
type WebhookDelivery struct {
	JourneyID   string            `json:"journey_id" dynamodbav:"journey_id"`
	DeliveryKey string            `json:"-" dynamodbav:"delivery_key"`
	RequestUUID string            `json:"request_uuid" dynamodbav:"request_uuid"`
	TokenID     string            `json:"token_id" dynamodbav:"token_id"`
	WebhookID   string            `json:"webhook_id" dynamodbav:"webhook_id"`
	CallbackURL string            `json:"callback_url" dynamodbav:"callback_url"`
	Status      string            `json:"status" dynamodbav:"status"`
	Attempts    []DeliveryAttempt `json:"attempts" dynamodbav:"attempts"`
	NextAttempt *time.Time        `json:"next_attempt_at,omitempty" dynamodbav:"next_attempt_at,omitempty"`
	UpdatedAt   time.Time         `json:"updated_at" dynamodbav:"updated_at"`
	// DeleteAfter (epoch seconds) lets DynamoDB TTL clean up old deliveries.
	DeleteAfter int64 `json:"-" dynamodbav:"delete_after"`
}

// DeliveryRetention is how long a delivery's record is kept after its last attempt.
const DeliveryRetention = 30 * 24 * time.Hour

// DeliveryKey orders a journey's deliveries by the time their request was
// received; it is the same for every duplicate of a request's message.
func DeliveryKey(receivedAt time.Time, requestUUID string) string {
	return receivedAt.UTC().Format(time.RFC3339Nano) + "#" + requestUUID
}

// TruncateError shortens an attempt's error for storage.
func TruncateError(s string) string {
	r := []rune(s)
	if len(r) <= MaxDeliveryErrorChars {
		return s
	}
	return string(r[:MaxDeliveryErrorChars-1]) + "…"
}

// ValidDeliveryStatus checks a listing's status filter.
func ValidDeliveryStatus(s string) error {
	for _, v := range DeliveryStatuses {
		if s == v {
			return nil
		}
	}
	return Errorf(KindInvalid, "status must be one of %s, got %q", strings.Join(DeliveryStatuses, ", "), s)
}

// String names a delivery for logs.
func (d WebhookDelivery) String() string {
	return fmt.Sprintf("webhook %s of request %s", d.WebhookID, d.RequestUUID)
}
