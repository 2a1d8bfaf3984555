package budget

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/callcount"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// The budget (issues 6 and 14): one POST of 500 targets costs at most
// IngestBudgetPerRequest calls in ingest; the consumer at most
// ConsumerBudgetPer500 calls per 500 targets, the poller's ReceiveMessage and
// GetQueueAttributes excluded, its DeleteMessageBatch included; and the
// whole way, ingest, the consumer and the receives that brought it its
// messages, at most EndToEndBudgetPer500.
//
// Every target here is a new journey target, the worst case: the targets
// queue is FIFO, grouped by journey, so the consumer adds them with a
// consistent BatchGetItem and BatchWriteItem, 25 a call (issue 14; issue 15's
// conditional PutItem per new target cost 500 calls). The loader records of a
// message part are one PutItem (issue 14 item 1), counted apart on a client
// of their own: RecordWriteCallsPer500. See PERFORMANCE.md.
const (
	IngestBudgetPerRequest = 6
	RecordWriteCallsPer500 = 1
	ConsumerBudgetPer500   = 38 + RecordWriteCallsPer500
	EndToEndBudgetPer500   = 45
	targetsPerRequest      = 500
	maxRequests            = 10
)

var (
	opReceive       = callcount.Op{Service: callcount.SQS, Operation: "ReceiveMessage"}
	opQueueAttrs    = callcount.Op{Service: callcount.SQS, Operation: "GetQueueAttributes"}
	opBatchWrite    = callcount.Op{Service: callcount.DynamoDB, Operation: "BatchWriteItem"}
	opBatchGet      = callcount.Op{Service: callcount.DynamoDB, Operation: "BatchGetItem"}
	opSendBatch     = callcount.Op{Service: callcount.SQS, Operation: "SendMessageBatch"}
	opDeleteBatch   = callcount.Op{Service: callcount.SQS, Operation: "DeleteMessageBatch"}
	batchItemLimits = map[callcount.Op]int{
		opBatchWrite:  store.MaxBatchWriteItems,
		opBatchGet:    store.MaxBatchGetKeys,
		opSendBatch:   10,
		opDeleteBatch: 10,
	}
)

// pipeline is one stage with every AWS client counting its requests; the
// consumer's loader-record writes count on a counter of their own.
type pipeline struct {
	counter, records *callcount.Counter
	stack            *testenv.Stack
	testenv.Handlers
	accounts []domain.Account
}

func newPipeline(t *testing.T, accounts int) *pipeline {
	t.Helper()
	counter := callcount.New()
	stack := testenv.NewStack(t)
	// Every client below counts: the SDK's own HTTP client, wrapped.
	counted := stack.AWS.Copy()
	counted.HTTPClient = counter.Wrap(counted.HTTPClient)
	stack.DynamoDB = dynamodb.NewFromConfig(counted)
	stack.SQS = sqs.NewFromConfig(counted)
	p := &pipeline{
		counter:  counter,
		records:  callcount.New(),
		stack:    stack,
		Handlers: stack.Wire(t, slog.New(slog.DiscardHandler), testenv.Clients{}),
		accounts: workload.Accounts(accounts),
	}
	recordsAWS := stack.AWS.Copy()
	recordsAWS.HTTPClient = p.records.Wrap(recordsAWS.HTTPClient)
	p.Consumer.Records = store.LoaderRecords{
		DB: dynamodb.NewFromConfig(recordsAWS), Table: stack.Env[resources.LoaderRecords.EnvVar],
		Retention: testenv.Config[config.Consumer](t, stack).Retention(),
	}
	start := time.Now()
	stack.ImportAccounts(t, p.accounts)
	t.Logf("imported %d accounts in %s with %d calls", accounts, time.Since(start).Round(time.Millisecond), counter.Snapshot().Calls(nil))
	return p
}

func (p *pipeline) journeyWithToken(t *testing.T, id string) string {
	t.Helper()
	p.stack.PutJourney(t, domain.Journey{ID: id, Name: "Budget " + id})
	return testenv.CreateToken(t, p.Manage, id, "30d").Token
}

