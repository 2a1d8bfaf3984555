// Package poller feeds SQS messages to an SQS Lambda handler the way the
// Lambda event source mapping does: batches of up to 10, partial batch
// failures honoured (failed messages stay for redelivery, successful ones
// are deleted), the queue's redrive policy moving repeat failures to the DLQ.
// On a FIFO queue the endpoint holds a message group while one of its
// messages is in flight (SQS does; so do moto and LocalStack), so a group's
// failed message comes back, after its visibility timeout, before the
// group's later ones, as with Lambda's FIFO event source. Each message
// carries its system attributes, MessageGroupId among them.
package poller

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQS is the part of *sqs.Client the poller uses.
type SQS interface {
	GetQueueAttributes(ctx context.Context, in *sqs.GetQueueAttributesInput, opts ...func(*sqs.Options)) (*sqs.GetQueueAttributesOutput, error)
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

var _ SQS = (*sqs.Client)(nil)

// Handler is an SQS Lambda handler with partial batch responses.
type Handler func(context.Context, events.SQSEvent) (events.SQSEventResponse, error)

// Poller receives from one queue and invokes one handler.
type Poller struct {
	SQS      SQS
	QueueURL string
	Handler  Handler
	Logger   *slog.Logger
	// BatchSize is at most 10; WaitTime is the long-poll wait.
	BatchSize int32
	WaitTime  time.Duration
	// InvokeTimeout is the deadline each handler invocation gets, as a
	// Lambda function's timeout would give it.
	InvokeTimeout time.Duration

	queueARN string
}

// Run polls until ctx is cancelled.
func (p *Poller) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		if _, err := p.Once(ctx); err != nil && ctx.Err() == nil {
			p.Logger.ErrorContext(ctx, "poll failed", "error", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	return nil
}

// Once receives one batch (waiting up to WaitTime), hands it to the handler
// and deletes the messages the handler did not report as failed. It returns
// how many messages it received.
func (p *Poller) Once(ctx context.Context) (int, error) {
	if p.queueARN == "" {
		out, err := p.SQS.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: &p.QueueURL, AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameQueueArn}})
		if err != nil {
			return 0, err
		}
		p.queueARN = out.Attributes[string(types.QueueAttributeNameQueueArn)]
	}
	out, err := p.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
		QueueUrl:                    &p.QueueURL,
		MaxNumberOfMessages:         min(max(p.BatchSize, 1), 10),
		WaitTimeSeconds:             int32(p.WaitTime / time.Second),
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
		MessageAttributeNames:       []string{"All"},
	})
	if err != nil || len(out.Messages) == 0 {
		return 0, err
	}
	ev := events.SQSEvent{Records: make([]events.SQSMessage, len(out.Messages))}
	receipts := map[string]string{}
	for i, m := range out.Messages {
		ev.Records[i] = toEvent(m, p.queueARN)
		receipts[aws.ToString(m.MessageId)] = aws.ToString(m.ReceiptHandle)
	}
	invokeCtx := ctx
	if p.InvokeTimeout > 0 {
		var cancel context.CancelFunc
		invokeCtx, cancel = context.WithTimeout(ctx, p.InvokeTimeout)
		defer cancel()
	}
	resp, err := p.Handler(invokeCtx, ev)
	if err != nil {
		// A function error fails the whole batch: every message is redelivered.
		p.Logger.ErrorContext(ctx, "handler failed; the whole batch will be redelivered", "error", err)
		return len(out.Messages), nil
	}
	for _, f := range resp.BatchItemFailures {
		delete(receipts, f.ItemIdentifier)
	}
	if len(receipts) == 0 {
		return len(out.Messages), nil
	}
	var entries []types.DeleteMessageBatchRequestEntry
	i := 0
	for _, receipt := range receipts {
		entries = append(entries, types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: aws.String(receipt)})
		i++
	}
	del, err := p.SQS.DeleteMessageBatch(context.WithoutCancel(ctx), &sqs.DeleteMessageBatchInput{QueueUrl: &p.QueueURL, Entries: entries})
	if err != nil {
		return len(out.Messages), err
	}
	if len(del.Failed) > 0 {
		p.Logger.WarnContext(ctx, "some processed messages were not deleted and will be redelivered", "failed", len(del.Failed))
	}
	return len(out.Messages), nil
}

func toEvent(m types.Message, queueARN string) events.SQSMessage {
	attrs := map[string]events.SQSMessageAttribute{}
	for k, v := range m.MessageAttributes {
		attrs[k] = events.SQSMessageAttribute{StringValue: v.StringValue, BinaryValue: v.BinaryValue, DataType: aws.ToString(v.DataType)}
	}
	return events.SQSMessage{
		MessageId:         aws.ToString(m.MessageId),
		ReceiptHandle:     aws.ToString(m.ReceiptHandle),
		Body:              aws.ToString(m.Body),
		Md5OfBody:         aws.ToString(m.MD5OfBody),
		Attributes:        m.Attributes,
		MessageAttributes: attrs,
		EventSourceARN:    queueARN,
		EventSource:       "aws:sqs",
		AWSRegion:         regionOf(queueARN),
	}
}

// regionOf reads the region field of an ARN (arn:aws:sqs:REGION:...).
func regionOf(arn string) string {
	parts := [6]string{}
	n := 0
	start := 0
	for i := 0; i < len(arn) && n < 5; i++ {
		if arn[i] == ':' {
			parts[n] = arn[start:i]
			n++
			start = i + 1
		}
	}
	return parts[3]
}
