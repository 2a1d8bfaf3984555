package ingest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/problem"
	"github.com/targetloader/targetloader/shared/testsupport/fakes"
)

// fuzzRequestUUID is the one request the fake reader knows (queued, journey J1).
const fuzzRequestUUID = "0b5c3a9e-1111-4000-8000-000000000001"

// fuzzTokens are placeholders an Authorization seed may hold, replaced by
// real secrets: $TOKEN active for J1, $OTHER active for J2, $EXPIRED,
// $REVOKED, $ENDED (journey JEND has ended), $GONE (journey deleted).
type fuzzTokens map[string]string

func newFuzzHandler(t testing.TB) (*Handler, fuzzTokens, *[]domain.Batch) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	secrets := fuzzTokens{}
	byHash := map[string]domain.Token{}
	revoked := now.Add(-time.Minute)
	for name, tok := range map[string]domain.Token{
		"$TOKEN":   {ID: "t1", JourneyID: "J1", ExpiresAt: now.Add(time.Hour)},
		"$OTHER":   {ID: "t2", JourneyID: "J2", ExpiresAt: now.Add(time.Hour)},
		"$EXPIRED": {ID: "t3", JourneyID: "J1", ExpiresAt: now.Add(-time.Hour)},
		"$REVOKED": {ID: "t4", JourneyID: "J1", ExpiresAt: now.Add(time.Hour), RevokedAt: &revoked},
		"$ENDED":   {ID: "t5", JourneyID: "JEND", ExpiresAt: now.Add(time.Hour)},
		"$GONE":    {ID: "t6", JourneyID: "JGONE", ExpiresAt: now.Add(time.Hour)},
	} {
		secret, err := domain.NewTokenSecret()
		if err != nil {
			t.Fatal(err)
		}
		secrets[name] = secret
		tok.Hash = domain.HashToken(secret)
		byHash[tok.Hash] = tok
	}
	journeys := map[string]domain.Journey{"J1": {ID: "J1", Name: "One"}, "J2": {ID: "J2", Name: "Two"}, "JEND": {ID: "JEND", Name: "Ended", EndDate: "2026-01-31"}}
	var sent []domain.Batch
	h := &Handler{
		Reader: fakes.Reader{ReadFunc: func(_ context.Context, hash, journeyID, requestUUID string) (domain.Snapshot, error) {
			var s domain.Snapshot
			if tok, ok := byHash[hash]; ok {
				s.Token = &tok
			}
			if j, ok := journeys[journeyID]; ok {
				s.Journey = &j
			}
			if requestUUID == fuzzRequestUUID {
				s.Request = &domain.Request{UUID: requestUUID, JourneyID: "J1", Accepted: 3, Parts: 1, State: domain.RequestQueued, ReceivedAt: now}
			}
			return s, nil
		}},
		Requests: fuzzRequests(),
		Queue: fakes.Queue{SendFunc: func(_ context.Context, b []domain.Batch) error {
			sent = append(sent, b...)
			return nil
		}},
		Records: fakes.Records{ListByRequestFunc: func(_ context.Context, _, cursor string, limit int) ([]domain.LoaderRecord, string, error) {
			if limit < 1 || limit > httpapi.MaxPageSize {
				t.Fatalf("ListByRequest with limit %d", limit)
			}
			if cursor != "" && cursor != "c1" {
				return nil, "", domain.Errorf(domain.KindInvalid, "the page cursor is not valid")
			}
			return []domain.LoaderRecord{{RequestUUID: fuzzRequestUUID, Journey: "J1"}}, "", nil
		}},
		RateLimiter: fakes.Allow(),
		RatePolicy:  domain.RatePolicy{PerSecond: 10, Burst: 20},
		Logger:      slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:         func() time.Time { return now },
	}
	return h, secrets, &sent
}

// fuzzRequests is a Requests port on which every write succeeds: new
// requests are created (no earlier use of an Idempotency-Key), marked queued
// and aborted.
func fuzzRequests() fakes.Requests {
	return fakes.Requests{
		CreateFunc: func(context.Context, domain.Request) error { return nil },
		CreateIdempotentFunc: func(context.Context, domain.Request, domain.IdempotencyRecord, time.Time, string) (*domain.IdempotencyRecord, error) {
			return nil, nil
		},
		MarkQueuedFunc: func(context.Context, string) error { return nil },
		AbortFunc:      func(context.Context, string) (bool, error) { return true, nil },
	}
}

