package integration

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/local/devstack"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/signedin"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

// manageEnv is a test's stack with a real user pool (moto's Cognito), the
// handlers wired as deployed, and the management API served as the local
// API serves it: ID tokens validated against the pool's JWKS first.
type manageEnv struct {
	*env
	pool *testenv.UserPool
	api  devstack.Router
}

func newManageEnv(t *testing.T) *manageEnv {
	t.Helper()
	stack := testenv.NewStack(t)
	pool := stack.UserPool(t)
	e := &env{t: t, stack: stack, logs: &testenv.SyncBuffer{}, now: time.Now().UTC()}
	log := testenv.Logger(t, slog.LevelInfo, e.logs)
	e.Handlers = stack.Wire(t, log, testenv.Clients{})
	t.Cleanup(func() {
		assertNoSecrets(t, e.logs.String())
		// Nothing logs a JWT: base64url JSON header and payload, dot-separated.
		if jwtPattern.MatchString(e.logs.String()) {
			t.Errorf("a JWT appears in the logs")
		}
	})
	api := testenv.ManageAPI(stack.Resources.Stage, e.Manage, e.Upload, pool.Authorizer, log, e.API.Observe)
	return &manageEnv{env: e, pool: pool, api: api}
}

var jwtPattern = regexp.MustCompile(`eyJ[\w-]+\.eyJ[\w-]+\.`)

type apiResult struct {
	status int
	header http.Header
	body   string
}

// do sends a request to the management API with authorization as the
// Authorization header ("" sends none).
func (m *manageEnv) do(method, path, authorization, body string) apiResult {
	m.t.Helper()
	return serve(m.t, m.api, method, path, authorization, body)
}

func serve(t *testing.T, api http.Handler, method, path, authorization, body string) apiResult {
	t.Helper()
	r := httptest.NewRequest(method, "http://127.0.0.1:3000"+path, strings.NewReader(body))
	if authorization != "" {
		r.Header.Set("Authorization", authorization)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	w := httptest.NewRecorder()
	api.ServeHTTP(w, r)
	return apiResult{status: w.Code, header: w.Header(), body: w.Body.String()}
}

// as sends a request as the signed-in user with ID token idToken.
func (m *manageEnv) as(idToken, method, path, body string) apiResult {
	m.t.Helper()
	return m.do(method, path, "Bearer "+idToken, body)
}

func wantStatus(t *testing.T, r apiResult, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
}

func wantProblem(t *testing.T, r apiResult, status int, slug string) {
	t.Helper()
	wantStatus(t, r, status)
	var d problem.Details
	if err := json.Unmarshal([]byte(r.body), &d); err != nil || r.header.Get("Content-Type") != problem.ContentType || d.Type != problem.TypeBase+slug || d.Status != status {
		t.Errorf("want a %d %s problem, got %v %s", status, slug, r.header, r.body)
	}
}

// TestMarketerAndAdminManageTokensSignedIn: the creator and the expirer of a
// token are the users who signed in, whatever else a request says.
func TestMarketerAndAdminManageTokensSignedIn(t *testing.T) {
	m := newManageEnv(t)
	endDate := m.now.AddDate(0, 5, 0).Format(domain.DateLayout)
	m.putJourney("J1", endDate)
	marketer := m.pool.SignIn(t, localaws.LocalMarketer)
	admin := m.pool.SignIn(t, localaws.LocalAdmin)

	// The marketer sees the journey's expiry options (§2).
	var journey manage.JourneyDetail
	r := m.as(marketer, http.MethodGet, "/manage/journeys/J1", "")
	wantStatus(t, r, http.StatusOK)
	_ = json.Unmarshal([]byte(r.body), &journey)
	var ids []string
	for _, o := range journey.ExpiryOptions {
		ids = append(ids, string(o.ID))
	}
	if strings.Join(ids, ",") != "30d,90d,journey_end" {
		t.Errorf("options for a journey ending in 5 months = %v", ids)
	}

	// The marketer generates a token; a header naming someone else changes nothing.
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:3000/manage/journeys/J1/tokens", strings.NewReader(`{"expires":"90d","created_by":"mallory@example.com"}`))
	req.Header.Set("Authorization", "Bearer "+marketer)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-User-Email", "mallory@example.com")
	w := httptest.NewRecorder()
	m.api.ServeHTTP(w, req)
	wantStatus(t, apiResult{status: w.Code, body: w.Body.String()}, http.StatusCreated)
	var created manage.Created
	if err := json.Unmarshal(w.Body.Bytes(), &created); err != nil || !domain.ValidTokenFormat(created.Token) || created.Endpoint != "http://127.0.0.1:3000/journeys/J1/targets" {
		t.Fatalf("created %s", w.Body)
	}
	secrets.Store(created.Token, true)
	secrets.Store(domain.HashToken(created.Token), true)
	// The stored item holds the hash, never the secret.
	raw, err := m.stack.DynamoDB.Scan(m.ctx(), scanInput(m.stack.Env["TOKENS_TABLE"]))
	if err != nil {
		t.Fatal(err)
	}
	if dump := strings.Join(itemStrings(raw.Items), " "); strings.Contains(dump, created.Token) || !strings.Contains(dump, domain.HashToken(created.Token)) {
		t.Errorf("the tokens table must store the hash and not the secret")
	}
	wantProblem(t, m.as(marketer, http.MethodPost, "/manage/journeys/J1/tokens", `{"expires":"1y"}`), http.StatusBadRequest, "invalid-request")
	wantProblem(t, m.as(marketer, http.MethodPost, "/manage/journeys/NOPE/tokens", `{"expires":"30d"}`), http.StatusNotFound, "not-found")

	list := func() []manage.TokenView {
		r := m.as(marketer, http.MethodGet, "/manage/journeys/J1/tokens", "")
		wantStatus(t, r, http.StatusOK)
		var page manage.TokenPage
		_ = json.Unmarshal([]byte(r.body), &page)
		return page.Tokens
	}
	if l := list(); len(l) != 1 || l[0].CreatedBy != localaws.LocalMarketer || l[0].Status != domain.TokenActive || l[0].Obscured != domain.ObscureToken(created.Token) {
		t.Fatalf("list = %+v", l)
	}
	if resp := m.post("J1", created.Token, oneTarget); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST with the fresh token = %d %s", resp.StatusCode, resp.Body)
	}

	// The admin expires it: the API refuses it on the very next call.
	r = m.as(admin, http.MethodPost, "/manage/tokens/"+created.TokenID+"/expire", "")
	wantStatus(t, r, http.StatusOK)
	if l := list(); l[0].Status != domain.TokenRevoked || l[0].RevokedBy != localaws.LocalAdmin || l[0].RevokedAt == nil {
		t.Errorf("after expire, list = %+v", l)
	}
	assertProblem(t, m.post("J1", created.Token, oneTarget), http.StatusUnauthorized)
	wantProblem(t, m.as(admin, http.MethodPost, "/manage/tokens/no-such-token/expire", ""), http.StatusNotFound, "not-found")

	// The journeys listing and the console's configuration.
	r = m.as(marketer, http.MethodGet, "/manage/journeys", "")
	if wantStatus(t, r, http.StatusOK); !strings.Contains(r.body, `"journey_id":"J1"`) {
		t.Errorf("journeys %s", r.body)
	}
	r = m.do(http.MethodGet, "/console/config.json", "", "")
	wantStatus(t, r, http.StatusOK)
	var cfg manage.SignIn
	if _ = json.Unmarshal([]byte(r.body), &cfg); cfg.UserPoolID != m.pool.ID || cfg.ClientID != m.pool.ClientID || cfg.Region != localaws.CognitoRegion || cfg.CognitoEndpoint != testenv.Endpoint() {
		t.Errorf("config.json %s", r.body)
	}
}

