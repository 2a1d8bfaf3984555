package domain_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
)

// The API view of each kind of record: what the caller sees of account__v
// and failure_reason__v.
func TestAPIView(t *testing.T) {
	tests := []struct {
		name        string
		target      domain.Target
		wantAccount string
		wantReason  string
	}{
		{name: "matched on the submitted account id", target: domain.Target{AccountID: "A1"}, wantAccount: "A1"},
		{name: "matched on email: the account id was not submitted", target: domain.Target{Email: "a1@x.com"}},
		{name: "unknown account id, matched on email: another id", target: domain.Target{AccountID: "V4T9", Email: "a1@x.com"}},
		{
			name:        "inactive account matched on its id",
			target:      domain.Target{AccountID: "A4"},
			wantAccount: "A4",
			wantReason:  "The account matched on account_id A4 could not be added to the journey",
		},
		{
			name:       "inactive account matched on email",
			target:     domain.Target{Email: "IN@x.com"},
			wantReason: "The account matched on email IN@x.com could not be added to the journey",
		},
		{
			name:       "conflict: the other account is not named",
			target:     domain.Target{AccountID: "A1", Email: "Shared@X.com"},
			wantReason: "The account_id A1 and the email Shared@X.com belong to different accounts",
		},
		{
			name:       "shared email: neither the accounts nor their number",
			target:     domain.Target{Email: "shared3@x.com"},
			wantReason: "Email shared3@x.com matches more than one account; submit an account_id to choose one",
		},
		{
			name:       "unknown account id and a shared email",
			target:     domain.Target{AccountID: "V4T9", Email: "shared@x.com"},
			wantReason: "No account matches account_id V4T9, and email shared@x.com matches more than one account",
		},
		{
			name:       "no match",
			target:     domain.Target{AccountID: "V4T000000000999", Email: "a@b.com"},
			wantReason: "No account matches account_id V4T000000000999 or email a@b.com",
		},
	}
	known := testAccounts()
	now := utc(2026, time.November, 26, 10, 0)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.target.SourceSystemID = "cdp-1"
			full := domain.NewLoaderRecord("req-1", "J1", now, now, tt.target, domain.MatchTarget(tt.target, known))
			view := full.APIView()
			if view.Account != tt.wantAccount || view.FailureReason != tt.wantReason {
				t.Errorf("account__v %q, failure_reason__v %q; want %q, %q (full record: %q, %q)",
					view.Account, view.FailureReason, tt.wantAccount, tt.wantReason, full.Account, full.FailureReason)
			}
			assertNoCRMFacts(t, tt.target, view)
			// Everything else is the record as stored.
			view.Account, view.FailureReason = full.Account, full.FailureReason
			if domain.LoaderRecord(view) != full {
				t.Errorf("the view changed other fields: %+v", view)
			}
		})
	}
}

// Whatever a caller submits, the API view names no account id it did not
// submit and never says an account is inactive.
func TestAPIViewNamesOnlySubmittedValues(t *testing.T) {
	known := testAccounts()
	now := utc(2026, time.November, 26, 10, 0)
	ids := []string{"", "A1", "A2", "A3", "A4", "A5", "A6", "V4T9"}
	emails := []string{"", "a1@x.com", "shared@x.com", "a2@x.com", "in@x.com", "both@x.com", "shared3@x.com", "half@x.com", "nobody@x.com"}
	for _, id := range ids {
		for _, email := range emails {
			if id == "" && email == "" {
				continue
			}
			target := domain.Target{SourceSystemID: "s", AccountID: id, Email: email}
			rec := domain.NewLoaderRecord("req-1", "J1", now, now, target, domain.MatchTarget(target, known))
			view := rec.APIView()
			assertNoCRMFacts(t, target, view)
			if (view.ProcessingStatus == domain.StatusFailed) != (view.FailureReason != "") {
				t.Errorf("%+v: failure_reason__v %q with status %s", target, view.FailureReason, view.ProcessingStatus)
			}
		}
	}
	// A journey that ended: its own id and end date only.
	ended := domain.Journey{ID: "J1", Name: "J", EndDate: "2026-11-25"}
	rec := domain.NewLoaderRecord("req-1", "J1", now, now, domain.Target{SourceSystemID: "s", AccountID: "A1"}, domain.NotAttempted(ended))
	if got := rec.APIView().FailureReason; got != "Journey J1 ended on 2026-11-25 before this target was processed" {
		t.Errorf("not attempted: %q", got)
	}
}

func assertNoCRMFacts(t *testing.T, target domain.Target, view domain.APIRecord) {
	t.Helper()
	b, err := json.Marshal(view)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for id := range testAccounts().ByID {
		if id != target.AccountID && strings.Contains(text, `"`+id+`"`) || id != target.AccountID && strings.Contains(view.FailureReason, id) {
			t.Errorf("%+v: the API view names account %s: %s", target, id, text)
		}
	}
	if strings.Contains(strings.ToLower(text), "inactive") {
		t.Errorf("%+v: the API view tells an account is inactive: %s", target, text)
	}
	if view.Account != "" && view.Account != target.AccountID {
		t.Errorf("%+v: account__v %q was not submitted", target, view.Account)
	}
}
