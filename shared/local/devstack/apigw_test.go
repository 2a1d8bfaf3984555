package devstack

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/ingest"
)

var routes = []string{ingest.RouteTargets, ingest.RouteRequest}

func TestMatchRoute(t *testing.T) {
	tests := []struct {
		path     string
		resource string
		params   map[string]string
	}{
		{"/journeys/J1/targets", ingest.RouteTargets, map[string]string{"journey_id": "J1"}},
		{"/journeys/J1/targets/", ingest.RouteTargets, map[string]string{"journey_id": "J1"}},
		{"/journeys/J%201/requests/abc", ingest.RouteRequest, map[string]string{"journey_id": "J%201", "request_uuid": "abc"}},
		{"/journeys/J1", CatchAllResource, map[string]string{"proxy": "journeys/J1"}},
		{"/", CatchAllResource, map[string]string{"proxy": ""}},
		{"/journeys/J1/other", CatchAllResource, map[string]string{"proxy": "journeys/J1/other"}},
	}
	for _, tt := range tests {
		res, params := MatchRoute(routes, tt.path)
		if res != tt.resource || !reflect.DeepEqual(params, tt.params) {
			t.Errorf("MatchRoute(%q) = %q %v, want %q %v", tt.path, res, params, tt.resource, tt.params)
		}
	}
}

// A greedy {proxy+} resource takes one or more segments, and only what no
// other resource matches, as in API Gateway.
func TestMatchRouteGreedy(t *testing.T) {
	routes := []string{"/console/{proxy+}", "/console", "/console/config.json"}
	tests := []struct {
		path     string
		resource string
		params   map[string]string
	}{
		{"/console", "/console", nil},
		{"/console/", "/console", nil},
		{"/console/config.json", "/console/config.json", nil},
		{"/console/app.js", "/console/{proxy+}", map[string]string{"proxy": "app.js"}},
		{"/console/views/a.js", "/console/{proxy+}", map[string]string{"proxy": "views/a.js"}},
		{"/consoles/app.js", CatchAllResource, map[string]string{"proxy": "consoles/app.js"}},
	}
	for _, tt := range tests {
		res, params := MatchRoute(routes, tt.path)
		if res != tt.resource || !reflect.DeepEqual(params, tt.params) {
			t.Errorf("MatchRoute(%q) = %q %v, want %q %v", tt.path, res, params, tt.resource, tt.params)
		}
	}
}

// capture is a proxy handler that records its event and answers resp.
func capture(resp events.APIGatewayProxyResponse, err error) (*APIGateway, *events.APIGatewayProxyRequest) {
	var got events.APIGatewayProxyRequest
	g := &APIGateway{Routes: routes, Stage: "local", Handler: func(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		got = ev
		return resp, err
	}}
	return g, &got
}

func TestRequestTranslation(t *testing.T) {
	g, got := capture(events.APIGatewayProxyResponse{StatusCode: 202, Body: `{}`}, nil)
	body := `[{"source_system_id":"s1","account_id":"V1"}]`
	r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:3000/journeys/J1/targets?a=1&a=2&b=x", strings.NewReader(body))
	r.RemoteAddr = "127.0.0.1:54321"
	r.Header.Set("Authorization", "Bearer tl_x")
	r.Header.Set("Content-Type", "application/json")
	r.Header.Add("X-Multi", "one")
	r.Header.Add("X-Multi", "two")
	r.Header.Set("X-Forwarded-Proto", "https") // a client cannot set it
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != 202 {
		t.Fatalf("status %d", w.Code)
	}
	ev := *got
	checks := map[string][2]any{
		"HTTPMethod":        {ev.HTTPMethod, "POST"},
		"Path":              {ev.Path, "/journeys/J1/targets"},
		"Resource":          {ev.Resource, ingest.RouteTargets},
		"PathParameters":    {ev.PathParameters, map[string]string{"journey_id": "J1"}},
		"Body":              {ev.Body, body},
		"IsBase64Encoded":   {ev.IsBase64Encoded, false},
		"Authorization":     {ev.Headers["Authorization"], "Bearer tl_x"},
		"Host":              {ev.Headers["Host"], "127.0.0.1:3000"},
		"X-Forwarded-Proto": {ev.Headers["X-Forwarded-Proto"], "http"},
		"X-Forwarded-For":   {ev.Headers["X-Forwarded-For"], "127.0.0.1"},
		"X-Multi single":    {ev.Headers["X-Multi"], "two"},
		"X-Multi multi":     {ev.MultiValueHeaders["X-Multi"], []string{"one", "two"}},
		"query single":      {ev.QueryStringParameters, map[string]string{"a": "2", "b": "x"}},
		"query multi":       {ev.MultiValueQueryStringParameters, map[string][]string{"a": {"1", "2"}, "b": {"x"}}},
		"Stage":             {ev.RequestContext.Stage, "local"},
		"ctx Path":          {ev.RequestContext.Path, "/journeys/J1/targets"},
		"ctx ResourcePath":  {ev.RequestContext.ResourcePath, ingest.RouteTargets},
		"ctx HTTPMethod":    {ev.RequestContext.HTTPMethod, "POST"},
		"DomainName":        {ev.RequestContext.DomainName, "127.0.0.1:3000"},
		"SourceIP":          {ev.RequestContext.Identity.SourceIP, "127.0.0.1"},
	}
	for name, c := range checks {
		if !reflect.DeepEqual(c[0], c[1]) {
			t.Errorf("%s = %#v, want %#v", name, c[0], c[1])
		}
	}
	if ev.RequestContext.RequestID == "" || ev.RequestContext.RequestTimeEpoch == 0 {
		t.Errorf("request context lacks id or time: %+v", ev.RequestContext)
	}
}

