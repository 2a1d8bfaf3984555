package integration

import (
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
	"github.com/targetloader/targetloader/shared/webhooks"
)

// ---- request ids ----

func TestEveryResponseCarriesItsRequestID(t *testing.T) {
	e := newEnv(t)
	e.putJourney("J1", "")
	e.putJourney("J2", "")
	e.importAccounts(domain.Account{ID: "A1", Status: domain.AccountActive})
	tok := e.createToken("J1", "30d")

	// GIVEN API Gateway's request ids on a success and on a refusal
	ok := workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": "J1"}, tok.Token, `[{"source_system_id":"s","account_id":"A1"}]`)
	ok.RequestContext.RequestID = "req-accepted-1"
	refused := workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": "J2"}, tok.Token, `[{"source_system_id":"s","account_id":"A1"}]`)
	refused.RequestContext.RequestID = "req-refused-1"

	// WHEN they are served
	accepted, wrong := e.call(ok), e.call(refused)

	// THEN each response carries its id, the 202 its status URL as Location,
	// the problem document its id as request_id
	if accepted.StatusCode != http.StatusAccepted || accepted.Headers["X-Request-Id"] != "req-accepted-1" {
		t.Fatalf("202 = %d %v", accepted.StatusCode, accepted.Headers)
	}
	if loc := accepted.Headers["Location"]; loc == "" || loc != decode[ingest.Accepted](t, accepted.Body).StatusURL {
		t.Errorf("Location %q, body %s", loc, accepted.Body)
	}
	assertProblem(t, wrong, http.StatusForbidden)
	if wrong.Headers["X-Request-Id"] != "req-refused-1" || decode[problem.Details](t, wrong.Body).RequestID != "req-refused-1" {
		t.Errorf("403 = %v %s", wrong.Headers, wrong.Body)
	}
	// AND every log line of each request carries its id
	for id, msg := range map[string]string{"req-accepted-1": "targets accepted", "req-refused-1": "token used for another journey"} {
		if !logLine(e.logs.String(), msg, id) {
			t.Errorf("no %q log line with request_id %s:\n%s", msg, id, e.logs.String())
		}
	}
	// AND the management API does the same
	get := workload.ManageRequest(http.MethodGet, manage.RouteJourney, map[string]string{"journey_id": "NOPE"}, workload.Claims(workload.Marketer, resources.GroupMarketers), "")
	get.RequestContext.RequestID = "req-manage-1"
	resp, err := e.ManageAPI(e.ctx(), get)
	if err != nil || resp.StatusCode != http.StatusNotFound || resp.Headers["X-Request-Id"] != "req-manage-1" || decode[problem.Details](t, resp.Body).RequestID != "req-manage-1" {
		t.Errorf("manage 404 = %v %d %v %s", err, resp.StatusCode, resp.Headers, resp.Body)
	}
}

// logLine tells whether logs hold a JSON line with msg and request_id id.
func logLine(logs, msg, id string) bool {
	for _, line := range strings.Split(logs, "\n") {
		var l map[string]any
		if json.Unmarshal([]byte(line), &l) == nil && l["msg"] == msg && l["request_id"] == id {
			return true
		}
	}
	return false
}

// ---- dry runs ----

