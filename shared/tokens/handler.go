// Package tokens is the handler marketers invoke to see expiry options and
// to generate, list and expire a journey's API tokens.
package tokens

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/domain"
)

// Operations a caller can invoke.
const (
	OpOptions = "options"
	OpCreate  = "create"
	OpList    = "list"
	OpExpire  = "expire"
)

// Store keeps tokens.
type Store interface {
	Create(ctx context.Context, t domain.Token) error
	ListByJourney(ctx context.Context, journeyID string) ([]domain.Token, error)
	Revoke(ctx context.Context, tokenID, who string, now time.Time) (domain.Token, error)
}

// Journeys reads journeys.
type Journeys interface {
	Get(ctx context.Context, id string) (domain.Journey, error)
}

// Handler serves the tokens operations.
type Handler struct {
	Tokens     Store
	Journeys   Journeys
	APIBaseURL string
	Logger     *slog.Logger
	Now        func() time.Time
}

// Request is the invocation payload.
type Request struct {
	Operation string `json:"operation"`
	JourneyID string `json:"journey_id,omitempty"`
	Expires   string `json:"expires,omitempty"`
	TokenID   string `json:"token_id,omitempty"`
	// By names the marketer creating or expiring a token, for the audit trail.
	By string `json:"by,omitempty"`
}

// OptionsResponse lists the expiry choices offered now.
type OptionsResponse struct {
	JourneyID string                `json:"journey_id"`
	EndDate   string                `json:"end_date,omitempty"`
	Options   []domain.ExpiryOption `json:"options"`
}

// Created is returned once, at creation: the only time the secret is shown.
type Created struct {
	TokenID   string    `json:"token_id"`
	Token     string    `json:"token"`
	Endpoint  string    `json:"endpoint"`
	ExpiresAt time.Time `json:"expires_at"`
	JourneyID string    `json:"journey_id"`
	CreatedBy string    `json:"created_by"`
}

// TokenView is a token as listings show it: obscured, with its status.
type TokenView struct {
	domain.Token
	Status domain.TokenStatus `json:"status"`
}

// ListResponse lists a journey's tokens.
type ListResponse struct {
	JourneyID string      `json:"journey_id"`
	Tokens    []TokenView `json:"tokens"`
}

// Handle runs one operation. Errors are Lambda function errors whose type
// (InvalidRequest, NotFound, Conflict, InternalError) and message are safe to show.
func (h *Handler) Handle(ctx context.Context, req Request) (any, error) {
	resp, err := h.dispatch(ctx, req)
	if err != nil {
		return nil, h.functionError(ctx, req.Operation, err)
	}
	return resp, nil
}

func (h *Handler) dispatch(ctx context.Context, req Request) (any, error) {
	now := h.Now().UTC()
	switch req.Operation {
	case OpOptions:
		j, err := h.journey(ctx, req.JourneyID)
		if err != nil {
			return nil, err
		}
		opts, err := domain.ExpiryOptions(j, now)
		if err != nil {
			return nil, err
		}
		return OptionsResponse{JourneyID: j.ID, EndDate: j.EndDate, Options: opts}, nil
	case OpCreate:
		return h.create(ctx, req, now)
	case OpList:
		if strings.TrimSpace(req.JourneyID) == "" {
			return nil, domain.Errorf(domain.KindInvalid, "journey_id is required")
		}
		tokens, err := h.Tokens.ListByJourney(ctx, req.JourneyID)
		if err != nil {
			return nil, err
		}
		views := make([]TokenView, len(tokens))
		for i, t := range tokens {
			views[i] = TokenView{Token: t, Status: t.Status(now)}
		}
		return ListResponse{JourneyID: req.JourneyID, Tokens: views}, nil
	case OpExpire:
		if strings.TrimSpace(req.TokenID) == "" {
			return nil, domain.Errorf(domain.KindInvalid, "token_id is required")
		}
		if strings.TrimSpace(req.By) == "" {
			return nil, domain.Errorf(domain.KindInvalid, "by (who expires the token) is required")
		}
		t, err := h.Tokens.Revoke(ctx, req.TokenID, req.By, now)
		if err != nil {
			return nil, err
		}
		h.Logger.InfoContext(ctx, "token expired", "token_id", t.ID, "journey_id", t.JourneyID, "by", req.By)
		return TokenView{Token: t, Status: t.Status(now)}, nil
	default:
		return nil, domain.Errorf(domain.KindInvalid, "operation must be one of %s, %s, %s, %s; got %q", OpOptions, OpCreate, OpList, OpExpire, req.Operation)
	}
}

func (h *Handler) create(ctx context.Context, req Request, now time.Time) (any, error) {
	if strings.TrimSpace(req.By) == "" {
		return nil, domain.Errorf(domain.KindInvalid, "by (who creates the token) is required")
	}
	j, err := h.journey(ctx, req.JourneyID)
	if err != nil {
		return nil, err
	}
	expiresAt, err := domain.ResolveExpiry(j, domain.ExpiryChoice(req.Expires), now)
	if err != nil {
		return nil, err
	}
	secret, err := domain.NewTokenSecret()
	if err != nil {
		return nil, err
	}
	t := domain.Token{
		Hash:        domain.HashToken(secret),
		ID:          uuid.NewString(),
		JourneyID:   j.ID,
		Obscured:    domain.ObscureToken(secret),
		CreatedBy:   req.By,
		CreatedAt:   now,
		ExpiresAt:   expiresAt,
		DeleteAfter: expiresAt.Add(domain.TokenRetention).Unix(),
	}
	if err := h.Tokens.Create(ctx, t); err != nil {
		return nil, err
	}
	h.Logger.InfoContext(ctx, "token created", "token_id", t.ID, "journey_id", j.ID, "by", req.By, "expires_at", expiresAt)
	return Created{
		TokenID:   t.ID,
		Token:     secret,
		Endpoint:  strings.TrimRight(h.APIBaseURL, "/") + "/journeys/" + j.ID + "/targets",
		ExpiresAt: expiresAt,
		JourneyID: j.ID,
		CreatedBy: req.By,
	}, nil
}

func (h *Handler) journey(ctx context.Context, id string) (domain.Journey, error) {
	if strings.TrimSpace(id) == "" {
		return domain.Journey{}, domain.Errorf(domain.KindInvalid, "journey_id is required")
	}
	return h.Journeys.Get(ctx, id)
}

// functionError turns err into a Lambda error whose type names its kind.
// Internal errors are logged and replaced by a generic message.
func (h *Handler) functionError(ctx context.Context, op string, err error) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		h.Logger.ErrorContext(ctx, "operation failed", "operation", op, "error", err)
		return messages.InvokeResponse_Error{Type: "InternalError", Message: "internal error; see the function's logs"}
	}
	typ := map[domain.Kind]string{
		domain.KindInvalid:   "InvalidRequest",
		domain.KindNotFound:  "NotFound",
		domain.KindForbidden: "Forbidden",
		domain.KindConflict:  "Conflict",
	}[de.Kind]
	if typ == "" {
		typ = "InternalError"
	}
	return messages.InvokeResponse_Error{Type: typ, Message: de.Message}
}
