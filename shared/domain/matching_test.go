package domain_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/targetloader/targetloader/shared/domain"
)

func testAccounts() domain.Accounts {
	accs := []domain.Account{
		{ID: "A1", Emails: []string{"a1@x.com"}, Status: domain.AccountActive},
		{ID: "A2", Emails: []string{"shared@x.com", "a2@x.com"}, Status: domain.AccountActive},
		{ID: "A3", Emails: []string{"shared@x.com"}, Status: domain.AccountActive},
		{ID: "A4", Emails: []string{"in@x.com"}, Status: domain.AccountInactive},
		{ID: "A5", Emails: []string{"both@x.com"}, Status: domain.AccountInactive},
		{ID: "A6", Emails: []string{"both@x.com"}, Status: domain.AccountActive},
	}
	known := domain.Accounts{ByID: map[string]domain.Account{}, ByEmail: map[string][]string{}}
	for _, a := range accs {
		known.ByID[a.ID] = a
		for _, e := range a.Emails {
			known.ByEmail[e] = append(known.ByEmail[e], a.ID)
		}
	}
	// Index entries pointing at accounts that no longer exist are ignored.
	known.ByEmail["ghost@x.com"] = []string{"GONE"}
	known.ByEmail["half@x.com"] = []string{"GONE", "A1"}
	known.ByEmail["dup@x.com"] = []string{"A1", "A1"}
	known.ByEmail["shared3@x.com"] = []string{"A3", "A2", "GONE", "A1"}
	return known
}

