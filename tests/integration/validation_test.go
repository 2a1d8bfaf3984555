package integration

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

func TestBadInputIsRefusedAndNothingQueued(t *testing.T) {
	e := newEnv(t)
	token := e.seed(1)
	post := func(contentType, body string) eventsResponse {
		req := workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": "J1"}, token, body)
		req.Headers["Content-Type"] = contentType
		return e.call(req)
	}
	cases := []struct {
		name, contentType, body string
		status                  int
	}{
		{"wrong content type", "text/plain", `[{"source_system_id":"s","account_id":"A000"}]`, http.StatusUnsupportedMediaType},
		{"over 1 MiB", "application/json", "[" + strings.Repeat(" ", domain.MaxBodyBytes) + "]", http.StatusRequestEntityTooLarge},
		{"bad JSON", "application/json", `[{"source_system_id":`, http.StatusBadRequest},
		{"not an array", "application/json", `{"source_system_id":"s"}`, http.StatusBadRequest},
		{"empty array", "application/json", `[]`, http.StatusBadRequest},
		{"empty body", "application/json", ``, http.StatusBadRequest},
		{"trailing value", "application/json", `[{"source_system_id":"s","account_id":"A000"}] []`, http.StatusBadRequest},
		{"invalid targets", "application/json", `[{"source_system_id":"s","account_id":"A000"},{"account_id":7},{"source_system_id":"x","email":"Bob <b@example.com>"}]`, http.StatusBadRequest},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assertProblem(t, post(c.contentType, c.body), c.status)
		})
	}
	d := decode[problem.Details](t, post("application/json; charset=utf-8", cases[len(cases)-1].body).Body)
	want := []domain.FieldError{
		{Index: 1, Field: "account_id", Message: "must be a string"},
		{Index: 1, Field: "source_system_id", Message: "is required and must not be blank"},
		{Index: 2, Field: "email", Message: "must be a plain email address such as name@example.com"},
	}
	if diff := cmp.Diff(want, d.Errors); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if msgs := e.receiveAll(); len(msgs) != 0 {
		t.Errorf("%d messages queued for refused requests", len(msgs))
	}

	// A base64-encoded body, as API Gateway sends binary media, is accepted.
	req := workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": "J1"}, token, base64.StdEncoding.EncodeToString([]byte(`[{"source_system_id":"s","account_id":"A000"}]`)))
	req.IsBase64Encoded = true
	if resp := e.call(req); resp.StatusCode != http.StatusAccepted {
		t.Errorf("base64 body = %d %s", resp.StatusCode, resp.Body)
	}
	// Unknown routes and methods.
	assertProblem(t, e.call(workload.APIRequest(http.MethodGet, "/nope", nil, token, "")), http.StatusNotFound)
	assertProblem(t, e.call(workload.APIRequest(http.MethodGet, ingest.RouteTargets, map[string]string{"journey_id": "J1"}, token, "")), http.StatusMethodNotAllowed)
	// Status of an unknown or malformed request uuid.
	resp, _ := e.status("J1", token, "not-a-uuid", nil)
	assertProblem(t, resp, http.StatusNotFound)
	resp, _ = e.status("J1", token, "7d0f6c3e-0000-4000-8000-000000000000", nil)
	assertProblem(t, resp, http.StatusNotFound)
	resp, _ = e.status("J1", token, "7d0f6c3e-0000-4000-8000-000000000000", map[string]string{"limit": "0"})
	assertProblem(t, resp, http.StatusNotFound)

	// A bad or foreign page cursor is the caller's mistake: 400, never 5xx.
	accepted := decode[ingest.Accepted](t, e.post("J1", token, `[{"source_system_id":"s","account_id":"A000"}]`).Body)
	for _, cursor := range []string{"not base64!", "e30", "eyJ4IjoxfQ", "eyJyZXF1ZXN0X3V1aWQiOiJvdGhlciIsInRhcmdldF9pbmRleCI6MX0"} {
		resp, _ = e.status("J1", token, accepted.RequestUUID, map[string]string{"cursor": cursor})
		assertProblem(t, resp, http.StatusBadRequest)
	}
}
