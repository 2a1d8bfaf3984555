package manage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/console"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/manage"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
	"github.com/targetloader/targetloader/shared/testsupport/workload"
)

// The shared fakes satisfy the handler's ports.
var (
	_ manage.Tokens   = fakes.Tokens{}
	_ manage.Journeys = fakes.Journeys{}
	_ manage.Targets  = fakes.Targets{}
	_ manage.Records  = fakes.Records{}
)

const (
	marketer = "marketer@example.com"
	admin    = "admin@example.com"
)

var (
	now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	// open has no end date; endsSoon ends in 99 days, so 30d, 90d and
	// journey_end are offered; ended ended yesterday.
	open     = domain.Journey{ID: "J1", Name: "Open"}
	endsSoon = domain.Journey{ID: "J2", Name: "Ends soon", EndDate: "2026-09-08"}
	ended    = domain.Journey{ID: "J3", Name: "Ended", EndDate: "2026-05-31"}
	errBoom  = errors.New("dynamodb: connection reset by peer at 10.0.0.7")

	asMarketer = workload.Claims(marketer, "marketers")
	asAdmin    = workload.Claims(admin, "admins", "marketers")
)

// ports are the handler's ports; unset functions panic: those calls are not expected.
type ports struct {
	tokens   fakes.Tokens
	journeys fakes.Journeys
	targets  fakes.Targets
	records  fakes.Records
}

// handler is a manage handler on p, with a fixed clock and a logger
// capturing every level.
func handler(p ports) (*manage.Handler, *bytes.Buffer) {
	var logs bytes.Buffer
	return &manage.Handler{
		Tokens:   p.tokens,
		Journeys: p.journeys,
		Targets:  p.targets,
		Records:  p.records,
		SignIn:   manage.SignIn{Region: "eu-west-1", UserPoolID: "eu-west-1_AbC", ClientID: "client", CognitoEndpoint: "https://cognito-idp.eu-west-1.amazonaws.com"},
		Console:  console.New("https://cognito-idp.eu-west-1.amazonaws.com"),
		Logger:   slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:      func() time.Time { return now },
	}, &logs
}

// journeys is a Journeys port that knows js, and answers NotFound for any
// other id, as the store does.
func journeys(js ...domain.Journey) fakes.Journeys {
	return fakes.Journeys{GetFunc: func(_ context.Context, id string) (domain.Journey, error) {
		for _, j := range js {
			if j.ID == id {
				return j, nil
			}
		}
		return domain.Journey{}, domain.Errorf(domain.KindNotFound, "journey %s does not exist", id)
	}}
}

func call(t *testing.T, h *manage.Handler, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	t.Helper()
	resp, err := h.Handle(t.Context(), req)
	if err != nil {
		t.Fatalf("Handle returned an error: %v", err)
	}
	return resp
}

func get(resource string, params map[string]string, claims map[string]any) events.APIGatewayProxyRequest {
	return workload.ManageRequest(http.MethodGet, resource, params, claims, "")
}

func decode[T any](t *testing.T, resp events.APIGatewayProxyResponse, status int) T {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, resp.Body)
	}
	var v T
	if err := json.Unmarshal([]byte(resp.Body), &v); err != nil {
		t.Fatalf("decode %s: %v", resp.Body, err)
	}
	return v
}

// assertProblem checks resp is a problem document of status and type slug.
func assertProblem(t *testing.T, resp events.APIGatewayProxyResponse, status int, slug string) problem.Details {
	t.Helper()
	d := decode[problem.Details](t, resp, status)
	if resp.Headers["Content-Type"] != problem.ContentType || d.Type != problem.TypeBase+slug || d.Status != status || d.Title == "" || d.Detail == "" {
		t.Errorf("problem %v %+v, want %d %s", resp.Headers, d, status, slug)
	}
	return d
}

