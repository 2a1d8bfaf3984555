// Package manage is the management API marketers and business admins call,
// signed in with Cognito (PRODUCT.md §8): journeys and their expiry
// options, a journey's API tokens (generate, list, expire), its target list
// and, for admins, its target loader records. It also serves the web
// console (GET /console/, shared/console) and where it signs in (GET
// /console/config.json). Admins' uploads of files of targets (POST
// .../loader-records) are another function's: shared/upload.
package manage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/console"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/signedin"
)

// Routes, as API Gateway names them in the event's Resource
// (resources.Routes lists them with their methods).
const (
	RouteJourneys       = "/manage/journeys"
	RouteJourney        = "/manage/journeys/{journey_id}"
	RouteTokens         = "/manage/journeys/{journey_id}/tokens"
	RouteExpireToken    = "/manage/tokens/{token_id}/expire"
	RouteTargets        = "/manage/journeys/{journey_id}/targets"
	RouteJourneyRecords = "/manage/journeys/{journey_id}/loader-records"
	RouteRequestRecords = "/manage/requests/{request_uuid}/loader-records"
	RouteConsoleConfig  = "/console/config.json"
	RouteDeliveries     = "/manage/journeys/{journey_id}/webhook-deliveries"
	RouteOpenAPI        = "/openapi.json"
)

// MaxBodyBytes bounds a management request's body ({"expires": "90d"}).
const MaxBodyBytes = 4 << 10

// Tokens keeps API tokens.
type Tokens interface {
	Create(ctx context.Context, t domain.Token) error
	ListByJourney(ctx context.Context, journeyID, cursor string, limit int) ([]domain.Token, string, error)
	Revoke(ctx context.Context, tokenID, who string, now time.Time) (domain.Token, error)
}

// Journeys reads journeys.
type Journeys interface {
	Get(ctx context.Context, id string) (domain.Journey, error)
	List(ctx context.Context, cursor string, limit int) ([]domain.Journey, string, error)
}

// Targets lists a journey's target list.
type Targets interface {
	List(ctx context.Context, journeyID, cursor string, limit int) ([]domain.JourneyTarget, string, error)
}

// Records lists target loader records.
type Records interface {
	List(ctx context.Context, q domain.RecordQuery, cursor string, limit int) ([]domain.LoaderRecord, string, error)
}

// SignIn tells clients (tl, the console) where to sign in.
type SignIn struct {
	Region     string `json:"region"`
	UserPoolID string `json:"user_pool_id"`
	ClientID   string `json:"client_id"`
	// CognitoEndpoint is the Cognito API to call: the regional endpoint in
	// AWS, the local one in the local stack.
	CognitoEndpoint string `json:"cognito_endpoint"`
}

// Handler serves the management API.
type Handler struct {
	Tokens   Tokens
	Journeys Journeys
	Targets  Targets
	Records  Records
	// Deliveries and WebhookKeys serve completion webhooks (webhooks.go).
	Deliveries  Deliveries
	WebhookKeys WebhookKeys
	SignIn      SignIn
	// Console serves the web console's page and assets.
	Console *console.Site
	Logger  *slog.Logger
	Now     func() time.Time
}

// JourneyView is a journey as listings show it.
type JourneyView struct {
	domain.Journey
	Ended bool `json:"ended"`
}

// JourneyDetail is a journey with the expiry choices a new token can have
// now (none once it has ended).
type JourneyDetail struct {
	JourneyView
	ExpiryOptions []domain.ExpiryOption `json:"expiry_options"`
}

// CreateTokenRequest is the body of POST .../tokens.
type CreateTokenRequest struct {
	Expires string `json:"expires"`
	// CallbackURL, optional, receives the token's completion webhooks.
	CallbackURL string `json:"callback_url"`
}

