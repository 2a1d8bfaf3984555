package integration

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/store"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

var oneTarget = []map[string]any{{"source_system_id": "s0", "account_id": "A1"}}

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
			// Each response has its own request id; the rest must not differ.
			switch c.name {
			case "tampered":
				tamperedBody = withoutRequestID(t, resp.Body)
			case "unknown":
				unknownBody = withoutRequestID(t, resp.Body)
			}
		})
	}
	if tamperedBody != unknownBody {
		t.Errorf("a mistyped and an unknown token must get the same response:\n%s\n%s", tamperedBody, unknownBody)
	}
}

// storeToken writes a token item directly, for states the manage function
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

// withoutRequestID is a problem document's body without its request_id.
func withoutRequestID(t *testing.T, body string) string {
	t.Helper()
	var d problem.Details
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatal(err)
	}
	if d.RequestID == "" {
		t.Errorf("problem without request_id: %s", body)
	}
	d.RequestID = ""
	b, _ := json.Marshal(d)
	return string(b)
}