// Flags of FuzzIngestHandler's flags argument.
const (
	flagBase64       = 1 << iota // IsBase64Encoded
	flagEncodeBody               // base64-encode the body (else pass it raw, flag or not)
	flagMultiValue               // send headers as MultiValueHeaders only
	flagOtherRoute               // resource is the raw `resource` argument
	flagRequestRoute             // the status route instead of the targets route
)

func FuzzIngestHandler(f *testing.F) {
	valid := `[{"source_system_id":"s1","account_id":"A1"},{"source_system_id":"s2","email":"x@example.com","first_name":"X"}]`
	overMiB := `[{"source_system_id":"s","account_id":"A1","first_name":"` + strings.Repeat("x", domain.MaxBodyBytes) + `"}]`
	many := "[" + strings.TrimSuffix(strings.Repeat(`{"source_system_id":"s","account_id":"A1"},`, 501), ",") + "]"
	exactly500 := "[" + strings.TrimSuffix(strings.Repeat(`{"source_system_id":"s","account_id":"A1"},`, 500), ",") + "]"
	type seed struct {
		method, resource, journey, reqUUID, ctype, auth, idem, limit string
		body                                                         []byte
		flags                                                        uint8
	}
	for _, s := range []seed{
		{"POST", "", "J1", "", "application/json", "Bearer $TOKEN", "", "", []byte(valid), 0},
		{"POST", "", "J1", "", "application/json", "Bearer $TOKEN", "", "", []byte(valid), flagBase64 | flagEncodeBody},
		{"POST", "", "J1", "", "application/json", "Bearer $TOKEN", "", "", []byte(valid), flagBase64},
		{"POST", "", "J1", "", "application/json", "Bearer $TOKEN", "", "", []byte(overMiB), 0},
		{"POST", "", "J1", "", "application/json", "Bearer $TOKEN", "", "", []byte(many), 0},
		{"POST", "", "J1", "", "application/json", "Bearer $TOKEN", "", "", []byte(exactly500), 0},
		{"POST", "", "J1", "", "application/json", "Bearer $TOKEN", "k", "", []byte(valid + " " + valid), 0},
		{"POST", "", "J1", "", "application/json; charset=utf-8", "bearer   $TOKEN  ", "", "", []byte("\xff\xfe[]"), flagMultiValue},
		{"POST", "", "J2", "", "application/json", "Bearer $TOKEN", "", "", []byte(valid), 0},
		{"POST", "", "JEND", "", "application/json", "Bearer $ENDED", "", "", []byte(valid), 0},
		{"POST", "", "JGONE", "", "application/json", "Bearer $GONE", "", "", []byte(valid), 0},
		{"POST", "", "J1", "", "application/json", "Bearer $EXPIRED", "", "", []byte(valid), 0},
		{"POST", "", "J1", "", "application/json", "Bearer $REVOKED", "", "", []byte(valid), 0},
		{"POST", "", "J1", "", "text/plain", "Bearer $TOKEN", "", "", []byte(valid), 0},
		{"POST", "", "J1", "", "", "Basic dXNlcjpwYXNz", "", "", nil, 0},
		{"POST", "", "J1", "", "application/json", "Bearer tl_notatoken", "", "", []byte("null"), 0},
		{"POST", "", "J1", "", "application/json", "Bearer $TOKEN", strings.Repeat("k", 256), "", []byte(valid), 0},
		{"POST", "", "J1", "", "application/json", "Bearer $TOKEN", strings.Repeat("é", 255), "", []byte(valid), 0},
		{"POST", "", "J1", "", "application/json", "Bearer $TOKEN", strings.Repeat("é", 256), "", []byte(valid), 0},
		{"PUT", "", "J1", "", "application/json", "Bearer $TOKEN", "", "", []byte(valid), 0},
		{"GET", "", "J1", fuzzRequestUUID, "", "Bearer $TOKEN", "", "10", nil, flagRequestRoute},
		{"GET", "", "J1", fuzzRequestUUID, "", "Bearer $TOKEN", "", "0x10", nil, flagRequestRoute},
		{"GET", "", "J1", "not-a-uuid", "", "Bearer $TOKEN", "", "", nil, flagRequestRoute},
		{"GET", "", "J2", fuzzRequestUUID, "", "Bearer $OTHER", "", "", nil, flagRequestRoute},
		{"GET", "/{proxy+}", "", "", "", "", "", "", nil, flagOtherRoute},
		{"POST", "", "", "", "application/json", "Bearer $TOKEN", "", "", []byte(`[{"source_system_id":1e999,"account_id":null}]`), 0},
	} {
		f.Add(s.method, s.resource, s.journey, s.reqUUID, s.ctype, s.auth, s.idem, s.limit, s.body, s.flags)
	}
	h, secrets, sent := newFuzzHandler(f)
	f.Fuzz(func(t *testing.T, method, resource, journeyID, requestUUID, contentType, auth, idemKey, limit string, body []byte, flags uint8) {
		for name, secret := range secrets {
			auth = strings.ReplaceAll(auth, name, secret)
		}
		req := events.APIGatewayProxyRequest{HTTPMethod: method, Resource: RouteTargets, PathParameters: map[string]string{}}
		switch {
		case flags&flagOtherRoute != 0:
			req.Resource = resource
		case flags&flagRequestRoute != 0:
			req.Resource = RouteRequest
			req.PathParameters["request_uuid"] = requestUUID
		}
		if journeyID != "" {
			req.PathParameters["journey_id"] = journeyID
		}
		headers := map[string]string{"Content-Type": contentType, "Authorization": auth}
		if idemKey != "" {
			headers["Idempotency-Key"] = idemKey
		}
		if flags&flagMultiValue != 0 {
			req.MultiValueHeaders = map[string][]string{}
			for k, v := range headers {
				req.MultiValueHeaders[strings.ToLower(k)] = []string{v, "second"}
			}
		} else {
			req.Headers = headers
		}
		if limit != "" {
			req.QueryStringParameters = map[string]string{"limit": limit, "cursor": "c1"}
		}
		req.IsBase64Encoded = flags&flagBase64 != 0
		if flags&flagEncodeBody != 0 {
			req.Body = base64.StdEncoding.EncodeToString(body)
		} else {
			req.Body = string(body)
		}
		*sent = (*sent)[:0]

		resp, err := h.Handle(context.Background(), req)
		if err != nil {
			t.Fatalf("Handle returned an error: %v", err)
		}
		switch {
		case resp.StatusCode == http.StatusAccepted && req.Resource == RouteTargets && method == http.MethodPost:
			var a Accepted
			if err := json.Unmarshal([]byte(resp.Body), &a); err != nil || a.RequestUUID == "" || a.Accepted < 1 || a.Accepted > domain.MaxTargets {
				t.Fatalf("202 body %q: %v", resp.Body, err)
			}
			queued := 0
			for _, b := range *sent {
				queued += len(b.Targets)
				m, _ := json.Marshal(b)
				if len(m) > domain.MaxBatchMessageBytes {
					t.Fatalf("a message of %d bytes", len(m))
				}
				if b.RequestUUID != a.RequestUUID || b.JourneyID != journeyID {
					t.Fatalf("batch of request %s journey %s", b.RequestUUID, b.JourneyID)
				}
			}
			if queued != a.Accepted {
				t.Fatalf("202 for %d targets, %d queued", a.Accepted, queued)
			}
		case resp.StatusCode == http.StatusOK && req.Resource == RouteRequest && method == http.MethodGet:
			var s Status
			if err := json.Unmarshal([]byte(resp.Body), &s); err != nil || s.RequestUUID != fuzzRequestUUID {
				t.Fatalf("200 body %q: %v", resp.Body, err)
			}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if len(*sent) > 0 {
				t.Fatalf("%d answered after queuing %d messages", resp.StatusCode, len(*sent))
			}
			if ct := resp.Headers["Content-Type"]; ct != problem.ContentType {
				t.Fatalf("%d with Content-Type %q", resp.StatusCode, ct)
			}
			var d map[string]any
			dec := json.NewDecoder(bytes.NewReader([]byte(resp.Body)))
			if err := dec.Decode(&d); err != nil {
				t.Fatalf("%d body is not JSON: %q", resp.StatusCode, resp.Body)
			}
			typ, _ := d["type"].(string)
			title, _ := d["title"].(string)
			status, _ := d["status"].(float64)
			if typ == "" || title == "" || int(status) != resp.StatusCode {
				t.Fatalf("%d problem body %q", resp.StatusCode, resp.Body)
			}
			if resp.StatusCode == http.StatusUnauthorized && !strings.HasPrefix(resp.Headers["WWW-Authenticate"], "Bearer") {
				t.Fatalf("401 without a Bearer challenge: %v", resp.Headers)
			}
		default:
			t.Fatalf("%s %s: status %d: %s", method, req.Resource, resp.StatusCode, resp.Body)
		}
	})
}
