package queue

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

// The shared fake satisfies the sender's client interface.
var _ SQS = fakes.SQS{}

func bigTargets(n int) []domain.Target {
	ts := make([]domain.Target, n)
	for i := range ts {
		// Control characters are escaped as \u00XX: six bytes each in JSON.
		ts[i] = domain.Target{Index: i, SourceSystemID: strings.Repeat("\x01", 128), Email: strings.Repeat("e", 240) + "@x.com", FirstName: strings.Repeat("\x02", 100), LastName: strings.Repeat("\x03", 100)}
	}
	return ts
}

func TestSendPacksAtMostTenEntriesAnd256KiBPerCall(t *testing.T) {
	batches, _ := domain.SplitBatches(domain.Batch{RequestUUID: "u"}, bigTargets(500))
	calls, sent := 0, 0
	s := Sender{QueueURL: "q", SQS: fakes.SQS{SendMessageBatchFunc: func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		calls++
		size := 0
		for _, e := range in.Entries {
			size += len(aws.ToString(e.MessageBody))
		}
		if len(in.Entries) > 10 || size > domain.MaxBatchMessageBytes {
			t.Errorf("call with %d entries, %d bytes", len(in.Entries), size)
		}
		sent += len(in.Entries)
		return &sqs.SendMessageBatchOutput{}, nil
	}}}
	if err := s.Send(context.Background(), batches); err != nil {
		t.Fatal(err)
	}
	if sent != len(batches) {
		t.Errorf("sent %d of %d", sent, len(batches))
	}
}

func TestSendReportsPartialFailure(t *testing.T) {
	s := Sender{QueueURL: "q", SQS: fakes.SQS{SendMessageBatchFunc: func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		return &sqs.SendMessageBatchOutput{Failed: []types.BatchResultErrorEntry{{Id: in.Entries[0].Id, Code: aws.String("InternalError")}}}, nil
	}}}
	if err := s.Send(context.Background(), []domain.Batch{{RequestUUID: "u"}}); err == nil {
		t.Error("a failed entry was not reported")
	}
}