func TestMatchTarget(t *testing.T) {
	success := func(id string, o domain.MatchingOutcome) domain.Match {
		return domain.Match{AccountID: id, Outcome: o, Status: domain.StatusSuccess}
	}
	failed := func(id string, o domain.MatchingOutcome, reason string) domain.Match {
		return domain.Match{AccountID: id, Outcome: o, Status: domain.StatusFailed, FailureReason: reason}
	}
	tests := []struct {
		name   string
		target domain.Target
		known  *domain.Accounts // nil uses testAccounts
		want   domain.Match
	}{
		{name: "account id", target: domain.Target{AccountID: "A1"}, want: success("A1", domain.OutcomeMatchedAccountID)},
		{name: "account id and its own email", target: domain.Target{AccountID: "A1", Email: "a1@x.com"}, want: success("A1", domain.OutcomeMatchedAccountID)},
		{name: "account id and its own email, other case", target: domain.Target{AccountID: "A1", Email: " A1@X.Com "}, want: success("A1", domain.OutcomeMatchedAccountID)},
		{name: "account id and an email nobody has", target: domain.Target{AccountID: "A1", Email: "new@x.com"}, want: success("A1", domain.OutcomeMatchedAccountID)},
		{name: "account id and an email only a vanished account had", target: domain.Target{AccountID: "A1", Email: "ghost@x.com"}, want: success("A1", domain.OutcomeMatchedAccountID)},
		{name: "account id and an email it shares with another account", target: domain.Target{AccountID: "A2", Email: "shared@x.com"}, want: success("A2", domain.OutcomeMatchedAccountID)},
		{
			name:   "account id and another account's email: conflict",
			target: domain.Target{AccountID: "A1", Email: "a2@x.com"},
			want:   failed("", domain.OutcomeConflict, "The account_id A1 and the email a2@x.com belong to different accounts (the email belongs to A2)"),
		},
		{
			name:   "account id and an email of two other accounts: conflict",
			target: domain.Target{AccountID: "A1", Email: "Shared@X.com"},
			want:   failed("", domain.OutcomeConflict, "The account_id A1 and the email Shared@X.com belong to different accounts (the email belongs to A2, A3)"),
		},
		{
			name:   "inactive account id and another account's email: conflict",
			target: domain.Target{AccountID: "A4", Email: "a1@x.com"},
			want:   failed("", domain.OutcomeConflict, "The account_id A4 and the email a1@x.com belong to different accounts (the email belongs to A1)"),
		},
		{name: "unknown account id falls back to email", target: domain.Target{AccountID: "V4T000000000999", Email: "a1@x.com"}, want: success("A1", domain.OutcomeMatchedEmail)},
		{name: "email", target: domain.Target{Email: "a1@x.com"}, want: success("A1", domain.OutcomeMatchedEmail)},
		{name: "email, case-insensitive and trimmed", target: domain.Target{Email: "  A1@X.COM\t"}, want: success("A1", domain.OutcomeMatchedEmail)},
		{name: "email whose index also names a vanished account", target: domain.Target{Email: "half@x.com"}, want: success("A1", domain.OutcomeMatchedEmail)},
		{name: "email indexed twice for one account", target: domain.Target{Email: "dup@x.com"}, want: success("A1", domain.OutcomeMatchedEmail)},
		{
			name:   "email of two accounts",
			target: domain.Target{Email: "shared@x.com"},
			want:   failed("", domain.OutcomeMultipleMatches, "Email shared@x.com matches 2 accounts (A2, A3); submit an account_id to choose one"),
		},
		{
			name:   "email of three accounts, listed sorted",
			target: domain.Target{Email: "shared3@x.com"},
			want:   failed("", domain.OutcomeMultipleMatches, "Email shared3@x.com matches 3 accounts (A1, A2, A3); submit an account_id to choose one"),
		},
		{
			name:   "unknown account id and email of two accounts",
			target: domain.Target{AccountID: "V4T9", Email: "shared@x.com"},
			want:   failed("", domain.OutcomeMultipleMatches, "No account has account_id V4T9, and email shared@x.com matches 2 accounts (A2, A3)"),
		},
		{
			name:   "email of an active and an inactive account",
			target: domain.Target{Email: "both@x.com"},
			want:   failed("", domain.OutcomeMultipleMatches, "Email both@x.com matches 2 accounts (A5, A6); submit an account_id to choose one"),
		},
		{
			name:   "no match on account id or email",
			target: domain.Target{AccountID: "V4T000000000999", Email: "a@b.com"},
			want:   failed("", domain.OutcomeNoMatch, "No account matches account_id V4T000000000999 or email a@b.com"),
		},
		{
			name:   "no match on account id",
			target: domain.Target{AccountID: "V4T000000000999"},
			want:   failed("", domain.OutcomeNoMatch, "No account matches account_id V4T000000000999"),
		},
		{
			name:   "no match on email",
			target: domain.Target{Email: "a@b.com"},
			want:   failed("", domain.OutcomeNoMatch, "No account matches email a@b.com"),
		},
		{
			name:   "email only a vanished account had",
			target: domain.Target{Email: "ghost@x.com"},
			want:   failed("", domain.OutcomeNoMatch, "No account matches email ghost@x.com"),
		},
		{
			name:   "account ids are case-sensitive",
			target: domain.Target{AccountID: "a1"},
			want:   failed("", domain.OutcomeNoMatch, "No account matches account_id a1"),
		},
		{
			name:   "inactive account matched by id",
			target: domain.Target{AccountID: "A4"},
			want:   failed("A4", domain.OutcomeMatchedAccountID, "Account A4, matched on account_id A4, is inactive"),
		},
		{
			name:   "inactive account matched by id and its email",
			target: domain.Target{AccountID: "A4", Email: "in@x.com"},
			want:   failed("A4", domain.OutcomeMatchedAccountID, "Account A4, matched on account_id A4, is inactive"),
		},
		{
			name:   "inactive account matched by email",
			target: domain.Target{Email: "IN@x.com"},
			want:   failed("A4", domain.OutcomeMatchedEmail, "Account A4, matched on email IN@x.com, is inactive"),
		},
		{
			name:   "no accounts at all",
			target: domain.Target{AccountID: "A1", Email: "a1@x.com"},
			known:  &domain.Accounts{},
			want:   failed("", domain.OutcomeNoMatch, "No account matches account_id A1 or email a1@x.com"),
		},
		{
			name:   "an account stored under an empty id is never matched by a missing account_id",
			target: domain.Target{Email: "nobody@x.com"},
			known:  &domain.Accounts{ByID: map[string]domain.Account{"": {ID: "", Status: domain.AccountActive}}},
			want:   failed("", domain.OutcomeNoMatch, "No account matches email nobody@x.com"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			known := testAccounts()
			if tt.known != nil {
				known = *tt.known
			}
			got := domain.MatchTarget(tt.target, known)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MatchTarget(%+v) mismatch (-want +got):\n%s", tt.target, diff)
			}
			// §4 invariants.
			if (got.Status == domain.StatusFailed) != (got.FailureReason != "") {
				t.Errorf("failure_reason %q with status %s", got.FailureReason, got.Status)
			}
			matched := got.Outcome == domain.OutcomeMatchedAccountID || got.Outcome == domain.OutcomeMatchedEmail
			if matched != (got.AccountID != "") {
				t.Errorf("account %q with outcome %s", got.AccountID, got.Outcome)
			}
			if got.Status == domain.StatusFailed {
				for _, v := range []string{tt.target.AccountID, tt.target.Email} {
					if v != "" && got.Outcome != domain.OutcomeMatchedAccountID && got.Outcome != domain.OutcomeMatchedEmail && !strings.Contains(got.FailureReason, v) {
						t.Errorf("reason %q does not name submitted value %q", got.FailureReason, v)
					}
				}
			}
		})
	}
}

