package domain

import (
	"encoding/json"
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
