package deadline

import (
	"context"
	"testing"
	"time"
)

func TestWithMargin(t *testing.T) {
	end := time.Now().Add(time.Hour)
	parent, cancelParent := context.WithDeadline(context.Background(), end)
	defer cancelParent()

	ctx, cancel := WithMargin(parent, time.Minute)
	defer cancel()
	if got, _ := ctx.Deadline(); !got.Equal(end.Add(-time.Minute)) {
		t.Errorf("deadline = %v, want %v", got, end.Add(-time.Minute))
	}

	for name, tc := range map[string]struct {
		ctx    context.Context
		margin time.Duration
	}{
		"no deadline": {context.Background(), time.Minute},
		"no margin":   {parent, 0},
	} {
		got, cancel := WithMargin(tc.ctx, tc.margin)
		cancel()
		if got != tc.ctx {
			t.Errorf("%s: the context was wrapped", name)
		}
	}
}
