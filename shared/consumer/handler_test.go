package consumer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/targetloader/targetloader/shared/consumer"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// The shared fakes satisfy the consumer's ports.
var (
	_ consumer.Reader      = fakes.Reader{}
	_ consumer.Requests    = fakes.Requests{}
	_ consumer.Accounts    = fakes.Accounts{}
	_ consumer.Targets     = fakes.Targets{}
	_ consumer.Records     = fakes.Records{}
	_ consumer.DeadLetters = fakes.DeadLetters{}
)

const (
	journeyID   = "J1"
	requestUUID = "0b5c3a9e-2222-4000-8000-000000000001"
)

var (
	// now is the handler's clock; the request was received a second before.
	now        = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	receivedAt = now.Add(-time.Second)
	errBoom    = errors.New("boom: table unavailable")
)

// call is one port call the handler made, with what it asked to write and
// the error the port returned.
type call struct {
	name    string
	targets []domain.JourneyTarget
	records []domain.LoaderRecord
	err     error
}

// world is what the fakes read (a journey, requests, accounts) and the port
// calls the handler made, in order. Messages are processed concurrently, so
// every access locks. Like the SDK, every port fails once its context has
// ended; fail makes the named port ("Records.Put", ...) return its error.
type world struct {
	mu       sync.Mutex
	journey  *domain.Journey // nil: the journey no longer exists
	requests map[string]domain.Request
	accounts []domain.Account
	fail     map[string]error
	calls    []call
	parts    map[int]domain.PartResult
	rejected []string // message ids moved to the DLQ
	logs     bytes.Buffer
}

// newWorld is journey J1 (no end date) with request requestUUID queued, and
// accounts known to the CRM.
func newWorld(accounts []domain.Account) *world {
	return &world{
		journey:  &domain.Journey{ID: journeyID, Name: "Journey One"},
		requests: map[string]domain.Request{requestUUID: {UUID: requestUUID, JourneyID: journeyID, State: domain.RequestQueued, ReceivedAt: receivedAt}},
		accounts: accounts,
		fail:     map[string]error{},
		parts:    map[int]domain.PartResult{},
	}
}

// handler is a consumer on the world's fakes, with a fixed clock.
func (w *world) handler() *consumer.Handler {
	return &consumer.Handler{
		Reader:             fakes.Reader{ReadFunc: w.read},
		Requests:           fakes.Requests{AbortFunc: w.abort, RecordPartFunc: w.recordPart},
		Accounts:           fakes.Accounts{LookupFunc: w.lookup},
		Targets:            fakes.Targets{AddNewFunc: w.addNew},
		Records:            fakes.Records{PutFunc: w.put},
		DeadLetters:        fakes.DeadLetters{RejectFunc: w.reject},
		Logger:             slog.New(slog.NewTextHandler(&w.logs, nil)),
		Now:                func() time.Time { return now },
		MessageConcurrency: 4,
		EnqueuePoll:        time.Millisecond,
		EnqueueWait:        time.Second,
		DeadlineMargin:     time.Second,
	}
}

// handlerFailingRecordsOf is w.handler() whose loader-record write fails for
// the message of part failing.
func (w *world) handlerFailingRecordsOf(failing int) *consumer.Handler {
	h := w.handler()
	h.Records = fakes.Records{PutFunc: func(ctx context.Context, part int, records []domain.LoaderRecord) error {
		if part == failing {
			return errBoom
		}
		return w.put(ctx, part, records)
	}}
	return h
}

// record notes a call and returns its error; the caller holds w.mu.
func (w *world) record(ctx context.Context, c call) error {
	c.err = ctx.Err()
	if c.err == nil {
		c.err = w.fail[c.name]
	}
	w.calls = append(w.calls, c)
	return c.err
}

func (w *world) read(ctx context.Context, _, journeyID, requestUUID string) (domain.Snapshot, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.record(ctx, call{name: "Reader.Read"}); err != nil {
		return domain.Snapshot{}, err
	}
	var s domain.Snapshot
	if w.journey != nil && w.journey.ID == journeyID {
		j := *w.journey
		s.Journey = &j
	}
	if r, ok := w.requests[requestUUID]; ok {
		s.Request = &r
	}
	return s, nil
}

// reject notes a message moved to the DLQ.
func (w *world) reject(ctx context.Context, msg events.SQSMessage) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.record(ctx, call{name: "DeadLetters.Reject"}); err != nil {
		return err
	}
	w.rejected = append(w.rejected, msg.MessageId)
	return nil
}

