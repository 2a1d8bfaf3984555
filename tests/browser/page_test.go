package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// page is one browser tab of a test, in a browser context of its own.
type page struct {
	t *testing.T
	*tab
}

// tab is the browser tab behind a page.
type tab struct {
	ctx context.Context
	// name prefixes the page's screenshots (e.g. "marketer").
	name string
	mu   sync.Mutex
	errs []string
	// said is every console message and log entry of the page.
	said []string
	// tolerated are errors the page may log (see tolerate).
	tolerated []string
}

// tolerate lets the page log errors containing text from now on.
func (p *page) tolerate(text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.tolerated = append(p.tolerated, text)
}

// logged is everything the page has said in its console so far.
func (p *page) logged() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.said, "\n")
}

// in is the same tab, driven by (sub)test t.
func (p *page) in(t *testing.T) *page { return &page{t: t, tab: p.tab} }

// actionTimeout bounds each step (a wait for an element included).
const actionTimeout = 30 * time.Second

// Sizes the console must be readable at.
const (
	desktopWidth, desktopHeight = 1280, 800
	phoneWidth, phoneHeight     = 390, 844
)

// open opens a tab of width x height. The test fails if the page throws,
// logs an error or breaks its Content-Security-Policy (failed requests the
// test provokes, such as a refused password, are the network's, not errors).
func open(t *testing.T, name string, width, height int64) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelTimeout)
	p := &page{t: t, tab: &tab{ctx: ctx, name: name}}
	if err := chromedp.Listen(ctx, func(ev any) {
		p.mu.Lock()
		defer p.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			text := ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				text += " " + ev.ExceptionDetails.Exception.Description
			}
			p.errs = append(p.errs, "exception: "+text)
		case *cdplog.EventEntryAdded:
			p.said = append(p.said, ev.Entry.Text)
			tolerated := slices.ContainsFunc(p.tolerated, func(s string) bool { return strings.Contains(ev.Entry.Text, s) })
			if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork && !tolerated {
				p.errs = append(p.errs, fmt.Sprintf("%s: %s (%s)", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
			}
		case *runtime.EventConsoleAPICalled:
			for _, arg := range ev.Args {
				p.said = append(p.said, string(arg.Value)+" "+arg.Description)
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
				p.errs = append(p.errs, fmt.Sprintf("console.%s", ev.Type))
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if len(p.errs) > 0 {
			t.Errorf("%s page: %s", name, strings.Join(p.errs, "\n"))
		}
	})
	p.do(chromedp.EmulateViewport(width, height))
	return p
}

// do runs actions; a failure fails the test with a screenshot and the page's text.
func (p *page) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.fatal(err)
	}
}

func (p *page) fatal(err error) {
	p.t.Helper()
	p.shotQuietly("failure")
	text, _ := chromedp.Run(p.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ''`))
	p.t.Fatalf("%s page: %v\n--- page text ---\n%s", p.name, err, text)
}

// eval evaluates js in the page and decodes its value.
func eval[T any](p *page, js string, opts ...chromedp.EvaluateOption) T {
	p.t.Helper()
	v, err := chromedp.Run(p.ctx, chromedp.Evaluate[T](js, opts...))
	if err != nil {
		p.fatal(fmt.Errorf("evaluate %s: %w", js, err))
	}
	return v
}

// jsString quotes s for JavaScript (and XPath-free lookups).
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// XPaths of what a person sees, by its visible text: a control by its
// label, a button, a tab. Hidden tab panels do not count.
const shown = `[not(ancestor-or-self::*[@hidden])]`

func control(label string) string {
	return fmt.Sprintf(`//*[@id=//label[normalize-space(.)='%s']/@for]%s`, label, shown)
}

func button(text string) string {
	return fmt.Sprintf(`//button[normalize-space(.)='%s']%s`, text, shown)
}

func tabNamed(text string) string {
	return fmt.Sprintf(`//*[@role='tab'][normalize-space(.)='%s']`, text)
}

func link(text string) string {
	return fmt.Sprintf(`//a[normalize-space(.)='%s']`, text)
}

func alert(text string) string {
	return fmt.Sprintf(`//*[@role='alert'][contains(normalize-space(.), '%s')]%s`, text, shown)
}

func status(text string) string {
	return fmt.Sprintf(`//*[@role='status'][contains(normalize-space(.), '%s')]%s`, text, shown)
}

// node is JavaScript for the first node xpath selects.
func node(xpath string) string {
	return fmt.Sprintf(`document.evaluate(%s, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue`, jsString(xpath))
}

// visible waits until the node xpath selects is shown.
func (p *page) visible(xpath string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(xpath))
}

func (p *page) click(xpath string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(xpath), chromedp.Click(xpath))
}

// count is the number of shown nodes xpath selects, now.
func (p *page) count(xpath string) int {
	p.t.Helper()
	return eval[int](p, fmt.Sprintf(`document.evaluate(%s, document, null, XPathResult.ORDERED_NODE_SNAPSHOT_TYPE, null).snapshotLength`, jsString(xpath)))
}