func TestConsoleConfigNeedsNoSignIn(t *testing.T) {
	h, _ := handler(ports{})
	resp := call(t, h, get(manage.RouteConsoleConfig, nil, nil))
	got := decode[map[string]string](t, resp, http.StatusOK)
	want := map[string]string{"region": "eu-west-1", "user_pool_id": "eu-west-1_AbC", "client_id": "client", "cognito_endpoint": "https://cognito-idp.eu-west-1.amazonaws.com"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	if resp.Headers["Cache-Control"] != "no-store" || resp.Headers["X-Content-Type-Options"] != "nosniff" || resp.Headers["Content-Type"] != "application/json" {
		t.Errorf("config headers %v", resp.Headers)
	}
}

// The console's page and assets need no sign-in: the page signs in itself.
func TestConsoleServedWithoutSignIn(t *testing.T) {
	h, _ := handler(ports{})
	page := workload.ManageRequest(http.MethodGet, console.RoutePage, nil, nil, "")
	page.Path, page.RequestContext.Path = "/console/", "/v1/console/"
	resp := call(t, h, page)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Headers["Content-Type"], "text/html") ||
		!strings.Contains(resp.Body, `<base href="/v1/console/">`) || !strings.Contains(resp.Headers["Content-Security-Policy"], "connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com;") {
		t.Errorf("page: %d %v\n%s", resp.StatusCode, resp.Headers, resp.Body)
	}
	asset := workload.ManageRequest(http.MethodGet, console.RouteAsset, map[string]string{"proxy": "app.js"}, nil, "")
	if resp := call(t, h, asset); resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Headers["Content-Type"], "text/javascript") {
		t.Errorf("app.js: %d %v", resp.StatusCode, resp.Headers)
	}
}

func TestIdentityComesOnlyFromTheAuthorizerClaims(t *testing.T) {
	h, _ := handler(ports{journeys: journeys(open)})
	withClaims := func(mod func(map[string]any)) map[string]any {
		c := workload.Claims(marketer, "marketers")
		mod(c)
		return c
	}
	tests := []struct {
		name   string
		claims map[string]any
		header string
	}{
		{name: "no authorizer claims, whatever the headers say", header: "Bearer eyJhbGciOiJub25lIn0.eyJlbWFpbCI6Im1hbGxvcnlAZXhhbXBsZS5jb20ifQ."},
		{name: "an access token (no email)", claims: withClaims(func(c map[string]any) { c["token_use"] = "access"; delete(c, "email") })},
		{name: "email not verified", claims: withClaims(func(c map[string]any) { c["email_verified"] = "false" })},
		{name: "blank email", claims: withClaims(func(c map[string]any) { c["email"] = " " })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := get(manage.RouteJourney, map[string]string{"journey_id": open.ID}, tt.claims)
			if tt.header != "" {
				req.Headers["Authorization"] = tt.header
				req.Headers["X-User-Email"] = "mallory@example.com"
			}
			resp := call(t, h, req)
			assertProblem(t, resp, http.StatusUnauthorized, "sign-in-required")
			if resp.Headers["WWW-Authenticate"] == "" {
				t.Errorf("401 without WWW-Authenticate: %v", resp.Headers)
			}
		})
	}
}

