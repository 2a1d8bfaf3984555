package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/faultinject"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

// Every message is delivered twice in sequence, then twice at once in the
// same batch shape, then each message to two concurrent invocations on its
// own: SQS's at-least-once delivery with overlapping Lambda invocations.
func TestEveryMessageDeliveredTwiceAlsoConcurrently(t *testing.T) {
	e := newEnv(t, faults{})
	e.seed(30)
	acc := accepted{}
	for i := range 3 {
		e.postOK(acc, e.targets(40, i*7)) // overlapping accounts across requests
	}
	// A request split into several messages, every target the same account.
	long := strings.Repeat("x", 120)
	big := make([]map[string]any, 500)
	for i := range big {
		big[i] = map[string]any{"source_system_id": fmt.Sprintf("%s-%03d", long, i), "account_id": "A001",
			"email": fmt.Sprintf("%s%03d@example.com", strings.Repeat("e", 230), i), "first_name": strings.Repeat("F", 100), "last_name": strings.Repeat("L", 100)}
	}
	e.postOK(acc, big)
	msgs := e.receiveAll(time.Minute)
	if len(msgs) < 5 {
		t.Fatalf("queued %d messages, want at least 5", len(msgs))
	}
	testenv.Handle(e.t, e.consumer, msgs)
	testenv.Handle(e.t, e.consumer, msgs)
	concurrently(2, func(int) { testenv.Handle(e.t, e.consumer, msgs) })
	concurrently(2*len(msgs), func(i int) { testenv.Handle(e.t, e.consumer, []events.SQSMessage{msgs[i/2]}) })
	e.assertExactlyOnce(acc)
}

// The very first delivery is two concurrent invocations, before anything of
// the request exists in the tables.
func TestFirstDeliveryIsConcurrent(t *testing.T) {
	e := newEnv(t, faults{})
	e.seed(20)
	acc := accepted{}
	for i := range 4 {
		e.postOK(acc, e.targets(25, i))
	}
	msgs := e.receiveAll(time.Minute)
	concurrently(3, func(int) { testenv.Handle(e.t, e.consumer, msgs) })
	e.assertExactlyOnce(acc)
}

// The consumer is cut off mid-batch, at many points, by its deadline and by
// a DynamoDB call that hangs until the deadline; each time the messages are
// redelivered. Partial writes of a cut-off run must never turn into a
// second record or a second journey target.
func TestConsumerCutOffMidBatchThenRedelivered(t *testing.T) {
	e := newEnv(t, faults{})
	e.seed(30)
	acc := accepted{}
	for i := range 3 {
		e.postOK(acc, e.targets(60, i*11))
	}
	msgs := e.receiveAll(time.Minute)
	cut := *e.consumer
	cut.DeadlineMargin = 0
	cuts := 0
	for _, d := range []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 8 * time.Millisecond, 12 * time.Millisecond, 20 * time.Millisecond, 30 * time.Millisecond, 50 * time.Millisecond} {
		c, cancel := context.WithTimeout(ctx(), d)
		resp, err := cut.Handle(c, events.SQSEvent{Records: msgs})
		cancel()
		if err != nil {
			t.Fatalf("handler error: %v", err)
		}
		cuts += len(resp.BatchItemFailures)
	}
	// A dependency that hangs after n calls, until the function's deadline.
	for _, n := range []int{1, 2, 3, 4, 6, 9, 13} {
		stalled := e.consumerWith(faultinject.New(nil, uint64(n), faultinject.Rule{StallAfter: n}))
		stalled.DeadlineMargin = 0
		c, cancel := context.WithTimeout(ctx(), 300*time.Millisecond)
		resp, err := stalled.Handle(c, events.SQSEvent{Records: msgs})
		cancel()
		if err != nil {
			t.Fatalf("handler error: %v", err)
		}
		cuts += len(resp.BatchItemFailures)
	}
	if cuts == 0 {
		t.Fatal("no invocation was cut off; the test proves nothing")
	}
	t.Logf("%d message invocations were cut off", cuts)
	// The final, complete redelivery.
	testenv.Handle(e.t, e.consumer, msgs)
	e.assertExactlyOnce(acc)
}

// Two requests submit the same new account and are processed at the same
// time: each reads that the account is not yet a journey target, then
// writes it. The hook makes request 2 finish entirely inside request 1's
// window between that read and its write. The account must stay the target
// request 2 added (PRODUCT.md §4.6: an existing target "stays as it was").
// Every round uses a fresh account.
func TestConcurrentRequestsAddingTheSameAccount(t *testing.T) {
	const rounds = 10
	e := newEnv(t, faults{})
	e.seed(rounds)
	acc := accepted{}
	for round := range rounds {
		account := e.shorts[round].ID
		r1 := e.postOK(acc, []map[string]any{{"source_system_id": "from-r1", "account_id": account}})
		r2 := e.postOK(acc, []map[string]any{{"source_system_id": "from-r2", "account_id": account}})
		first, second := splitByRequest(e.receiveAll(time.Minute), r1)
		e.raceJourneyTargetWrite(first, second)
		if jt := e.journeyTarget(account); jt.RequestUUID != r2 || jt.SourceSystemID != "from-r2" {
			t.Errorf("round %d: the journey target request 2 added first was overwritten by request 1: %+v", round, jt)
		}
	}
	e.assertExactlyOnce(acc)
}

