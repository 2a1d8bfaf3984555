// Package submit hands accepted targets to the consumer, the one way for
// every way in: the ingest API's requests (PRODUCT.md §3) and the uploads
// of business admins (§10). It writes the request record, under its
// Idempotency-Key when there is one, queues the targets as messages and
// marks the request queued; when queuing fails it aborts the request so
// that nothing of it is processed. Matching, loader records, exactly-once
// and the DLQ are then the consumer's, the same for both.
package submit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/problem"
)

// Reader reads the request an Idempotency-Key was first used for.
type Reader interface {
	Read(ctx context.Context, tokenHash, journeyID, requestUUID string) (domain.Snapshot, error)
}

// Requests records accepted requests and their hand-over to the queue.
type Requests interface {
	Create(ctx context.Context, r domain.Request) error
	CreateIdempotent(ctx context.Context, r domain.Request, rec domain.IdempotencyRecord, now time.Time, replaces string) (*domain.IdempotencyRecord, error)
	MarkQueued(ctx context.Context, uuid string) error
	Abort(ctx context.Context, uuid string) (bool, error)
}

// Queue sends batches of targets to the consumer.
type Queue interface {
	Send(ctx context.Context, batches []domain.Batch) error
}

// Submitter queues targets.
type Submitter struct {
	Reader   Reader
	Requests Requests
	Queue    Queue
	// DeadlineMargin is the margin its caller keeps before the function's
	// deadline (ingest.Handler.DeadlineMargin): aborting a request after a
	// failed send may use half of it. Zero: the abort is not bounded.
	DeadlineMargin time.Duration
}

var (
	// ErrInFlight: the first request with this Idempotency-Key is still being queued.
	ErrInFlight = errors.New("a request with this idempotency key is still being queued")
	// ErrKeyReused: the Idempotency-Key was used with a different body.
	ErrKeyReused = errors.New("the idempotency key was used with a different body")
)

// Failed is a failed call of a dependency: nothing was accepted, and the
// caller may retry.
type Failed struct {
	// Step says what failed, for the log.
	Step string
	Err  error
}

func (f *Failed) Error() string { return f.Step + ": " + f.Err.Error() }
func (f *Failed) Unwrap() error { return f.Err }

// Submit queues targets as request r, whose UUID, JourneyID, Accepted,
// ReceivedAt, BodyHash and origin (TokenID, or AddedVia and UploadedBy) the
// caller sets. With itemKey, the Idempotency-Key scoped to its caller
// (domain.IdempotencyItemKey), a retry with the same body returns the
// request the key was first used for, which holds the same targets, and
// replayed true; nothing is queued again. Errors: ErrInFlight,
// ErrKeyReused, a *Failed, or another error for a fault of the service.
func (s Submitter) Submit(ctx context.Context, r domain.Request, targets []domain.Target, itemKey string) (queued domain.Request, replayed bool, err error) {
	r.State = domain.RequestEnqueuing
	batches, err := domain.SplitBatches(domain.Batch{RequestUUID: r.UUID, JourneyID: r.JourneyID, ReceivedAt: r.ReceivedAt}, targets)
	if err != nil {
		return r, false, fmt.Errorf("split targets: %w", err)
	}
	r.Parts = len(batches)
	r.PartDigests = domain.PartDigests(batches)
	if itemKey != "" {
		earlier, err := s.createIdempotent(ctx, r, itemKey)
		if err != nil {
			return r, false, err
		}
		if earlier != nil {
			return *earlier, true, nil
		}
	} else if err := s.Requests.Create(ctx, r); err != nil {
		return r, false, &Failed{"create request", err}
	}
	if err := s.Queue.Send(ctx, batches); err != nil {
		// Some messages may have been sent: abort so the consumer drops them.
		// If the abort fails too, the consumer aborts the request once it has
		// stayed enqueuing past domain.EnqueueTimeout.
		cleanup, cancel := s.cleanupContext(ctx)
		defer cancel()
		if _, abortErr := s.Requests.Abort(cleanup, r.UUID); abortErr != nil {
			err = errors.Join(err, fmt.Errorf("abort request: %w", abortErr))
		}
		return r, false, &Failed{"queue targets", err}
	}
	if err := s.Requests.MarkQueued(ctx, r.UUID); err != nil {
		return r, false, &Failed{"mark request queued", err}
	}
	return r, false, nil
}

