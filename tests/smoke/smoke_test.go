package smoke

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

// seedSample creates what the sample events expect: journey J-SAMPLE and
// accounts V4T000000000001 and one with email grace.hopper@example.com.
func seedSample(t *testing.T, stack *testenv.Stack) {
	t.Helper()
	ctx := context.Background()
	if err := (store.Journeys{DB: stack.DynamoDB, Table: stack.Env["JOURNEYS_TABLE"]}).Put(ctx, domain.Journey{ID: "J-SAMPLE", Name: "Sample journey"}); err != nil {
		t.Fatal(err)
	}
	accounts := []domain.Account{
		{ID: "V4T000000000001", Emails: []string{"ada.lovelace@example.com"}, FirstName: "Ada", LastName: "Lovelace", Status: domain.AccountActive},
		{ID: "V4T000000000002", Emails: []string{"Grace.Hopper@example.com"}, FirstName: "Grace", LastName: "Hopper", Status: domain.AccountActive},
	}
	if _, err := (store.Accounts{DB: stack.DynamoDB, Table: stack.Env["ACCOUNTS_TABLE"], EmailsTable: stack.Env["ACCOUNT_EMAILS_TABLE"]}).Import(ctx, accounts); err != nil {
		t.Fatal(err)
	}
}

// TestBootstrapsServeSampleEvents runs the real bootstraps under the
// emulator, configured only through the environment the stack sets, and
// takes the sample events through them: token operations, a post that is
// queued, the queued message consumed, the request read back, the token
// expired and refused.
func TestBootstrapsServeSampleEvents(t *testing.T) {
	t.Parallel()
	stack := testenv.NewStack(t)
	seedSample(t, stack)
	env := functionEnv(stack)
	manageFn := startFunction(t, "manage", env)
	ingestFn := startFunction(t, "ingest", env)
	consumerFn := startFunction(t, "consumer", env)
	uploadFn := startFunction(t, "upload", env)

	// Management API: the journey's options, a token generated and listed.
	var journey struct {
		ExpiryOptions []struct {
			ID string `json:"id"`
		} `json:"expiry_options"`
	}
	manageFn.invokeAPI(t, "manage-get-journey", event(t, "manage-get-journey.json"), http.StatusOK, &journey)
	if len(journey.ExpiryOptions) != 4 {
		t.Fatalf("manage-get-journey: %+v, want 4 options", journey)
	}
	var tok struct {
		TokenID  string `json:"token_id"`
		Token    string `json:"token"`
		Endpoint string `json:"endpoint"`
	}
	createID := manageFn.invokeAPI(t, "manage-create-token", event(t, "manage-create-token.json"), http.StatusCreated, &tok)
	if !strings.HasPrefix(tok.Token, "tl_") || tok.TokenID == "" {
		t.Fatalf("manage-create-token: %+v", tok)
	}
	// The endpoint is the API the marketer reached (the event's Host).
	if tok.Endpoint != "http://127.0.0.1:3000/journeys/J-SAMPLE/targets" {
		t.Errorf("manage-create-token endpoint %q", tok.Endpoint)
	}
	// The bootstrap logs JSON (AWS_LAMBDA_LOG_FORMAT) with the invoke's request id.
	manageFn.waitLog(t, "token created", func(l logLine) bool {
		return l.Message == "token created" && l.Level == "INFO" && l.RequestID == createID
	})
	var list struct {
		Tokens []struct {
			TokenID   string `json:"token_id"`
			Status    string `json:"status"`
			CreatedBy string `json:"created_by"`
		} `json:"tokens"`
	}
	manageFn.invokeAPI(t, "manage-list-tokens", event(t, "manage-list-tokens.json"), http.StatusOK, &list)
	if len(list.Tokens) != 1 || list.Tokens[0].TokenID != tok.TokenID || list.Tokens[0].Status != "active" || list.Tokens[0].CreatedBy != "marketer@example.com" {
		t.Fatalf("manage-list-tokens: %+v, want the one active token %s by the marketer", list, tok.TokenID)
	}

	// Ingest: the post is accepted and queued on QUEUE_URL.
	var post events.APIGatewayProxyResponse
	postID := ingestFn.invokeOK(t, "api-post-targets", event(t, "api-post-targets.json", "REPLACE_WITH_TOKEN", tok.Token), &post)
	if post.StatusCode != http.StatusAccepted {
		t.Fatalf("api-post-targets: status %d, body %s", post.StatusCode, post.Body)
	}
	var accepted struct {
		RequestUUID string `json:"request_uuid"`
		Accepted    int    `json:"accepted"`
	}
	if err := json.Unmarshal([]byte(post.Body), &accepted); err != nil || accepted.Accepted != 3 || accepted.RequestUUID == "" {
		t.Fatalf("api-post-targets body %s", post.Body)
	}
	ingestFn.waitLog(t, "targets accepted", func(l logLine) bool {
		return l.Message == "targets accepted" && l.RequestID == postID
	})
	msgs := testenv.ReceiveAll(t, stack.SQS, stack.Env["QUEUE_URL"])
	if len(msgs) != 1 {
		t.Fatalf("queued messages: %d, want 1", len(msgs))
	}
	var batch struct {
		RequestUUID string            `json:"request_uuid"`
		Targets     []json.RawMessage `json:"targets"`
	}
	if err := json.Unmarshal([]byte(msgs[0].Body), &batch); err != nil || batch.RequestUUID != accepted.RequestUUID || len(batch.Targets) != 3 {
		t.Fatalf("queued message %s, want the batch of request %s", msgs[0].Body, accepted.RequestUUID)
	}

	// Consumer: the queued message in an SQS event shaped like the sample.
	var sqsEvent events.SQSEvent
	if err := json.Unmarshal(event(t, "sqs-targets.json", "REPLACE_WITH_REQUEST_UUID", accepted.RequestUUID), &sqsEvent); err != nil || len(sqsEvent.Records) != 1 {
		t.Fatalf("sqs-targets.json: %v", err)
	}
	record := sqsEvent.Records[0]
	record.MessageId, record.ReceiptHandle, record.Body = msgs[0].MessageId, msgs[0].ReceiptHandle, msgs[0].Body
	sqsEvent.Records = []events.SQSMessage{record}
	payload, err := json.Marshal(sqsEvent)
	if err != nil {
		t.Fatal(err)
	}
	var sqsResp events.SQSEventResponse
	consumerFn.invokeOK(t, "sqs event", payload, &sqsResp)
	if len(sqsResp.BatchItemFailures) != 0 {
		t.Fatalf("consumer batch item failures: %+v", sqsResp.BatchItemFailures)
	}
	records, _, err := (store.LoaderRecords{DB: stack.DynamoDB, Table: stack.Env["LOADER_RECORDS_TABLE"]}).ListByRequest(context.Background(), accepted.RequestUUID, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]domain.MatchingOutcome{}
	for _, r := range records {
		outcomes[r.SourceSystemID] = r.MatchingOutcome
	}
	if len(records) != 3 || outcomes["cdp-1001"] != "matched_account_id__v" || outcomes["cdp-1002"] != "matched_email__v" {
		t.Fatalf("loader records of %s: %d, outcomes %v", accepted.RequestUUID, len(records), outcomes)
	}

	// Ingest: the request reads back completed with its records.
	var get events.APIGatewayProxyResponse
	ingestFn.invokeOK(t, "api-get-request", event(t, "api-get-request.json", "REPLACE_WITH_TOKEN", tok.Token, "REPLACE_WITH_REQUEST_UUID", accepted.RequestUUID), &get)
	var status struct {
		Status  string            `json:"status"`
		Records []json.RawMessage `json:"records"`
	}
	if get.StatusCode != http.StatusOK || json.Unmarshal([]byte(get.Body), &status) != nil || status.Status != "completed" || len(status.Records) != 3 {
		t.Fatalf("api-get-request: status %d, body %s; want 200, completed with 3 records", get.StatusCode, get.Body)
	}

	// An admin reads the request's full records.
	var page struct {
		Records []json.RawMessage `json:"records"`
	}
	manageFn.invokeAPI(t, "manage-loader-records", event(t, "manage-loader-records.json", "REPLACE_WITH_REQUEST_UUID", accepted.RequestUUID), http.StatusOK, &page)
	if len(page.Records) != 3 {
		t.Fatalf("manage-loader-records: %d records, want 3", len(page.Records))
	}

	// An admin's file of targets: queued through the upload bootstrap, its
	// bad row answered with its line.
	var uploaded struct {
		Accepted int `json:"accepted"`
		BadRows  []struct {
			Line int `json:"line"`
		} `json:"bad_rows"`
	}
	uploadFn.invokeAPI(t, "upload-targets", event(t, "upload-targets.json"), http.StatusAccepted, &uploaded)
	if uploaded.Accepted != 2 || len(uploaded.BadRows) != 1 || uploaded.BadRows[0].Line != 4 {
		t.Fatalf("upload-targets: %+v, want 2 accepted and line 4 bad", uploaded)
	}

	// Tokens: expire; the API then refuses the token.
	var expired struct {
		Status    string `json:"status"`
		RevokedBy string `json:"revoked_by"`
	}
	manageFn.invokeAPI(t, "manage-expire-token", event(t, "manage-expire-token.json", "REPLACE_WITH_TOKEN_ID", tok.TokenID), http.StatusOK, &expired)
	if expired.Status != "revoked" || expired.RevokedBy != "marketer@example.com" {
		t.Fatalf("manage-expire-token: %+v, want revoked by the marketer", expired)
	}
	ingestFn.invokeOK(t, "api-post-targets with the expired token", event(t, "api-post-targets.json", "REPLACE_WITH_TOKEN", tok.Token), &post)
	if post.StatusCode != http.StatusUnauthorized {
		t.Fatalf("post with the expired token: status %d, body %s; want 401", post.StatusCode, post.Body)
	}
}

