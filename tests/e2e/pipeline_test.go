package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// importAccounts imports the accounts the sample events name, as
// events/README.md says: V4T000000000001 (Ada Lovelace), V4T000000000002
// (Grace.Hopper@example.com) and the inactive V4T000000000003.
func importAccounts(t *testing.T) {
	t.Helper()
	tl(t, "accounts", "import", filepath.Join(repoRoot, "events", "accounts.csv"))
}

type createdToken struct {
	TokenID   string    `json:"token_id"`
	Token     string    `json:"token"`
	Endpoint  string    `json:"endpoint"`
	ExpiresAt time.Time `json:"expires_at"`
}

// TestPipeline is the marketer's and the external system's path through the
// running stack: accounts, journey and token with tl, targets posted over
// HTTP, processed by the consumer, results read with tl.
func TestPipeline(t *testing.T) {
	importAccounts(t)
	end := time.Now().UTC().AddDate(2, 0, 0).Format("2006-01-02")
	tl(t, "journeys", "put", "--id", "J-E2E", "--name", "End-to-end journey", "--end", end)

	var tok createdToken
	out := tl(t, "tokens", "create", "--journey", "J-E2E", "--expires", "30d", "--json")
	if err := json.Unmarshal([]byte(out), &tok); err != nil {
		t.Fatalf("tokens create --json: %v\n%s", err, out)
	}
	if want := stack.APIURL + "/journeys/J-E2E/targets"; tok.Endpoint != want {
		t.Errorf("endpoint = %q, want %q", tok.Endpoint, want)
	}
	if !strings.HasPrefix(tok.Token, "tl_") || tok.TokenID == "" || tok.ExpiresAt.Before(time.Now().AddDate(0, 0, 29)) {
		t.Fatalf("unexpected token: %+v", tok)
	}

	// No token: 401 problem from the real handler through the emulated gateway.
	resp := do(t, http.MethodPost, tok.Endpoint, "", `[]`)
	if resp.status != http.StatusUnauthorized || resp.header.Get("WWW-Authenticate") == "" || resp.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("without a token: %d %v %s", resp.status, resp.header, resp.body)
	}

	body := `[
		{"source_system_id": "cdp-1", "account_id": "V4T000000000001"},
		{"source_system_id": "cdp-2", "email": "grace.hopper@EXAMPLE.com", "first_name": "Grace"},
		{"source_system_id": "cdp-3", "account_id": "V4T000000000003"},
		{"source_system_id": "cdp-4", "email": "nobody@example.com"}
	]`
	resp = do(t, http.MethodPost, tok.Endpoint, tok.Token, body)
	if resp.status != http.StatusAccepted {
		t.Fatalf("POST targets: %d %s", resp.status, resp.body)
	}
	var accepted struct {
		RequestUUID string `json:"request_uuid"`
		Accepted    int    `json:"accepted"`
		StatusURL   string `json:"status_url"`
	}
	if err := json.Unmarshal(resp.body, &accepted); err != nil {
		t.Fatal(err)
	}
	wantStatusURL := stack.APIURL + "/journeys/J-E2E/requests/" + accepted.RequestUUID
	if accepted.Accepted != 4 || accepted.StatusURL != wantStatusURL {
		t.Fatalf("202 body %+v, want status_url %s", accepted, wantStatusURL)
	}

	// The poller hands the queued batch to the consumer; poll the status URL.
	var status requestStatus
	waitCompleted(t, &status, func() []byte {
		resp = do(t, http.MethodGet, accepted.StatusURL, tok.Token, "")
		if resp.status != http.StatusOK {
			t.Fatalf("GET status: %d %s", resp.status, resp.body)
		}
		return resp.body
	})
	if status.ProcessingStatus["success__v"] != 2 || status.ProcessingStatus["failed__v"] != 2 || status.ProcessingStatus["pending__v"] != 0 {
		t.Errorf("processing counts %v", status.ProcessingStatus)
	}
	if status.MatchingOutcome["matched_account_id__v"] != 2 || status.MatchingOutcome["matched_email__v"] != 1 || status.MatchingOutcome["no_match__v"] != 1 {
		t.Errorf("matching counts %v", status.MatchingOutcome)
	}

	// Loader records through tl.
	var records []loaderRecord
	out = tl(t, "loader", "list", "--request", accepted.RequestUUID, "--json")
	if err := json.Unmarshal([]byte(out), &records); err != nil {
		t.Fatalf("loader list --json: %v\n%s", err, out)
	}
	want := map[string]loaderRecord{
		"cdp-1": {Account: "V4T000000000001", Outcome: "matched_account_id__v", Status: "success__v"},
		"cdp-2": {Account: "V4T000000000002", Outcome: "matched_email__v", Status: "success__v", SubmittedEmail: "grace.hopper@EXAMPLE.com"},
		"cdp-3": {Account: "V4T000000000003", Outcome: "matched_account_id__v", Status: "failed__v"},
		"cdp-4": {Outcome: "no_match__v", Status: "failed__v", SubmittedEmail: "nobody@example.com"},
	}
	if len(records) != len(want) {
		t.Fatalf("got %d loader records, want %d: %s", len(records), len(want), out)
	}
	for _, r := range records {
		w, ok := want[r.SourceSystem]
		if !ok {
			t.Errorf("unexpected record %+v", r)
			continue
		}
		if r.Journey != "J-E2E" || r.RequestUUID != accepted.RequestUUID || r.Account != w.Account || r.Outcome != w.Outcome || r.Status != w.Status || (w.SubmittedEmail != "" && r.SubmittedEmail != w.SubmittedEmail) {
			t.Errorf("record %s = %+v, want %+v", r.SourceSystem, r, w)
		}
		if (r.Status == "failed__v") != (r.FailureReason != "") {
			t.Errorf("record %s: failure_reason__v %q with status %s", r.SourceSystem, r.FailureReason, r.Status)
		}
	}

	// The journey's target list through tl: the two matched, active accounts.
	var targets []struct {
		AccountID      string `json:"account_id"`
		AddedVia       string `json:"added_via"`
		SourceSystemID string `json:"source_system_id"`
		RequestUUID    string `json:"request_uuid"`
	}
	out = tl(t, "targets", "list", "--journey", "J-E2E", "--json")
	if err := json.Unmarshal([]byte(out), &targets); err != nil {
		t.Fatalf("targets list --json: %v\n%s", err, out)
	}
	got := map[string]string{}
	for _, tg := range targets {
		if tg.AddedVia != "API" || tg.RequestUUID != accepted.RequestUUID {
			t.Errorf("target %+v", tg)
		}
		got[tg.AccountID] = tg.SourceSystemID
	}
	if len(got) != 2 || got["V4T000000000001"] != "cdp-1" || got["V4T000000000002"] != "cdp-2" {
		t.Errorf("journey targets %s", out)
	}
}

