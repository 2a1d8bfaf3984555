package domain

import (
	"strconv"
	"time"

	"github.com/google/uuid"
)

// RequestState is where an ingest request is in its hand-over to the queue.
type RequestState string

const (
	// RequestEnqueuing: the record is written and its messages are being sent.
	// The consumer waits for the state to change before processing them.
	RequestEnqueuing RequestState = "enqueuing"
	// RequestQueued: every message was sent and the caller was told 202.
	RequestQueued RequestState = "queued"
	// RequestAborted: queuing failed (the caller got a 5xx) or never finished;
	// messages that did reach the queue are dropped.
	RequestAborted RequestState = "aborted"
)

// EnqueueTimeout bounds how long ingest may take between writing a request
// and marking it queued; afterwards the consumer may abort it. It is longer
// than the ingest function's timeout and API Gateway's 29 s limit.
const EnqueueTimeout = 60 * time.Second

// ValidRequestUUID reports whether s is a request uuid in the form ingest
// issues them (lower-case, hyphenated). uuid.Parse alone also takes braces,
// URNs and other forms no request has.
func ValidRequestUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

// Request is the record of one accepted ingest request and its progress.
type Request struct {
	UUID       string       `json:"request_uuid" dynamodbav:"request_uuid"`
	JourneyID  string       `json:"journey_id" dynamodbav:"journey_id"`
	TokenID    string       `json:"token_id" dynamodbav:"token_id"`
	Accepted   int          `json:"accepted" dynamodbav:"accepted"`
	Parts      int          `json:"parts" dynamodbav:"parts"`
	State      RequestState `json:"state" dynamodbav:"state"`
	ReceivedAt time.Time    `json:"received_at" dynamodbav:"received_at"`
	// BodyHash (SHA-256 of the body) tells an idempotent retry from a new body.
	BodyHash string `json:"-" dynamodbav:"body_hash"`
	// PartDigests holds the PartDigest of each queued part, so the consumer
	// processes only the messages ingest queued (CheckBatch).
	PartDigests []string `json:"-" dynamodbav:"part_digests"`
	// PartResults holds, per processed message ("p0", "p1", ...), its counts.
	// Setting a part's entry is idempotent, so a redelivered message never
	// counts twice.
	PartResults map[string]PartResult `json:"-" dynamodbav:"part_results"`
	// CallbackURL and StatusURL, set when the request's token has a
	// callback URL, say where and what to announce when it completes.
	CallbackURL string `json:"-" dynamodbav:"callback_url,omitempty"`
	StatusURL   string `json:"-" dynamodbav:"status_url,omitempty"`
	// AddedVia is how the targets came in, and what the journey targets the
	// request adds record: AddedViaTargetLoader for an admin's upload, empty
	// for the API (Via). UploadedBy is the admin who uploaded them.
	AddedVia   string `json:"-" dynamodbav:"added_via,omitempty"`
	UploadedBy string `json:"-" dynamodbav:"uploaded_by,omitempty"`
}

// Via is how the request's targets came in: its AddedVia, AddedViaAPI when
// empty (every request of the ingest API).
func (r Request) Via() string {
	if r.AddedVia == "" {
		return AddedViaAPI
	}
	return r.AddedVia
}

// PartResult counts the outcomes of one processed message.
type PartResult struct {
	Targets     int                      `dynamodbav:"targets"`
	ByStatus    map[ProcessingStatus]int `dynamodbav:"by_status"`
	ByOutcome   map[MatchingOutcome]int  `dynamodbav:"by_outcome"`
	ProcessedAt time.Time                `dynamodbav:"processed_at"`
}

// PartKey is the key of message part in Request.PartResults.
func PartKey(part int) string { return "p" + strconv.Itoa(part) }

// NewPartResult counts the matches of one message.
func NewPartResult(matches []Match, processedAt time.Time) PartResult {
	r := PartResult{Targets: len(matches), ByStatus: map[ProcessingStatus]int{}, ByOutcome: map[MatchingOutcome]int{}, ProcessedAt: processedAt.UTC()}
	for _, m := range matches {
		r.ByStatus[m.Status]++
		r.ByOutcome[m.Outcome]++
	}
	return r
}

// Progress states of a request, as the status endpoint reports them.
const (
	ProgressQueued     = "queued"
	ProgressProcessing = "processing"
	ProgressCompleted  = "completed"
)

// RequestProgress is a request's status with its counts.
type RequestProgress struct {
	Status           string                   `json:"status"`
	Accepted         int                      `json:"accepted"`
	ProcessingStatus map[ProcessingStatus]int `json:"processing_status"`
	MatchingOutcome  map[MatchingOutcome]int  `json:"matching_outcome"`
	CompletedAt      *time.Time               `json:"completed_at,omitempty"`
}

// Progress sums the processed parts. Targets not processed yet count as pending.
func (r Request) Progress() RequestProgress {
	p := RequestProgress{Accepted: r.Accepted, ProcessingStatus: map[ProcessingStatus]int{}, MatchingOutcome: map[MatchingOutcome]int{}}
	for _, s := range ProcessingStatuses {
		p.ProcessingStatus[s] = 0
	}
	for _, o := range MatchingOutcomes {
		p.MatchingOutcome[o] = 0
	}
	processed := 0
	var last time.Time
	for _, part := range r.PartResults {
		processed += part.Targets
		for s, n := range part.ByStatus {
			p.ProcessingStatus[s] += n
		}
		for o, n := range part.ByOutcome {
			p.MatchingOutcome[o] += n
		}
		if part.ProcessedAt.After(last) {
			last = part.ProcessedAt
		}
	}
	p.ProcessingStatus[StatusPending] = r.Accepted - processed
	switch {
	case len(r.PartResults) == 0:
		p.Status = ProgressQueued
	case len(r.PartResults) < r.Parts:
		p.Status = ProgressProcessing
	default:
		p.Status = ProgressCompleted
		p.CompletedAt = &last
	}
	return p
}
