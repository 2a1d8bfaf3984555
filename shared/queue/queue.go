// Package queue is the SQS adapter: it sends batches of accepted targets
// and completion webhooks, and delays a webhook's next attempt.
package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

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

// WebhookSender queues completion webhooks for the webhooks function.
type WebhookSender struct {
	SQS      SQS
	QueueURL string
}

// Send queues m.
func (s WebhookSender) Send(ctx context.Context, m domain.WebhookMessage) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	out, err := s.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &s.QueueURL, Entries: []types.SendMessageBatchRequestEntry{
		{Id: aws.String("w"), MessageBody: aws.String(string(body))},
	}})
	if err != nil {
		return err
	}
	if len(out.Failed) > 0 {
		return fmt.Errorf("webhook of request %s not queued: %s %s", m.RequestUUID, aws.ToString(out.Failed[0].Code), aws.ToString(out.Failed[0].Message))
	}
	return nil
}

// VisibilitySQS is the part of *sqs.Client that delays a message.
type VisibilitySQS interface {
	ChangeMessageVisibility(ctx context.Context, in *sqs.ChangeMessageVisibilityInput, opts ...func(*sqs.Options)) (*sqs.ChangeMessageVisibilityOutput, error)
}

var _ VisibilitySQS = (*sqs.Client)(nil)

// Delayer hides a received message of one queue for a while: it comes back
// (and is delivered again) once that time is over.
type Delayer struct {
	SQS      VisibilitySQS
	QueueURL string
}

// Delay hides the message with receiptHandle for d (whole seconds, at most
// SQS's 12 hours).
func (q Delayer) Delay(ctx context.Context, receiptHandle string, d time.Duration) error {
	secs := min(max(int32(d/time.Second), 0), 12*3600)
	_, err := q.SQS.ChangeMessageVisibility(ctx, &sqs.ChangeMessageVisibilityInput{QueueUrl: &q.QueueURL, ReceiptHandle: &receiptHandle, VisibilityTimeout: secs})
	return err
}
