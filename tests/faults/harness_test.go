// Package faults drives the real handlers against moto_server while the
// infrastructure misbehaves: duplicate and concurrent deliveries, throttled
// DynamoDB, a consumer cut off mid-batch, a failing SQS send, poison
// messages. Every test ends by checking the delivery guarantee of
// PRODUCT.md §5: each accepted target has exactly one loader record and no
// account is on the journey's target list twice.
package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/awsclient/lambdaenv"
	"github.com/targetloader/targetloader/shared/consumer"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/local/poller"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/testsupport/faultinject"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// maxBackoff caps the SDK retryers' backoff in these tests. The retryers
// are the production ones (ingest: lambdaenv.ForAPI, 3 attempts; the
// consumer: awsclient.Load, 8 attempts); only their sleeps are shortened so
// that hundreds of injected faults take seconds.
const maxBackoff = 20 * time.Millisecond

// env is one test's stack. The handlers use their own SDK clients, to which
// faults may be injected; checks use clean clients.
type env struct {
	t        *testing.T
	stack    *testenv.Stack
	log      *slog.Logger
	ingest   *ingest.Handler
	manage   *manage.Handler
	token    string
	shorts   []domain.Account
	consumer *consumer.Handler
	raw      int // messages sendRaw sent
}

// faults are the transports wrapped around the handlers' clients (nil: none).
type faults struct {
	ingestDB, ingestSQS, consumerDB *faultinject.Transport
}

func newEnv(t *testing.T, f faults) *env {
	t.Helper()
	stack := testenv.NewStack(t)
	e := &env{t: t, stack: stack, log: testenv.Logger(t, slog.LevelWarn, nil)}
	api := lambdaenv.ForAPI(stack.AWS)
	h := stack.Wire(t, e.log, testenv.Clients{DynamoDB: e.dynamo(api, f.ingestDB), SQS: e.sqs(api, f.ingestSQS)})
	e.ingest, e.manage = h.Ingest, h.Manage
	e.consumer = e.consumerWith(f.consumerDB)
	return e
}

// consumerWith is a consumer handler whose DynamoDB client goes through tr.
func (e *env) consumerWith(tr *faultinject.Transport) *consumer.Handler {
	return e.stack.Wire(e.t, e.log, testenv.Clients{DynamoDB: e.dynamo(e.stack.AWS, tr)}).Consumer
}

// dynamo is a DynamoDB client of cfg with faults injected by tr at its HTTP client.
func (e *env) dynamo(cfg aws.Config, tr *faultinject.Transport) *dynamodb.Client {
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, maxBackoff)
		if tr != nil {
			o.HTTPClient = tr.Wrap(o.HTTPClient)
		}
	})
}

func (e *env) sqs(cfg aws.Config, tr *faultinject.Transport) *sqs.Client {
	return sqs.NewFromConfig(cfg, func(o *sqs.Options) {
		o.Retryer = retry.AddWithMaxBackoffDelay(o.Retryer, maxBackoff)
		if tr != nil {
			o.HTTPClient = tr.Wrap(o.HTTPClient)
		}
	})
}

func ctx() context.Context { return context.Background() }

// seed creates journey J1, n active accounts A000.. with emails
// a000@example.com and a token for J1.
func (e *env) seed(n int) {
	e.t.Helper()
	e.shorts = workload.ShortAccounts(n)
	e.stack.PutJourney(e.t, domain.Journey{ID: "J1", Name: "Journey J1"})
	e.stack.ImportAccounts(e.t, e.shorts)
	e.token = testenv.CreateToken(e.t, e.manage, "J1", "30d").Token
}

// targets is a body of n targets of the seeded accounts from offset (see
// workload.Targets); every fifth refers to no account at all.
func (e *env) targets(n, offset int) []map[string]any {
	out := workload.Targets(e.shorts, offset, n)
	for i := 4; i < n; i += 5 {
		out[i] = map[string]any{"source_system_id": out[i]["source_system_id"], "account_id": fmt.Sprintf("NOPE%03d", i)}
	}
	return out
}

// post sends a body to the ingest handler as API Gateway would.
func (e *env) post(body any) events.APIGatewayProxyResponse {
	e.t.Helper()
	return e.postWith(nil, body)
}

// postWith posts with extra headers.
func (e *env) postWith(headers map[string]string, body any) events.APIGatewayProxyResponse {
	e.t.Helper()
	req := workload.PostTargets("J1", e.token, workload.JSON(body))
	for k, v := range headers {
		req.Headers[k] = v
	}
	resp, err := e.ingest.Handle(ctx(), req)
	if err != nil {
		e.t.Fatalf("ingest returned an error: %v", err)
	}
	return resp
}

// accepted is what the client was told: request uuid -> targets accepted.
type accepted map[string]int

