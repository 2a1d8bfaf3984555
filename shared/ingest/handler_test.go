package ingest

import (
	"context"
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

// The Idempotency-Key limit counts characters, as every other text limit does.
func TestIdempotencyKeyLengthCountsCharacters(t *testing.T) {
	h, secrets, sent := newFuzzHandler(t)
	tests := []struct {
		name string
		key  string
		want int
	}{
		{name: "255 characters", key: strings.Repeat("k", 255), want: http.StatusAccepted},
		{name: "255 two-byte characters", key: strings.Repeat("é", 255), want: http.StatusAccepted},
		{name: "255 four-byte characters", key: strings.Repeat("🔑", 255), want: http.StatusAccepted},
		{name: "255 characters after trimming", key: "  " + strings.Repeat("é", 255) + "\t", want: http.StatusAccepted},
		{name: "256 characters", key: strings.Repeat("k", 256), want: http.StatusBadRequest},
		{name: "256 two-byte characters", key: strings.Repeat("é", 256), want: http.StatusBadRequest},
		{name: "blank", key: " \t ", want: http.StatusBadRequest},
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
				if !strings.Contains(resp.Body, "invalid-idempotency-key") || !strings.Contains(resp.Body, "1 to 255 characters") {
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
