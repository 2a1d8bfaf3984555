package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

func keysOf(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func TestUnknownStageAndStoppedStack(t *testing.T) {
	h := newHarness(t)
	r := h.fails("is `make dev` running", "journeys", "get", "--id", "J1", "--stage", "nosuchstage")
	if !strings.Contains(r.stderr, "targetloader-nosuchstage-journeys") {
		t.Errorf("stderr %q does not name the table", r.stderr)
	}
	port, err := localaws.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://127.0.0.1:" + strconv.Itoa(port)
	h.fails("cannot reach the local AWS endpoint at "+dead+": is `make dev` running?", "journeys", "get", "--id", "J1", "--endpoint", dead)
	h.fails("cannot reach the local API at "+dead+": is `make dev` running?", "tokens", "list", "--journey", "J1", "--api-url", dead)
}

func TestTokens(t *testing.T) {
	h := newHarness(t)
	end := time.Now().UTC().AddDate(0, 5, 0).Format(domain.DateLayout)
	h.ok("journeys", "put", "--id", "J1", "--name", "Five months", "--end", end)

	// Options: 30d, 90d and journey_end for a journey ending in five months.
	opts := decodeJSON[[]map[string]any](t, h.ok("tokens", "options", "--journey", "J1", "--json").stdout)
	var ids []string
	for _, o := range opts {
		ids = append(ids, o["id"].(string))
	}
	if !slices.Equal(ids, []string{"30d", "90d", "journey_end"}) {
		t.Errorf("options = %v", ids)
	}
	r := h.ok("tokens", "options", "--journey", "J1")
	if !strings.Contains(r.stdout, "CHOICE") || !strings.Contains(r.stdout, "journey_end") {
		t.Errorf("options table = %q", r.stdout)
	}

	// Create: exactly one endpoint line and one token line.
	r = h.ok("tokens", "create", "--journey", "J1", "--expires", "30d")
	var endpoints, secrets []string
	for _, line := range strings.Split(strings.TrimRight(r.stdout, "\n"), "\n") {
		if v, ok := strings.CutPrefix(line, "endpoint: "); ok {
			endpoints = append(endpoints, v)
		}
		if v, ok := strings.CutPrefix(line, "token: "); ok {
			secrets = append(secrets, v)
		}
	}
	if len(endpoints) != 1 || endpoints[0] != h.api.URL+"/journeys/J1/targets" {
		t.Errorf("endpoint lines = %q", endpoints)
	}
	if len(secrets) != 1 || !domain.ValidTokenFormat(secrets[0]) {
		t.Fatalf("token lines = %q", secrets)
	}
	if strings.Contains(r.stderr, secrets[0]) {
		t.Error("the secret is on stderr")
	}

	// --json has exactly the four fields.
	created := decodeJSON[map[string]any](t, h.ok("tokens", "create", "--journey", "J1", "--expires", "journey_end", "--json").stdout)
	if got := keysOf(created); !slices.Equal(got, []string{"endpoint", "expires_at", "token", "token_id"}) {
		t.Errorf("create --json keys = %v", got)
	}
	if !domain.ValidTokenFormat(created["token"].(string)) {
		t.Errorf("create --json token = %v", created["token"])
	}
	if exp, _ := time.Parse(time.RFC3339, created["expires_at"].(string)); !exp.Equal(mustDate(t, end).AddDate(0, 0, 1)) {
		t.Errorf("journey_end token expires at %v, want end of %s", created["expires_at"], end)
	}

	// Errors from the API go to stderr with a non-zero exit.
	h.fails("1y", "tokens", "create", "--journey", "J1", "--expires", "1y")
	h.fails("journey NOPE does not exist", "tokens", "create", "--journey", "NOPE", "--expires", "30d")
	past := time.Now().UTC().AddDate(0, 0, -2).Format(domain.DateLayout)
	h.ok("journeys", "put", "--id", "OLD", "--name", "Ended", "--end", past)
	// An ended journey is one sentence in both commands.
	ended := "journey OLD ended on " + past + ": no token can be generated for it"
	h.fails(ended, "tokens", "options", "--journey", "OLD")
	h.fails(ended+" (HTTP 409)", "tokens", "create", "--journey", "OLD", "--expires", "30d")

	// List: newest first, obscured, never the secret.
	list := decodeJSON[[]map[string]any](t, h.ok("tokens", "list", "--journey", "J1", "--json").stdout)
	if len(list) != 2 {
		t.Fatalf("list = %v", list)
	}
	// The creator is the signed-in user: locally, without tl login, the local admin.
	if list[0]["token_id"] != created["token_id"] || list[0]["created_by"] != "admin@example.com" || list[0]["status"] != "active" {
		t.Errorf("newest token = %v", list[0])
	}
	first := list[1]
	if first["created_by"] != "admin@example.com" || first["token"] != domain.ObscureToken(secrets[0]) {
		t.Errorf("first token = %v", first)
	}
	table := h.ok("tokens", "list", "--journey", "J1").stdout
	if strings.Contains(table, secrets[0]) || !strings.Contains(table, domain.ObscureToken(secrets[0])) {
		t.Errorf("list table shows the secret or not the obscured token:\n%s", table)
	}
	for _, col := range []string{"ID", "TOKEN", "STATUS", "CREATED BY", "CREATED", "EXPIRES", "REVOKED BY", "REVOKED AT"} {
		if !strings.Contains(strings.SplitN(table, "\n", 2)[0], col) {
			t.Errorf("list header lacks %s: %q", col, table)
		}
	}
	h.ok("journeys", "put", "--id", "EMPTY", "--name", "No tokens")
	if got := h.ok("tokens", "list", "--journey", "EMPTY", "--json").stdout; strings.TrimSpace(got) != "[]" {
		t.Errorf("empty list --json = %q", got)
	}
	h.fails("journey NOPE does not exist", "tokens", "list", "--journey", "NOPE")

	// Expire, as a marketer who signed in: the expirer is the marketer.
	h.login("marketer@example.com")
	id := first["token_id"].(string)
	r = h.ok("tokens", "expire", "--id", id)
	if !strings.Contains(r.stdout, "revoked by marketer@example.com") {
		t.Errorf("expire output = %q", r.stdout)
	}
	list = decodeJSON[[]map[string]any](t, h.ok("tokens", "list", "--journey", "J1", "--json").stdout)
	if list[1]["status"] != "revoked" || list[1]["revoked_by"] != "marketer@example.com" || list[1]["revoked_at"] == nil {
		t.Errorf("expired token = %v", list[1])
	}
	h.fails("no token has id nope", "tokens", "expire", "--id", "nope")
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(domain.DateLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestTargetsAndLoaderList(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.ok("journeys", "put", "--id", "J1", "--name", "Journey")

	// Empty listings are [] in JSON.
	for _, args := range [][]string{
		{"targets", "list", "--journey", "J1", "--json"},
		{"loader", "list", "--journey", "J1", "--json"},
		{"loader", "list", "--request", "8f8c1d52-0000-4000-8000-000000000000", "--json"},
	} {
		if got := h.ok(args...).stdout; strings.TrimSpace(got) != "[]" {
			t.Errorf("tl %s = %q, want []", strings.Join(args, " "), got)
		}
	}

	now := time.Now().UTC().Truncate(time.Second)
	req := "8f8c1d52-1111-4000-8000-000000000001"
	targets := store.JourneyTargets{DB: h.stack.DynamoDB, Table: h.stack.Resources.Tables["journey-targets"]}
	if _, err := targets.AddNew(ctx, []domain.JourneyTarget{
		{JourneyID: "J1", AccountID: "V4T002", AddedVia: "API", SourceSystemID: "cdp-2", AddedAt: now.Add(time.Second), RequestUUID: req},
		{JourneyID: "J1", AccountID: "V4T001", AddedVia: "API", SourceSystemID: "cdp-1", AddedAt: now, RequestUUID: req},
	}); err != nil {
		t.Fatal(err)
	}
	records := store.LoaderRecords{DB: h.stack.DynamoDB, Table: h.stack.Resources.Tables[resources.LoaderRecords.ID]}
	recs := []domain.LoaderRecord{
		{ID: domain.RecordID(req, 0), RequestUUID: req, Index: 0, Journey: "J1", SourceSystemID: "cdp-1", SubmittedAccountID: "V4T001",
			Account: "V4T001", MatchingOutcome: "matched_account_id__v", ProcessingStatus: "success__v", CreatedAt: now, ProcessedAt: now},
		{ID: domain.RecordID(req, 1), RequestUUID: req, Index: 1, Journey: "J1", SourceSystemID: "cdp-9", SubmittedEmail: "who@example.com",
			MatchingOutcome: "no_match__v", ProcessingStatus: "failed__v", FailureReason: "No account matches email who@example.com",
			CreatedAt: now, ProcessedAt: now},
	}
	if err := records.Put(ctx, 0, recs); err != nil {
		t.Fatal(err)
	}

	ts := decodeJSON[[]map[string]any](t, h.ok("targets", "list", "--journey", "J1", "--json").stdout)
	if len(ts) != 2 || ts[0]["account_id"] != "V4T001" || ts[0]["added_via"] != "API" || ts[0]["source_system_id"] != "cdp-1" || ts[0]["request_uuid"] != req {
		t.Errorf("targets --json = %v", ts)
	}
	table := h.ok("targets", "list", "--journey", "J1").stdout
	for _, w := range []string{"ACCOUNT", "ADDED VIA", "SOURCE SYSTEM", "ADDED AT", "REQUEST", "V4T002", "cdp-2"} {
		if !strings.Contains(table, w) {
			t.Errorf("targets table lacks %q:\n%s", w, table)
		}
	}
	h.fails("journey NOPE does not exist", "targets", "list", "--journey", "NOPE")

	wantKeys := []string{"account__v", "created_at", "failure_reason__v", "id", "index", "journey__v", "matching_outcome__v",
		"processed_at", "processing_status__v", "request_uuid__v", "source_system_id__v", "submitted_account_id__v",
		"submitted_email__v", "submitted_first_name__v", "submitted_last_name__v"}
	for _, args := range [][]string{{"--journey", "J1"}, {"--request", req}} {
		got := decodeJSON[[]map[string]any](t, h.ok(append([]string{"loader", "list", "--json"}, args...)...).stdout)
		if len(got) != 2 {
			t.Fatalf("loader list %v = %v", args, got)
		}
		if k := keysOf(got[0]); !slices.Equal(k, wantKeys) {
			t.Errorf("loader record keys = %v, want %v", k, wantKeys)
		}
		if got[1]["failure_reason__v"] != "No account matches email who@example.com" || got[1]["matching_outcome__v"] != "no_match__v" {
			t.Errorf("record 1 = %v", got[1])
		}
	}
	table = h.ok("loader", "list", "--request", req).stdout
	for _, w := range []string{"INDEX", "SOURCE SYSTEM", "SUBMITTED", "ACCOUNT", "OUTCOME", "STATUS", "FAILURE REASON", "who@example.com", "no_match__v", "No account matches email who@example.com"} {
		if !strings.Contains(table, w) {
			t.Errorf("loader table lacks %q:\n%s", w, table)
		}
	}
	h.misuse("at least one of the flags in the group [journey request] is required", "loader", "list")
	h.fails("journey NOPE does not exist", "loader", "list", "--journey", "NOPE")

	// Filters: within a journey, by request, outcome and status.
	got := decodeJSON[[]map[string]any](t, h.ok("loader", "list", "--journey", "J1", "--request", req, "--processing-status", "failed__v", "--json").stdout)
	if len(got) != 1 || got[0]["source_system_id__v"] != "cdp-9" {
		t.Errorf("failed records = %v", got)
	}
	if r := h.ok("loader", "list", "--request", req, "--matching-outcome", "conflict__v"); !strings.Contains(r.stdout, "no target loader records that match") {
		t.Errorf("no conflicts: %q", r.stdout)
	}
	h.fails("matching_outcome must be one of", "loader", "list", "--journey", "J1", "--matching-outcome", "matched")

	// Loader records are for admins: a marketer is refused.
	h.login("marketer@example.com")
	h.fails("Only members of the admins group may do this. (HTTP 403)", "loader", "list", "--journey", "J1")
	if got := decodeJSON[[]map[string]any](t, h.ok("targets", "list", "--journey", "J1", "--json").stdout); len(got) != 2 {
		t.Errorf("a marketer's targets list = %v", got)
	}
}

func (h *harness) accounts() store.Accounts {
	return store.Accounts{DB: h.stack.DynamoDB, Table: h.stack.Resources.Tables["accounts"], EmailsTable: h.stack.Resources.Tables["account-emails"]}
}

func TestDefaultsFromEnvironment(t *testing.T) {
	h := newHarness(t)
	h.ok("journeys", "put", "--id", "J1", "--name", "Env")
	env := map[string]string{
		"TL_STAGE":    h.stack.Resources.Stage,
		"TL_ENDPOINT": testenv.Endpoint(),
		"TL_API_URL":  h.api.URL,
	}
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"tokens", "create", "--journey", "J1", "--expires", "30d", "--json"},
		Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return env[k] }, ConfigDir: func() (string, error) { return h.configDir, nil }})
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	list := decodeJSON[[]map[string]any](t, h.ok("tokens", "list", "--journey", "J1", "--json").stdout)
	if len(list) != 1 || list[0]["created_by"] != "admin@example.com" {
		t.Errorf("tokens = %v", list)
	}
}

