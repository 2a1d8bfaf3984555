package devstack

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambda/messages"
)

type echoReq struct {
	Operation string `json:"operation"`
}

func newInvokeAPI() *InvokeAPI {
	return &InvokeAPI{Functions: []Function{{
		Name:    "targetloader-local-tokens",
		Aliases: []string{"tokens", "TokensFunction"},
		Timeout: time.Second,
		Handler: func(ctx context.Context, r echoReq) (any, error) {
			switch r.Operation {
			case "fail":
				return nil, messages.InvokeResponse_Error{Type: "NotFound", Message: "journey J9 does not exist"}
			case "plain":
				return nil, errors.New("plain failure")
			case "panic":
				panic("boom")
			case "slow":
				<-ctx.Done()
				return nil, ctx.Err()
			}
			return map[string]string{"echo": r.Operation}, nil
		},
	}}}
}

func invoke(t *testing.T, a *InvokeAPI, name, payload string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/2015-03-31/functions/"+name+"/invocations", strings.NewReader(payload)))
	return w
}

func TestInvokeNames(t *testing.T) {
	a := newInvokeAPI()
	for _, name := range []string{"tokens", "TokensFunction", "targetloader-local-tokens", "targetloader-local-tokens:$LATEST", "arn:aws:lambda:us-east-1:123456789012:function:tokens"} {
		w := invoke(t, a, name, `{"operation":"options"}`)
		if w.Code != 200 || w.Header().Get("X-Amz-Function-Error") != "" || strings.TrimSpace(w.Body.String()) != `{"echo":"options"}` {
			t.Errorf("%s: %d %v %s", name, w.Code, w.Header(), w.Body)
		}
	}
}

func TestInvokeUnknownFunction(t *testing.T) {
	w := invoke(t, newInvokeAPI(), "nope", `{}`)
	if w.Code != 404 || w.Header().Get("X-Amzn-ErrorType") != "ResourceNotFoundException" || !strings.Contains(w.Body.String(), "ResourceNotFoundException") {
		t.Errorf("%d %v %s", w.Code, w.Header(), w.Body)
	}
}

func TestInvokeFunctionErrors(t *testing.T) {
	for op, wantType := range map[string]string{"fail": "NotFound", "plain": "errorString", "panic": "Runtime.Panic", "slow": "Sandbox.Timedout"} {
		w := invoke(t, newInvokeAPI(), "tokens", `{"operation":"`+op+`"}`)
		var e messages.InvokeResponse_Error
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil {
			t.Fatalf("%s: %v %s", op, err, w.Body)
		}
		if w.Code != 200 || w.Header().Get("X-Amz-Function-Error") != "Unhandled" || e.Type != wantType || e.Message == "" {
			t.Errorf("%s: %d %v %+v", op, w.Code, w.Header(), e)
		}
	}
	w := invoke(t, newInvokeAPI(), "tokens", `{"operation":"fail"}`)
	if got := strings.TrimSpace(w.Body.String()); got != `{"errorMessage":"journey J9 does not exist","errorType":"NotFound"}` {
		t.Errorf("body %s", got)
	}
}

func TestInvokeBadRequests(t *testing.T) {
	a := newInvokeAPI()
	if w := invoke(t, a, "tokens", `{not json`); w.Code != 400 {
		t.Errorf("bad JSON: %d", w.Code)
	}
	w := httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/2015-03-31/functions/tokens/invocations", nil))
	if w.Code != 405 {
		t.Errorf("GET: %d", w.Code)
	}
	w = httptest.NewRecorder()
	a.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/other", nil))
	if w.Code != 404 {
		t.Errorf("other path: %d", w.Code)
	}
	w = httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodPost, "/2015-03-31/functions/tokens/invocations", strings.NewReader(`{}`))
	r.Header.Set("X-Amz-Invocation-Type", "DryRun")
	a.ServeHTTP(w, r)
	if w.Code != 204 {
		t.Errorf("DryRun: %d", w.Code)
	}
}

func TestInvokeConcurrent(t *testing.T) {
	a := newInvokeAPI()
	srv := httptest.NewServer(a)
	defer srv.Close()
	errs := make(chan error, 20)
	for i := range 20 {
		go func() {
			op := strings.Repeat("x", i+1)
			resp, err := http.Post(srv.URL+"/2015-03-31/functions/tokens/invocations", "application/json", strings.NewReader(`{"operation":"`+op+`"}`))
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var out map[string]string
			if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out["echo"] != op {
				errs <- errors.New("wrong response for " + op)
				return
			}
			errs <- nil
		}()
	}
	for range 20 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
