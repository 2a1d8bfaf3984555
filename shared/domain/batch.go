package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Batch is the body of one queue message: part of an accepted request.
type Batch struct {
	RequestUUID string    `json:"request_uuid"`
	JourneyID   string    `json:"journey_id"`
	Part        int       `json:"part"`
	Parts       int       `json:"parts"`
	ReceivedAt  time.Time `json:"received_at"`
	Targets     []Target  `json:"targets"`
}

// batchEnvelopeBytes is room for a batch's fields besides its targets.
const batchEnvelopeBytes = 1024

// SplitBatches packs targets into as few batches as keep each message body
// under MaxBatchMessageBytes. Every batch gets meta's fields, and part and
// parts set.
func SplitBatches(meta Batch, targets []Target) ([]Batch, error) {
	var batches []Batch
	size := batchEnvelopeBytes
	current := meta
	current.Targets = nil
	for _, t := range targets {
		b, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		if len(current.Targets) > 0 && size+len(b)+1 > MaxBatchMessageBytes {
			batches = append(batches, current)
			current = meta
			current.Targets = nil
			size = batchEnvelopeBytes
		}
		current.Targets = append(current.Targets, t)
		size += len(b) + 1
	}
	batches = append(batches, current)
	for i := range batches {
		batches[i].Part = i
		batches[i].Parts = len(batches)
	}
	return batches, nil
}

// PartDigest is the SHA-256 (hex) of one part's targets in their canonical
// JSON form. Ingest records it per part on the request (Request.PartDigests);
// the consumer recomputes it from each message (Request.CheckBatch), so a
// message whose targets were edited or made up is refused.
func PartDigest(targets []Target) string {
	b, _ := json.Marshal(targets) // strings and ints only: it cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// PartDigests is the PartDigest of each batch, in part order.
func PartDigests(batches []Batch) []string {
	digests := make([]string, len(batches))
	for i, b := range batches {
		digests[i] = PartDigest(b.Targets)
	}
	return digests
}

// ErrBatchMismatch means a queue message is not a part ingest queued for the
// request it names: it was forged or edited (e.g. before a DLQ redrive).
var ErrBatchMismatch = errors.New("the message is not a part queued for its request")

// CheckBatch verifies that b is one of the parts ingest queued for r: the
// same request and journey, a part r has, target indexes within r and
// unique, and the very targets queued for that part (their digest).
func (r Request) CheckBatch(b Batch) error {
	mismatch := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrBatchMismatch, fmt.Sprintf(format, args...))
	}
	switch {
	case b.RequestUUID != r.UUID:
		return mismatch("it names request %q, not %q", b.RequestUUID, r.UUID)
	case b.JourneyID != r.JourneyID:
		return mismatch("it names journey %q; the request belongs to journey %q", b.JourneyID, r.JourneyID)
	case b.Parts != r.Parts || b.Part < 0 || b.Part >= r.Parts:
		return mismatch("it is part %d of %d; the request has %d parts", b.Part, b.Parts, r.Parts)
	case len(r.PartDigests) != r.Parts:
		return mismatch("the request holds %d part digests for %d parts", len(r.PartDigests), r.Parts)
	case len(b.Targets) == 0:
		return mismatch("it holds no targets")
	}
	seen := make(map[int]bool, len(b.Targets))
	for _, t := range b.Targets {
		if t.Index < 0 || t.Index >= r.Accepted || seen[t.Index] {
			return mismatch("target index %d is outside the request's %d targets or repeated", t.Index, r.Accepted)
		}
		seen[t.Index] = true
	}
	if PartDigest(b.Targets) != r.PartDigests[b.Part] {
		return mismatch("its targets are not those queued as part %d", b.Part)
	}
	return nil
}
