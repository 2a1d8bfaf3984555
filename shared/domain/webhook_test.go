package domain

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestValidateCallbackURL(t *testing.T) {
	for _, ok := range []string{"https://example.com/hook", "https://hooks.example.com:8443/a/b?c=d", "https://127.0.0.1:4443/x"} {
		if err := ValidateCallbackURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "example.com/hook", "http://example.com/hook", "ftp://example.com", "https://", "https:///path",
		"https://user:pw@example.com/", "https://example.com/#frag", "https://example.com/a b", "mailto:a@b.com",
		"https://example.com/" + strings.Repeat("a", MaxCallbackURLChars)} {
		if err := ValidateCallbackURL(bad); KindOf(err) != KindInvalid {
			t.Errorf("%q: got %v, want an invalid error", bad, err)
		}
	}
}

func TestWebhookKeyIsDerivedPerToken(t *testing.T) {
	master := bytes.Repeat([]byte{7}, MinMasterKeyBytes)
	a, b := WebhookKey(master, "token-a"), WebhookKey(master, "token-b")
	if len(a) != 32 || bytes.Equal(a, b) {
		t.Fatalf("keys %x %x: want 32 bytes, distinct per token", a, b)
	}
	if !bytes.Equal(a, WebhookKey(master, "token-a")) {
		t.Error("the same token must get the same key")
	}
	if bytes.Equal(a, WebhookKey(bytes.Repeat([]byte{8}, MinMasterKeyBytes), "token-a")) {
		t.Error("another master key must give another key")
	}
	if s := WebhookSecret(a); !strings.HasPrefix(s, "whsec_") || len(s) != len("whsec_")+44 {
		t.Errorf("secret %q", s)
	}
}

func TestWebhookRetriesSpanMoreThanADay(t *testing.T) {
	if span := WebhookRetrySpan(); span < 24*time.Hour {
		t.Errorf("retries span %s, want at least 24 h", span)
	}
	for _, d := range WebhookRetryDelays {
		if d > 12*time.Hour {
			t.Errorf("delay %s is over SQS's 12 h visibility limit", d)
		}
	}
}

func TestNewWebhookMessage(t *testing.T) {
	received := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	r := Request{UUID: "0d6f4bd4-5b6c-4b57-8a0e-6f1b5f0e8d11", JourneyID: "J1", TokenID: "tok", Accepted: 2, Parts: 2, ReceivedAt: received,
		CallbackURL: "https://example.com/h", StatusURL: "https://api/journeys/J1/requests/0d6f",
		PartResults: map[string]PartResult{"p0": NewPartResult([]Match{{Status: StatusSuccess, Outcome: OutcomeMatchedEmail}}, received.Add(time.Second))}}
	// GIVEN a request with one of its two parts done WHEN / THEN no message yet
	if _, ok, _ := NewWebhookMessage(r); ok {
		t.Fatal("message before the last part")
	}
	// WHEN the last part is done THEN the message carries the event with the counts
	r.PartResults["p1"] = NewPartResult([]Match{{Status: StatusFailed, Outcome: OutcomeNoMatch}}, received.Add(2*time.Second))
	m, ok, err := NewWebhookMessage(r)
	if err != nil || !ok || !m.Valid() {
		t.Fatalf("message %+v %v %v", m, ok, err)
	}
	var ev map[string]any
	if err := json.Unmarshal(m.Event, &ev); err != nil {
		t.Fatal(err)
	}
	if ev["type"] != "request.completed" || ev["request_uuid"] != r.UUID || ev["journey_id"] != "J1" || ev["status"] != "completed" ||
		ev["processing_status"].(map[string]any)["failed__v"] != 1.0 || ev["status_url"] != r.StatusURL {
		t.Errorf("event %s", m.Event)
	}
	// AND a request without a callback URL announces nothing
	r.CallbackURL = ""
	if _, ok, _ := NewWebhookMessage(r); ok {
		t.Error("message without a callback URL")
	}
	if WebhookID(r.UUID) != "msg_0d6f4bd45b6c4b578a0e6f1b5f0e8d11" {
		t.Errorf("webhook id %s", WebhookID(r.UUID))
	}
}
