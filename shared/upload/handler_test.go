package upload_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/submit"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
	"github.com/targetloader/targetloader/shared/upload"
)

const (
	marketer = "marketer@example.com"
	admin    = "admin@example.com"
)

var (
	now     = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	open    = domain.Journey{ID: "J1", Name: "Open"}
	ended   = domain.Journey{ID: "J3", Name: "Ended", EndDate: "2026-05-31"}
	errBoom = errors.New("dynamodb: connection reset by peer at 10.0.0.7")

	asMarketer = workload.Claims(marketer, "marketers")
	asAdmin    = workload.Claims(admin, "admins", "marketers")
)

// The shared fakes satisfy the handler's ports.
var _ upload.Journeys = fakes.Journeys{}

// handler is an upload handler on journeys js (any other is not found, as
// the store answers) and submitter s, with a fixed clock and a logger
// capturing every level.
func handler(s submit.Submitter, js ...domain.Journey) (*upload.Handler, *bytes.Buffer) {
	var logs bytes.Buffer
	return &upload.Handler{
		Journeys: fakes.Journeys{GetFunc: func(_ context.Context, id string) (domain.Journey, error) {
			for _, j := range js {
				if j.ID == id {
					return j, nil
				}
			}
			return domain.Journey{}, domain.Errorf(domain.KindNotFound, "journey %s does not exist", id)
		}},
		Submitter: s,
		Logger:    slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:       func() time.Time { return now },
	}, &logs
}

func call(t *testing.T, h *upload.Handler, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := h.Handle(t.Context(), req)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	return resp
}

func decode[T any](t *testing.T, resp events.APIGatewayProxyResponse, status int) T {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	var v T
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatalf("decode %s: %v", resp.Body, err)
	}
	return v
}

// assertProblem checks resp is a problem document of status and type slug.
func assertProblem(t *testing.T, resp events.APIGatewayProxyResponse, status int, slug string) {
	t.Helper()
	d := decode[problem.Details](t, resp, status)
	if resp.Headers["Content-Type"] != problem.ContentType || d.Type != problem.TypeBase+slug || d.Status != status || d.Title == "" || d.Detail == "" {
		t.Errorf("problem %v %+v, want %d %s", resp.Headers, d, status, slug)
	}
}

const uploadCSV = "source_system_id,account_id,email,first_name,last_name\n" +
	"fair-1,V4T1,,Ann,One\n" +
	"fair-2,,not-an-email,,\n" +
	"fair-3,,c@example.com,,\n"

// uploads records what an upload queues.
type uploads struct {
	created []domain.Request
	sent    [][]domain.Batch
	keys    []string
}

func (u *uploads) submitter() submit.Submitter {
	return submit.Submitter{
		Requests: fakes.Requests{
			CreateFunc: func(_ context.Context, r domain.Request) error { u.created = append(u.created, r); return nil },
			CreateIdempotentFunc: func(_ context.Context, r domain.Request, rec domain.IdempotencyRecord, _ time.Time, _ string) (*domain.IdempotencyRecord, error) {
				u.created = append(u.created, r)
				u.keys = append(u.keys, rec.Key)
				return nil, nil
			},
			MarkQueuedFunc: func(context.Context, string) error { return nil },
		},
		Queue: fakes.Queue{SendFunc: func(_ context.Context, b []domain.Batch) error { u.sent = append(u.sent, b); return nil }},
	}
}

func uploadRequest(journeyID, contentType, body string, claims map[string]any) events.APIGatewayProxyRequest {
	req := workload.ManageRequest(http.MethodPost, upload.Route, map[string]string{"journey_id": journeyID}, claims, body)
	req.Headers["Content-Type"] = contentType
	return req
}

// An admin's CSV: the valid rows become one request of the journey's,
// added via Target Loader and uploaded by the admin; the bad row is
// answered with its line.
func TestUploadQueuesTheValidRows(t *testing.T) {
	u := &uploads{}
	h, logs := handler(u.submitter(), open)
	req := uploadRequest(open.ID, "text/csv; charset=utf-8", uploadCSV, asAdmin)
	req.Headers["Idempotency-Key"] = " part-1 "
	resp := call(t, h, req)
	got := decode[upload.Result](t, resp, http.StatusAccepted)

	if len(u.created) != 1 || len(u.sent) != 1 {
		t.Fatalf("created %d requests, sent %d", len(u.created), len(u.sent))
	}
	r := u.created[0]
	want := upload.Result{
		JourneyID: open.ID, RequestUUID: r.UUID, Rows: 3, Accepted: 2,
		BadRows:    []upload.RowError{{Line: 3, Message: "email must be a plain email address such as name@example.com"}},
		RecordsURL: "https://api.example.test/v1/manage/requests/" + r.UUID + "/loader-records",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("result (-want +got):\n%s", diff)
	}
	if resp.Headers["Location"] != want.RecordsURL || resp.Headers["Idempotent-Replayed"] != "" {
		t.Errorf("headers %v", resp.Headers)
	}
	if r.JourneyID != open.ID || r.Via() != domain.AddedViaTargetLoader || r.UploadedBy != admin || r.TokenID != "" || r.Accepted != 2 || !r.ReceivedAt.Equal(now) {
		t.Errorf("request %+v", r)
	}
	if want := domain.UploadIdempotencyItemKey(open.ID, "part-1"); len(u.keys) != 1 || u.keys[0] != want {
		t.Errorf("idempotency keys %q, want %q", u.keys, want)
	}
	targets := u.sent[0][0].Targets
	if len(targets) != 2 || targets[0].AccountID != "V4T1" || targets[1].Email != "c@example.com" || targets[1].Index != 1 {
		t.Errorf("queued %+v", targets)
	}
	if strings.Contains(logs.String(), "c@example.com") || !strings.Contains(logs.String(), "targets uploaded") {
		t.Errorf("logs:\n%s", logs)
	}
}

