// Package ingest is the API Gateway handler external systems call: it checks
// the bearer token, validates targets, queues them and reports progress.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/deadline"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/submit"
)

// Routes, as API Gateway names them in the event's Resource.
const (
	RouteTargets = "/journeys/{journey_id}/targets"
	RouteRequest = "/journeys/{journey_id}/requests/{request_uuid}"
)

// Reader reads a token, a journey and a request in one call.
type Reader interface {
	Read(ctx context.Context, tokenHash, journeyID, requestUUID string) (domain.Snapshot, error)
}

// Requests and Queue are what accepting a request takes (shared/submit).
type (
	Requests = submit.Requests
	Queue    = submit.Queue
)

// Records lists a request's target loader records.
type Records interface {
	ListByRequest(ctx context.Context, requestUUID, cursor string, limit int) ([]domain.LoaderRecord, string, error)
}

// RateLimiter counts a token's requests against its rate policy.
type RateLimiter interface {
	Take(ctx context.Context, tokenID string, p domain.RatePolicy, now time.Time) (domain.RateDecision, error)
}

// Handler serves the ingest API.
type Handler struct {
	Reader      Reader
	Requests    Requests
	Queue       Queue
	Records     Records
	RateLimiter RateLimiter
	// Accounts serves dry runs (dryrun.go).
	Accounts   Accounts
	RatePolicy domain.RatePolicy
	Logger     *slog.Logger
	Now        func() time.Time
	// DeadlineMargin is kept free before the function's deadline: every AWS
	// call ends by then, so a stalled dependency becomes a 503 with
	// Retry-After rather than a Lambda timeout, which API Gateway answers
	// with a bare 502. Cleaning up after a failure (aborting a request
	// partly queued) may use half of it.
	DeadlineMargin time.Duration
}

// Accepted is the body of a 202 response.
type Accepted struct {
	RequestUUID string `json:"request_uuid"`
	Accepted    int    `json:"accepted"`
	StatusURL   string `json:"status_url"`
}

// Status is the body of the request status response.
type Status struct {
	RequestUUID string    `json:"request_uuid"`
	JourneyID   string    `json:"journey_id"`
	ReceivedAt  time.Time `json:"received_at"`
	domain.RequestProgress
	// Records are the API view of the records (PRODUCT.md §3), never the
	// full ones: the caller learns nothing about the CRM it did not send.
	Records    []domain.APIRecord `json:"records"`
	NextCursor string             `json:"next_cursor,omitempty"`
}

// Handle serves one API Gateway proxy request. It never returns an error:
// every failure is a problem document.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	ctx, cancel := deadline.WithMargin(ctx, h.DeadlineMargin)
	defer cancel()
	id := httpapi.RequestID(ctx, req)
	resp := h.route(httpapi.WithRequestID(ctx, id), req)
	if resp.Headers == nil {
		resp.Headers = map[string]string{}
	}
	resp.Headers["RateLimit-Policy"] = h.RatePolicy.Header()
	return httpapi.Finish(resp, id), nil
}

func (h *Handler) route(ctx context.Context, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	journeyID := req.PathParameters["journey_id"]
	switch req.Resource {
	case RouteTargets:
		if req.HTTPMethod != http.MethodPost {
			return httpapi.MethodNotAllowed(http.MethodPost)
		}
		return h.withToken(ctx, req, journeyID, "", h.submit)
	case RouteRequest:
		if req.HTTPMethod != http.MethodGet {
			return httpapi.MethodNotAllowed(http.MethodGet)
		}
		return h.withToken(ctx, req, journeyID, req.PathParameters["request_uuid"], h.status)
	default:
		return problem.New(http.StatusNotFound, "not-found", "No such resource; see the API in the README.").Response(nil)
	}
}

// call is an authenticated request.
type call struct {
	req     events.APIGatewayProxyRequest
	token   domain.Token
	journey domain.Journey
	request *domain.Request
	log     *slog.Logger
}

