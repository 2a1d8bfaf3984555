// Package fakes holds the function-field fakes unit tests share: one per
// port of the handlers (shared/ingest, shared/consumer, shared/tokens) and
// one per SDK-shaped client interface of the adapters (shared/store,
// shared/queue, shared/ops/dlq). A test sets only the functions it expects to
// be called; calling one that is not set panics with its name, which fails
// the test at the call that was not expected.
//
// The fakes import only shared/domain and the SDK, so that a handler's own
// (internal) tests can use them; each handler's tests assert at compile time
// that the fakes satisfy its ports.
package fakes

import (
	"context"
	"github.com/aws/aws-lambda-go/events"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
)

func unexpected(name string) { panic("fakes: unexpected call to " + name) }

// Reader fakes the handlers' Reader port.
type Reader struct {
	ReadFunc func(ctx context.Context, tokenHash, journeyID, requestUUID string) (domain.Snapshot, error)
}

func (f Reader) Read(ctx context.Context, tokenHash, journeyID, requestUUID string) (domain.Snapshot, error) {
	if f.ReadFunc == nil {
		unexpected("Reader.Read")
	}
	return f.ReadFunc(ctx, tokenHash, journeyID, requestUUID)
}

// Requests fakes the Requests ports of submit (ingest, manage) and the consumer.
type Requests struct {
	CreateFunc           func(ctx context.Context, r domain.Request) error
	CreateIdempotentFunc func(ctx context.Context, r domain.Request, rec domain.IdempotencyRecord, now time.Time, replaces string) (*domain.IdempotencyRecord, error)
	MarkQueuedFunc       func(ctx context.Context, uuid string) error
	AbortFunc            func(ctx context.Context, uuid string) (bool, error)
	RecordPartFunc       func(ctx context.Context, uuid string, part int, result domain.PartResult) (domain.Request, error)
}

func (f Requests) Create(ctx context.Context, r domain.Request) error {
	if f.CreateFunc == nil {
		unexpected("Requests.Create")
	}
	return f.CreateFunc(ctx, r)
}

func (f Requests) CreateIdempotent(ctx context.Context, r domain.Request, rec domain.IdempotencyRecord, now time.Time, replaces string) (*domain.IdempotencyRecord, error) {
	if f.CreateIdempotentFunc == nil {
		unexpected("Requests.CreateIdempotent")
	}
	return f.CreateIdempotentFunc(ctx, r, rec, now, replaces)
}

func (f Requests) MarkQueued(ctx context.Context, uuid string) error {
	if f.MarkQueuedFunc == nil {
		unexpected("Requests.MarkQueued")
	}
	return f.MarkQueuedFunc(ctx, uuid)
}

func (f Requests) Abort(ctx context.Context, uuid string) (bool, error) {
	if f.AbortFunc == nil {
		unexpected("Requests.Abort")
	}
	return f.AbortFunc(ctx, uuid)
}

func (f Requests) RecordPart(ctx context.Context, uuid string, part int, result domain.PartResult) (domain.Request, error) {
	if f.RecordPartFunc == nil {
		unexpected("Requests.RecordPart")
	}
	return f.RecordPartFunc(ctx, uuid, part, result)
}

// Queue fakes the Queue port of submit (ingest, manage).
type Queue struct {
	SendFunc func(ctx context.Context, batches []domain.Batch) error
}

func (f Queue) Send(ctx context.Context, batches []domain.Batch) error {
	if f.SendFunc == nil {
		unexpected("Queue.Send")
	}
	return f.SendFunc(ctx, batches)
}

// DeadLetters fakes the consumer's DLQ port.
type DeadLetters struct {
	RejectFunc func(ctx context.Context, msg events.SQSMessage) error
}

func (f DeadLetters) Reject(ctx context.Context, msg events.SQSMessage) error {
	if f.RejectFunc == nil {
		unexpected("DeadLetters.Reject")
	}
	return f.RejectFunc(ctx, msg)
}

// Records fakes the loader-record ports of ingest, the consumer and manage.
type Records struct {
	PutFunc           func(ctx context.Context, part int, records []domain.LoaderRecord) error
	ListByRequestFunc func(ctx context.Context, requestUUID, cursor string, limit int) ([]domain.LoaderRecord, string, error)
	ListFunc          func(ctx context.Context, q domain.RecordQuery, cursor string, limit int) ([]domain.LoaderRecord, string, error)
}

func (f Records) Put(ctx context.Context, part int, records []domain.LoaderRecord) error {
	if f.PutFunc == nil {
		unexpected("Records.Put")
	}
	return f.PutFunc(ctx, part, records)
}

