package devstack

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/httpapi"
)

// MaxAPIBodyBytes is API Gateway's payload limit (10 MiB). The handler
// enforces its own, lower limit.
const MaxAPIBodyBytes = 10 << 20

// CatchAllResource is the Resource of a request no route template matches,
// as a `/{proxy+}` resource would name it.
const CatchAllResource = "/{proxy+}"

// ProxyHandler is an API Gateway REST proxy Lambda handler.
type ProxyHandler func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Authorizer validates a request's Authorization header, as API Gateway's
// Cognito authorizer does, and returns the claims the function gets.
type Authorizer interface {
	Authorize(ctx context.Context, authorization string) (map[string]any, error)
}

// APIGateway serves HTTP the way an API Gateway REST API with Lambda proxy
// integrations does (as `sam local start-api` emulates it): each request
// becomes an events.APIGatewayProxyRequest for Handler, whose response
// becomes the HTTP response.
type APIGateway struct {
	Handler ProxyHandler
	// Routes are resource templates such as /journeys/{journey_id}/targets.
	Routes []string
	// Methods, when set, are the methods of each route this function
	// serves: another function may serve other methods of the same
	// resource (Router).
	Methods map[string][]string
	// Stage is the API stage named in the request context.
	Stage string
	// FunctionName and Timeout describe the integrated function (Timeout
	// defaults to API Gateway's 29 s integration limit).
	FunctionName string
	Timeout      time.Duration
	// Authorizer, when set, guards every route but OpenRoutes: a request
	// without a valid token gets Unauthorized and never reaches Handler,
	// which gets the token's claims in requestContext.authorizer.claims.
	Authorizer   Authorizer
	OpenRoutes   []string
	Unauthorized events.APIGatewayProxyResponse
	Logger       *slog.Logger
	// Observe, when set, sees every request that reaches the API (as the
	// event) and the response sent, the authorizer's refusals included.
	Observe func(events.APIGatewayProxyRequest, events.APIGatewayProxyResponse)
}

func (g *APIGateway) logger() *slog.Logger {
	if g.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return g.Logger
}

// ServeHTTP implements http.Handler.
func (g *APIGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxAPIBodyBytes+1))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The server's read timeout ended a body that never arrived in full.
		writeGatewayError(w, http.StatusRequestTimeout, "Request Timeout")
		g.logger().Warn("request body not received in time", "method", r.Method, "path", r.URL.Path)
		return
	}
	if err != nil {
		writeGatewayError(w, http.StatusBadRequest, "Could not read the request body")
		return
	}
	if len(body) > MaxAPIBodyBytes {
		writeGatewayError(w, http.StatusRequestEntityTooLarge, "Request Too Long")
		g.logger().Warn("request body over API Gateway's 10 MiB limit", "method", r.Method, "path", r.URL.Path)
		return
	}
	ev := g.Event(r, body)
	if g.Authorizer != nil && !slices.Contains(g.OpenRoutes, ev.Resource) {
		claims, err := g.Authorizer.Authorize(r.Context(), r.Header.Get("Authorization"))
		if err != nil {
			g.logger().Info(fmt.Sprintf("%s %s %d", r.Method, r.URL.Path, g.Unauthorized.StatusCode), "resource", ev.Resource, "refused", err.Error(), "request_id", ev.RequestContext.RequestID)
			// As the stack's gateway response: the request id in a header and the body.
			refusal := httpapi.Finish(cloneResponse(g.Unauthorized), ev.RequestContext.RequestID)
			g.observe(ev, refusal)
			_ = WriteProxyResponse(w, refusal)
			return
		}
		ev.RequestContext.Authorizer = map[string]any{"claims": claims}
	}
	timeout := g.Timeout
	if timeout <= 0 {
		timeout = 29 * time.Second
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID:       uuid.NewString(),
		InvokedFunctionArn: functionARN(g.FunctionName),
	})
	resp, err := g.call(ctx, ev)
	if err != nil {
		g.logger().Error("integration failed", "method", r.Method, "path", ev.Path, "error", err)
		writeGatewayError(w, http.StatusBadGateway, "Internal server error")
		return
	}
	if err := WriteProxyResponse(w, resp); err != nil {
		g.logger().Error("malformed Lambda proxy response", "method", r.Method, "path", ev.Path, "error", err)
		writeGatewayError(w, http.StatusBadGateway, "Internal server error")
		return
	}
	g.observe(ev, resp)
	g.logger().Info(fmt.Sprintf("%s %s %d", r.Method, r.URL.RequestURI(), resp.StatusCode),
		"resource", ev.Resource, "request_id", ev.RequestContext.RequestID, "duration", time.Since(start).Round(time.Millisecond))
}

