// Package consumer is the SQS handler that matches queued targets to
// accounts, adds matched accounts to the journey and writes one target
// loader record per target.
package consumer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/deadline"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/sqsbatch"
)

// Reader reads a journey and a request in one call.
type Reader interface {
	Read(ctx context.Context, tokenHash, journeyID, requestUUID string) (domain.Snapshot, error)
}

// Requests tracks the request a message belongs to.
type Requests interface {
	Abort(ctx context.Context, uuid string) (bool, error)
	RecordPart(ctx context.Context, uuid string, part int, result domain.PartResult) (domain.Request, error)
}

// Accounts looks up accounts by id and by normalised email.
type Accounts interface {
	Lookup(ctx context.Context, ids, emails []string) (domain.Accounts, error)
}

// Targets adds accounts to journeys' target lists.
type Targets interface {
	AddNew(ctx context.Context, targets []domain.JourneyTarget) ([]domain.JourneyTarget, error)
}

// Records writes the target loader records of one message part.
type Records interface {
	Put(ctx context.Context, part int, records []domain.LoaderRecord) error
}

// DeadLetters takes the messages the consumer refuses for good.
type DeadLetters interface {
	Reject(ctx context.Context, msg events.SQSMessage) error
}

// Handler processes SQS batches of queued targets.
type Handler struct {
	Reader      Reader
	Requests    Requests
	Accounts    Accounts
	Targets     Targets
	Records     Records
	DeadLetters DeadLetters
	// Webhooks queues the completion webhook of a request with a callback URL (webhooks.go).
	Webhooks Webhooks
	Logger   *slog.Logger
	Now      func() time.Time
	// MessageConcurrency bounds the messages of one SQS batch processed at once.
	MessageConcurrency int
	// EnqueuePoll is how often a message of a request still being enqueued
	// re-reads the request, up to EnqueueWait, before it is retried later.
	EnqueuePoll time.Duration
	EnqueueWait time.Duration
	// DeadlineMargin is kept free before the function's deadline so that
	// messages still unfinished then are reported as failed, not lost to a timeout.
	DeadlineMargin time.Duration
}

// ErrRequestEnqueuing means the message's request is still being enqueued by
// ingest; the message is retried later.
var ErrRequestEnqueuing = errors.New("request is still being enqueued")

// ErrUnknownRequest means no request has the message's uuid: ingest records
// a request before it queues any of its messages, and keeps it longer than
// a message can live, so the message was not queued by ingest.
var ErrUnknownRequest = errors.New("no such request")

// Handle processes every message of an SQS event and reports only the
// failed ones for redelivery, so a bad message never fails its neighbours,
// except the later messages of its journey: the targets queue is FIFO,
// grouped by journey, and a journey's messages are processed one after
// another, stopping at the first that fails (sqsbatch.Process).
func (h *Handler) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	ctx, cancel := deadline.WithMargin(ctx, h.DeadlineMargin)
	defer cancel()
	return sqsbatch.Process(ctx, ev, h.MessageConcurrency, h.handleMessage), nil
}

// handleMessage processes one message and reports whether it is done. A
// message that can never succeed (not a batch; no such request; not a
// part of its request, e.g. forged) writes nothing and goes to the DLQ at
// once, rather than after MaxReceiveCount deliveries: on the FIFO queue it
// would hold up its journey's later messages all that time.
func (h *Handler) handleMessage(ctx context.Context, msg events.SQSMessage) bool {
	log := h.Logger.With("message_id", msg.MessageId)
	var b domain.Batch
	if err := json.Unmarshal([]byte(msg.Body), &b); err != nil || !domain.ValidRequestUUID(b.RequestUUID) || !domain.ValidJourneyID(b.JourneyID) {
		return h.reject(ctx, log, msg, "message is not a target batch", err)
	}
	log = log.With("request_uuid", b.RequestUUID, "journey_id", b.JourneyID, "part", b.Part)
	err := h.Process(ctx, b)
	switch {
	case errors.Is(err, domain.ErrBatchMismatch), errors.Is(err, ErrUnknownRequest):
		// Forged, or edited before a redrive: it must not write anything, ever.
		return h.reject(ctx, log, msg, "message rejected: it does not match its request; nothing was written", err)
	case err != nil:
		log.ErrorContext(ctx, "message failed; it will be redelivered", "error", err)
		return false
	}
	return true
}

// reject moves msg to the DLQ and reports whether it left the queue.
func (h *Handler) reject(ctx context.Context, log *slog.Logger, msg events.SQSMessage, why string, cause error) bool {
	if err := h.DeadLetters.Reject(ctx, msg); err != nil {
		log.ErrorContext(ctx, why+"; moving it to the DLQ failed, it will be redelivered", "error", cause, "dlq_error", err)
		return false
	}
	log.ErrorContext(ctx, why+"; moved to the DLQ", "error", cause)
	return true
}