func TestDryRunMatchesAndWritesNothing(t *testing.T) {
	e := newEnv(t)
	e.putJourney("J1", "")
	e.importAccounts(
		domain.Account{ID: "A1", Emails: []string{"one@example.com"}, Status: domain.AccountActive},
		domain.Account{ID: "A3", Emails: []string{"shared@example.com"}, Status: domain.AccountActive},
		domain.Account{ID: "A4", Emails: []string{"shared@example.com"}, Status: domain.AccountActive},
		domain.Account{ID: "A5", Emails: []string{"inactive@example.com"}, Status: domain.AccountInactive},
	)
	tok := e.createToken("J1", "30d")
	before := e.snapshot()

	// WHEN a dry run of every kind of outcome is sent
	req := workload.APIRequest(http.MethodPost, ingest.RouteTargets, map[string]string{"journey_id": "J1"}, tok.Token, string(workload.JSON([]map[string]any{
		{"source_system_id": "s0", "account_id": "A1"},
		{"source_system_id": "s1", "email": "ONE@example.com"},
		{"source_system_id": "s2", "email": "shared@example.com"},
		{"source_system_id": "s3", "email": "inactive@example.com"},
		{"source_system_id": "s4", "account_id": "NOPE"},
	})))
	req.QueryStringParameters = map[string]string{"dry_run": "true"}
	resp := e.call(req)

	// THEN it answers 200 with what each target would become, through the API view
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("dry run = %d %s", resp.StatusCode, resp.Body)
	}
	d := decode[ingest.DryRunResult](t, resp.Body)
	if !d.IsDryRun || d.Accepted != 5 || len(d.Records) != 5 || d.ProcessingStatus[domain.StatusSuccess] != 2 || d.ProcessingStatus[domain.StatusFailed] != 3 {
		t.Fatalf("dry run %+v", d)
	}
	want := []domain.MatchingOutcome{domain.OutcomeMatchedAccountID, domain.OutcomeMatchedEmail, domain.OutcomeMultipleMatches, domain.OutcomeMatchedEmail, domain.OutcomeNoMatch}
	for i, r := range d.Records {
		if r.MatchingOutcome != want[i] || r.Index != i || r.ID != "" || r.RequestUUID != "" {
			t.Errorf("record %d %+v, want outcome %s", i, r, want[i])
		}
	}
	// AND nothing about the CRM the caller did not send: no account matched
	// on an email, no account behind a shared email, no account status
	if d.Records[0].Account != "A1" || d.Records[1].Account != "" {
		t.Errorf("account__v: %q %q", d.Records[0].Account, d.Records[1].Account)
	}
	for _, leak := range []string{"A3", "A4", "A5", "inactive,", "is inactive"} {
		if strings.Contains(resp.Body, leak) {
			t.Errorf("the dry run names %q: %s", leak, resp.Body)
		}
	}
	// AND no request, record, journey target or message exists; only the rate limit counted
	after := e.snapshot()
	for table, items := range before {
		if table == resources.RateLimits.ID {
			continue
		}
		if !slices.Equal(items, after[table]) {
			t.Errorf("table %s changed:\n before %v\n after  %v", table, items, after[table])
		}
	}
	if slices.Equal(before[resources.RateLimits.ID], after[resources.RateLimits.ID]) {
		t.Error("the dry run did not count against the rate limit")
	}
	for _, url := range []string{e.stack.Resources.QueueURL, e.stack.Resources.WebhooksQueueURL} {
		if n := e.stack.QueueDepth(t, url); n != 0 {
			t.Errorf("%d message(s) on %s", n, url)
		}
	}

	// AND a bad dry_run value is a 400
	req.QueryStringParameters = map[string]string{"dry_run": "yes"}
	assertProblem(t, e.call(req), http.StatusBadRequest)
}

// snapshot reads every table of the stage, each item as JSON, sorted.
func (e *env) snapshot() map[string][]string {
	e.t.Helper()
	out := map[string][]string{}
	for _, def := range resources.All {
		page, err := e.stack.DynamoDB.Scan(e.ctx(), scanInput(e.stack.Resources.Tables[def.ID]))
		if err != nil {
			e.t.Fatal(err)
		}
		var items []map[string]any
		if err := attributevalue.UnmarshalListOfMaps(page.Items, &items); err != nil {
			e.t.Fatal(err)
		}
		for _, it := range items {
			b, _ := json.Marshal(it)
			out[def.ID] = append(out[def.ID], string(b))
		}
		sort.Strings(out[def.ID])
	}
	return out
}

// ---- completion webhooks ----

