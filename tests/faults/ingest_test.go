package faults

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/faultinject"
)

// bigBody is 500 targets with long fields (~330 KB): it is split into
// several messages, sent in several SendMessageBatch calls.
func bigBody(accounts int) []map[string]any {
	long := strings.Repeat("x", 120)
	body := make([]map[string]any, 500)
	for i := range body {
		body[i] = map[string]any{"source_system_id": fmt.Sprintf("%s-%03d", long, i), "account_id": fmt.Sprintf("A%03d", i%accounts),
			"email": fmt.Sprintf("%s%03d@example.com", strings.Repeat("e", 230), i), "first_name": strings.Repeat("F", 100), "last_name": strings.Repeat("L", 100)}
	}
	return body
}

// The 2nd SendMessageBatch call of a request fails with a 500 on every
// attempt, after the 1st put part of the request on the queue. Ingest
// answers 5xx problem+json, the part already queued is never processed, and
// the client's retry of the same body is accepted and processed once.
func TestSQSSendFailsMidRequest(t *testing.T) {
	send := faultinject.New(nil, 1, faultinject.Rule{Match: "AmazonSQS.SendMessageBatch", Calls: []int{2}, Status: http.StatusInternalServerError})
	e := newEnv(t, faults{ingestSQS: send})
	e.seed(50)
	body := bigBody(50)
	resp := e.post(body)
	assertProblem(t, resp, 500, 599)
	if resp.Headers["Retry-After"] == "" {
		t.Errorf("no Retry-After on %d", resp.StatusCode)
	}
	if send.Injected(0) == 0 {
		t.Fatal("the 2nd SendMessageBatch call was never made: the request was not split as intended")
	}
	partial := e.receiveAll()
	if len(partial) == 0 {
		t.Fatal("nothing of the failed request reached the queue: the partial send this test is about did not happen")
	}
	e.requeue(partial)
	t.Logf("the failed request left %d message(s) on the queue; SendMessageBatch attempts: %v", len(partial), send.Attempts()["AmazonSQS.SendMessageBatch"])

	acc := accepted{}
	e.postOK(acc, body)
	e.drain(e.consumer.Handle)
	e.assertExactlyOnce(acc)
	if n := len(e.journeyTargets()); n != 50 {
		t.Errorf("%d journey targets, want 50", n)
	}
}

