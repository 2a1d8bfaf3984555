package devstack

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambda/messages"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/google/uuid"
)

// MaxInvokePayloadBytes is Lambda's synchronous invocation payload limit.
const MaxInvokePayloadBytes = 6 << 20

// Function is one function served by the Invoke API.
type Function struct {
	// Name is the function's physical name; Aliases are other names it
	// answers to (e.g. the short name and the SAM logical id).
	Name    string
	Aliases []string
	// Handler is a handler function as lambda.Start accepts it.
	Handler any
	// Timeout is the function's timeout.
	Timeout time.Duration
}

// InvokeAPI serves the Lambda Invoke API
// (POST /2015-03-31/functions/{name}/invocations) the way
// `sam local start-lambda` does, so the AWS CLI and SDKs can invoke the
// functions with --endpoint-url.
type InvokeAPI struct {
	Functions []Function
	Logger    *slog.Logger
}

func (a *InvokeAPI) logger() *slog.Logger {
	if a.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return a.Logger
}

// Lookup finds a function by name, alias, ARN or name with a qualifier.
func (a *InvokeAPI) Lookup(name string) (Function, bool) {
	// arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
	if i := strings.Index(name, ":function:"); i >= 0 {
		name = name[i+len(":function:"):]
	}
	name, _, _ = strings.Cut(name, ":")
	for _, f := range a.Functions {
		if f.Name == name {
			return f, true
		}
		for _, al := range f.Aliases {
			if al == name {
				return f, true
			}
		}
	}
	return Function{}, false
}

// ServeHTTP implements http.Handler.
func (a *InvokeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	name, tail, _ := strings.Cut(rest, "/")
	if !ok || tail != "invocations" || name == "" {
		writeLambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Only POST /2015-03-31/functions/{name}/invocations is served here.")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeLambdaError(w, http.StatusMethodNotAllowed, "InvalidRequestContentException", "Use POST to invoke a function.")
		return
	}
	fn, ok := a.Lookup(name)
	if !ok {
		writeLambdaError(w, http.StatusNotFound, "ResourceNotFoundException", "Function not found: "+functionARN(name))
		return
	}
	payload, err := io.ReadAll(io.LimitReader(r.Body, MaxInvokePayloadBytes+1))
	if err != nil {
		writeLambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not read the payload.")
		return
	}
	if len(payload) > MaxInvokePayloadBytes {
		writeLambdaError(w, http.StatusRequestEntityTooLarge, "RequestTooLargeException", "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	if len(payload) == 0 {
		payload = []byte("{}")
	}
	if !json.Valid(payload) {
		writeLambdaError(w, http.StatusBadRequest, "InvalidRequestContentException", "Could not parse request body into json: the payload is not valid JSON")
		return
	}
	requestID := uuid.NewString()
	w.Header().Set("X-Amzn-RequestId", requestID)
	w.Header().Set("X-Amz-Executed-Version", "$LATEST")
	switch typ := r.Header.Get("X-Amz-Invocation-Type"); typ {
	case "", "RequestResponse":
	case "DryRun":
		w.WriteHeader(http.StatusNoContent)
		return
	case "Event":
		go func() {
			_, _, _ = a.Invoke(context.Background(), fn, requestID, payload)
		}()
		w.WriteHeader(http.StatusAccepted)
		return
	default:
		writeLambdaError(w, http.StatusBadRequest, "InvalidParameterValueException", "Unknown invocation type "+typ)
		return
	}
	out, fnErr, err := a.Invoke(r.Context(), fn, requestID, payload)
	if err != nil {
		writeLambdaError(w, http.StatusInternalServerError, "ServiceException", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if fnErr != nil {
		body, _ := json.Marshal(fnErr)
		w.Header().Set("X-Amz-Function-Error", "Unhandled")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
		return
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// Invoke runs fn with payload as the Lambda runtime would: a context with
// the function's deadline and Lambda context, the payload decoded into the
// handler's argument type and the result encoded as JSON. A function error
// is returned as fnErr (as Lambda reports it); err is a fault of the emulator.
func (a *InvokeAPI) Invoke(ctx context.Context, fn Function, requestID string, payload []byte) (out []byte, fnErr *messages.InvokeResponse_Error, err error) {
	timeout := fn.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{AwsRequestID: requestID, InvokedFunctionArn: functionARN(fn.Name)})
	start := time.Now()
	log := a.logger().With("function", fn.Name, "request_id", requestID)
	defer func() {
		if p := recover(); p != nil {
			fnErr = &messages.InvokeResponse_Error{Type: "Runtime.Panic", Message: fmt.Sprint(p)}
			log.Error("function panicked", "panic", p)
		}
	}()
	// A new handler per invocation: the library reuses its output buffer
	// between invocations of one handler, so sharing one is not safe for
	// concurrent calls.
	res, herr := lambda.NewHandler(fn.Handler).Invoke(ctx, payload)
	if herr != nil {
		e := toFunctionError(herr)
		if ctx.Err() == context.DeadlineExceeded {
			e = &messages.InvokeResponse_Error{Type: "Sandbox.Timedout", Message: fmt.Sprintf("Task timed out after %.2f seconds", timeout.Seconds())}
		}
		log.Warn("invocation returned a function error", "error_type", e.Type, "error", e.Message, "duration", time.Since(start).Round(time.Millisecond))
		return nil, e, nil
	}
	out = append([]byte(nil), res...)
	log.Info("invoked", "duration", time.Since(start).Round(time.Millisecond), "response_bytes", len(out))
	return out, nil, nil
}

func toFunctionError(err error) *messages.InvokeResponse_Error {
	switch e := err.(type) {
	case messages.InvokeResponse_Error:
		return &e
	case *messages.InvokeResponse_Error:
		return e
	}
	typ := fmt.Sprintf("%T", err)
	if i := strings.LastIndex(typ, "."); i >= 0 {
		typ = typ[i+1:]
	}
	return &messages.InvokeResponse_Error{Type: strings.TrimPrefix(typ, "*"), Message: err.Error()}
}

// writeLambdaError answers as the Lambda service does for a failed API call.
func writeLambdaError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	body, _ := json.Marshal(map[string]string{"Type": "User", "Message": msg, "__type": typ})
	_, _ = w.Write(body)
}