// postOK posts and requires a 202.
func (e *env) postOK(acc accepted, body []map[string]any) string {
	e.t.Helper()
	resp := e.post(body)
	if resp.StatusCode != http.StatusAccepted {
		e.t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	var a ingest.Accepted
	if err := json.Unmarshal([]byte(resp.Body), &a); err != nil || a.Accepted != len(body) {
		e.t.Fatalf("202 body %s: %v", resp.Body, err)
	}
	acc[a.RequestUUID] = a.Accepted
	return a.RequestUUID
}

// assertProblem checks a problem+json response of the given status class.
func assertProblem(t *testing.T, resp events.APIGatewayProxyResponse, minStatus, maxStatus int) {
	t.Helper()
	if resp.StatusCode < minStatus || resp.StatusCode > maxStatus {
		t.Errorf("status %d, want %d..%d: %s", resp.StatusCode, minStatus, maxStatus, resp.Body)
	}
	if ct := resp.Headers["Content-Type"]; ct != problem.ContentType {
		t.Errorf("Content-Type %q, want %s", ct, problem.ContentType)
	}
	var d problem.Details
	if err := json.Unmarshal([]byte(resp.Body), &d); err != nil || d.Type == "" || d.Title == "" || d.Status != resp.StatusCode {
		t.Errorf("problem body %s: %v", resp.Body, err)
	}
}

// receiveAll takes every message off the targets queue (testenv.ReceiveAll).
func (e *env) receiveAll() []events.SQSMessage {
	e.t.Helper()
	return testenv.ReceiveAll(e.t, e.stack.SQS, e.stack.Resources.QueueURL)
}

// requeue puts messages receiveAll took back on the queue.
func (e *env) requeue(msgs []events.SQSMessage) {
	e.t.Helper()
	testenv.Requeue(e.t, e.stack.SQS, e.stack.Resources.QueueURL, msgs)
}

// drain feeds the queue to h, redelivering failed messages at once, until
// nothing is left on it, and returns the rounds it took.
func (e *env) drain(h poller.Handler) int {
	e.t.Helper()
	return e.stack.Drain(e.t, h)
}

// allRecords lists the records of every request that has a part item in
// the loader records table, as the status endpoint lists them: a part
// written twice, or a stale chunk read, would show a record twice.
func (e *env) allRecords() []domain.LoaderRecord {
	e.t.Helper()
	table := e.stack.Env["LOADER_RECORDS_TABLE"]
	requests := map[string]bool{}
	p := dynamodb.NewScanPaginator(e.stack.DynamoDB, &dynamodb.ScanInput{TableName: &table, ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx())
		if err != nil {
			e.t.Fatal(err)
		}
		for _, it := range page.Items {
			if _, isPart := it[resources.AttrJourneySort]; isPart {
				requests[it[resources.AttrRequestUUID].(*dbtypes.AttributeValueMemberS).Value] = true
			}
		}
	}
	var out []domain.LoaderRecord
	for u := range requests {
		recs, _, err := e.stack.LoaderRecords().ListByRequest(ctx(), u, "", 0)
		if err != nil {
			e.t.Fatal(err)
		}
		out = append(out, recs...)
	}
	return out
}

func (e *env) journeyTargets() []domain.JourneyTarget {
	e.t.Helper()
	ts, _, err := e.stack.JourneyTargets().List(ctx(), "J1", "", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return ts
}

// assertExactlyOnce checks the delivery guarantee: every accepted target has
// exactly one loader record, nothing else has one, each request's progress
// counts every target once and is completed, every matched account is a
// journey target once, and no account is a journey target twice.
func (e *env) assertExactlyOnce(acc accepted) {
	e.t.Helper()
	t := e.t
	recs := e.allRecords()
	seen := map[string]int{}
	matched := map[string]bool{}
	for _, r := range recs {
		if _, ok := acc[r.RequestUUID]; !ok {
			t.Errorf("record %s belongs to request %s, which the client was not told was accepted", r.ID, r.RequestUUID)
			continue
		}
		seen[domain.RecordID(r.RequestUUID, r.Index)]++
		if r.ProcessingStatus == domain.StatusSuccess {
			matched[r.Account] = true
		}
		if r.ProcessingStatus == domain.StatusPending {
			t.Errorf("record %s is still pending", r.ID)
		}
	}
	want := 0
	for u, n := range acc {
		want += n
		for i := range n {
			if c := seen[domain.RecordID(u, i)]; c != 1 {
				t.Errorf("request %s target %d has %d records, want 1", u, i, c)
			}
		}
	}
	if len(recs) != want {
		t.Errorf("%d loader records, want %d (one per accepted target)", len(recs), want)
	}
	requests := e.stack.Requests()
	for u, n := range acc {
		r, err := requests.Get(ctx(), u)
		if err != nil {
			t.Fatal(err)
		}
		p := r.Progress()
		total := p.ProcessingStatus[domain.StatusSuccess] + p.ProcessingStatus[domain.StatusFailed]
		if p.Status != domain.ProgressCompleted || total != n || p.ProcessingStatus[domain.StatusPending] != 0 {
			t.Errorf("request %s progress %s: %d processed of %d", u, p.Status, total, n)
		}
	}
	byAccount := map[string]int{}
	for _, jt := range e.journeyTargets() {
		byAccount[jt.AccountID]++
		if jt.AddedVia != domain.AddedViaAPI || jt.RequestUUID == "" {
			t.Errorf("journey target %+v", jt)
		}
	}
	for a, n := range byAccount {
		if n != 1 {
			t.Errorf("account %s is on the journey %d times", a, n)
		}
		if !matched[a] {
			t.Errorf("account %s is a journey target but no record matched it", a)
		}
	}
	for a := range matched {
		if byAccount[a] == 0 {
			t.Errorf("account %s was matched successfully but is not a journey target", a)
		}
	}
}

// concurrently runs f n times at once.
func concurrently(n int, f func(i int)) {
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { f(i) })
	}
	wg.Wait()
}