// abort aborts a request still enqueuing, as the store does.
func (w *world) abort(ctx context.Context, uuid string) (bool, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.record(ctx, call{name: "Requests.Abort"}); err != nil {
		return false, err
	}
	r, ok := w.requests[uuid]
	if !ok || r.State != domain.RequestEnqueuing {
		return false, nil
	}
	r.State = domain.RequestAborted
	w.requests[uuid] = r
	return true, nil
}

func (w *world) recordPart(ctx context.Context, uuid string, part int, result domain.PartResult) (domain.Request, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.record(ctx, call{name: "Requests.RecordPart"}); err != nil {
		return domain.Request{}, err
	}
	w.parts[part] = result
	r := w.requests[uuid]
	parts := map[string]domain.PartResult{domain.PartKey(part): result}
	for k, v := range r.PartResults {
		if k != domain.PartKey(part) {
			parts[k] = v
		}
	}
	r.PartResults = parts
	w.requests[uuid] = r
	return r, nil
}

// lookup returns the known accounts having one of ids or emails.
func (w *world) lookup(ctx context.Context, ids, emails []string) (domain.Accounts, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.record(ctx, call{name: "Accounts.Lookup"}); err != nil {
		return domain.Accounts{}, err
	}
	asked := map[string]bool{}
	for _, e := range emails {
		asked[domain.NormalizedEmail(e)] = true
	}
	out := domain.Accounts{ByID: map[string]domain.Account{}, ByEmail: map[string][]string{}}
	for _, a := range w.accounts {
		if slices.Contains(ids, a.ID) {
			out.ByID[a.ID] = a
		}
		for _, e := range a.Emails {
			if e = domain.NormalizedEmail(e); asked[e] {
				out.ByID[a.ID] = a
				out.ByEmail[e] = append(out.ByEmail[e], a.ID)
			}
		}
	}
	return out, nil
}

func (w *world) addNew(ctx context.Context, targets []domain.JourneyTarget) ([]domain.JourneyTarget, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.record(ctx, call{name: "Targets.AddNew", targets: slices.Clone(targets)}); err != nil {
		return nil, err
	}
	return targets, nil
}

func (w *world) put(ctx context.Context, _ int, records []domain.LoaderRecord) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.record(ctx, call{name: "Records.Put", records: slices.Clone(records)})
}

// names lists the calls made, in order.
func (w *world) names() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for _, c := range w.calls {
		out = append(out, c.name)
	}
	return out
}

// written are the journey targets and the records of the calls that
// succeeded (a failed call wrote nothing).
func (w *world) written() (added []domain.JourneyTarget, records []domain.LoaderRecord) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range w.calls {
		if c.err != nil {
			continue
		}
		added = append(added, c.targets...)
		records = append(records, c.records...)
	}
	return added, records
}

// checkTargetsBeforeRecords fails t when a record saying success was written
// before its account was added to the journey.
func (w *world) checkTargetsBeforeRecords(t *testing.T) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	added := map[string]bool{}
	for _, c := range w.calls {
		for _, jt := range c.targets {
			if c.err == nil {
				added[jt.JourneyID+"/"+jt.AccountID] = true
			}
		}
		for _, r := range c.records {
			if r.ProcessingStatus == domain.StatusSuccess && !added[r.Journey+"/"+r.Account] {
				t.Errorf("record %s says success before account %s was added to journey %s", r.ID, r.Account, r.Journey)
			}
		}
	}
}

// batches splits the first n targets of workload.Targets(accounts) into
// messages of per targets, parts of request requestUUID of journey J1.
func batches(t *testing.T, accounts []domain.Account, n, per int) []domain.Batch {
	t.Helper()
	targets, err := domain.DecodeTargets(workload.Body(accounts, 0, n))
	if err != nil {
		t.Fatal(err)
	}
	var out []domain.Batch
	for part := 0; part*per < n; part++ {
		out = append(out, domain.Batch{
			RequestUUID: requestUUID,
			JourneyID:   journeyID,
			Part:        part,
			ReceivedAt:  receivedAt,
			Targets:     targets[part*per : min((part+1)*per, n)],
		})
	}
	for i := range out {
		out[i].Parts = len(out)
	}
	return out
}

