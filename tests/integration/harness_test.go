package integration

import (
	"context"
	"encoding/json"
	"fmt"

	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/consumer"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/local/poller"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/iamcheck"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
	"github.com/targetloader/targetloader/shared/tokens"
	"github.com/targetloader/targetloader/shared/wire"
)

// env is one test's stack with the three handlers wired as the Lambdas wire them.
type env struct {
	t        *testing.T
	stack    *testenv.Stack
	ingest   *ingest.Handler
	consumer *consumer.Handler
	tokens   *tokens.Handler
	logs     *testenv.SyncBuffer
	now      time.Time
}

func newEnv(t *testing.T) *env {
	t.Helper()
	stack := testenv.NewStack(t)
	e := &env{t: t, stack: stack, logs: &testenv.SyncBuffer{}, now: time.Now().UTC()}
	logger := slog.New(slog.NewJSONHandler(io.MultiWriter(e.logs, testWriter{t}), nil))
	ingestCfg := testenv.Config[config.Ingest](t, stack)
	consumerCfg := testenv.Config[config.Consumer](t, stack)
	tokensCfg := testenv.Config[config.Tokens](t, stack)
	// Each handler may only make the calls its role allows in AWS.
	ingestIAM := iamcheck.New(t, resources.IngestFunction, stack.Env)
	consumerIAM := iamcheck.New(t, resources.ConsumerFunction, stack.Env)
	tokensIAM := iamcheck.New(t, resources.TokensFunction, stack.Env)
	e.ingest = wire.Ingest(ingestCfg, ingestIAM.DynamoDB(stack.DynamoDB), ingestIAM.SQS(stack.SQS), logger)
	e.consumer = wire.Consumer(consumerCfg, consumerIAM.DynamoDB(stack.DynamoDB), logger)
	e.consumer.EnqueueWait = 0
	e.tokens = wire.Tokens(tokensCfg, tokensIAM.DynamoDB(stack.DynamoDB), logger)
	t.Cleanup(func() { assertNoSecrets(t, e.logs.String()) })
	return e
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
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

func (e *env) journeys() store.Journeys {
	return store.Journeys{DB: e.stack.DynamoDB, Table: e.stack.Env["JOURNEYS_TABLE"]}
}

func (e *env) accounts() store.Accounts {
	return store.Accounts{DB: e.stack.DynamoDB, Table: e.stack.Env["ACCOUNTS_TABLE"], EmailsTable: e.stack.Env["ACCOUNT_EMAILS_TABLE"]}
}

func (e *env) putJourney(id, endDate string) {
	e.t.Helper()
	if err := e.journeys().Put(e.ctx(), domain.Journey{ID: id, Name: "Journey " + id, EndDate: endDate}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) importAccounts(accounts ...domain.Account) {
	e.t.Helper()
	if _, err := e.accounts().Import(e.ctx(), accounts); err != nil {
		e.t.Fatal(err)
	}
}

// createToken runs the tokens create operation and returns the secret.
func (e *env) createToken(journeyID, expires string) tokens.Created {
	e.t.Helper()
	out, err := e.tokens.Handle(e.ctx(), tokens.Request{Operation: tokens.OpCreate, JourneyID: journeyID, Expires: expires, By: "marketer@example.com"})
	if err != nil {
		e.t.Fatalf("create token: %v", err)
	}
	c := out.(tokens.Created)
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
	return e.call(apiRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": journeyID}, token, raw))
}

func (e *env) call(req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	e.t.Helper()
	resp, err := e.ingest.Handle(e.ctx(), req)
	if err != nil {
		e.t.Fatalf("ingest returned an error: %v", err)
	}
	return resp
}

func apiRequest(method, resource string, params map[string]string, token, body string) events.APIGatewayProxyRequest {
	path := resource
	for k, v := range params {
		path = strings.ReplaceAll(path, "{"+k+"}", v)
	}
	headers := map[string]string{"Content-Type": "application/json", "Host": "api.example.test", "X-Forwarded-Proto": "https"}
	if token != "" {
		headers["Authorization"] = "Bearer " + token
	}
	return events.APIGatewayProxyRequest{
		Resource:       resource,
		Path:           path,
		HTTPMethod:     method,
		Headers:        headers,
		PathParameters: params,
		Body:           body,
		RequestContext: events.APIGatewayProxyRequestContext{Stage: "v1", Path: "/v1" + path, DomainName: "api.example.test"},
	}
}

func (e *env) status(journeyID, token, requestUUID string, query map[string]string) (events.APIGatewayProxyResponse, ingest.Status) {
	e.t.Helper()
	req := apiRequest(http.MethodGet, ingest.RouteRequest, map[string]string{"journey_id": journeyID, "request_uuid": requestUUID}, token, "")
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

// receiveAll takes every message visible on the queue, hiding them for hide, without deleting them.
func (e *env) receiveAll(hide time.Duration) []events.SQSMessage {
	e.t.Helper()
	return testenv.ReceiveAll(e.t, e.stack.SQS, e.stack.Resources.QueueURL, hide)
}

// drain runs the consumer through the poller until the queue is empty.
func (e *env) drain() {
	e.t.Helper()
	p := &poller.Poller{SQS: e.stack.SQS, QueueURL: e.stack.Resources.QueueURL, Handler: e.consumer.Handle, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), BatchSize: 10, InvokeTimeout: time.Minute}
	for range 100 {
		n, err := p.Once(e.ctx())
		if err != nil {
			e.t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
	e.t.Fatal("queue did not drain")
}

func (e *env) records(requestUUID string) []domain.LoaderRecord {
	e.t.Helper()
	recs, _, err := store.LoaderRecords{DB: e.stack.DynamoDB, Table: e.stack.Env["LOADER_RECORDS_TABLE"]}.ListByRequest(e.ctx(), requestUUID, "", 0)
	if err != nil {
		e.t.Fatal(err)
	}
	return recs
}

func (e *env) journeyTargets(journeyID string) []domain.JourneyTarget {
	e.t.Helper()
	ts, _, err := store.JourneyTargets{DB: e.stack.DynamoDB, Table: e.stack.Env["JOURNEY_TARGETS_TABLE"]}.List(e.ctx(), journeyID, "", 0)
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