func (f Records) ListByRequest(ctx context.Context, requestUUID, cursor string, limit int) ([]domain.LoaderRecord, string, error) {
	if f.ListByRequestFunc == nil {
		unexpected("Records.ListByRequest")
	}
	return f.ListByRequestFunc(ctx, requestUUID, cursor, limit)
}

func (f Records) List(ctx context.Context, q domain.RecordQuery, cursor string, limit int) ([]domain.LoaderRecord, string, error) {
	if f.ListFunc == nil {
		unexpected("Records.List")
	}
	return f.ListFunc(ctx, q, cursor, limit)
}

// RateLimiter fakes ingest's RateLimiter port.
type RateLimiter struct {
	TakeFunc func(ctx context.Context, tokenID string, p domain.RatePolicy, now time.Time) (domain.RateDecision, error)
}

func (f RateLimiter) Take(ctx context.Context, tokenID string, p domain.RatePolicy, now time.Time) (domain.RateDecision, error) {
	if f.TakeFunc == nil {
		unexpected("RateLimiter.Take")
	}
	return f.TakeFunc(ctx, tokenID, p, now)
}

// Allow is a RateLimiter that lets every request through.
func Allow() RateLimiter {
	return RateLimiter{TakeFunc: func(_ context.Context, _ string, p domain.RatePolicy, now time.Time) (domain.RateDecision, error) {
		return p.Decide(true, []time.Time{now}, now), nil
	}}
}

// Accounts fakes the consumer's Accounts port.
type Accounts struct {
	LookupFunc func(ctx context.Context, ids, emails []string) (domain.Accounts, error)
}

func (f Accounts) Lookup(ctx context.Context, ids, emails []string) (domain.Accounts, error) {
	if f.LookupFunc == nil {
		unexpected("Accounts.Lookup")
	}
	return f.LookupFunc(ctx, ids, emails)
}

// Targets fakes the journey Targets ports of the consumer and manage.
type Targets struct {
	AddNewFunc func(ctx context.Context, targets []domain.JourneyTarget) ([]domain.JourneyTarget, error)
	ListFunc   func(ctx context.Context, journeyID, cursor string, limit int) ([]domain.JourneyTarget, string, error)
}

func (f Targets) List(ctx context.Context, journeyID, cursor string, limit int) ([]domain.JourneyTarget, string, error) {
	if f.ListFunc == nil {
		unexpected("Targets.List")
	}
	return f.ListFunc(ctx, journeyID, cursor, limit)
}

func (f Targets) AddNew(ctx context.Context, targets []domain.JourneyTarget) ([]domain.JourneyTarget, error) {
	if f.AddNewFunc == nil {
		unexpected("Targets.AddNew")
	}
	return f.AddNewFunc(ctx, targets)
}

// Tokens fakes the manage handler's Tokens port.
type Tokens struct {
	CreateFunc        func(ctx context.Context, t domain.Token) error
	ListByJourneyFunc func(ctx context.Context, journeyID, cursor string, limit int) ([]domain.Token, string, error)
	RevokeFunc        func(ctx context.Context, tokenID, who string, now time.Time) (domain.Token, error)
}

func (f Tokens) Create(ctx context.Context, t domain.Token) error {
	if f.CreateFunc == nil {
		unexpected("Tokens.Create")
	}
	return f.CreateFunc(ctx, t)
}

func (f Tokens) ListByJourney(ctx context.Context, journeyID, cursor string, limit int) ([]domain.Token, string, error) {
	if f.ListByJourneyFunc == nil {
		unexpected("Tokens.ListByJourney")
	}
	return f.ListByJourneyFunc(ctx, journeyID, cursor, limit)
}

func (f Tokens) Revoke(ctx context.Context, tokenID, who string, now time.Time) (domain.Token, error) {
	if f.RevokeFunc == nil {
		unexpected("Tokens.Revoke")
	}
	return f.RevokeFunc(ctx, tokenID, who, now)
}

// Journeys fakes the Journeys port.
type Journeys struct {
	GetFunc  func(ctx context.Context, id string) (domain.Journey, error)
	ListFunc func(ctx context.Context, cursor string, limit int) ([]domain.Journey, string, error)
}

func (f Journeys) List(ctx context.Context, cursor string, limit int) ([]domain.Journey, string, error) {
	if f.ListFunc == nil {
		unexpected("Journeys.List")
	}
	return f.ListFunc(ctx, cursor, limit)
}

func (f Journeys) Get(ctx context.Context, id string) (domain.Journey, error) {
	if f.GetFunc == nil {
		unexpected("Journeys.Get")
	}
	return f.GetFunc(ctx, id)
}
