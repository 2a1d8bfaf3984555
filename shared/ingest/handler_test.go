package ingest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

// The shared fakes satisfy the handler's ports.
var (
	_ Reader      = fakes.Reader{}
	_ Requests    = fakes.Requests{}
	_ Queue       = fakes.Queue{}
	_ Records     = fakes.Records{}
	_ RateLimiter = fakes.RateLimiter{}
)

// An Idempotency-Key is 1 to 255 printable ASCII characters, outer
// whitespace trimmed; anything else is refused before anything is written.
func TestIdempotencyKeyIsPrintableASCII(t *testing.T) {
	h, secrets, sent := newFuzzHandler(t)
	tests := []struct {
		name string
		key  string
		want int
	}{
		{name: "255 characters", key: strings.Repeat("k", 255), want: http.StatusAccepted},
		{name: "255 characters after trimming", key: "  " + strings.Repeat("k", 255) + "\t", want: http.StatusAccepted},
		{name: "inner spaces and punctuation", key: "order #42 / 2026-11-26", want: http.StatusAccepted},
		{name: "256 characters", key: strings.Repeat("k", 256), want: http.StatusBadRequest},
		{name: "blank", key: " \t ", want: http.StatusBadRequest},
		{name: "escape sequence", key: "order-1\x1b[2J", want: http.StatusBadRequest},
		{name: "inner tab", key: "order\t1", want: http.StatusBadRequest},
		{name: "two-byte characters", key: strings.Repeat("é", 10), want: http.StatusBadRequest},
		{name: "four-byte character", key: "🔑", want: http.StatusBadRequest},
		{name: "right-to-left override", key: "order\u202e1", want: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN a Requests port that records the idempotency item keys it is asked to create
			var keys []string
			reqs := fuzzRequests()
			reqs.CreateIdempotentFunc = func(_ context.Context, _ domain.Request, rec domain.IdempotencyRecord, _ time.Time, _ string) (*domain.IdempotencyRecord, error) {
				keys = append(keys, rec.Key)
				return nil, nil
			}
			h.Requests = reqs
			*sent = (*sent)[:0]
			resp, err := h.Handle(context.Background(), events.APIGatewayProxyRequest{
				HTTPMethod:     http.MethodPost,
				Resource:       RouteTargets,
				PathParameters: map[string]string{"journey_id": "J1"},
				Headers: map[string]string{
					"Content-Type":    "application/json",
					"Authorization":   "Bearer " + secrets["$TOKEN"],
					"Idempotency-Key": tt.key,
				},
				Body: `[{"source_system_id":"s1","account_id":"A1"}]`,
			})
			if err != nil || resp.StatusCode != tt.want {
				t.Fatalf("Handle() = %d %s, %v; want %d", resp.StatusCode, resp.Body, err, tt.want)
			}
			if tt.want != http.StatusAccepted {
				if !strings.Contains(resp.Body, "invalid-idempotency-key") || !strings.Contains(resp.Body, "1 to 255 printable ASCII characters") {
					t.Errorf("body %s", resp.Body)
				}
				if len(keys) > 0 || len(*sent) > 0 {
					t.Errorf("refused key: %d records written, %d messages sent", len(keys), len(*sent))
				}
				return
			}
			if want := domain.IdempotencyItemKey("t1", strings.TrimSpace(tt.key)); len(keys) != 1 || keys[0] != want {
				t.Errorf("item keys %q, want [%q]", keys, want)
			}
		})
	}
}

