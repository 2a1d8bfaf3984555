package sqsbatch

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestProcessReportsOnlyUnfinishedMessagesAndBoundsConcurrency(t *testing.T) {
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "a"}, {MessageId: "b"}, {MessageId: "c"}, {MessageId: "d"}}}
	var running, most atomic.Int32
	resp := Process(context.Background(), ev, 2, func(_ context.Context, m events.SQSMessage) bool {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			old := most.Load()
			if n <= old || most.CompareAndSwap(old, n) {
				break
			}
		}
		return m.MessageId != "b" && m.MessageId != "d"
	})
	if len(resp.BatchItemFailures) != 2 || resp.BatchItemFailures[0].ItemIdentifier != "b" || resp.BatchItemFailures[1].ItemIdentifier != "d" {
		t.Errorf("failures %+v", resp.BatchItemFailures)
	}
	if most.Load() > 2 {
		t.Errorf("%d at once, limit 2", most.Load())
	}
}

func fifo(id, group string) events.SQSMessage {
	return events.SQSMessage{MessageId: id, Attributes: map[string]string{"MessageGroupId": group}}
}

func failures(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

func TestProcessFIFOAfterAGroupsFirstFailureItsLaterMessagesFailUnhandled(t *testing.T) {
	// GIVEN a FIFO batch of two groups, interleaved, whose message j1-b fails
	ev := events.SQSEvent{Records: []events.SQSMessage{
		fifo("j1-a", "J1"), fifo("j2-a", "J2"), fifo("j1-b", "J1"), fifo("j2-b", "J2"), fifo("j1-c", "J1"), fifo("j1-d", "J1"),
	}}
	var mu sync.Mutex
	var handled []string
	// WHEN processed
	resp := Process(context.Background(), ev, 4, func(_ context.Context, m events.SQSMessage) bool {
		mu.Lock()
		handled = append(handled, m.MessageId)
		mu.Unlock()
		return m.MessageId != "j1-b"
	})
	// THEN j1-b and every later message of J1 are reported failed, in batch order
	if got, want := failures(resp), []string{"j1-b", "j1-c", "j1-d"}; !slices.Equal(got, want) {
		t.Errorf("failures %v, want %v", got, want)
	}
	// AND the later messages of J1 were never handled, while J2 went on
	slices.Sort(handled)
	if want := []string{"j1-a", "j1-b", "j2-a", "j2-b"}; !slices.Equal(handled, want) {
		t.Errorf("handled %v, want %v", handled, want)
	}
}

func TestProcessFIFORunsAGroupInOrderOneAtATimeAndGroupsAtOnce(t *testing.T) {
	// GIVEN a FIFO batch of 3 groups of 3 messages
	var ev events.SQSEvent
	for _, id := range []string{"a1", "b1", "c1", "a2", "b2", "c2", "a3", "b3", "c3"} {
		ev.Records = append(ev.Records, fifo(id, id[:1]))
	}
	var mu sync.Mutex
	order := map[string][]string{}
	inGroup := map[string]int{}
	var running, most atomic.Int32
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(3) // the first message of each group
	// WHEN processed with room for 3 at once
	go func() { started.Wait(); close(release) }()
	resp := Process(context.Background(), ev, 3, func(_ context.Context, m events.SQSMessage) bool {
		g := m.Attributes["MessageGroupId"]
		mu.Lock()
		inGroup[g]++
		if inGroup[g] > 1 {
			t.Errorf("two messages of group %s at once", g)
		}
		order[g] = append(order[g], m.MessageId)
		first := len(order[g]) == 1
		mu.Unlock()
		n := running.Add(1)
		for old := most.Load(); n > old && !most.CompareAndSwap(old, n); old = most.Load() {
		}
		if first {
			started.Done()
			<-release // every group's first message runs at the same time
		}
		running.Add(-1)
		mu.Lock()
		inGroup[g]--
		mu.Unlock()
		return true
	})
	// THEN nothing failed, each group ran in batch order, and the groups ran at once
	if len(resp.BatchItemFailures) != 0 {
		t.Errorf("failures %+v", resp.BatchItemFailures)
	}
	for g, got := range order {
		if want := []string{g + "1", g + "2", g + "3"}; !slices.Equal(got, want) {
			t.Errorf("group %s ran %v, want %v", g, got, want)
		}
	}
	if most.Load() != 3 {
		t.Errorf("at most %d messages at once, want the 3 groups", most.Load())
	}
}

func TestProcessMessagesWithoutAGroupAreIndependent(t *testing.T) {
	// GIVEN a standard queue's batch (no MessageGroupId) whose first message fails
	ev := events.SQSEvent{Records: []events.SQSMessage{{MessageId: "a"}, {MessageId: "b"}, {MessageId: "c"}}}
	// WHEN processed
	resp := Process(context.Background(), ev, 1, func(_ context.Context, m events.SQSMessage) bool { return m.MessageId != "a" })
	// THEN only it failed
	if got := failures(resp); !slices.Equal(got, []string{"a"}) {
		t.Errorf("failures %v", got)
	}
}