func TestAWSMode(t *testing.T) {
	h := newHarness(t)
	h.ok("journeys", "put", "--id", "J1", "--name", "Deployed")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")

	awsRun := func(stdin string, args ...string) result {
		var stdout, stderr strings.Builder
		code := run(context.Background(), append([]string{"--aws"}, args...), Env{Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: &stderr, Getenv: os.Getenv,
			ConfigDir: func() (string, error) { return h.configDir, nil }})
		return result{code, stdout.String(), stderr.String()}
	}
	// DynamoDB through AWS_ENDPOINT_URL, tables of --stage.
	t.Setenv("AWS_ENDPOINT_URL", testenv.Endpoint())
	if r := awsRun("", "--stage", h.stack.Resources.Stage, "journeys", "get", "--id", "J1"); r.code != 0 || !strings.Contains(r.stdout, "name: Deployed") {
		t.Errorf("journeys get --aws: %+v", r)
	}
	// The default stage is dev.
	if r := awsRun("", "journeys", "get", "--id", "J1"); r.code == 0 || !strings.Contains(r.stderr, "table targetloader-dev-journeys not found") {
		t.Errorf("journeys get --aws without --stage: %+v", r)
	}
	if r := awsRun("", "--endpoint", "http://127.0.0.1:1", "journeys", "get", "--id", "J1"); r.code == 0 || !strings.Contains(r.stderr, "--endpoint is for the local stack") {
		t.Errorf("--aws --endpoint: %+v", r)
	}
	// A deployed stack never signs anyone in by itself.
	if r := awsRun("", "tokens", "list", "--journey", "J1"); r.code == 0 || !strings.Contains(r.stderr, "tl --aws --api-url <the stack's ApiUrl output> login") {
		t.Errorf("tokens list --aws without a sign-in: %+v", r)
	}
	if r := awsRun("", "--api-url", h.api.URL, "tokens", "list", "--journey", "J1"); r.code == 0 || !strings.Contains(r.stderr, "not signed in to "+h.api.URL) {
		t.Errorf("tokens list --aws --api-url without a sign-in: %+v", r)
	}
	// Signed in with --aws, later --aws commands use that API.
	if r := awsRun(h.pool.Password+"\n", "--api-url", h.api.URL, "login", "--email", "marketer@example.com", "--password-stdin"); r.code != 0 || !strings.Contains(r.stdout, "signed in to "+h.api.URL+" as marketer@example.com (groups: marketers)") {
		t.Fatalf("login --aws: %+v", r)
	}
	if r := awsRun("", "tokens", "create", "--journey", "J1", "--expires", "30d", "--json"); r.code != 0 {
		t.Errorf("tokens create --aws: %+v", r)
	}
	if r := awsRun("", "tokens", "list", "--journey", "J1", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"created_by": "marketer@example.com"`) {
		t.Errorf("tokens list --aws: %+v", r)
	}
}