// createIdempotent writes request r under the key. When the key was used
// before it answers for the first use: that request again (earlier), or
// ErrInFlight while it is still being queued, or ErrKeyReused for a
// different body. A nil earlier and error mean r was written and is to be
// queued.
func (s Submitter) createIdempotent(ctx context.Context, r domain.Request, key string) (earlier *domain.Request, err error) {
	rec := domain.IdempotencyRecord{
		Key:         key,
		RequestUUID: r.UUID,
		BodyHash:    r.BodyHash,
		CreatedAt:   r.ReceivedAt,
		DeleteAfter: r.ReceivedAt.Add(domain.IdempotencyWindow).Unix(),
	}
	replaces := ""
	for range 3 {
		existing, err := s.Requests.CreateIdempotent(ctx, r, rec, r.ReceivedAt, replaces)
		if errors.Is(err, domain.ErrIdempotencyBusy) {
			return nil, ErrInFlight
		}
		if err != nil {
			return nil, &Failed{"create request", err}
		}
		if existing == nil {
			return nil, nil
		}
		if existing.BodyHash != r.BodyHash {
			return nil, ErrKeyReused
		}
		snap, err := s.Reader.Read(ctx, "", "", existing.RequestUUID)
		if err != nil {
			return nil, &Failed{"read request", err}
		}
		switch {
		case snap.Request == nil || snap.Request.State == domain.RequestAborted:
			// The first attempt failed and accepted nothing: this retry takes its place.
			replaces = existing.RequestUUID
			continue
		case snap.Request.State == domain.RequestEnqueuing && r.ReceivedAt.Sub(snap.Request.ReceivedAt) > domain.EnqueueTimeout:
			// The first attempt died before queuing its request: abort it so
			// that this retry can take its place.
			if _, err := s.Requests.Abort(ctx, existing.RequestUUID); err != nil {
				return nil, &Failed{"abort stale request", err}
			}
			continue
		case snap.Request.State == domain.RequestEnqueuing:
			return nil, ErrInFlight
		default:
			return snap.Request, nil
		}
	}
	return nil, ErrInFlight
}

// cleanupContext is for the work that follows a failure once ctx may have
// ended: it outlives ctx's deadline by half the deadline margin, so the
// response still goes out before the function's deadline. It is anchored
// to that deadline, not to when the failure came back: a call cancelled at
// the deadline may return late on a loaded machine, and the cleanup must
// not start a fresh half margin then.
func (s Submitter) cleanupContext(ctx context.Context) (context.Context, context.CancelFunc) {
	cleanup := context.WithoutCancel(ctx)
	if s.DeadlineMargin <= 0 {
		return cleanup, func() {}
	}
	if deadline, ok := ctx.Deadline(); ok {
		return context.WithDeadline(cleanup, deadline.Add(s.DeadlineMargin/2))
	}
	return context.WithTimeout(cleanup, s.DeadlineMargin/2)
}

// BodyHash is the SHA-256 (hex) of a request's body, which tells an
// idempotent retry from a new body.
func BodyHash(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:])
}

// Refusal is the problem response to ErrInFlight (409, Retry-After) or
// ErrKeyReused (422); ok is false for any other error.
func Refusal(err error) (resp events.APIGatewayProxyResponse, ok bool) {
	switch {
	case errors.Is(err, ErrInFlight):
		return problem.New(http.StatusConflict, "idempotency-in-flight", "A request with this Idempotency-Key is still being processed; retry shortly.").Response(map[string]string{"Retry-After": "1"}), true
	case errors.Is(err, ErrKeyReused):
		return problem.New(http.StatusUnprocessableEntity, "idempotency-key-reused", "This Idempotency-Key was used with a different body; use a new key for a new request.").Response(nil), true
	}
	return events.APIGatewayProxyResponse{}, false
}