// Process handles one batch. It is idempotent: records and journey targets
// have deterministic keys, so a redelivered batch rewrites the same items.
// A batch that is not a part ingest queued for its request (see
// domain.Request.CheckBatch) writes nothing and fails with
// domain.ErrBatchMismatch.
func (h *Handler) Process(ctx context.Context, b domain.Batch) error {
	snap, err := h.waitQueued(ctx, b)
	if err != nil {
		return err
	}
	if snap.Request.State == domain.RequestAborted {
		h.Logger.InfoContext(ctx, "request was aborted before it was accepted; dropping its message", "request_uuid", b.RequestUUID)
		return nil
	}

	// From here on only the request's own values count: the check above
	// proved the message's journey and targets are the request's.
	b.ReceivedAt = snap.Request.ReceivedAt
	now := h.Now().UTC()
	matches := make([]domain.Match, len(b.Targets))
	journey := domain.Journey{ID: b.JourneyID}
	if snap.Journey != nil {
		journey = *snap.Journey
	}
	if snap.Journey == nil || journey.Ended(now) {
		for i := range matches {
			matches[i] = domain.NotAttempted(journey)
		}
	} else {
		ids := make([]string, 0, len(b.Targets))
		emails := make([]string, 0, len(b.Targets))
		for _, t := range b.Targets {
			ids = append(ids, t.AccountID)
			emails = append(emails, t.Email)
		}
		known, err := h.Accounts.Lookup(ctx, ids, emails)
		if err != nil {
			return fmt.Errorf("look up accounts: %w", err)
		}
		var additions []domain.JourneyTarget
		for i, t := range b.Targets {
			matches[i] = domain.MatchTarget(t, known)
			if matches[i].Status == domain.StatusSuccess {
				additions = append(additions, domain.JourneyTarget{
					JourneyID:      journey.ID,
					AccountID:      matches[i].AccountID,
					AddedVia:       snap.Request.Via(),
					SourceSystemID: t.SourceSystemID,
					AddedAt:        now,
					RequestUUID:    b.RequestUUID,
				})
			}
		}
		// Targets first: a record says success only once its target exists.
		if _, err := h.Targets.AddNew(ctx, additions); err != nil {
			return fmt.Errorf("add journey targets: %w", err)
		}
	}

	records := make([]domain.LoaderRecord, len(b.Targets))
	for i, t := range b.Targets {
		records[i] = domain.NewLoaderRecord(b.RequestUUID, b.JourneyID, b.ReceivedAt, now, t, matches[i])
	}
	if err := h.Records.Put(ctx, b.Part, records); err != nil {
		return fmt.Errorf("write loader records: %w", err)
	}
	r, err := h.Requests.RecordPart(ctx, b.RequestUUID, b.Part, domain.NewPartResult(matches, now))
	if err != nil {
		return err
	}
	if err := h.announceCompletion(ctx, r); err != nil {
		return err
	}
	h.Logger.InfoContext(ctx, "batch processed", "request_uuid", b.RequestUUID, "part", b.Part, "targets", len(b.Targets))
	return nil
}

// waitQueued reads the journey and request, checks that b is a part of the
// request, and waits briefly while ingest is still enqueuing the request. A request that stays enqueuing past
// domain.EnqueueTimeout is aborted: its ingest call failed or died.
func (h *Handler) waitQueued(ctx context.Context, b domain.Batch) (domain.Snapshot, error) {
	deadline := h.Now().Add(h.EnqueueWait)
	for {
		snap, err := h.Reader.Read(ctx, "", b.JourneyID, b.RequestUUID)
		if err != nil {
			return snap, fmt.Errorf("read journey and request: %w", err)
		}
		if snap.Request == nil {
			return snap, fmt.Errorf("request %s: %w", b.RequestUUID, ErrUnknownRequest)
		}
		if err := snap.Request.CheckBatch(b); err != nil {
			return snap, err
		}
		if snap.Request.State != domain.RequestEnqueuing {
			return snap, nil
		}
		now := h.Now()
		if now.Sub(snap.Request.ReceivedAt) > domain.EnqueueTimeout {
			if _, err := h.Requests.Abort(ctx, b.RequestUUID); err != nil {
				return snap, fmt.Errorf("abort stale request: %w", err)
			}
			continue // re-read: ingest may have marked it queued just before
		}
		if !now.Before(deadline) {
			return snap, ErrRequestEnqueuing
		}
		select {
		case <-ctx.Done():
			return snap, ctx.Err()
		case <-time.After(cmp.Or(h.EnqueuePoll, 250*time.Millisecond)):
		}
	}
}
