package submit

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

// The shared fakes satisfy the ports.
var (
	_ Reader   = fakes.Reader{}
	_ Requests = fakes.Requests{}
	_ Queue    = fakes.Queue{}
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

// world records the calls a Submitter makes and answers them from its state.
type world struct {
	calls    []string
	stored   map[string]domain.Request // by uuid
	existing *domain.IdempotencyRecord // the key's record, if it was used
	busy     bool
	sendErr  error
}

func (w *world) submitter() Submitter {
	return Submitter{
		Reader: fakes.Reader{ReadFunc: func(_ context.Context, _, _, uuid string) (domain.Snapshot, error) {
			w.calls = append(w.calls, "Read")
			if r, ok := w.stored[uuid]; ok {
				return domain.Snapshot{Request: &r}, nil
			}
			return domain.Snapshot{}, nil
		}},
		Requests: fakes.Requests{
			CreateFunc: func(_ context.Context, r domain.Request) error {
				w.calls = append(w.calls, "Create")
				w.stored[r.UUID] = r
				return nil
			},
			CreateIdempotentFunc: func(_ context.Context, r domain.Request, rec domain.IdempotencyRecord, _ time.Time, replaces string) (*domain.IdempotencyRecord, error) {
				w.calls = append(w.calls, "CreateIdempotent:"+replaces)
				if w.busy {
					return nil, domain.ErrIdempotencyBusy
				}
				if w.existing != nil && w.existing.RequestUUID != replaces {
					return w.existing, nil
				}
				w.stored[r.UUID] = r
				w.existing = &rec
				return nil, nil
			},
			MarkQueuedFunc: func(_ context.Context, uuid string) error {
				w.calls = append(w.calls, "MarkQueued")
				r := w.stored[uuid]
				r.State = domain.RequestQueued
				w.stored[uuid] = r
				return nil
			},
			AbortFunc: func(_ context.Context, uuid string) (bool, error) {
				w.calls = append(w.calls, "Abort")
				r := w.stored[uuid]
				r.State = domain.RequestAborted
				w.stored[uuid] = r
				return true, nil
			},
		},
		Queue: fakes.Queue{SendFunc: func(_ context.Context, b []domain.Batch) error {
			w.calls = append(w.calls, "Send")
			return w.sendErr
		}},
	}
}

func request(uuid, body string) domain.Request {
	return domain.Request{UUID: uuid, JourneyID: "J1", Accepted: 2, ReceivedAt: now, BodyHash: BodyHash([]byte(body))}
}

var targets = []domain.Target{{Index: 0, SourceSystemID: "s", AccountID: "A1"}, {Index: 1, SourceSystemID: "s", AccountID: "A2"}}

func TestSubmitQueuesAndMarksQueued(t *testing.T) {
	w := &world{stored: map[string]domain.Request{}}
	r, replayed, err := w.submitter().Submit(context.Background(), request("u1", "b"), targets, "")
	if err != nil || replayed || r.UUID != "u1" || r.Parts != 1 {
		t.Fatalf("Submit = %+v, %v, %v", r, replayed, err)
	}
	if want := []string{"Create", "Send", "MarkQueued"}; !slices.Equal(w.calls, want) {
		t.Errorf("calls %v, want %v", w.calls, want)
	}
	if w.stored["u1"].State != domain.RequestQueued {
		t.Errorf("stored %+v", w.stored["u1"])
	}
}

// A request whose messages could not all be sent is aborted: the consumer
// drops what did reach the queue.
func TestSubmitAbortsWhenQueuingFails(t *testing.T) {
	w := &world{stored: map[string]domain.Request{}, sendErr: errors.New("SQS down")}
	_, _, err := w.submitter().Submit(context.Background(), request("u1", "b"), targets, "")
	var failed *Failed
	if !errors.As(err, &failed) || failed.Step != "queue targets" {
		t.Fatalf("err %v, want a Failed queue step", err)
	}
	if want := []string{"Create", "Send", "Abort"}; !slices.Equal(w.calls, want) || w.stored["u1"].State != domain.RequestAborted {
		t.Errorf("calls %v, state %s", w.calls, w.stored["u1"].State)
	}
}

// Under an Idempotency-Key: the first use queues, a retry with the same
// body gets the first request back and queues nothing, another body is
// refused; a first use that is still being queued answers in flight, one
// that failed or died is replaced.
func TestSubmitIdempotent(t *testing.T) {
	ctx := context.Background()
	t.Run("first use, then a retry", func(t *testing.T) {
		w := &world{stored: map[string]domain.Request{}}
		if _, replayed, err := w.submitter().Submit(ctx, request("u1", "b"), targets, "k"); err != nil || replayed {
			t.Fatalf("first: %v %v", replayed, err)
		}
		w.calls = nil
		r, replayed, err := w.submitter().Submit(ctx, request("u2", "b"), targets, "k")
		if err != nil || !replayed || r.UUID != "u1" {
			t.Fatalf("retry = %s, %v, %v", r.UUID, replayed, err)
		}
		if want := []string{"CreateIdempotent:", "Read"}; !slices.Equal(w.calls, want) {
			t.Errorf("retry calls %v, want %v", w.calls, want)
		}
		if _, _, err := w.submitter().Submit(ctx, request("u3", "other"), targets, "k"); !errors.Is(err, ErrKeyReused) {
			t.Errorf("another body: %v", err)
		}
	})
	t.Run("first use still enqueuing", func(t *testing.T) {
		w := &world{stored: map[string]domain.Request{"u1": {UUID: "u1", State: domain.RequestEnqueuing, ReceivedAt: now.Add(-time.Second)}}}
		w.existing = &domain.IdempotencyRecord{RequestUUID: "u1", BodyHash: BodyHash([]byte("b"))}
		if _, _, err := w.submitter().Submit(ctx, request("u2", "b"), targets, "k"); !errors.Is(err, ErrInFlight) {
			t.Errorf("err %v, want ErrInFlight", err)
		}
	})
	t.Run("first use died while enqueuing", func(t *testing.T) {
		w := &world{stored: map[string]domain.Request{"u1": {UUID: "u1", State: domain.RequestEnqueuing, ReceivedAt: now.Add(-domain.EnqueueTimeout - time.Second)}}}
		w.existing = &domain.IdempotencyRecord{RequestUUID: "u1", BodyHash: BodyHash([]byte("b"))}
		r, replayed, err := w.submitter().Submit(ctx, request("u2", "b"), targets, "k")
		if err != nil || replayed || r.UUID != "u2" {
			t.Fatalf("Submit = %s, %v, %v", r.UUID, replayed, err)
		}
		if want := []string{"CreateIdempotent:", "Read", "Abort", "CreateIdempotent:", "Read", "CreateIdempotent:u1", "Send", "MarkQueued"}; !slices.Equal(w.calls, want) {
			t.Errorf("calls %v, want %v", w.calls, want)
		}
	})
	t.Run("concurrent first use", func(t *testing.T) {
		w := &world{stored: map[string]domain.Request{}, busy: true}
		if _, _, err := w.submitter().Submit(ctx, request("u1", "b"), targets, "k"); !errors.Is(err, ErrInFlight) {
			t.Errorf("err %v, want ErrInFlight", err)
		}
	})
	for _, err := range []error{ErrInFlight, ErrKeyReused} {
		if resp, ok := Refusal(err); !ok || resp.StatusCode < 400 {
			t.Errorf("Refusal(%v) = %d, %v", err, resp.StatusCode, ok)
		}
	}
	if _, ok := Refusal(errors.New("other")); ok {
		t.Error("Refusal of another error")
	}
}