func TestGroups(t *testing.T) {
	records := fakes.Records{ListFunc: func(context.Context, domain.RecordQuery, string, int) ([]domain.LoaderRecord, string, error) {
		return nil, "", nil
	}}
	targets := fakes.Targets{ListFunc: func(context.Context, string, string, int) ([]domain.JourneyTarget, string, error) {
		return nil, "", nil
	}}
	h, logs := handler(ports{journeys: journeys(open), records: records, targets: targets})
	recordsOf := get(manage.RouteJourneyRecords, map[string]string{"journey_id": open.ID}, nil)
	targetsOf := get(manage.RouteTargets, map[string]string{"journey_id": open.ID}, nil)
	tests := []struct {
		name   string
		req    events.APIGatewayProxyRequest
		claims map[string]any
		want   int
	}{
		{"a marketer reads the target list", targetsOf, asMarketer, http.StatusOK},
		{"an admin in both groups reads the target list", targetsOf, asAdmin, http.StatusOK},
		{"an admin only in admins reads the target list", targetsOf, workload.Claims(admin, "admins"), http.StatusOK},
		{"a user in no group", targetsOf, workload.Claims("nobody@example.com"), http.StatusForbidden},
		{"a user in another group", targetsOf, workload.Claims("x@example.com", "auditors"), http.StatusForbidden},
		{"an admin reads loader records", recordsOf, asAdmin, http.StatusOK},
		{"a marketer may not read loader records", recordsOf, asMarketer, http.StatusForbidden},
		{"a marketer may not read a request's records", get(manage.RouteRequestRecords, map[string]string{"request_uuid": uuid.NewString()}, nil), asMarketer, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.RequestContext.Authorizer = map[string]any{"claims": tt.claims}
			resp := call(t, h, tt.req)
			if tt.want == http.StatusForbidden {
				assertProblem(t, resp, http.StatusForbidden, "forbidden")
				return
			}
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d: %s", resp.StatusCode, tt.want, resp.Body)
			}
		})
	}
	if !strings.Contains(logs.String(), "refused") || !strings.Contains(logs.String(), marketer) {
		t.Errorf("refusals not logged with the user:\n%s", logs)
	}
}

func TestJourneys(t *testing.T) {
	var gotCursor string
	var gotLimit int
	h, _ := handler(ports{journeys: fakes.Journeys{
		ListFunc: func(_ context.Context, cursor string, limit int) ([]domain.Journey, string, error) {
			gotCursor, gotLimit = cursor, limit
			return []domain.Journey{open, ended}, "next-page", nil
		},
		GetFunc: journeys(open, endsSoon, ended).GetFunc,
	}})

	// A page of journeys, each saying whether it has ended.
	req := get(manage.RouteJourneys, nil, asMarketer)
	req.QueryStringParameters = map[string]string{"limit": "2", "cursor": "c1"}
	page := decode[manage.JourneyPage](t, call(t, h, req), http.StatusOK)
	want := manage.JourneyPage{Journeys: []manage.JourneyView{{Journey: open}, {Journey: ended, Ended: true}}, NextCursor: "next-page"}
	if diff := cmp.Diff(want, page); diff != "" || gotCursor != "c1" || gotLimit != 2 {
		t.Errorf("page (-want +got):\n%s\ncursor %q limit %d", diff, gotCursor, gotLimit)
	}

	// One journey with the expiry choices offered now (§2).
	for _, tt := range []struct {
		journey domain.Journey
		want    []domain.ExpiryChoice
	}{
		{open, []domain.ExpiryChoice{"30d", "90d", "6m", "1y"}},
		{endsSoon, []domain.ExpiryChoice{"30d", "90d", "journey_end"}},
		{ended, []domain.ExpiryChoice{}},
	} {
		d := decode[manage.JourneyDetail](t, call(t, h, get(manage.RouteJourney, map[string]string{"journey_id": tt.journey.ID}, asMarketer)), http.StatusOK)
		ids := []domain.ExpiryChoice{}
		for _, o := range d.ExpiryOptions {
			ids = append(ids, o.ID)
		}
		if d.ID != tt.journey.ID || d.Ended != (tt.journey.ID == ended.ID) || !slices.Equal(ids, tt.want) {
			t.Errorf("journey %s = %+v, want choices %v", tt.journey.ID, d, tt.want)
		}
	}
	assertProblem(t, call(t, h, get(manage.RouteJourney, map[string]string{"journey_id": "NOPE"}, asMarketer)), http.StatusNotFound, "not-found")
}

