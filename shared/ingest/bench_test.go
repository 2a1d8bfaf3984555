package ingest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
)

// Small function-field fakes of the handler's ports: the benchmark measures
// the handler's own work (token check, decode, validation, split, marshal
// of the SQS messages, response) with I/O stubbed.
type (
	readerFunc func(ctx context.Context, tokenHash, journeyID, requestUUID string) (domain.Snapshot, error)
	// requestsFake embeds the interface so that methods the benchmark does
	// not reach (idempotent creation) need no fake.
	requestsFake struct {
		ingest.Requests
		create     func(context.Context, domain.Request) error
		markQueued func(context.Context, string) error
		abort      func(context.Context, string) (bool, error)
	}
	queueFunc   func(context.Context, []domain.Batch) error
	recordsFunc func(ctx context.Context, requestUUID, cursor string, limit int) ([]domain.LoaderRecord, string, error)
	limiterFunc func(ctx context.Context, tokenID string, p domain.RatePolicy, now time.Time) (domain.RateDecision, error)
)

func (f readerFunc) Read(ctx context.Context, h, j, r string) (domain.Snapshot, error) {
	return f(ctx, h, j, r)
}
func (f requestsFake) Create(ctx context.Context, r domain.Request) error { return f.create(ctx, r) }
func (f requestsFake) MarkQueued(ctx context.Context, u string) error     { return f.markQueued(ctx, u) }
func (f requestsFake) Abort(ctx context.Context, u string) (bool, error)  { return f.abort(ctx, u) }
func (f queueFunc) Send(ctx context.Context, b []domain.Batch) error      { return f(ctx, b) }
func (f recordsFunc) ListByRequest(ctx context.Context, u, c string, l int) ([]domain.LoaderRecord, string, error) {
	return f(ctx, u, c, l)
}
func (f limiterFunc) Take(ctx context.Context, id string, p domain.RatePolicy, now time.Time) (domain.RateDecision, error) {
	return f(ctx, id, p, now)
}

// BenchmarkSubmit500 is one POST of 500 targets through the ingest handler
// with every dependency answering at once. The queue fake marshals each
// batch as the SQS sender does, so message encoding is counted.
func BenchmarkSubmit500(b *testing.B) {
	secret, err := domain.NewTokenSecret()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	token := domain.Token{Hash: domain.HashToken(secret), ID: "tok-1", JourneyID: "J1", CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour)}
	journey := domain.Journey{ID: "J1", Name: "Bench"}
	h := &ingest.Handler{
		Reader: readerFunc(func(context.Context, string, string, string) (domain.Snapshot, error) {
			return domain.Snapshot{Token: &token, Journey: &journey}, nil
		}),
		Requests: requestsFake{
			create:     func(context.Context, domain.Request) error { return nil },
			markQueued: func(context.Context, string) error { return nil },
			abort:      func(context.Context, string) (bool, error) { return true, nil },
		},
		Queue: queueFunc(func(_ context.Context, batches []domain.Batch) error {
			for _, bt := range batches {
				if _, err := json.Marshal(bt); err != nil {
					return err
				}
			}
			return nil
		}),
		Records: recordsFunc(func(context.Context, string, string, int) ([]domain.LoaderRecord, string, error) { return nil, "", nil }),
		RateLimiter: limiterFunc(func(context.Context, string, domain.RatePolicy, time.Time) (domain.RateDecision, error) {
			return domain.RateDecision{Allowed: true, Remaining: 10, Reset: now.Add(time.Second)}, nil
		}),
		RatePolicy: domain.RatePolicy{PerSecond: 10, Burst: 20},
		Logger:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:        time.Now,
	}
	targets := make([]map[string]string, domain.MaxTargets)
	for i := range targets {
		t := map[string]string{"source_system_id": fmt.Sprintf("cdp-%07d", i), "first_name": "Alex", "last_name": fmt.Sprintf("Doctor%05d", i)}
		if i%2 == 0 {
			t["account_id"] = fmt.Sprintf("V4T%012d", i)
		} else {
			t["email"] = fmt.Sprintf("Hcp%05d@clinic.example.com", i)
		}
		targets[i] = t
	}
	body, _ := json.Marshal(targets)
	req := events.APIGatewayProxyRequest{
		Resource:       ingest.RouteTargets,
		Path:           "/journeys/J1/targets",
		HTTPMethod:     http.MethodPost,
		Headers:        map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + secret, "Host": "api.example.test"},
		PathParameters: map[string]string{"journey_id": "J1"},
		Body:           string(body),
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "v1", Path: "/v1/journeys/J1/targets", DomainName: "api.example.test"},
	}
	ctx := context.Background()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h.Handle(ctx, req)
		if err != nil || resp.StatusCode != http.StatusAccepted {
			b.Fatalf("%d %s %v", resp.StatusCode, resp.Body, err)
		}
	}
}
