package browser

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	cip "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider"
	ciptypes "github.com/aws/aws-sdk-go-v2/service/cognitoidentityprovider/types"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/local/localaws"
	"github.com/targetloader/targetloader/shared/resources"
	"github.com/targetloader/targetloader/shared/testsupport/testenv"
)

// seed is the local stack's tables, for ops' part: journeys and accounts.
func seed() *testenv.Stack {
	return &testenv.Stack{AWS: stack.AWS, DynamoDB: stack.DynamoDB, SQS: stack.SQS, Resources: stack.Resources, Env: stack.Env}
}

// post sends body to the ingest endpoint with token and returns the status
// and the decoded JSON answer.
func post(t *testing.T, endpoint, token string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, endpoint, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// shows tells whether the Request column's text names request id (its
// first 8 characters and an ellipsis).
func shows(cell, id string) bool {
	return len(id) > 8 && cell == id[:8]+"…"
}

// The marketer's and the admin's day in the console, on one journey: a
// 90-day token generated and read from the page, three targets POSTed with
// it by "an external system" (this test), the target list, the admin's
// target loader records and their filter, and the token expired.
func TestAddTargetsWithAnAPIToken(t *testing.T) {
	const journey = "J-BROWSER"
	s := seed()
	s.PutJourney(t, domain.Journey{ID: journey, Name: "Browser journey"})
	s.ImportAccounts(t, []domain.Account{
		{ID: "V4TBRW0000000001", Emails: []string{"maria.rossi@example.com"}, FirstName: "Maria", LastName: "Rossi", Status: domain.AccountActive},
		{ID: "V4TBRW0000000002", FirstName: "Ken", LastName: "Tanaka", Status: domain.AccountActive},
		{ID: "V4TBRW0000000003", Emails: []string{"jo.smith@example.com"}, FirstName: "Jo", LastName: "Smith", Status: domain.AccountActive},
	})

	marketer := open(t, "marketer", desktopWidth, desktopHeight)
	var endpoint, token, requestUUID, otherUUID string

	t.Run("marketer generates a 90-day token and sees the targets it added", func(t *testing.T) {
		m := marketer.in(t)
		m.signIn(localaws.LocalMarketer)
		m.visible(link("Browser journey"))
		m.shot("journeys")
		m.click(link("Browser journey"))
		m.visible(tabNamed("Add Targets") + `[@aria-selected='true']`)
		m.visible(tabNamed("API") + `[@aria-selected='true']`)
		// A journey without an end date offers the four durations.
		if got, want := m.options("Expires"), []string{"30 Days", "90 Days", "6 Months", "1 Year"}; !slices.Equal(got, want) {
			t.Errorf("Expires offers %q, want %q", got, want)
		}
		m.choose("Expires", "90 Days")
		m.click(button("Generate Token"))
		m.visible(control("API Token"))
		endpoint, token = m.value("Endpoint"), m.value("API Token")
		if want := stack.APIURL + "/journeys/" + journey + "/targets"; endpoint != want {
			t.Errorf("Endpoint %q, want %q", endpoint, want)
		}
		if !domain.ValidTokenFormat(token) {
			t.Fatalf("API Token %q is not a token", token)
		}
		if m.count(button("Copy")) != 2 {
			t.Errorf("want a Copy button for Endpoint and API Token")
		}
		// The secret is on the page only: not in storage, a cookie or the address.
		if kept := m.storage(); strings.Contains(kept, token) || strings.Contains(kept, token[len(token)-10:]) {
			t.Errorf("the token is kept: %s", kept)
		}
		tokens := m.rows("API tokens")
		if len(tokens) != 1 || tokens[0]["Token"] != domain.ObscureToken(token) || tokens[0]["Created by"] != localaws.LocalMarketer ||
			tokens[0]["Status"] != "Active" || !strings.HasSuffix(tokens[0]["Actions"], "Expire") {
			t.Errorf("tokens table %v", tokens)
		}
		m.shot("api-token")

		// An external system adds three targets with the endpoint and token read from the page.
		code, resp := post(t, endpoint, token, []map[string]string{
			{"source_system_id": "cdp-1", "account_id": "V4TBRW0000000001"},
			{"source_system_id": "cdp-2", "account_id": "V4TBRW0000000002", "first_name": "Ken"},
			{"source_system_id": "webform", "email": "Jo.Smith@Example.com"},
		})
		if code != http.StatusAccepted {
			t.Fatalf("POST targets: %d %v", code, resp)
		}
		requestUUID, _ = resp["request_uuid"].(string)
		// And one that matches nobody, in a request of its own.
		if code, resp = post(t, endpoint, token, []map[string]string{{"source_system_id": "cdp-1", "account_id": "V4TBRW0000000999"}}); code != http.StatusAccepted {
			t.Fatalf("POST targets: %d %v", code, resp)
		}
		otherUUID, _ = resp["request_uuid"].(string)

		m.click(tabNamed("Target List"))
		targets := m.refreshUntil("Target list", 3)
		got := map[string]string{}
		for _, tg := range targets {
			if tg["Added via"] != "API" || tg["Request"] != requestUUID {
				t.Errorf("target %v: want Added via API, request %s", tg, requestUUID)
			}
			got[tg["Account"]] = tg["Source System"]
		}
		want := map[string]string{"V4TBRW0000000001": "cdp-1", "V4TBRW0000000002": "cdp-2", "V4TBRW0000000003": "webform"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("Target List accounts and source systems %v, want %v", got, want)
		}
		m.shot("target-list")
	})
	if t.Failed() {
		return
	}

	t.Run("the marketer has no Target Loader tab, and the API refuses the records", func(t *testing.T) {
		m := marketer.in(t)
		if n := m.count(tabNamed("Target Loader")); n != 0 {
			t.Errorf("a marketer sees %d Target Loader tabs", n)
		}
		if n := m.count(control("File")) + m.count(button("Upload")); n != 0 {
			t.Errorf("a marketer sees the upload of files of targets")
		}
		idToken := eval[string](m, `JSON.parse(sessionStorage.getItem('targetloader.session')).idToken`)
		req, _ := http.NewRequest(http.MethodGet, stack.APIURL+"/manage/journeys/"+journey+"/loader-records", nil)
		req.Header.Set("Authorization", "Bearer "+idToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("loader records as the marketer: %d, want 403", resp.StatusCode)
		}
		// Nor may a marketer upload a file of targets.
		req, _ = http.NewRequest(http.MethodPost, stack.APIURL+"/manage/journeys/"+journey+"/loader-records",
			strings.NewReader("source_system_id,account_id\nfair,V4TBRW0000000001\n"))
		req.Header.Set("Authorization", "Bearer "+idToken)
		req.Header.Set("Content-Type", "text/csv")
		if resp, err = http.DefaultClient.Do(req); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("an upload as the marketer: %d, want 403", resp.StatusCode)
		}
	})

	t.Run("the admin sees the records with their outcomes and filters them by request", func(t *testing.T) {
		a := open(t, "admin", desktopWidth, desktopHeight)
		a.signIn(localaws.LocalAdmin)
		a.click(link("Browser journey"))
		a.click(tabNamed("Target Loader"))
		records := a.refreshUntil("Target loader records", 4)
		outcomes := map[string]string{}
		for _, r := range records {
			submitted := r["Submitted account"]
			if submitted == "—" {
				submitted = r["Submitted email"]
			}
			outcomes[r["Source System"]+" "+submitted] = r["Outcome"] + " / " + r["Status"] + " / " + r["Failure reason"]
		}
		want := map[string]string{
			"cdp-1 V4TBRW0000000001":       "Matched on account ID / Success / —",
			"cdp-2 V4TBRW0000000002":       "Matched on account ID / Success / —",
			"webform Jo.Smith@Example.com": "Matched on email / Success / —",
			"cdp-1 V4TBRW0000000999":       "No match / Failed / No account matches account_id V4TBRW0000000999",
		}
		if fmt.Sprint(outcomes) != fmt.Sprint(want) {
			t.Errorf("records\n%v\nwant\n%v", outcomes, want)
		}
		a.fill("Request UUID", requestUUID)
		a.click(button("Filter"))
		a.until("the request's three records", func() bool {
			records, _ = a.tableNow("Target loader records")
			return len(records) == 3
		})
		for _, r := range records {
			if !shows(r["Request"], requestUUID) {
				t.Errorf("filtered by %s, shows %v", requestUUID, r)
			}
		}
		a.shot("target-loader")
		a.choose("Outcome", "No match")
		a.fill("Request UUID", otherUUID)
		a.click(button("Filter"))
		a.until("the other request's failed record", func() bool {
			records, _ = a.tableNow("Target loader records")
			return len(records) == 1 && shows(records[0]["Request"], otherUUID)
		})
		// A filter the API refuses is an error on the page, not a spinner.
		a.fill("Request UUID", "not-a-uuid")
		a.click(button("Filter"))
		a.visible(alert("request_uuid must be a request"))
		if records, _ := a.tableNow("Target loader records"); len(records) != 0 {
			t.Errorf("after a refused filter the table still shows %v", records)
		}
		// A request in the table filters by itself.
		a.click(button("Clear filters"))
		a.until("the records of both requests", func() bool {
			records, _ = a.tableNow("Target loader records")
			return len(records) == 4
		})
		a.click(fmt.Sprintf(`//button[@title='%s']`, otherUUID))
		a.until("the other request's record", func() bool {
			records, _ = a.tableNow("Target loader records")
			return len(records) == 1
		})
		if got := a.value("Request UUID"); got != otherUUID {
			t.Errorf("Request UUID %q after choosing request %s", got, otherUUID)
		}
	})

	t.Run("the token is shown once: gone after leaving the page", func(t *testing.T) {
		m := marketer.in(t)
		m.click(link("Journeys"))
		m.click(link("Browser journey"))
		m.visible(tabNamed("Add Targets") + `[@aria-selected='true']`)
		m.rows("API tokens")
		if n := m.count(control("API Token")); n != 0 {
			t.Errorf("the API Token is still shown")
		}
		if html := eval[string](m, `document.documentElement.outerHTML`); strings.Contains(html, token) {
			t.Errorf("the token is still in the page")
		}
	})

	t.Run("the marketer expires the token: revoked, and the API refuses it", func(t *testing.T) {
		m := marketer.in(t)
		m.click(button("Expire"))
		m.visible(`//dialog[@open]`)
		m.shot("expire-confirm")
		m.click(button("Expire token"))
		m.visible(status("expired."))
		var tokens []map[string]string
		m.until("the token revoked", func() bool {
			tokens = m.rows("API tokens")
			return len(tokens) == 1 && tokens[0]["Status"] == "Revoked"
		})
		if !strings.HasPrefix(tokens[0]["Expired by"], localaws.LocalMarketer) || tokens[0]["Actions"] != "—" {
			t.Errorf("revoked token %v", tokens[0])
		}
		m.shot("token-expired")
		if code, resp := post(t, endpoint, token, []map[string]string{{"source_system_id": "cdp-1", "account_id": "V4TBRW0000000001"}}); code != http.StatusUnauthorized {
			t.Errorf("POST with the expired token: %d %v", code, resp)
		}
	})
}