func createReq(journeyID, body string, claims map[string]any) events.APIGatewayProxyRequest {
	return workload.ManageRequest(http.MethodPost, manage.RouteTokens, map[string]string{"journey_id": journeyID}, claims, body)
}

func TestCreateToken(t *testing.T) {
	tests := []struct {
		name      string
		journey   domain.Journey
		expires   string
		wantUntil time.Time
	}{
		{"30 days", open, "30d", now.AddDate(0, 0, 30)},
		{"1 year", open, "1y", now.AddDate(1, 0, 0)},
		{"end of journey", endsSoon, "journey_end", time.Date(2026, 9, 9, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN a signed-in marketer creating a token for a journey
			var stored []domain.Token
			h, logs := handler(ports{journeys: journeys(tt.journey), tokens: fakes.Tokens{CreateFunc: func(_ context.Context, tok domain.Token) error {
				stored = append(stored, tok)
				return nil
			}}})
			req := createReq(tt.journey.ID, `{"expires":"`+tt.expires+`","created_by":"mallory@example.com"}`, asMarketer)
			req.Headers["X-User-Email"] = "mallory@example.com"

			// WHEN the handler creates it
			resp := call(t, h, req)

			// THEN the response holds the secret and the endpoint, once, not to be cached
			created := decode[map[string]any](t, resp, http.StatusCreated)
			if got := slices.Sorted(func(yield func(string) bool) {
				for k := range created {
					if !yield(k) {
						return
					}
				}
			}); !slices.Equal(got, []string{"endpoint", "expires_at", "token", "token_id"}) {
				t.Errorf("body keys %v", got)
			}
			secret, _ := created["token"].(string)
			if !domain.ValidTokenFormat(secret) || created["endpoint"] != "https://api.example.test/v1/journeys/"+tt.journey.ID+"/targets" || created["expires_at"] != tt.wantUntil.Format(time.RFC3339) {
				t.Errorf("created %v", created)
			}
			if resp.Headers["Cache-Control"] != "no-store" {
				t.Errorf("headers %v", resp.Headers)
			}
			// AND the store gets the hash, never the secret, and the creator is
			// the signed-in user, whatever the body or a header says
			if len(stored) != 1 {
				t.Fatalf("%d tokens stored", len(stored))
			}
			want := domain.Token{
				Hash: domain.HashToken(secret), ID: created["token_id"].(string), JourneyID: tt.journey.ID, Obscured: domain.ObscureToken(secret),
				CreatedBy: marketer, CreatedAt: now, ExpiresAt: tt.wantUntil, DeleteAfter: tt.wantUntil.Add(domain.TokenRetention).Unix(),
			}
			if diff := cmp.Diff(want, stored[0]); diff != "" {
				t.Errorf("stored (-want +got):\n%s", diff)
			}
			if _, err := uuid.Parse(want.ID); err != nil {
				t.Errorf("token id: %v", err)
			}
			asJSON, _ := json.Marshal(stored[0])
			if s := fmt.Sprintf("%#v %s", stored[0], asJSON); strings.Contains(s, secret) {
				t.Errorf("the stored token holds the secret")
			}
			// AND the creation is logged with its creator, without the secret
			if l := logs.String(); !strings.Contains(l, "token created") || !strings.Contains(l, want.ID) || !strings.Contains(l, marketer) || strings.Contains(l, secret) {
				t.Errorf("logs:\n%s", l)
			}
		})
	}
}

