package domain

import (
	"strings"
	"testing"
	"time"
)

func TestDryRunShowsTheAPIView(t *testing.T) {
	known := Accounts{
		ByID:    map[string]Account{"A1": {ID: "A1", Status: AccountActive}, "A2": {ID: "A2", Status: AccountInactive}, "A3": {ID: "A3", Status: AccountActive}},
		ByEmail: map[string][]string{"doc2@x.com": {"A2"}, "shared@x.com": {"A1", "A3"}},
	}
	targets := []Target{
		{Index: 0, SourceSystemID: "s0", AccountID: "A1"},
		{Index: 1, SourceSystemID: "s1", Email: "Doc2@x.com"},
		{Index: 2, SourceSystemID: "s2", Email: "shared@x.com"},
		{Index: 3, SourceSystemID: "s3", AccountID: "NOPE"},
	}
	// GIVEN targets matched on id, on an inactive account's email, on a shared email and on nothing
	d := NewDryRun("J1", targets, known, time.Now())
	// THEN each record is what the consumer would write, through the API view
	if d.Records[0].Account != "A1" || d.Records[0].ProcessingStatus != StatusSuccess || d.Records[0].ID != "" || d.Records[0].RequestUUID != "" {
		t.Errorf("record 0 %+v", d.Records[0])
	}
	// AND nothing names an account the caller did not submit, nor its status
	for _, r := range d.Records[1:] {
		if r.Account != "" || r.ProcessingStatus != StatusFailed {
			t.Errorf("record %d %+v", r.Index, r)
		}
		for _, leak := range []string{"A2", "A1", "A3", "inactive"} {
			if r.FailureReason != "" && strings.Contains(r.FailureReason, leak) {
				t.Errorf("record %d reason %q names %s", r.Index, r.FailureReason, leak)
			}
		}
	}
	if d.ProcessingStatus[StatusSuccess] != 1 || d.ProcessingStatus[StatusFailed] != 3 || d.MatchingOutcome[OutcomeMultipleMatches] != 1 || d.ProcessingStatus[StatusPending] != 0 {
		t.Errorf("counts %v %v", d.ProcessingStatus, d.MatchingOutcome)
	}
}
