package faults

import (
	"fmt"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/targetloader/targetloader/shared/ops/dlq"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/testsupport/faultinject"
)

// dlqMessages reads (and hides for a minute) every message on the DLQ.
func (e *env) dlqMessages() []sqstypes.Message {
	e.t.Helper()
	var out []sqstypes.Message
	for {
		r, err := e.stack.SQS.ReceiveMessage(ctx(), &sqs.ReceiveMessageInput{QueueUrl: aws.String(e.stack.Resources.DLQURL), MaxNumberOfMessages: 10, VisibilityTimeout: 60,
			MessageSystemAttributeNames: []sqstypes.MessageSystemAttributeName{sqstypes.MessageSystemAttributeNameApproximateReceiveCount}})
		if err != nil {
			e.t.Fatal(err)
		}
		if len(r.Messages) == 0 {
			return out
		}
		out = append(out, r.Messages...)
	}
}

// sendRaw sends body to the targets queue in journey J1's message group, as
// anyone allowed to send to the queue could.
func (e *env) sendRaw(body string) {
	e.t.Helper()
	e.raw++
	if _, err := e.stack.SQS.SendMessage(ctx(), &sqs.SendMessageInput{
		QueueUrl: aws.String(e.stack.Resources.QueueURL), MessageBody: aws.String(body),
		MessageGroupId: aws.String("J1"), MessageDeduplicationId: aws.String(fmt.Sprint("raw-", e.raw)),
	}); err != nil {
		e.t.Fatal(err)
	}
}

// Poison messages (not a batch; a batch of a request that does not exist)
// share batches with good ones. The good ones are processed on their first
// delivery; the poison ones fail every time and, after the queue's
// maxReceiveCount receives, the redrive policy moves them to the DLQ.
func TestPoisonMessageReachesTheDLQWithoutHoldingUpOthers(t *testing.T) {
	e := newEnv(t, faults{})
	e.seed(20)
	poison := []string{`{"not":"a batch"`, `{"request_uuid":"7d0f6c3e-0000-4000-8000-000000000000","journey_id":"J1","part":0,"parts":1,"targets":[{"index":0,"source_system_id":"s","account_id":"A000"}]}`}
	e.sendRaw(poison[0])
	acc := accepted{}
	for i := range 4 {
		e.postOK(acc, e.targets(15, i))
	}
	e.sendRaw(poison[1])

	// First delivery: everything in one batch (of more than the deployed
	// 4, so that poison and good messages share it); only the poison fails.
	p := e.stack.Poller(e.stack.RedeliverAtOnce(e.t, e.consumer.Handle))
	p.BatchSize = 10
	if n, err := p.Once(ctx()); err != nil || n != 6 {
		t.Fatalf("first poll: %d messages, %v", n, err)
	}
	e.assertExactlyOnce(acc)

	rounds := 1 + e.drain(e.consumer.Handle)
	moved := e.dlqMessages()
	if len(moved) != len(poison) {
		t.Fatalf("%d message(s) on the DLQ, want the %d poison ones", len(moved), len(poison))
	}
	for _, m := range moved {
		if b := aws.ToString(m.Body); b != poison[0] && b != poison[1] {
			t.Errorf("a good message reached the DLQ: %.80s", b)
		}
		n, _ := strconv.Atoi(m.Attributes[string(sqstypes.MessageSystemAttributeNameApproximateReceiveCount)])
		t.Logf("on the DLQ with ApproximateReceiveCount %d: %.40s", n, aws.ToString(m.Body))
	}
	if rounds > resources.MaxReceiveCount+2 {
		t.Errorf("the poison messages took %d poll rounds to leave the queue, maxReceiveCount is %d", rounds, resources.MaxReceiveCount)
	}
	e.assertExactlyOnce(acc)
}

// A consumer outage (every DynamoDB call of the consumer fails) sends good
// messages to the DLQ. Once it is over, dlq.Redrive moves them back and they
// are processed, once.
func TestDLQRedriveAfterAnOutage(t *testing.T) {
	e := newEnv(t, faults{})
	e.seed(20)
	acc := accepted{}
	for i := range 13 { // more than one receive batch of 10
		e.postOK(acc, e.targets(8, i))
	}
	down := e.consumerWith(faultinject.New(nil, 1, faultinject.Rule{Match: "DynamoDB_20120810.", Rate: 1}))
	e.drain(down.Handle)
	if n := len(e.allRecords()); n != 0 {
		t.Fatalf("%d records written during the outage", n)
	}
	if n := e.stack.QueueDepth(e.t, e.stack.Resources.DLQURL); n != 13 {
		t.Fatalf("%d message(s) on the DLQ after the outage, want 13", n)
	}

	moved, err := dlq.Redrive(ctx(), e.stack.SQS, e.stack.Resources.DLQURL, e.stack.Resources.QueueURL)
	if err != nil || moved != 13 {
		t.Fatalf("Redrive moved %d, err %v; want 13", moved, err)
	}
	if n := e.stack.QueueDepth(e.t, e.stack.Resources.DLQURL); n != 0 {
		t.Errorf("%d message(s) left on the DLQ", n)
	}
	e.drain(e.consumer.Handle)
	e.assertExactlyOnce(acc)
	// A second redrive finds nothing.
	if moved, err := dlq.Redrive(ctx(), e.stack.SQS, e.stack.Resources.DLQURL, e.stack.Resources.QueueURL); moved != 0 || err != nil {
		t.Errorf("second Redrive: moved %d, err %v", moved, err)
	}
}
