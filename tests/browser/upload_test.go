package browser

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/linefile"
	"github.com/targetloader/targetloader/shared/local/localaws"
)

// An admin uploads a CSV file on the Target Loader tab: the summary, the
// bad rows with their lines and the requests show on the page, the records
// come with the outcomes API targets get, the journey targets show Added
// via Target Loader, and uploading the file again adds nothing.
func TestAdminUploadsAFileOfTargets(t *testing.T) {
	const journey = "J-UPLOAD"
	s := seed()
	s.PutJourney(t, domain.Journey{ID: journey, Name: "Upload journey"})
	s.ImportAccounts(t, []domain.Account{
		{ID: "V4TUPL0000000001", Emails: []string{"ada@example.com"}, Status: domain.AccountActive},
		{ID: "V4TUPL0000000002", Emails: []string{"ben@example.com"}, Status: domain.AccountActive},
	})
	file := filepath.Join(t.TempDir(), "event leads.csv")
	csv := "source_system_id,account_id,email,first_name,last_name\n" +
		"booth-1,V4TUPL0000000001,,Ada,One\n" +
		"booth-2,,Ben@Example.com,Ben,Two\n" +
		"booth-3,V4TUPL0000000999,,,\n" +
		"booth-4,,not an email,,\n"
	if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}

	a := open(t, "admin-upload", desktopWidth, desktopHeight)
	a.signIn(localaws.LocalAdmin)
	a.click(link("Upload journey"))
	a.click(tabNamed("Target Loader"))
	a.click(`//summary[normalize-space(.)='Upload targets']`)
	a.visible(control("File"))
	a.do(chromedp.SetUploadFiles(control("File"), []string{file}))
	a.click(button("Upload"))
	a.visible(status("event leads.csv: 4 rows: 3 queued in 1 new request, 0 already imported, 1 bad"))
	if bad := a.rows("Bad rows"); len(bad) != 1 || bad[0]["Line"] != "5" || bad[0]["Problem"] != "email must be a plain email address such as name@example.com" {
		t.Errorf("bad rows %v", bad)
	}
	requests := a.rows("Uploaded requests")
	if len(requests) != 1 || requests[0]["Lines"] != "2–5" || requests[0]["Targets"] != "3" || requests[0]["Status"] != "Queued" {
		t.Fatalf("uploaded requests %v", requests)
	}
	a.shot("uploaded")

	// The records, as API targets get them; the request's button filters them.
	a.click(`//table[caption='Uploaded requests']//button`)
	records := a.refreshUntil("Target loader records", 3)
	outcomes := map[string]string{}
	for _, r := range records {
		outcomes[r["Source System"]] = r["Outcome"] + " / " + r["Status"]
	}
	want := map[string]string{"booth-1": "Matched on account ID / Success", "booth-2": "Matched on email / Success", "booth-3": "No match / Failed"}
	if fmt.Sprint(outcomes) != fmt.Sprint(want) {
		t.Errorf("records %v, want %v", outcomes, want)
	}

	// Again: the same request, already imported; nothing queued twice.
	a.do(chromedp.SetUploadFiles(control("File"), []string{file}))
	a.click(button("Upload"))
	a.visible(status("event leads.csv: 4 rows: 0 queued in 0 new requests, 3 already imported, 1 bad"))
	if again := a.rows("Uploaded requests"); len(again) != 1 || again[0]["Request"] != requests[0]["Request"] || again[0]["Status"] != "Already imported" {
		t.Errorf("re-upload %v", again)
	}
	a.click(tabNamed("Target List"))
	targets := a.refreshUntil("Target list", 2)
	for _, tg := range targets {
		if tg["Added via"] != "Target Loader" || !strings.HasPrefix(tg["Source System"], "booth-") {
			t.Errorf("target %v", tg)
		}
	}
	if len(targets) != 2 {
		t.Errorf("targets %v", targets)
	}

	// The page cuts and keys a file exactly as tl does (shared/linefile).
	big := "\ufeffsource_system_id,account_id\r\n" + strings.Repeat("s,A1\r\n\r\n", 1_100) + "s," + strings.Repeat("é", 600_000) + "\n"
	type part struct {
		Body  string `json:"body"`
		Lines []int  `json:"lines"`
		Rows  int    `json:"rows"`
		Key   string `json:"key"`
	}
	type cut struct {
		Parts  []part `json:"parts"`
		Rows   int    `json:"rows"`
		TooBig []int  `json:"tooBig"`
	}
	got := eval[cut](a, fmt.Sprintf(`import('./upload.js').then(async (m) => {
		const c = m.split(%s, 'csv');
		for (const p of c.parts) p.key = await m.partKey('csv', p.body);
		return c;
	})`, jsString(big)), chromedp.EvalAwaitPromise)
	parts, rows, tooBig, err := linefile.Split(strings.NewReader(big), linefile.CSV, domain.MaxTargets, domain.MaxBodyBytes)
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != rows || !slices.Equal(got.TooBig, tooBig) || len(got.Parts) != len(parts) {
		t.Fatalf("the page cut %d rows into %d parts (too big %v); tl: %d into %d (%v)", got.Rows, len(got.Parts), got.TooBig, rows, len(parts), tooBig)
	}
	for i, p := range parts {
		sum := sha256.Sum256([]byte("csv\n" + string(p.Body)))
		if g := got.Parts[i]; g.Body != string(p.Body) || !slices.Equal(g.Lines, p.Lines) || g.Rows != p.Rows || g.Key != "part-"+hex.EncodeToString(sum[:]) {
			t.Errorf("part %d differs from tl's: rows %d/%d, key %s", i, g.Rows, p.Rows, g.Key)
		}
	}
}
