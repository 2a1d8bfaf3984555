package ingest

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

var _ Accounts = fakes.Accounts{}

func TestDryRunWritesAndQueuesNothing(t *testing.T) {
	h, secrets, sent := newFuzzHandler(t)
	// GIVEN ports that fail the test on any write: a dry run may only read
	h.Requests = fakes.Requests{}
	h.Accounts = fakes.Accounts{LookupFunc: func(_ context.Context, ids, emails []string) (domain.Accounts, error) {
		return domain.Accounts{ByID: map[string]domain.Account{"A1": {ID: "A1", Status: domain.AccountActive}}}, nil
	}}
	req := events.APIGatewayProxyRequest{
		HTTPMethod: http.MethodPost, Resource: RouteTargets, PathParameters: map[string]string{"journey_id": "J1"},
		Headers:               map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + secrets["$TOKEN"], "Idempotency-Key": "k1"},
		QueryStringParameters: map[string]string{"dry_run": "true"},
		Body:                  `[{"source_system_id":"s1","account_id":"A1"},{"source_system_id":"s2","account_id":"B2"}]`,
		RequestContext:        events.APIGatewayProxyRequestContext{RequestID: "rid-1"},
	}
	// WHEN a dry run is sent
	resp, err := h.Handle(context.Background(), req)
	// THEN it answers 200 with each record's API view, and nothing was queued
	var d DryRunResult
	if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(resp.Body), &d) != nil {
		t.Fatalf("dry run = %d %s %v", resp.StatusCode, resp.Body, err)
	}
	if !d.IsDryRun || d.Accepted != 2 || d.Records[0].ProcessingStatus != domain.StatusSuccess || d.Records[1].MatchingOutcome != domain.OutcomeNoMatch || len(*sent) != 0 {
		t.Errorf("dry run %+v, %d sent", d, len(*sent))
	}
	if resp.Headers["X-Request-Id"] != "rid-1" || resp.Headers["RateLimit"] == "" || resp.Headers["Location"] != "" {
		t.Errorf("headers %v", resp.Headers)
	}
	// AND an invalid body is refused before any lookup, as in a real request
	req.Body = `[{"source_system_id":""}]`
	h.Accounts = fakes.Accounts{}
	if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("invalid dry run = %d %s", resp.StatusCode, resp.Body)
	}
}

// A dry run answers through the same API view and refuses the same text as
// a real request (issue 15): it is no side door to CRM facts or to control
// characters.
func TestDryRunShowsTheAPIViewAndRefusesControlCharacters(t *testing.T) {
	h, secrets, _ := newFuzzHandler(t)
	h.Requests = fakes.Requests{}
	h.Accounts = fakes.Accounts{LookupFunc: func(context.Context, []string, []string) (domain.Accounts, error) {
		shared := domain.Account{ID: "CRM-1", Emails: []string{"shared@example.com"}, Status: domain.AccountActive}
		other := domain.Account{ID: "CRM-2", Emails: []string{"shared@example.com"}, Status: domain.AccountActive}
		single := domain.Account{ID: "CRM-3", Emails: []string{"one@example.com"}, Status: domain.AccountActive}
		return domain.Accounts{
			ByID:    map[string]domain.Account{shared.ID: shared, other.ID: other, single.ID: single},
			ByEmail: map[string][]string{"shared@example.com": {shared.ID, other.ID}, "one@example.com": {single.ID}},
		}, nil
	}}
	req := events.APIGatewayProxyRequest{
		HTTPMethod: http.MethodPost, Resource: RouteTargets, PathParameters: map[string]string{"journey_id": "J1"},
		Headers:               map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + secrets["$TOKEN"]},
		QueryStringParameters: map[string]string{"dry_run": "true"},
		Body:                  `[{"source_system_id":"s1","email":"one@example.com"},{"source_system_id":"s2","email":"shared@example.com"}]`,
	}
	// WHEN targets matched by email only are dry-run
	resp, err := h.Handle(context.Background(), req)
	var d DryRunResult
	if err != nil || resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(resp.Body), &d) != nil {
		t.Fatalf("dry run = %d %s %v", resp.StatusCode, resp.Body, err)
	}
	// THEN no record names an account id the caller did not send
	for _, r := range d.Records {
		if r.Account != "" || strings.Contains(r.FailureReason, "CRM-") {
			t.Errorf("dry run record shows CRM data: %+v", r)
		}
	}
	if d.Records[0].ProcessingStatus != domain.StatusSuccess || d.Records[1].MatchingOutcome != domain.OutcomeMultipleMatches {
		t.Errorf("records %+v", d.Records)
	}
	// AND a bidi override or an escape sequence is refused with its index and field, before any lookup
	h.Accounts = fakes.Accounts{}
	for _, body := range []string{
		`[{"source_system_id":"s1","account_id":"A1"},{"source_system_id":"s2","account_id":"A\u202eB"}]`,
		`[{"source_system_id":"s1","account_id":"A1"},{"source_system_id":"s2","account_id":"A1","first_name":"\u001b[31mX"}]`,
	} {
		req.Body = body
		resp, _ := h.Handle(context.Background(), req)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, `"index":1`) {
			t.Errorf("dry run of %s = %d %s", body, resp.StatusCode, resp.Body)
		}
	}
}
