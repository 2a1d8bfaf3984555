package ingest

import (
	"context"
	"fmt"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/problem"
)

// Accounts looks up accounts by id and by normalised email, for dry runs.
type Accounts interface {
	Lookup(ctx context.Context, ids, emails []string) (domain.Accounts, error)
}

// QueryDryRun is the query parameter that asks for a dry run.
const QueryDryRun = "dry_run"

// DryRunResult is the body of a dry run's 200 response.
type DryRunResult struct {
	IsDryRun  bool   `json:"dry_run"`
	JourneyID string `json:"journey_id"`
	Accepted  int    `json:"accepted"`
	domain.DryRun
}

// dryRunRequested reads ?dry_run=true|false; anything else is a 400.
func dryRunRequested(req events.APIGatewayProxyRequest) (bool, *problem.Details) {
	switch v, ok := req.QueryStringParameters[QueryDryRun]; {
	case !ok || v == "false":
		return false, nil
	case v == "true":
		return true, nil
	default:
		d := problem.New(http.StatusBadRequest, "invalid-query", fmt.Sprintf("%s must be true or false, got %q.", QueryDryRun, v))
		return false, &d
	}
}

// dryRun matches the validated targets at once and answers what each would
// become, through the API view. It writes nothing and queues nothing (the
// token's rate limit, taken before, still counts): two reads of a few
// BatchGetItem calls (ids and emails, then accounts found by email only).
func (h *Handler) dryRun(ctx context.Context, c call, targets []domain.Target) events.APIGatewayProxyResponse {
	ids := make([]string, len(targets))
	emails := make([]string, len(targets))
	for i, t := range targets {
		ids[i], emails[i] = t.AccountID, t.Email
	}
	known, err := h.Accounts.Lookup(ctx, ids, emails)
	if err != nil {
		return h.unavailable(ctx, "look up accounts for a dry run", err)
	}
	d := domain.NewDryRun(c.journey.ID, targets, known, h.Now().UTC())
	c.log.InfoContext(ctx, "dry run", "targets", len(targets), "would_succeed", d.ProcessingStatus[domain.StatusSuccess])
	return httpapi.JSON(http.StatusOK, DryRunResult{IsDryRun: true, JourneyID: c.journey.ID, Accepted: len(targets), DryRun: d}, nil)
}
