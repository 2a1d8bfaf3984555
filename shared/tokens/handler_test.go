package tokens_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
	"github.com/targetloader/targetloader/shared/tokens"
)

// The shared fakes satisfy the handler's ports.
var (
	_ tokens.Store    = fakes.Tokens{}
	_ tokens.Journeys = fakes.Journeys{}
)

const (
	by = "marketer@example.com"
	// internalMessage is what callers see of an internal error.
	internalMessage = "internal error; see the function's logs"
)

var (
	now = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	// open has no end date; endsSoon ends in 99 days, so 30d, 90d and
	// journey_end are offered; ended ended yesterday.
	open     = domain.Journey{ID: "J1", Name: "Open"}
	endsSoon = domain.Journey{ID: "J2", Name: "Ends soon", EndDate: "2026-09-08"}
	ended    = domain.Journey{ID: "J3", Name: "Ended", EndDate: "2026-05-31"}
	errBoom  = errors.New("dynamodb: connection reset by peer at 10.0.0.7")
)

// handler is a tokens handler on ports store and js, with a fixed clock and a
// logger capturing every level.
func handler(store fakes.Tokens, js fakes.Journeys) (*tokens.Handler, *bytes.Buffer) {
	var logs bytes.Buffer
	return &tokens.Handler{
		Tokens:     store,
		Journeys:   js,
		APIBaseURL: "https://api.example.test/v1/",
		Logger:     slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Now:        func() time.Time { return now },
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

// failingJourneys is a Journeys port whose reads fail.
func failingJourneys() fakes.Journeys {
	return fakes.Journeys{GetFunc: func(context.Context, string) (domain.Journey, error) { return domain.Journey{}, errBoom }}
}

// creating is a Store that keeps the tokens it is asked to create.
func creating(stored *[]domain.Token) fakes.Tokens {
	return fakes.Tokens{CreateFunc: func(_ context.Context, t domain.Token) error {
		*stored = append(*stored, t)
		return nil
	}}
}

func ids(opts []domain.ExpiryOption) []domain.ExpiryChoice {
	var out []domain.ExpiryChoice
	for _, o := range opts {
		out = append(out, o.ID)
	}
	return out
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		journey domain.Journey
		want    []domain.ExpiryChoice
	}{
		{"no end date", open, []domain.ExpiryChoice{domain.Expiry30Days, domain.Expiry90Days, domain.Expiry6Months, domain.Expiry1Year}},
		{"ends in 99 days", endsSoon, []domain.ExpiryChoice{domain.Expiry30Days, domain.Expiry90Days, domain.ExpiryJourneyEnd}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := handler(fakes.Tokens{}, journeys(tt.journey))
			resp, err := h.Handle(t.Context(), tokens.Request{Operation: tokens.OpOptions, JourneyID: tt.journey.ID})
			if err != nil {
				t.Fatal(err)
			}
			got, ok := resp.(tokens.OptionsResponse)
			if !ok || got.JourneyID != tt.journey.ID || got.EndDate != tt.journey.EndDate || !slices.Equal(ids(got.Options), tt.want) {
				t.Errorf("options = %+v, want journey %s, end %q, choices %v", resp, tt.journey.ID, tt.journey.EndDate, tt.want)
			}
		})
	}
}

