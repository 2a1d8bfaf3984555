package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/testsupport/readme"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

// event reads a sample event from events/ with its placeholders replaced.
func event(t *testing.T, name string, replace ...string) []byte {
	t.Helper()
	return testenv.SampleEvent(t, repoRoot, name, replace...)
}

// invoke calls a function through the stack's Lambda Invoke API, as
// `aws lambda invoke --endpoint-url` does, and decodes its result into out.
// It returns the function error type, empty on success.
func invoke(t *testing.T, function string, payload []byte, out any) string {
	t.Helper()
	resp, err := http.Post(stack.LambdaURL+"/2015-03-31/functions/"+function+"/invocations", "application/json", strings.NewReader(string(payload)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("invoke %s: HTTP %d %s", function, resp.StatusCode, b)
	}
	if resp.Header.Get("X-Amz-Function-Error") != "" {
		var fe struct {
			Type    string `json:"errorType"`
			Message string `json:"errorMessage"`
		}
		if err := json.Unmarshal(b, &fe); err != nil || fe.Type == "" {
			t.Fatalf("invoke %s: malformed function error %s", function, b)
		}
		return fe.Type
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("invoke %s: %v: %s", function, err, b)
		}
	}
	return ""
}

// invokeAPI invokes an API Gateway proxy function and decodes the response
// body into out (when not nil); it returns the response's status.
func invokeAPI(t *testing.T, function string, payload []byte, out any) int {
	t.Helper()
	var resp events.APIGatewayProxyResponse
	if fe := invoke(t, function, payload, &resp); fe != "" {
		t.Fatalf("invoke %s: function error %s", function, fe)
	}
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal([]byte(resp.Body), out); err != nil {
			t.Fatalf("invoke %s: %v: %s", function, err, resp.Body)
		}
	}
	return resp.StatusCode
}

