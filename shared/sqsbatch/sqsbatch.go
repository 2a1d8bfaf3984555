// Package sqsbatch runs an SQS-fed Lambda handler's messages as the event
// source mapping expects: each on its own, at most a bound at once, and the
// ones not done reported back (partial batch response) so that only they
// are delivered again. Messages of a FIFO message group run one after
// another, in the batch's order, and stop at the group's first failure.
package sqsbatch

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"
)

// GroupAttribute is the SQS system attribute holding a FIFO message's group.
const GroupAttribute = "MessageGroupId"

// Process calls handle for every message of ev, at most limit at once, and
// reports each message handle did not finish (returned false) as failed.
//
// Messages of one FIFO message group are handled one at a time, in the
// order of the batch, which is the group's order. Once one of them fails,
// the later ones of its group are not handled and are reported failed too:
// deleting them while an earlier one comes back would break the group's
// order (AWS Lambda's rule for FIFO partial batch responses), and what the
// group's order protects (for the targets queue: one writer per journey,
// the first add wins) must not run ahead of a message that has not
// finished. Messages without a group (standard queues) are each their own.
func Process(ctx context.Context, ev events.SQSEvent, limit int, handle func(context.Context, events.SQSMessage) bool) events.SQSEventResponse {
	failed := make([]bool, len(ev.Records))
	g := errgroup.Group{}
	g.SetLimit(max(limit, 1))
	for _, group := range groups(ev.Records) {
		g.Go(func() error {
			ok := true
			for _, i := range group {
				ok = ok && handle(ctx, ev.Records[i])
				failed[i] = !ok
			}
			return nil
		})
	}
	_ = g.Wait()
	var resp events.SQSEventResponse
	for i, f := range failed {
		if f {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: ev.Records[i].MessageId})
		}
	}
	return resp
}

// groups lists the indexes of msgs by FIFO message group, in batch order; a
// message without a group is a group of its own.
func groups(msgs []events.SQSMessage) [][]int {
	var out [][]int
	at := map[string]int{}
	for i, m := range msgs {
		id, ok := m.Attributes[GroupAttribute]
		if !ok || id == "" {
			out = append(out, []int{i})
			continue
		}
		if g, seen := at[id]; seen {
			out[g] = append(out[g], i)
			continue
		}
		at[id] = len(out)
		out = append(out, []int{i})
	}
	return out
}
