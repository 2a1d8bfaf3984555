package queue

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/targetloader/targetloader/shared/domain"
)

type fakeSQS struct {
	send func(*sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error)
}

func (f fakeSQS) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	return f.send(in)
}

func bigTargets(n int) []domain.Target {
	ts := make([]domain.Target, n)
	for i := range ts {
		// Control characters are escaped as \u00XX: six bytes each in JSON.
		ts[i] = domain.Target{Index: i, SourceSystemID: strings.Repeat("\x01", 128), Email: strings.Repeat("e", 240) + "@x.com", FirstName: strings.Repeat("\x02", 100), LastName: strings.Repeat("\x03", 100)}
	}
	return ts
}

func TestSplitKeepsEveryMessageUnder256KiB(t *testing.T) {
	batches, err := Split(domain.Batch{RequestUUID: "u", JourneyID: "j"}, bigTargets(500))
	if err != nil {
		t.Fatal(err)
	}
	if len(batches) < 2 {
		t.Fatalf("%d batches; a ~1.2 MB request must be split", len(batches))
	}
	total := 0
	for i, b := range batches {
		body, _ := json.Marshal(b)
		if len(body) > MaxMessageBytes {
			t.Errorf("batch %d is %d bytes", i, len(body))
		}
		if b.Part != i || b.Parts != len(batches) || b.RequestUUID != "u" {
			t.Errorf("batch %d: part %d of %d", i, b.Part, b.Parts)
		}
		for j, tg := range b.Targets {
			if tg.Index != total+j {
				t.Fatalf("targets out of order")
			}
		}
		total += len(b.Targets)
	}
	if total != 500 {
		t.Errorf("%d targets in all", total)
	}
}

func TestSmallRequestIsOneMessage(t *testing.T) {
	ts := make([]domain.Target, 500)
	for i := range ts {
		ts[i] = domain.Target{Index: i, SourceSystemID: fmt.Sprint(i), AccountID: fmt.Sprint("V", i)}
	}
	batches, _ := Split(domain.Batch{}, ts)
	if len(batches) != 1 {
		t.Errorf("%d batches", len(batches))
	}
}

func TestSendPacksAtMostTenEntriesAnd256KiBPerCall(t *testing.T) {
	batches, _ := Split(domain.Batch{RequestUUID: "u"}, bigTargets(500))
	calls, sent := 0, 0
	s := Sender{QueueURL: "q", SQS: fakeSQS{send: func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		calls++
		size := 0
		for _, e := range in.Entries {
			size += len(aws.ToString(e.MessageBody))
		}
		if len(in.Entries) > 10 || size > MaxMessageBytes {
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
	s := Sender{QueueURL: "q", SQS: fakeSQS{send: func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		return &sqs.SendMessageBatchOutput{Failed: []types.BatchResultErrorEntry{{Id: in.Entries[0].Id, Code: aws.String("InternalError")}}}, nil
	}}}
	if err := s.Send(context.Background(), []domain.Batch{{RequestUUID: "u"}}); err == nil {
		t.Error("a failed entry was not reported")
	}
}