func TestRequestWithoutQueryOrBody(t *testing.T) {
	g, got := capture(events.APIGatewayProxyResponse{StatusCode: 200}, nil)
	r := httptest.NewRequest(http.MethodGet, "/journeys/J1/requests/u1", nil)
	g.ServeHTTP(httptest.NewRecorder(), r)
	if got.QueryStringParameters != nil || got.MultiValueQueryStringParameters != nil {
		t.Errorf("query parameters should be null without a query: %v", got.QueryStringParameters)
	}
	if got.Body != "" || got.IsBase64Encoded {
		t.Errorf("body = %q base64=%v", got.Body, got.IsBase64Encoded)
	}
	if got.PathParameters["request_uuid"] != "u1" {
		t.Errorf("path parameters %v", got.PathParameters)
	}
}

func TestBinaryBodyIsBase64(t *testing.T) {
	for _, tc := range []struct {
		contentType string
		body        []byte
	}{
		{"application/octet-stream", []byte("plain but binary type")},
		{"application/json", []byte{0xff, 0xfe, 0x00}},
		{"", []byte{0xc3, 0x28}},
	} {
		g, got := capture(events.APIGatewayProxyResponse{StatusCode: 200}, nil)
		r := httptest.NewRequest(http.MethodPost, "/journeys/J1/targets", bytes.NewReader(tc.body))
		if tc.contentType != "" {
			r.Header.Set("Content-Type", tc.contentType)
		}
		g.ServeHTTP(httptest.NewRecorder(), r)
		if !got.IsBase64Encoded || got.Body != base64.StdEncoding.EncodeToString(tc.body) {
			t.Errorf("%q: body %q base64=%v", tc.contentType, got.Body, got.IsBase64Encoded)
		}
	}
}

func TestBodyOverAPIGatewayLimit(t *testing.T) {
	called := false
	g := &APIGateway{Routes: routes, Handler: func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		called = true
		return events.APIGatewayProxyResponse{StatusCode: 200}, nil
	}}
	r := httptest.NewRequest(http.MethodPost, "/journeys/J1/targets", bytes.NewReader(make([]byte, MaxAPIBodyBytes+1)))
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	if w.Code != http.StatusRequestEntityTooLarge || called {
		t.Errorf("status %d, handler called %v", w.Code, called)
	}
}

func TestResponseTranslation(t *testing.T) {
	g, _ := capture(events.APIGatewayProxyResponse{
		StatusCode:        401,
		Headers:           map[string]string{"Content-Type": "application/problem+json", "WWW-Authenticate": `Bearer realm="x"`, "X-Both": "a"},
		MultiValueHeaders: map[string][]string{"Set-Cookie": {"a=1", "b=2"}, "X-Both": {"a", "b"}},
		Body:              base64.StdEncoding.EncodeToString([]byte(`{"status":401}`)),
		IsBase64Encoded:   true,
	}, nil)
	w := httptest.NewRecorder()
	g.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/journeys/J1/requests/u", nil))
	res := w.Result()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 401 || string(b) != `{"status":401}` {
		t.Fatalf("got %d %q", res.StatusCode, b)
	}
	if res.Header.Get("Content-Type") != "application/problem+json" || res.Header.Get("WWW-Authenticate") != `Bearer realm="x"` {
		t.Errorf("headers %v", res.Header)
	}
	if got := res.Header.Values("Set-Cookie"); !reflect.DeepEqual(got, []string{"a=1", "b=2"}) {
		t.Errorf("Set-Cookie %v", got)
	}
	if got := res.Header.Values("X-Both"); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("X-Both %v", got)
	}
}

func TestHandlerFailureIs502(t *testing.T) {
	for name, h := range map[string]ProxyHandler{
		"error": func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{}, io.ErrUnexpectedEOF
		},
		"panic": func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			panic("boom")
		},
		"no status": func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			return events.APIGatewayProxyResponse{}, nil
		},
	} {
		g := &APIGateway{Routes: routes, Handler: h}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
		if w.Code != http.StatusBadGateway || !strings.Contains(w.Body.String(), "Internal server error") {
			t.Errorf("%s: %d %s", name, w.Code, w.Body)
		}
	}
}
