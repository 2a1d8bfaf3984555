package dlq_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/targetloader/targetloader/shared/ops/dlq"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

// The shared fake satisfies Redrive's client interface.
var _ dlq.SQS = fakes.SQS{}

// memQueues is two queues held in memory, served by the fakes.SQS its client
// method builds. Receive hides what it returns.
type memQueues struct {
	queues   map[string][]types.Message // visible
	hidden   map[string]types.Message   // receipt -> message
	failBody string                     // SendMessageBatch fails entries with this body
	sends    int
}

// newFake is a DLQ ("dlq") holding n messages, each with one attribute, and
// an empty queue ("main").
func newFake(n int) *memQueues {
	q := &memQueues{queues: map[string][]types.Message{}, hidden: map[string]types.Message{}}
	for i := range n {
		q.queues["dlq"] = append(q.queues["dlq"], types.Message{
			MessageId:         aws.String(fmt.Sprint("m", i)),
			Body:              aws.String(fmt.Sprint("body", i)),
			MessageAttributes: map[string]types.MessageAttributeValue{"k": {DataType: aws.String("String"), StringValue: aws.String("v")}},
		})
	}
	return q
}

func (q *memQueues) client() fakes.SQS {
	return fakes.SQS{
		ReceiveMessageFunc: func(in *sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error) {
			visible := q.queues[*in.QueueUrl]
			n := min(int(in.MaxNumberOfMessages), len(visible))
			out := &sqs.ReceiveMessageOutput{}
			for _, m := range visible[:n] {
				m.ReceiptHandle = aws.String("r-" + *m.MessageId)
				q.hidden[*m.ReceiptHandle] = m
				out.Messages = append(out.Messages, m)
			}
			q.queues[*in.QueueUrl] = visible[n:]
			return out, nil
		},
		SendMessageBatchFunc: func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
			q.sends++
			if len(in.Entries) > 10 {
				return nil, errors.New("too many entries")
			}
			out := &sqs.SendMessageBatchOutput{}
			for _, e := range in.Entries {
				if *e.MessageBody == q.failBody {
					out.Failed = append(out.Failed, types.BatchResultErrorEntry{Id: e.Id, Code: aws.String("InternalError"), SenderFault: false})
					continue
				}
				if e.MessageAttributes["k"].StringValue == nil {
					return nil, errors.New("attributes lost")
				}
				q.queues[*in.QueueUrl] = append(q.queues[*in.QueueUrl], types.Message{MessageId: aws.String("new-" + *e.MessageBody), Body: e.MessageBody})
				out.Successful = append(out.Successful, types.SendMessageBatchResultEntry{Id: e.Id})
			}
			return out, nil
		},
		DeleteMessageBatchFunc: func(in *sqs.DeleteMessageBatchInput) (*sqs.DeleteMessageBatchOutput, error) {
			for _, e := range in.Entries {
				delete(q.hidden, *e.ReceiptHandle)
			}
			return &sqs.DeleteMessageBatchOutput{}, nil
		},
	}
}

func TestRedriveMovesEveryMessageInBatches(t *testing.T) {
	f := newFake(23)
	moved, err := dlq.Redrive(context.Background(), f.client(), "dlq", "main")
	if err != nil || moved != 23 {
		t.Fatalf("moved %d, err %v", moved, err)
	}
	if len(f.queues["main"]) != 23 || len(f.queues["dlq"]) != 0 || len(f.hidden) != 0 {
		t.Errorf("main %d, dlq %d visible, %d hidden", len(f.queues["main"]), len(f.queues["dlq"]), len(f.hidden))
	}
	if f.sends != 3 {
		t.Errorf("%d SendMessageBatch calls, want 3", f.sends)
	}
}

func TestRedriveKeepsWhatItCouldNotSend(t *testing.T) {
	f := newFake(12)
	f.failBody = "body3"
	moved, err := dlq.Redrive(context.Background(), f.client(), "dlq", "main")
	if moved != 11 || err == nil || !strings.Contains(err.Error(), "m3") {
		t.Fatalf("moved %d, err %v; want 11 and an error naming m3", moved, err)
	}
	if _, ok := f.hidden["r-m3"]; !ok || len(f.hidden) != 1 {
		t.Errorf("the unsent message should stay on the DLQ: %v", f.hidden)
	}
}

func TestRedriveOfAnEmptyDLQ(t *testing.T) {
	moved, err := dlq.Redrive(context.Background(), newFake(0).client(), "dlq", "main")
	if moved != 0 || err != nil {
		t.Errorf("moved %d, err %v", moved, err)
	}
}

func TestRedriveKeepsEachMessagesGroupWithADeduplicationIdOfItsOwn(t *testing.T) {
	// GIVEN a FIFO DLQ holding messages of journeys J0 and J1, and one without a group
	q := newFake(5)
	for i := range 4 {
		q.queues["dlq"][i].Attributes = map[string]string{"MessageGroupId": fmt.Sprint("J", i%2)}
	}
	var entries []types.SendMessageBatchRequestEntry
	client := q.client()
	send := client.SendMessageBatchFunc
	client.SendMessageBatchFunc = func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		entries = append(entries, in.Entries...)
		return send(in)
	}
	client.ReceiveMessageFunc = func(receive func(*sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error)) func(*sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error) {
		return func(in *sqs.ReceiveMessageInput) (*sqs.ReceiveMessageOutput, error) {
			if !slices.Contains(in.MessageSystemAttributeNames, types.MessageSystemAttributeNameMessageGroupId) {
				t.Error("the receive does not ask for the messages' groups")
			}
			return receive(in)
		}
	}(client.ReceiveMessageFunc)

	// WHEN redriven
	if moved, err := dlq.Redrive(context.Background(), client, "dlq", "main"); err != nil || moved != 5 {
		t.Fatalf("moved %d, %v", moved, err)
	}
	// THEN each goes back to its group (the one without, to a group of its
	// own), with a deduplication id that is not its first send's
	for i, e := range entries {
		wantGroup := fmt.Sprint("J", i%2)
		if i == 4 {
			wantGroup = "m4"
		}
		if g := aws.ToString(e.MessageGroupId); g != wantGroup {
			t.Errorf("message %d: group %q, want %q", i, g, wantGroup)
		}
		if d := aws.ToString(e.MessageDeduplicationId); d != fmt.Sprint("redrive-m", i) {
			t.Errorf("message %d: deduplication id %q", i, d)
		}
	}
}