func (h *Handler) withToken(ctx context.Context, req events.APIGatewayProxyRequest, journeyID, requestUUID string, next func(context.Context, call) events.APIGatewayProxyResponse) events.APIGatewayProxyResponse {
	secret, ok := bearerToken(req)
	if !ok {
		return unauthorized("missing-token", "Send the journey's API token as 'Authorization: Bearer <token>'.", "")
	}
	// A mistyped token fails its checksum and is refused like an unknown one, without a read.
	if !domain.ValidTokenFormat(secret) {
		return unauthorized("invalid-token", "The API token is not valid.", "invalid_token")
	}
	// Path parameters no journey or request can have are refused before
	// any read too: a well-formed token is easy to forge, and DynamoDB
	// refuses a key over its size limit with an error, not "not found".
	if !domain.ValidJourneyID(journeyID) {
		return problem.New(http.StatusNotFound, "not-found", "No journey has that id.").Response(nil)
	}
	if requestUUID != "" && !domain.ValidRequestUUID(requestUUID) {
		return problem.New(http.StatusNotFound, "not-found", "No request has that uuid.").Response(nil)
	}
	snap, err := h.Reader.Read(ctx, domain.HashToken(secret), journeyID, requestUUID)
	if err != nil {
		return h.unavailable(ctx, "read token", err)
	}
	now := h.Now().UTC()
	if snap.Token == nil {
		return unauthorized("invalid-token", "The API token is not valid.", "invalid_token")
	}
	t := *snap.Token
	log := h.Logger.With("token_id", t.ID, "journey_id", journeyID)
	switch t.Status(now) {
	case domain.TokenRevoked:
		return unauthorized("invalid-token", "The API token was revoked; ask the journey's marketer for a new one.", "invalid_token")
	case domain.TokenExpired:
		return unauthorized("invalid-token", "The API token has expired; ask the journey's marketer for a new one.", "invalid_token")
	}
	if t.JourneyID != journeyID {
		log.WarnContext(ctx, "token used for another journey", "token_journey_id", t.JourneyID)
		return problem.New(http.StatusForbidden, "wrong-journey", "The API token belongs to another journey.").Response(nil)
	}
	if snap.Journey == nil {
		return problem.New(http.StatusForbidden, "journey-ended", "The journey no longer exists.").Response(nil)
	}
	if snap.Journey.Ended(now) {
		return problem.New(http.StatusForbidden, "journey-ended", fmt.Sprintf("The journey ended on %s; it accepts no more targets.", snap.Journey.EndDate)).Response(nil)
	}
	decision, err := h.RateLimiter.Take(ctx, t.ID, h.RatePolicy, now)
	if err != nil {
		return h.unavailable(ctx, "count request against rate limit", err)
	}
	rateHeaders := map[string]string{"RateLimit": decision.Header(now)}
	if !decision.Allowed {
		rateHeaders["Retry-After"] = strconv.Itoa(decision.RetryAfterSeconds(now))
		return problem.New(http.StatusTooManyRequests, "rate-limited", fmt.Sprintf("This token may send %d requests per %d s; retry after the time in Retry-After.", h.RatePolicy.Burst, int(h.RatePolicy.Window()/time.Second))).Response(rateHeaders)
	}
	resp := next(ctx, call{req: req, token: t, journey: *snap.Journey, request: snap.Request, log: log})
	if resp.Headers == nil {
		resp.Headers = map[string]string{}
	}
	for k, v := range rateHeaders {
		resp.Headers[k] = v
	}
	return resp
}

func (h *Handler) submit(ctx context.Context, c call) events.APIGatewayProxyResponse {
	if !httpapi.IsJSON(httpapi.Header(c.req, "Content-Type")) {
		return problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type", "Send the targets as 'Content-Type: application/json'.").Response(nil)
	}
	body, bad := httpapi.LimitedBody(c.req, domain.MaxBodyBytes)
	if bad != nil {
		return bad.Response(nil)
	}
	idemKey, hasIdemKey, bad := httpapi.IdempotencyKey(c.req)
	if bad != nil {
		return bad.Response(nil)
	}
	targets, err := domain.DecodeTargets(body)
	if err != nil {
		var pe *domain.PayloadError
		if !errors.As(err, &pe) {
			return h.internal(ctx, "decode targets", err)
		}
		d := problem.New(http.StatusBadRequest, "invalid-targets", pe.Detail)
		if len(pe.Fields) == 0 {
			d.Type = problem.TypeBase + "invalid-body"
		}
		d.Errors = pe.Fields
		return d.Response(nil)
	}
	if dryRun, bad := dryRunRequested(c.req); bad != nil {
		return bad.Response(nil)
	} else if dryRun {
		return h.dryRun(ctx, c, targets)
	}

	now := h.Now().UTC()
	r := domain.Request{
		UUID:       uuid.NewString(),
		JourneyID:  c.journey.ID,
		TokenID:    c.token.ID,
		Accepted:   len(targets),
		ReceivedAt: now,
		BodyHash:   submit.BodyHash(body),
	}
	if c.token.CallbackURL != "" {
		r.CallbackURL, r.StatusURL = c.token.CallbackURL, statusURL(c.req, r.JourneyID, r.UUID)
	}
	itemKey := ""
	if hasIdemKey {
		itemKey = domain.IdempotencyItemKey(c.token.ID, idemKey)
	}
	r, replayed, err := h.submitter().Submit(ctx, r, targets, itemKey)
	if refused, ok := submit.Refusal(err); ok {
		return refused
	}
	var failed *submit.Failed
	if errors.As(err, &failed) {
		return h.unavailable(ctx, failed.Step, failed.Err)
	}
	if err != nil {
		return h.internal(ctx, "submit targets", err)
	}
	if replayed {
		return accepted(c.req, r, map[string]string{"Idempotent-Replayed": "true"})
	}
	c.log.InfoContext(ctx, "targets accepted", "request_uuid", r.UUID, "accepted", len(targets), "parts", r.Parts)
	return accepted(c.req, r, nil)
}

