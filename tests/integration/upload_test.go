package integration

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/linefile"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
	"github.com/targetloader/targetloader/shared/upload"
)

// upload sends body to the journey's uploads as the signed-in user with ID
// token idToken, under key when it is not empty.
func (m *manageEnv) upload(idToken, journeyID, contentType, body, key string) apiResult {
	m.t.Helper()
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:3000/manage/journeys/"+journeyID+"/loader-records", strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+idToken)
	r.Header.Set("Content-Type", contentType)
	if key != "" {
		r.Header.Set("Idempotency-Key", key)
	}
	w := httptest.NewRecorder()
	m.api.ServeHTTP(w, r)
	return apiResult{status: w.Code, header: w.Header(), body: w.Body.String()}
}

// An admin's file with good, bad and duplicate rows: exactly one record per
// good row, with the outcome an API target would get, and each matched
// account once in the journey, added via Target Loader unless it was
// already there (then it stays as it was).
const fairCSV = "source_system_id,account_id,email,first_name,last_name\n" +
	"fair,A1,,Ann,One\n" + // 2: matched on id, added
	"fair,,A2@X.com,,\n" + // 3: matched on email, added
	"fair,A1,,Ann,Again\n" + // 4: A1 again: a success, not added twice
	"fair-2,,a1@x.com,,\n" + // 5: A1 by email: a success, not added twice
	"fair,A3,,,\n" + // 6: inactive: failed
	"fair,,shared@x.com,,\n" + // 7: two accounts have it: failed
	"fair,A9,,,\n" + // 8: no such account: failed
	"fair,A4,,,\n" + // 9: already a target, added via the API: stays so
	",A2,,,\n" + // 10: bad: no source system
	"fair,,not-an-email,,\n" + // 11: bad: not an email
	"fair,A1,a2@x.com,,\n" // 12: id and email of different accounts: conflict

