package faults

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/testsupport/faultinject"
)

// 30% of the DynamoDB calls of ingest and consumer fail with
// ProvisionedThroughputExceededException, injected at the SDK's HTTP client
// so the SDK's retryer handles them as it would in AWS. Ingest answers 202
// (the request is then processed completely) or a 5xx problem (nothing of
// it is processed); the client retries 5xx until 202. The consumer, fed by
// the poller with immediate redelivery, eventually processes everything.
func TestThrottledDynamoDB(t *testing.T) {
	for _, tc := range []struct {
		name string
		rate float64
	}{
		{"30pct", 0.3},
		// So high that the retryer sometimes gives up (8 attempts, or its retry
		// quota): ingest must answer 5xx and the consumer must fail messages.
		{"60pct", 0.6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			throttle := faultinject.Rule{Match: "DynamoDB_20120810.", Rate: tc.rate}
			f := faults{ingestDB: faultinject.New(nil, 1, throttle), consumerDB: faultinject.New(nil, 2, throttle)}
			e := newEnv(t, f)
			e.seed(25)
			acc := accepted{}
			fivexx := 0
			for i := range 6 {
				body := e.targets(20, i*3)
				for attempt := 1; ; attempt++ {
					resp := e.post(body)
					if resp.StatusCode == http.StatusAccepted {
						var a ingest.Accepted
						if err := json.Unmarshal([]byte(resp.Body), &a); err != nil {
							t.Fatal(err)
						}
						acc[a.RequestUUID] = a.Accepted
						break
					}
					assertProblem(t, resp, 500, 599)
					fivexx++
					if attempt == 100 {
						t.Fatalf("request %d: still %d after %d attempts", i, resp.StatusCode, attempt)
					}
				}
			}
			// Redelivery here is immediate, not every 6 minutes: let the
			// consumer see the time a few redeliveries would really take, so
			// that it aborts requests whose ingest call failed after sending
			// (MarkQueued throttled) instead of retrying them into the DLQ.
			// For the same reason each delivery gets a consumer of its own:
			// by the time a message comes back, its SDK client's retry quota
			// has refilled (and it may well be another Lambda instance's).
			redelivered := func(c context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
				h := e.consumerWith(f.consumerDB)
				h.Now = func() time.Time { return time.Now().Add(domain.EnqueueTimeout + time.Minute) }
				return h.Handle(c, ev)
			}
			rounds := e.drain(redelivered)
			if n := e.stack.QueueDepth(e.t, e.stack.Resources.DLQURL); n != 0 {
				t.Errorf("%d message(s) went to the DLQ: throttling lost targets", n)
			}
			t.Logf("ingest: %d 5xx answers, %d throttled attempts; consumer: %d throttled attempts, %d poll rounds",
				fivexx, f.ingestDB.Injected(0), f.consumerDB.Injected(0), rounds)
			if f.ingestDB.Injected(0) == 0 || f.consumerDB.Injected(0) == 0 {
				t.Error("no fault was injected")
			}
			e.assertExactlyOnce(acc)
		})
	}
}
