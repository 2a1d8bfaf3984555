package testenv

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"testing"

	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/targetloader/targetloader/shared/config"
	"github.com/targetloader/targetloader/shared/consumer"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
	"github.com/targetloader/targetloader/shared/local/poller"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/queue"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/apicheck"
	"github.com/targetloader/targetloader/shared/testsupport/iamcheck"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
	"github.com/targetloader/targetloader/shared/upload"
	"github.com/targetloader/targetloader/shared/webhooks"
	"github.com/targetloader/targetloader/shared/wire/consumerwire"
	"github.com/targetloader/targetloader/shared/wire/ingestwire"
	"github.com/targetloader/targetloader/shared/wire/managewire"
	"github.com/targetloader/targetloader/shared/wire/uploadwire"
	"github.com/targetloader/targetloader/shared/wire/webhookswire"
)

// Clients are the SDK clients handlers are wired with; a nil field means the
// stack's own client. Tests pass counting or fault-injecting clients here.
type Clients struct {
	DynamoDB store.DynamoDB
	SQS      queue.SQS
}

// Handlers are the functions' handlers, wired as the Lambdas wire them.
// API checks the exchanges of IngestAPI and ManageAPI (the ingest and
// manage handlers) against the OpenAPI document.
type Handlers struct {
	Ingest   *ingest.Handler
	Consumer *consumer.Handler
	Manage   *manage.Handler
	Upload   *upload.Handler
	Webhooks *webhooks.Handler
	API      *apicheck.Checker
}

// IngestAPI serves req with the ingest handler, as API Gateway calls it,
// and checks the exchange against the OpenAPI document.
func (h Handlers) IngestAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return h.API.Wrap(h.Ingest.Handle)(ctx, req)
}

// ManageAPI serves req with the manage handler, checked as IngestAPI is.
func (h Handlers) ManageAPI(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	return h.API.Wrap(h.Manage.Handle)(ctx, req)
}

// Wire builds the handlers from the stack's environment, as each function
// loads it from its own. The consumer does not wait for a request still
// being enqueued (EnqueueWait 0): tests drive ingest and the consumer in turn.
// Every call is held to the function's access table (iamcheck).
func (s *Stack) Wire(t testing.TB, log *slog.Logger, c Clients) Handlers {
	t.Helper()
	var db store.DynamoDB = s.DynamoDB
	if c.DynamoDB != nil {
		db = c.DynamoDB
	}
	var q queue.SQS = s.SQS
	if c.SQS != nil {
		q = c.SQS
	}
	// Each handler may only make the calls its role allows in AWS.
	ingestIAM := iamcheck.New(t, resources.IngestFunction, s.Env)
	consumerIAM := iamcheck.New(t, resources.ConsumerFunction, s.Env)
	manageIAM := iamcheck.New(t, resources.ManageFunction, s.Env)
	uploadIAM := iamcheck.New(t, resources.UploadFunction, s.Env)
	webhooksIAM := iamcheck.New(t, resources.WebhooksFunction, s.Env)
	h := Handlers{
		Ingest:   ingestwire.New(Config[config.Ingest](t, s), ingestIAM.DynamoDB(db), ingestIAM.SQS(q), log),
		Consumer: consumerwire.New(Config[config.Consumer](t, s), consumerIAM.DynamoDB(db), consumerIAM.SQS(q), log),
		Manage:   managewire.New(Config[config.Manage](t, s), manageIAM.DynamoDB(db), manageIAM.Secrets(s.Secrets), log),
		Upload:   uploadwire.New(Config[config.Upload](t, s), uploadIAM.DynamoDB(db), uploadIAM.SQS(q), log),
		Webhooks: webhookswire.New(Config[config.Webhooks](t, s), webhooksIAM.DynamoDB(db), webhooksIAM.Visibility(s.SQS), webhooksIAM.Secrets(s.Secrets), log),
		API:      apicheck.New(t),
	}
	h.Consumer.EnqueueWait = 0
	return h
}

// The stack's tables through the service's own adapters, for seeding and checking.

func (s *Stack) table(t resources.Table) string { return s.Env[t.EnvVar] }

func (s *Stack) Journeys() store.Journeys {
	return store.Journeys{DB: s.DynamoDB, Table: s.table(resources.Journeys)}
}

func (s *Stack) Accounts() store.Accounts {
	return store.Accounts{DB: s.DynamoDB, Table: s.table(resources.Accounts), EmailsTable: s.table(resources.AccountEmails)}
}

func (s *Stack) Requests() store.Requests {
	return store.Requests{DB: s.DynamoDB, Table: s.table(resources.Requests), IdempotencyTable: s.table(resources.Idempotency)}
}

func (s *Stack) LoaderRecords() store.LoaderRecords {
	return store.LoaderRecords{DB: s.DynamoDB, Table: s.table(resources.LoaderRecords)}
}

func (s *Stack) JourneyTargets() store.JourneyTargets {
	return store.JourneyTargets{DB: s.DynamoDB, Table: s.table(resources.JourneyTargets)}
}