// Ingest's DynamoDB writes take effect but their responses are lost (a
// 500 after the write); the SDK retries them. Whatever ingest answers must
// be true: 202 and processed, or 5xx and nothing processed.
func TestIngestWriteTakesEffectButItsResponseIsLost(t *testing.T) {
	for _, tc := range []struct{ name, op, body string }{
		{"CreateRequest", "PutItem", `"state":{"S":"enqueuing"}`},
		{"MarkQueued", "UpdateItem", `{"S":"queued"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lost := faultinject.New(nil, 1, faultinject.Rule{Match: "DynamoDB_20120810." + tc.op, BodyContains: tc.body, Calls: []int{1}, Attempts: 1, AfterForward: true, Status: http.StatusInternalServerError})
			e := newEnv(t, faults{ingestDB: lost})
			e.seed(10)
			acc := accepted{}
			body := e.targets(10, 0)
			resp := e.post(body)
			if lost.Injected(0) == 0 {
				t.Fatalf("no %s response was lost", tc.name)
			}
			switch {
			case resp.StatusCode == http.StatusAccepted:
				var a struct {
					RequestUUID string `json:"request_uuid"`
				}
				_ = json.Unmarshal([]byte(resp.Body), &a)
				acc[a.RequestUUID] = len(body)
			default:
				assertProblem(t, resp, 500, 599)
				t.Logf("first POST: %d", resp.StatusCode)
				e.postOK(acc, body) // the client retries
			}
			e.consumer.Now = func() time.Time { return time.Now().Add(domain.EnqueueTimeout + time.Minute) }
			e.drain(e.consumer.Handle)
			e.assertExactlyOnce(acc)
		})
	}
}

// With an Idempotency-Key, queuing fails (SQS down) and so does the abort
// that should follow (DynamoDB throttled): the request stays "enqueuing"
// with no message on the queue, so no consumer ever aborts it. The client
// retries with the same key, minutes later, and must eventually get a 202.
func TestIdempotentRequestStuckEnqueuing(t *testing.T) {
	sqsDown := faultinject.New(nil, 1, faultinject.Rule{Match: "AmazonSQS.SendMessageBatch", Calls: []int{1}, Status: http.StatusInternalServerError})
	abortFails := faultinject.New(nil, 1, faultinject.Rule{Match: "DynamoDB_20120810.UpdateItem", BodyContains: `{"S":"aborted"}`, Calls: []int{1}})
	e := newEnv(t, faults{ingestDB: abortFails, ingestSQS: sqsDown})
	e.seed(10)
	acc := accepted{}
	body := e.targets(10, 0)
	key := map[string]string{"Idempotency-Key": "order-42"}
	var codes []int
	for attempt := 0; ; attempt++ {
		resp := e.postWith(key, body)
		codes = append(codes, resp.StatusCode)
		if resp.StatusCode == http.StatusAccepted {
			var a struct {
				RequestUUID string `json:"request_uuid"`
			}
			_ = json.Unmarshal([]byte(resp.Body), &a)
			acc[a.RequestUUID] = len(body)
			break
		}
		assertProblem(t, resp, 400, 599)
		if attempt == 4 {
			t.Fatalf("the client's retries with the same Idempotency-Key never succeed: %v", codes)
		}
		// The client waits; the retries come well after EnqueueTimeout.
		e.ingest.Now = func() time.Time { return time.Now().Add(time.Duration(attempt+1) * 2 * domain.EnqueueTimeout) }
	}
	t.Logf("answers: %v", codes)
	e.drain(e.consumer.Handle)
	e.assertExactlyOnce(acc)
}

// SendMessageBatch reaches SQS but its response is lost: on the first
// attempt only (the SDK's retry sends the messages a second time, and the
// request is accepted), or on every attempt (ingest gives up with a 5xx
// although the messages are queued). The FIFO queue drops a resent message
// as a duplicate (its deduplication id is its request and part), so the
// first request leaves one message, whatever the attempts.
func TestSQSSendTakesEffectButItsResponseIsLost(t *testing.T) {
	for _, tc := range []struct {
		name     string
		attempts int
	}{{"FirstAttempt", 1}, {"EveryAttempt", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			lost := faultinject.New(nil, 1, faultinject.Rule{Match: "AmazonSQS.SendMessageBatch", Calls: []int{1}, Attempts: tc.attempts, AfterForward: true, Status: http.StatusInternalServerError})
			e := newEnv(t, faults{ingestSQS: lost})
			e.seed(10)
			acc := accepted{}
			body := e.targets(10, 0)
			resp := e.post(body)
			if resp.StatusCode == http.StatusAccepted {
				var a struct {
					RequestUUID string `json:"request_uuid"`
				}
				_ = json.Unmarshal([]byte(resp.Body), &a)
				acc[a.RequestUUID] = len(body)
			} else {
				assertProblem(t, resp, 500, 599)
				e.postOK(acc, body)
			}
			queued := e.receiveAll()
			t.Logf("first POST %d; %d messages on the queue for %d accepted request(s)", resp.StatusCode, len(queued), len(acc))
			if want := len(acc); tc.attempts == 0 {
				if len(queued) != want+1 {
					t.Errorf("%d messages queued, want one of the failed request and one of its retry", len(queued))
				}
			} else if len(queued) != want {
				t.Errorf("%d messages queued, want 1: the queue kept a resent duplicate", len(queued))
			}
			e.requeue(queued)
			e.drain(e.consumer.Handle)
			e.assertExactlyOnce(acc)
		})
	}
}