// Created is returned once, at creation: the only time the secret is shown.
type Created struct {
	TokenID   string    `json:"token_id"`
	Token     string    `json:"token"`
	Endpoint  string    `json:"endpoint"`
	ExpiresAt time.Time `json:"expires_at"`
	// CallbackURL and WebhookSecret, when a callback URL was given: the
	// secret that signs its webhooks, shown this once like the token.
	CallbackURL   string `json:"callback_url,omitempty"`
	WebhookSecret string `json:"webhook_secret,omitempty"`
}

// TokenView is a token as listings show it: obscured, with its status.
type TokenView struct {
	domain.Token
	Status domain.TokenStatus `json:"status"`
}

// Page bodies of the listings. NextCursor, when set, is the cursor of the next page.
type (
	JourneyPage struct {
		Journeys   []JourneyView `json:"journeys"`
		NextCursor string        `json:"next_cursor,omitempty"`
	}
	TokenPage struct {
		JourneyID  string      `json:"journey_id"`
		Tokens     []TokenView `json:"tokens"`
		NextCursor string      `json:"next_cursor,omitempty"`
	}
	TargetPage struct {
		JourneyID  string                 `json:"journey_id"`
		Targets    []domain.JourneyTarget `json:"targets"`
		NextCursor string                 `json:"next_cursor,omitempty"`
	}
	RecordPage struct {
		JourneyID   string                `json:"journey_id,omitempty"`
		RequestUUID string                `json:"request_uuid,omitempty"`
		Records     []domain.LoaderRecord `json:"records"`
		NextCursor  string                `json:"next_cursor,omitempty"`
	}
)

// call is one signed-in request.
type call struct {
	req   events.APIGatewayProxyRequest
	who   signedin.Identity
	now   time.Time
	log   *slog.Logger
	limit int
}

// Handle serves one API Gateway proxy request. It never returns an error:
// every failure is a problem document.
func (h *Handler) Handle(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
	id := httpapi.RequestID(ctx, req)
	return httpapi.Finish(h.route(httpapi.WithRequestID(ctx, id), req), id), nil
}

// route is each resource's methods and the group its caller must be in.
func (h *Handler) route(ctx context.Context, req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	m := req.HTTPMethod
	switch req.Resource {
	case RouteConsoleConfig:
		if m != http.MethodGet {
			return httpapi.MethodNotAllowed(http.MethodGet)
		}
		// The console's own headers; never cached: a deployment may move the pool.
		headers := h.Console.Headers()
		headers["Cache-Control"] = "no-store"
		return httpapi.JSON(http.StatusOK, h.SignIn, headers)
	case console.RoutePage, console.RouteAsset:
		return h.Console.Serve(req)
	case RouteOpenAPI:
		if m != http.MethodGet {
			return httpapi.MethodNotAllowed(http.MethodGet)
		}
		return openAPIDocument(req)
	case RouteDeliveries:
		return h.signedIn(ctx, req, resources.GroupAdmins, map[string]handlerFunc{http.MethodGet: h.listDeliveries})
	case RouteJourneys:
		return h.signedIn(ctx, req, resources.GroupMarketers, map[string]handlerFunc{http.MethodGet: h.listJourneys})
	case RouteJourney:
		return h.signedIn(ctx, req, resources.GroupMarketers, map[string]handlerFunc{http.MethodGet: h.getJourney})
	case RouteTokens:
		return h.signedIn(ctx, req, resources.GroupMarketers, map[string]handlerFunc{http.MethodGet: h.listTokens, http.MethodPost: h.createToken})
	case RouteExpireToken:
		return h.signedIn(ctx, req, resources.GroupMarketers, map[string]handlerFunc{http.MethodPost: h.expireToken})
	case RouteTargets:
		return h.signedIn(ctx, req, resources.GroupMarketers, map[string]handlerFunc{http.MethodGet: h.listTargets})
	case RouteJourneyRecords, RouteRequestRecords:
		return h.signedIn(ctx, req, resources.GroupAdmins, map[string]handlerFunc{http.MethodGet: h.listRecords})
	default:
		return problem.New(http.StatusNotFound, "not-found", "No such resource; see the management API in the README.").Response(nil)
	}
}

