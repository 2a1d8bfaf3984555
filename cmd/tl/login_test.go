package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

func (h *harness) sessionFile() string {
	return filepath.Join(h.configDir, "targetloader", "session.json")
}

func (h *harness) readSessions() sessionFile {
	h.t.Helper()
	b, err := os.ReadFile(h.sessionFile())
	if err != nil {
		h.t.Fatal(err)
	}
	var f sessionFile
	if err := json.Unmarshal(b, &f); err != nil {
		h.t.Fatal(err)
	}
	return f
}

func TestLocalStackSignsInItsAdminByItself(t *testing.T) {
	h := newHarness(t)
	// GIVEN no session WHEN a marketer command runs locally
	h.ok("journeys", "put", "--id", "J1", "--name", "Journey")
	r := h.ok("tokens", "options", "--journey", "J1")
	// THEN tl signed in as the local admin, and said so on stderr, once
	if !strings.Contains(r.stderr, "signed in as admin@example.com, the local stack's admin") {
		t.Errorf("stderr %q", r.stderr)
	}
	if r := h.ok("tokens", "options", "--journey", "J1"); strings.Contains(r.stderr, "signed in") {
		t.Errorf("signed in again: %q", r.stderr)
	}
	who := decodeJSON[map[string]any](t, h.ok("whoami", "--json").stdout)
	if who["email"] != "admin@example.com" || who["api_url"] != h.api.URL || len(who["groups"].([]any)) != 2 {
		t.Errorf("whoami = %v", who)
	}
}

func TestLoginWhoamiRefreshLogout(t *testing.T) {
	h := newHarness(t)
	h.ok("journeys", "put", "--id", "J1", "--name", "Journey")

	// Without a terminal tl asks for nothing: --email and --password-stdin.
	h.misuse("--email is required when standard input is not a terminal", "login")
	h.misuse("no terminal to ask for the password on: pass it on standard input with --password-stdin", "login", "--email", "marketer@example.com")
	r := h.tlIn("Wrong-pass-1!\n", "login", "--email", "marketer@example.com", "--password-stdin")
	if r.code == 0 || !strings.Contains(r.stderr, "wrong email or password") {
		t.Errorf("a wrong password: %+v", r)
	}
	h.login("marketer@example.com")

	// The session is the user's alone, and holds no password.
	info, err := os.Stat(h.sessionFile())
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("session file mode %v, want 0600", info.Mode().Perm())
	}
	if b, _ := os.ReadFile(h.sessionFile()); strings.Contains(string(b), h.pool.Password) {
		t.Error("the session file holds the password")
	}
	r = h.ok("whoami")
	if !strings.Contains(r.stdout, "email: marketer@example.com\ngroups: marketers\napi: "+h.api.URL) {
		t.Errorf("whoami = %q", r.stdout)
	}

	// An expired ID token is renewed with the refresh token (REFRESH_TOKEN_AUTH).
	f := h.readSessions()
	s := f.Sessions[h.api.URL]
	oldToken := s.IDToken
	s.ExpiresAt = time.Now().Add(-time.Minute)
	if err := (&sessionStore{dir: func() (string, error) { return h.configDir, nil }}).save(f); err != nil {
		t.Fatal(err)
	}
	h.ok("tokens", "create", "--journey", "J1", "--expires", "30d")
	renewed := h.readSessions().Sessions[h.api.URL]
	if !renewed.ExpiresAt.After(time.Now()) || renewed.IDToken == oldToken || renewed.Email != "marketer@example.com" {
		t.Errorf("session not renewed: expires %v", renewed.ExpiresAt)
	}

	// A refresh token that no longer works: sign in again (not the local admin).
	renewed.ExpiresAt, renewed.RefreshToken = time.Now().Add(-time.Minute), "revoked"
	if err := (&sessionStore{dir: func() (string, error) { return h.configDir, nil }}).save(sessionFile{Sessions: map[string]*session{h.api.URL: renewed}}); err != nil {
		t.Fatal(err)
	}
	h.fails("sign in again: tl login", "tokens", "list", "--journey", "J1")

	h.login("marketer@example.com")
	r = h.ok("logout")
	if !strings.Contains(r.stdout, "signed out of "+h.api.URL+" (marketer@example.com)") {
		t.Errorf("logout = %q", r.stdout)
	}
	// moto_server does not implement RevokeToken: one short line says so.
	if r.stderr != "" && !regexp.MustCompile(`^tl: Cognito did not revoke the refresh token \([^()]+\); the session is forgotten all the same\n$`).MatchString(r.stderr) {
		t.Errorf("logout's stderr = %q", r.stderr)
	}
	if len(h.readSessions().Sessions) != 0 {
		t.Error("the session is still kept")
	}
	if r := h.ok("logout"); !strings.Contains(r.stdout, "not signed in") {
		t.Errorf("second logout = %q", r.stdout)
	}
}
