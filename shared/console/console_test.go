package console_test

import (
	"io/fs"
	"net/http"
	"path"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/console"
)

const awsCognito = "https://cognito-idp.eu-west-1.amazonaws.com"

// request is the event API Gateway sends for GET path at stage (a request
// to a custom domain without base path has no stage prefix).
func request(resource, path, stage string) events.APIGatewayProxyRequest {
	req := events.APIGatewayProxyRequest{Resource: resource, Path: path, HTTPMethod: http.MethodGet, Headers: map[string]string{}}
	req.RequestContext.Path = stage + path
	if resource == console.RouteAsset {
		req.PathParameters = map[string]string{"proxy": strings.TrimPrefix(path, "/console/")}
	}
	return req
}

func TestPageNamesTheConsolePathAsReached(t *testing.T) {
	site := console.New(awsCognito)
	tests := []struct{ path, stage, base string }{
		{"/console/", "/v1", "/v1/console/"},
		{"/console", "/v1", "/v1/console/"},
		{"/console/", "", "/console/"}, // the local stack, a custom domain
		{"/console/", "/api/v1", "/api/v1/console/"},
		{"/console/", `/a"><script>`, "/a&#34;&gt;&lt;script&gt;/console/"}, // escaped, whatever it holds
	}
	for _, tt := range tests {
		resp := site.Serve(request(console.RoutePage, tt.path, tt.stage))
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, `<base href="`+tt.base+`">`) {
			t.Errorf("%s%s: %d, want base %s in\n%s", tt.stage, tt.path, resp.StatusCode, tt.base, resp.Body)
		}
		if resp.Headers["Content-Type"] != "text/html; charset=utf-8" || resp.Headers["Cache-Control"] != "no-store" || resp.Headers["ETag"] != "" {
			t.Errorf("page headers %v", resp.Headers)
		}
	}
	// index.html by name is the page too.
	if resp := site.Serve(request(console.RouteAsset, "/console/index.html", "/v1")); !strings.Contains(resp.Body, `<base href="/v1/console/">`) {
		t.Errorf("index.html: %d %s", resp.StatusCode, resp.Body)
	}
}

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	site := console.New(awsCognito)
	want := map[string]string{
		"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; " +
			"connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com; base-uri 'self'; form-action 'none'; frame-ancestors 'none'",
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
	}
	for _, req := range []events.APIGatewayProxyRequest{
		request(console.RoutePage, "/console/", "/v1"),
		request(console.RouteAsset, "/console/app.js", "/v1"),
		request(console.RouteAsset, "/console/nope.js", "/v1"),
	} {
		resp := site.Serve(req)
		for k, v := range want {
			if resp.Headers[k] != v {
				t.Errorf("%s: %s = %q, want %q", req.Path, k, resp.Headers[k], v)
			}
		}
	}
	// Locally the page signs in at the local endpoint, and only there.
	if csp := console.CSP("http://127.0.0.1:4566"); !strings.Contains(csp, "connect-src 'self' http://127.0.0.1:4566;") {
		t.Errorf("local CSP %q", csp)
	}
}

func TestAssetsWithTypesAndRevalidation(t *testing.T) {
	site := console.New(awsCognito)
	types := map[string]string{".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml", ".html": "text/html; charset=utf-8"}
	for _, name := range assetNames(t) {
		resp := site.Serve(request(console.RouteAsset, "/console/"+name, "/v1"))
		want, ok := types[path.Ext(name)]
		if !ok {
			t.Errorf("%s: not a text asset API Gateway passes as it is (HTML, JS, CSS, SVG)", name)
			continue
		}
		if resp.StatusCode != http.StatusOK || resp.Headers["Content-Type"] != want || resp.Body == "" {
			t.Errorf("%s: %d %v", name, resp.StatusCode, resp.Headers)
		}
		if name == "index.html" {
			continue
		}
		etag := resp.Headers["ETag"]
		if etag == "" || resp.Headers["Cache-Control"] != "no-cache" {
			t.Errorf("%s: headers %v", name, resp.Headers)
		}
		again := request(console.RouteAsset, "/console/"+name, "/v1")
		again.Headers["if-none-match"] = etag
		if resp := site.Serve(again); resp.StatusCode != http.StatusNotModified || resp.Body != "" {
			t.Errorf("%s revalidated: %d", name, resp.StatusCode)
		}
	}
}

func TestRefusesWhatItDoesNotServe(t *testing.T) {
	site := console.New(awsCognito)
	for _, p := range []string{"/console/nope.js", "/console/../go.mod", "/console/./app.js", "/console/assets/app.js", "/console/"} {
		req := request(console.RouteAsset, p, "/v1")
		if resp := site.Serve(req); resp.StatusCode != http.StatusNotFound || resp.Headers["Content-Type"] != "application/problem+json" {
			t.Errorf("%s: %d %v", p, resp.StatusCode, resp.Headers)
		}
	}
	post := request(console.RoutePage, "/console/", "/v1")
	post.HTTPMethod = http.MethodPost
	if resp := site.Serve(post); resp.StatusCode != http.StatusMethodNotAllowed || resp.Headers["Allow"] != "GET" {
		t.Errorf("POST: %d %v", resp.StatusCode, resp.Headers)
	}
}

// The assets keep to what the Content-Security-Policy allows, and to the
// rules for the token secret: no inline script, handler or style; no HTML
// parsed from strings; no persistent storage; every module imported exists.
func TestAssetsKeepTheRules(t *testing.T) {
	names := assetNames(t)
	have := map[string]bool{}
	for _, n := range names {
		have[n] = true
	}
	page := read(t, "index.html")
	for _, m := range regexp.MustCompile(`<script\b[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(m, ` src="`) {
			t.Errorf("index.html: inline script %s", m)
		}
	}
	if m := regexp.MustCompile(`(?i)\s(on[a-z]+|style)\s*=`).FindString(page); m != "" {
		t.Errorf("index.html: inline handler or style %q", m)
	}
	for _, m := range regexp.MustCompile(`(?:src|href)="([^"#]+)"`).FindAllStringSubmatch(page, -1) {
		if m[1] != "__BASE_HREF__" && !have[m[1]] {
			t.Errorf("index.html refers to %s, which is not an asset", m[1])
		}
	}
	forbidden := regexp.MustCompile(`\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|localStorage|console\.log|document\.cookie|\.style\.`)
	imports := regexp.MustCompile(`(?m)^import\b[^'"]*['"]\./([^'"]+)['"]`)
	for _, n := range names {
		if path.Ext(n) != ".js" {
			continue
		}
		src := read(t, n)
		if m := forbidden.FindString(src); m != "" {
			t.Errorf("%s uses %s", n, m)
		}
		if strings.Contains(src, "sessionStorage") && n != "session.js" {
			t.Errorf("%s touches sessionStorage: only session.js keeps the session", n)
		}
		for _, m := range imports.FindAllStringSubmatch(src, -1) {
			if !have[m[1]] {
				t.Errorf("%s imports ./%s, which is not an asset", n, m[1])
			}
		}
	}
}

func assetNames(t *testing.T) []string {
	t.Helper()
	var names []string
	err := fs.WalkDir(console.Assets(), ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil || len(names) == 0 {
		t.Fatalf("assets: %v %v", names, err)
	}
	return names
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := fs.ReadFile(console.Assets(), name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
