// Package faultinject wraps the HTTP transport of AWS SDK clients to make
// chosen calls fail the way AWS fails them: throttling errors the SDK's
// retryer retries with backoff, server errors on specific calls, stalls that
// outlast a caller's deadline, responses lost after the call took effect.
//
// Install it per client with Wrap (dynamodb.Options.HTTPClient), or as an
// http.Client's transport with config.WithHTTPClient(t.Client()); the SDK
// refuses the latter when AWS_CA_BUNDLE is set.
//
// Calls are told apart by their X-Amz-Target header ("DynamoDB_20120810.PutItem",
// "AmazonSQS.SendMessageBatch"), which every JSON-protocol AWS API sends. An
// SDK operation call and its retries share the amz-sdk-invocation-id header,
// so a rule can fail "the 2nd SendMessageBatch call" including every retry of it.
package faultinject

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// Throttling error of DynamoDB, as AWS sends it.
const (
	ThrottlingType = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
	throttlingMsg  = "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."
)

// Rule selects requests and says how they fail. The zero Match matches every request.
type Rule struct {
	// Match is a prefix of the X-Amz-Target header: "DynamoDB_20120810." for
	// every DynamoDB call, "AmazonSQS.SendMessageBatch" for one operation.
	// Several prefixes may be given separated by commas.
	Match string
	// BodyContains, when set, further limits the rule to requests whose body
	// contains it (e.g. `{"S":"queued"}` picks the UpdateItem that marks a request queued).
	BodyContains string

	// Rate is the fraction (0..1) of matching attempts that fail with Status
	// (default: the DynamoDB throttling error). The Transport's seed makes the
	// choice deterministic for a given sequence of requests.
	Rate float64

	// Calls lists 1-based numbers of matching operation calls (distinct
	// amz-sdk-invocation-id) that fail on every attempt, retries included.
	Calls []int
	// Attempts, when > 0, fails only the first Attempts attempts of each
	// call in Calls; the SDK's retry of it then goes through.
	Attempts int

	// StallAfter, when > 0, lets that many matching attempts through and then
	// blocks every later one until its context ends (a hung dependency).
	StallAfter int
	// Stall blocks every matching attempt until its context ends, from the first.
	Stall bool

	// AfterForward sends a failing request on to AWS anyway and replaces its
	// response: the call took effect but the caller sees a failure (a lost
	// response, or a 500 after the write), and the SDK retries it.
	AfterForward bool

	// Before, when set, is called (once per matching attempt, before it is
	// forwarded) instead of failing anything: a hook to make a competing
	// write land in a race window, for instance. Later rules are not
	// consulted for a request a Before rule matched.
	Before func(*http.Request)

	// Status and Body of the injected response; Status 0 means the DynamoDB
	// throttling error (400 ProvisionedThroughputExceededException). A 5xx
	// gets an InternalError/InternalFailure body unless Body is set.
	Status int
	Body   string
	// ErrorType is sent as x-amzn-ErrorType (defaults from Body's __type).
	ErrorType string
}

// Transport is an http.RoundTripper applying rules in order; the first rule
// that fails a request wins. It is safe for concurrent use.
type Transport struct {
	Base  http.RoundTripper
	Rules []Rule

	mu       sync.Mutex
	rng      *rand.Rand
	calls    []map[string]int // per rule: invocation id -> call number
	ncalls   []int            // per rule: operation calls seen
	tries    []map[string]int // per rule: invocation id -> attempts seen
	attempts []int            // per rule: matching attempts seen
	injected []int            // per rule: attempts failed or stalled
	seen     map[string]int   // X-Amz-Target -> attempts
}

// New returns a Transport over base (http.DefaultTransport when nil) with a
// deterministic random source.
func New(base http.RoundTripper, seed uint64, rules ...Rule) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{Base: base, Rules: rules, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), seen: map[string]int{}}
	t.calls = make([]map[string]int, len(rules))
	for i := range t.calls {
		t.calls[i] = map[string]int{}
	}
	t.attempts = make([]int, len(rules))
	t.ncalls = make([]int, len(rules))
	t.tries = make([]map[string]int, len(rules))
	for i := range t.tries {
		t.tries[i] = map[string]int{}
	}
	t.injected = make([]int, len(rules))
	return t
}

// Client is an *http.Client using t, for config.WithHTTPClient.
func (t *Transport) Client() *http.Client { return &http.Client{Transport: t} }

// Injected reports how many attempts rule i failed or stalled.
func (t *Transport) Injected(i int) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.injected[i]
}

// Attempts reports how many attempts of each X-Amz-Target the transport saw.
func (t *Transport) Attempts() map[string]int {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]int, len(t.seen))
	for k, v := range t.seen {
		out[k] = v
	}
	return out
}

type action int

const (
	pass action = iota
	fail
	stall
)

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	return t.do(req, t.Base.RoundTrip)
}

// Doer is an SDK client's HTTP client (aws.HTTPClient).
type Doer interface {
	Do(*http.Request) (*http.Response, error)
}

type doer struct {
	t    *Transport
	next Doer
}

