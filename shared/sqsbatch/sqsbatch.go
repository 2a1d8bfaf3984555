// Package sqsbatch runs an SQS-fed Lambda handler's messages as the event
// source mapping expects: each on its own, at most a bound at once, and the
// ones not done reported back (partial batch response) so that only they
// are delivered again.
package sqsbatch

import (
	"context"

	"github.com/aws/aws-lambda-go/events"
	"golang.org/x/sync/errgroup"
)

// Process calls handle for every message of ev, at most limit at once, and
// reports each message handle did not finish (returned false) as failed.
func Process(ctx context.Context, ev events.SQSEvent, limit int, handle func(context.Context, events.SQSMessage) bool) events.SQSEventResponse {
	failed := make([]bool, len(ev.Records))
	g := errgroup.Group{}
	g.SetLimit(max(limit, 1))
	for i, msg := range ev.Records {
		g.Go(func() error {
			failed[i] = !handle(ctx, msg)
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
