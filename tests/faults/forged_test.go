package faults

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

// The review's finding: a message naming one request but another journey
// added accounts to that other journey, rewrote a record of the request and
// added a record beyond its accepted count. Anyone who can send to the
// queue, or redrive an edited message from the DLQ, could do it. Now every
// message is checked against its request (journey, part, indexes and the
// digest of the part's targets recorded at ingest): a forged one writes
// nothing, fails every delivery and ends in the DLQ, and the genuine
// message is processed as if nothing happened.
func TestForgedMessagesWriteNothingAndReachTheDLQ(t *testing.T) {
	e := newEnv(t, faults{})
	logs := &testenv.SyncBuffer{}
	e.log = testenv.Logger(t, 0, logs)
	e.consumer = e.consumerWith(nil)
	e.seed(10)
	e.stack.PutJourney(t, domain.Journey{ID: "J2", Name: "Another journey"})
	acc := accepted{}
	r1 := e.postOK(acc, []map[string]any{
		{"source_system_id": "s0", "account_id": "A000"},
		{"source_system_id": "s1", "account_id": "A001"},
		{"source_system_id": "s2", "email": "a002@example.com"},
	})
	genuine := e.receiveAll()
	if len(genuine) != 1 {
		t.Fatalf("%d messages queued, want 1", len(genuine))
	}
	var b domain.Batch
	if err := json.Unmarshal([]byte(genuine[0].Body), &b); err != nil || b.RequestUUID != r1 {
		t.Fatalf("queued message %s: %v", genuine[0].Body, err)
	}

	forge := func(edit func(b *domain.Batch)) string {
		f := b
		f.Targets = append([]domain.Target(nil), b.Targets...)
		edit(&f)
		out, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	forged := []string{
		forge(func(f *domain.Batch) { f.JourneyID = "J2" }),
		forge(func(f *domain.Batch) { f.Targets[0].SourceSystemID, f.Targets[0].AccountID = "evil", "A005" }),
		forge(func(f *domain.Batch) {
			f.Targets = append(f.Targets, domain.Target{Index: 3, SourceSystemID: "extra", AccountID: "A006"})
		}),
		forge(func(f *domain.Batch) { f.Part, f.Parts = 1, 2 }),
		forge(func(f *domain.Batch) { f.JourneyID = strings.Repeat("J", 10_000) }),
	}
	for _, body := range forged {
		e.sendRaw(body)
	}
	e.requeue(genuine)
	e.drain(e.consumer.Handle)

	e.assertExactlyOnce(acc)
	for _, r := range e.allRecords() {
		if want := b.Targets[r.Index].SourceSystemID; r.SourceSystemID != want || r.Journey != "J1" {
			t.Errorf("record %d: journey %s, source system %q; want J1, %q", r.Index, r.Journey, r.SourceSystemID, want)
		}
	}
	for _, jt := range e.journeyTargets() {
		if jt.RequestUUID != r1 || !strings.HasPrefix(jt.SourceSystemID, "s") {
			t.Errorf("journey target %+v was not added by the genuine message", jt)
		}
	}
	if other, _, err := e.stack.JourneyTargets().List(ctx(), "J2", "", 0); err != nil || len(other) != 0 {
		t.Errorf("journey J2 has %d target(s) (%v): a forged message added them", len(other), err)
	}
	moved := e.dlqMessages()
	if len(moved) != len(forged) {
		t.Errorf("%d message(s) on the DLQ, want the %d forged ones", len(moved), len(forged))
	}
	for _, m := range moved {
		if aws.ToString(m.Body) == genuine[0].Body {
			t.Error("the genuine message reached the DLQ")
		}
	}
	if n := strings.Count(logs.String(), "message rejected: it does not match its request"); n < 4 {
		t.Errorf("%d rejections logged, want one per delivery of each forged batch", n)
	}
}