// TestSampleEvents runs every sample event in events/ through the real
// handlers (manage, ingest, consumer, webhooks) via the Invoke API.
func TestSampleEvents(t *testing.T) {
	importAccounts(t)
	tl(t, "journeys", "put", "--id", "J-SAMPLE", "--name", "Sample journey")

	var journey struct {
		ExpiryOptions []struct {
			ID string `json:"id"`
		} `json:"expiry_options"`
	}
	if status := invokeAPI(t, "manage", event(t, "manage-get-journey.json"), &journey); status != http.StatusOK || len(journey.ExpiryOptions) != 4 {
		t.Fatalf("manage-get-journey: status %d, %+v", status, journey)
	}

	var tok createdToken
	if status := invokeAPI(t, "ManageFunction", event(t, "manage-create-token.json"), &tok); status != http.StatusCreated || !strings.HasPrefix(tok.Token, "tl_") {
		t.Fatalf("manage-create-token: status %d, %+v", status, tok)
	}

	var post events.APIGatewayProxyResponse
	if fe := invoke(t, "ingest", event(t, "api-post-targets.json", "REPLACE_WITH_TOKEN", tok.Token), &post); fe != "" || post.StatusCode != http.StatusAccepted {
		t.Fatalf("api-post-targets: error %q, response %+v", fe, post)
	}
	var accepted struct {
		RequestUUID string `json:"request_uuid"`
		Accepted    int    `json:"accepted"`
	}
	if err := json.Unmarshal([]byte(post.Body), &accepted); err != nil || accepted.Accepted != 3 {
		t.Fatalf("api-post-targets body %s", post.Body)
	}

	// The same batch as the poller delivers it: processing it again is
	// idempotent, so it succeeds whether or not the poller got there first.
	var sqsResp events.SQSEventResponse
	if fe := invoke(t, "consumer", event(t, "sqs-targets.json", "REPLACE_WITH_REQUEST_UUID", accepted.RequestUUID), &sqsResp); fe != "" || len(sqsResp.BatchItemFailures) != 0 {
		t.Fatalf("sqs-targets: error %q, failures %+v", fe, sqsResp.BatchItemFailures)
	}

	// The webhooks function: a queued completion webhook, delivered to this test's receiver.
	var hookResp events.SQSEventResponse
	if fe := invoke(t, "webhooks", event(t, "sqs-webhook.json", "REPLACE_WITH_TOKEN_ID", tok.TokenID, "REPLACE_WITH_CALLBACK_URL", hooks.URL("/sample")), &hookResp); fe != "" || len(hookResp.BatchItemFailures) != 0 {
		t.Fatalf("sqs-webhook: error %q, failures %+v", fe, hookResp.BatchItemFailures)
	}
	if got := hooks.WaitFor(t, "msg_5b0e6f1e9d7c4a3b8e210c4d2f6a7b19"); len(got) != 1 || !strings.HasPrefix(got[0].Header.Get("webhook-signature"), "v1,") {
		t.Errorf("sqs-webhook: %d deliveries", len(got))
	}

	var get events.APIGatewayProxyResponse
	var status requestStatus
	waitCompleted(t, &status, func() []byte {
		getEvent := event(t, "api-get-request.json", "REPLACE_WITH_TOKEN", tok.Token, "REPLACE_WITH_REQUEST_UUID", accepted.RequestUUID)
		if fe := invoke(t, "targetloader-"+stack.Stage+"-ingest", getEvent, &get); fe != "" || get.StatusCode != http.StatusOK {
			t.Fatalf("api-get-request: error %q, response %+v", fe, get)
		}
		return []byte(get.Body)
	})
	outcomes := map[string]string{}
	for _, r := range status.Records {
		outcomes[r.SourceSystem] = r.Outcome
	}
	if outcomes["cdp-1001"] != "matched_account_id__v" || outcomes["cdp-1002"] != "matched_email__v" || len(outcomes) != 3 {
		t.Errorf("sample outcomes %v: %s", outcomes, get.Body)
	}

	// The upload function: an admin's file, its bad row answered with its line.
	var uploaded struct {
		RequestUUID string `json:"request_uuid"`
		Accepted    int    `json:"accepted"`
		BadRows     []struct {
			Line int `json:"line"`
		} `json:"bad_rows"`
	}
	if status := invokeAPI(t, "upload", event(t, "upload-targets.json"), &uploaded); status != http.StatusAccepted || uploaded.Accepted != 2 || len(uploaded.BadRows) != 1 || uploaded.BadRows[0].Line != 4 {
		t.Fatalf("upload-targets: status %d, %+v", status, uploaded)
	}

	var records struct {
		Records []loaderRecord `json:"records"`
	}
	if status := invokeAPI(t, "manage", event(t, "manage-loader-records.json", "REPLACE_WITH_REQUEST_UUID", accepted.RequestUUID), &records); status != http.StatusOK || len(records.Records) != 3 {
		t.Fatalf("manage-loader-records: status %d, %+v", status, records)
	}
	var list struct {
		Tokens []struct {
			TokenID string `json:"token_id"`
			Status  string `json:"status"`
		} `json:"tokens"`
	}
	// Other tests may have made tokens of J-SAMPLE too.
	if status := invokeAPI(t, "manage", event(t, "manage-list-tokens.json"), &list); status != http.StatusOK || !slices.ContainsFunc(list.Tokens, func(l struct {
		TokenID string `json:"token_id"`
		Status  string `json:"status"`
	}) bool {
		return l.TokenID == tok.TokenID && l.Status == "active"
	}) {
		t.Fatalf("manage-list-tokens: status %d, %+v", status, list)
	}
	var expired struct {
		Status string `json:"status"`
	}
	if status := invokeAPI(t, "manage", event(t, "manage-expire-token.json", "REPLACE_WITH_TOKEN_ID", tok.TokenID), &expired); status != http.StatusOK || expired.Status != "revoked" {
		t.Fatalf("manage-expire-token: status %d, %+v", status, expired)
	}
	// An unknown token is a 404 problem.
	if status := invokeAPI(t, "manage", event(t, "manage-expire-token.json", "REPLACE_WITH_TOKEN_ID", "00000000-0000-0000-0000-000000000000"), nil); status != http.StatusNotFound {
		t.Errorf("expiring an unknown token: status %d, want 404", status)
	}
	// The revoked token is refused by the API.
	if fe := invoke(t, "ingest", event(t, "api-post-targets.json", "REPLACE_WITH_TOKEN", tok.Token), &post); fe != "" || post.StatusCode != http.StatusUnauthorized {
		t.Errorf("post with a revoked token: error %q, status %d", fe, post.StatusCode)
	}
}

// shellBlocks returns the ```sh blocks of a markdown file, in order.
func shellBlocks(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	blocks := readme.ShellBlocks(string(b))
	if len(blocks) == 0 {
		t.Fatalf("%s has no sh blocks", path)
	}
	return strings.Join(blocks, "\n")
}

// TestEventsREADMECommands runs the commands of events/README.md as they
// are written, with tl and the AWS CLI, against the stack (whose ports the
// environment variables name, as README's local settings say).
func TestEventsREADMECommands(t *testing.T) {
	for _, tool := range []string{"aws", "python3", "bash", "sed"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not on PATH: %v", tool, err)
		}
	}
	script := shellBlocks(t, filepath.Join(repoRoot, "events", "README.md"))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = repoRoot
	cmd.Env = append(tlEnv(home, true), "TL_LAMBDA_ADDR="+strings.TrimPrefix(stack.LambdaURL, "http://"), "PATH="+filepath.Dir(tlBin)+string(os.PathListSeparator)+os.Getenv("PATH"), "AWS_CONFIG_FILE="+filepath.Join(t.TempDir(), "none"), "TMPDIR="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("events/README.md commands: %v\n%s", err, out)
	}
	for _, want := range []string{`\"expiry_options\":[{\"id\":\"30d\"`, `"statusCode":202`, `"statusCode":200`, `\"journey_id\":\"J-SAMPLE\"`, `"batchItemFailures":null`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %s:\n%s", want, out)
		}
	}
}
