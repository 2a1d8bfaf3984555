// Package callcount counts the AWS API requests that reach an endpoint, by
// service and operation. It is HTTP middleware: wrap the transport of the SDK
// clients' HTTP client (config.WithHTTPClient(c.Client(nil))) or of a reverse
// proxy in front of the endpoint. It reads the X-Amz-Target header of JSON
// protocol requests (DynamoDB_20120810.GetItem, AmazonSQS.SendMessageBatch)
// and the Action form field of query protocol ones, and parses batch request
// bodies to record how many items or keys each batch call carried, so tests
// can assert that no batch over the AWS limits reached the wire.
package callcount

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
)

// Services as this package names them.
const (
	DynamoDB = "dynamodb"
	SQS      = "sqs"
	Unknown  = "unknown"
)

// ChunkBytes is the size of the chunk SQS bills as one request (64 KiB).
const ChunkBytes = 64 * 1024

// Op is one API operation of one service, e.g. {dynamodb BatchGetItem}.
type Op struct {
	Service   string `json:"service"`
	Operation string `json:"operation"`
}

func (o Op) String() string { return o.Service + "." + o.Operation }

// Stat is what was counted for one operation.
type Stat struct {
	// Calls is the number of HTTP requests, retries included.
	Calls int `json:"calls"`
	// Items sums the items of batch calls: BatchWriteItem write requests,
	// BatchGetItem keys, SQS *Batch entries. MaxItems is the largest one call carried.
	Items    int `json:"items"`
	MaxItems int `json:"max_items"`
	// Bytes sums request body sizes; Chunks64K sums each call's body size
	// rounded up to 64 KiB chunks (how SQS bills payload).
	Bytes     int64 `json:"bytes"`
	Chunks64K int64 `json:"chunks_64k"`
}

// Counter counts requests. It is safe for concurrent use; the zero value is ready.
type Counter struct {
	mu    sync.Mutex
	stats map[Op]*Stat
}

// New returns an empty Counter.
func New() *Counter { return &Counter{} }

// Transport wraps base (http.DefaultTransport when nil) so that every request
// it sends is counted.
func (c *Counter) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{c: c, base: base}
}

// Client is an *http.Client whose transport counts, for config.WithHTTPClient.
func (c *Counter) Client(base http.RoundTripper) *http.Client {
	return &http.Client{Transport: c.Transport(base)}
}

// Doer is the HTTP client interface of the AWS SDK (aws.HTTPClient).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

// Wrap returns a client that counts every request and sends it with inner
// (http.DefaultClient when nil). Assign it to aws.Config.HTTPClient after
// loading the config, so the SDK's own client and its options are kept.
func (c *Counter) Wrap(inner Doer) Doer {
	if inner == nil {
		inner = http.DefaultClient
	}
	return &doer{c: c, inner: inner}
}

type doer struct {
	c     *Counter
	inner Doer
}

func (d *doer) Do(req *http.Request) (*http.Response, error) {
	req, err := d.c.count(req)
	if err != nil {
		return nil, err
	}
	return d.inner.Do(req)
}

// Reset forgets every count.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.stats = nil
	c.mu.Unlock()
}

// Snapshot copies the counts so far.
func (c *Counter) Snapshot() Snapshot {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := make(Snapshot, len(c.stats))
	for op, st := range c.stats {
		s[op] = *st
	}
	return s
}

// Record counts one request of op with the given batch item count (0 when
// not a batch call) and body size.
func (c *Counter) Record(op Op, items int, bodyBytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stats == nil {
		c.stats = map[Op]*Stat{}
	}
	st := c.stats[op]
	if st == nil {
		st = &Stat{}
		c.stats[op] = st
	}
	st.Calls++
	st.Items += items
	st.MaxItems = max(st.MaxItems, items)
	st.Bytes += bodyBytes
	st.Chunks64K += max(1, (bodyBytes+ChunkBytes-1)/ChunkBytes)
}

type transport struct {
	c    *Counter
	base http.RoundTripper
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req, err := t.c.count(req)
	if err != nil {
		return nil, err
	}
	return t.base.RoundTrip(req)
}

// count records req and returns it with its body restored.
func (c *Counter) count(req *http.Request) (*http.Request, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("callcount: read request body: %w", err)
		}
		// Restore the body for the real transport, and for retries that
		// rewind it through GetBody.
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(body))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		req.ContentLength = int64(len(body))
	}
	op, items := Classify(req.Header, body)
	c.Record(op, items, int64(len(body)))
	return req, nil
}

// Classify names the operation of an AWS request from its headers and body
// and counts the items of batch calls.
func Classify(h http.Header, body []byte) (Op, int) {
	if target := h.Get("X-Amz-Target"); target != "" {
		prefix, operation, _ := strings.Cut(target, ".")
		op := Op{Service: serviceOfTarget(prefix), Operation: operation}
		return op, jsonItems(op, body)
	}
	if strings.HasPrefix(h.Get("Content-Type"), "application/x-www-form-urlencoded") {
		form, err := url.ParseQuery(string(body))
		if err == nil && form.Get("Action") != "" {
			op := Op{Service: serviceOfAuth(h.Get("Authorization")), Operation: form.Get("Action")}
			return op, formItems(op, form)
		}
	}
	return Op{Service: serviceOfAuth(h.Get("Authorization")), Operation: Unknown}, 0
}

func serviceOfTarget(prefix string) string {
	switch {
	case strings.HasPrefix(prefix, "DynamoDB_"):
		return DynamoDB
	case prefix == "AmazonSQS":
		return SQS
	}
	return strings.ToLower(prefix)
}

