package localaws

import (
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
)

// AtomicWrites wraps an SDK HTTP client so that, per endpoint, the DynamoDB
// calls DynamoDB applies atomically run one at a time, and nothing else of
// DynamoDB runs beside them.
//
// moto_server answers each request on its own thread without a lock: a
// conditional PutItem or an UpdateItem reads the item, checks the condition
// and writes in separate steps, so two concurrent calls can both pass one
// condition (two requests under one Idempotency-Key, two first adds of one
// journey target) or interleave their list updates (the rate limiter); and
// TransactWriteItems copies the tables it touches and, when cancelled,
// restores the copies over whatever was written meanwhile. DynamoDB makes
// each of these atomic, and the service relies on it. Serialising them here
// gives the local stack and the tests DynamoDB's guarantees; against
// LocalStack, which has them, it only costs a little concurrency.
func AtomicWrites(next aws.HTTPClient) aws.HTTPClient {
	return atomicWrites{next: next}
}

type atomicWrites struct{ next aws.HTTPClient }

// endpointLocks holds one lock per endpoint host, shared by every client of
// this process.
var endpointLocks sync.Map // host -> *sync.RWMutex

func (c atomicWrites) Do(req *http.Request) (*http.Response, error) {
	op, ok := strings.CutPrefix(req.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	if !ok {
		return c.next.Do(req)
	}
	v, _ := endpointLocks.LoadOrStore(req.URL.Host, &sync.RWMutex{})
	mu := v.(*sync.RWMutex)
	switch op {
	case "TransactWriteItems", "UpdateItem", "PutItem", "DeleteItem":
		mu.Lock()
		defer mu.Unlock()
	default:
		mu.RLock()
		defer mu.RUnlock()
	}
	return c.next.Do(req)
}
