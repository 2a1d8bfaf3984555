package main

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

func TestDLQRedrive(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res := h.stack.Resources
	for _, body := range []string{`{"a":1}`, `{"b":2}`, `{"c":3}`} {
		if _, err := h.stack.SQS.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: aws.String(res.DLQURL), MessageBody: aws.String(body)}); err != nil {
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
	if got["moved"] != 0.0 || got["from"] != "targetloader-"+res.Stage+"-targets-dlq" || got["to"] != "targetloader-"+res.Stage+"-targets" {
		t.Errorf("redrive --json = %v", got)
	}
}
