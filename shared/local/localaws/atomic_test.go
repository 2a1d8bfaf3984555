package localaws

import (
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// doer records how many calls are in flight at once, by kind.
type doer struct {
	inFlight, writes atomic.Int32
	maxInFlight      atomic.Int32
	overlapped       atomic.Bool
}

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	n := d.inFlight.Add(1)
	defer d.inFlight.Add(-1)
	write := req.Header.Get("X-Amz-Target") == "DynamoDB_20120810.PutItem"
	if write {
		d.writes.Add(1)
		defer d.writes.Add(-1)
		if n > 1 {
			d.overlapped.Store(true)
		}
	} else if d.writes.Load() > 0 {
		d.overlapped.Store(true)
	}
	for {
		m := d.maxInFlight.Load()
		if n <= m || d.maxInFlight.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(2 * time.Millisecond)
	return &http.Response{StatusCode: http.StatusOK, Body: http.NoBody}, nil
}

func TestAtomicWritesRunAlone(t *testing.T) {
	d := &doer{}
	c := AtomicWrites(d)
	var wg sync.WaitGroup
	for i := range 200 {
		op := "DynamoDB_20120810.BatchGetItem"
		if i%4 == 0 {
			op = "DynamoDB_20120810.PutItem"
		}
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:4566/", nil)
			req.Header.Set("X-Amz-Target", op)
			if _, err := c.Do(req); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if d.overlapped.Load() {
		t.Error("a conditional write ran beside another DynamoDB call")
	}
	if d.maxInFlight.Load() < 2 {
		t.Error("reads never ran side by side: everything was serialised")
	}
}