// event is the SQS event delivering batches as messages m0, m1, ... Like
// ingest, it records each batch's part on its request (count, digest), so
// the handler takes them for the parts that were queued.
func (w *world) event(t *testing.T, batches ...domain.Batch) events.SQSEvent {
	t.Helper()
	w.mu.Lock()
	for _, b := range batches {
		r, ok := w.requests[b.RequestUUID]
		if !ok {
			continue
		}
		r.Parts = b.Parts
		for len(r.PartDigests) < b.Parts {
			r.PartDigests = append(r.PartDigests, "")
		}
		r.PartDigests[b.Part] = domain.PartDigest(b.Targets)
		for _, target := range b.Targets {
			r.Accepted = max(r.Accepted, target.Index+1)
		}
		w.requests[b.RequestUUID] = r
	}
	w.mu.Unlock()
	var ev events.SQSEvent
	for i, b := range batches {
		body, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: fmt.Sprint("m", i), Body: string(body)})
	}
	return ev
}

// handle runs h on ev with a context that ends, like a function's, well after
// any test should be done.
func handle(t *testing.T, h *consumer.Handler, ev events.SQSEvent) (failed []string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	for _, f := range resp.BatchItemFailures {
		failed = append(failed, f.ItemIdentifier)
	}
	slices.Sort(failed)
	return failed
}

// outcome is what a record says of its target.
type outcome struct {
	Account string
	Outcome domain.MatchingOutcome
	Status  domain.ProcessingStatus
}

func outcomes(records []domain.LoaderRecord) map[int]outcome {
	out := map[int]outcome{}
	for _, r := range records {
		out[r.Index] = outcome{r.Account, r.MatchingOutcome, r.ProcessingStatus}
	}
	return out
}

func TestMatchesAddsTargetsThenWritesRecords(t *testing.T) {
	// GIVEN six targets in two messages: 0-3 name active accounts (even by
	// account_id, odd by email), 4 an inactive account, 5 an unknown one
	accounts := workload.Accounts(6)
	known := slices.Clone(accounts[:5])
	known[4].Status = domain.AccountInactive
	w := newWorld(known)
	bs := batches(t, accounts, 6, 3)

	// WHEN the consumer handles them
	failed := handle(t, w.handler(), w.event(t, bs...))

	// THEN every message succeeds, matched accounts join the journey before
	// any record is written, and every target has its record
	if len(failed) != 0 {
		t.Fatalf("failed messages %v; logs:\n%s", failed, w.logs.String())
	}
	w.checkTargetsBeforeRecords(t)
	added, records := w.written()
	var addedIDs []string
	for _, jt := range added {
		want := domain.JourneyTarget{JourneyID: journeyID, AccountID: jt.AccountID, AddedVia: domain.AddedViaAPI, SourceSystemID: jt.SourceSystemID, AddedAt: now, RequestUUID: requestUUID}
		if jt != want {
			t.Errorf("journey target %+v, want %+v", jt, want)
		}
		addedIDs = append(addedIDs, jt.AccountID)
	}
	slices.Sort(addedIDs)
	if want := []string{accounts[0].ID, accounts[1].ID, accounts[2].ID, accounts[3].ID}; !slices.Equal(addedIDs, want) {
		t.Errorf("accounts added %v, want %v", addedIDs, want)
	}
	want := map[int]outcome{
		0: {accounts[0].ID, domain.OutcomeMatchedAccountID, domain.StatusSuccess},
		1: {accounts[1].ID, domain.OutcomeMatchedEmail, domain.StatusSuccess},
		2: {accounts[2].ID, domain.OutcomeMatchedAccountID, domain.StatusSuccess},
		3: {accounts[3].ID, domain.OutcomeMatchedEmail, domain.StatusSuccess},
		4: {accounts[4].ID, domain.OutcomeMatchedAccountID, domain.StatusFailed},
		5: {"", domain.OutcomeNoMatch, domain.StatusFailed},
	}
	if diff := cmp.Diff(want, outcomes(records)); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}
	for _, r := range records {
		if r.ID != domain.RecordID(requestUUID, r.Index) || r.Journey != journeyID || !r.CreatedAt.Equal(receivedAt) || !r.ProcessedAt.Equal(now) {
			t.Errorf("record %+v", r)
		}
	}
	wantParts := map[int]domain.PartResult{
		0: {Targets: 3, ByStatus: map[domain.ProcessingStatus]int{domain.StatusSuccess: 3}, ByOutcome: map[domain.MatchingOutcome]int{domain.OutcomeMatchedAccountID: 2, domain.OutcomeMatchedEmail: 1}, ProcessedAt: now},
		1: {Targets: 3, ByStatus: map[domain.ProcessingStatus]int{domain.StatusSuccess: 1, domain.StatusFailed: 2}, ByOutcome: map[domain.MatchingOutcome]int{domain.OutcomeMatchedEmail: 1, domain.OutcomeMatchedAccountID: 1, domain.OutcomeNoMatch: 1}, ProcessedAt: now},
	}
	if diff := cmp.Diff(wantParts, w.parts); diff != "" {
		t.Errorf("part results (-want +got):\n%s", diff)
	}
}

