package domain_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/targetloader/targetloader/shared/domain"
)

func TestPicklists(t *testing.T) {
	gotOutcomes := make([]string, 0)
	for _, o := range domain.MatchingOutcomes {
		gotOutcomes = append(gotOutcomes, string(o))
	}
	wantOutcomes := []string{"matched_account_id__v", "matched_email__v", "no_match__v", "multiple_matches__v", "conflict__v", "not_attempted__v"}
	if diff := cmp.Diff(wantOutcomes, gotOutcomes); diff != "" {
		t.Errorf("MatchingOutcomes mismatch (-want +got):\n%s", diff)
	}
	var gotStatuses []string
	for _, s := range domain.ProcessingStatuses {
		gotStatuses = append(gotStatuses, string(s))
	}
	if diff := cmp.Diff([]string{"pending__v", "success__v", "failed__v"}, gotStatuses); diff != "" {
		t.Errorf("ProcessingStatuses mismatch (-want +got):\n%s", diff)
	}
}
