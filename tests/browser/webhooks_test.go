package browser

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/local/localaws"
)

// Paths of the webhook receiver: it accepts the webhooks of the one, and
// refuses (500) those of the other, so their deliveries fail.
const (
	hookAccept = "/hooks/accept"
	hookRefuse = "/hooks/refuse"
)

// A marketer gives a token a callback URL in the console and sees its
// webhook signing secret once; the console shows the API's refusal of a
// callback URL; an admin sees a delivery that failed, a marketer has no
// such tab and, when the page offers it anyway, sees the API's refusal.
func TestCallbackURLsAndWebhookDeliveries(t *testing.T) {
	const journey = "J-HOOKS"
	s := seed()
	s.PutJourney(t, domain.Journey{ID: journey, Name: "Webhook journey"})
	s.ImportAccounts(t, []domain.Account{{ID: "V4THOK0000000001", Emails: []string{"ana.lima@example.com"}, Status: domain.AccountActive}})
	hooks.Refuse(hookRefuse)
	receiverHost := hooks.Host()
	targets := []map[string]string{{"source_system_id": "cdp-1", "account_id": "V4THOK0000000001"}}

	marketer := open(t, "marketer-webhooks", desktopWidth, desktopHeight)
	var acceptedUUID, refusedUUID string

	t.Run("a callback URL the API refuses: its problem on the page, no token", func(t *testing.T) {
		m := marketer.in(t)
		m.signIn(localaws.LocalMarketer)
		m.click(link("Webhook journey"))
		m.visible(control("Callback URL"))
		m.fill("Callback URL", "http://cdp.example.com/hooks")
		// The page warns at once; the API decides.
		m.visible(`//*[contains(@class, 'hint')][normalize-space(.)='The callback URL must start with https://.']` + shown)
		m.click(button("Generate Token"))
		m.visible(alert("callback_url must use https"))
		if !eval[bool](m, node(control("Callback URL"))+`.getAttribute('aria-invalid') === 'true'`) {
			t.Errorf("the refused Callback URL is not marked invalid")
		}
		m.shot("callback-refused")
		m.fill("Callback URL", "https://user:secret@cdp.example.com/hooks")
		m.click(button("Generate Token"))
		m.visible(alert("callback_url must not carry a user name or password"))
		if n := m.count(control("API Token")); n != 0 {
			t.Errorf("a token was shown for a refused callback URL")
		}
		if tokens := m.rows("API tokens"); len(tokens) != 0 {
			t.Errorf("tokens after refusals: %v", tokens)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("the signing secret is shown once, with the token, and signs the webhook", func(t *testing.T) {
		m := marketer.in(t)
		m.fill("Callback URL", hooks.URL(hookAccept+"?source=console"))
		m.click(button("Generate Token"))
		m.visible(control("Webhook Signing Secret"))
		endpoint, token, secret := m.value("Endpoint"), m.value("API Token"), m.value("Webhook Signing Secret")
		if !strings.HasPrefix(secret, domain.WebhookSecretPrefix) {
			t.Fatalf("Webhook Signing Secret %q", secret)
		}
		if n := m.count(button("Copy")); n != 3 {
			t.Errorf("%d Copy buttons, want one each for Endpoint, API Token and Webhook Signing Secret", n)
		}
		if got := m.value("Callback URL"); got != "" {
			t.Errorf("Callback URL still holds %q after generating", got)
		}
		tokens := m.rows("API tokens")
		if len(tokens) != 1 || tokens[0]["Token"] != domain.ObscureToken(token) || tokens[0]["Callback host"] != receiverHost {
			t.Errorf("tokens table %v, want the token with callback host %s", tokens, receiverHost)
		}
		m.shot("callback-token")
		secretPart := strings.TrimPrefix(secret, domain.WebhookSecretPrefix)
		if kept := m.storage(); strings.Contains(kept, secretPart[:16]) {
			t.Errorf("the webhook secret is kept: %s", kept)
		}

		// The secret read from the page verifies the webhook of a request sent with the token.
		code, resp := post(t, endpoint, token, targets)
		if code != http.StatusAccepted {
			t.Fatalf("POST targets: %d %v", code, resp)
		}
		acceptedUUID, _ = resp["request_uuid"].(string)
		got := hooks.WaitFor(t, domain.WebhookID(acceptedUUID))
		if len(got) != 1 {
			t.Fatalf("%d webhooks of request %s accepted, want 1", len(got), acceptedUUID)
		}
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(got[0].Body, got[0].Header); err != nil {
			t.Errorf("the webhook does not verify with the secret the page showed: %v", err)
		}

		// Gone after a reload, and never said in the page's console.
		m.do(chromedp.Reload())
		m.rows("API tokens")
		if n := m.count(control("Webhook Signing Secret")); n != 0 {
			t.Errorf("the Webhook Signing Secret is shown after a reload")
		}
		if html := eval[string](m, `document.documentElement.outerHTML`); strings.Contains(html, secretPart) || strings.Contains(html, token) {
			t.Errorf("a secret is still in the page after a reload")
		}
		if said := m.logged(); strings.Contains(said, secretPart) || strings.Contains(said, token) {
			t.Errorf("the page logged a secret: %s", said)
		}
	})
	if t.Failed() {
		return
	}

	t.Run("a token whose receiver refuses every webhook", func(t *testing.T) {
		m := marketer.in(t)
		m.fill("Callback URL", hooks.URL(hookRefuse))
		m.click(button("Generate Token"))
		m.visible(control("Webhook Signing Secret"))
		code, resp := post(t, m.value("Endpoint"), m.value("API Token"), targets)
		if code != http.StatusAccepted {
			t.Fatalf("POST targets: %d %v", code, resp)
		}
		refusedUUID, _ = resp["request_uuid"].(string)
	})
	if t.Failed() {
		return
	}

	t.Run("the admin sees the failed delivery, and filters the undelivered", func(t *testing.T) {
		a := open(t, "admin-webhooks", desktopWidth, desktopHeight)
		a.signIn(localaws.LocalAdmin)
		a.click(link("Webhook journey"))
		a.click(tabNamed("Webhook Deliveries"))
		var byRequest map[string]map[string]string
		a.until("both deliveries attempted", func() bool {
			a.click(button("Refresh"))
			byRequest = map[string]map[string]string{}
			for _, d := range a.rows("Webhook deliveries") {
				byRequest[d["Request"]] = d
			}
			return len(byRequest) == 2 && byRequest[acceptedUUID]["Attempts"] != "0" && byRequest[refusedUUID]["Attempts"] != "0"
		})
		if d := byRequest[acceptedUUID]; d["Status"] != "Delivered" || d["Attempts"] != "1" || d["Last result"] != "HTTP 204" ||
			d["Next attempt"] != "—" || d["Callback host"] != receiverHost {
			t.Errorf("the accepted webhook's delivery %v", d)
		}
		// The first retry comes 30 s after the first attempt: this may be either.
		d := byRequest[refusedUUID]
		if d["Status"] != "Retrying" || (d["Attempts"] != "1" && d["Attempts"] != "2") ||
			d["Last result"] != "the receiver answered 500 Internal Server Error" || !strings.HasSuffix(d["Next attempt"], " UTC") {
			t.Errorf("the refused webhook's delivery %v", d)
		}
		a.shot("webhook-deliveries")
		a.choose("Status", "Not delivered")
		a.click(button("Filter"))
		a.until("only the undelivered webhook", func() bool {
			rows, _ := a.tableNow("Webhook deliveries")
			return len(rows) == 1 && rows[0]["Request"] == refusedUUID
		})
		a.choose("Status", "Delivered")
		a.click(button("Filter"))
		a.until("only the delivered webhook", func() bool {
			rows, _ := a.tableNow("Webhook deliveries")
			return len(rows) == 1 && rows[0]["Request"] == acceptedUUID
		})
	})

	t.Run("a marketer has no Webhook Deliveries tab, and sees the API's refusal if the page offers it", func(t *testing.T) {
		m := marketer.in(t)
		m.visible(tabNamed("Target List"))
		if n := m.count(tabNamed("Webhook Deliveries")); n != 0 {
			t.Errorf("a marketer sees %d Webhook Deliveries tabs", n)
		}
		// The groups the page reads from the ID token only choose the tabs:
		// claimed in storage, they get the tab, and the API still refuses.
		eval[bool](m, `(() => { const s = JSON.parse(sessionStorage.getItem('targetloader.session')); s.groups = ['admins'];
			sessionStorage.setItem('targetloader.session', JSON.stringify(s)); return true; })()`)
		m.do(chromedp.Navigate(consoleURL()+"#/journeys/"+url.PathEscape(journey)+"/webhook-deliveries"), chromedp.Reload())
		m.visible(tabNamed("Webhook Deliveries") + `[@aria-selected='true']`)
		m.visible(alert("Only members of the admins group may do this."))
		if rows, _ := m.tableNow("Webhook deliveries"); len(rows) != 0 {
			t.Errorf("a marketer sees deliveries %v", rows)
		}
	})
}
