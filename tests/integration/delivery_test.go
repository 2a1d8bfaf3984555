package integration

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/wire/ingestwire"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// seed creates journey J1, n active accounts A000.. with emails a000@example.com
// and a token, and returns the token secret.
func (e *env) seed(n int) string {
	e.t.Helper()
	e.putJourney("J1", "")
	e.importAccounts(workload.ShortAccounts(n)...)
	return e.createToken("J1", "30d").Token
}

func TestEveryMessageDeliveredTwiceAlsoConcurrently(t *testing.T) {
	e := newEnv(t)
	token := e.seed(40)
	body := workload.Targets(workload.ShortAccounts(40), 0, 40)
	var uuids []string
	for range 3 {
		resp := e.post("J1", token, body)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
		}
		uuids = append(uuids, decode[ingest.Accepted](t, resp.Body).RequestUUID)
	}
	msgs := e.receiveAll()
	if len(msgs) != 3 {
		t.Fatalf("queued %d messages, want 3", len(msgs))
	}
	ev := events.SQSEvent{Records: msgs}
	// Twice in sequence, then twice at once.
	for range 2 {
		e.handle(ev)
	}
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { e.handle(ev) })
	}
	wg.Wait()

	for _, u := range uuids {
		recs := e.records(u)
		if len(recs) != 40 {
			t.Errorf("request %s has %d records, want 40", u, len(recs))
		}
		for _, r := range recs {
			if r.ProcessingStatus != domain.StatusSuccess {
				t.Errorf("record %d: %s %s", r.Index, r.ProcessingStatus, r.FailureReason)
			}
		}
	}
	targets := e.journeyTargets("J1")
	if len(targets) != 40 {
		t.Errorf("journey has %d targets, want 40 (one per account)", len(targets))
	}
	// The first request to add an account keeps it.
	for _, jt := range targets {
		if jt.RequestUUID == "" || jt.AddedVia != domain.AddedViaAPI {
			t.Errorf("target %+v", jt)
		}
	}
}

func (e *env) handle(ev events.SQSEvent) {
	e.t.Helper()
	resp, err := e.Consumer.Handle(e.ctx(), ev)
	if err != nil || len(resp.BatchItemFailures) > 0 {
		e.t.Errorf("consumer: err %v, failures %v", err, resp.BatchItemFailures)
	}
}

func TestBadMessageNeverFailsItsNeighbours(t *testing.T) {
	e := newEnv(t)
	token := e.seed(2)
	resp := e.post("J1", token, []map[string]any{{"source_system_id": "s", "account_id": "A000"}})
	good := e.receiveAll()
	poison := events.SQSMessage{MessageId: "poison", Body: `{"not":"a batch"`}
	unknownRequest := events.SQSMessage{MessageId: "orphan", Body: `{"request_uuid":"7d0f6c3e-0000-4000-8000-000000000000","journey_id":"J1","part":0,"parts":1,"targets":[]}`}
	out, err := e.Consumer.Handle(e.ctx(), events.SQSEvent{Records: append([]events.SQSMessage{poison, unknownRequest}, good...)})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for _, f := range out.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	// Neither can ever succeed: both are moved to the DLQ at once, and the
	// good one is processed.
	if len(failed) != 0 {
		t.Errorf("failures = %v, want none", failed)
	}
	if n := e.stack.QueueDepth(t, e.stack.Resources.DLQURL); n != 2 {
		t.Errorf("%d message(s) on the DLQ, want poison and orphan", n)
	}
	if recs := e.records(decode[ingest.Accepted](t, resp.Body).RequestUUID); len(recs) != 1 || recs[0].ProcessingStatus != domain.StatusSuccess {
		t.Errorf("the good message was not processed: %+v", recs)
	}
}

func TestLargeRequestIsSplitAcrossMessages(t *testing.T) {
	e := newEnv(t)
	token := e.seed(1)
	long := strings.Repeat("x", 120)
	body := targetsJSON(500, func(i int) map[string]any {
		return map[string]any{"source_system_id": fmt.Sprintf("%s-%03d", long, i), "account_id": "A000",
			"email": fmt.Sprintf("%s%03d@example.com", strings.Repeat("e", 230), i), "first_name": strings.Repeat("F", 100), "last_name": strings.Repeat("L", 100)}
	})
	resp := e.post("J1", token, body)
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	acc := decode[ingest.Accepted](t, resp.Body)
	msgs := e.receiveAll()
	if len(msgs) < 2 {
		t.Fatalf("a ~300 KiB request went out as %d message(s); want it split", len(msgs))
	}
	for _, m := range msgs {
		if len(m.Body) > 256*1024 {
			t.Errorf("message of %d bytes exceeds 256 KiB", len(m.Body))
		}
	}
	_, st := e.status("J1", token, acc.RequestUUID, nil)
	if st.Status != domain.ProgressQueued {
		t.Errorf("status = %s", st.Status)
	}
	e.handle(events.SQSEvent{Records: msgs[:1]})
	_, st = e.status("J1", token, acc.RequestUUID, nil)
	if st.Status != domain.ProgressProcessing {
		t.Errorf("after one part, status = %s", st.Status)
	}
	e.handle(events.SQSEvent{Records: msgs[1:]})
	_, st = e.status("J1", token, acc.RequestUUID, map[string]string{"limit": "500"})
	if st.Status != domain.ProgressCompleted || len(st.Records) != 500 {
		t.Errorf("after all parts: status %s, %d records", st.Status, len(st.Records))
	}
	// One account submitted 500 times joins the journey once.
	if n := len(e.journeyTargets("J1")); n != 1 {
		t.Errorf("journey targets = %d, want 1", n)
	}
}

