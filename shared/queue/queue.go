// Package queue packs accepted targets into SQS messages and sends them.
package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/targetloader/targetloader/shared/domain"
)

// SQS is the part of *sqs.Client the sender uses.
type SQS interface {
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

var _ SQS = (*sqs.Client)(nil)

// SQS limits. Messages may be up to 1 MiB since 2025, but 256 KiB keeps every
// message (and a whole SendMessageBatch) within the limit older tooling and
// LocalStack versions enforce.
const (
	MaxMessageBytes = 256 * 1024
	maxBatchEntries = 10
	// envelopeBytes is room for a batch's fields besides its targets.
	envelopeBytes = 1024
)

// Split packs targets into as few batches as keep each message body under
// MaxMessageBytes. Every batch gets part and parts set.
func Split(meta domain.Batch, targets []domain.Target) ([]domain.Batch, error) {
	var batches []domain.Batch
	size := envelopeBytes
	current := meta
	current.Targets = nil
	for _, t := range targets {
		b, err := json.Marshal(t)
		if err != nil {
			return nil, err
		}
		if len(current.Targets) > 0 && size+len(b)+1 > MaxMessageBytes {
			batches = append(batches, current)
			current = meta
			current.Targets = nil
			size = envelopeBytes
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

// Sender sends batches to the targets queue.
type Sender struct {
	SQS      SQS
	QueueURL string
}

// Send sends every batch, packing messages into SendMessageBatch calls of at
// most 10 entries and MaxMessageBytes in all. It fails if any message failed.
func (s Sender) Send(ctx context.Context, batches []domain.Batch) error {
	var entries []types.SendMessageBatchRequestEntry
	size := 0
	flush := func() error {
		if len(entries) == 0 {
			return nil
		}
		out, err := s.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &s.QueueURL, Entries: entries})
		entries, size = nil, 0
		if err != nil {
			return err
		}
		if len(out.Failed) > 0 {
			f := out.Failed[0]
			return fmt.Errorf("%d message(s) not sent, first: %s %s", len(out.Failed), aws.ToString(f.Code), aws.ToString(f.Message))
		}
		return nil
	}
	for _, b := range batches {
		body, err := json.Marshal(b)
		if err != nil {
			return err
		}
		if len(body) > MaxMessageBytes {
			return fmt.Errorf("message of part %d is %d bytes, over %d", b.Part, len(body), MaxMessageBytes)
		}
		if len(entries) == maxBatchEntries || size+len(body) > MaxMessageBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		entries = append(entries, types.SendMessageBatchRequestEntry{
			Id:          aws.String("p" + strconv.Itoa(b.Part)),
			MessageBody: aws.String(string(body)),
		})
		size += len(body)
	}
	return flush()
}