// serviceOfAuth reads the service of a SigV4 credential scope
// (Credential=AKID/20260101/us-east-1/sqs/aws4_request).
func serviceOfAuth(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return Unknown
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return Unknown
	}
	return parts[3]
}

func jsonItems(op Op, body []byte) int {
	switch op {
	case Op{DynamoDB, "BatchWriteItem"}:
		var in struct {
			RequestItems map[string][]json.RawMessage
		}
		if json.Unmarshal(body, &in) != nil {
			return 0
		}
		n := 0
		for _, w := range in.RequestItems {
			n += len(w)
		}
		return n
	case Op{DynamoDB, "BatchGetItem"}:
		var in struct {
			RequestItems map[string]struct{ Keys []json.RawMessage }
		}
		if json.Unmarshal(body, &in) != nil {
			return 0
		}
		n := 0
		for _, ka := range in.RequestItems {
			n += len(ka.Keys)
		}
		return n
	case Op{DynamoDB, "TransactWriteItems"}, Op{DynamoDB, "TransactGetItems"}:
		var in struct{ TransactItems []json.RawMessage }
		if json.Unmarshal(body, &in) != nil {
			return 0
		}
		return len(in.TransactItems)
	}
	if op.Service == SQS && strings.HasSuffix(op.Operation, "Batch") {
		var in struct{ Entries []json.RawMessage }
		if json.Unmarshal(body, &in) != nil {
			return 0
		}
		return len(in.Entries)
	}
	return 0
}

// formItems counts the entries of SQS query protocol batch calls
// (SendMessageBatchRequestEntry.N.Id or Entries.N.Id).
func formItems(op Op, form url.Values) int {
	if op.Service != SQS || !strings.HasSuffix(op.Operation, "Batch") {
		return 0
	}
	n := 0
	for k := range form {
		if strings.HasSuffix(k, ".Id") {
			n++
		}
	}
	return n
}

// Snapshot is a copy of the counts.
type Snapshot map[Op]Stat

// Calls sums the calls of the operations keep accepts (all when keep is nil).
func (s Snapshot) Calls(keep func(Op) bool) int {
	n := 0
	for op, st := range s {
		if keep == nil || keep(op) {
			n += st.Calls
		}
	}
	return n
}

// Without returns the snapshot without the named operations.
func (s Snapshot) Without(ops ...Op) Snapshot {
	out := make(Snapshot, len(s))
	for op, st := range s {
		out[op] = st
	}
	for _, op := range ops {
		delete(out, op)
	}
	return out
}

// Sub is s minus an earlier snapshot of the same counter. MaxItems stays
// s's (the maximum since the last Reset); Reset between phases for per-phase maxima.
func (s Snapshot) Sub(earlier Snapshot) Snapshot {
	out := make(Snapshot, len(s))
	for op, st := range s {
		e := earlier[op]
		st.Calls -= e.Calls
		st.Items -= e.Items
		st.Bytes -= e.Bytes
		st.Chunks64K -= e.Chunks64K
		if st.Calls > 0 {
			out[op] = st
		}
	}
	return out
}

// Add sums two snapshots (MaxItems is the larger of the two).
func (s Snapshot) Add(other Snapshot) Snapshot {
	out := make(Snapshot, len(s)+len(other))
	for op, st := range s {
		out[op] = st
	}
	for op, o := range other {
		st := out[op]
		st.Calls += o.Calls
		st.Items += o.Items
		st.MaxItems = max(st.MaxItems, o.MaxItems)
		st.Bytes += o.Bytes
		st.Chunks64K += o.Chunks64K
		out[op] = st
	}
	return out
}

// Ops lists the operations in service, operation order.
func (s Snapshot) Ops() []Op {
	ops := make([]Op, 0, len(s))
	for op := range s {
		ops = append(ops, op)
	}
	sort.Slice(ops, func(i, j int) bool {
		if ops[i].Service != ops[j].Service {
			return ops[i].Service < ops[j].Service
		}
		return ops[i].Operation < ops[j].Operation
	})
	return ops
}

// Table renders the per-operation breakdown; per divides the calls column
// into a per-unit column when positive (e.g. per request or per 500 targets).
func (s Snapshot) Table(per float64, perLabel string) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	header := "operation\tcalls\titems\tmax items\tbytes\t"
	if per > 0 {
		header += perLabel + "\t"
	}
	fmt.Fprintln(w, header)
	total := Stat{}
	for _, op := range s.Ops() {
		st := s[op]
		line := fmt.Sprintf("%s\t%d\t%d\t%d\t%d\t", op, st.Calls, st.Items, st.MaxItems, st.Bytes)
		if per > 0 {
			line += fmt.Sprintf("%.2f\t", float64(st.Calls)/per)
		}
		fmt.Fprintln(w, line)
		total.Calls += st.Calls
		total.Items += st.Items
		total.Bytes += st.Bytes
	}
	line := fmt.Sprintf("total\t%d\t%d\t\t%d\t", total.Calls, total.Items, total.Bytes)
	if per > 0 {
		line += fmt.Sprintf("%.2f\t", float64(total.Calls)/per)
	}
	fmt.Fprintln(w, line)
	w.Flush()
	return b.String()
}

// MarshalJSON renders the snapshot as a JSON object keyed by "service.Operation".
func (s Snapshot) MarshalJSON() ([]byte, error) {
	m := make(map[string]Stat, len(s))
	for op, st := range s {
		m[op.String()] = st
	}
	return json.Marshal(m)
}
