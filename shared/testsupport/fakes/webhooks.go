package fakes

import (
	"context"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
)

// Deliveries fakes the webhook delivery ports of the webhooks function and manage.
type Deliveries struct {
	ClaimFunc         func(ctx context.Context, d domain.WebhookDelivery, now, until time.Time) (bool, error)
	GetFunc           func(ctx context.Context, journeyID, key string) (*domain.WebhookDelivery, error)
	RecordAttemptFunc func(ctx context.Context, d domain.WebhookDelivery, attempt domain.DeliveryAttempt) error
	ListFunc          func(ctx context.Context, journeyID, status, cursor string, limit int) ([]domain.WebhookDelivery, string, error)
}

func (f Deliveries) Claim(ctx context.Context, d domain.WebhookDelivery, now, until time.Time) (bool, error) {
	if f.ClaimFunc == nil {
		unexpected("Deliveries.Claim")
	}
	return f.ClaimFunc(ctx, d, now, until)
}

func (f Deliveries) Get(ctx context.Context, journeyID, key string) (*domain.WebhookDelivery, error) {
	if f.GetFunc == nil {
		unexpected("Deliveries.Get")
	}
	return f.GetFunc(ctx, journeyID, key)
}

func (f Deliveries) RecordAttempt(ctx context.Context, d domain.WebhookDelivery, attempt domain.DeliveryAttempt) error {
	if f.RecordAttemptFunc == nil {
		unexpected("Deliveries.RecordAttempt")
	}
	return f.RecordAttemptFunc(ctx, d, attempt)
}

func (f Deliveries) List(ctx context.Context, journeyID, status, cursor string, limit int) ([]domain.WebhookDelivery, string, error) {
	if f.ListFunc == nil {
		unexpected("Deliveries.List")
	}
	return f.ListFunc(ctx, journeyID, status, cursor, limit)
}

// WebhookKeys fakes the ports that derive a token's webhook signing key.
type WebhookKeys struct {
	KeyFunc func(ctx context.Context, tokenID string) ([]byte, error)
}

func (f WebhookKeys) Key(ctx context.Context, tokenID string) ([]byte, error) {
	if f.KeyFunc == nil {
		unexpected("WebhookKeys.Key")
	}
	return f.KeyFunc(ctx, tokenID)
}

// Delayer fakes the webhooks function's Delayer port.
type Delayer struct {
	DelayFunc func(ctx context.Context, receiptHandle string, d time.Duration) error
}

func (f Delayer) Delay(ctx context.Context, receiptHandle string, d time.Duration) error {
	if f.DelayFunc == nil {
		unexpected("Delayer.Delay")
	}
	return f.DelayFunc(ctx, receiptHandle, d)
}

// Webhooks fakes the consumer's Webhooks port.
type Webhooks struct {
	SendFunc func(ctx context.Context, m domain.WebhookMessage) error
}

func (f Webhooks) Send(ctx context.Context, m domain.WebhookMessage) error {
	if f.SendFunc == nil {
		unexpected("Webhooks.Send")
	}
	return f.SendFunc(ctx, m)
}
