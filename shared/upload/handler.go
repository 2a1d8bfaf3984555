// Package upload is the handler of the upload function: business admins'
// files of targets, target loader records created by admins (PRODUCT.md
// §10), at POST /manage/journeys/{journey_id}/loader-records on the
// management API. Each row is checked with the ingest API's rules; the
// valid ones are queued by shared/submit exactly as ingest queues API
// targets, so the same consumer processes them. A function of its own: the
// only management route that writes requests and sends to the targets
// queue, it keeps that access (and the SQS client) out of manage.
package upload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/deadline"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/linefile"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/signedin"
	"github.com/targetloader/targetloader/shared/submit"
)

// Route is the upload's resource, as API Gateway names it in the event
// (GET on it, the records' listing, is manage's).
const Route = "/manage/journeys/{journey_id}/loader-records"

// Journeys reads journeys.
type Journeys interface {
	Get(ctx context.Context, id string) (domain.Journey, error)
}

// Handler serves uploads.
type Handler struct {
	Journeys Journeys
	// Submitter queues the valid rows, as ingest queues API targets.
	Submitter submit.Submitter
	Logger    *slog.Logger
	Now       func() time.Time
	// DeadlineMargin is kept free before the function's deadline, as in
	// ingest: a stalled dependency is a 503, not a timeout.
	DeadlineMargin time.Duration
}

// Result answers an upload: the request its valid rows became, and its bad
// rows with their lines. RequestUUID is empty when no row was valid
// (nothing was queued). Replayed says the same file part was uploaded
// before under the same Idempotency-Key: its first request is returned and
// nothing was queued again.
type Result struct {
	JourneyID   string     `json:"journey_id"`
	RequestUUID string     `json:"request_uuid,omitempty"`
	Rows        int        `json:"rows"`
	Accepted    int        `json:"accepted"`
	BadRows     []RowError `json:"bad_rows"`
	Replayed    bool       `json:"replayed"`
	// RecordsURL lists the request's target loader records.
	RecordsURL string `json:"records_url,omitempty"`
}

// Media types of the files an upload takes.
var formats = map[string]string{
	"text/csv":             linefile.CSV,
	"application/x-ndjson": linefile.JSONLines,
	"application/jsonl":    linefile.JSONLines,
}

// Handle serves one API Gateway proxy request. It never returns an error:
// every failure is a problem document.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	ctx, cancel := deadline.WithMargin(ctx, h.DeadlineMargin)
	defer cancel()
	id := httpapi.RequestID(ctx, req)
	return httpapi.Finish(h.route(httpapi.WithRequestID(ctx, id), req), id), nil
}

func (h *Handler) route(ctx context.Context, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	if req.Resource != Route {
		return problem.New(http.StatusNotFound, "not-found", "No such resource; see the management API in the README.").Response(nil)
	}
	if req.HTTPMethod != http.MethodPost {
		return httpapi.MethodNotAllowed(http.MethodPost)
	}
	who, ok := signedin.FromRequest(req)
	if !ok {
		// API Gateway's authorizer refuses a missing or invalid token first.
		return signedin.Unauthorized()
	}
	log := h.Logger.With("user", who.Email, "resource", req.Resource)
	if !who.May(resources.GroupAdmins) {
		log.WarnContext(ctx, "refused: not in the group the route needs", "group", resources.GroupAdmins, "groups", who.Groups)
		return signedin.Forbidden(resources.GroupAdmins)
	}
	return h.upload(ctx, req, who, log)
}

