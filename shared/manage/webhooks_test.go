package manage_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

var (
	_ manage.Deliveries  = fakes.Deliveries{}
	_ manage.WebhookKeys = fakes.WebhookKeys{}
)

func TestCreateTokenWithCallbackShowsItsWebhookSecretOnce(t *testing.T) {
	// GIVEN a marketer creating a token with a callback URL
	var stored domain.Token
	h, logs := handler(ports{journeys: journeys(open), tokens: fakes.Tokens{CreateFunc: func(_ context.Context, tok domain.Token) error {
		stored = tok
		return nil
	}}})
	master := []byte(strings.Repeat("k", domain.MinMasterKeyBytes))
	h.WebhookKeys = fakes.WebhookKeys{KeyFunc: func(_ context.Context, tokenID string) ([]byte, error) {
		return domain.WebhookKey(master, tokenID), nil
	}}
	// WHEN it is created
	resp := call(t, h, createReq(open.ID, `{"expires":"30d","callback_url":"https://cdp.example.com/hooks?x=1"}`, asMarketer))
	created := decode[manage.Created](t, resp, http.StatusCreated)
	// THEN the response shows the token's webhook secret, derived from its id
	if created.CallbackURL != "https://cdp.example.com/hooks?x=1" || created.WebhookSecret != domain.WebhookSecret(domain.WebhookKey(master, created.TokenID)) {
		t.Errorf("created %+v", created)
	}
	// AND the token stores the URL, never the secret, and no log holds it
	if stored.CallbackURL != created.CallbackURL {
		t.Errorf("stored %+v", stored)
	}
	b, _ := json.Marshal(stored)
	if strings.Contains(string(b), strings.TrimPrefix(created.WebhookSecret, "whsec_")) || strings.Contains(logs.String(), created.WebhookSecret) {
		t.Error("the webhook secret was stored or logged")
	}
}

func TestCreateTokenRefusesABadCallbackURL(t *testing.T) {
	h, _ := handler(ports{journeys: journeys(open)})
	for _, url := range []string{"http://cdp.example.com/hook", "https://user:pw@cdp.example.com/", "not a url"} {
		// WHEN a token is asked for with a bad callback URL THEN it is a 400 and nothing is stored (no Tokens.Create)
		resp := call(t, h, createReq(open.ID, `{"expires":"30d","callback_url":"`+url+`"}`, asMarketer))
		if d := assertProblem(t, resp, http.StatusBadRequest, "invalid-request"); !strings.Contains(d.Detail, "callback_url") {
			t.Errorf("detail %q", d.Detail)
		}
	}
}

func TestWebhookDeliveriesAreForAdmins(t *testing.T) {
	var gotStatus string
	h, _ := handler(ports{journeys: journeys(open)})
	h.Deliveries = fakes.Deliveries{ListFunc: func(_ context.Context, journeyID, status, _ string, _ int) ([]domain.WebhookDelivery, string, error) {
		gotStatus = status
		return []domain.WebhookDelivery{{JourneyID: journeyID, RequestUUID: "r1", Status: domain.DeliveryFailed}}, "", nil
	}}
	params := map[string]string{"journey_id": open.ID}
	// GIVEN a marketer THEN the deliveries are refused
	if d := assertProblem(t, call(t, h, get(manage.RouteDeliveries, params, asMarketer)), http.StatusForbidden, "forbidden"); !strings.Contains(d.Detail, "admins") {
		t.Errorf("detail %q", d.Detail)
	}
	// GIVEN an admin asking for the undelivered ones THEN they are listed
	req := get(manage.RouteDeliveries, params, asAdmin)
	req.QueryStringParameters = map[string]string{"status": "undelivered"}
	page := decode[manage.DeliveryPage](t, call(t, h, req), http.StatusOK)
	if len(page.Deliveries) != 1 || gotStatus != domain.DeliveryUndelivered {
		t.Errorf("page %+v status %q", page, gotStatus)
	}
	// AND an unknown status is a 400
	req.QueryStringParameters = map[string]string{"status": "lost"}
	if d := assertProblem(t, call(t, h, req), http.StatusBadRequest, "invalid-query"); !strings.Contains(d.Detail, "status must be one of") {
		t.Errorf("detail %q", d.Detail)
	}
}

func TestOpenAPIDocumentNamesTheAPIAsReached(t *testing.T) {
	h, _ := handler(ports{})
	// WHEN the document is asked for, without sign-in
	resp := call(t, h, get(manage.RouteOpenAPI, nil, nil))
	doc := decode[map[string]any](t, resp, http.StatusOK)
	// THEN its one server is the API as the caller reached it, and every response carries X-Request-Id
	servers, _ := doc["servers"].([]any)
	if doc["openapi"] != "3.1.0" || len(servers) != 1 || servers[0].(map[string]any)["url"] != "https://api.example.test/v1" || resp.Headers["X-Request-Id"] == "" {
		t.Errorf("openapi %v servers %v headers %v", doc["openapi"], servers, resp.Headers)
	}
}