// receiver is a webhook endpoint: it verifies each delivery with the
// Standard Webhooks library and the token's secret, and fails the first
// failFirst deliveries with 500.
type receiver struct {
	t         *testing.T
	srv       *httptest.Server
	failFirst int

	mu       sync.Mutex
	secret   string
	attempts map[string]int // by webhook-id
	events   map[string]domain.CompletionEvent
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	r := &receiver{t: t, failFirst: failFirst, attempts: map[string]int{}, events: map[string]domain.CompletionEvent{}}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/hooks/target-loader?source=tl" }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	wh, err := standardwebhooks.NewWebhook(r.secret)
	if err != nil {
		r.t.Errorf("receiver: %v", err)
		return
	}
	if err := wh.Verify(body, req.Header); err != nil {
		r.t.Errorf("receiver: signature does not verify: %v", err)
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	id := req.Header.Get("webhook-id")
	r.attempts[id]++
	if r.failFirst > 0 {
		r.failFirst--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	var ev domain.CompletionEvent
	if err := json.Unmarshal(body, &ev); err != nil {
		r.t.Errorf("receiver: %v", err)
	}
	if _, dup := r.events[id]; dup {
		r.t.Errorf("receiver: webhook %s received again after a 2xx", id)
	}
	r.events[id] = ev
	w.WriteHeader(http.StatusNoContent)
}

// createCallbackToken creates a token of journeyID with callback URL url
// through the management API, as a marketer.
func (e *env) createCallbackToken(journeyID, url string) manage.Created {
	e.t.Helper()
	req := workload.ManageRequest(http.MethodPost, manage.RouteTokens, map[string]string{"journey_id": journeyID},
		workload.Claims(workload.Marketer, resources.GroupMarketers), string(workload.JSON(map[string]string{"expires": "30d", "callback_url": url})))
	resp, err := e.ManageAPI(e.ctx(), req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		e.t.Fatalf("create token: %v %d %s", err, resp.StatusCode, resp.Body)
	}
	c := decode[manage.Created](e.t, resp.Body)
	secrets.Store(c.Token, true)
	secrets.Store(domain.HashToken(c.Token), true)
	secrets.Store(c.WebhookSecret, true)
	return c
}

// webhookEnv is a stack whose webhooks handler trusts the receiver's TLS
// certificate and retries at once.
func webhookEnv(t *testing.T, rcv *receiver, allowPrivate bool) *env {
	e := newEnv(t)
	e.Webhooks.Client = webhooks.NewClient(allowPrivate, certPool(rcv.srv))
	e.Webhooks.RetryDelays = make([]time.Duration, len(domain.WebhookRetryDelays))
	e.putJourney("J1", "")
	e.importAccounts(workload.ShortAccounts(3)...)
	return e
}

func certPool(srv *httptest.Server) *x509.CertPool {
	return srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
}

// drainWebhooks runs the webhooks handler until its queue is empty.
func (e *env) drainWebhooks() {
	e.t.Helper()
	e.stack.DrainQueue(e.t, e.stack.Resources.WebhooksQueueURL, e.Webhooks.Handle)
}

func (e *env) deliveries(journeyID, status string) manage.DeliveryPage {
	e.t.Helper()
	req := workload.ManageRequest(http.MethodGet, manage.RouteDeliveries, map[string]string{"journey_id": journeyID}, workload.Claims("admin@example.com", resources.GroupAdmins), "")
	if status != "" {
		req.QueryStringParameters = map[string]string{"status": status}
	}
	resp, err := e.ManageAPI(e.ctx(), req)
	if err != nil || resp.StatusCode != http.StatusOK {
		e.t.Fatalf("deliveries: %v %d %s", err, resp.StatusCode, resp.Body)
	}
	return decode[manage.DeliveryPage](e.t, resp.Body)
}

func TestCompletionWebhookIsSignedAndSentOncePerRequest(t *testing.T) {
	rcv := newReceiver(t, 0)
	e := webhookEnv(t, rcv, true)
	tok := e.createCallbackToken("J1", rcv.url())
	rcv.secret = tok.WebhookSecret
	if !strings.HasPrefix(tok.WebhookSecret, "whsec_") || tok.CallbackURL != rcv.url() {
		t.Fatalf("created %+v", tok)
	}
	// GIVEN two requests of the token, and one of a token without a callback
	var uuids []string
	for _, body := range []string{`[{"source_system_id":"s0","account_id":"A000"},{"source_system_id":"s1","account_id":"NOPE"}]`, `[{"source_system_id":"s2","email":"a001@example.com"}]`} {
		uuids = append(uuids, decode[ingest.Accepted](t, e.post("J1", tok.Token, body).Body).RequestUUID)
	}
	plain := e.createToken("J1", "30d")
	e.post("J1", plain.Token, `[{"source_system_id":"s3","account_id":"A002"}]`)
	// WHEN the consumer processes them, one message twice (SQS delivers at least once)
	msgs := e.receiveAll()
	handleAll(t, e, msgs)
	handleAll(t, e, msgs[:1])
	e.drainWebhooks()

	// THEN the receiver verified and accepted exactly one event per completed request of the token
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	if len(rcv.events) != 2 {
		t.Fatalf("events %v", rcv.events)
	}
	for _, u := range uuids {
		ev, ok := rcv.events[domain.WebhookID(u)]
		if !ok || ev.Type != "request.completed" || ev.RequestUUID != u || ev.JourneyID != "J1" || ev.Status != domain.ProgressCompleted || !strings.HasSuffix(ev.StatusURL, "/requests/"+u) {
			t.Errorf("event of %s: %+v", u, ev)
		}
		if rcv.attempts[domain.WebhookID(u)] != 1 {
			t.Errorf("%s attempted %d times", u, rcv.attempts[domain.WebhookID(u)])
		}
	}
	if ev := rcv.events[domain.WebhookID(uuids[0])]; ev.ProcessingStatus[domain.StatusSuccess] != 1 || ev.ProcessingStatus[domain.StatusFailed] != 1 || ev.Accepted != 2 {
		t.Errorf("counts %+v", ev.RequestProgress)
	}
	// AND admins see both delivered
	page := e.deliveries("J1", "")
	if len(page.Deliveries) != 2 || page.Deliveries[0].Status != domain.DeliveryDelivered || len(page.Deliveries[0].Attempts) != 1 || page.Deliveries[0].Attempts[0].StatusCode != http.StatusNoContent {
		t.Errorf("deliveries %+v", page)
	}
	// AND the webhook secret never reached a log or a table in clear
	if strings.Contains(e.logs.String(), tok.WebhookSecret) || strings.Contains(strings.Join(flat(e.snapshot()), "\n"), strings.TrimPrefix(tok.WebhookSecret, "whsec_")) {
		t.Error("the webhook secret was logged or stored")
	}
}

func handleAll(t *testing.T, e *env, msgs []events.SQSMessage) {
	t.Helper()
	resp, err := e.Consumer.Handle(e.ctx(), events.SQSEvent{Records: msgs})
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Fatalf("consumer: %v %v", err, resp.BatchItemFailures)
	}
}

func flat(m map[string][]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v...)
	}
	return out
}

