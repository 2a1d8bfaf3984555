package integration

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
	"github.com/targetloader/targetloader/shared/tokens"
)

var oneTarget = []map[string]any{{"source_system_id": "s0", "account_id": "A1"}}

func TestTokensLifecycleThroughDynamoDB(t *testing.T) {
	e := newEnv(t)
	endDate := e.now.AddDate(0, 5, 0).Format(domain.DateLayout)
	e.putJourney("J1", endDate)

	out, err := e.Tokens.Handle(e.ctx(), tokens.Request{Operation: tokens.OpOptions, JourneyID: "J1"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, o := range out.(tokens.OptionsResponse).Options {
		ids = append(ids, string(o.ID))
	}
	if strings.Join(ids, ",") != "30d,90d,journey_end" {
		t.Errorf("options for a journey ending in 5 months = %v", ids)
	}

	created := e.createToken("J1", "90d")
	if !domain.ValidTokenFormat(created.Token) || created.Endpoint != "https://api.example.test/v1/journeys/J1/targets" {
		t.Errorf("created = token format %v, endpoint %q", domain.ValidTokenFormat(created.Token), created.Endpoint)
	}
	if _, err := e.Tokens.Handle(e.ctx(), tokens.Request{Operation: tokens.OpCreate, JourneyID: "J1", Expires: "1y", By: "m"}); errorType(err) != "InvalidRequest" {
		t.Errorf("1y on a journey ending in 5 months: err = %v", err)
	}
	if _, err := e.Tokens.Handle(e.ctx(), tokens.Request{Operation: tokens.OpCreate, JourneyID: "NOPE", Expires: "30d", By: "m"}); errorType(err) != "NotFound" {
		t.Errorf("unknown journey: err = %v", err)
	}

	list := e.listTokens("J1")
	if len(list) != 1 || list[0].Status != domain.TokenActive || list[0].Obscured != domain.ObscureToken(created.Token) || list[0].CreatedBy != "marketer@example.com" {
		t.Fatalf("list = %+v", list)
	}
	// The stored item holds the hash, never the secret.
	raw, err := e.stack.DynamoDB.Scan(e.ctx(), scanInput(e.stack.Env["TOKENS_TABLE"]))
	if err != nil {
		t.Fatal(err)
	}
	if dump := strings.Join(itemStrings(raw.Items), " "); strings.Contains(dump, created.Token) || !strings.Contains(dump, domain.HashToken(created.Token)) {
		t.Errorf("the tokens table must store the hash and not the secret")
	}

	if resp := e.post("J1", created.Token, oneTarget); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST with a fresh token = %d %s", resp.StatusCode, resp.Body)
	}
	expired, err := e.Tokens.Handle(e.ctx(), tokens.Request{Operation: tokens.OpExpire, TokenID: created.TokenID, By: "boss@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if v := expired.(tokens.TokenView); v.Status != domain.TokenRevoked || v.RevokedBy != "boss@example.com" || v.RevokedAt == nil {
		t.Errorf("expire returned %+v", v)
	}
	// Manual expiry is effective on the very next call.
	resp := e.post("J1", created.Token, oneTarget)
	assertProblem(t, resp, http.StatusUnauthorized)
	if !strings.HasPrefix(resp.Headers["WWW-Authenticate"], "Bearer") {
		t.Errorf("401 without a Bearer challenge: %v", resp.Headers)
	}
	if list := e.listTokens("J1"); list[0].Status != domain.TokenRevoked || list[0].RevokedBy != "boss@example.com" {
		t.Errorf("after expire, list = %+v", list)
	}
	if _, err := e.Tokens.Handle(e.ctx(), tokens.Request{Operation: tokens.OpExpire, TokenID: "no-such-token", By: "m"}); errorType(err) != "NotFound" {
		t.Errorf("expire unknown token: %v", err)
	}
}

func TestRefusedTokens(t *testing.T) {
	e := newEnv(t)
	e.putJourney("J1", "")
	e.putJourney("J2", "")
	yesterday := e.now.AddDate(0, 0, -1).Format(domain.DateLayout)
	e.putJourney("ENDED", yesterday)
	good := e.createToken("J1", "30d")
	other := e.createToken("J2", "30d")

	// A token whose expiry has passed but which TTL has not deleted yet.
	expiredSecret := e.storeToken("J1", e.now.Add(-time.Minute))
	endedSecret := e.storeToken("ENDED", e.now.Add(24*time.Hour))
	unknown, err := domain.NewTokenSecret()
	if err != nil {
		t.Fatal(err)
	}
	tampered := good.Token[:10] + flip(good.Token[10]) + good.Token[11:]

	cases := []struct {
		name    string
		journey string
		header  string
		want    int
	}{
		{"missing", "J1", "", http.StatusUnauthorized},
		{"not bearer", "J1", "Basic " + good.Token, http.StatusUnauthorized},
		{"tampered", "J1", "Bearer " + tampered, http.StatusUnauthorized},
		{"unknown", "J1", "Bearer " + unknown, http.StatusUnauthorized},
		{"expired, not yet deleted by TTL", "J1", "Bearer " + expiredSecret, http.StatusUnauthorized},
		{"another journey's token", "J1", "Bearer " + other.Token, http.StatusForbidden},
		{"journey ended", "ENDED", "Bearer " + endedSecret, http.StatusForbidden},
		{"good", "J1", "Bearer " + good.Token, http.StatusAccepted},
	}
	var tamperedBody, unknownBody string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := workload.APIRequest(http.MethodPost, "/journeys/{journey_id}/targets", map[string]string{"journey_id": c.journey}, "", `[{"source_system_id":"s","account_id":"A1"}]`)
			if c.header != "" {
				req.Headers["Authorization"] = c.header
			}
			resp := e.call(req)
			if resp.StatusCode != c.want {
				t.Fatalf("status = %d, want %d: %s", resp.StatusCode, c.want, resp.Body)
			}
			if c.want != http.StatusAccepted {
				assertProblem(t, resp, c.want)
			}
			switch c.name {
			case "tampered":
				tamperedBody = resp.Body
			case "unknown":
				unknownBody = resp.Body
			}
		})
	}
	if tamperedBody != unknownBody {
		t.Errorf("a mistyped and an unknown token must get the same response:\n%s\n%s", tamperedBody, unknownBody)
	}
}

