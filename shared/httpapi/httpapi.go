// Package httpapi holds what the API handlers (ingest, manage) share at the
// HTTP edge of an API Gateway proxy event: headers, bodies, JSON responses
// and paging parameters. Problem documents are shared/problem's.
package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/problem"
)

// Page sizes of every paginated listing: limit is 1 to MaxPageSize,
// DefaultPageSize when absent.
const (
	DefaultPageSize = 100
	MaxPageSize     = 500
)

// JSON is a response with v as its JSON body.
func JSON(status int, v any, headers map[string]string) events.APIGatewayProxyResponse {
	body, _ := json.Marshal(v)
	h := map[string]string{"Content-Type": "application/json"}
	for k, val := range headers {
		h[k] = val
	}
	return events.APIGatewayProxyResponse{StatusCode: status, Headers: h, Body: string(body)}
}

// Header reads a header case-insensitively, as HTTP requires.
func Header(req events.APIGatewayProxyRequest, name string) string {
	v, _ := LookupHeader(req, name)
	return v
}

// LookupHeader reads a header case-insensitively and reports whether it was sent.
func LookupHeader(req events.APIGatewayProxyRequest, name string) (string, bool) {
	for k, v := range req.Headers {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	for k, v := range req.MultiValueHeaders {
		if strings.EqualFold(k, name) && len(v) > 0 {
			return v[0], true
		}
	}
	return "", false
}

// IsJSON tells whether a Content-Type is application/json.
func IsJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/json"
}

// Body is the request body, decoded when API Gateway base64-encoded it.
func Body(req events.APIGatewayProxyRequest) ([]byte, error) {
	if req.IsBase64Encoded {
		return base64.StdEncoding.DecodeString(req.Body)
	}
	return []byte(req.Body), nil
}

// LimitedBody is the request body of at most limit bytes, decoded when API
// Gateway base64-encoded it; bad is the problem of one that does not decode
// (400 invalid-body) or is longer (413 body-too-large).
func LimitedBody(req events.APIGatewayProxyRequest, limit int) (body []byte, bad *problem.Details) {
	body, err := Body(req)
	if err != nil {
		d := problem.New(http.StatusBadRequest, "invalid-body", "The body is flagged base64 but does not decode.")
		return nil, &d
	}
	if len(body) > limit {
		d := problem.New(http.StatusRequestEntityTooLarge, "body-too-large", fmt.Sprintf("The body is %d bytes; at most %d are accepted.", len(body), limit))
		return nil, &d
	}
	return body, nil
}

// IdempotencyKey reads the optional Idempotency-Key header, trimmed; bad is
// the problem of one sent but not valid (400 invalid-idempotency-key).
func IdempotencyKey(req events.APIGatewayProxyRequest) (key string, sent bool, bad *problem.Details) {
	key, sent = LookupHeader(req, "Idempotency-Key")
	if key = strings.TrimSpace(key); sent && !domain.ValidIdempotencyKey(key) {
		d := problem.New(http.StatusBadRequest, "invalid-idempotency-key", fmt.Sprintf("Idempotency-Key must be 1 to %d printable ASCII characters.", domain.MaxIdempotencyKeyChars))
		return "", true, &d
	}
	return key, sent, nil
}

// MethodNotAllowed answers a method the resource does not serve.
func MethodNotAllowed(allowed ...string) events.APIGatewayProxyResponse {
	list := strings.Join(allowed, ", ")
	return problem.New(http.StatusMethodNotAllowed, "method-not-allowed", "Use "+strings.Join(allowed, " or ")+" on this resource.").Response(map[string]string{"Allow": list})
}

// PageLimit reads the limit query parameter; a bad one is a 400 problem.
func PageLimit(req events.APIGatewayProxyRequest) (int, *problem.Details) {
	v := req.QueryStringParameters["limit"]
	if v == "" {
		return DefaultPageSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > MaxPageSize {
		d := problem.New(http.StatusBadRequest, "invalid-query", fmt.Sprintf("limit must be a whole number from 1 to %d.", MaxPageSize))
		return 0, &d
	}
	return n, nil
}

// BaseURL is the API's base URL as the caller reached it, stage (or a
// custom domain's base path) included: API Gateway sets Host and
// X-Forwarded-Proto, and the context path is the request path behind it.
func BaseURL(req events.APIGatewayProxyRequest) string {
	proto := Header(req, "X-Forwarded-Proto")
	if proto == "" {
		proto = "https"
	}
	host := Header(req, "Host")
	if host == "" {
		host = req.RequestContext.DomainName
	}
	prefix := strings.TrimSuffix(req.RequestContext.Path, req.Path)
	return proto + "://" + host + prefix
}
