package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestDLQRedrive(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res := h.stack.Resources
	for i, body := range []string{`{"a":1}`, `{"b":2}`, `{"c":3}`} {
		// The DLQ is FIFO, as the queue: its messages have groups (journeys).
		in := &sqs.SendMessageInput{QueueUrl: aws.String(res.DLQURL), MessageBody: aws.String(body),
			MessageGroupId: aws.String(fmt.Sprint("J", i)), MessageDeduplicationId: aws.String(fmt.Sprint("d", i))}
		if _, err := h.stack.SQS.SendMessage(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	r := h.ok("dlq", "redrive")
	if !strings.Contains(r.stdout, "moved 3 message(s)") {
		t.Errorf("redrive said %q", r.stdout)
	}
	out, err := h.stack.SQS.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(res.QueueURL), MaxNumberOfMessages: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Messages) != 3 {
		t.Errorf("%d messages back on the queue, want 3", len(out.Messages))
	}
	if r := h.ok("dlq", "redrive"); !strings.Contains(r.stdout, "moved 0 message(s)") {
		t.Errorf("second redrive said %q", r.stdout)
	}
	got := decodeJSON[map[string]any](t, h.ok("dlq", "redrive", "--json").stdout)
	if got["moved"] != 0.0 || got["from"] != "targetloader-"+res.Stage+"-targets-dlq.fifo" || got["to"] != "targetloader-"+res.Stage+"-targets.fifo" {
		t.Errorf("redrive --json = %v", got)
	}
}