type handlerFunc func(context.Context, call) events.APIGatewayProxyResponse

// signedIn runs the method's handler for a caller in group (admins may do
// everything), after the method and the caller's identity are checked.
func (h *Handler) signedIn(ctx context.Context, req events.APIGatewayProxyRequest, group string, methods map[string]handlerFunc) events.APIGatewayProxyResponse {
	next, ok := methods[req.HTTPMethod]
	if !ok {
		var allowed []string
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			if methods[m] != nil {
				allowed = append(allowed, m)
			}
		}
		return httpapi.MethodNotAllowed(allowed...)
	}
	who, ok := signedin.FromRequest(req)
	if !ok {
		// API Gateway's authorizer refuses a missing or invalid token before
		// the function runs; this is an access token, or a route deployed
		// without the authorizer.
		return signedin.Unauthorized()
	}
	log := h.Logger.With("user", who.Email, "resource", req.Resource)
	if !who.May(group) {
		log.WarnContext(ctx, "refused: not in the group the route needs", "group", group, "groups", who.Groups)
		return signedin.Forbidden(group)
	}
	limit, bad := httpapi.PageLimit(req)
	if bad != nil {
		return bad.Response(nil)
	}
	return next(ctx, call{req: req, who: who, now: h.Now().UTC(), log: log, limit: limit})
}

func (h *Handler) listJourneys(ctx context.Context, c call) events.APIGatewayProxyResponse {
	journeys, next, err := h.Journeys.List(ctx, c.cursor(), c.limit)
	if err != nil {
		return h.listFailed(ctx, c, "list journeys", err)
	}
	views := make([]JourneyView, len(journeys))
	for i, j := range journeys {
		views[i] = JourneyView{Journey: j, Ended: j.Ended(c.now)}
	}
	return httpapi.JSON(http.StatusOK, JourneyPage{Journeys: views, NextCursor: next}, nil)
}

func (h *Handler) getJourney(ctx context.Context, c call) events.APIGatewayProxyResponse {
	j, err := h.Journeys.Get(ctx, c.param("journey_id"))
	if err != nil {
		return h.failed(ctx, c, "read journey", err)
	}
	d := JourneyDetail{JourneyView: JourneyView{Journey: j, Ended: j.Ended(c.now)}, ExpiryOptions: []domain.ExpiryOption{}}
	if !d.Ended {
		opts, err := domain.ExpiryOptions(j, c.now)
		if err != nil {
			return h.failed(ctx, c, "expiry options", err)
		}
		d.ExpiryOptions = opts
	}
	return httpapi.JSON(http.StatusOK, d, nil)
}

func (h *Handler) createToken(ctx context.Context, c call) events.APIGatewayProxyResponse {
	var body CreateTokenRequest
	if resp, ok := decodeBody(c.req, &body); !ok {
		return resp
	}
	if strings.TrimSpace(body.Expires) == "" {
		return invalid("expires is required: one of the journey's expiry_options")
	}
	if body.CallbackURL != "" {
		if err := domain.ValidateCallbackURL(body.CallbackURL); err != nil {
			return invalid(err.Error())
		}
	}
	j, err := h.Journeys.Get(ctx, c.param("journey_id"))
	if err != nil {
		return h.failed(ctx, c, "read journey", err)
	}
	expiresAt, err := domain.ResolveExpiry(j, domain.ExpiryChoice(strings.TrimSpace(body.Expires)), c.now)
	if err != nil {
		return h.failed(ctx, c, "resolve expiry", err)
	}
	secret, err := domain.NewTokenSecret()
	if err != nil {
		return h.failed(ctx, c, "generate token", err)
	}
	t := domain.Token{
		Hash:        domain.HashToken(secret),
		ID:          uuid.NewString(),
		JourneyID:   j.ID,
		Obscured:    domain.ObscureToken(secret),
		CreatedBy:   c.who.Email,
		CreatedAt:   c.now,
		ExpiresAt:   expiresAt,
		DeleteAfter: expiresAt.Add(domain.TokenRetention).Unix(),
		CallbackURL: body.CallbackURL,
	}
	var webhookSecret string
	if t.CallbackURL != "" {
		key, err := h.WebhookKeys.Key(ctx, t.ID)
		if err != nil {
			return h.failed(ctx, c, "derive the webhook secret", err)
		}
		webhookSecret = domain.WebhookSecret(key)
	}
	if err := h.Tokens.Create(ctx, t); err != nil {
		return h.failed(ctx, c, "store token", err)
	}
	c.log.InfoContext(ctx, "token created", "token_id", t.ID, "journey_id", j.ID, "expires_at", expiresAt)
	return httpapi.JSON(http.StatusCreated, Created{
		TokenID: t.ID,
		Token:   secret,
		// The ingest API is this API: the endpoint is where the caller reached it.
		Endpoint:      httpapi.BaseURL(c.req) + "/journeys/" + j.ID + "/targets",
		ExpiresAt:     expiresAt,
		CallbackURL:   t.CallbackURL,
		WebhookSecret: webhookSecret,
	}, map[string]string{"Cache-Control": "no-store"})
}