func TestCreate(t *testing.T) {
	tests := []struct {
		name      string
		journey   domain.Journey
		expires   domain.ExpiryChoice
		wantUntil time.Time
	}{
		{"30 days", open, domain.Expiry30Days, now.AddDate(0, 0, 30)},
		{"1 year", open, domain.Expiry1Year, now.AddDate(1, 0, 0)},
		{"end of journey", endsSoon, domain.ExpiryJourneyEnd, time.Date(2026, 9, 9, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// GIVEN a marketer creating a token for a journey
			var stored []domain.Token
			h, logs := handler(creating(&stored), journeys(tt.journey))

			// WHEN the handler creates it
			resp, err := h.Handle(t.Context(), tokens.Request{Operation: tokens.OpCreate, JourneyID: tt.journey.ID, Expires: string(tt.expires), By: by})

			// THEN the response holds the secret and the endpoint, and the
			// store gets the token's hash, never its secret
			if err != nil {
				t.Fatal(err)
			}
			created, ok := resp.(tokens.Created)
			if !ok {
				t.Fatalf("response %T %+v", resp, resp)
			}
			secret := created.Token
			if !domain.ValidTokenFormat(secret) {
				t.Errorf("secret %q is not a token", secret)
			}
			want := tokens.Created{
				TokenID:   created.TokenID,
				Token:     secret,
				Endpoint:  "https://api.example.test/v1/journeys/" + tt.journey.ID + "/targets",
				ExpiresAt: tt.wantUntil,
				JourneyID: tt.journey.ID,
				CreatedBy: by,
			}
			if diff := cmp.Diff(want, created); diff != "" {
				t.Errorf("response (-want +got):\n%s", diff)
			}
			if _, err := uuid.Parse(created.TokenID); err != nil {
				t.Errorf("token id %q: %v", created.TokenID, err)
			}
			if len(stored) != 1 {
				t.Fatalf("%d tokens stored, want 1", len(stored))
			}
			wantStored := domain.Token{
				Hash:        domain.HashToken(secret),
				ID:          created.TokenID,
				JourneyID:   tt.journey.ID,
				Obscured:    domain.ObscureToken(secret),
				CreatedBy:   by,
				CreatedAt:   now,
				ExpiresAt:   tt.wantUntil,
				DeleteAfter: tt.wantUntil.Add(domain.TokenRetention).Unix(),
			}
			if diff := cmp.Diff(wantStored, stored[0]); diff != "" {
				t.Errorf("stored token (-want +got):\n%s", diff)
			}
			asJSON, _ := json.Marshal(stored[0])
			if s := fmt.Sprintf("%#v %s", stored[0], asJSON); strings.Contains(s, secret) {
				t.Errorf("the stored token holds the secret: %s", s)
			}

			// AND the creation is logged, without the secret
			if !strings.Contains(logs.String(), "token created") || !strings.Contains(logs.String(), created.TokenID) {
				t.Errorf("creation not logged:\n%s", logs)
			}
			if strings.Contains(logs.String(), secret) {
				t.Errorf("the logs hold the secret:\n%s", logs)
			}
		})
	}
}

func TestCreateMakesANewSecretEachTime(t *testing.T) {
	var stored []domain.Token
	h, _ := handler(creating(&stored), journeys(open))
	seen := map[string]bool{}
	for range 3 {
		resp, err := h.Handle(t.Context(), tokens.Request{Operation: tokens.OpCreate, JourneyID: open.ID, Expires: "30d", By: by})
		if err != nil {
			t.Fatal(err)
		}
		c := resp.(tokens.Created)
		if seen[c.Token] || seen[c.TokenID] {
			t.Errorf("secret or id repeated: %+v", c)
		}
		seen[c.Token], seen[c.TokenID] = true, true
	}
}