// PutJourney stores j.
func (s *Stack) PutJourney(t testing.TB, j domain.Journey) {
	t.Helper()
	if err := s.Journeys().Put(context.Background(), j); err != nil {
		t.Fatal(err)
	}
}

// ImportAccounts imports accounts as `tl accounts import` does.
func (s *Stack) ImportAccounts(t testing.TB, accounts []domain.Account) {
	t.Helper()
	if _, err := s.Accounts().Import(context.Background(), accounts); err != nil {
		t.Fatal(err)
	}
}

// CreateToken creates a token of journeyID through the manage handler h,
// as the marketer API Gateway's authorizer verified (workload.Marketer);
// the exchange is checked against the OpenAPI document.
func CreateToken(t testing.TB, h *manage.Handler, journeyID, expires string) manage.Created {
	t.Helper()
	resp, err := apicheck.New(t).Wrap(h.Handle)(context.Background(), workload.CreateToken(journeyID, expires))
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("create token: %v %d %s", err, resp.StatusCode, resp.Body)
	}
	var c manage.Created
	if err := json.Unmarshal([]byte(resp.Body), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// Drain feeds the stack's queue to h, as the SQS event source mapping does,
// until the queue holds nothing, visible or in flight; it returns the rounds
// that took. Messages h reports as failed become visible again at once (as
// with a very short visibility timeout) instead of after the queue's 6
// minutes, so a test never stops while one waits for its redelivery.
func (s *Stack) Drain(t testing.TB, h poller.Handler) int {
	t.Helper()
	return s.DrainQueue(t, s.Resources.QueueURL, h)
}

// DrainQueue feeds the stack's queue at queueURL to h, as Drain does the
// targets queue (the webhooks queue to the webhooks handler, say).
func (s *Stack) DrainQueue(t testing.TB, queueURL string, h poller.Handler) int {
	t.Helper()
	p := s.QueuePoller(queueURL, s.redeliverAtOnce(t, queueURL, h))
	for round := 1; round <= 200; round++ {
		n, err := p.Once(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 && s.QueueDepth(t, queueURL) == 0 {
			return round
		}
	}
	t.Fatal("the queue did not drain in 200 rounds")
	return 0
}

// RedeliverAtOnce wraps an SQS handler so that the messages it reports as
// failed become visible again at once. (ReceiveMessage cannot ask for a
// visibility timeout of 0: the SDK omits a zero from the request.)
func (s *Stack) RedeliverAtOnce(t testing.TB, h poller.Handler) poller.Handler {
	return s.redeliverAtOnce(t, s.Resources.QueueURL, h)
}

func (s *Stack) redeliverAtOnce(t testing.TB, queueURL string, h poller.Handler) poller.Handler {
	return func(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
		resp, err := h(ctx, ev)
		failed := map[string]bool{}
		for _, f := range resp.BatchItemFailures {
			failed[f.ItemIdentifier] = true
		}
		for _, m := range ev.Records {
			if err != nil || failed[m.MessageId] {
				if _, cerr := s.SQS.ChangeMessageVisibility(context.Background(), &sqs.ChangeMessageVisibilityInput{
					QueueUrl: aws.String(queueURL), ReceiptHandle: aws.String(m.ReceiptHandle), VisibilityTimeout: 0,
				}); cerr != nil {
					t.Errorf("make message %s visible again: %v", m.MessageId, cerr)
				}
			}
		}
		return resp, err
	}
}

// QueueDepth is the number of messages on queueURL, visible or in flight.
func (s *Stack) QueueDepth(t testing.TB, queueURL string) int {
	t.Helper()
	names := []sqstypes.QueueAttributeName{sqstypes.QueueAttributeNameApproximateNumberOfMessages, sqstypes.QueueAttributeNameApproximateNumberOfMessagesNotVisible}
	out, err := s.SQS.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: &queueURL, AttributeNames: names})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, k := range names {
		v, _ := strconv.Atoi(out.Attributes[string(k)])
		n += v
	}
	return n
}

// Poller feeds the stack's targets queue to h as the event source mapping does.
func (s *Stack) Poller(h poller.Handler) *poller.Poller {
	return s.QueuePoller(s.Resources.QueueURL, h)
}

// QueuePoller feeds the stack's queue at url to h as the event source
// mapping of the function it feeds does (its batch size and timeout).
func (s *Stack) QueuePoller(url string, h poller.Handler) *poller.Poller {
	fn := resources.ConsumerFunction
	if url == s.Resources.WebhooksQueueURL {
		fn = resources.WebhooksFunction
	}
	return &poller.Poller{SQS: s.SQS, QueueURL: url, Handler: h, Logger: slog.New(slog.DiscardHandler), BatchSize: int32(fn.EventSource.BatchSize), InvokeTimeout: fn.Timeout}
}

// Handle runs the consumer handler h on msgs and fails the test if any
// message failed.
func Handle(t testing.TB, h *consumer.Handler, msgs []events.SQSMessage) {
	t.Helper()
	resp, err := h.Handle(context.Background(), events.SQSEvent{Records: msgs})
	if err != nil || len(resp.BatchItemFailures) > 0 {
		t.Errorf("consumer: err %v, failures %v", err, resp.BatchItemFailures)
	}
}