type loaderRecord struct {
	Journey        string `json:"journey__v"`
	SourceSystem   string `json:"source_system_id__v"`
	SubmittedEmail string `json:"submitted_email__v"`
	// SubmittedAccountID is the account id the target was submitted with.
	SubmittedAccountID string `json:"submitted_account_id__v"`
	Account            string `json:"account__v"`
	Outcome            string `json:"matching_outcome__v"`
	Status             string `json:"processing_status__v"`
	FailureReason      string `json:"failure_reason__v"`
	RequestUUID        string `json:"request_uuid__v"`
}

type httpResult struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request over real HTTP to the local API.
func do(t *testing.T, method, url, token, body string) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	c := http.Client{Timeout: 30 * time.Second}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return httpResult{status: resp.StatusCode, header: resp.Header, body: b}
}

// requestStatus is the part of the status endpoint's body the tests read.
type requestStatus struct {
	Status           string         `json:"status"`
	ProcessingStatus map[string]int `json:"processing_status"`
	MatchingOutcome  map[string]int `json:"matching_outcome"`
	Records          []loaderRecord `json:"records"`
}

// waitCompleted fetches the request status into status until it is
// completed, failing the test after 30 s.
func waitCompleted(t *testing.T, status *requestStatus, fetch func() []byte) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		body := fetch()
		if err := json.Unmarshal(body, status); err != nil {
			t.Fatal(err)
		}
		if status.Status == "completed" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("request not completed within 30s: %s", body)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