func TestCompletionWebhookIsRetriedWithTheSameID(t *testing.T) {
	rcv := newReceiver(t, 2)
	e := webhookEnv(t, rcv, true)
	tok := e.createCallbackToken("J1", rcv.url())
	rcv.secret = tok.WebhookSecret
	u := decode[ingest.Accepted](t, e.post("J1", tok.Token, `[{"source_system_id":"s0","account_id":"A000"}]`).Body).RequestUUID

	// GIVEN a receiver that answers 500 twice WHEN the webhook is delivered
	e.drain()
	e.drainWebhooks()

	// THEN it came three times with the same webhook-id, and was accepted once
	rcv.mu.Lock()
	attempts, got := rcv.attempts[domain.WebhookID(u)], len(rcv.events)
	rcv.mu.Unlock()
	if attempts != 3 || got != 1 {
		t.Fatalf("attempts %d, events %d", attempts, got)
	}
	// AND admins see the failed attempts before the delivery
	d := e.deliveries("J1", "")
	if len(d.Deliveries) != 1 || d.Deliveries[0].Status != domain.DeliveryDelivered || len(d.Deliveries[0].Attempts) != 3 ||
		d.Deliveries[0].Attempts[0].StatusCode != 500 || !strings.Contains(d.Deliveries[0].Attempts[0].Error, "500") {
		t.Errorf("deliveries %+v", d)
	}
}

func TestCompletionWebhookToAPrivateAddressIsRefusedInAWS(t *testing.T) {
	rcv := newReceiver(t, 0)
	// GIVEN the webhooks function as configured in AWS (no private networks)
	// and a callback URL on this machine (127.0.0.1)
	e := webhookEnv(t, rcv, false)
	tok := e.createCallbackToken("J1", rcv.url())
	rcv.secret = tok.WebhookSecret
	e.post("J1", tok.Token, `[{"source_system_id":"s0","account_id":"A000"}]`)

	// WHEN the webhook is attempted as often as it ever is
	e.drain()
	e.drainWebhooks()

	// THEN nothing reached the receiver
	rcv.mu.Lock()
	n := len(rcv.attempts)
	rcv.mu.Unlock()
	if n != 0 {
		t.Fatalf("the receiver on 127.0.0.1 was called %d times", n)
	}
	// AND admins see the delivery failed, every attempt refused, and its message is in the DLQ
	d := e.deliveries("J1", domain.DeliveryUndelivered)
	if len(d.Deliveries) != 1 || d.Deliveries[0].Status != domain.DeliveryFailed || len(d.Deliveries[0].Attempts) != domain.WebhookMaxAttempts ||
		!strings.Contains(d.Deliveries[0].Attempts[0].Error, "private") {
		t.Fatalf("deliveries %+v", d)
	}
	if n := e.stack.QueueDepth(t, e.stack.Resources.WebhooksDLQURL); n != 1 {
		t.Errorf("%d message(s) in the webhooks DLQ, want 1", n)
	}
}