// post sends the 500 targets of the accounts from `from` to ingest.
func (p *pipeline) post(t *testing.T, journeyID, token string, from int, headers map[string]string) events.APIGatewayProxyResponse {
	t.Helper()
	req := workload.PostTargets(journeyID, token, workload.Body(p.accounts, from, targetsPerRequest))
	for k, v := range headers {
		req.Headers[k] = v
	}
	resp, err := p.IngestAPI(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// drain runs the consumer through the poller until the queue is empty.
// Each invocation may take longer than the deployed 60 s against moto on a
// machine shared with other builds: the budget counts calls, not time, and
// a message that timed out would be counted twice.
func (p *pipeline) drain(t *testing.T) {
	t.Helper()
	poller := p.stack.Poller(p.Consumer.Handle)
	poller.InvokeTimeout = 10 * time.Minute
	for {
		n, err := poller.Once(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

func checkBatchLimits(t *testing.T, s callcount.Snapshot) {
	t.Helper()
	for op, limit := range batchItemLimits {
		if st, ok := s[op]; ok && st.MaxItems > limit {
			t.Errorf("a %s call carried %d items; the AWS limit is %d", op, st.MaxItems, limit)
		}
	}
}

// TestCallBudget posts 500, 1,000 and 5,000 targets (as 1, 2 and 10
// requests of 500 distinct existing accounts, half matched by account_id and
// half by email) and holds ingest and the consumer to the call budget.
func TestCallBudget(t *testing.T) {
	p := newPipeline(t, maxRequests*targetsPerRequest)
	checkBatchLimits(t, p.counter.Snapshot()) // the import's batches too

	for _, requests := range []int{1, 2, maxRequests} {
		t.Run(fmt.Sprintf("%d_targets", requests*targetsPerRequest), func(t *testing.T) {
			ctx := context.Background()
			journeyID := fmt.Sprintf("BUDGET-%d", requests)
			token := p.journeyWithToken(t, journeyID)

			// Ingest: every call one POST causes, request by request.
			ingestCalls := callcount.Snapshot{}
			var uuids []string
			for r := range requests {
				p.counter.Reset()
				resp := p.post(t, journeyID, token, r*targetsPerRequest, nil)
				if resp.StatusCode != http.StatusAccepted {
					t.Fatalf("POST %d = %d %s", r, resp.StatusCode, resp.Body)
				}
				calls := p.counter.Snapshot()
				checkBatchLimits(t, calls)
				ingestCalls = ingestCalls.Add(calls)
				if n := calls.Calls(nil); n > IngestBudgetPerRequest {
					t.Errorf("POST %d of 500 targets cost %d calls; the budget is %d:\n%s", r, n, IngestBudgetPerRequest, calls.Table(1, "per request"))
				}
				var acc ingest.Accepted
				if err := json.Unmarshal([]byte(resp.Body), &acc); err != nil {
					t.Fatal(err)
				}
				uuids = append(uuids, acc.RequestUUID)
			}
			t.Logf("ingest, %d request(s) of 500 targets:\n%s", requests, ingestCalls.Table(float64(requests), "per request"))
			if n := ingestCalls.Calls(nil); n > IngestBudgetPerRequest*requests {
				t.Errorf("ingest cost %d calls for %d requests; the budget is %d per request", n, requests, IngestBudgetPerRequest)
			}

			// Consumer: every call from receiving to deleting, the poller's
			// ReceiveMessage and GetQueueAttributes excepted.
			p.counter.Reset()
			p.records.Reset()
			p.drain(t)
			all := p.counter.Snapshot()
			records := p.records.Snapshot()
			consumerCalls := all.Without(opReceive, opQueueAttrs).Add(records)
			per500 := float64(requests*targetsPerRequest) / 500
			t.Logf("consumer, %d targets (%d ReceiveMessage and %d GetQueueAttributes excluded; %d call(s) wrote loader records):\n%s",
				requests*targetsPerRequest, all[opReceive].Calls, all[opQueueAttrs].Calls, records.Calls(nil), consumerCalls.Table(per500, "per 500"))
			if n := consumerCalls.Calls(nil); float64(n) > ConsumerBudgetPer500*per500 {
				t.Errorf("the consumer cost %d calls for %d targets (%.1f per 500); the budget is %d per 500",
					n, requests*targetsPerRequest, float64(n)/per500, ConsumerBudgetPer500)
			}
			if n := records.Calls(nil); float64(n) > RecordWriteCallsPer500*per500 {
				t.Errorf("the loader records cost %d calls for %d targets; the budget is %d per 500", n, requests*targetsPerRequest, RecordWriteCallsPer500)
			}
			checkBatchLimits(t, all)
			checkBatchLimits(t, records)

			// End to end: ingest, the consumer, and the receives that found
			// messages (the poller's last, empty one is the event source's
			// idle long polling, not the targets' cost).
			receives := all[opReceive].Calls - 1
			endToEnd := ingestCalls.Calls(nil) + consumerCalls.Calls(nil) + receives
			t.Logf("end to end: %d calls for %d targets, %.1f per 500 (ingest %.1f, %d receives, consumer %.1f of which loader records %.1f)",
				endToEnd, requests*targetsPerRequest, float64(endToEnd)/per500, float64(ingestCalls.Calls(nil))/per500, receives,
				float64(consumerCalls.Calls(nil))/per500, float64(records.Calls(nil))/per500)
			if float64(endToEnd) > EndToEndBudgetPer500*per500 {
				t.Errorf("end to end cost %d calls for %d targets (%.1f per 500); the budget is %d per 500", endToEnd, requests*targetsPerRequest, float64(endToEnd)/per500, EndToEndBudgetPer500)
			}

			// The work was done: every request completed, half matched by id, half by email.
			reqs := p.stack.Requests()
			for _, u := range uuids {
				r, err := reqs.Get(ctx, u)
				if err != nil {
					t.Fatal(err)
				}
				pr := r.Progress()
				if pr.Status != domain.ProgressCompleted || pr.ProcessingStatus[domain.StatusSuccess] != targetsPerRequest ||
					pr.MatchingOutcome[domain.OutcomeMatchedAccountID] != targetsPerRequest/2 || pr.MatchingOutcome[domain.OutcomeMatchedEmail] != targetsPerRequest/2 {
					t.Errorf("request %s: %+v", u, pr)
				}
			}
		})
	}
}

// TestCallBudgetIdempotencyKey holds a POST carrying an Idempotency-Key to
// the same budget, and shows what a replayed retry costs.
func TestCallBudgetIdempotencyKey(t *testing.T) {
	p := newPipeline(t, targetsPerRequest)
	token := p.journeyWithToken(t, "BUDGET-IDEM")
	key := map[string]string{"Idempotency-Key": "budget-key-1"}

	p.counter.Reset()
	first := p.post(t, "BUDGET-IDEM", token, 0, key)
	if first.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d %s", first.StatusCode, first.Body)
	}
	calls := p.counter.Snapshot()
	checkBatchLimits(t, calls)
	t.Logf("ingest, POST of 500 targets with an Idempotency-Key:\n%s", calls.Table(1, "per request"))
	if n := calls.Calls(nil); n > IngestBudgetPerRequest {
		t.Errorf("POST with an Idempotency-Key cost %d calls; the budget is %d", n, IngestBudgetPerRequest)
	}

	p.counter.Reset()
	replay := p.post(t, "BUDGET-IDEM", token, 0, key)
	if replay.StatusCode != http.StatusAccepted || replay.Body != first.Body {
		t.Fatalf("replay = %d %s, want the first response %s", replay.StatusCode, replay.Body, first.Body)
	}
	calls = p.counter.Snapshot()
	t.Logf("ingest, replayed retry with the same key and body:\n%s", calls.Table(1, "per request"))
	if n := calls.Calls(nil); n > IngestBudgetPerRequest {
		t.Errorf("a replayed POST cost %d calls; the budget is %d", n, IngestBudgetPerRequest)
	}
	if calls[opSendBatch].Calls != 0 {
		t.Errorf("a replayed POST queued again")
	}
}

// Requests refused on their face cost no AWS call at all: a missing or
// mistyped token, and, with a well-formed token anyone can compute (its
// checksum is public), a journey id no journey can have or a request uuid
// in a form no request has. On AWS an over-long journey id would make
// DynamoDB refuse the read: a 503 and a 5xx alarm for a forged request.
func TestRefusedRequestsCostNoCalls(t *testing.T) {
	p := newPipeline(t, 1)
	forged, err := domain.NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	mistyped := forged[:len(forged)-1] + "x"
	if mistyped == forged {
		mistyped = forged[:len(forged)-1] + "y"
	}
	body := `[{"source_system_id":"s","account_id":"A"}]`
	uuid := "0b5c3a9e-1111-4000-8000-000000000001"
	for _, tc := range []struct {
		name string
		req  events.APIGatewayProxyRequest
		want int
	}{
		{"no token", workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": "J1"}, "", body), http.StatusUnauthorized},
		{"mistyped token", workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": "J1"}, mistyped, body), http.StatusUnauthorized},
		{"journey id of 129 characters", workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": strings.Repeat("j", domain.MaxJourneyIDChars+1)}, forged, body), http.StatusNotFound},
		{"journey id of 100,000 characters", workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": strings.Repeat("j", 100_000)}, forged, body), http.StatusNotFound},
		{"status of a journey id of 2,000 characters", workload.APIRequest(http.MethodGet, ingest.RouteRequest, map[string]string{"journey_id": strings.Repeat("j", 2000), "request_uuid": uuid}, forged, ""), http.StatusNotFound},
		{"request uuid as a URN", workload.APIRequest(http.MethodGet, ingest.RouteRequest, map[string]string{"journey_id": "J1", "request_uuid": "urn:uuid:" + uuid}, forged, ""), http.StatusNotFound},
		{"request uuid of 10,000 characters", workload.APIRequest(http.MethodGet, ingest.RouteRequest, map[string]string{"journey_id": "J1", "request_uuid": strings.Repeat("a", 10_000)}, forged, ""), http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p.counter.Reset()
			resp, err := p.Ingest.Handle(context.Background(), tc.req)
			if err != nil || resp.StatusCode != tc.want {
				t.Errorf("answer = %d %s, %v; want %d", resp.StatusCode, resp.Body, err, tc.want)
			}
			if calls := p.counter.Snapshot(); calls.Calls(nil) != 0 {
				t.Errorf("refusing it cost AWS calls:\n%s", calls.Table(1, "per request"))
			}
		})
	}
}

// DryRunBudget is the most calls a dry run of 500 targets may cost.
const DryRunBudget = 12

// TestCallBudgetDryRun holds a dry run of 500 targets (half matched by id,
// half by email) to its budget: it reads, never writes (but the rate limit).
func TestCallBudgetDryRun(t *testing.T) {
	p := newPipeline(t, targetsPerRequest)
	token := p.journeyWithToken(t, "BUDGET-DRY")
	p.counter.Reset()
	req := workload.PostTargets("BUDGET-DRY", token, workload.Body(p.accounts, 0, targetsPerRequest))
	req.QueryStringParameters = map[string]string{"dry_run": "true"}
	resp, err := p.IngestAPI(context.Background(), req)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("dry run = %v %d %.300s", err, resp.StatusCode, resp.Body)
	}
	calls := p.counter.Snapshot()
	checkBatchLimits(t, calls)
	t.Logf("ingest, dry run of 500 targets:\n%s", calls.Table(1, "per dry run"))
	if n := calls.Calls(nil); n > DryRunBudget {
		t.Errorf("a dry run of 500 targets cost %d calls; the budget is %d", n, DryRunBudget)
	}
	for _, op := range []callcount.Op{opSendBatch, opBatchWrite, {Service: callcount.DynamoDB, Operation: "PutItem"}, {Service: callcount.DynamoDB, Operation: "TransactWriteItems"}} {
		if calls[op].Calls != 0 {
			t.Errorf("a dry run made %d %s call(s)", calls[op].Calls, op)
		}
	}
	var d ingest.DryRunResult
	if err := json.Unmarshal([]byte(resp.Body), &d); err != nil || d.ProcessingStatus[domain.StatusSuccess] != targetsPerRequest {
		t.Errorf("dry run result %v %+v", err, d.ProcessingStatus)
	}
}