// TestIngestBootstrapRefusesIncompleteConfig starts the ingest bootstrap
// without QUEUE_URL: it must fail its cold start, logging "invalid
// configuration" naming the variable, and the emulator must fail the invoke
// rather than run a handler.
func TestIngestBootstrapRefusesIncompleteConfig(t *testing.T) {
	t.Parallel()
	stack := testenv.NewStack(t)
	env := functionEnv(stack)
	delete(env, "QUEUE_URL")
	ingestFn := startFunction(t, "ingest", env)

	status, body, _ := ingestFn.invoke(t, event(t, "api-post-targets.json", "REPLACE_WITH_TOKEN", "tl_unused"))
	// The pinned emulator answers a runtime that exits during init with
	// 502 Bad Gateway (rapidcore.ErrInitDoneFailed / ErrInvokeDoneFailed).
	if status != http.StatusBadGateway {
		t.Errorf("invoke without QUEUE_URL: HTTP %d %s, want 502 from the emulator", status, body)
	}
	l := ingestFn.waitLog(t, "invalid configuration", func(l logLine) bool {
		return l.Message == "invalid configuration" && l.Level == "ERROR"
	})
	if !strings.Contains(l.Error, `"QUEUE_URL" is not set`) || strings.Contains(l.Error, "TABLE") {
		t.Errorf("invalid configuration error %q, want only QUEUE_URL missing", l.Error)
	}
	// The emulator saw the runtime exit; its log line may trail the response.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(ingestFn.out.String(), "Runtime exited with error: exit status 1") {
		if time.Now().After(deadline) {
			t.Errorf("emulator output does not report the runtime's exit:\n%s", ingestFn.out.String())
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWebhooksBootstrapDeliversASignedWebhook runs the real webhooks
// bootstrap under the emulator with the stack's environment and takes the
// sample webhook message through it: the receiver gets the event, signed
// with the key derived from the stage's master key and the token id.
func TestWebhooksBootstrapDeliversASignedWebhook(t *testing.T) {
	t.Parallel()
	stack := testenv.NewStack(t)
	var mu sync.Mutex
	var got []*http.Request
	var bodies [][]byte
	receiver := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got, bodies = append(got, r), append(bodies, b)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()
	// The bootstrap trusts the receiver's certificate as any Go program
	// would be told to: SSL_CERT_FILE.
	certFile := filepath.Join(t.TempDir(), "receiver.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: receiver.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := functionEnv(stack)
	env["SSL_CERT_FILE"] = certFile
	webhooksFn := startFunction(t, "webhooks", env)

	var resp events.SQSEventResponse
	webhooksFn.invokeOK(t, "sqs-webhook", event(t, "sqs-webhook.json", "REPLACE_WITH_TOKEN_ID", "tok-smoke", "REPLACE_WITH_CALLBACK_URL", receiver.URL+"/hook"), &resp)
	if len(resp.BatchItemFailures) != 0 || len(got) != 1 {
		t.Fatalf("failures %v, %d deliveries", resp.BatchItemFailures, len(got))
	}
	secret, err := stack.Secrets.GetSecretValue(context.Background(), &secretsmanager.GetSecretValueInput{SecretId: aws.String(stack.Env["WEBHOOK_KEY_SECRET"])})
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(domain.WebhookSecret(domain.WebhookKey([]byte(aws.ToString(secret.SecretString)), "tok-smoke")))
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.VerifyIgnoringTimestamp(bodies[0], got[0].Header); err != nil {
		t.Errorf("the delivered webhook does not verify: %v", err)
	}
	if !strings.Contains(string(bodies[0]), `"type":"request.completed"`) {
		t.Errorf("body %s", bodies[0])
	}
}