// Expires offers only the choices the API offers for the journey's end date
// (PRODUCT.md §2), and none for a journey that has ended.
func TestExpiryChoicesFollowTheJourney(t *testing.T) {
	today := time.Now().UTC()
	s := seed()
	s.PutJourney(t, domain.Journey{ID: "J-FIVE-MONTHS", Name: "Five months", EndDate: today.AddDate(0, 5, 0).Format(time.DateOnly)})
	s.PutJourney(t, domain.Journey{ID: "J-ENDED", Name: "Ended", EndDate: today.AddDate(0, 0, -2).Format(time.DateOnly)})
	m := open(t, "marketer", desktopWidth, desktopHeight)
	m.signIn(localaws.LocalMarketer)

	m.do(chromedp.Navigate(consoleURL() + "#/journeys/J-FIVE-MONTHS"))
	if got, want := m.options("Expires"), []string{"30 Days", "90 Days", "Journey End"}; !slices.Equal(got, want) {
		t.Errorf("five months away: Expires offers %q, want %q", got, want)
	}

	m.do(chromedp.Navigate(consoleURL() + "#/journeys/J-ENDED"))
	m.visible(`//*[contains(normalize-space(.), 'This journey has ended: no token can be generated for it.')]` + shown)
	if got := m.options("Expires"); len(got) != 0 {
		t.Errorf("ended: Expires offers %q", got)
	}
	if !eval[bool](m, node(button("Generate Token"))+`.disabled`) {
		t.Errorf("Generate Token is enabled for an ended journey")
	}
	m.shot("journey-ended")

	// An unknown journey is a clear error, not a spinner.
	m.do(chromedp.Navigate(consoleURL() + "#/journeys/J-NOPE"))
	m.visible(alert("J-NOPE"))
}