func TestRedeliveredMessageRewritesTheSameItems(t *testing.T) {
	// GIVEN a message handled once
	accounts := workload.Accounts(4)
	w := newWorld(accounts)
	ev := w.event(t, batches(t, accounts, 4, 4)...)
	h := w.handler()
	if failed := handle(t, h, ev); len(failed) != 0 {
		t.Fatalf("first delivery failed: %v", failed)
	}
	firstAdded, firstRecords := w.written()

	// WHEN it is delivered again
	w.calls = nil
	if failed := handle(t, h, ev); len(failed) != 0 {
		t.Fatalf("second delivery failed: %v", failed)
	}

	// THEN it writes the same journey targets and records (same keys)
	added, records := w.written()
	if diff := cmp.Diff(firstAdded, added); diff != "" {
		t.Errorf("journey targets differ (-first +second):\n%s", diff)
	}
	if diff := cmp.Diff(firstRecords, records); diff != "" {
		t.Errorf("records differ (-first +second):\n%s", diff)
	}
}

func TestJourneyEndedOrGoneMarksEveryTargetNotAttempted(t *testing.T) {
	tests := []struct {
		name       string
		journey    *domain.Journey
		wantReason string
	}{
		{
			name:       "journey ended",
			journey:    &domain.Journey{ID: journeyID, Name: "Over", EndDate: "2026-05-31"},
			wantReason: "Journey J1 ended on 2026-05-31 before this target was processed",
		},
		{
			name:       "journey no longer exists",
			journey:    nil,
			wantReason: "Journey J1 does not exist",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN a message of a journey that has ended or is gone
			accounts := workload.Accounts(4)
			w := newWorld(accounts)
			w.journey = tt.journey

			// WHEN the consumer handles it
			failed := handle(t, w.handler(), w.event(t, batches(t, accounts, 4, 4)...))

			// THEN the message succeeds with every record not attempted, and
			// no account is looked up or added to the journey
			if len(failed) != 0 {
				t.Fatalf("failed messages %v", failed)
			}
			if got, want := w.names(), []string{"Reader.Read", "Records.Put", "Requests.RecordPart"}; !slices.Equal(got, want) {
				t.Errorf("calls %v, want %v", got, want)
			}
			_, records := w.written()
			if len(records) != 4 {
				t.Fatalf("%d records, want 4", len(records))
			}
			for _, r := range records {
				if r.MatchingOutcome != domain.OutcomeNotAttempted || r.ProcessingStatus != domain.StatusFailed || r.Account != "" || r.FailureReason != tt.wantReason {
					t.Errorf("record %d: %s %s %q %q", r.Index, r.MatchingOutcome, r.ProcessingStatus, r.Account, r.FailureReason)
				}
			}
			if p := w.parts[0]; p.Targets != 4 || p.ByOutcome[domain.OutcomeNotAttempted] != 4 || p.ByStatus[domain.StatusFailed] != 4 {
				t.Errorf("part result %+v", p)
			}
		})
	}
}

func TestJourneyEndingTodayIsStillMatched(t *testing.T) {
	// GIVEN a journey whose last day is today
	accounts := workload.Accounts(2)
	w := newWorld(accounts)
	w.journey.EndDate = now.Format(domain.DateLayout)

	// WHEN a message of it is handled THEN its targets are matched and added
	if failed := handle(t, w.handler(), w.event(t, batches(t, accounts, 2, 2)...)); len(failed) != 0 {
		t.Fatalf("failed messages %v", failed)
	}
	added, records := w.written()
	if len(added) != 2 || len(records) != 2 || records[0].ProcessingStatus != domain.StatusSuccess {
		t.Errorf("added %d, records %+v", len(added), records)
	}
}

func TestOnlyTheFailedMessageIsReported(t *testing.T) {
	// GIVEN three messages, and writing the records of the second (part 1) fails
	accounts := workload.Accounts(9)
	w := newWorld(accounts)
	h := w.handlerFailingRecordsOf(1)

	// WHEN the consumer handles them
	failed := handle(t, h, w.event(t, batches(t, accounts, 9, 3)...))

	// THEN only that message is reported for redelivery; the others are done
	if want := []string{"m1"}; !slices.Equal(failed, want) {
		t.Fatalf("failed messages %v, want %v", failed, want)
	}
	if _, ok := w.parts[1]; ok || len(w.parts) != 2 {
		t.Errorf("parts recorded: %v, want 0 and 2", w.parts)
	}
	_, records := w.written()
	if len(records) != 6 {
		t.Errorf("%d records written, want 6", len(records))
	}
	if !strings.Contains(w.logs.String(), errBoom.Error()) {
		t.Errorf("the failure is not logged:\n%s", w.logs.String())
	}
	w.checkTargetsBeforeRecords(t)
}