// TestBadSignInsAre401: no token, a tampered one, an expired one, one signed
// by another key, and one of another pool never reach the function.
func TestBadSignInsAre401(t *testing.T) {
	m := newManageEnv(t)
	m.putJourney("J1", "")
	good := m.pool.SignIn(t, localaws.LocalMarketer)
	if r := m.as(good, http.MethodGet, "/manage/journeys/J1", ""); r.status != http.StatusOK {
		t.Fatalf("a good token: %d %s", r.status, r.body)
	}

	// Tampered: the marketer's token claiming to be the admin, signature kept.
	parts := strings.Split(good, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(string(payload), localaws.LocalMarketer, localaws.LocalAdmin, 1)
	forged = strings.Replace(forged, `"marketers"`, `"admins","marketers"`, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(forged)) + "." + parts[2]

	// Foreign: the same claims, signed by a key of the test's own under the pool key's id.
	claims, err := jwt.ParseInsecure([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	rawKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	key, err := jwk.Import(rawKey)
	if err != nil {
		t.Fatal(err)
	}
	hdr := strings.Split(good, ".")[0]
	hdrJSON, _ := base64.RawURLEncoding.DecodeString(hdr)
	var h struct {
		Kid string `json:"kid"`
	}
	_ = json.Unmarshal(hdrJSON, &h)
	_ = key.Set(jwk.KeyIDKey, h.Kid)
	foreign, err := jwt.Sign(claims, jwt.WithKey(jwa.RS256(), key))
	if err != nil {
		t.Fatal(err)
	}

	// Another pool: a user of another stage's pool, signed by moto's key too.
	otherStack := testenv.NewStack(t)
	otherPool := otherStack.UserPool(t)
	otherPoolToken := otherPool.SignIn(t, localaws.LocalAdmin)

	for name, authorization := range map[string]string{
		"no token":              "",
		"not a bearer token":    "Basic " + good,
		"tampered":              "Bearer " + tampered,
		"signed by another key": "Bearer " + string(foreign),
		"of another user pool":  "Bearer " + otherPoolToken,
		"an API token":          "Bearer tl_0000000000000000000000000000000000000000000000000",
	} {
		t.Run(name, func(t *testing.T) {
			r := m.do(http.MethodGet, "/manage/journeys/J1", authorization, "")
			wantProblem(t, r, http.StatusUnauthorized, "sign-in-required")
			if r.header.Get("WWW-Authenticate") != signedin.WWWAuthenticate {
				t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
			}
		})
	}

	// Expired: the pool's own token an hour and a minute later.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	later, err := m.pool.NewAuthorizer(ctx, func() time.Time { return time.Now().Add(61 * time.Minute) })
	if err != nil {
		t.Fatal(err)
	}
	api := testenv.ManageAPI(m.stack.Resources.Stage, m.Manage, m.Upload, later, slog.New(slog.DiscardHandler), m.API.Observe)
	wantProblem(t, serve(t, api, http.MethodGet, "/manage/journeys/J1", "Bearer "+good, ""), http.StatusUnauthorized, "sign-in-required")
	wantStatus(t, serve(t, api, http.MethodGet, "/console/config.json", "", ""), http.StatusOK)

	// The refusals were logged without the tokens.
	if strings.Contains(m.logs.String(), parts[2]) {
		t.Errorf("a token's signature is in the logs")
	}
}

// TestLoaderRecordsAreForAdmins: a marketer gets 403, an admin the full
// records, filtered and a page at a time.
func TestLoaderRecordsAreForAdmins(t *testing.T) {
	m := newManageEnv(t)
	m.putJourney("J1", "")
	m.importAccounts(
		domain.Account{ID: "A1", Emails: []string{"one@example.com"}, Status: domain.AccountActive},
		domain.Account{ID: "A2", Emails: []string{"two@example.com"}, Status: domain.AccountActive},
	)
	tok := m.createToken("J1", "30d")
	resp := m.post("J1", tok.Token, []map[string]any{
		{"source_system_id": "s0", "account_id": "A1"},
		{"source_system_id": "s1", "email": "nobody@example.com"},
		{"source_system_id": "s2", "email": "TWO@example.com"},
		{"source_system_id": "s3", "account_id": "NOPE"},
	})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST %d %s", resp.StatusCode, resp.Body)
	}
	requestUUID := decode[struct {
		RequestUUID string `json:"request_uuid"`
	}](t, resp.Body).RequestUUID
	m.drain()

	marketer := m.pool.SignIn(t, localaws.LocalMarketer)
	admin := m.pool.SignIn(t, localaws.LocalAdmin)
	wantProblem(t, m.as(marketer, http.MethodGet, "/manage/journeys/J1/loader-records", ""), http.StatusForbidden, "forbidden")
	wantProblem(t, m.as(marketer, http.MethodGet, "/manage/requests/"+requestUUID+"/loader-records", ""), http.StatusForbidden, "forbidden")

	records := func(path string, query url.Values) (all []domain.LoaderRecord, pages int) {
		t.Helper()
		for {
			r := m.as(admin, http.MethodGet, path+"?"+query.Encode(), "")
			wantStatus(t, r, http.StatusOK)
			var page manage.RecordPage
			if err := json.Unmarshal([]byte(r.body), &page); err != nil {
				t.Fatal(err)
			}
			all, pages = append(all, page.Records...), pages+1
			if page.NextCursor == "" {
				return all, pages
			}
			query.Set("cursor", page.NextCursor)
		}
	}
	all, pages := records("/manage/journeys/J1/loader-records", url.Values{"limit": {"1"}})
	if len(all) != 4 || pages < 4 {
		t.Errorf("%d records in %d pages, want 4 a page at a time", len(all), pages)
	}
	failed, _ := records("/manage/journeys/J1/loader-records", url.Values{"processing_status": {"failed__v"}, "limit": {"1"}})
	noMatch, _ := records("/manage/journeys/J1/loader-records", url.Values{"request_uuid": {requestUUID}, "matching_outcome": {"no_match__v"}})
	byRequest, _ := records("/manage/requests/"+requestUUID+"/loader-records", url.Values{"matching_outcome": {"matched_email__v"}})
	if len(failed) != 2 || len(noMatch) != 2 || len(byRequest) != 1 || byRequest[0].Account != "A2" || byRequest[0].SubmittedEmail != "TWO@example.com" {
		t.Errorf("failed %d, no match %d, matched on email %+v", len(failed), len(noMatch), byRequest)
	}
	wantProblem(t, m.as(admin, http.MethodGet, "/manage/journeys/J1/loader-records?matching_outcome=matched", ""), http.StatusBadRequest, "invalid-query")
	wantProblem(t, m.as(admin, http.MethodGet, "/manage/journeys/J1/loader-records?cursor=e30", ""), http.StatusBadRequest, "invalid-query")

	// The target list, for the marketer, a page at a time.
	var targets []domain.JourneyTarget
	for cursor := ""; ; {
		r := m.as(marketer, http.MethodGet, "/manage/journeys/J1/targets?limit=1&cursor="+cursor, "")
		wantStatus(t, r, http.StatusOK)
		var page manage.TargetPage
		_ = json.Unmarshal([]byte(r.body), &page)
		targets = append(targets, page.Targets...)
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(targets) != 2 || targets[0].AddedVia != "API" {
		t.Errorf("targets %+v", targets)
	}
}