func TestMatchTargetDoesNotModifyAccounts(t *testing.T) {
	known := testAccounts()
	before := testAccounts()
	domain.MatchTarget(domain.Target{Email: "shared3@x.com"}, known)
	domain.MatchTarget(domain.Target{AccountID: "A1", Email: "shared3@x.com"}, known)
	if diff := cmp.Diff(before, known); diff != "" {
		t.Errorf("MatchTarget modified the accounts (-before +after):\n%s", diff)
	}
}

func TestNotAttempted(t *testing.T) {
	tests := []struct {
		name string
		j    domain.Journey
		want domain.Match
	}{
		{
			name: "ended journey",
			j:    domain.Journey{ID: "J1", Name: "J", EndDate: "2026-11-25"},
			want: domain.Match{Outcome: domain.OutcomeNotAttempted, Status: domain.StatusFailed, FailureReason: "Journey J1 ended on 2026-11-25 before this target was processed"},
		},
		{
			name: "missing journey",
			j:    domain.Journey{ID: "J9"},
			want: domain.Match{Outcome: domain.OutcomeNotAttempted, Status: domain.StatusFailed, FailureReason: "Journey J9 does not exist"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, domain.NotAttempted(tt.j)); diff != "" {
				t.Errorf("NotAttempted() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// Matching then recording: an end-to-end view of §4 and §5 for one target.
func TestDecodeMatchRecord(t *testing.T) {
	targets, err := domain.DecodeTargets([]byte(`[{"source_system_id":" web-1 ","account_id":"V4T000000000999","email":" a@b.com "}]`))
	if err != nil {
		t.Fatal(err)
	}
	m := domain.MatchTarget(targets[0], testAccounts())
	rec := domain.NewLoaderRecord("req-9", "J1", utc(2026, time.November, 26, 10, 0), utc(2026, time.November, 26, 10, 0), targets[0], m)
	if rec.FailureReason != "No account matches account_id V4T000000000999 or email a@b.com" {
		t.Errorf("failure_reason__v = %q", rec.FailureReason)
	}
	if rec.Account != "" || rec.MatchingOutcome != domain.OutcomeNoMatch || rec.ProcessingStatus != domain.StatusFailed {
		t.Errorf("record = %+v", rec)
	}
	if rec.SourceSystemID != "web-1" || rec.SubmittedEmail != "a@b.com" {
		t.Errorf("submitted values not trimmed: %+v", rec)
	}
}
