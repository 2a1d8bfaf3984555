package integration

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/ingest"
)

func TestPipelineMatchesEveryOutcome(t *testing.T) {
	e := newEnv(t)
	e.putJourney("J1", "")
	e.importAccounts(
		domain.Account{ID: "A1", Emails: []string{"one@example.com"}, Status: domain.AccountActive},
		domain.Account{ID: "A2", Emails: []string{"Two@Example.com"}, Status: domain.AccountActive},
		domain.Account{ID: "A3", Emails: []string{"shared@example.com"}, Status: domain.AccountActive},
		domain.Account{ID: "A4", Emails: []string{"shared@example.com"}, Status: domain.AccountActive},
		domain.Account{ID: "A5", Emails: []string{"inactive@example.com"}, Status: domain.AccountInactive},
	)
	tok := e.createToken("J1", "30d")

	resp := e.post("J1", tok.Token, []map[string]any{
		{"source_system_id": "s0", "account_id": "A1"},
		{"source_system_id": "s1", "email": " TWO@example.com "},
		{"source_system_id": "s2", "email": "shared@example.com"},
		{"source_system_id": "s3", "account_id": "A1", "email": "two@example.com"},
		{"source_system_id": "s4", "account_id": "NOPE", "email": "nobody@example.com"},
		{"source_system_id": "s5", "account_id": "A5"},
		{"source_system_id": "s6", "account_id": "A1", "first_name": "Ann", "last_name": "Lee"},
	})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST = %d %s", resp.StatusCode, resp.Body)
	}
	acc := decode[ingest.Accepted](t, resp.Body)
	if acc.Accepted != 7 || acc.StatusURL != "https://api.example.test/v1/journeys/J1/requests/"+acc.RequestUUID {
		t.Fatalf("accepted = %+v", acc)
	}
	_, st := e.status("J1", tok.Token, acc.RequestUUID, nil)
	if st.Status != domain.ProgressQueued || st.ProcessingStatus[domain.StatusPending] != 7 {
		t.Fatalf("status before processing = %+v", st.RequestProgress)
	}

	e.drain()

	type row struct {
		Index   int
		Account string
		Outcome domain.MatchingOutcome
		Status  domain.ProcessingStatus
	}
	var got []row
	for _, r := range e.records(acc.RequestUUID) {
		got = append(got, row{r.Index, r.Account, r.MatchingOutcome, r.ProcessingStatus})
		if r.Journey != "J1" || r.RequestUUID != acc.RequestUUID || r.ProcessedAt.IsZero() || r.CreatedAt.IsZero() {
			t.Errorf("record %d lacks fields: %+v", r.Index, r)
		}
	}
	want := []row{
		{0, "A1", domain.OutcomeMatchedAccountID, domain.StatusSuccess},
		{1, "A2", domain.OutcomeMatchedEmail, domain.StatusSuccess},
		{2, "", domain.OutcomeMultipleMatches, domain.StatusFailed},
		{3, "", domain.OutcomeConflict, domain.StatusFailed},
		{4, "", domain.OutcomeNoMatch, domain.StatusFailed},
		{5, "A5", domain.OutcomeMatchedAccountID, domain.StatusFailed},
		{6, "A1", domain.OutcomeMatchedAccountID, domain.StatusSuccess},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("records (-want +got):\n%s", diff)
	}

	targets := e.journeyTargets("J1")
	type trow struct{ Account, Via, Source, Request string }
	var gotT []trow
	for _, jt := range targets {
		gotT = append(gotT, trow{jt.AccountID, jt.AddedVia, jt.SourceSystemID, jt.RequestUUID})
	}
	wantT := []trow{{"A1", "API", "s0", acc.RequestUUID}, {"A2", "API", "s1", acc.RequestUUID}}
	if diff := cmp.Diff(wantT, gotT, cmpopts.SortSlices(func(a, b trow) bool { return a.Account < b.Account })); diff != "" {
		t.Errorf("journey targets (-want +got):\n%s", diff)
	}

	// The status endpoint shows the API view: nothing of the CRM beyond what
	// was submitted (the review found the account behind an email, the
	// accounts sharing one, another account's id and "inactive" here).
	resp, st = e.status("J1", tok.Token, acc.RequestUUID, nil)
	type view struct {
		Index   int
		Account string
		Reason  string
	}
	var gotV []view
	for _, r := range st.Records {
		gotV = append(gotV, view{r.Index, r.Account, r.FailureReason})
	}
	wantV := []view{
		{0, "A1", ""},
		{1, "", ""}, // matched on email: the account id was not submitted
		{2, "", "Email shared@example.com matches more than one account; submit an account_id to choose one"},
		{3, "", "The account_id A1 and the email two@example.com belong to different accounts"},
		{4, "", "No account matches account_id NOPE or email nobody@example.com"},
		{5, "A5", "The account matched on account_id A5 could not be added to the journey"},
		{6, "A1", ""},
	}
	if diff := cmp.Diff(wantV, gotV); diff != "" {
		t.Errorf("API view of the records (-want +got):\n%s", diff)
	}
	for _, leak := range []string{"A2", "A3", "A4", "inactive"} {
		if strings.Contains(resp.Body, leak) {
			t.Errorf("the status response tells %q", leak)
		}
	}

	_, st = e.status("J1", tok.Token, acc.RequestUUID, map[string]string{"limit": "5"})
	if st.Status != domain.ProgressCompleted || st.ProcessingStatus[domain.StatusSuccess] != 3 || st.ProcessingStatus[domain.StatusFailed] != 4 || st.ProcessingStatus[domain.StatusPending] != 0 {
		t.Errorf("status after processing = %+v", st.RequestProgress)
	}
	if len(st.Records) != 5 || st.NextCursor == "" {
		t.Fatalf("first page has %d records, cursor %q", len(st.Records), st.NextCursor)
	}
	_, page2 := e.status("J1", tok.Token, acc.RequestUUID, map[string]string{"limit": "5", "cursor": st.NextCursor})
	if len(page2.Records) != 2 || page2.NextCursor != "" || page2.Records[0].Index != 5 {
		t.Errorf("second page = %d records from %v, cursor %q", len(page2.Records), page2.Records, page2.NextCursor)
	}
}