func (d doer) Do(req *http.Request) (*http.Response, error) { return d.t.do(req, d.next.Do) }

// Wrap returns next with t's rules applied in front of it. Use it where
// config.WithHTTPClient cannot be (the SDK refuses a custom client when
// AWS_CA_BUNDLE is set):
//
//	dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) { o.HTTPClient = t.Wrap(o.HTTPClient) })
func (t *Transport) Wrap(next Doer) Doer {
	if next == nil {
		next = http.DefaultClient
	}
	return doer{t, next}
}

func (t *Transport) do(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	target := req.Header.Get("X-Amz-Target")
	invocation := req.Header.Get("Amz-Sdk-Invocation-Id")
	body, err := peekBody(req)
	if err != nil {
		return nil, err
	}
	act, rule := t.decide(target, invocation, body)
	if act == pass && rule.Before != nil {
		rule.Before(req)
	}
	switch act {
	case fail:
		if rule.AfterForward {
			resp, err := next(req)
			if err != nil {
				return nil, err
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			return rule.response(req), nil
		}
		drain(req)
		return rule.response(req), nil
	case stall:
		drain(req)
		<-req.Context().Done()
		return nil, req.Context().Err()
	}
	return next(req)
}

func (t *Transport) decide(target, invocation string, body []byte) (action, Rule) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seen[target]++
	for i, r := range t.Rules {
		if !matches(r.Match, target) || (r.BodyContains != "" && !bytes.Contains(body, []byte(r.BodyContains))) {
			continue
		}
		t.attempts[i]++
		if r.Before != nil {
			return pass, r
		}
		if len(r.Calls) > 0 {
			n, ok := t.calls[i][invocation]
			if !ok || invocation == "" {
				t.ncalls[i]++
				n = t.ncalls[i]
				if invocation != "" {
					t.calls[i][invocation] = n
				}
			}
			t.tries[i][invocation]++
			for _, c := range r.Calls {
				if c == n && (r.Attempts <= 0 || invocation == "" || t.tries[i][invocation] <= r.Attempts) {
					t.injected[i]++
					return fail, r
				}
			}
		}
		if (r.Stall || r.StallAfter > 0) && t.attempts[i] > r.StallAfter {
			t.injected[i]++
			return stall, r
		}
		if r.Rate > 0 && t.rng.Float64() < r.Rate {
			t.injected[i]++
			return fail, r
		}
	}
	return pass, Rule{}
}

func matches(match, target string) bool {
	if match == "" {
		return true
	}
	for _, m := range strings.Split(match, ",") {
		if m = strings.TrimSpace(m); m != "" && strings.HasPrefix(target, m) {
			return true
		}
	}
	return false
}

func (r Rule) response(req *http.Request) *http.Response {
	status, body, errType := r.Status, r.Body, r.ErrorType
	if status == 0 {
		status = http.StatusBadRequest
		if body == "" {
			body = fmt.Sprintf(`{"__type":%q,"message":%q}`, ThrottlingType, throttlingMsg)
		}
	}
	if body == "" {
		code := "InternalFailure"
		switch target := req.Header.Get("X-Amz-Target"); {
		case strings.HasPrefix(target, "AmazonSQS."):
			code = "com.amazonaws.sqs#InternalError"
		case strings.HasPrefix(target, "DynamoDB_"):
			code = "com.amazonaws.dynamodb.v20120810#InternalServerError"
		}
		body = fmt.Sprintf(`{"__type":%q,"message":"injected fault: %d"}`, code, status)
	}
	if errType == "" {
		errType = typeOf(body)
	}
	h := http.Header{}
	h.Set("Content-Type", "application/x-amz-json-1.0")
	h.Set("X-Amzn-Requestid", fmt.Sprintf("FAULTINJECT%016X", rand.Uint64()))
	if errType != "" {
		h.Set("X-Amzn-Errortype", errType)
	}
	// DynamoDB checksums its responses; the SDK verifies the header.
	h.Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE([]byte(body))), 10))
	return &http.Response{
		Status:        fmt.Sprintf("%d %s", status, http.StatusText(status)),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader([]byte(body))),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

// typeOf extracts the __type of a JSON error body, without its namespace
// ("ProvisionedThroughputExceededException"), as x-amzn-ErrorType carries it.
func typeOf(body string) string {
	const key = `"__type":"`
	i := strings.Index(body, key)
	if i < 0 {
		return ""
	}
	rest := body[i+len(key):]
	j := strings.IndexByte(rest, '"')
	if j < 0 {
		return ""
	}
	typ := rest[:j]
	if k := strings.LastIndexByte(typ, '#'); k >= 0 {
		typ = typ[k+1:]
	}
	return typ
}

// peekBody reads the request body and puts an identical one back.
func peekBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	b, err := io.ReadAll(req.Body)
	_ = req.Body.Close()
	if err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	return b, nil
}

func drain(req *http.Request) {
	if req.Body != nil {
		_, _ = io.Copy(io.Discard, req.Body)
		_ = req.Body.Close()
	}
}
