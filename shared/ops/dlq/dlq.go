// Package dlq moves messages from the dead-letter queue back to the targets
// queue once the fault that put them there is fixed.
package dlq

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
)

// SQS is the part of *sqs.Client Redrive uses.
type SQS interface {
	ReceiveMessage(ctx context.Context, in *sqs.ReceiveMessageInput, opts ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	DeleteMessageBatch(ctx context.Context, in *sqs.DeleteMessageBatchInput, opts ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

var _ SQS = (*sqs.Client)(nil)

// hideFor is how long a received DLQ message stays invisible while it is
// being moved: long enough that one run never receives it twice.
const hideFor = 5 * time.Minute

// maxBatchBytes is SQS's limit on a SendMessageBatch request's messages.
const maxBatchBytes = 1 << 20

// Redrive moves every message visible on the DLQ to the queue: it receives up
// to 10 at a time, sends them (body and message attributes) with
// SendMessageBatch and deletes from the DLQ only those the queue accepted. It
// stops when a receive finds the DLQ empty and returns how many it moved.
//
// A message is deleted only after it was sent, so a failure at any point
// leaves it on the DLQ or on both queues, never on neither; the consumer is
// idempotent, so a message on both is processed once in effect. Messages
// that could not be sent stay hidden on the DLQ for a few minutes and are
// reported in the error.
//
// Both queues are FIFO: a message goes back to its message group (its
// journey), after the messages of that group still queued, with a
// deduplication id of its own. Its original one could make SQS drop it
// silently, as a duplicate of its first send, if that was less than 5
// minutes ago; a second run moving the same DLQ message within 5 minutes
// (its delete failed) is dropped as a duplicate, as it should be.
func Redrive(ctx context.Context, client SQS, dlqURL, queueURL string) (moved int, err error) {
	var failures []error
	for {
		out, err := client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl:                    &dlqURL,
			MaxNumberOfMessages:         10,
			VisibilityTimeout:           int32(hideFor / time.Second),
			MessageAttributeNames:       []string{"All"},
			MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameMessageGroupId},
		})
		if err != nil {
			return moved, errors.Join(append(failures, fmt.Errorf("receive from DLQ: %w", err))...)
		}
		if len(out.Messages) == 0 {
			return moved, errors.Join(failures...)
		}
		n, err := moveBatch(ctx, client, dlqURL, queueURL, out.Messages)
		moved += n
		if err != nil {
			failures = append(failures, err)
			if n == 0 {
				// Nothing of this batch moved: do not spin on a queue that refuses sends.
				return moved, errors.Join(failures...)
			}
		}
	}
}

// moveBatch sends msgs to the queue, in as many SendMessageBatch calls as
// their size needs, and deletes the sent ones from the DLQ.
func moveBatch(ctx context.Context, client SQS, dlqURL, queueURL string, msgs []types.Message) (int, error) {
	var errs []error
	var sent []types.Message
	for _, group := range bySize(msgs) {
		entries := make([]types.SendMessageBatchRequestEntry, len(group))
		for i, m := range group {
			entries[i] = types.SendMessageBatchRequestEntry{
				Id:                     aws.String(strconv.Itoa(i)),
				MessageBody:            m.Body,
				MessageAttributes:      m.MessageAttributes,
				MessageGroupId:         aws.String(groupOf(m)),
				MessageDeduplicationId: aws.String("redrive-" + aws.ToString(m.MessageId)),
			}
		}
		out, err := client.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &queueURL, Entries: entries})
		if err != nil {
			errs = append(errs, fmt.Errorf("send to queue: %w", err))
			continue
		}
		for _, f := range out.Failed {
			errs = append(errs, fmt.Errorf("send to queue: message %s: %s %s", messageID(group, f.Id), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
		for _, s := range out.Successful {
			if i := index(s.Id); i >= 0 && i < len(group) {
				sent = append(sent, group[i])
			}
		}
	}
	if len(sent) == 0 {
		return 0, errors.Join(errs...)
	}
	entries := make([]types.DeleteMessageBatchRequestEntry, len(sent))
	for i, m := range sent {
		entries[i] = types.DeleteMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), ReceiptHandle: m.ReceiptHandle}
	}
	// The messages are on the queue now: delete them even if ctx ended.
	out, err := client.DeleteMessageBatch(context.WithoutCancel(ctx), &sqs.DeleteMessageBatchInput{QueueUrl: &dlqURL, Entries: entries})
	if err != nil {
		errs = append(errs, fmt.Errorf("delete from DLQ (the messages were moved and are also still on the DLQ): %w", err))
	} else {
		for _, f := range out.Failed {
			errs = append(errs, fmt.Errorf("delete from DLQ: message %s is on both queues: %s %s", messageID(sent, f.Id), aws.ToString(f.Code), aws.ToString(f.Message)))
		}
	}
	return len(sent), errors.Join(errs...)
}

// groupOf is the FIFO message group m was in, or, for a message that had
// none, a group of its own.
func groupOf(m types.Message) string {
	if g := m.Attributes[string(types.MessageSystemAttributeNameMessageGroupId)]; g != "" {
		return g
	}
	return aws.ToString(m.MessageId)
}

// bySize groups msgs so that each group's bodies fit one SendMessageBatch.
func bySize(msgs []types.Message) [][]types.Message {
	var groups [][]types.Message
	var cur []types.Message
	size := 0
	for _, m := range msgs {
		n := len(aws.ToString(m.Body))
		for k, v := range m.MessageAttributes {
			n += len(k) + len(aws.ToString(v.DataType)) + len(aws.ToString(v.StringValue)) + len(v.BinaryValue)
		}
		if len(cur) > 0 && size+n > maxBatchBytes {
			groups = append(groups, cur)
			cur, size = nil, 0
		}
		cur = append(cur, m)
		size += n
	}
	if len(cur) > 0 {
		groups = append(groups, cur)
	}
	return groups
}

func index(id *string) int {
	i, err := strconv.Atoi(aws.ToString(id))
	if err != nil {
		return -1
	}
	return i
}

// messageID names the message a batch result entry id refers to.
func messageID(msgs []types.Message, id *string) string {
	if i := index(id); i >= 0 && i < len(msgs) {
		return aws.ToString(msgs[i].MessageId)
	}
	return "entry " + aws.ToString(id)
}
