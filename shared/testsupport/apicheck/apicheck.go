// Package apicheck holds the API to its OpenAPI document in tests: every
// request a handler or the local API serves, and its response, is checked
// with kin-openapi's validator (openapi3filter, JSON Schema 2020-12 for
// OpenAPI 3.1). A response must be documented for its route and status,
// with its required headers and a body its schema allows; a request the
// service accepted (2xx) must be one the document allows too.
package apicheck

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/targetloader/targetloader/shared/httpapi"
	"github.com/targetloader/targetloader/shared/openapi"
	"github.com/targetloader/targetloader/shared/problem"
)

// catchAll is the resource of a request no route matches (as API Gateway's
// /{proxy+} would name it): a 404 problem, not a documented route.
const catchAll = "/{proxy+}"

// Uploads are files of rows the service checks one by one: to the document
// they are text. (kin-openapi's CSV decoder would refuse a file with a
// broken row, which the service answers as a bad row.)
func init() {
	for _, mediaType := range []string{"text/csv", "application/x-ndjson", "application/jsonl"} {
		openapi3filter.RegisterBodyDecoder(mediaType, openapi3filter.PlainBodyDecoder)
	}
}

// Document loads and validates the OpenAPI document once per process.
var Document = sync.OnceValues(func() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.Document)
	if err != nil {
		return nil, fmt.Errorf("load the OpenAPI document: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("the OpenAPI document is not valid: %w", err)
	}
	return doc, nil
})

// Checker checks exchanges against the document and reports what does not conform.
type Checker struct {
	report func(string)

	mu       sync.Mutex
	checked  int
	seen     map[string]bool
	failures []string
}

// New reports every exchange that does not conform as an error of t.
func New(t testing.TB) *Checker {
	return &Checker{report: func(s string) { t.Helper(); t.Error(s) }, seen: map[string]bool{}}
}

// Collecting keeps what does not conform, for Failures (a TestMain's
// checker, which outlives every test).
func Collecting() *Checker {
	c := &Checker{seen: map[string]bool{}}
	c.report = func(s string) { c.mu.Lock(); defer c.mu.Unlock(); c.failures = append(c.failures, s) }
	return c
}

// Failures lists what did not conform so far (a Collecting checker's).
func (c *Checker) Failures() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.failures...)
}

// Checked is how many exchanges were checked, and the operations they
// covered ("METHOD /path STATUS").
func (c *Checker) Checked() (int, []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var ops []string
	for k := range c.seen {
		ops = append(ops, k)
	}
	return c.checked, ops
}

// Handler is an API Gateway proxy handler.
type Handler func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)

// Wrap checks every exchange h serves.
func (c *Checker) Wrap(h Handler) Handler {
	return func(ctx context.Context, req events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error) {
		resp, err := h(ctx, req)
		if err == nil {
			c.Observe(req, resp)
		}
		return resp, err
	}
}

// Observe checks one request (as API Gateway's event) and its response.
func (c *Checker) Observe(req events.APIGatewayProxyRequest, resp events.APIGatewayProxyResponse) {
	what := fmt.Sprintf("%s %s -> %d", req.HTTPMethod, req.Path, resp.StatusCode)
	fail := func(format string, args ...any) {
		c.report(fmt.Sprintf("OpenAPI: %s: %s", what, fmt.Sprintf(format, args...)))
	}
	c.mu.Lock()
	c.checked++
	c.seen[fmt.Sprintf("%s %s %d", req.HTTPMethod, req.Resource, resp.StatusCode)] = true
	c.mu.Unlock()

	doc, err := Document()
	if err != nil {
		fail("%v", err)
		return
	}
	header := responseHeader(resp)
	body, err := responseBody(resp)
	if err != nil {
		fail("%v", err)
		return
	}
	item := doc.Paths.Find(req.Resource)
	if req.Resource == catchAll || item == nil || item.GetOperation(req.HTTPMethod) == nil {
		// No operation: an unknown route (404) or method (405), answered
		// with a problem document. (TestDocumentCoversEveryRoute holds the
		// document to every route the API serves.)
		if item == nil && resp.StatusCode != http.StatusNotFound {
			fail("resource %s is not in the document", req.Resource)
		}
		if header.Get(httpapi.HeaderRequestID) == "" {
			fail("no %s header", httpapi.HeaderRequestID)
		}
		checkProblem(doc, header, body, fail)
		return
	}
	route := &routers.Route{Spec: doc, Path: req.Resource, PathItem: item, Method: req.HTTPMethod, Operation: item.GetOperation(req.HTTPMethod)}
	httpReq, err := httpRequest(req)
	if err != nil {
		fail("%v", err)
		return
	}
	in := &openapi3filter.RequestValidationInput{
		Request:     httpReq,
		PathParams:  req.PathParameters,
		QueryParams: httpReq.URL.Query(),
		Route:       route,
		Options:     &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	ctx := context.Background()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The service accepted it: the document must allow it too.
		if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
			fail("the service accepted a request the document does not allow: %v", err)
		}
	}
	err = openapi3filter.ValidateResponse(ctx, &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.StatusCode,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	})
	if err != nil {
		fail("the response does not conform: %v", err)
	}
}

// checkProblem holds a response without an operation to the Problem schema.
func checkProblem(doc *openapi3.T, header http.Header, body []byte, fail func(string, ...any)) {
	if ct := header.Get("Content-Type"); ct != problem.ContentType {
		fail("Content-Type %q, want %s", ct, problem.ContentType)
		return
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		fail("body is not JSON: %v", err)
		return
	}
	if err := doc.Components.Schemas["Problem"].Value.VisitJSON(v, openapi3.EnableJSONSchema2020()); err != nil {
		fail("body is not a Problem: %v", err)
	}
}

func responseHeader(resp events.APIGatewayProxyResponse) http.Header {
	h := http.Header{}
	for k, vs := range resp.MultiValueHeaders {
		for _, v := range vs {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		if h.Get(k) != v {
			h.Add(k, v)
		}
	}
	return h
}

func responseBody(resp events.APIGatewayProxyResponse) ([]byte, error) {
	if resp.IsBase64Encoded {
		return base64.StdEncoding.DecodeString(resp.Body)
	}
	return []byte(resp.Body), nil
}

// httpRequest is the HTTP request an API Gateway event stands for.
func httpRequest(req events.APIGatewayProxyRequest) (*http.Request, error) {
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return nil, err
		}
	}
	q := url.Values{}
	for k, vs := range req.MultiValueQueryStringParameters {
		q[k] = vs
	}
	for k, v := range req.QueryStringParameters {
		if _, ok := q[k]; !ok {
			q.Set(k, v)
		}
	}
	u := &url.URL{Scheme: "https", Host: "api.invalid", Path: req.Path, RawQuery: q.Encode()}
	r, err := http.NewRequest(req.HTTPMethod, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range req.MultiValueHeaders {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for k, v := range req.Headers {
		if r.Header.Get(k) == "" {
			r.Header.Set(k, v)
		}
	}
	if strings.TrimSpace(r.Header.Get("Content-Type")) == "" && len(body) > 0 {
		r.Header.Set("Content-Type", "application/json")
	}
	return r, nil
}
