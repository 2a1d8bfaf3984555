package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/targetloader/targetloader/shared/problem"
)

// httpClient calls the management API; its timeout covers API Gateway's 29 s.
var httpClient = &http.Client{Timeout: 35 * time.Second}

// apiError is a problem document the API answered with. Every command
// shows it the same way: its detail, which is meant for the user, and the
// HTTP status.
type apiError struct {
	Status int
	problem.Details
}

func (e *apiError) Error() string {
	detail := e.Detail
	if detail == "" {
		detail = e.Title
	}
	if detail == "" {
		detail = "the API refused the request"
	}
	return fmt.Sprintf("%s (HTTP %d)", detail, e.Status)
}

// call sends a request to the management API as the signed-in user and
// decodes the JSON answer into out. When the API refuses the sign-in (401)
// the session is renewed once and the request sent again. Calls may run at
// once: the session is read and renewed under a lock.
func (a *app) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	a.sessionMu.Lock()
	s, err := a.session(ctx)
	sent := ""
	if err == nil {
		sent = s.IDToken
	}
	a.sessionMu.Unlock()
	if err != nil {
		return err
	}
	target := s.APIURL + path
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	err = a.request(ctx, method, target, sent, body, out)
	var ae *apiError
	if !errors.As(err, &ae) || ae.Status != http.StatusUnauthorized {
		return err
	}
	a.sessionMu.Lock()
	err = nil
	if s.IDToken == sent { // not renewed by another call meanwhile
		err = a.renew(ctx, s)
	}
	renewed := s.IDToken
	a.sessionMu.Unlock()
	if err != nil {
		return err
	}
	err = a.request(ctx, method, target, renewed, body, out)
	if errors.As(err, &ae) && ae.Status == http.StatusUnauthorized {
		return fmt.Errorf("%w\nsign in again: tl %slogin", err, map[bool]string{true: "--aws "}[a.useAWS])
	}
	return err
}

// rawBody is a request body sent as it is (a file), with its media type
// and extra headers; any other body is sent as JSON.
type rawBody struct {
	contentType string
	data        []byte
	headers     map[string]string
}

// request sends one HTTP request (with the ID token when idToken is set)
// and decodes a 2xx JSON answer into out; anything else is an error.
func (a *app) request(ctx context.Context, method, target, idToken string, body, out any) error {
	var rd io.Reader
	headers := map[string]string{}
	switch b := body.(type) {
	case nil:
	case rawBody:
		rd = bytes.NewReader(b.data)
		headers["Content-Type"] = b.contentType
		for k, v := range b.headers {
			headers[k] = v
		}
	default:
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(data)
		headers["Content-Type"] = "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return fmt.Errorf("API URL %q: %w", target, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "tl")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	if idToken != "" {
		req.Header.Set("Authorization", "Bearer "+idToken)
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		if !a.useAWS {
			return fmt.Errorf("cannot reach the local %s at %s: is `make dev` running? If it serves elsewhere, set %s or --%s (--aws talks to AWS)",
				localAPI.what, a.apiURL, localAPI.env, localAPI.flag)
		}
		return fmt.Errorf("%s %s: %w", method, target, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, target, err)
	}
	if resp.StatusCode/100 != 2 {
		ae := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(b, &ae.Details) != nil || ae.Details.Status == 0 {
			// Not a problem document: API Gateway's own answer, or not our API.
			answer := strings.TrimSpace(string(b[:min(len(b), 200)]))
			if answer == "" {
				answer = http.StatusText(resp.StatusCode)
			}
			ae.Details = problem.Details{Status: resp.StatusCode, Title: http.StatusText(resp.StatusCode),
				Detail: fmt.Sprintf("%s %s answered %q", method, target, answer)}
		}
		return ae
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("%s %s: unexpected answer: %w", method, target, err)
	}
	return nil
}

// listAll reads every page of a listing: items gives a page's items and
// the cursor of the next page.
func listAll[P, T any](ctx context.Context, a *app, path string, query url.Values, items func(P) ([]T, string)) ([]T, error) {
	if query == nil {
		query = url.Values{}
	}
	query.Set("limit", "500")
	var all []T
	for {
		var page P
		if err := a.call(ctx, http.MethodGet, path, query, nil, &page); err != nil {
			return nil, err
		}
		got, next := items(page)
		all = append(all, got...)
		if next == "" {
			return all, nil
		}
		query.Set("cursor", next)
	}
}

// pathEscape escapes an id for a URL path segment.
func pathEscape(id string) string { return url.PathEscape(strings.TrimSpace(id)) }
