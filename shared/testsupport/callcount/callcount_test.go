package callcount

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

type echo struct{ got []string }

func (e *echo) RoundTrip(req *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(req.Body)
	e.got = append(e.got, string(b))
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("{}")), Header: http.Header{}, Request: req}, nil
}

func post(t *testing.T, rt http.RoundTripper, headers map[string]string, body string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", strings.NewReader(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestCountsOperationsAndBatchItems(t *testing.T) {
	c := New()
	base := &echo{}
	rt := c.Transport(base)
	writes := `{"RequestItems":{"t1":[{"PutRequest":{}},{"PutRequest":{}}],"t2":[{"DeleteRequest":{}}]}}`
	post(t, rt, map[string]string{"X-Amz-Target": "DynamoDB_20120810.BatchWriteItem"}, writes)
	post(t, rt, map[string]string{"X-Amz-Target": "DynamoDB_20120810.BatchGetItem"}, `{"RequestItems":{"a":{"Keys":[{},{},{}]},"b":{"Keys":[{}]}}}`)
	post(t, rt, map[string]string{"X-Amz-Target": "DynamoDB_20120810.GetItem"}, `{}`)
	post(t, rt, map[string]string{"X-Amz-Target": "AmazonSQS.SendMessageBatch"}, `{"Entries":[{},{}]}`)
	post(t, rt, map[string]string{
		"Content-Type":  "application/x-www-form-urlencoded; charset=utf-8",
		"Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x",
	}, "Action=DeleteMessageBatch&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.2.Id=b&DeleteMessageBatchRequestEntry.1.ReceiptHandle=r")

	if base.got[0] != writes {
		t.Errorf("body not restored: %q", base.got[0])
	}
	s := c.Snapshot()
	want := map[Op][2]int{
		{DynamoDB, "BatchWriteItem"}: {1, 3},
		{DynamoDB, "BatchGetItem"}:   {1, 4},
		{DynamoDB, "GetItem"}:        {1, 0},
		{SQS, "SendMessageBatch"}:    {1, 2},
		{SQS, "DeleteMessageBatch"}:  {1, 2},
	}
	for op, w := range want {
		if st := s[op]; st.Calls != w[0] || st.MaxItems != w[1] {
			t.Errorf("%s = %+v, want calls %d max items %d", op, st, w[0], w[1])
		}
	}
	if s.Calls(nil) != 5 || len(s) != 5 {
		t.Errorf("snapshot = %v", s)
	}
	if got := s.Without(Op{SQS, "DeleteMessageBatch"}).Calls(nil); got != 4 {
		t.Errorf("without = %d", got)
	}
	t.Log("\n" + s.Table(1, "per req"))
	c.Reset()
	if len(c.Snapshot()) != 0 {
		t.Error("reset kept counts")
	}
}

func TestConcurrentCounting(t *testing.T) {
	c := New()
	rt := c.Transport(&nopRT{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				post(t, rt, map[string]string{"X-Amz-Target": "DynamoDB_20120810.PutItem"}, `{}`)
			}
		})
	}
	wg.Wait()
	if got := c.Snapshot()[Op{DynamoDB, "PutItem"}].Calls; got != 800 {
		t.Fatalf("calls = %d, want 800", got)
	}
}

type nopRT struct{}

func (nopRT) RoundTrip(req *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Body: http.NoBody, Header: http.Header{}, Request: req}, nil
}

type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func TestWrapRestoresBody(t *testing.T) {
	c := New()
	var got string
	d := c.Wrap(doerFunc(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		got = string(b)
		return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
	}))
	body := `{"RequestItems":{"t":{"Keys":[{},{}]}}}`
	req, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:1/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "DynamoDB_20120810.BatchGetItem")
	if _, err := d.Do(req); err != nil {
		t.Fatal(err)
	}
	if got != body {
		t.Fatalf("inner got %q", got)
	}
	if st := c.Snapshot()[Op{DynamoDB, "BatchGetItem"}]; st.Calls != 1 || st.Items != 2 {
		t.Fatalf("stat = %+v", st)
	}
}
