package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestIntegrating is the path of an external system's developer: the
// OpenAPI document, a dry run, request ids, and a completion webhook to a
// callback URL set with tl, verified with the Standard Webhooks library;
// an admin sees its delivery with tl.
func TestIntegrating(t *testing.T) {
	importAccounts(t)
	tl(t, "journeys", "put", "--id", "J-INT", "--name", "Integrators")

	// The OpenAPI document, without sign-in, naming this API as its server.
	resp := do(t, http.MethodGet, stack.APIURL+"/openapi.json", "", "")
	var doc struct {
		OpenAPI string              `json:"openapi"`
		Servers []map[string]string `json:"servers"`
		Paths   map[string]any      `json:"paths"`
	}
	if resp.status != http.StatusOK || json.Unmarshal(resp.body, &doc) != nil || doc.OpenAPI != "3.1.0" || doc.Servers[0]["url"] != stack.APIURL || doc.Paths["/journeys/{journey_id}/targets"] == nil {
		t.Fatalf("GET /openapi.json: %d %.300s", resp.status, resp.body)
	}

	// A token with a callback URL: its webhook secret is printed once, with the token.
	out := tl(t, "tokens", "create", "--journey", "J-INT", "--expires", "30d", "--callback-url", hooks.URL("/hook"))
	fields := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		k, v, _ := strings.Cut(line, ": ")
		fields[k] = v
	}
	if !strings.HasPrefix(fields["webhook_secret"], "whsec_") || fields["callback_url"] != hooks.URL("/hook") || fields["token"] == "" {
		t.Fatalf("tokens create --callback-url printed:\n%s", out)
	}
	endpoint, token := fields["endpoint"], fields["token"]
	body := `[{"source_system_id":"int-1","account_id":"V4T000000000001"},{"source_system_id":"int-2","email":"nobody@example.com"}]`

	// A dry run: 200, what each target would become, nothing queued.
	resp = do(t, http.MethodPost, endpoint+"?dry_run=true", token, body)
	var dry struct {
		DryRun  bool `json:"dry_run"`
		Records []struct {
			Outcome string `json:"matching_outcome__v"`
		} `json:"records"`
	}
	if resp.status != http.StatusOK || json.Unmarshal(resp.body, &dry) != nil || !dry.DryRun || len(dry.Records) != 2 ||
		dry.Records[0].Outcome != "matched_account_id__v" || dry.Records[1].Outcome != "no_match__v" || resp.header.Get("X-Request-Id") == "" {
		t.Fatalf("dry run: %d %v %s", resp.status, resp.header, resp.body)
	}

	// The real request: 202 with Location and X-Request-Id.
	resp = do(t, http.MethodPost, endpoint, token, body)
	var accepted struct {
		RequestUUID string `json:"request_uuid"`
		StatusURL   string `json:"status_url"`
	}
	if resp.status != http.StatusAccepted || json.Unmarshal(resp.body, &accepted) != nil || resp.header.Get("Location") != accepted.StatusURL || resp.header.Get("X-Request-Id") == "" {
		t.Fatalf("POST: %d %v %s", resp.status, resp.header, resp.body)
	}

	// The completion webhook arrives, once, signed with the token's secret.
	id := "msg_" + strings.ReplaceAll(accepted.RequestUUID, "-", "")
	got := hooks.WaitFor(t, id)
	if len(got) != 1 {
		t.Fatalf("%d webhook(s) with id %s", len(got), id)
	}
	wh, err := standardwebhooks.NewWebhook(fields["webhook_secret"])
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(got[0].Body, got[0].Header); err != nil {
		t.Errorf("the webhook does not verify: %v", err)
	}
	var event map[string]any
	if err := json.Unmarshal(got[0].Body, &event); err != nil || event["type"] != "request.completed" || event["request_uuid"] != accepted.RequestUUID || event["status_url"] != accepted.StatusURL {
		t.Errorf("event %s", got[0].Body)
	}

	// An admin sees it delivered; nothing is left undelivered.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(tl(t, "webhooks", "list", "--journey", "J-INT"), "delivered") {
		if time.Now().After(deadline) {
			t.Fatalf("tl webhooks list:\n%s", tl(t, "webhooks", "list", "--journey", "J-INT"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if out := tl(t, "webhooks", "failures", "--journey", "J-INT"); !strings.Contains(out, "no undelivered webhooks") {
		t.Errorf("tl webhooks failures:\n%s", out)
	}

	// A refusal carries its request id as header and in the problem document.
	resp = do(t, http.MethodGet, stack.APIURL+"/manage/journeys", "", "")
	var p struct {
		RequestID string `json:"request_id"`
	}
	if resp.status != http.StatusUnauthorized || json.Unmarshal(resp.body, &p) != nil || p.RequestID == "" || p.RequestID != resp.header.Get("X-Request-Id") {
		t.Errorf("401: %d %v %s", resp.status, resp.header, resp.body)
	}
}
