package sqsbatch

import (
	"context"
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
