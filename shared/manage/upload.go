package manage

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/linefile"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/submit"
)

// UploadResult answers an upload (POST .../loader-records): the request
// its valid rows became, and its bad rows with their lines. RequestUUID is
// empty when no row was valid (nothing was queued). Replayed says the same
// file part was uploaded before under the same Idempotency-Key: its first
// request is returned and nothing was queued again.
type UploadResult struct {
	JourneyID   string            `json:"journey_id"`
	RequestUUID string            `json:"request_uuid,omitempty"`
	Rows        int               `json:"rows"`
	Accepted    int               `json:"accepted"`
	BadRows     []domain.RowError `json:"bad_rows"`
	Replayed    bool              `json:"replayed"`
	// RecordsURL lists the request's target loader records.
	RecordsURL string `json:"records_url,omitempty"`
}

// Media types of the files an upload takes.
var uploadFormats = map[string]string{
	"text/csv":             linefile.CSV,
	"application/x-ndjson": linefile.JSONLines,
	"application/jsonl":    linefile.JSONLines,
}

// upload takes a part of a file of targets from an admin (PRODUCT.md §10):
// each valid row becomes a target loader record through the same queue,
// matching and rules as an API target, the journey targets it adds with
// added_via "Target Loader"; bad rows are answered with their lines.
func (h *Handler) upload(ctx context.Context, c call) events.APIGatewayProxyResponse {
	mt, _, _ := mime.ParseMediaType(httpapi.Header(c.req, "Content-Type"))
	format, ok := uploadFormats[mt]
	if !ok {
		return problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type",
			"Send the file as 'Content-Type: text/csv' (a header, then one target per line) or 'application/x-ndjson' (one JSON object per line).").Response(nil)
	}
	body, bad := httpapi.LimitedBody(c.req, domain.MaxBodyBytes)
	if bad != nil {
		return bad.Response(nil)
	}
	key, hasKey, bad := httpapi.IdempotencyKey(c.req)
	if bad != nil {
		return bad.Response(nil)
	}
	j, err := h.Journeys.Get(ctx, c.param("journey_id"))
	if err != nil {
		return h.failed(ctx, c, "read journey", err)
	}
	if j.Ended(c.now) {
		return problem.New(http.StatusConflict, "conflict", fmt.Sprintf("Journey %s ended on %s; it accepts no more targets.", j.ID, j.EndDate)).Response(nil)
	}
	rows, err := domain.DecodeTargetFile(format, body)
	var pe *domain.PayloadError
	if errors.As(err, &pe) {
		return problem.New(http.StatusBadRequest, "invalid-body", pe.Detail).Response(nil)
	}
	if err != nil {
		return h.failed(ctx, c, "read the file", err)
	}
	result := UploadResult{JourneyID: j.ID, Rows: rows.Rows, BadRows: rows.Bad}
	if result.BadRows == nil {
		result.BadRows = []domain.RowError{}
	}
	if len(rows.Targets) == 0 {
		return httpapi.JSON(http.StatusOK, result, nil)
	}

	r := domain.Request{
		UUID:       uuid.NewString(),
		JourneyID:  j.ID,
		Accepted:   len(rows.Targets),
		ReceivedAt: c.now,
		// The format is part of what was sent: the same bytes read as
		// CSV and as JSON lines are different uploads.
		BodyHash:   submit.BodyHash(append([]byte(format+"\n"), body...)),
		AddedVia:   domain.AddedViaTargetLoader,
		UploadedBy: c.who.Email,
	}
	itemKey := ""
	if hasKey {
		itemKey = domain.UploadIdempotencyItemKey(j.ID, key)
	}
	r, replayed, err := h.Uploads.Submit(ctx, r, rows.Targets, itemKey)
	if refused, ok := submit.Refusal(err); ok {
		return refused
	}
	var failed *submit.Failed
	if errors.As(err, &failed) {
		return h.failed(ctx, c, failed.Step, failed.Err)
	}
	if err != nil {
		return h.failed(ctx, c, "submit targets", err)
	}
	result.RequestUUID, result.Accepted, result.Replayed = r.UUID, r.Accepted, replayed
	result.RecordsURL = httpapi.BaseURL(c.req) + "/manage/requests/" + r.UUID + "/loader-records"
	headers := map[string]string{"Location": result.RecordsURL}
	if replayed {
		headers["Idempotent-Replayed"] = "true"
	}
	c.log.InfoContext(ctx, "targets uploaded", "journey_id", j.ID, "request_uuid", r.UUID, "rows", rows.Rows, "accepted", r.Accepted, "bad", len(rows.Bad), "replayed", replayed)
	return httpapi.JSON(http.StatusAccepted, result, headers)
}