func TestAJourneysMessagesStopAtItsFirstFailure(t *testing.T) {
	// GIVEN three messages of the journey's FIFO group, and a fourth without
	// a group (as a standard queue delivers), and writing the records of
	// part 1 fails
	accounts := workload.Accounts(12)
	w := newWorld(accounts)
	h := w.handlerFailingRecordsOf(1)
	ev := w.event(t, batches(t, accounts, 12, 3)...)
	for i := range 3 {
		ev.Records[i].Attributes = map[string]string{"MessageGroupId": journeyID}
	}

	// WHEN the consumer handles them
	failed := handle(t, h, ev)

	// THEN part 1 fails and so does part 2, after it in the journey's group,
	// without being processed: it must not run ahead of part 1
	if want := []string{"m1", "m2"}; !slices.Equal(failed, want) {
		t.Fatalf("failed messages %v, want %v", failed, want)
	}
	if _, ok := w.parts[2]; ok {
		t.Error("part 2 was processed after part 1 of its group failed")
	}
	// AND the message outside the group is done
	if _, ok := w.parts[3]; !ok || len(w.parts) != 2 {
		t.Errorf("parts recorded: %v, want 0 and 3", w.parts)
	}
}

func TestMalformedMessageFailsAlone(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty", ""},
		{"not JSON", "not json"},
		{"a JSON array", `[{"request_uuid":"u"}]`},
		{"no request_uuid", `{"journey_id":"J1","part":0,"targets":[]}`},
		{"no journey_id", `{"request_uuid":"` + requestUUID + `","part":0,"targets":[]}`},
		{"targets not a list", `{"request_uuid":"` + requestUUID + `","journey_id":"J1","targets":{}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN a malformed message next to a good one
			accounts := workload.Accounts(1)
			w := newWorld(accounts)
			ev := w.event(t, batches(t, accounts, 1, 1)...)
			ev.Records = append([]events.SQSMessage{{MessageId: "bad", Body: tt.body}}, ev.Records...)

			// WHEN the consumer handles them
			failed := handle(t, w.handler(), ev)

			// THEN the malformed one is moved to the DLQ at once without
			// touching any other port, and the good one is processed
			if len(failed) != 0 || !slices.Equal(w.rejected, []string{"bad"}) {
				t.Fatalf("failed messages %v, moved to the DLQ %v; want none, [bad]", failed, w.rejected)
			}
			got := w.names()
			got = slices.DeleteFunc(got, func(n string) bool { return n == "DeadLetters.Reject" })
			if !slices.Equal(got, []string{"Reader.Read", "Accounts.Lookup", "Targets.AddNew", "Records.Put", "Requests.RecordPart"}) || len(w.names()) != 6 {
				t.Errorf("calls %v: only the good message's and the move", got)
			}
		})
	}
}

func TestAbortedRequestsMessageIsDropped(t *testing.T) {
	// GIVEN a message of a request ingest aborted
	accounts := workload.Accounts(2)
	w := newWorld(accounts)
	r := w.requests[requestUUID]
	r.State = domain.RequestAborted
	w.requests[requestUUID] = r

	// WHEN the consumer handles it
	failed := handle(t, w.handler(), w.event(t, batches(t, accounts, 2, 2)...))

	// THEN it is acknowledged and nothing is written
	if len(failed) != 0 {
		t.Errorf("failed messages %v, want none", failed)
	}
	if got := w.names(); !slices.Equal(got, []string{"Reader.Read"}) {
		t.Errorf("calls %v, want only the read", got)
	}
}

func TestRequestStillEnqueuing(t *testing.T) {
	accounts := workload.Accounts(2)
	enqueuing := func(w *world, received time.Time) {
		r := w.requests[requestUUID]
		r.State, r.ReceivedAt = domain.RequestEnqueuing, received
		w.requests[requestUUID] = r
	}
	processed := []string{"Accounts.Lookup", "Targets.AddNew", "Records.Put", "Requests.RecordPart"}

	t.Run("queued while waiting: processed", func(t *testing.T) {
		// GIVEN a request ingest marks queued after the consumer's first read
		w := newWorld(accounts)
		enqueuing(w, receivedAt)
		h := w.handler()
		h.Reader = fakes.Reader{ReadFunc: func(ctx context.Context, hash, j, u string) (domain.Snapshot, error) {
			s, err := w.read(ctx, hash, j, u)
			w.mu.Lock()
			r := w.requests[requestUUID]
			r.State = domain.RequestQueued
			w.requests[requestUUID] = r
			w.mu.Unlock()
			return s, err
		}}

		// WHEN its message is handled THEN it waits, re-reads and processes it
		if failed := handle(t, h, w.event(t, batches(t, accounts, 2, 2)...)); len(failed) != 0 {
			t.Fatalf("failed messages %v", failed)
		}
		if got, want := w.names(), append([]string{"Reader.Read", "Reader.Read"}, processed...); !slices.Equal(got, want) {
			t.Errorf("calls %v, want %v", got, want)
		}
	})

	t.Run("past EnqueueWait: retried later", func(t *testing.T) {
		// GIVEN a request still enqueuing, and a clock that moves a second a reading
		w := newWorld(accounts)
		enqueuing(w, now)
		h := w.handler()
		var mu sync.Mutex
		clock := now
		h.Now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			clock = clock.Add(time.Second)
			return clock
		}
		h.EnqueueWait = 3 * time.Second
		b := batches(t, accounts, 2, 2)

		// WHEN its message is handled
		failed := handle(t, h, w.event(t, b...))

		// THEN it polls until EnqueueWait, then fails for redelivery without
		// aborting the request or writing anything
		if want := []string{"m0"}; !slices.Equal(failed, want) {
			t.Fatalf("failed messages %v, want %v", failed, want)
		}
		if got := w.names(); len(got) < 2 || slices.ContainsFunc(got, func(n string) bool { return n != "Reader.Read" }) {
			t.Errorf("calls %v, want only re-reads", got)
		}
		if err := h.Process(t.Context(), b[0]); !errors.Is(err, consumer.ErrRequestEnqueuing) {
			t.Errorf("Process() = %v, want ErrRequestEnqueuing", err)
		}
	})

	t.Run("stale: aborted and dropped", func(t *testing.T) {
		// GIVEN a request enqueuing for longer than domain.EnqueueTimeout: its ingest call died
		w := newWorld(accounts)
		enqueuing(w, now.Add(-domain.EnqueueTimeout-time.Second))

		// WHEN its message is handled
		failed := handle(t, w.handler(), w.event(t, batches(t, accounts, 2, 2)...))

		// THEN the consumer aborts it, re-reads it and drops the message
		if len(failed) != 0 {
			t.Errorf("failed messages %v, want none", failed)
		}
		if got, want := w.names(), []string{"Reader.Read", "Requests.Abort", "Reader.Read"}; !slices.Equal(got, want) {
			t.Errorf("calls %v, want %v", got, want)
		}
		if s := w.requests[requestUUID].State; s != domain.RequestAborted {
			t.Errorf("request state %s, want aborted", s)
		}
	})

	t.Run("stale, but queued just before the abort: processed", func(t *testing.T) {
		// GIVEN a stale request that ingest marks queued just before the consumer's abort
		w := newWorld(accounts)
		enqueuing(w, now.Add(-domain.EnqueueTimeout-time.Second))
		h := w.handler()
		h.Requests = fakes.Requests{
			AbortFunc: func(ctx context.Context, uuid string) (bool, error) {
				w.mu.Lock()
				r := w.requests[uuid]
				r.State = domain.RequestQueued
				w.requests[uuid] = r
				w.mu.Unlock()
				return w.abort(ctx, uuid)
			},
			RecordPartFunc: w.recordPart,
		}

		// WHEN its message is handled THEN the abort changes nothing and the message is processed
		if failed := handle(t, h, w.event(t, batches(t, accounts, 2, 2)...)); len(failed) != 0 {
			t.Fatalf("failed messages %v", failed)
		}
		if got, want := w.names(), append([]string{"Reader.Read", "Requests.Abort", "Reader.Read"}, processed...); !slices.Equal(got, want) {
			t.Errorf("calls %v, want %v", got, want)
		}
	})
}

func TestPortErrorsFailTheMessage(t *testing.T) {
	read := []string{"Reader.Read"}
	tests := []struct {
		name    string
		given   func(w *world)
		wantErr error
		// wantCalls are the port calls made, the last one failing.
		wantCalls []string
	}{
		{
			name:      "Reader.Read",
			given:     func(w *world) { w.fail["Reader.Read"] = errBoom },
			wantErr:   errBoom,
			wantCalls: read,
		},
		{
			// No such request: the message goes to the DLQ at once, unless
			// that move fails.
			name: "request record missing, and the DLQ refuses the move",
			given: func(w *world) {
				delete(w.requests, requestUUID)
				w.fail["DeadLetters.Reject"] = errBoom
			},
			wantCalls: append(slices.Clone(read), "DeadLetters.Reject"),
		},
		{
			name: "Requests.Abort",
			given: func(w *world) {
				r := w.requests[requestUUID]
				r.State, r.ReceivedAt = domain.RequestEnqueuing, now.Add(-domain.EnqueueTimeout-time.Second)
				w.requests[requestUUID] = r
				w.fail["Requests.Abort"] = errBoom
			},
			wantErr:   errBoom,
			wantCalls: []string{"Reader.Read", "Requests.Abort"},
		},
		{
			name:      "Accounts.Lookup",
			given:     func(w *world) { w.fail["Accounts.Lookup"] = errBoom },
			wantErr:   errBoom,
			wantCalls: []string{"Reader.Read", "Accounts.Lookup"},
		},
		{
			name:      "Targets.AddNew",
			given:     func(w *world) { w.fail["Targets.AddNew"] = errBoom },
			wantErr:   errBoom,
			wantCalls: []string{"Reader.Read", "Accounts.Lookup", "Targets.AddNew"},
		},
		{
			name:      "Records.Put",
			given:     func(w *world) { w.fail["Records.Put"] = errBoom },
			wantErr:   errBoom,
			wantCalls: []string{"Reader.Read", "Accounts.Lookup", "Targets.AddNew", "Records.Put"},
		},
		{
			name:      "Requests.RecordPart",
			given:     func(w *world) { w.fail["Requests.RecordPart"] = errBoom },
			wantErr:   errBoom,
			wantCalls: []string{"Reader.Read", "Accounts.Lookup", "Targets.AddNew", "Records.Put", "Requests.RecordPart"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN a message whose processing meets the failure
			accounts := workload.Accounts(2)
			w := newWorld(accounts)
			tt.given(w)
			b := batches(t, accounts, 2, 2)
			h := w.handler()

			// WHEN the consumer handles it
			failed := handle(t, h, w.event(t, b...))

			// THEN the message is reported for redelivery, nothing after the
			// failing call is attempted, and no record says success before its
			// journey target exists
			if want := []string{"m0"}; !slices.Equal(failed, want) {
				t.Fatalf("failed messages %v, want %v", failed, want)
			}
			if got := w.names(); !slices.Equal(got, tt.wantCalls) {
				t.Errorf("calls %v, want %v", got, tt.wantCalls)
			}
			w.checkTargetsBeforeRecords(t)
			if !strings.Contains(w.logs.String(), "will be redelivered") {
				t.Errorf("the failure is not logged:\n%s", w.logs.String())
			}
			if tt.wantErr != nil {
				if err := h.Process(t.Context(), b[0]); !errors.Is(err, tt.wantErr) {
					t.Errorf("Process() = %v, want %v", err, tt.wantErr)
				}
			}
		})
	}
}

func TestDeadlineMarginLeavesUnfinishedMessagesForRedelivery(t *testing.T) {
	const margin = 3 * time.Second
	accounts := workload.Accounts(3)

	// given is a world with m0 of a queued request, and m1, m2 of a request
	// still enqueuing that would be waited for an hour.
	given := func(t *testing.T) (*world, *consumer.Handler, events.SQSEvent, *[]time.Time) {
		w := newWorld(accounts)
		const waiting = "0b5c3a9e-2222-4000-8000-000000000002"
		w.requests[waiting] = domain.Request{UUID: waiting, JourneyID: journeyID, State: domain.RequestEnqueuing, ReceivedAt: now}
		bs := batches(t, accounts, 3, 1)
		bs[1].RequestUUID, bs[2].RequestUUID = waiting, waiting
		h := w.handler()
		h.DeadlineMargin, h.EnqueueWait, h.EnqueuePoll = margin, time.Hour, time.Hour
		var deadlines []time.Time
		h.Reader = fakes.Reader{ReadFunc: func(ctx context.Context, hash, j, u string) (domain.Snapshot, error) {
			d, _ := ctx.Deadline()
			w.mu.Lock()
			deadlines = append(deadlines, d)
			w.mu.Unlock()
			return w.read(ctx, hash, j, u)
		}}
		return w, h, w.event(t, bs...), &deadlines
	}

	t.Run("deadline closer than the margin", func(t *testing.T) {
		// GIVEN a function deadline a second away, inside the margin
		w, h, ev, _ := given(t)
		deadline := time.Now().Add(time.Second)
		ctx, cancel := context.WithDeadline(t.Context(), deadline)
		defer cancel()

		// WHEN the consumer handles the messages
		resp, err := h.Handle(ctx, ev)

		// THEN it returns at once, every message reported failed, nothing written
		if err != nil || time.Now().After(deadline) {
			t.Fatalf("Handle returned %v at %v, deadline %v", err, time.Now(), deadline)
		}
		if len(resp.BatchItemFailures) != 3 {
			t.Errorf("failures %v, want all 3 messages", resp.BatchItemFailures)
		}
		if _, records := w.written(); len(records) != 0 {
			t.Errorf("%d records written after the margin", len(records))
		}
	})

	t.Run("deadline beyond the margin", func(t *testing.T) {
		// GIVEN a function deadline half a second past the margin
		w, h, ev, deadlines := given(t)
		deadline := time.Now().Add(margin + 500*time.Millisecond)
		ctx, cancel := context.WithDeadline(t.Context(), deadline)
		defer cancel()

		// WHEN the consumer handles the messages
		resp, err := h.Handle(ctx, ev)

		// THEN m0 is processed; m1 and m2, still waiting when the margin
		// starts, are reported failed well before the function's deadline
		if err != nil || !time.Now().Before(deadline.Add(-margin/2)) {
			t.Fatalf("Handle returned %v at %v, deadline %v", err, time.Now(), deadline)
		}
		var failed []string
		for _, f := range resp.BatchItemFailures {
			failed = append(failed, f.ItemIdentifier)
		}
		slices.Sort(failed)
		if want := []string{"m1", "m2"}; !slices.Equal(failed, want) {
			t.Errorf("failed messages %v, want %v; logs:\n%s", failed, want, w.logs.String())
		}
		if _, records := w.written(); len(records) != 1 || records[0].Index != 0 {
			t.Errorf("records %+v, want m0's only", records)
		}
		for _, d := range *deadlines {
			if !d.Equal(deadline.Add(-margin)) {
				t.Errorf("a port saw deadline %v, want %v (the function's less the margin)", d, deadline.Add(-margin))
			}
		}
	})
}

// A message that is not a part queued for its request writes nothing, is
// logged as rejected and moved to the DLQ at once, so that it does not hold
// up its journey's FIFO message group; if that move fails, it is reported
// failed, to be tried again.
func TestForgedMessageWritesNothing(t *testing.T) {
	accounts := workload.Accounts(4)
	edits := map[string]func(b *domain.Batch){
		"another journey":          func(b *domain.Batch) { b.JourneyID = "J2" },
		"an edited target":         func(b *domain.Batch) { b.Targets[0].AccountID = accounts[3].ID },
		"an index beyond":          func(b *domain.Batch) { b.Targets[1].Index = 7 },
		"a part the request lacks": func(b *domain.Batch) { b.Part, b.Parts = 1, 2 },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			// GIVEN a request whose one queued part is edited on its way
			w := newWorld(accounts)
			queued := batches(t, accounts, 2, 2)
			w.event(t, queued...)
			forged := queued[0]
			forged.Targets = slices.Clone(forged.Targets)
			edit(&forged)
			body, err := json.Marshal(forged)
			if err != nil {
				t.Fatal(err)
			}
			ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "forged", Body: string(body)}}}

			// WHEN the consumer handles it, and the DLQ refuses it the first time
			w.fail["DeadLetters.Reject"] = errBoom
			failed := handle(t, w.handler(), ev)
			// THEN it fails, to be tried again
			if !slices.Equal(failed, []string{"forged"}) {
				t.Fatalf("failed %v while the DLQ refused it", failed)
			}
			// AND on its next delivery it is moved to the DLQ and leaves the queue
			delete(w.fail, "DeadLetters.Reject")
			if failed := handle(t, w.handler(), ev); len(failed) != 0 || !slices.Equal(w.rejected, []string{"forged"}) {
				t.Fatalf("failed %v, moved %v", failed, w.rejected)
			}
			// AND it only ever read the request
			if got := w.names(); slices.ContainsFunc(got, func(n string) bool { return n != "Reader.Read" && n != "DeadLetters.Reject" }) {
				t.Errorf("calls %v, want reads only", got)
			}
			if !strings.Contains(w.logs.String(), "message rejected") {
				t.Errorf("not logged as rejected:\n%s", w.logs.String())
			}
		})
	}
}
