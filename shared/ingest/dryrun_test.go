package ingest

import (
	"context"
	"encoding/json"
	"net/http"
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