func TestList(t *testing.T) {
	// GIVEN a journey with an active, an expired and a revoked token
	revokedAt := now.Add(-time.Hour)
	stored := []domain.Token{
		{Hash: "hash-active", ID: "t1", JourneyID: open.ID, Obscured: "tl_…AAAA", CreatedBy: by, CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(time.Hour)},
		{Hash: "hash-expired", ID: "t2", JourneyID: open.ID, Obscured: "tl_…BBBB", CreatedBy: by, CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(-time.Hour)},
		{Hash: "hash-revoked", ID: "t3", JourneyID: open.ID, Obscured: "tl_…CCCC", CreatedBy: by, CreatedAt: now.Add(-48 * time.Hour), ExpiresAt: now.Add(time.Hour), RevokedAt: &revokedAt, RevokedBy: "admin@example.com"},
	}
	h, _ := handler(fakes.Tokens{ListByJourneyFunc: func(_ context.Context, journeyID string) ([]domain.Token, error) {
		if journeyID != open.ID {
			t.Errorf("listed journey %q", journeyID)
		}
		return stored, nil
	}}, fakes.Journeys{})

	// WHEN the handler lists them
	resp, err := h.Handle(t.Context(), tokens.Request{Operation: tokens.OpList, JourneyID: open.ID})

	// THEN each is shown with its status, and its hash is never shown
	if err != nil {
		t.Fatal(err)
	}
	want := tokens.ListResponse{JourneyID: open.ID, Tokens: []tokens.TokenView{
		{Token: stored[0], Status: domain.TokenActive},
		{Token: stored[1], Status: domain.TokenExpired},
		{Token: stored[2], Status: domain.TokenRevoked},
	}}
	if diff := cmp.Diff(want, resp); diff != "" {
		t.Errorf("response (-want +got):\n%s", diff)
	}
	asJSON, _ := json.Marshal(resp)
	if strings.Contains(string(asJSON), "hash-") {
		t.Errorf("the listing shows token hashes: %s", asJSON)
	}
}

func TestListOfAJourneyWithoutTokensIsAnEmptyList(t *testing.T) {
	h, _ := handler(fakes.Tokens{ListByJourneyFunc: func(context.Context, string) ([]domain.Token, error) { return nil, nil }}, fakes.Journeys{})
	resp, err := h.Handle(t.Context(), tokens.Request{Operation: tokens.OpList, JourneyID: open.ID})
	if err != nil {
		t.Fatal(err)
	}
	if asJSON, _ := json.Marshal(resp); !strings.Contains(string(asJSON), `"tokens":[]`) {
		t.Errorf("listing %s, want an empty tokens list", asJSON)
	}
}

func TestExpire(t *testing.T) {
	// GIVEN an active token
	var revoked []string
	h, logs := handler(fakes.Tokens{RevokeFunc: func(_ context.Context, tokenID, who string, at time.Time) (domain.Token, error) {
		revoked = append(revoked, tokenID+" by "+who+" at "+at.Format(time.RFC3339))
		return domain.Token{Hash: "h", ID: tokenID, JourneyID: open.ID, ExpiresAt: now.Add(time.Hour), RevokedAt: &at, RevokedBy: who}, nil
	}}, fakes.Journeys{})

	// WHEN a marketer expires it
	resp, err := h.Handle(t.Context(), tokens.Request{Operation: tokens.OpExpire, TokenID: "t1", By: by})

	// THEN the store revokes it now, in the marketer's name, and the handler
	// shows it revoked and logs who expired it
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"t1 by " + by + " at " + now.Format(time.RFC3339)}; !slices.Equal(revoked, want) {
		t.Errorf("revoked %v, want %v", revoked, want)
	}
	if v, ok := resp.(tokens.TokenView); !ok || v.ID != "t1" || v.Status != domain.TokenRevoked || v.RevokedBy != by {
		t.Errorf("response %+v", resp)
	}
	if !strings.Contains(logs.String(), "token expired") || !strings.Contains(logs.String(), by) {
		t.Errorf("expiry not logged:\n%s", logs)
	}
}

