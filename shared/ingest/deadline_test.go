package ingest

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// The abort after a failed send must end half the margin before the
// function's deadline even when the send comes back late (a call cancelled
// at the deadline can return well after it on a loaded machine): its
// deadline is anchored to the function's, not to when the failure came back.
func TestAbortAfterALateFailureEndsBeforeTheFunctionsDeadline(t *testing.T) {
	h, secrets, _ := newFuzzHandler(t)
	h.DeadlineMargin = 2 * time.Second
	const lateBy = 800 * time.Millisecond
	h.Queue = fakes.Queue{SendFunc: func(ctx context.Context, _ []domain.Batch) error {
		<-ctx.Done()
		time.Sleep(lateBy) // the send returns late
		return ctx.Err()
	}}
	var abortDeadline time.Time
	requests := fuzzRequests()
	requests.AbortFunc = func(ctx context.Context, _ string) (bool, error) {
		d, ok := ctx.Deadline()
		if !ok {
			return false, errors.New("the abort has no deadline")
		}
		abortDeadline = d
		return true, nil
	}
	h.Requests = requests

	// GIVEN a function with 2.1 s left, 2 s of which are the margin
	lambdaDeadline := time.Now().Add(h.DeadlineMargin + 100*time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), lambdaDeadline)
	defer cancel()
	// WHEN the send stalls past ingest's deadline and comes back late
	resp, _ := h.Handle(ctx, workload.PostTargets("J1", secrets["$TOKEN"], []byte(`[{"source_system_id":"s1","account_id":"A1"}]`)))
	// THEN the answer is a 503 and the abort had to end half the margin before the function's deadline
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("answer %d %s", resp.StatusCode, resp.Body)
	}
	if want := lambdaDeadline.Add(-h.DeadlineMargin / 2); abortDeadline.IsZero() || abortDeadline.After(want) {
		t.Errorf("the abort could run until %s, past %s (half the margin before the function's deadline)", abortDeadline.Format(time.StampMilli), want.Format(time.StampMilli))
	}
}
