// Package console is the web console marketers and business admins use
// (PRODUCT.md §8): static HTML, CSS, an SVG and plain ES modules, embedded
// in the manage function's binary and served at /console/ on the service's
// own API. Every asset is text, so API Gateway needs no binary media types.
// The page signs in against the user pool itself and calls the management
// API with the ID token; the server side only serves files.
package console

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/problem"
)

//go:embed assets
var assets embed.FS

// Assets are the console's files, by the names they are served under.
func Assets() fs.FS {
	sub, _ := fs.Sub(assets, "assets") // a constant, valid path
	return sub
}

// Resources of the console, as API Gateway names them in the event.
const (
	RoutePage  = "/console"
	RouteAsset = "/console/{proxy+}"
)

// baseHrefMarker in index.html is replaced with the console's path as the
// caller reached it (stage prefix included), so that the page's relative
// URLs work at /v1/console and /v1/console/ alike.
const baseHrefMarker = "__BASE_HREF__"

// attrEscaper escapes an HTML attribute value, as html.EscapeString does;
// the html package would add its entity table (~200 KB) to the binary.
var attrEscaper = strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;")

// file is an asset with its media type and entity tag.
type file struct {
	body        string
	contentType string
	etag        string
}

// Site serves the console's files.
type Site struct {
	files   map[string]file
	page    string
	headers map[string]string
}

// New is the console whose page may call its own API and the Cognito
// endpoint cognitoEndpoint (an absolute URL: the regional endpoint in AWS,
// the local one in the local stack).
func New(cognitoEndpoint string) *Site {
	s := &Site{files: map[string]file{}}
	files := Assets()
	_ = fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		s.files[name] = file{
			body:        string(b),
			contentType: contentType(name),
			etag:        `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`,
		}
		return nil
	})
	s.page = s.files["index.html"].body
	s.headers = map[string]string{
		"Content-Security-Policy":      CSP(cognitoEndpoint),
		"X-Content-Type-Options":       "nosniff",
		"Referrer-Policy":              "no-referrer",
		"X-Frame-Options":              "DENY",
		"Cross-Origin-Opener-Policy":   "same-origin",
		"Cross-Origin-Resource-Policy": "same-origin",
		"Permissions-Policy":           "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
		"Strict-Transport-Security":    "max-age=31536000",
	}
	return s
}

// CSP is the console's Content-Security-Policy: scripts, styles and images
// only from the API itself (no inline script, style or handler), requests
// only to the API and the Cognito endpoint, no forms posted anywhere (the
// page submits with fetch; a form that somehow submitted natively would put
// the password in a URL), and never inside a frame.
func CSP(cognitoEndpoint string) string {
	connect := "'self'"
	if u, err := url.Parse(cognitoEndpoint); err == nil && u.Scheme != "" && u.Host != "" {
		connect += " " + u.Scheme + "://" + u.Host
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self'",
		"connect-src " + connect,
		"base-uri 'self'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// Serve answers GET /console (the page) and GET /console/{proxy+} (an
// asset, or the page as index.html).
func (s *Site) Serve(req events.APIGatewayProxyRequest) events.APIGatewayProxyResponse {
	if req.HTTPMethod != http.MethodGet {
		return httpapi.MethodNotAllowed(http.MethodGet)
	}
	name := "index.html"
	if req.Resource == RouteAsset {
		name = req.PathParameters["proxy"]
	}
	f, ok := s.files[name]
	if !ok || name != path.Clean(name) {
		return problem.New(http.StatusNotFound, "not-found", "The console has no such file.").Response(s.with(nil))
	}
	if name == "index.html" {
		// The page names the caller's stage: never cached, by anyone.
		body := strings.Replace(s.page, baseHrefMarker, attrEscaper.Replace(basePath(req)), 1)
		return events.APIGatewayProxyResponse{StatusCode: http.StatusOK, Body: body, Headers: s.with(map[string]string{
			"Content-Type": f.contentType, "Cache-Control": "no-store",
		})}
	}
	h := s.with(map[string]string{"ETag": f.etag, "Cache-Control": "no-cache"})
	if inm := httpapi.Header(req, "If-None-Match"); inm != "" && strings.Contains(inm, f.etag) {
		return events.APIGatewayProxyResponse{StatusCode: http.StatusNotModified, Headers: h}
	}
	h["Content-Type"] = f.contentType
	return events.APIGatewayProxyResponse{StatusCode: http.StatusOK, Body: f.body, Headers: h}
}

// Headers are the security headers of every console response, config.json's too.
func (s *Site) Headers() map[string]string { return s.with(nil) }

// with is the security headers plus extra.
func (s *Site) with(extra map[string]string) map[string]string {
	h := make(map[string]string, len(s.headers)+len(extra))
	for k, v := range s.headers {
		h[k] = v
	}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

// basePath is the console's path as the caller reached it: the stage (or a
// custom domain's base path) that API Gateway put before the resource path,
// then /console/.
func basePath(req events.APIGatewayProxyRequest) string {
	prefix, ok := strings.CutSuffix(req.RequestContext.Path, req.Path)
	if !ok {
		prefix = ""
	}
	return strings.TrimRight(prefix, "/") + "/console/"
}

// contentTypes are the media types of the assets' extensions: text only.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

func contentType(name string) string {
	if t, ok := contentTypes[path.Ext(name)]; ok {
		return t
	}
	return "text/plain; charset=utf-8"
}