func TestErrorsAreTypedLambdaErrors(t *testing.T) {
	failingStore := fakes.Tokens{
		CreateFunc:        func(context.Context, domain.Token) error { return errBoom },
		ListByJourneyFunc: func(context.Context, string) ([]domain.Token, error) { return nil, errBoom },
		RevokeFunc:        func(context.Context, string, string, time.Time) (domain.Token, error) { return domain.Token{}, errBoom },
	}
	revokeFails := func(err error) fakes.Tokens {
		return fakes.Tokens{RevokeFunc: func(context.Context, string, string, time.Time) (domain.Token, error) { return domain.Token{}, err }}
	}
	tests := []struct {
		name     string
		req      tokens.Request
		store    fakes.Tokens   // unset functions panic: those calls are not expected
		journeys fakes.Journeys // idem
		wantType string
		// wantMessage is contained in the error's message; internal errors
		// must have exactly internalMessage.
		wantMessage string
	}{
		// Any operation.
		{name: "unknown operation", req: tokens.Request{Operation: "delete", JourneyID: open.ID}, wantType: "InvalidRequest", wantMessage: `operation must be one of options, create, list, expire; got "delete"`},
		{name: "no operation", req: tokens.Request{}, wantType: "InvalidRequest", wantMessage: `got ""`},

		// options
		{name: "options: no journey_id", req: tokens.Request{Operation: tokens.OpOptions, JourneyID: " "}, wantType: "InvalidRequest", wantMessage: "journey_id is required"},
		{name: "options: unknown journey", req: tokens.Request{Operation: tokens.OpOptions, JourneyID: "nope"}, journeys: journeys(open), wantType: "NotFound", wantMessage: "journey nope does not exist"},
		{name: "options: journey ended", req: tokens.Request{Operation: tokens.OpOptions, JourneyID: ended.ID}, journeys: journeys(ended), wantType: "Conflict", wantMessage: "ended on 2026-05-31"},
		{name: "options: journeys unavailable", req: tokens.Request{Operation: tokens.OpOptions, JourneyID: open.ID}, journeys: failingJourneys(), wantType: "InternalError", wantMessage: internalMessage},

		// create
		{name: "create: no creator", req: tokens.Request{Operation: tokens.OpCreate, JourneyID: open.ID, Expires: "30d", By: "  "}, wantType: "InvalidRequest", wantMessage: "by (who creates the token) is required"},
		{name: "create: no journey_id", req: tokens.Request{Operation: tokens.OpCreate, Expires: "30d", By: by}, wantType: "InvalidRequest", wantMessage: "journey_id is required"},
		{name: "create: unknown journey", req: tokens.Request{Operation: tokens.OpCreate, JourneyID: "nope", Expires: "30d", By: by}, journeys: journeys(open), wantType: "NotFound", wantMessage: "journey nope does not exist"},
		{name: "create: journey ended", req: tokens.Request{Operation: tokens.OpCreate, JourneyID: ended.ID, Expires: "30d", By: by}, journeys: journeys(ended), wantType: "Conflict", wantMessage: "no token can be generated"},
		{name: "create: choice past the journey's end", req: tokens.Request{Operation: tokens.OpCreate, JourneyID: endsSoon.ID, Expires: "6m", By: by}, journeys: journeys(endsSoon), wantType: "InvalidRequest", wantMessage: `expiry choice "6m" is not offered for journey J2; choose one of [30d 90d journey_end]`},
		{name: "create: journey_end without an end date", req: tokens.Request{Operation: tokens.OpCreate, JourneyID: open.ID, Expires: "journey_end", By: by}, journeys: journeys(open), wantType: "InvalidRequest", wantMessage: `expiry choice "journey_end" is not offered`},
		{name: "create: unknown choice", req: tokens.Request{Operation: tokens.OpCreate, JourneyID: open.ID, Expires: "forever", By: by}, journeys: journeys(open), wantType: "InvalidRequest", wantMessage: `expiry choice "forever" is not offered`},
		{name: "create: no choice", req: tokens.Request{Operation: tokens.OpCreate, JourneyID: open.ID, By: by}, journeys: journeys(open), wantType: "InvalidRequest", wantMessage: `expiry choice "" is not offered`},
		{name: "create: journeys unavailable", req: tokens.Request{Operation: tokens.OpCreate, JourneyID: open.ID, Expires: "30d", By: by}, journeys: failingJourneys(), wantType: "InternalError", wantMessage: internalMessage},
		{name: "create: store unavailable", req: tokens.Request{Operation: tokens.OpCreate, JourneyID: open.ID, Expires: "30d", By: by}, store: failingStore, journeys: journeys(open), wantType: "InternalError", wantMessage: internalMessage},

		// list
		{name: "list: no journey_id", req: tokens.Request{Operation: tokens.OpList}, wantType: "InvalidRequest", wantMessage: "journey_id is required"},
		{name: "list: store unavailable", req: tokens.Request{Operation: tokens.OpList, JourneyID: open.ID}, store: failingStore, wantType: "InternalError", wantMessage: internalMessage},

		// expire
		{name: "expire: no token_id", req: tokens.Request{Operation: tokens.OpExpire, By: by}, wantType: "InvalidRequest", wantMessage: "token_id is required"},
		{name: "expire: no expirer", req: tokens.Request{Operation: tokens.OpExpire, TokenID: "t1"}, wantType: "InvalidRequest", wantMessage: "by (who expires the token) is required"},
		{name: "expire: unknown token", req: tokens.Request{Operation: tokens.OpExpire, TokenID: "t9", By: by}, store: revokeFails(domain.Errorf(domain.KindNotFound, "no token has id t9")), wantType: "NotFound", wantMessage: "no token has id t9"},
		{name: "expire: wrapped not found keeps its kind and safe message", req: tokens.Request{Operation: tokens.OpExpire, TokenID: "t9", By: by}, store: revokeFails(fmt.Errorf("query %s: %w", errBoom, domain.Errorf(domain.KindNotFound, "no token has id t9"))), wantType: "NotFound", wantMessage: "no token has id t9"},
		{name: "expire: forbidden", req: tokens.Request{Operation: tokens.OpExpire, TokenID: "t1", By: by}, store: revokeFails(domain.Errorf(domain.KindForbidden, "token t1 belongs to another journey")), wantType: "Forbidden", wantMessage: "token t1 belongs to another journey"},
		{name: "expire: conflict", req: tokens.Request{Operation: tokens.OpExpire, TokenID: "t1", By: by}, store: revokeFails(domain.Errorf(domain.KindConflict, "token t1 is being changed")), wantType: "Conflict", wantMessage: "token t1 is being changed"},
		{name: "expire: store unavailable", req: tokens.Request{Operation: tokens.OpExpire, TokenID: "t1", By: by}, store: failingStore, wantType: "InternalError", wantMessage: internalMessage},
		// A *domain.Error's message is safe to show whatever its kind.
		{name: "expire: domain error of kind internal", req: tokens.Request{Operation: tokens.OpExpire, TokenID: "t1", By: by}, store: revokeFails(domain.Errorf(domain.KindInternal, "token store is read-only")), wantType: "InternalError", wantMessage: "token store is read-only"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := handler(tt.store, tt.journeys)

			resp, err := h.Handle(t.Context(), tt.req)

			var fe messages.InvokeResponse_Error
			if !errors.As(err, &fe) {
				t.Fatalf("Handle() = %+v, %v; want a Lambda function error", resp, err)
			}
			if resp != nil {
				t.Errorf("response %+v along with the error", resp)
			}
			if fe.Type != tt.wantType || !strings.Contains(fe.Message, tt.wantMessage) {
				t.Errorf("error %s %q, want %s containing %q", fe.Type, fe.Message, tt.wantType, tt.wantMessage)
			}
			// Internal errors leak nothing to the caller and are logged in full.
			if strings.Contains(fe.Message, errBoom.Error()) || strings.Contains(fe.Message, "10.0.0.7") {
				t.Errorf("the error shows the internal error: %q", fe.Message)
			}
			if tt.wantMessage == internalMessage {
				if fe.Message != internalMessage {
					t.Errorf("internal error message %q, want %q", fe.Message, internalMessage)
				}
				if !strings.Contains(logs.String(), errBoom.Error()) || !strings.Contains(logs.String(), `"operation":"`+tt.req.Operation+`"`) {
					t.Errorf("the internal error is not logged with its operation:\n%s", logs)
				}
			} else if strings.Contains(logs.String(), `"level":"ERROR"`) {
				t.Errorf("a caller's error is logged as an error:\n%s", logs)
			}
		})
	}
}
