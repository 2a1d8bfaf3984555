package manage

import (
	"context"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/openapi"
	"github.com/targetloader/targetloader/shared/problem"
)

// Deliveries lists a journey's completion webhooks.
type Deliveries interface {
	List(ctx context.Context, journeyID, status, cursor string, limit int) ([]domain.WebhookDelivery, string, error)
}

// WebhookKeys derives a token's webhook signing key.
type WebhookKeys interface {
	Key(ctx context.Context, tokenID string) ([]byte, error)
}

// DeliveryPage is a page of a journey's webhook deliveries.
type DeliveryPage struct {
	JourneyID  string                   `json:"journey_id"`
	Deliveries []domain.WebhookDelivery `json:"deliveries"`
	NextCursor string                   `json:"next_cursor,omitempty"`
}

// listDeliveries lists a journey's completion webhooks for admins, oldest
// request first, optionally only those of one status (undelivered: retrying
// or failed).
func (h *Handler) listDeliveries(ctx context.Context, c call) events.APIGatewayProxyResponse {
	status := strings.TrimSpace(c.req.QueryStringParameters["status"])
	if status != "" {
		if err := domain.ValidDeliveryStatus(status); err != nil {
			return problem.New(http.StatusBadRequest, "invalid-query", err.Error()).Response(nil)
		}
	}
	journeyID, resp, ok := h.journeyID(ctx, c)
	if !ok {
		return resp
	}
	deliveries, next, err := h.Deliveries.List(ctx, journeyID, status, c.cursor(), c.limit)
	if err != nil {
		return h.listFailed(ctx, c, "list webhook deliveries", err)
	}
	if deliveries == nil {
		deliveries = []domain.WebhookDelivery{}
	}
	return httpapi.JSON(http.StatusOK, DeliveryPage{JourneyID: journeyID, Deliveries: deliveries, NextCursor: next}, nil)
}

// openAPIDocument serves the OpenAPI document, its server the API as the
// caller reached it.
func openAPIDocument(req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	doc, err := openapi.Served(httpapi.BaseURL(req))
	if err != nil {
		return problem.New(http.StatusInternalServerError, "internal", "The OpenAPI document could not be served.").Response(nil)
	}
	return events.APIGatewayProxyResponse{StatusCode: http.StatusOK, Headers: map[string]string{"Content-Type": "application/json", "Cache-Control": "public, max-age=300"}, Body: string(doc)}
}