func TestCreateTokenRefusals(t *testing.T) {
	failing := fakes.Tokens{CreateFunc: func(context.Context, domain.Token) error { return errBoom }}
	tests := []struct {
		name     string
		req      events.APIGatewayProxyRequest
		tokens   fakes.Tokens
		status   int
		slug     string
		inDetail string
	}{
		{name: "unknown journey", req: createReq("NOPE", `{"expires":"30d"}`, asMarketer), status: 404, slug: "not-found", inDetail: "journey NOPE does not exist"},
		{name: "journey ended", req: createReq(ended.ID, `{"expires":"30d"}`, asMarketer), status: 409, slug: "conflict", inDetail: "no token can be generated"},
		{name: "choice past the journey's end", req: createReq(endsSoon.ID, `{"expires":"6m"}`, asMarketer), status: 400, slug: "invalid-request", inDetail: `expiry choice "6m" is not offered for journey J2; choose one of [30d 90d journey_end]`},
		{name: "unknown choice", req: createReq(open.ID, `{"expires":"forever"}`, asMarketer), status: 400, slug: "invalid-request", inDetail: `"forever" is not offered`},
		{name: "no choice", req: createReq(open.ID, `{}`, asMarketer), status: 400, slug: "invalid-request", inDetail: "expires is required"},
		{name: "not JSON", req: createReq(open.ID, `expires=30d`, asMarketer), status: 400, slug: "invalid-request", inDetail: "not a JSON object"},
		{name: "wrong type", req: createReq(open.ID, `{"expires":30}`, asMarketer), status: 400, slug: "invalid-request", inDetail: "not a JSON object"},
		{name: "too large", req: createReq(open.ID, `{"expires":"30d","pad":"`+strings.Repeat("x", manage.MaxBodyBytes)+`"}`, asMarketer), status: 413, slug: "body-too-large", inDetail: "at most 4096"},
		{name: "store unavailable", req: createReq(open.ID, `{"expires":"30d"}`, asMarketer), tokens: failing, status: 503, slug: "unavailable", inDetail: "Retry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := handler(ports{journeys: journeys(open, endsSoon, ended), tokens: tt.tokens})
			d := assertProblem(t, call(t, h, tt.req), tt.status, tt.slug)
			if !strings.Contains(d.Detail, tt.inDetail) {
				t.Errorf("detail %q lacks %q", d.Detail, tt.inDetail)
			}
			if strings.Contains(d.Detail, "10.0.0.7") {
				t.Errorf("the internal error is shown: %q", d.Detail)
			}
			if (tt.status == 503) != strings.Contains(logs.String(), errBoom.Error()) {
				t.Errorf("internal errors, and only they, are logged in full:\n%s", logs)
			}
		})
	}
	h, _ := handler(ports{})
	req := createReq(open.ID, `{"expires":"30d"}`, asMarketer)
	req.Headers["Content-Type"] = "text/plain"
	assertProblem(t, call(t, h, req), http.StatusUnsupportedMediaType, "unsupported-media-type")
}

