package integration

import (
	"context"
	"encoding/json"
	"fmt"

	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// env is one test's stack with the three handlers wired as the Lambdas wire them.
type env struct {
	t     *testing.T
	stack *testenv.Stack
	testenv.Handlers
	logs *testenv.SyncBuffer
	now  time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	stack := testenv.NewStack(t)
	e := &env{t: t, stack: stack, logs: &testenv.SyncBuffer{}, now: time.Now().UTC()}
	e.Handlers = stack.Wire(t, testenv.Logger(t, slog.LevelInfo, e.logs), testenv.Clients{})
	t.Cleanup(func() { assertNoSecrets(t, e.logs.String()) })
	return e
}

// secrets are every token secret and hash the tests created, process-wide.
var secrets sync.Map

func assertNoSecrets(t *testing.T, logs string) {
	secrets.Range(func(k, _ any) bool {
		if strings.Contains(logs, k.(string)) {
			t.Errorf("a token or token hash appears in the logs")
		}
		return true
	})
}

func (e *env) ctx() context.Context { return context.Background() }

func (e *env) putJourney(id, endDate string) {
	e.t.Helper()
	e.stack.PutJourney(e.t, domain.Journey{ID: id, Name: "Journey " + id, EndDate: endDate})
}

func (e *env) importAccounts(accounts ...domain.Account) {
	e.t.Helper()
	e.stack.ImportAccounts(e.t, accounts)
}

// createToken creates a token through the manage handler as a marketer.
func (e *env) createToken(journeyID, expires string) manage.Created {
	e.t.Helper()
	c := testenv.CreateToken(e.t, e.Manage, journeyID, expires)
	secrets.Store(c.Token, true)
	secrets.Store(domain.HashToken(c.Token), true)
	return c
}

// post sends targets to the ingest handler as API Gateway would.
func (e *env) post(journeyID, token string, body any) events.APIGatewayProxyResponse {
	e.t.Helper()
	raw, ok := body.(string)
	if !ok {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		raw = string(b)
	}
	return e.call(workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": journeyID}, token, raw))
}

func (e *env) call(req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	e.t.Helper()
	resp, err := e.IngestAPI(e.ctx(), req)
	if err != nil {
		e.t.Fatalf("ingest returned an error: %v", err)
	}
	return resp
}

func (e *env) status(journeyID, token, requestUUID string, query map[string]string) (events.APIGatewayProxyResponse, ingest.Status) {
	e.t.Helper()
	req := workload.APIRequest(http.MethodGet, ingest.RouteRequest, map[string]string{"journey_id": journeyID, "request_uuid": requestUUID}, token, "")
	req.QueryStringParameters = query
	resp := e.call(req)
	var st ingest.Status
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal([]byte(resp.Body), &st); err != nil {
			e.t.Fatal(err)
		}
	}
	return resp, st
}

// receiveAll takes every message off the targets queue (testenv.ReceiveAll).
func (e *env) receiveAll() []events.SQSMessage {
	e.t.Helper()
	return testenv.ReceiveAll(e.t, e.stack.SQS, e.stack.Resources.QueueURL)
}

// drain runs the consumer through the poller until the queue is empty.
func (e *env) drain() {
	e.t.Helper()
	e.stack.Drain(e.t, e.Consumer.Handle)
}

func (e *env) records(requestUUID string) []domain.LoaderRecord {
	e.t.Helper()
	recs, _, err := e.stack.LoaderRecords().ListByRequest(e.ctx(), requestUUID, "", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

func (e *env) journeyTargets(journeyID string) []domain.JourneyTarget {
	e.t.Helper()
	ts, _, err := e.stack.JourneyTargets().List(e.ctx(), journeyID, "", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return ts
}

func decode[T any](t *testing.T, body string) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return v
}

func targetsJSON(n int, f func(i int) map[string]any) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

type eventsResponse = events.APIGatewayProxyResponse

func scanInput(table string) *dynamodb.ScanInput { return &dynamodb.ScanInput{TableName: &table} }

// itemStrings renders items for searching their text.
func itemStrings(items []map[string]dbtypes.AttributeValue) []string {
	var out []string
	for _, it := range items {
		out = append(out, fmt.Sprintf("%#v", flatten(it)))
	}
	return out
}

func flatten(it map[string]dbtypes.AttributeValue) map[string]string {
	m := map[string]string{}
	for k, v := range it {
		if s, ok := v.(*dbtypes.AttributeValueMemberS); ok {
			m[k] = s.Value
		}
	}
	return m
}
