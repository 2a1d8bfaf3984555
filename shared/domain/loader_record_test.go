package domain_test

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/targetloader/targetloader/shared/domain"
)

func TestRecordID(t *testing.T) {
	tests := []struct {
		uuid  string
		index int
		want  string
	}{
		{"req-1", 0, "req-1:000"},
		{"req-1", 7, "req-1:007"},
		{"req-1", 499, "req-1:499"},
	}
	for _, tt := range tests {
		if got := domain.RecordID(tt.uuid, tt.index); got != tt.want {
			t.Errorf("RecordID(%q, %d) = %q, want %q", tt.uuid, tt.index, got, tt.want)
		}
	}
	// Ids of one request sort in index order.
	var ids []string
	for i := range domain.MaxTargets {
		ids = append(ids, domain.RecordID("r", i))
	}
	if !slices.IsSorted(ids) {
		t.Error("record ids of one request do not sort in index order")
	}
}

func TestNewLoaderRecord(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	created := time.Date(2026, time.November, 26, 11, 0, 0, 123456789, cet)
	processed := time.Date(2026, time.November, 26, 11, 0, 5, 0, cet)
	target := domain.Target{Index: 12, SourceSystemID: "cdp-7", AccountID: "V4T1", Email: "a@b.com", FirstName: "Ada", LastName: "Lovelace"}

	tests := []struct {
		name  string
		match domain.Match
		want  domain.LoaderRecord
	}{
		{
			name:  "success",
			match: domain.Match{AccountID: "V4T1", Outcome: domain.OutcomeMatchedAccountID, Status: domain.StatusSuccess},
			want: domain.LoaderRecord{
				ID: "req-1:012", RequestUUID: "req-1", Index: 12, Journey: "J1",
				SourceSystemID: "cdp-7", SubmittedEmail: "a@b.com", SubmittedAccountID: "V4T1",
				SubmittedFirstName: "Ada", SubmittedLastName: "Lovelace",
				Account: "V4T1", MatchingOutcome: domain.OutcomeMatchedAccountID, ProcessingStatus: domain.StatusSuccess,
				CreatedAt:   time.Date(2026, time.November, 26, 10, 0, 0, 123456789, time.UTC),
				ProcessedAt: time.Date(2026, time.November, 26, 10, 0, 5, 0, time.UTC),
			},
		},
		{
			name:  "failed",
			match: domain.Match{AccountID: "V4T1", Outcome: domain.OutcomeMatchedAccountID, Status: domain.StatusFailed, FailureReason: "Account V4T1 is inactive"},
			want: domain.LoaderRecord{
				ID: "req-1:012", RequestUUID: "req-1", Index: 12, Journey: "J1",
				SourceSystemID: "cdp-7", SubmittedEmail: "a@b.com", SubmittedAccountID: "V4T1",
				SubmittedFirstName: "Ada", SubmittedLastName: "Lovelace",
				Account: "V4T1", MatchingOutcome: domain.OutcomeMatchedAccountID, ProcessingStatus: domain.StatusFailed,
				FailureReason: "Account V4T1 is inactive",
				CreatedAt:     time.Date(2026, time.November, 26, 10, 0, 0, 123456789, time.UTC),
				ProcessedAt:   time.Date(2026, time.November, 26, 10, 0, 5, 0, time.UTC),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := domain.NewLoaderRecord("req-1", "J1", created, processed, target, tt.match)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("NewLoaderRecord() mismatch (-want +got):\n%s", diff)
			}
			if got.CreatedAt.Location() != time.UTC || got.ProcessedAt.Location() != time.UTC {
				t.Errorf("timestamps not UTC: %v %v", got.CreatedAt, got.ProcessedAt)
			}
		})
	}
}

func TestLoaderRecordJSONFields(t *testing.T) {
	// An empty record too: every §5 field is present even when blank.
	for _, rec := range []domain.LoaderRecord{
		{},
		domain.NewLoaderRecord("req-1", "J1", time.Now(), time.Now(),
			domain.Target{Index: 3, SourceSystemID: "s", Email: "a@b.com"},
			domain.Match{Outcome: domain.OutcomeNoMatch, Status: domain.StatusFailed, FailureReason: "No account matches email a@b.com"}),
	} {
		b, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		var fields map[string]any
		if err := json.Unmarshal(b, &fields); err != nil {
			t.Fatal(err)
		}
		var got []string
		for k := range fields {
			got = append(got, k)
		}
		slices.Sort(got)
		want := []string{
			"account__v", "created_at", "failure_reason__v", "id", "index", "journey__v",
			"matching_outcome__v", "processed_at", "processing_status__v", "request_uuid__v",
			"source_system_id__v", "submitted_account_id__v", "submitted_email__v",
			"submitted_first_name__v", "submitted_last_name__v",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("LoaderRecord JSON fields mismatch (-want +got):\n%s\n%s", diff, b)
		}
	}

	rec := domain.NewLoaderRecord("req-1", "J1", utc(2026, time.November, 26, 10, 0), utc(2026, time.November, 26, 10, 1),
		domain.Target{Index: 3, SourceSystemID: "s", AccountID: "A", Email: "a@b.com", FirstName: "F", LastName: "L"},
		domain.Match{AccountID: "A", Outcome: domain.OutcomeMatchedAccountID, Status: domain.StatusSuccess})
	b, _ := json.Marshal(rec)
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id": "req-1:003", "index": float64(3), "journey__v": "J1", "request_uuid__v": "req-1",
		"source_system_id__v": "s", "submitted_email__v": "a@b.com", "submitted_account_id__v": "A",
		"submitted_first_name__v": "F", "submitted_last_name__v": "L", "account__v": "A",
		"matching_outcome__v": "matched_account_id__v", "processing_status__v": "success__v", "failure_reason__v": "",
		"created_at": "2026-11-26T10:00:00Z", "processed_at": "2026-11-26T10:01:00Z",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoaderRecord JSON mismatch (-want +got):\n%s", diff)
	}
}
