// Package queue is the SQS adapter: it sends batches of accepted targets
// (the one way targets reach the consumer: the API, and admins' imports
// alike), moves refused ones to the DLQ, sends completion webhooks, and
// delays a webhook's next attempt.
package queue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/sqsbatch"
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
//
// The targets queue is FIFO. A message's group is its journey, so one
// consumer at a time works on a journey's target list, in the order the
// parts were sent (the first add wins: resources.TargetsQueue); its
// deduplication id is its request and part, so a send retried after a lost
// response, within SQS's 5-minute window, queues the part once.
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
			Id:                     aws.String("p" + strconv.Itoa(b.Part)),
			MessageBody:            aws.String(string(body)),
			MessageGroupId:         aws.String(GroupID(b.JourneyID)),
			MessageDeduplicationId: aws.String(b.RequestUUID + "-" + strconv.Itoa(b.Part)),
		})
		size += len(body)
	}
	return flush()
}

// maxGroupIDLen is SQS's limit on a MessageGroupId.
const maxGroupIDLen = 128

// GroupID is the message group of a journey's messages on the targets
// queue: the journey id itself, readable in the DLQ, when it fits SQS's
// group ids (1 to 128 characters of printable ASCII but space), else a
// digest of it. Any journey gets one group, and one journey only one.
func GroupID(journeyID string) string {
	fits := journeyID != "" && len(journeyID) <= maxGroupIDLen
	for i := 0; fits && i < len(journeyID); i++ {
		fits = journeyID[i] > ' ' && journeyID[i] <= '~'
	}
	if fits && !strings.HasPrefix(journeyID, digestPrefix) {
		return journeyID
	}
	sum := sha256.Sum256([]byte(journeyID))
	return digestPrefix + hex.EncodeToString(sum[:])
}

// digestPrefix marks a group id that is a journey id's digest; a journey id
// starting with it is digested too, so it cannot take another's group.
const digestPrefix = "sha256:"

// DeadLetters moves messages the consumer refuses for good to the targets
// DLQ, in the message group they came from, so that they stop holding up
// their journey's later messages on the FIFO queue.
type DeadLetters struct {
	SQS      SQS
	QueueURL string
}

// Reject sends msg's body and attributes to the DLQ. Its deduplication id
// is derived from the message id, so a second attempt within SQS's 5-minute
// window (the first's response was lost) adds no second copy.
func (d DeadLetters) Reject(ctx context.Context, msg events.SQSMessage) error {
	group := msg.Attributes[sqsbatch.GroupAttribute]
	if group == "" {
		group = msg.MessageId
	}
	attrs := map[string]types.MessageAttributeValue{}
	for k, v := range msg.MessageAttributes {
		attrs[k] = types.MessageAttributeValue{DataType: aws.String(v.DataType), StringValue: v.StringValue, BinaryValue: v.BinaryValue}
	}
	out, err := d.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &d.QueueURL, Entries: []types.SendMessageBatchRequestEntry{{
		Id:                     aws.String("rejected"),
		MessageBody:            aws.String(msg.Body),
		MessageAttributes:      attrs,
		MessageGroupId:         aws.String(group),
		MessageDeduplicationId: aws.String("rejected-" + msg.MessageId),
	}}})
	if err != nil {
		return err
	}
	if len(out.Failed) > 0 {
		return fmt.Errorf("not sent to the DLQ: %s %s", aws.ToString(out.Failed[0].Code), aws.ToString(out.Failed[0].Message))
	}
	return nil
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