func TestUploadGoodBadAndDuplicateRows(t *testing.T) {
	m := newManageEnv(t)
	m.putJourney("J1", "")
	m.importAccounts(
		domain.Account{ID: "A1", Emails: []string{"a1@x.com"}, Status: domain.AccountActive},
		domain.Account{ID: "A2", Emails: []string{"a2@x.com"}, Status: domain.AccountActive},
		domain.Account{ID: "A3", Emails: []string{"a3@x.com"}, Status: domain.AccountInactive},
		domain.Account{ID: "A4", Emails: []string{"a4@x.com"}, Status: domain.AccountActive},
		domain.Account{ID: "S1", Emails: []string{"shared@x.com"}, Status: domain.AccountActive},
		domain.Account{ID: "S2", Emails: []string{"shared@x.com"}, Status: domain.AccountActive},
	)
	// A4 came in through the API first.
	token := m.createToken("J1", "30d")
	if resp := m.post("J1", token.Token, []map[string]any{{"source_system_id": "cdp-api", "account_id": "A4"}}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	m.drain()
	admin := m.pool.SignIn(t, localaws.LocalAdmin)

	// WHEN the admin uploads the file, keyed as tl and the console key it
	parts, _, _, err := linefile.Split(strings.NewReader(fairCSV), linefile.CSV, domain.MaxTargets, domain.MaxBodyBytes)
	if err != nil || len(parts) != 1 {
		t.Fatalf("split: %d parts, %v", len(parts), err)
	}
	key := "part-test-1"
	r := m.upload(admin, "J1", "text/csv", string(parts[0].Body), key)
	wantStatus(t, r, http.StatusAccepted)
	res := decode[upload.Result](t, r.body)
	wantBad := []upload.RowError{
		{Line: 10, Message: "source_system_id is required and must not be blank"},
		{Line: 11, Message: "email must be a plain email address such as name@example.com"},
	}
	if res.Rows != 11 || res.Accepted != 9 || res.Replayed || !slices.Equal(res.BadRows, wantBad) || r.header.Get("Location") != res.RecordsURL {
		t.Fatalf("upload %+v %v", res, r.header)
	}
	m.drain()

	// THEN each good row has its record, with the outcome an API target gets
	type outcome struct {
		outcome domain.MatchingOutcome
		status  domain.ProcessingStatus
		account string
	}
	want := []outcome{
		{domain.OutcomeMatchedAccountID, domain.StatusSuccess, "A1"},
		{domain.OutcomeMatchedEmail, domain.StatusSuccess, "A2"},
		{domain.OutcomeMatchedAccountID, domain.StatusSuccess, "A1"},
		{domain.OutcomeMatchedEmail, domain.StatusSuccess, "A1"},
		{domain.OutcomeMatchedAccountID, domain.StatusFailed, "A3"},
		{domain.OutcomeMultipleMatches, domain.StatusFailed, ""},
		{domain.OutcomeNoMatch, domain.StatusFailed, ""},
		{domain.OutcomeMatchedAccountID, domain.StatusSuccess, "A4"},
		{domain.OutcomeConflict, domain.StatusFailed, ""},
	}
	records := m.records(res.RequestUUID)
	var got []outcome
	for _, rec := range records {
		got = append(got, outcome{rec.MatchingOutcome, rec.ProcessingStatus, rec.Account})
		if rec.Journey != "J1" || (rec.ProcessingStatus == domain.StatusFailed) != (rec.FailureReason != "") {
			t.Errorf("record %+v", rec)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("records\n  %v\nwant\n  %v", got, want)
	}
	// AND the admin reads them through the management API
	r = m.as(admin, http.MethodGet, "/manage/requests/"+res.RequestUUID+"/loader-records", "")
	if wantStatus(t, r, http.StatusOK); len(decode[manage.RecordPage](t, r.body).Records) != len(want) {
		t.Errorf("listed %s", r.body)
	}
	// AND the journey has each matched account once: the new ones added via
	// Target Loader, A4 as the API added it
	wantTargets := map[string][2]string{"A1": {domain.AddedViaTargetLoader, "fair"}, "A2": {domain.AddedViaTargetLoader, "fair"}, "A4": {domain.AddedViaAPI, "cdp-api"}}
	checkTargets := func(when string) {
		t.Helper()
		targets := m.journeyTargets("J1")
		if len(targets) != len(wantTargets) {
			t.Fatalf("%s: targets %+v", when, targets)
		}
		for _, tg := range targets {
			if w := wantTargets[tg.AccountID]; tg.AddedVia != w[0] || tg.SourceSystemID != w[1] || (w[0] == domain.AddedViaTargetLoader) != (tg.RequestUUID == res.RequestUUID) {
				t.Errorf("%s: target %+v, want %v", when, tg, w)
			}
		}
	}
	checkTargets("after the upload")

	// WHEN the same part is uploaded again under its key THEN it is the
	// first request again and nothing is queued
	r = m.upload(admin, "J1", "text/csv", string(parts[0].Body), key)
	wantStatus(t, r, http.StatusAccepted)
	again := decode[upload.Result](t, r.body)
	if !again.Replayed || again.RequestUUID != res.RequestUUID || again.Accepted != 9 || !slices.Equal(again.BadRows, wantBad) || r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("re-upload %+v", again)
	}
	if n := m.stack.QueueDepth(t, m.stack.Resources.QueueURL); n != 0 {
		t.Errorf("the re-upload queued %d messages", n)
	}
	// AND without a key (as a day later) it is a new request whose records
	// say the same, and still no account joins the journey twice
	r = m.upload(admin, "J1", "text/csv", string(parts[0].Body), "")
	wantStatus(t, r, http.StatusAccepted)
	later := decode[upload.Result](t, r.body)
	m.drain()
	if later.RequestUUID == res.RequestUUID || len(m.records(later.RequestUUID)) != len(want) {
		t.Errorf("the upload without key: %+v", later)
	}
	checkTargets("after uploading the file again")

	// An upload's request is not the API's: a token of the journey cannot read it.
	st, _ := m.status("J1", token.Token, res.RequestUUID, nil)
	assertProblem(t, st, http.StatusNotFound)
}

// Uploading is for admins: a marketer is refused and nothing is queued.
func TestMarketerCannotUpload(t *testing.T) {
	m := newManageEnv(t)
	m.putJourney("J1", "")
	marketer := m.pool.SignIn(t, localaws.LocalMarketer)
	wantProblem(t, m.upload(marketer, "J1", "text/csv", fairCSV, ""), http.StatusForbidden, "forbidden")
	wantProblem(t, m.upload(marketer, "J1", "application/x-ndjson", `{"source_system_id":"s","account_id":"A1"}`+"\n", "k"), http.StatusForbidden, "forbidden")
	if n := m.stack.QueueDepth(t, m.stack.Resources.QueueURL); n != 0 {
		t.Errorf("%d messages queued", n)
	}
	// Nor can anyone signed out, or with an API token.
	token := m.createToken("J1", "30d")
	wantProblem(t, m.do(http.MethodPost, "/manage/journeys/J1/loader-records", "", fairCSV), http.StatusUnauthorized, "sign-in-required")
	wantProblem(t, m.do(http.MethodPost, "/manage/journeys/J1/loader-records", "Bearer "+token.Token, fairCSV), http.StatusUnauthorized, "sign-in-required")
}

// The upload's limits answer with problem documents, and an upload of the
// API's JSON array is pointed to the file formats.
func TestUploadLimits(t *testing.T) {
	m := newManageEnv(t)
	m.putJourney("J1", "")
	m.putJourney("OLD", "2020-01-01")
	admin := m.pool.SignIn(t, localaws.LocalAdmin)
	var rows strings.Builder
	rows.WriteString("source_system_id,account_id\n")
	for range domain.MaxTargets + 1 {
		rows.WriteString("s,A1\n")
	}
	big := "source_system_id,account_id\n" + strings.Repeat("s,"+strings.Repeat("A", 60)+"\n", domain.MaxBodyBytes/60)
	for name, tc := range map[string]struct {
		journey, contentType, body string
		status                     int
		slug                       string
	}{
		"501 rows":      {"J1", "text/csv", rows.String(), http.StatusBadRequest, "invalid-body"},
		"over 1 MiB":    {"J1", "text/csv", big, http.StatusRequestEntityTooLarge, "body-too-large"},
		"JSON":          {"J1", "application/json", string(workload.JSON([]map[string]string{{"source_system_id": "s", "account_id": "A1"}})), http.StatusUnsupportedMediaType, "unsupported-media-type"},
		"ended journey": {"OLD", "text/csv", fairCSV, http.StatusConflict, "conflict"},
		"no journey":    {"NOPE", "text/csv", fairCSV, http.StatusNotFound, "not-found"},
		"no rows":       {"J1", "application/jsonl", "\n\n", http.StatusBadRequest, "invalid-body"},
	} {
		t.Run(name, func(t *testing.T) {
			wantProblem(t, m.upload(admin, tc.journey, tc.contentType, tc.body, ""), tc.status, tc.slug)
		})
	}
	if n := m.stack.QueueDepth(t, m.stack.Resources.QueueURL); n != 0 {
		t.Errorf("%d messages queued", n)
	}
	// A file of only bad rows queues nothing and says why, row by row.
	r := m.upload(admin, "J1", "application/x-ndjson", "{\"source_system_id\":\"s\"}\n[1]\n", "")
	wantStatus(t, r, http.StatusOK)
	var res upload.Result
	if err := json.Unmarshal([]byte(r.body), &res); err != nil || res.RequestUUID != "" || len(res.BadRows) != 2 {
		t.Errorf("only bad rows: %s", r.body)
	}
}