// A file of JSON lines whose every row is bad queues nothing: 200, and the
// rows with their lines.
func TestUploadOfOnlyBadRowsQueuesNothing(t *testing.T) {
	h, _ := handler((&uploads{}).submitter(), open)
	resp := call(t, h, uploadRequest(open.ID, "application/x-ndjson", "{\"source_system_id\":\"s\"}\n\nnot json\n", asAdmin))
	got := decode[upload.Result](t, resp, http.StatusOK)
	if got.RequestUUID != "" || got.Accepted != 0 || got.Rows != 2 || len(got.BadRows) != 2 || got.BadRows[1].Line != 3 {
		t.Errorf("result %+v", got)
	}
}

func TestUploadRefusals(t *testing.T) {
	tests := []struct {
		name   string
		req    events.APIGatewayProxyRequest
		status int
		slug   string
	}{
		{"a marketer", uploadRequest(open.ID, "text/csv", uploadCSV, asMarketer), http.StatusForbidden, "forbidden"},
		{"JSON", uploadRequest(open.ID, "application/json", `[{"source_system_id":"s","account_id":"A"}]`, asAdmin), http.StatusUnsupportedMediaType, "unsupported-media-type"},
		{"no content type", uploadRequest(open.ID, "", uploadCSV, asAdmin), http.StatusUnsupportedMediaType, "unsupported-media-type"},
		{"over 1 MiB", uploadRequest(open.ID, "text/csv", uploadCSV+strings.Repeat("x", domain.MaxBodyBytes), asAdmin), http.StatusRequestEntityTooLarge, "body-too-large"},
		{"unknown journey", uploadRequest("NOPE", "text/csv", uploadCSV, asAdmin), http.StatusNotFound, "not-found"},
		{"ended journey", uploadRequest(ended.ID, "text/csv", uploadCSV, asAdmin), http.StatusConflict, "conflict"},
		{"no source column", uploadRequest(open.ID, "text/csv", "account_id\nA1\n", asAdmin), http.StatusBadRequest, "invalid-body"},
		{"another route", workload.ManageRequest(http.MethodPost, "/manage/requests/{request_uuid}/loader-records", map[string]string{"request_uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}, asAdmin, uploadCSV), http.StatusNotFound, "not-found"},
		{"a GET", workload.ManageRequest(http.MethodGet, upload.Route, map[string]string{"journey_id": open.ID}, asAdmin, ""), http.StatusMethodNotAllowed, "method-not-allowed"},
		{"signed out", uploadRequest(open.ID, "text/csv", uploadCSV, nil), http.StatusUnauthorized, "sign-in-required"},
	}
	blank := uploadRequest(open.ID, "text/csv", uploadCSV, asAdmin)
	blank.Headers["Idempotency-Key"] = " "
	tests = append(tests, struct {
		name   string
		req    events.APIGatewayProxyRequest
		status int
		slug   string
	}{"a blank Idempotency-Key", blank, http.StatusBadRequest, "invalid-idempotency-key"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := &uploads{}
			h, _ := handler(u.submitter(), open, ended)
			assertProblem(t, call(t, h, tt.req), tt.status, tt.slug)
			if len(u.created)+len(u.sent) > 0 {
				t.Errorf("queued %d requests", len(u.created))
			}
		})
	}
}

// A retry of an upload under its key answers with the first request and
// queues nothing; a failed dependency is a 503 and nothing was accepted.
func TestUploadReplayAndFailures(t *testing.T) {
	first := domain.Request{UUID: "7c9e6679-7425-40de-944b-e07fc1f90ae7", JourneyID: open.ID, Accepted: 2, State: domain.RequestQueued}
	var hash string
	h, logs := handler(submit.Submitter{
		Reader: fakes.Reader{ReadFunc: func(_ context.Context, _, _, uuid string) (domain.Snapshot, error) {
			return domain.Snapshot{Request: &first}, nil
		}},
		Requests: fakes.Requests{CreateIdempotentFunc: func(_ context.Context, r domain.Request, rec domain.IdempotencyRecord, _ time.Time, _ string) (*domain.IdempotencyRecord, error) {
			if hash == "" {
				hash = r.BodyHash
			}
			return &domain.IdempotencyRecord{RequestUUID: first.UUID, BodyHash: hash}, nil
		}},
	}, open)
	req := uploadRequest(open.ID, "text/csv", uploadCSV, asAdmin)
	req.Headers["Idempotency-Key"] = "k"
	resp := call(t, h, req)
	got := decode[upload.Result](t, resp, http.StatusAccepted)
	if !got.Replayed || got.RequestUUID != first.UUID || got.Accepted != 2 || len(got.BadRows) != 1 || resp.Headers["Idempotent-Replayed"] != "true" {
		t.Errorf("replay %+v %v", got, resp.Headers)
	}
	// Another file under the same key is refused.
	req.Body = uploadCSV + "fair-4,V4T4,,,\n"
	assertProblem(t, call(t, h, req), http.StatusUnprocessableEntity, "idempotency-key-reused")

	h.Submitter = submit.Submitter{Requests: fakes.Requests{CreateFunc: func(context.Context, domain.Request) error { return errBoom }}}
	resp = call(t, h, uploadRequest(open.ID, "text/csv", uploadCSV, asAdmin))
	assertProblem(t, resp, http.StatusServiceUnavailable, "unavailable")
	if strings.Contains(resp.Body, "10.0.0.7") || !strings.Contains(logs.String(), "10.0.0.7") {
		t.Errorf("the cause is logged, never answered: %s", resp.Body)
	}
}
