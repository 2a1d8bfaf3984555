package consumer

import (
	"context"
	"fmt"

	"github.com/targetloader/targetloader/shared/domain"
)

// Webhooks queues completion webhooks for the webhooks function.
type Webhooks interface {
	Send(ctx context.Context, m domain.WebhookMessage) error
}

// announceCompletion queues the request.completed webhook when r, as the
// part just recorded left it, is complete and has a callback URL. The
// message is queued before this part's message is acknowledged: if queuing
// fails the part is redone and the webhook queued then. A redelivered part
// of a complete request queues it again; the webhooks function drops a
// webhook already delivered, and every send carries the same webhook-id.
func (h *Handler) announceCompletion(ctx context.Context, r domain.Request) error {
	m, ok, err := domain.NewWebhookMessage(r)
	if err != nil || !ok {
		return err
	}
	if err := h.Webhooks.Send(ctx, m); err != nil {
		return fmt.Errorf("queue the completion webhook: %w", err)
	}
	h.Logger.InfoContext(ctx, "request completed; webhook queued", "request_uuid", r.UUID, "webhook_id", domain.WebhookID(r.UUID))
	return nil
}