func TestListAndExpireTokens(t *testing.T) {
	// GIVEN a journey with an active, an expired and a revoked token
	revokedAt := now.Add(-time.Hour)
	stored := []domain.Token{
		{Hash: "hash-active", ID: "t1", JourneyID: open.ID, Obscured: "tl_…AAAA", CreatedBy: marketer, CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(time.Hour)},
		{Hash: "hash-expired", ID: "t2", JourneyID: open.ID, Obscured: "tl_…BBBB", CreatedBy: marketer, CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
		{Hash: "hash-revoked", ID: "t3", JourneyID: open.ID, Obscured: "tl_…CCCC", CreatedBy: marketer, CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(time.Hour), RevokedAt: &revokedAt, RevokedBy: admin},
	}
	var revoked []string
	h, logs := handler(ports{journeys: journeys(open), tokens: fakes.Tokens{
		ListByJourneyFunc: func(_ context.Context, journeyID, cursor string, limit int) ([]domain.Token, string, error) {
			if journeyID != open.ID || cursor != "" || limit != 100 {
				t.Errorf("listed %q from %q, %d", journeyID, cursor, limit)
			}
			return stored, "", nil
		},
		RevokeFunc: func(_ context.Context, tokenID, who string, at time.Time) (domain.Token, error) {
			revoked = append(revoked, tokenID+" by "+who+" at "+at.Format(time.RFC3339))
			if tokenID != "t1" {
				return domain.Token{}, domain.Errorf(domain.KindNotFound, "no token has id %s", tokenID)
			}
			return domain.Token{Hash: "h", ID: tokenID, JourneyID: open.ID, ExpiresAt: now.Add(time.Hour), RevokedAt: &at, RevokedBy: who}, nil
		},
	}})

	// WHEN a marketer lists them THEN each shows its status, never its hash
	resp := call(t, h, get(manage.RouteTokens, map[string]string{"journey_id": open.ID}, asMarketer))
	page := decode[manage.TokenPage](t, resp, http.StatusOK)
	want := manage.TokenPage{JourneyID: open.ID, Tokens: []manage.TokenView{
		{Token: stored[0], Status: domain.TokenActive}, {Token: stored[1], Status: domain.TokenExpired}, {Token: stored[2], Status: domain.TokenRevoked},
	}}
	for i := range want.Tokens {
		want.Tokens[i].Hash = "" // json:"-"
	}
	if diff := cmp.Diff(want, page); diff != "" {
		t.Errorf("page (-want +got):\n%s", diff)
	}
	if strings.Contains(resp.Body, "hash-") {
		t.Errorf("the listing shows token hashes: %s", resp.Body)
	}
	assertProblem(t, call(t, h, get(manage.RouteTokens, map[string]string{"journey_id": "NOPE"}, asMarketer)), http.StatusNotFound, "not-found")

	// WHEN an admin expires one THEN it is revoked now in the admin's name
	expire := func(id string) events.APIGatewayProxyResponse {
		return call(t, h, workload.ManageRequest(http.MethodPost, manage.RouteExpireToken, map[string]string{"token_id": id}, asAdmin, ""))
	}
	v := decode[manage.TokenView](t, expire("t1"), http.StatusOK)
	if v.ID != "t1" || v.Status != domain.TokenRevoked || v.RevokedBy != admin {
		t.Errorf("expired %+v", v)
	}
	assertProblem(t, expire("t9"), http.StatusNotFound, "not-found")
	if want := []string{"t1 by " + admin + " at " + now.Format(time.RFC3339), "t9 by " + admin + " at " + now.Format(time.RFC3339)}; !slices.Equal(revoked, want) {
		t.Errorf("revoked %v", revoked)
	}
	if !strings.Contains(logs.String(), "token expired") {
		t.Errorf("expiry not logged:\n%s", logs)
	}
}

func TestTargetsAndRecords(t *testing.T) {
	target := domain.JourneyTarget{JourneyID: open.ID, AccountID: "V1", AddedVia: "API", SourceSystemID: "cdp-1", AddedAt: now}
	record := domain.LoaderRecord{ID: "r:000", RequestUUID: "r", Journey: open.ID, MatchingOutcome: domain.OutcomeNoMatch, ProcessingStatus: domain.StatusFailed, FailureReason: "No account matches email a@b.com"}
	var queries []domain.RecordQuery
	h, _ := handler(ports{
		journeys: journeys(open),
		targets: fakes.Targets{ListFunc: func(_ context.Context, journeyID, cursor string, limit int) ([]domain.JourneyTarget, string, error) {
			if cursor == "bad" {
				return nil, "", domain.Errorf(domain.KindInvalid, "the page cursor is not valid")
			}
			return []domain.JourneyTarget{target}, "more", nil
		}},
		records: fakes.Records{ListFunc: func(_ context.Context, q domain.RecordQuery, cursor string, limit int) ([]domain.LoaderRecord, string, error) {
			queries = append(queries, q)
			return []domain.LoaderRecord{record}, "", nil
		}},
	})
	tp := decode[manage.TargetPage](t, call(t, h, get(manage.RouteTargets, map[string]string{"journey_id": open.ID}, asMarketer)), http.StatusOK)
	if len(tp.Targets) != 1 || tp.Targets[0] != target || tp.NextCursor != "more" {
		t.Errorf("targets %+v", tp)
	}
	bad := get(manage.RouteTargets, map[string]string{"journey_id": open.ID}, asMarketer)
	bad.QueryStringParameters = map[string]string{"cursor": "bad"}
	assertProblem(t, call(t, h, bad), http.StatusBadRequest, "invalid-query")
	bad.QueryStringParameters = map[string]string{"limit": "501"}
	assertProblem(t, call(t, h, bad), http.StatusBadRequest, "invalid-query")

	// An admin's listings, with every filter.
	req := "0d6f0000-0000-4000-8000-000000000001"
	filtered := get(manage.RouteJourneyRecords, map[string]string{"journey_id": open.ID}, asAdmin)
	filtered.QueryStringParameters = map[string]string{"request_uuid": req, "matching_outcome": "no_match__v", "processing_status": "failed__v"}
	rp := decode[manage.RecordPage](t, call(t, h, filtered), http.StatusOK)
	if len(rp.Records) != 1 || rp.Records[0].FailureReason != record.FailureReason || rp.JourneyID != open.ID {
		t.Errorf("records %+v", rp)
	}
	byRequest := decode[manage.RecordPage](t, call(t, h, get(manage.RouteRequestRecords, map[string]string{"request_uuid": req}, asAdmin)), http.StatusOK)
	if byRequest.RequestUUID != req || byRequest.JourneyID != "" {
		t.Errorf("request page %+v", byRequest)
	}
	want := []domain.RecordQuery{
		{JourneyID: open.ID, RequestUUID: req, MatchingOutcome: domain.OutcomeNoMatch, ProcessingStatus: domain.StatusFailed},
		{RequestUUID: req},
	}
	if diff := cmp.Diff(want, queries); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	for _, q := range []map[string]string{{"matching_outcome": "matched"}, {"processing_status": "done"}, {"request_uuid": "not-a-uuid"}} {
		filtered.QueryStringParameters = q
		assertProblem(t, call(t, h, filtered), http.StatusBadRequest, "invalid-query")
	}
	assertProblem(t, call(t, h, get(manage.RouteJourneyRecords, map[string]string{"journey_id": "NOPE"}, asAdmin)), http.StatusNotFound, "not-found")
}

func TestRoutingAndMethods(t *testing.T) {
	h, _ := handler(ports{})
	resp := call(t, h, workload.ManageRequest(http.MethodDelete, manage.RouteTokens, map[string]string{"journey_id": open.ID}, asMarketer, ""))
	assertProblem(t, resp, http.StatusMethodNotAllowed, "method-not-allowed")
	if resp.Headers["Allow"] != "GET, POST" {
		t.Errorf("Allow %q", resp.Headers["Allow"])
	}
	assertProblem(t, call(t, h, workload.ManageRequest(http.MethodPost, manage.RouteConsoleConfig, nil, nil, "")), http.StatusMethodNotAllowed, "method-not-allowed")
	assertProblem(t, call(t, h, get("/{proxy+}", map[string]string{"proxy": "manage/nope"}, asMarketer)), http.StatusNotFound, "not-found")
}

// Every route the API sends to this function (resources.Routes) is served.
func TestServesEveryRouteOfItsFunction(t *testing.T) {
	h, _ := handler(ports{})
	for _, r := range resources.Routes {
		if r.Function != resources.ManageFunction.Name {
			continue
		}
		// Without claims a signed-in route answers 401, an open one 200 (the
		// console's assets route with an asset it has).
		resp := call(t, h, workload.ManageRequest(r.Method, r.Path, map[string]string{"proxy": "index.html"}, nil, ""))
		if want := map[bool]int{true: http.StatusUnauthorized, false: http.StatusOK}[r.SignedIn]; resp.StatusCode != want {
			t.Errorf("%s %s: %d, want %d: %s", r.Method, r.Path, resp.StatusCode, want, resp.Body)
		}
	}
}