func (h *Handler) listTokens(ctx context.Context, c call) events.APIGatewayProxyResponse {
	journeyID, resp, ok := h.journeyID(ctx, c)
	if !ok {
		return resp
	}
	tokens, next, err := h.Tokens.ListByJourney(ctx, journeyID, c.cursor(), c.limit)
	if err != nil {
		return h.listFailed(ctx, c, "list tokens", err)
	}
	views := make([]TokenView, len(tokens))
	for i, t := range tokens {
		views[i] = TokenView{Token: t, Status: t.Status(c.now)}
	}
	return httpapi.JSON(http.StatusOK, TokenPage{JourneyID: journeyID, Tokens: views, NextCursor: next}, nil)
}

func (h *Handler) expireToken(ctx context.Context, c call) events.APIGatewayProxyResponse {
	t, err := h.Tokens.Revoke(ctx, c.param("token_id"), c.who.Email, c.now)
	if err != nil {
		return h.failed(ctx, c, "expire token", err)
	}
	c.log.InfoContext(ctx, "token expired", "token_id", t.ID, "journey_id", t.JourneyID)
	return httpapi.JSON(http.StatusOK, TokenView{Token: t, Status: t.Status(c.now)}, nil)
}

func (h *Handler) listTargets(ctx context.Context, c call) events.APIGatewayProxyResponse {
	journeyID, resp, ok := h.journeyID(ctx, c)
	if !ok {
		return resp
	}
	targets, next, err := h.Targets.List(ctx, journeyID, c.cursor(), c.limit)
	if err != nil {
		return h.listFailed(ctx, c, "list targets", err)
	}
	if targets == nil {
		targets = []domain.JourneyTarget{}
	}
	return httpapi.JSON(http.StatusOK, TargetPage{JourneyID: journeyID, Targets: targets, NextCursor: next}, nil)
}

// listRecords lists a journey's records (filtered by request_uuid,
// matching_outcome, processing_status), or a request's.
func (h *Handler) listRecords(ctx context.Context, c call) events.APIGatewayProxyResponse {
	query := c.req.QueryStringParameters
	q := domain.RecordQuery{
		RequestUUID:      strings.TrimSpace(query["request_uuid"]),
		MatchingOutcome:  domain.MatchingOutcome(strings.TrimSpace(query["matching_outcome"])),
		ProcessingStatus: domain.ProcessingStatus(strings.TrimSpace(query["processing_status"])),
	}
	if c.req.Resource == RouteRequestRecords {
		q.RequestUUID = c.param("request_uuid")
	} else {
		journeyID, resp, ok := h.journeyID(ctx, c)
		if !ok {
			return resp
		}
		q.JourneyID = journeyID
	}
	if err := q.Validate(); err != nil {
		return problem.New(http.StatusBadRequest, "invalid-query", err.Error()).Response(nil)
	}
	if q.RequestUUID != "" {
		if _, err := uuid.Parse(q.RequestUUID); err != nil {
			return problem.New(http.StatusBadRequest, "invalid-query", "request_uuid must be a request's uuid, as a 202 response gives it.").Response(nil)
		}
	}
	records, next, err := h.Records.List(ctx, q, c.cursor(), c.limit)
	if err != nil {
		return h.listFailed(ctx, c, "list loader records", err)
	}
	if records == nil {
		records = []domain.LoaderRecord{}
	}
	page := RecordPage{JourneyID: q.JourneyID, Records: records, NextCursor: next}
	if c.req.Resource == RouteRequestRecords {
		page.RequestUUID = q.RequestUUID
	}
	return httpapi.JSON(http.StatusOK, page, nil)
}

