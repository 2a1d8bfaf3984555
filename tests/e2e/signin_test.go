package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/local/localaws"
)

// TestMarketerWithoutAWSCredentials is a marketer's day through tl and the
// running stack's management API, signed in, with no AWS variable at all in
// tl's environment: every marketer task works, loader records are refused.
func TestMarketerWithoutAWSCredentials(t *testing.T) {
	// Ops set up the journey with their own (local) credentials.
	tl(t, "journeys", "put", "--id", "J-MKT", "--name", "Marketer's journey")

	env := tlEnv(t.TempDir(), false)
	run := func(stdin string, args ...string) (string, string) {
		t.Helper()
		out, errOut, err := tlWith(env, stdin, args...)
		if err != nil {
			t.Fatalf("tl %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, out, errOut)
		}
		return out, errOut
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, "AWS_") {
			t.Fatalf("tl's environment has %s", kv)
		}
	}

	out, _ := run(localaws.DefaultDevPassword+"\n", "login", "--email", localaws.LocalMarketer, "--password-stdin")
	if !strings.Contains(out, "as marketer@example.com (groups: marketers)") {
		t.Errorf("login: %s", out)
	}
	if out, _ = run("", "whoami"); !strings.Contains(out, "email: marketer@example.com") {
		t.Errorf("whoami: %s", out)
	}
	if out, _ = run("", "tokens", "options", "--journey", "J-MKT", "--json"); !strings.Contains(out, `"id": "1y"`) {
		t.Errorf("options: %s", out)
	}
	out, errOut := run("", "tokens", "create", "--journey", "J-MKT", "--expires", "90d")
	var tokenID, secret string
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "token_id: "); ok {
			tokenID = v
		}
		if v, ok := strings.CutPrefix(line, "token: "); ok {
			secret = v
		}
	}
	if tokenID == "" || !strings.HasPrefix(secret, "tl_") || strings.Contains(errOut, "signed in as admin") {
		t.Fatalf("create: %s\n%s", out, errOut)
	}
	var tokens []struct {
		TokenID   string `json:"token_id"`
		CreatedBy string `json:"created_by"`
		RevokedBy string `json:"revoked_by"`
		Status    string `json:"status"`
	}
	out, _ = run("", "tokens", "list", "--journey", "J-MKT", "--json")
	if err := json.Unmarshal([]byte(out), &tokens); err != nil || len(tokens) != 1 || tokens[0].CreatedBy != localaws.LocalMarketer {
		t.Errorf("list: %s", out)
	}
	run("", "tokens", "expire", "--id", tokenID)
	out, _ = run("", "tokens", "list", "--journey", "J-MKT", "--json")
	if err := json.Unmarshal([]byte(out), &tokens); err != nil || tokens[0].Status != "revoked" || tokens[0].RevokedBy != localaws.LocalMarketer {
		t.Errorf("after expire: %s", out)
	}
	if out, _ = run("", "targets", "list", "--journey", "J-MKT", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("targets: %s", out)
	}
	// Loader records are for admins.
	if _, errOut, err := tlWith(env, "", "loader", "list", "--journey", "J-MKT"); err == nil || !strings.Contains(errOut, "Only members of the admins group may do this.") {
		t.Errorf("loader list as a marketer: %v %s", err, errOut)
	}
	run("", "logout")
}

// TestManagementAPIOverHTTP: the running API refuses requests without a
// valid ID token before the function, and serves the console's configuration.
func TestManagementAPIOverHTTP(t *testing.T) {
	for _, token := range []string{"", "not-a-jwt", "eyJhbGciOiJub25lIn0.eyJlbWFpbCI6ImFkbWluQGV4YW1wbGUuY29tIn0."} {
		resp := do(t, http.MethodGet, stack.APIURL+"/manage/journeys", token, "")
		if resp.status != http.StatusUnauthorized || resp.header.Get("Content-Type") != "application/problem+json" || resp.header.Get("WWW-Authenticate") == "" {
			t.Errorf("token %q: %d %v %s", token, resp.status, resp.header, resp.body)
		}
	}
	resp := do(t, http.MethodGet, stack.APIURL+"/console/config.json", "", "")
	var cfg map[string]string
	if err := json.Unmarshal(resp.body, &cfg); err != nil || resp.status != http.StatusOK || cfg["user_pool_id"] != stack.UserPool.ID || cfg["client_id"] != stack.UserPool.ClientID || cfg["cognito_endpoint"] == "" {
		t.Errorf("config.json: %d %s", resp.status, resp.body)
	}
}