// submitter queues targets through the handler's ports, within its
// deadline margin.
func (h *Handler) submitter() submit.Submitter {
	return submit.Submitter{Reader: h.Reader, Requests: h.Requests, Queue: h.Queue, DeadlineMargin: h.DeadlineMargin}
}

// accepted is the 202 of request r, with Location: its status URL.
func accepted(req events.APIGatewayProxyRequest, r domain.Request, headers map[string]string) events.APIGatewayProxyResponse {
	status := statusURL(req, r.JourneyID, r.UUID)
	h := map[string]string{"Location": status}
	for k, v := range headers {
		h[k] = v
	}
	return httpapi.JSON(http.StatusAccepted, Accepted{RequestUUID: r.UUID, Accepted: r.Accepted, StatusURL: status}, h)
}

func statusURL(req events.APIGatewayProxyRequest, journeyID, requestUUID string) string {
	return httpapi.BaseURL(req) + "/journeys/" + journeyID + "/requests/" + requestUUID
}

func (h *Handler) status(ctx context.Context, c call) events.APIGatewayProxyResponse {
	r := c.request
	// An admin's upload is no API request: its records are for admins (manage).
	if r == nil || r.JourneyID != c.journey.ID || r.Via() != domain.AddedViaAPI || r.State == domain.RequestAborted || r.State == domain.RequestEnqueuing {
		return problem.New(http.StatusNotFound, "not-found", "No request of this journey has that uuid.").Response(nil)
	}
	limit, bad := httpapi.PageLimit(c.req)
	if bad != nil {
		return bad.Response(nil)
	}
	records, next, err := h.Records.ListByRequest(ctx, r.UUID, c.req.QueryStringParameters["cursor"], limit)
	if domain.KindOf(err) == domain.KindInvalid {
		return problem.New(http.StatusBadRequest, "invalid-query", err.Error()).Response(nil)
	}
	if err != nil {
		return h.unavailable(ctx, "list records", err)
	}
	views := make([]domain.APIRecord, len(records))
	for i, rec := range records {
		views[i] = rec.APIView()
	}
	return httpapi.JSON(http.StatusOK, Status{
		RequestUUID:     r.UUID,
		JourneyID:       r.JourneyID,
		ReceivedAt:      r.ReceivedAt,
		RequestProgress: r.Progress(),
		Records:         views,
		NextCursor:      next,
	}, nil)
}

// unavailable answers a failed dependency call: nothing was accepted and the
// caller may retry. The error is logged, never returned to the caller.
func (h *Handler) unavailable(ctx context.Context, what string, err error) events.APIGatewayProxyResponse {
	h.Logger.ErrorContext(ctx, what+" failed", "error", err)
	return problem.New(http.StatusServiceUnavailable, "unavailable", "The service could not complete the request; nothing was accepted. Retry shortly.").Response(map[string]string{"Retry-After": "1"})
}

func (h *Handler) internal(ctx context.Context, what string, err error) events.APIGatewayProxyResponse {
	h.Logger.ErrorContext(ctx, what+" failed", "error", err)
	return problem.New(http.StatusInternalServerError, "internal", "An internal error occurred; nothing was accepted.").Response(nil)
}

func unauthorized(slug, detail, errorCode string) events.APIGatewayProxyResponse {
	challenge := `Bearer realm="target-loader"`
	if errorCode != "" {
		challenge += `, error="` + errorCode + `"`
	}
	return problem.New(http.StatusUnauthorized, slug, detail).Response(map[string]string{"WWW-Authenticate": challenge})
}

func bearerToken(req events.APIGatewayProxyRequest) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(httpapi.Header(req, "Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}
