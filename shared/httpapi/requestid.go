package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"
	"github.com/targetloader/targetloader/shared/problem"
)

// HeaderRequestID carries the request's id on every response (PRODUCT.md §9).
const HeaderRequestID = "X-Request-Id"

// LogKeyRequestID is the log attribute holding the request's id.
const LogKeyRequestID = "request_id"

type requestIDKey struct{}

// RequestID is the id of req: API Gateway's requestContext.requestId (also
// in its access logs), else the Lambda invocation's id, else a new one for
// an event that carries neither.
func RequestID(ctx context.Context, req events.APIGatewayProxyRequest) string {
	if id := req.RequestContext.RequestID; id != "" {
		return id
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok && lc.AwsRequestID != "" {
		return lc.AwsRequestID
	}
	return uuid.NewString()
}

// WithRequestID is ctx carrying the request id that LogHandler adds to
// every log line written with that context.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom is the request id ctx carries, "" when none.
func RequestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// RequestLogger is log with every line written with a request's context
// (InfoContext, ErrorContext, ...) carrying that request's id.
func RequestLogger(log *slog.Logger) *slog.Logger {
	if _, ok := log.Handler().(requestIDHandler); ok {
		return log
	}
	return slog.New(requestIDHandler{log.Handler()})
}

type requestIDHandler struct{ slog.Handler }

func (h requestIDHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := RequestIDFrom(ctx); id != "" {
		r.AddAttrs(slog.String(LogKeyRequestID, id))
	}
	return h.Handler.Handle(ctx, r)
}

func (h requestIDHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return requestIDHandler{h.Handler.WithAttrs(attrs)}
}

func (h requestIDHandler) WithGroup(name string) slog.Handler {
	return requestIDHandler{h.Handler.WithGroup(name)}
}

// Finish stamps a response with its request's id: the X-Request-Id header,
// and request_id in a problem document.
func Finish(resp events.APIGatewayProxyResponse, id string) events.APIGatewayProxyResponse {
	if resp.Headers == nil {
		resp.Headers = map[string]string{}
	}
	resp.Headers[HeaderRequestID] = id
	if resp.Headers["Content-Type"] != problem.ContentType || resp.IsBase64Encoded {
		return resp
	}
	var d problem.Details
	if err := json.Unmarshal([]byte(resp.Body), &d); err != nil {
		return resp // not ours to fix: the header still carries the id
	}
	d.RequestID = id
	body, _ := json.Marshal(d)
	resp.Body = string(body)
	return resp
}
