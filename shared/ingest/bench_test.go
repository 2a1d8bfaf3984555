package ingest_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// BenchmarkSubmit500 is one POST of 500 targets through the ingest handler
// with every dependency answering at once: it measures the handler's own work
// (token check, decode, validation, split, marshal of the SQS messages,
// response) with I/O stubbed. The queue fake marshals each batch as the SQS
// sender does, so message encoding is counted.
func BenchmarkSubmit500(b *testing.B) {
	secret, err := domain.NewTokenSecret()
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	token := domain.Token{Hash: domain.HashToken(secret), ID: "tok-1", JourneyID: "J1", CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour)}
	journey := domain.Journey{ID: "J1", Name: "Bench"}
	h := &ingest.Handler{
		Reader: fakes.Reader{ReadFunc: func(context.Context, string, string, string) (domain.Snapshot, error) {
			return domain.Snapshot{Token: &token, Journey: &journey}, nil
		}},
		Requests: fakes.Requests{
			CreateFunc:     func(context.Context, domain.Request) error { return nil },
			MarkQueuedFunc: func(context.Context, string) error { return nil },
			AbortFunc:      func(context.Context, string) (bool, error) { return true, nil },
		},
		Queue: fakes.Queue{SendFunc: func(_ context.Context, batches []domain.Batch) error {
			for _, bt := range batches {
				if _, err := json.Marshal(bt); err != nil {
					return err
				}
			}
			return nil
		}},
		Records:     fakes.Records{},
		RateLimiter: fakes.Allow(),
		RatePolicy:  domain.RatePolicy{PerSecond: 10, Burst: 20},
		Logger:      slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Now:         time.Now,
	}
	body := workload.Body(workload.Accounts(domain.MaxTargets), 0, domain.MaxTargets)
	req := workload.PostTargets("J1", secret, body)
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
