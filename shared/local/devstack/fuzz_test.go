package devstack_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/local/devstack"
)

var fuzzRoutes = []string{"/journeys/{journey_id}/targets", "/journeys/{journey_id}/requests/{request_uuid}"}

// FuzzAPIGatewayEvent drives the API Gateway emulation with arbitrary HTTP
// requests: translating one into a proxy event never panics, the handler
// sees exactly the body that was sent (as text or base64), the route and
// path parameters match the path, and the handler's response comes back.
func FuzzAPIGatewayEvent(f *testing.F) {
	f.Add("POST", "/journeys/J1/targets", "", "application/json", "Bearer x", []byte(`[{"source_system_id":"s","account_id":"A1"}]`), 202)
	f.Add("GET", "/journeys/J1/requests/0b5c3a9e-1111-4000-8000-000000000001", "limit=10&limit=20&cursor=", "", "", []byte(nil), 200)
	f.Add("POST", "/journeys//targets", "", "application/octet-stream", "", []byte("\xff\xfe\x00binary"), 400)
	f.Add("POST", "/journeys/J1/targets/", "a=%zz", "application/json; charset=\"", "", []byte("\xff"), 500)
	f.Add("DELETE", "/", "", "text/plain", "", bytes.Repeat([]byte("x"), 1<<20+1), 404)
	f.Add("OPTIONS", "/journeys/%2F/targets", "", "", "", []byte("[1] [2]"), 99)
	f.Fuzz(func(t *testing.T, method, path, rawQuery, contentType, auth string, body []byte, status int) {
		if !utf8.ValidString(path) || strings.ContainsAny(method, " \t\r\n") {
			return // not something an HTTP server would hand over
		}
		r := &http.Request{
			Method:     method,
			URL:        &url.URL{Path: path, RawQuery: rawQuery},
			Proto:      "HTTP/1.1",
			ProtoMajor: 1, ProtoMinor: 1,
			Header:     http.Header{},
			Host:       "localhost:8080",
			RemoteAddr: "127.0.0.1:5555",
			Body:       io.NopCloser(bytes.NewReader(body)),
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if auth != "" {
			r.Header.Add("Authorization", "first")
			r.Header.Add("Authorization", auth)
		}
		var got events.APIGatewayProxyRequest
		called := false
		g := &devstack.APIGateway{Routes: fuzzRoutes, Stage: "local", Handler: func(_ context.Context, ev events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
			got, called = ev, true
			return events.APIGatewayProxyResponse{StatusCode: status, Headers: map[string]string{"X-Echo": "1"}, Body: "ok"}, nil
		}}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if !called {
			if len(body) <= devstack.MaxAPIBodyBytes {
				t.Fatalf("the handler was not called for a %d-byte body (status %d)", len(body), w.Code)
			}
			return
		}
		sent := body
		if got.IsBase64Encoded {
			dec, err := base64.StdEncoding.DecodeString(got.Body)
			if err != nil {
				t.Fatalf("base64 body does not decode: %v", err)
			}
			sent = dec
		} else if !utf8.ValidString(got.Body) {
			t.Fatal("a text body that is not UTF-8")
		} else {
			sent = []byte(got.Body)
		}
		if !bytes.Equal(sent, body) {
			t.Fatalf("the handler got a different body (%d bytes, sent %d)", len(sent), len(body))
		}
		if got.HTTPMethod != method || got.Path == "" {
			t.Fatalf("method %q path %q", got.HTTPMethod, got.Path)
		}
		switch got.Resource {
		case devstack.CatchAllResource:
		case fuzzRoutes[0], fuzzRoutes[1]:
			tmpl := strings.Split(strings.Trim(got.Resource, "/"), "/")
			segs := strings.Split(strings.Trim(got.Path, "/"), "/")
			if len(tmpl) != len(segs) {
				t.Fatalf("path %q matched %q", got.Path, got.Resource)
			}
			for i, s := range tmpl {
				if strings.HasPrefix(s, "{") {
					if v := got.PathParameters[strings.Trim(s, "{}")]; v == "" || v != segs[i] {
						t.Fatalf("path %q: parameter %s = %q", got.Path, s, v)
					}
				} else if s != segs[i] {
					t.Fatalf("path %q matched %q", got.Path, got.Resource)
				}
			}
		default:
			t.Fatalf("resource %q", got.Resource)
		}
		if auth != "" && got.Headers["Authorization"] != auth {
			t.Fatalf("Authorization = %q, want the last value %q", got.Headers["Authorization"], auth)
		}
		if got.Headers["X-Forwarded-Proto"] != "http" {
			t.Fatalf("X-Forwarded-Proto = %q", got.Headers["X-Forwarded-Proto"])
		}
		if status >= 100 && status <= 599 {
			if w.Code != status || w.Header().Get("X-Echo") != "1" {
				t.Fatalf("response %d %v, handler said %d", w.Code, w.Header(), status)
			}
		} else if w.Code != http.StatusBadGateway {
			t.Fatalf("an invalid status %d from the handler gave %d, want 502", status, w.Code)
		}
	})
}