// fill types value into the control labelled label, as a person would.
func (p *page) fill(label, value string) {
	p.t.Helper()
	p.visible(control(label))
	eval[bool](p, fmt.Sprintf(`(() => { const el = %s; el.value = ''; return true; })()`, node(control(label))))
	p.do(chromedp.SendKeys(control(label), value))
}

func (p *page) value(label string) string {
	p.t.Helper()
	p.visible(control(label))
	v, err := chromedp.Run(p.ctx, chromedp.Value(control(label)))
	if err != nil {
		p.fatal(err)
	}
	return v
}

// options are the texts of the options of the select labelled label.
func (p *page) options(label string) []string {
	p.t.Helper()
	p.visible(control(label))
	return eval[[]string](p, fmt.Sprintf(`[...%s.options].map(o => o.textContent.trim())`, node(control(label))))
}

// choose picks the option whose text is text in the select labelled label.
func (p *page) choose(label, text string) {
	p.t.Helper()
	p.visible(control(label))
	ok := eval[bool](p, fmt.Sprintf(`(() => {
		const s = %s;
		const o = [...s.options].find(o => o.textContent.trim() === %s);
		if (!o) return false;
		s.value = o.value;
		s.dispatchEvent(new Event('change', {bubbles: true}));
		return true;
	})()`, node(control(label)), jsString(text)))
	if !ok {
		p.fatal(fmt.Errorf("%s has no option %q", label, text))
	}
}

// rows are the shown rows of the table captioned caption, each a map of
// column title to the cell's text, once the table has loaded.
func (p *page) rows(caption string) []map[string]string {
	p.t.Helper()
	var rows []map[string]string
	p.until("table "+caption+" loaded", func() bool {
		var loaded bool
		rows, loaded = p.tableNow(caption)
		return loaded
	})
	return rows
}

// refreshUntil presses Refresh until the table captioned caption shows at
// least n rows (the consumer processes targets a moment after the 202).
func (p *page) refreshUntil(caption string, n int) []map[string]string {
	p.t.Helper()
	var rows []map[string]string
	p.until(fmt.Sprintf("%d rows in %s", n, caption), func() bool {
		p.click(button("Refresh"))
		rows = p.rows(caption)
		return len(rows) >= n
	})
	return rows
}

// table is a table as the page shows it now.
type table struct {
	Loaded bool                `json:"loaded"`
	Rows   []map[string]string `json:"rows"`
}

func (p *page) tableNow(caption string) ([]map[string]string, bool) {
	p.t.Helper()
	out := eval[table](p, fmt.Sprintf(`(() => {
		const t = [...document.querySelectorAll('table')].find(t => t.caption && t.caption.textContent.trim() === %s && !t.closest('[hidden]'));
		if (!t || t.getAttribute('aria-busy') === 'true') return {loaded: false, rows: []};
		const heads = [...t.tHead.rows[0].cells].map(c => c.textContent.trim());
		const rows = [...t.tBodies[0].rows].filter(r => !r.querySelector('td.empty'))
			.map(r => Object.fromEntries([...r.cells].map((c, i) => [heads[i], c.textContent.trim()])));
		return {loaded: true, rows};
	})()`, jsString(caption)))
	return out.Rows, out.Loaded
}

// until polls cond every 250 ms for up to 30 s.
func (p *page) until(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			p.fatal(fmt.Errorf("timed out waiting for %s", what))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// shot saves a screenshot of the viewport as <test artifacts>/<page>-<name>.png.
func (p *page) shot(name string) {
	p.t.Helper()
	if err := p.shotQuietly(name); err != nil {
		p.t.Fatal(err)
	}
}

func (p *page) shotQuietly(name string) error {
	png, err := chromedp.Run(p.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		return fmt.Errorf("screenshot %s: %w", name, err)
	}
	file := filepath.Join(p.t.ArtifactDir(), p.name+"-"+name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		return err
	}
	p.t.Logf("screenshot %s", file)
	return nil
}

// password is the local user email's password.
func password(t *testing.T, email string) string {
	for _, u := range stack.Users {
		if u.Email == email {
			return u.Password
		}
	}
	t.Fatalf("no local user %s", email)
	return ""
}

// consoleURL is the console of the test's local stack.
func consoleURL() string { return stack.APIURL + "/console/" }

// signIn opens the console and signs email in with the local password.
func (p *page) signIn(email string) {
	p.t.Helper()
	p.do(chromedp.Navigate(consoleURL()))
	p.fill("Email", email)
	p.fill("Password", password(p.t, email))
	p.click(button("Sign in"))
	p.visible(button("Sign out"))
}

// storage is everything the page keeps where it outlives a render: both
// storages, its cookies, its address and its history entry's state.
func (p *page) storage() string {
	p.t.Helper()
	return eval[string](p, `JSON.stringify([Object.entries(sessionStorage), Object.entries(localStorage), document.cookie, location.href, history.state])`)
}