func TestJourneyEndedBeforeProcessing(t *testing.T) {
	e := newEnv(t)
	token := e.seed(2)
	resp := e.post("J1", token, []map[string]any{{"source_system_id": "s0", "account_id": "A000"}, {"source_system_id": "s1", "email": "a001@example.com"}})
	acc := decode[ingest.Accepted](t, resp.Body)
	e.putJourney("J1", e.now.AddDate(0, 0, -1).Format(domain.DateLayout))
	e.drain()
	for _, r := range e.records(acc.RequestUUID) {
		if r.MatchingOutcome != domain.OutcomeNotAttempted || r.ProcessingStatus != domain.StatusFailed || r.Account != "" || !strings.Contains(r.FailureReason, "ended") {
			t.Errorf("record %d = %s %s %q", r.Index, r.MatchingOutcome, r.ProcessingStatus, r.FailureReason)
		}
	}
	if n := len(e.journeyTargets("J1")); n != 0 {
		t.Errorf("an ended journey got %d targets", n)
	}
}

func TestQueueFailureLeavesNothingToProcess(t *testing.T) {
	e := newEnv(t)
	token := e.seed(1)
	// The same wiring with a queue URL that does not exist: SendMessageBatch fails.
	cfg := testenv.Config[config.Ingest](t, e.stack)
	cfg.QueueURL = e.stack.Resources.QueueURL + "-missing"
	broken := ingestwire.New(cfg, e.stack.DynamoDB, e.stack.SQS, e.Ingest.Logger)
	req := workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": "J1"}, token, `[{"source_system_id":"s","account_id":"A000"}]`)
	resp, _ := broken.Handle(e.ctx(), req)
	assertProblem(t, resp, http.StatusServiceUnavailable)
	if strings.Contains(resp.Body, "missing") || strings.Contains(resp.Body, "NonExistentQueue") {
		t.Errorf("the 5xx leaks an internal error: %s", resp.Body)
	}
	if msgs := e.receiveAll(); len(msgs) != 0 {
		t.Errorf("%d messages queued after a failed request", len(msgs))
	}
	// The caller retries and succeeds.
	if resp := e.post("J1", token, `[{"source_system_id":"s","account_id":"A000"}]`); resp.StatusCode != http.StatusAccepted {
		t.Errorf("retry = %d %s", resp.StatusCode, resp.Body)
	}
}

func TestMessagesOfAnUnfinishedRequestWaitThenAreDropped(t *testing.T) {
	e := newEnv(t)
	e.seed(1)
	requests := store.Requests{DB: e.stack.DynamoDB, Table: e.stack.Env["REQUESTS_TABLE"]}
	received := e.now.Add(-10 * time.Second)
	b := domain.Batch{RequestUUID: "0b5c3a9e-1111-4000-8000-000000000001", JourneyID: "J1", Parts: 1, ReceivedAt: received, Targets: []domain.Target{{SourceSystemID: "s", AccountID: "A000"}}}
	r := domain.Request{UUID: b.RequestUUID, JourneyID: "J1", TokenID: "t", Accepted: 1, Parts: 1, PartDigests: domain.PartDigests([]domain.Batch{b}), State: domain.RequestEnqueuing, ReceivedAt: received}
	if err := requests.Create(e.ctx(), r); err != nil {
		t.Fatal(err)
	}
	// While ingest may still be enqueuing, the message is retried later.
	if err := e.Consumer.Process(e.ctx(), b); err == nil {
		t.Fatal("a message of a request still enqueuing was processed")
	}
	// Past the enqueue timeout, ingest has failed or died: the request is aborted and its messages dropped.
	e.Consumer.Now = func() time.Time { return received.Add(domain.EnqueueTimeout + time.Second) }
	if err := e.Consumer.Process(context.Background(), b); err != nil {
		t.Fatalf("stale message: %v", err)
	}
	got, err := requests.Get(e.ctx(), r.UUID)
	if err != nil || got.State != domain.RequestAborted {
		t.Errorf("request state = %s, %v", got.State, err)
	}
	if recs := e.records(r.UUID); len(recs) != 0 {
		t.Errorf("an aborted request got %d records", len(recs))
	}
	// And ingest can no longer mark it queued.
	if err := requests.MarkQueued(e.ctx(), r.UUID); err == nil {
		t.Error("an aborted request was marked queued")
	}
}