// The same race between two parts of one request: a 500-target request
// split into several messages, every target the same new account. Part 0
// reads, part 1 adds the account entirely in the meantime, then part 0
// writes: the target keeps part 1's source system.
func TestConcurrentPartsOfOneRequestAddingTheSameAccount(t *testing.T) {
	const rounds = 3
	e := newEnv(t, faults{})
	e.seed(rounds)
	acc := accepted{}
	for round := range rounds {
		body := bigBody(1)
		for i := range body {
			body[i]["account_id"] = e.shorts[round].ID
		}
		e.postOK(acc, body)
		msgs := e.receiveAll(time.Minute)
		if len(msgs) < 2 {
			t.Fatalf("the request was queued as %d message(s); the test needs parts", len(msgs))
		}
		// The part whose write is delayed, and the ones that add the account in the meantime.
		var first, second []events.SQSMessage
		var secondSource string
		for _, m := range msgs {
			var b domain.Batch
			if err := json.Unmarshal([]byte(m.Body), &b); err != nil {
				t.Fatal(err)
			}
			switch b.Part {
			case 0:
				first = append(first, m)
			case 1:
				second = append(second, m)
				secondSource = b.Targets[0].SourceSystemID
			default:
				second = append(second, m)
			}
		}
		e.raceJourneyTargetWrite(first, second)
		if jt := e.journeyTarget(e.shorts[round].ID); jt.SourceSystemID != secondSource {
			t.Errorf("round %d: the journey target part 1 added first was overwritten by part 0: source system %.20q…, want %.20q…", round, jt.SourceSystemID, secondSource)
		}
	}
	e.assertExactlyOnce(acc)
}

// Without hooks: in each round several requests add the same new accounts,
// their messages processed by concurrent invocations while a watcher reads
// the target list. Whatever a target held when the watcher first saw it,
// it still holds at the end: nobody rewrites a target once it exists.
func TestConcurrentAddsNeverRewriteATarget(t *testing.T) {
	const rounds, requests, perRound = 8, 4, 5
	e := newEnv(t, faults{})
	e.seed(rounds * perRound)
	acc := accepted{}
	for round := range rounds {
		accounts := e.shorts[round*perRound : (round+1)*perRound]
		for r := range requests {
			body := make([]map[string]any, len(accounts))
			for i, a := range accounts {
				body[i] = map[string]any{"source_system_id": fmt.Sprintf("round%d-request%d", round, r), "account_id": a.ID}
			}
			e.postOK(acc, body)
		}
		msgs := e.receiveAll(time.Minute)

		firstSeen := map[string]domain.JourneyTarget{}
		stop := make(chan struct{})
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			for {
				for _, jt := range e.journeyTargets() {
					if _, ok := firstSeen[jt.AccountID]; !ok {
						firstSeen[jt.AccountID] = jt
					}
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		}()
		concurrently(len(msgs), func(i int) { testenv.Handle(e.t, e.consumer, msgs[i:i+1]) })
		close(stop)
		<-watched

		final := map[string]domain.JourneyTarget{}
		for _, jt := range e.journeyTargets() {
			final[jt.AccountID] = jt
		}
		for _, a := range accounts {
			seen, ok := firstSeen[a.ID]
			if !ok {
				t.Errorf("round %d: account %s is not a journey target", round, a.ID)
				continue
			}
			if got := final[a.ID]; got != seen {
				t.Errorf("round %d: account %s was rewritten after it was added:\nfirst %+v\nlast  %+v", round, a.ID, seen, got)
			}
		}
	}
	e.assertExactlyOnce(acc)
}

// raceJourneyTargetWrite handles first with a consumer whose first write
// to the journey target list is held until second has been handled
// completely by another consumer: second adds the account between first's
// read and first's write.
func (e *env) raceJourneyTargetWrite(first, second []events.SQSMessage) {
	e.t.Helper()
	var once sync.Once
	race := faultinject.New(nil, 1, faultinject.Rule{
		Match:        "DynamoDB_20120810.PutItem",
		BodyContains: e.stack.Env["JOURNEY_TARGETS_TABLE"],
		Before:       func(*http.Request) { once.Do(func() { testenv.Handle(e.t, e.consumer, second) }) },
	})
	testenv.Handle(e.t, e.consumerWith(race), first)
	if race.Attempts()["DynamoDB_20120810.PutItem"] == 0 {
		e.t.Fatal("the delayed consumer never wrote a journey target: the race did not happen")
	}
}

// splitByRequest splits messages into those of request uuid and the others.
func splitByRequest(msgs []events.SQSMessage, uuid string) (of, others []events.SQSMessage) {
	for _, m := range msgs {
		if strings.Contains(m.Body, uuid) {
			of = append(of, m)
		} else {
			others = append(others, m)
		}
	}
	return of, others
}

func (e *env) journeyTarget(accountID string) domain.JourneyTarget {
	e.t.Helper()
	for _, jt := range e.journeyTargets() {
		if jt.AccountID == accountID {
			return jt
		}
	}
	e.t.Fatalf("account %s is not a journey target", accountID)
	return domain.JourneyTarget{}
}
