package faults

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/local/poller"
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
	msgs := e.receiveAll()
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
	msgs := e.receiveAll()
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
	msgs := e.receiveAll()
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

// Two requests submit the same new account, and the consumer runs through
// the FIFO targets queue as the event source mapping does. While the first
// delivery holds its journey-target write, a second poller polls: the
// queue, grouped by journey, hands it nothing of that journey, so no second
// consumer can read the account as absent in the meantime. The account
// stays the target request 1, queued first, added (PRODUCT.md §4.6: an
// existing target "stays as it was"). Every round uses a fresh account;
// pollers take one message at a time (each message its own invocation) or
// ten (a journey's messages in one invocation, one after another).
func TestConcurrentRequestsAddingTheSameAccount(t *testing.T) {
	const rounds = 10
	e := newEnv(t, faults{})
	e.seed(rounds)
	acc := accepted{}
	for round := range rounds {
		account := e.shorts[round].ID
		r1 := e.postOK(acc, []map[string]any{{"source_system_id": "from-r1", "account_id": account}})
		e.postOK(acc, []map[string]any{{"source_system_id": "from-r2", "account_id": account}})
		e.raceThroughTheQueue(int32(1 + 9*(round%2)))
		if jt := e.journeyTarget(account); jt.RequestUUID != r1 || jt.SourceSystemID != "from-r1" {
			t.Errorf("round %d: the journey target request 1 added first was replaced: %+v", round, jt)
		}
	}
	e.assertExactlyOnce(acc)
}

// The same between the parts of one request: a 500-target request split
// into several messages, every target the same new account. The target
// keeps part 0's source system.
func TestConcurrentPartsOfOneRequestAddingTheSameAccount(t *testing.T) {
	const rounds = 4
	e := newEnv(t, faults{})
	e.seed(rounds)
	acc := accepted{}
	for round := range rounds {
		body := bigBody(1)
		for i := range body {
			body[i]["account_id"] = e.shorts[round].ID
		}
		e.postOK(acc, body)
		e.raceThroughTheQueue(int32(1 + 9*(round%2)))
		if jt := e.journeyTarget(e.shorts[round].ID); jt.SourceSystemID != body[0]["source_system_id"] {
			t.Errorf("round %d: the journey target part 0 added first was replaced: source system %.20q…, want %.20q…", round, jt.SourceSystemID, body[0]["source_system_id"])
		}
	}
	e.assertExactlyOnce(acc)
}

// Without hooks: in each round several requests add the same new accounts,
// their messages processed through the FIFO queue by four concurrent
// pollers (the event source's concurrent invocations), one message each at
// a time, while a watcher reads the target list. Whatever a target held
// when the watcher first saw it, it still holds at the end, and it is the
// first request's: nobody rewrites a target once it exists.
func TestConcurrentAddsNeverRewriteATarget(t *testing.T) {
	const rounds, requests, perRound, pollers = 8, 4, 5, 4
	e := newEnv(t, faults{})
	e.seed(rounds * perRound)
	acc := accepted{}
	for round := range rounds {
		accounts := e.shorts[round*perRound : (round+1)*perRound]
		var first string
		for r := range requests {
			body := make([]map[string]any, len(accounts))
			for i, a := range accounts {
				body[i] = map[string]any{"source_system_id": fmt.Sprintf("round%d-request%d", round, r), "account_id": a.ID}
			}
			if u := e.postOK(acc, body); r == 0 {
				first = u
			}
		}

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
		concurrently(pollers, func(int) {
			p := e.stack.Poller(e.consumer.Handle)
			p.BatchSize = 1
			e.pollUntilEmpty(p)
		})
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
			if got := final[a.ID]; got != seen || got.RequestUUID != first {
				t.Errorf("round %d: account %s was rewritten after it was added, or not by the first request %s:\nfirst %+v\nlast  %+v", round, a.ID, first, seen, got)
			}
		}
	}
	e.assertExactlyOnce(acc)
}

// raceThroughTheQueue feeds the targets queue to the consumer with pollers
// of batchSize until it is empty. The first time a consumer writes journey
// targets, its write waits while another poller polls the queue: it must
// receive nothing, since every queued message is of the journey being
// written (the test fails otherwise). With batches of one, the journey's
// next message is then visible on the queue but held behind the one in
// flight, which is what the test checks.
func (e *env) raceThroughTheQueue(batchSize int32) {
	e.t.Helper()
	inner := e.stack.Poller(e.consumer.Handle)
	inner.BatchSize = batchSize
	var once sync.Once
	held := -1
	race := faultinject.New(nil, 1, faultinject.Rule{
		Match:        "DynamoDB_20120810.BatchWriteItem",
		BodyContains: e.stack.Env["JOURNEY_TARGETS_TABLE"],
		Before: func(*http.Request) {
			once.Do(func() {
				held = e.visible()
				n, err := inner.Once(ctx())
				if err != nil || n != 0 {
					e.t.Errorf("while a message of the journey was being processed, another poller received %d message(s) (%v): the queue does not hold the journey's group", n, err)
				}
			})
		},
	})
	outer := e.stack.Poller(e.consumerWith(race).Handle)
	outer.BatchSize = batchSize
	e.pollUntilEmpty(outer)
	if race.Attempts()["DynamoDB_20120810.BatchWriteItem"] == 0 {
		e.t.Fatal("no consumer wrote a journey target: the race did not happen")
	}
	if batchSize == 1 && held < 1 {
		e.t.Errorf("no later message of the journey was waiting during the write (%d visible): the test proves nothing", held)
	}
}

// pollUntilEmpty runs p until the queue holds nothing, visible or in flight.
func (e *env) pollUntilEmpty(p *poller.Poller) {
	e.t.Helper()
	for round := 0; round < 500; round++ {
		n, err := p.Once(ctx())
		if err != nil {
			e.t.Error(err)
			return
		}
		if n == 0 && e.stack.QueueDepth(e.t, e.stack.Resources.QueueURL) == 0 {
			return
		}
	}
	e.t.Error("the queue did not empty in 500 polls")
}

// visible is how many messages of the targets queue are visible (waiting,
// though perhaps held behind their group's message in flight).
func (e *env) visible() int {
	out, err := e.stack.SQS.GetQueueAttributes(ctx(), &sqs.GetQueueAttributesInput{
		QueueUrl:       aws.String(e.stack.Resources.QueueURL),
		AttributeNames: []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages},
	})
	if err != nil {
		return -1
	}
	n, _ := strconv.Atoi(out.Attributes[string(sqstypes.QueueAttributeNameApproximateNumberOfMessages)])
	return n
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
