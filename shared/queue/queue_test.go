package queue

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
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

func TestSendGroupsByJourneyAndDeduplicatesByPart(t *testing.T) {
	// GIVEN a request of journey J-1 split into parts
	batches, _ := domain.SplitBatches(domain.Batch{RequestUUID: "u1", JourneyID: "J-1"}, bigTargets(500))
	if len(batches) < 2 {
		t.Fatalf("%d parts; the test needs several", len(batches))
	}
	// WHEN they are sent
	var entries []types.SendMessageBatchRequestEntry
	s := Sender{QueueURL: "q", SQS: fakes.SQS{SendMessageBatchFunc: func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		entries = append(entries, in.Entries...)
		return &sqs.SendMessageBatchOutput{}, nil
	}}}
	if err := s.Send(context.Background(), batches); err != nil {
		t.Fatal(err)
	}
	// THEN every message is in the journey's group, and each part has its own deduplication id
	seen := map[string]bool{}
	for i, e := range entries {
		if g := aws.ToString(e.MessageGroupId); g != "J-1" {
			t.Errorf("entry %d: group %q, want the journey J-1", i, g)
		}
		d := aws.ToString(e.MessageDeduplicationId)
		if want := "u1-" + strconv.Itoa(i); d != want {
			t.Errorf("entry %d: deduplication id %q, want %q", i, d, want)
		}
		seen[d] = true
	}
	if len(seen) != len(batches) {
		t.Errorf("%d distinct deduplication ids for %d parts", len(seen), len(batches))
	}
}

func TestGroupIDFitsSQS(t *testing.T) {
	long := strings.Repeat("j", 128)
	for _, tc := range []struct {
		journey string
		same    bool // the group is the journey id itself
	}{
		{"J-SAMPLE", true},
		{long, true},
		{long + "j", false},
		{"journey with spaces", false},
		{"Reise-ü", false},
		{"sha256:abc", false}, // cannot pose as another journey's digest
	} {
		g := GroupID(tc.journey)
		if (g == tc.journey) != tc.same {
			t.Errorf("GroupID(%q) = %q", tc.journey, g)
		}
		if len(g) == 0 || len(g) > 128 || strings.ContainsFunc(g, func(r rune) bool { return r <= ' ' || r > '~' }) {
			t.Errorf("GroupID(%q) = %q: not a valid SQS message group id", tc.journey, g)
		}
	}
	if GroupID("journey with spaces") == GroupID("journey with spaces ") {
		t.Error("two journeys share a digest group")
	}
}

func TestDeadLettersRejectKeepsTheGroupAndDeduplicatesRetries(t *testing.T) {
	// GIVEN a message of journey J-1's group, with an attribute
	msg := events.SQSMessage{MessageId: "m-1", Body: "forged", Attributes: map[string]string{"MessageGroupId": "J-1"},
		MessageAttributes: map[string]events.SQSMessageAttribute{"k": {DataType: "String", StringValue: aws.String("v")}}}
	var got []types.SendMessageBatchRequestEntry
	d := DeadLetters{QueueURL: "dlq", SQS: fakes.SQS{SendMessageBatchFunc: func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		if aws.ToString(in.QueueUrl) != "dlq" {
			t.Errorf("sent to %s", aws.ToString(in.QueueUrl))
		}
		got = append(got, in.Entries...)
		return &sqs.SendMessageBatchOutput{}, nil
	}}}
	// WHEN rejected twice (a retry)
	for range 2 {
		if err := d.Reject(context.Background(), msg); err != nil {
			t.Fatal(err)
		}
	}
	// THEN both sends carry its body, attributes, group and one deduplication id
	for _, e := range got {
		if aws.ToString(e.MessageBody) != "forged" || aws.ToString(e.MessageGroupId) != "J-1" || aws.ToString(e.MessageDeduplicationId) != "rejected-m-1" || aws.ToString(e.MessageAttributes["k"].StringValue) != "v" {
			t.Errorf("entry %+v", e)
		}
	}
	// AND a failed entry is an error
	d.SQS = fakes.SQS{SendMessageBatchFunc: func(in *sqs.SendMessageBatchInput) (*sqs.SendMessageBatchOutput, error) {
		return &sqs.SendMessageBatchOutput{Failed: []types.BatchResultErrorEntry{{Id: in.Entries[0].Id, Code: aws.String("InternalError")}}}, nil
	}}
	if err := d.Reject(context.Background(), msg); err == nil {
		t.Error("a failed send was not reported")
	}
}
