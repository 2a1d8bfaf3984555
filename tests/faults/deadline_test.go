package faults

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/targetloader/targetloader/shared/awsclient/lambdaenv"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/testsupport/faultinject"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// The function's timeout and margin, scaled down from the deployed 10 s and
// 2 s so that each stall takes a second, not ten.
const (
	scaledTimeout = 1500 * time.Millisecond
	scaledMargin  = 300 * time.Millisecond
)

// Whatever the database does, ingest answers before its Lambda timeout with
// a 503 problem document and Retry-After, the answer the caller can act on.
// Killed by the timeout instead, it would leave API Gateway to answer a bare
// 502. Each case stalls a dependency until the caller gives up: a DynamoDB
// endpoint that never answers, DynamoDB hanging after each of ingest's
// calls in turn (after the request was written, the abort hangs too), and
// SQS hanging. Nothing of a refused request is ever processed.
func TestIngestAnswersBeforeItsDeadlineWhenTheDatabaseStalls(t *testing.T) {
	// An endpoint that reads requests and never answers.
	stop := make(chan struct{})
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-stop:
		}
	}))
	defer stalled.Close()
	defer close(stop)

	for _, tc := range []struct {
		name string
		// stallDB and stallSQS hang ingest's DynamoDB and SQS calls (nil: none).
		stallDB, stallSQS *faultinject.Transport
		// neverAnswers points ingest's DynamoDB client at the stalled endpoint.
		neverAnswers bool
	}{
		// Ingest's DynamoDB calls: read token and journey; the rate limit (a
		// token's first request writes its arrival list: 2 calls); write the
		// request; (send to SQS;) mark it queued, or abort it.
		{name: "DynamoDB never answers", neverAnswers: true},
		{name: "DynamoDB hangs in the rate limit", stallDB: stallAfter("DynamoDB_20120810.", 1)},
		{name: "DynamoDB hangs writing the request", stallDB: stallAfter("DynamoDB_20120810.", 3)},
		{name: "DynamoDB hangs marking the request queued", stallDB: stallAfter("DynamoDB_20120810.", 4)},
		{name: "SQS hangs", stallSQS: stallAfter("AmazonSQS.", 0)},
		{name: "SQS hangs, then so does the abort", stallSQS: stallAfter("AmazonSQS.", 0), stallDB: stallAfter("DynamoDB_20120810.", 4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, faults{})
			e.seed(5)
			api := lambdaenv.ForAPI(e.stack.AWS)
			db := e.dynamo(api, tc.stallDB)
			if tc.neverAnswers {
				db = dynamodb.NewFromConfig(api, func(o *dynamodb.Options) { o.BaseEndpoint = aws.String(stalled.URL) })
			}
			e.ingest = e.stack.Wire(t, e.log, testenv.Clients{DynamoDB: db, SQS: e.sqs(api, tc.stallSQS)}).Ingest
			if m := e.ingest.DeadlineMargin; m <= 0 || m >= resources.IngestFunction.Timeout/2 {
				t.Fatalf("ingest is wired with a deadline margin of %s for a %s timeout", m, resources.IngestFunction.Timeout)
			}
			e.ingest.DeadlineMargin = scaledMargin

			lambda, cancel := context.WithTimeout(context.Background(), scaledTimeout)
			defer cancel()
			start := time.Now()
			resp, err := e.ingest.Handle(lambda, workload.PostTargets("J1", e.token, workload.JSON(e.targets(5, 0))))
			answeredIn := time.Since(start)
			if err != nil {
				t.Fatal(err)
			}
			if lambda.Err() != nil {
				t.Errorf("ingest answered after its deadline (%s for a %s timeout): Lambda would have killed it", answeredIn.Round(time.Millisecond), scaledTimeout)
			}
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Headers["Retry-After"] == "" {
				t.Errorf("answer = %d %v %s, want 503 with Retry-After", resp.StatusCode, resp.Headers, resp.Body)
			}
			assertProblem(t, resp, 503, 503)
			for _, tr := range []*faultinject.Transport{tc.stallDB, tc.stallSQS} {
				if tr != nil && tr.Injected(0) == 0 {
					t.Error("nothing stalled: the test proves nothing")
				}
			}

			// Whatever was written or queued before the stall is never processed.
			e.consumer.Now = func() time.Time { return time.Now().Add(domain.EnqueueTimeout + time.Minute) }
			e.drain(e.consumer.Handle)
			e.assertExactlyOnce(accepted{})
		})
	}
}

// stallAfter lets the first n calls matching match through and hangs every
// later one until its caller gives up.
func stallAfter(match string, n int) *faultinject.Transport {
	return faultinject.New(nil, 1, faultinject.Rule{Match: match, StallAfter: n, Stall: n == 0})
}