func (g *APIGateway) observe(ev events.APIGatewayProxyRequest, resp events.APIGatewayProxyResponse) {
	if g.Observe != nil {
		g.Observe(ev, resp)
	}
}

// cloneResponse copies resp's headers, so a response shared by every
// request is never changed.
func cloneResponse(resp events.APIGatewayProxyResponse) events.APIGatewayProxyResponse {
	h := make(map[string]string, len(resp.Headers))
	for k, v := range resp.Headers {
		h[k] = v
	}
	resp.Headers = h
	return resp
}

func (g *APIGateway) call(ctx context.Context, ev events.APIGatewayProxyRequest) (resp events.APIGatewayProxyResponse, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panicked: %v", p)
		}
	}()
	return g.Handler(ctx, ev)
}

// Event translates an HTTP request with its (already read) body into the
// proxy event API Gateway would send.
func (g *APIGateway) Event(r *http.Request, body []byte) events.APIGatewayProxyRequest {
	path := r.URL.Path
	if path == "" {
		path = "/"
	}
	resource, params := MatchRoute(g.Routes, path)

	headers := map[string]string{}
	multiHeaders := map[string][]string{}
	add := func(k string, vs ...string) {
		multiHeaders[k] = append(multiHeaders[k], vs...)
		headers[k] = vs[len(vs)-1] // API Gateway keeps the last value
	}
	if r.Host != "" {
		add("Host", r.Host)
	}
	for k, vs := range r.Header {
		if len(vs) > 0 {
			add(k, vs...)
		}
	}
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	// Set by API Gateway's front end, never by the client.
	for k, v := range map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-For": sourceIP, "X-Forwarded-Port": portOf(r.Host)} {
		if v == "" {
			continue
		}
		headers[k] = v
		multiHeaders[k] = []string{v}
	}

	var query map[string]string
	var multiQuery map[string][]string
	if q := r.URL.Query(); len(q) > 0 {
		query = map[string]string{}
		multiQuery = map[string][]string{}
		for k, vs := range q {
			query[k] = vs[len(vs)-1]
			multiQuery[k] = vs
		}
	}

	ev := events.APIGatewayProxyRequest{
		Resource:                        resource,
		Path:                            path,
		HTTPMethod:                      r.Method,
		Headers:                         headers,
		MultiValueHeaders:               multiHeaders,
		QueryStringParameters:           query,
		MultiValueQueryStringParameters: multiQuery,
		PathParameters:                  params,
		StageVariables:                  nil,
	}
	if len(body) > 0 {
		if isTextBody(r.Header.Get("Content-Type"), body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	now := time.Now().UTC()
	ev.RequestContext = events.APIGatewayProxyRequestContext{
		AccountID:         "123456789012",
		ResourceID:        "local",
		Stage:             g.Stage,
		RequestID:         uuid.NewString(),
		ExtendedRequestID: uuid.NewString(),
		RequestTime:       now.Format("02/Jan/2006:15:04:05 -0700"),
		RequestTimeEpoch:  now.UnixMilli(),
		HTTPMethod:        r.Method,
		ResourcePath:      resource,
		// The local API is served without a stage prefix (like a custom
		// domain), so the context path equals the request path.
		Path:       path,
		Protocol:   r.Proto,
		DomainName: r.Host,
		APIID:      "local",
		Identity: events.APIGatewayRequestIdentity{
			SourceIP:  sourceIP,
			UserAgent: r.UserAgent(),
		},
	}
	if prefix, _, ok := strings.Cut(r.Host, "."); ok {
		ev.RequestContext.DomainPrefix = prefix
	} else {
		ev.RequestContext.DomainPrefix = r.Host
	}
	return ev
}

// Router serves one REST API whose routes several functions serve: a
// request goes to the first gateway serving its path and method, else to
// the first with a route for its path (whose function answers 405), and to
// the first gateway when none has one (as a catch-all resource would).
type Router []*APIGateway

// ServeHTTP implements http.Handler.
func (rt Router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var samePath *APIGateway
	for _, g := range rt {
		resource, _ := MatchRoute(g.Routes, r.URL.Path)
		if resource == CatchAllResource {
			continue
		}
		if g.Methods == nil || slices.Contains(g.Methods[resource], r.Method) {
			g.ServeHTTP(w, r)
			return
		}
		if samePath == nil {
			samePath = g
		}
	}
	if samePath != nil {
		samePath.ServeHTTP(w, r)
		return
	}
	rt[0].ServeHTTP(w, r)
}

// MatchRoute finds the route template matching path and its path
// parameters; a path no template matches gets CatchAllResource. As in API
// Gateway, a template whose last segment is greedy ({proxy+}) matches one
// or more segments, and only when no template matches segment for segment.
func MatchRoute(routes []string, path string) (string, map[string]string) {
	segs := splitPath(path)
	greedy, greedyParams := "", map[string]string(nil)
	for _, route := range routes {
		tsegs := splitPath(route)
		last := len(tsegs) - 1
		isGreedy := last >= 0 && strings.HasPrefix(tsegs[last], "{") && strings.HasSuffix(tsegs[last], "+}")
		if isGreedy {
			if greedy != "" || len(segs) < len(tsegs) {
				continue
			}
			if params, ok := matchSegments(tsegs[:last], segs[:last]); ok {
				params[strings.TrimSuffix(strings.TrimPrefix(tsegs[last], "{"), "+}")] = strings.Join(segs[last:], "/")
				greedy, greedyParams = route, params
			}
			continue
		}
		if len(tsegs) != len(segs) {
			continue
		}
		if params, ok := matchSegments(tsegs, segs); ok {
			if len(params) == 0 {
				params = nil
			}
			return route, params
		}
	}
	if greedy != "" {
		return greedy, greedyParams
	}
	return CatchAllResource, map[string]string{"proxy": strings.TrimPrefix(path, "/")}
}

// matchSegments matches path segments to template segments of the same
// number, and returns the {name} parameters.
func matchSegments(tsegs, segs []string) (map[string]string, bool) {
	params := map[string]string{}
	for i, t := range tsegs {
		if strings.HasPrefix(t, "{") && strings.HasSuffix(t, "}") {
			if segs[i] == "" {
				return nil, false
			}
			params[strings.TrimSuffix(strings.TrimPrefix(t, "{"), "}")] = segs[i]
			continue
		}
		if t != segs[i] {
			return nil, false
		}
	}
	return params, true
}

func splitPath(p string) []string {
	p = strings.Trim(p, "/")
	if p == "" {
		return nil
	}
	return strings.Split(p, "/")
}

// isTextBody tells whether API Gateway would pass body as text: a textual
// media type (or none) and valid UTF-8. Anything else is base64-encoded.
func isTextBody(contentType string, body []byte) bool {
	if !utf8.Valid(body) {
		return false
	}
	if contentType == "" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return true // a malformed type: pass the text on and let the handler judge it
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/x-www-form-urlencoded",
		mt == "application/javascript", mt == "application/x-ndjson":
		return true
	}
	return false
}

// WriteProxyResponse writes a Lambda proxy response as API Gateway does:
// multi-value headers merged with single-value ones, base64 bodies decoded.
func WriteProxyResponse(w http.ResponseWriter, resp events.APIGatewayProxyResponse) error {
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return fmt.Errorf("status code %d", resp.StatusCode)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			return fmt.Errorf("body flagged base64 does not decode: %w", err)
		}
	}
	h := w.Header()
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		if !contains(h.Values(k), v) {
			h.Add(k, v)
		}
	}
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(body) // a write error means the client went away
	return nil
}

func contains(vs []string, v string) bool {
	for _, x := range vs {
		if x == v {
			return true
		}
	}
	return false
}

// writeGatewayError answers as API Gateway itself does, with {"message": ...}.
func writeGatewayError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, "{\"message\":%q}\n", msg)
}

func portOf(host string) string {
	if _, port, err := net.SplitHostPort(host); err == nil {
		return port
	}
	return ""
}

func functionARN(name string) string {
	if name == "" {
		return ""
	}
	return "arn:aws:lambda:us-east-1:123456789012:function:" + name
}