// storeToken writes a token item directly, for states the tokens function
// refuses to create (already expired, for an ended journey).
func (e *env) storeToken(journeyID string, expiresAt time.Time) string {
	e.t.Helper()
	secret, err := domain.NewTokenSecret()
	if err != nil {
		e.t.Fatal(err)
	}
	secrets.Store(secret, true)
	secrets.Store(domain.HashToken(secret), true)
	tok := domain.Token{Hash: domain.HashToken(secret), ID: "direct-" + secret[len(secret)-8:], JourneyID: journeyID, Obscured: domain.ObscureToken(secret), CreatedBy: "test", CreatedAt: e.now.Add(-48 * time.Hour), ExpiresAt: expiresAt, DeleteAfter: expiresAt.Add(domain.TokenRetention).Unix()}
	if err := (store.Tokens{DB: e.stack.DynamoDB, Table: e.stack.Env["TOKENS_TABLE"]}).Create(e.ctx(), tok); err != nil {
		e.t.Fatal(err)
	}
	return secret
}

func (e *env) listTokens(journeyID string) []tokens.TokenView {
	e.t.Helper()
	out, err := e.Tokens.Handle(e.ctx(), tokens.Request{Operation: tokens.OpList, JourneyID: journeyID})
	if err != nil {
		e.t.Fatal(err)
	}
	return out.(tokens.ListResponse).Tokens
}

func errorType(err error) string {
	if ie, ok := err.(messages.InvokeResponse_Error); ok {
		return ie.Type
	}
	return ""
}

func flip(c byte) string {
	if c == 'a' {
		return "b"
	}
	return "a"
}

func assertProblem(t *testing.T, resp eventsResponse, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status = %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	if resp.Headers["Content-Type"] != problem.ContentType {
		t.Errorf("Content-Type = %q, want %s", resp.Headers["Content-Type"], problem.ContentType)
	}
	d := decode[problem.Details](t, resp.Body)
	if d.Status != status || d.Title == "" || d.Type == "" || d.Detail == "" {
		t.Errorf("problem document incomplete: %+v", d)
	}
}