// upload takes a part of a file of targets from an admin: each valid row
// becomes a target loader record through the same queue, matching and
// rules as an API target, the journey targets it adds with added_via
// "Target Loader"; bad rows are answered with their lines.
func (h *Handler) upload(ctx context.Context, req events.APIGatewayProxyRequest, who signedin.Identity, log *slog.Logger) events.APIGatewayProxyResponse {
	mt, _, _ := mime.ParseMediaType(httpapi.Header(req, "Content-Type"))
	format, ok := formats[mt]
	if !ok {
		return problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type",
			"Send the file as 'Content-Type: text/csv' (a header, then one target per line) or 'application/x-ndjson' (one JSON object per line).").Response(nil)
	}
	body, bad := httpapi.LimitedBody(req, domain.MaxBodyBytes)
	if bad != nil {
		return bad.Response(nil)
	}
	key, hasKey, bad := httpapi.IdempotencyKey(req)
	if bad != nil {
		return bad.Response(nil)
	}
	now := h.Now().UTC()
	j, err := h.Journeys.Get(ctx, req.PathParameters["journey_id"])
	if domain.KindOf(err) == domain.KindNotFound {
		return problem.New(http.StatusNotFound, "not-found", err.Error()).Response(nil)
	}
	if err != nil {
		return unavailable(ctx, log, "read journey", err)
	}
	if j.Ended(now) {
		return problem.New(http.StatusConflict, "conflict", fmt.Sprintf("Journey %s ended on %s; it accepts no more targets.", j.ID, j.EndDate)).Response(nil)
	}
	rows, err := DecodeFile(format, body)
	var pe *domain.PayloadError
	if errors.As(err, &pe) {
		return problem.New(http.StatusBadRequest, "invalid-body", pe.Detail).Response(nil)
	}
	if err != nil {
		return unavailable(ctx, log, "read the file", err)
	}
	result := Result{JourneyID: j.ID, Rows: rows.Rows, BadRows: rows.Bad}
	if result.BadRows == nil {
		result.BadRows = []RowError{}
	}
	if len(rows.Targets) == 0 {
		return httpapi.JSON(http.StatusOK, result, nil)
	}

	r := domain.Request{
		UUID:       uuid.NewString(),
		JourneyID:  j.ID,
		Accepted:   len(rows.Targets),
		ReceivedAt: now,
		// The format is part of what was sent: the same bytes read as
		// CSV and as JSON lines are different uploads.
		BodyHash:   submit.BodyHash(append([]byte(format+"\n"), body...)),
		AddedVia:   domain.AddedViaTargetLoader,
		UploadedBy: who.Email,
	}
	itemKey := ""
	if hasKey {
		itemKey = domain.UploadIdempotencyItemKey(j.ID, key)
	}
	r, replayed, err := h.Submitter.Submit(ctx, r, rows.Targets, itemKey)
	if refused, ok := submit.Refusal(err); ok {
		return refused
	}
	var failed *submit.Failed
	if errors.As(err, &failed) {
		return unavailable(ctx, log, failed.Step, failed.Err)
	}
	if err != nil {
		return unavailable(ctx, log, "submit targets", err)
	}
	result.RequestUUID, result.Accepted, result.Replayed = r.UUID, r.Accepted, replayed
	result.RecordsURL = httpapi.BaseURL(req) + "/manage/requests/" + r.UUID + "/loader-records"
	headers := map[string]string{"Location": result.RecordsURL}
	if replayed {
		headers["Idempotent-Replayed"] = "true"
	}
	log.InfoContext(ctx, "targets uploaded", "journey_id", j.ID, "request_uuid", r.UUID, "rows", rows.Rows, "accepted", r.Accepted, "bad", len(rows.Bad), "replayed", replayed)
	return httpapi.JSON(http.StatusAccepted, result, headers)
}

// unavailable answers a failed dependency call: nothing was accepted and
// the caller may retry. The error is logged, never returned to the caller.
func unavailable(ctx context.Context, log *slog.Logger, what string, err error) events.APIGatewayProxyResponse {
	log.ErrorContext(ctx, what+" failed", "error", err)
	return problem.New(http.StatusServiceUnavailable, "unavailable", "The service could not complete the request; nothing was accepted. Retry shortly.").Response(map[string]string{"Retry-After": "1"})
}