// A wrong password shows an error and signs nobody in.
func TestWrongPasswordSignsNobodyIn(t *testing.T) {
	p := open(t, "signin", desktopWidth, desktopHeight)
	p.do(chromedp.Navigate(consoleURL()))
	p.visible(control("Email"))
	p.shot("form")
	p.fill("Email", localaws.LocalMarketer)
	p.fill("Password", "Wrong-password-1")
	p.click(button("Sign in"))
	p.visible(alert("Incorrect email or password."))
	p.shot("wrong-password")
	if n := p.count(button("Sign out")); n != 0 {
		t.Errorf("signed in with a wrong password")
	}
	if kept := p.storage(); strings.Contains(kept, "targetloader.session") || strings.Contains(kept, "Wrong-password-1") {
		t.Errorf("kept after a refused sign-in: %s", kept)
	}
	if got := p.value("Password"); got != "" {
		t.Errorf("the refused password is still in the field")
	}
}

// A user ops created with a temporary password chooses a new one at the
// first sign-in (Cognito's NEW_PASSWORD_REQUIRED challenge).
func TestFirstSignInChoosesANewPassword(t *testing.T) {
	ctx := context.Background()
	cfg, err := localaws.Config(ctx, stack.UserPool.Endpoint, nil, awsconfig.WithRegion(stack.UserPool.Region))
	if err != nil {
		t.Fatal(err)
	}
	const email, temporary, chosen = "new.marketer@example.com", "Temporary-pass-1", "My-own-pass-123"
	if _, err := cip.NewFromConfig(cfg).AdminCreateUser(ctx, &cip.AdminCreateUserInput{
		UserPoolId: aws.String(stack.UserPool.ID), Username: aws.String(email), TemporaryPassword: aws.String(temporary),
		MessageAction:  ciptypes.MessageActionTypeSuppress,
		UserAttributes: []ciptypes.AttributeType{{Name: aws.String("email"), Value: aws.String(email)}, {Name: aws.String("email_verified"), Value: aws.String("true")}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := cip.NewFromConfig(cfg).AdminAddUserToGroup(ctx, &cip.AdminAddUserToGroupInput{
		UserPoolId: aws.String(stack.UserPool.ID), Username: aws.String(email), GroupName: aws.String(resources.GroupMarketers),
	}); err != nil {
		t.Fatal(err)
	}
	p := open(t, "first-signin", desktopWidth, desktopHeight)
	p.do(chromedp.Navigate(consoleURL()))
	p.fill("Email", email)
	p.fill("Password", temporary)
	p.click(button("Sign in"))
	p.fill("New password", chosen)
	p.fill("New password again", chosen)
	p.shot("new-password")
	p.click(button("Set password"))
	p.visible(button("Sign out"))
	p.visible(`//*[contains(@class, 'email')][normalize-space(.)='` + email + `']`)

	// Signed out, the chosen password signs in. Signing out revokes the
	// refresh token (RevokeToken), which moto_server 5.2 does not implement:
	// it answers 500 without CORS headers, which the browser logs, and the
	// console carries on as it should.
	p.tolerate("from origin '" + stack.APIURL + "' has been blocked by CORS policy")
	p.click(button("Sign out"))
	p.visible(status("You are signed out."))
	p.fill("Email", email)
	p.fill("Password", chosen)
	p.click(button("Sign in"))
	p.visible(button("Sign out"))
}

// An expired session goes back to sign-in with a message: once when the ID
// token cannot be renewed, once when the API refuses it.
func TestExpiredSessionGoesBackToSignIn(t *testing.T) {
	for _, tt := range []struct{ name, change string }{
		{"renewal refused", `s.expiresAt = 0; s.refreshToken = 'not-a-refresh-token';`},
		{"API refuses the ID token", `s.idToken = s.idToken.split('.').slice(0, 2).join('.') + '.bad-signature';`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := open(t, "session", desktopWidth, desktopHeight)
			p.signIn(localaws.LocalMarketer)
			eval[bool](p, `(() => { const s = JSON.parse(sessionStorage.getItem('targetloader.session')); `+tt.change+
				` sessionStorage.setItem('targetloader.session', JSON.stringify(s)); return true; })()`)
			p.do(chromedp.Reload())
			p.visible(status("Your session has expired. Sign in again."))
			p.visible(control("Password"))
			if n := p.count(button("Sign out")); n != 0 {
				t.Errorf("still signed in")
			}
			if kept := p.storage(); strings.Contains(kept, "targetloader.session") {
				t.Errorf("the expired session is kept: %s", kept)
			}
		})
	}
}

// On a phone-sized screen nothing but the tables scrolls sideways, and the
// tabs work with the keyboard (arrow keys move and select).
func TestNarrowScreenAndKeyboard(t *testing.T) {
	seed().PutJourney(t, domain.Journey{ID: "J-PHONE", Name: "Phone journey"})
	p := open(t, "phone", phoneWidth, phoneHeight)
	p.signIn(localaws.LocalAdmin)
	p.click(link("Phone journey"))
	p.visible(control("Expires"))
	p.shot("add-targets")
	if w := eval[int](p, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("the page is %d px wider than the screen", w)
	}
	p.do(chromedp.Focus(tabNamed("Add Targets")), chromedp.KeyEvent(kb.ArrowRight))
	p.visible(tabNamed("Target List") + `[@aria-selected='true']`)
	if focused := eval[string](p, `document.activeElement.textContent`); focused != "Target List" {
		t.Errorf("focus on %q after ArrowRight", focused)
	}
	p.do(chromedp.KeyEvent(kb.ArrowRight))
	p.visible(tabNamed("Target Loader") + `[@aria-selected='true']`)
	p.visible(control("Request UUID"))
	p.rows("Target loader records")
	p.shot("target-loader")
	if w := eval[int](p, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("the page is %d px wider than the screen", w)
	}
	p.do(chromedp.KeyEvent(kb.ArrowRight))
	p.visible(tabNamed("Webhook Deliveries") + `[@aria-selected='true']`)
	p.rows("Webhook deliveries")
	p.shot("webhook-deliveries")
	if w := eval[int](p, `document.documentElement.scrollWidth - window.innerWidth`); w > 0 {
		t.Errorf("the page is %d px wider than the screen", w)
	}
	p.do(chromedp.KeyEvent(kb.Home))
	p.visible(tabNamed("Add Targets") + `[@aria-selected='true']`)
}

// The console's responses carry its security headers; its page and
// configuration are never cached.
func TestConsoleHeaders(t *testing.T) {
	get := func(path string) *http.Response {
		resp, err := http.Get(stack.APIURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	csp := "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self' " +
		stack.UserPool.Endpoint + "; base-uri 'self'; form-action 'none'; frame-ancestors 'none'"
	for _, path := range []string{"/console/", "/console", "/console/app.js", "/console/config.json"} {
		resp := get(path)
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != csp ||
			resp.Header.Get("X-Content-Type-Options") != "nosniff" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: %d %v", path, resp.StatusCode, resp.Header)
		}
		if path != "/console/app.js" && resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s: Cache-Control %q", path, resp.Header.Get("Cache-Control"))
		}
	}
	if resp := get("/console/nope.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown asset: %d", resp.StatusCode)
	}
}
