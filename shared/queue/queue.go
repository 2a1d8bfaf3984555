// Package queue sends batches of accepted targets as SQS messages.
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

// maxBatchEntries is SQS's limit of entries per SendMessageBatch call.
const maxBatchEntries = 10

// Sender sends batches to the targets queue.
type Sender struct {
	SQS      SQS
	QueueURL string
}

// Send sends every batch, packing messages into SendMessageBatch calls of at
// most 10 entries and domain.MaxBatchMessageBytes in all. It fails if any
// message failed.
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
		if len(body) > domain.MaxBatchMessageBytes {
			return fmt.Errorf("message of part %d is %d bytes, over %d", b.Part, len(body), domain.MaxBatchMessageBytes)
		}
		if len(entries) == maxBatchEntries || size+len(body) > domain.MaxBatchMessageBytes {
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