// A journey id no journey can have, or a request uuid in a form no request
// has, is refused before any read, even with a well-formed token (its
// checksum is public, so anyone can make one): on AWS an over-long key makes
// DynamoDB refuse the read, which would be a 503 and a 5xx alarm.
func TestPathParametersRefusedBeforeAnyRead(t *testing.T) {
	h, _, _ := newFuzzHandler(t)
	h.Reader = fakes.Reader{} // any read panics: the test fails at the call
	forged, err := domain.NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	uuid := "0b5c3a9e-1111-4000-8000-000000000001"
	for _, tt := range []struct {
		name             string
		resource         string
		journey, request string
	}{
		{"journey id of 129 characters", RouteTargets, strings.Repeat("j", domain.MaxJourneyIDChars+1), ""},
		{"journey id of 100,000 characters", RouteTargets, strings.Repeat("j", 100_000), ""},
		{"journey id with an escape sequence", RouteTargets, "J1\x1b[2J", ""},
		{"blank journey id", RouteTargets, " ", ""},
		{"status of a journey id of 129 characters", RouteRequest, strings.Repeat("j", domain.MaxJourneyIDChars+1), uuid},
		{"request uuid in braces", RouteRequest, "J1", "{" + uuid + "}"},
		{"request uuid as a URN", RouteRequest, "J1", "urn:uuid:" + uuid},
		{"request uuid without hyphens", RouteRequest, "J1", strings.ReplaceAll(uuid, "-", "")},
		{"request uuid in capitals", RouteRequest, "J1", strings.ToUpper(uuid)},
		{"request uuid of 10,000 characters", RouteRequest, "J1", strings.Repeat("a", 10_000)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodPost
			params := map[string]string{"journey_id": tt.journey}
			if tt.resource == RouteRequest {
				method = http.MethodGet
				params["request_uuid"] = tt.request
			}
			resp, err := h.Handle(context.Background(), events.APIGatewayProxyRequest{
				HTTPMethod: method, Resource: tt.resource, PathParameters: params,
				Headers: map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + forged},
				Body:    `[{"source_system_id":"s1","account_id":"A1"}]`,
			})
			if err != nil || resp.StatusCode != http.StatusNotFound || !strings.Contains(resp.Body, "not-found") {
				t.Errorf("Handle() = %d %s, %v; want 404 not-found", resp.StatusCode, resp.Body, err)
			}
		})
	}
}

// The status endpoint shows the API view of each record, never the full one.
func TestStatusShowsTheAPIView(t *testing.T) {
	h, secrets, _ := newFuzzHandler(t)
	full := []domain.LoaderRecord{
		{RequestUUID: fuzzRequestUUID, Index: 0, SubmittedEmail: "in@x.com", Account: "A4", MatchingOutcome: domain.OutcomeMatchedEmail, ProcessingStatus: domain.StatusFailed, FailureReason: "Account A4, matched on email in@x.com, is inactive"},
		{RequestUUID: fuzzRequestUUID, Index: 1, SubmittedEmail: "shared@x.com", MatchingOutcome: domain.OutcomeMultipleMatches, ProcessingStatus: domain.StatusFailed, FailureReason: "Email shared@x.com matches 2 accounts (A2, A3); submit an account_id to choose one"},
		{RequestUUID: fuzzRequestUUID, Index: 2, SubmittedAccountID: "A1", Account: "A1", MatchingOutcome: domain.OutcomeMatchedAccountID, ProcessingStatus: domain.StatusSuccess},
	}
	h.Records = fakes.Records{ListByRequestFunc: func(context.Context, string, string, int) ([]domain.LoaderRecord, string, error) {
		return full, "", nil
	}}
	resp, err := h.Handle(context.Background(), events.APIGatewayProxyRequest{
		HTTPMethod: http.MethodGet, Resource: RouteRequest,
		PathParameters: map[string]string{"journey_id": "J1", "request_uuid": fuzzRequestUUID},
		Headers:        map[string]string{"Authorization": "Bearer " + secrets["$TOKEN"]},
	})
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Handle() = %d %s, %v", resp.StatusCode, resp.Body, err)
	}
	var st Status
	if err := json.Unmarshal([]byte(resp.Body), &st); err != nil || len(st.Records) != len(full) {
		t.Fatalf("body %s: %v", resp.Body, err)
	}
	for i, r := range full {
		if want := r.APIView(); st.Records[i] != want {
			t.Errorf("record %d = %+v, want its API view %+v", i, st.Records[i], want)
		}
	}
	for _, leak := range []string{"A2", "A3", "A4", "inactive"} {
		if strings.Contains(resp.Body, leak) {
			t.Errorf("the response tells %q: %s", leak, resp.Body)
		}
	}
}