// journeyID is the path's journey, which must exist, so that an empty
// listing always means "exists, but nothing yet".
func (h *Handler) journeyID(ctx context.Context, c call) (string, events.APIGatewayProxyResponse, bool) {
	j, err := h.Journeys.Get(ctx, c.param("journey_id"))
	if err != nil {
		return "", h.failed(ctx, c, "read journey", err), false
	}
	return j.ID, events.APIGatewayProxyResponse{}, true
}

func (c call) param(name string) string { return c.req.PathParameters[name] }

func (c call) cursor() string { return c.req.QueryStringParameters["cursor"] }

// decodeBody reads a JSON body into v; unknown fields are ignored, as on
// the ingest API.
func decodeBody(req events.APIGatewayProxyRequest, v any) (events.APIGatewayProxyResponse, bool) {
	if !httpapi.IsJSON(httpapi.Header(req, "Content-Type")) {
		return problem.New(http.StatusUnsupportedMediaType, "unsupported-media-type", "Send the body as 'Content-Type: application/json'.").Response(nil), false
	}
	body, err := httpapi.Body(req)
	if err != nil {
		return invalid("The body is flagged base64 but does not decode."), false
	}
	if len(body) > MaxBodyBytes {
		return problem.New(http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("The body is %d bytes; at most %d are accepted.", len(body), MaxBodyBytes)).Response(nil), false
	}
	if err := json.Unmarshal(body, v); err != nil {
		return invalid("The body is not a JSON object of the expected shape: " + err.Error()), false
	}
	return events.APIGatewayProxyResponse{}, true
}

func invalid(detail string) events.APIGatewayProxyResponse {
	return problem.New(http.StatusBadRequest, "invalid-request", detail).Response(nil)
}

// listFailed answers a listing's err: its only rule is the cursor's.
func (h *Handler) listFailed(ctx context.Context, c call, what string, err error) events.APIGatewayProxyResponse {
	if domain.KindOf(err) == domain.KindInvalid {
		return problem.New(http.StatusBadRequest, "invalid-query", err.Error()).Response(nil)
	}
	return h.failed(ctx, c, what, err)
}

// failed answers err: a rule's error with its own message, anything else
// (a failed DynamoDB call) as 503, logged and never shown.
func (h *Handler) failed(ctx context.Context, c call, what string, err error) events.APIGatewayProxyResponse {
	var de *domain.Error
	if errors.As(err, &de) {
		switch de.Kind {
		case domain.KindInvalid:
			return invalid(de.Message)
		case domain.KindNotFound:
			return problem.New(http.StatusNotFound, "not-found", de.Message).Response(nil)
		case domain.KindForbidden:
			return problem.New(http.StatusForbidden, "forbidden", de.Message).Response(nil)
		case domain.KindConflict:
			return problem.New(http.StatusConflict, "conflict", de.Message).Response(nil)
		}
	}
	c.log.ErrorContext(ctx, what+" failed", "error", err)
	return problem.New(http.StatusServiceUnavailable, "unavailable", "The service could not complete the request; nothing was changed. Retry shortly.").Response(map[string]string{"Retry-After": "1"})
}
