// Package deadline keeps a margin before a Lambda function's deadline, so
// that a handler answers (a problem document, a partial batch response)
// before Lambda kills it.
package deadline

import (
	"context"
	"time"
)

// WithMargin returns ctx ending margin before its deadline. Without a
// deadline or a positive margin it returns ctx as it is, with a no-op
// cancel, so callers always defer cancel.
func WithMargin(ctx context.Context, margin time.Duration) (context.Context, context.CancelFunc) {
	end, ok := ctx.Deadline()
	if !ok || margin <= 0 {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, end.Add(-margin))
}
