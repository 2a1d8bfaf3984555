// Package problem writes RFC 9457 problem details for API Gateway responses.
package problem

import (
	"encoding/json"
	"net/http"

	"github.com/aws/aws-lambda-go/events"
	"github.com/targetloader/targetloader/shared/domain"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// TypeBase prefixes every problem type URI; the README documents each type.
const TypeBase = "https://github.com/targetloader/targetloader/blob/main/README.md#problem-"

// Details is a problem document.
type Details struct {
	Type   string              `json:"type"`
	Title  string              `json:"title"`
	Status int                 `json:"status"`
	Detail string              `json:"detail,omitempty"`
	Errors []domain.FieldError `json:"errors,omitempty"`
	// RequestID is the request's id, as in its X-Request-Id header and the
	// service's log lines, to quote when asking for help.
	RequestID string `json:"request_id,omitempty"`
}

// New builds a problem of the given slug (documented in the README) and status.
func New(status int, slug, detail string) Details {
	return Details{Type: TypeBase + slug, Title: http.StatusText(status), Status: status, Detail: detail}
}

// Response renders d as an API Gateway proxy response with extra headers.
func (d Details) Response(headers map[string]string) events.APIGatewayProxyResponse {
	body, _ := json.Marshal(d) // only strings and ints: cannot fail
	h := map[string]string{"Content-Type": ContentType}
	for k, v := range headers {
		h[k] = v
	}
	return events.APIGatewayProxyResponse{StatusCode: d.Status, Headers: h, Body: string(body)}
}
