package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/targetloader/targetloader/shared/domain"
)

const sampleCSV = `account_id,email,first_name,last_name,status
V4T001,ada@example.com,Ada,Lovelace,active
V4T002,grace@example.com; g.hopper@example.org,Grace,Hopper,active
V4T003,,Alan,Turing,inactive
V4T004,not-an-email,Bad,Email,active
,nobody@example.com,No,Id,active
V4T005,edsger@example.com,Edsger,Dijkstra,retired
V4T006,shared@example.com,Kathleen,Booth,active
V4T007,shared@example.com,Andrew,Booth,active
`

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestAccountsImportCSV(t *testing.T) {
	h := newHarness(t)
	file := writeFile(t, "accounts.csv", sampleCSV)
	// Bad rows: reported, skipped, and the exit status is 1; the rest is imported.
	r := h.fails("3 of 8 rows were bad and skipped (see above); the other rows are stored", "accounts", "import", file)
	for _, want := range []string{
		file + `:5: email "not-an-email" is not a plain email address`,
		file + ":6: account_id is required",
		file + `:7: status must be "active" or "inactive", got "retired"`,
		"5/5 accounts: 5 new, 0 changed, 0 unchanged",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr %q lacks %q", r.stderr, want)
		}
	}
	if want := "8 rows: 5 new, 0 changed, 0 unchanged, 3 bad\n"; r.stdout != want {
		t.Errorf("summary = %q, want %q", r.stdout, want)
	}

	// The accounts and the email lookups are stored.
	s := h.accounts()
	got, err := s.Lookup(context.Background(), []string{"V4T002", "V4T003"}, []string{"SHARED@example.com", "g.hopper@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if a := got.ByID["V4T002"]; !slices.Equal(a.Emails, []string{"grace@example.com", "g.hopper@example.org"}) || a.Status != domain.AccountActive {
		t.Errorf("V4T002 = %+v", a)
	}
	if a := got.ByID["V4T003"]; a.Status != domain.AccountInactive || len(a.Emails) != 0 {
		t.Errorf("V4T003 = %+v", a)
	}
	if ids := got.ByEmail["shared@example.com"]; !slices.Equal(ids, []string{"V4T006", "V4T007"}) {
		t.Errorf("shared@example.com -> %v", ids)
	}

	// Re-importing changes nothing, and says so; --json holds the bad rows.
	r = h.fails("3 of 8 rows were bad", "accounts", "import", file, "--json")
	if !strings.Contains(r.stderr, "5/5 accounts: 0 new, 0 changed, 5 unchanged") {
		t.Errorf("re-import progress %q", r.stderr)
	}
	sum := decodeJSON[importSummary](t, r.stdout)
	want := importSummary{File: file, Format: formatCSV, Rows: 8, New: 0, Changed: 0, Unchanged: 5, Bad: 3, BadRows: []badRow{
		{Line: 5, Message: `email "not-an-email" is not a plain email address`},
		{Line: 6, Message: "account_id is required"},
		{Line: 7, Message: `status must be "active" or "inactive", got "retired"`},
	}}
	if !equalSummaries(sum, want) {
		t.Errorf("re-import summary = %+v, want %+v", sum, want)
	}

	// One changed account, one new, the rest unchanged; no bad row: exit 0.
	good := strings.Join([]string{
		"account_id,email,first_name,last_name,status",
		"V4T001,ada@example.com,Ada,Lovelace,inactive",
		"V4T002,grace@example.com; g.hopper@example.org,Grace,Hopper,active",
		"V4T008,new@example.com,New,One,active",
		"V4T002,grace@example.com; g.hopper@example.org,Grace,Hopper,active",
	}, "\n")
	r = h.ok("accounts", "import", writeFile(t, "good.csv", good))
	if want := "4 rows: 1 new, 1 changed, 1 unchanged, 1 duplicate, 0 bad\n"; r.stdout != want {
		t.Errorf("summary = %q, want %q", r.stdout, want)
	}
}

func equalSummaries(a, b importSummary) bool {
	return a.File == b.File && a.Format == b.Format && a.Rows == b.Rows && a.New == b.New && a.Changed == b.Changed &&
		a.Unchanged == b.Unchanged && a.Duplicates == b.Duplicates && a.Bad == b.Bad && slices.Equal(a.BadRows, b.BadRows)
}

func TestAccountsImportReportsEachBrokenRowOnItsOwn(t *testing.T) {
	h := newHarness(t)
	// An unclosed quote on line 3 must not swallow lines 4 and 5.
	content := "account_id,email,first_name,last_name,status\n" +
		"A1,a1@example.com,Ann,One,active\n" +
		"A2,\"a2@example.com,Bob,Two,active\n" +
		"A3,a3@example.com,Cy,Three,active\n" +
		"A4,\"a4@example.com\",\"Di, Jr.\",Four,active\n" +
		"A5,a\"5@example.com,Ed,Five,active\n"
	file := writeFile(t, "broken.csv", content)
	r := h.fails("2 of 5 rows were bad", "accounts", "import", file, "--json")
	sum := decodeJSON[importSummary](t, r.stdout)
	if sum.Rows != 5 || sum.New != 3 || sum.Bad != 2 || len(sum.BadRows) != 2 || sum.BadRows[0].Line != 3 || sum.BadRows[1].Line != 6 {
		t.Fatalf("summary = %+v", sum)
	}
	if !strings.Contains(sum.BadRows[0].Message, "a quoted cell is not closed on this line") {
		t.Errorf("line 3: %q", sum.BadRows[0].Message)
	}
	if !strings.Contains(sum.BadRows[1].Message, `a " in a cell that does not start with one`) {
		t.Errorf("line 6: %q", sum.BadRows[1].Message)
	}
	got, err := h.accounts().Lookup(context.Background(), []string{"A1", "A2", "A3", "A4", "A5"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.ByID) != 3 || got.ByID["A4"].FirstName != "Di, Jr." || got.ByID["A3"].ID == "" {
		t.Errorf("stored %+v", got.ByID)
	}
}

func TestAccountsImportJSONL(t *testing.T) {
	h := newHarness(t)
	content := strings.Join([]string{
		`{"account_id":"V4T101","email":"one@example.com","first_name":"One","last_name":"A","status":"active"}`,
		``,
		`{"account_id":"V4T102","email":["two@example.com","Two.Alt@Example.com"],"status":"inactive"}`,
		`{"account_id":"V4T103","email":42,"status":"active"}`,
		`{"account_id":"V4T104","status":"active"`,
		`["not","an","object"]`,
		`{"account_id":"V4T105","email":"five@example.com","status":"ACTIVE","extra":"ignored"}`,
		`{"account_id":"V4T101","email":"one@example.org","first_name":"One","last_name":"A","status":"active"}`,
	}, "\n")
	// No extension: the format is detected from the content.
	file := writeFile(t, "accounts.txt", content)
	r := h.fails("3 of 7 rows were bad", "accounts", "import", file, "--json")
	sum := decodeJSON[importSummary](t, r.stdout)
	want := importSummary{File: file, Format: formatJSONL, Rows: 7, New: 3, Bad: 3, Duplicates: 1, BadRows: []badRow{
		{Line: 4, Message: "email must be a string or an array of strings"},
		{Line: 5, Message: sum.BadRows[min(1, len(sum.BadRows)-1)].Message},
		{Line: 6, Message: "not a JSON object"},
	}}
	if !equalSummaries(sum, want) || !strings.HasPrefix(sum.BadRows[1].Message, "not valid JSON") {
		t.Errorf("summary = %+v, want %+v", sum, want)
	}
	for _, w := range []string{
		file + ":4: email must be a string or an array of strings",
		file + ":5: not valid JSON",
		file + ":6: not a JSON object",
	} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr %q lacks %q", r.stderr, w)
		}
	}
	got, err := h.accounts().Lookup(context.Background(), []string{"V4T101", "V4T102", "V4T105"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := got.ByID["V4T101"].Emails; !slices.Equal(e, []string{"one@example.org"}) {
		t.Errorf("V4T101 emails = %v; the last row should win", e)
	}
	if e := got.ByID["V4T102"].Emails; !slices.Equal(e, []string{"two@example.com", "two.alt@example.com"}) {
		t.Errorf("V4T102 emails = %v", e)
	}
	if s := got.ByID["V4T105"].Status; s != domain.AccountActive {
		t.Errorf("V4T105 status = %q", s)
	}

	// Standard input works too, and the same accounts change nothing.
	r = h.tlIn(content, "accounts", "import", "-")
	if r.code != 1 || r.stdout != "7 rows: 0 new, 0 changed, 3 unchanged, 1 duplicate, 3 bad\n" {
		t.Errorf("stdin import: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestAccountsImportFailures(t *testing.T) {
	h := newHarness(t)
	h.fails("cannot read /no/such/file.csv: no such file or directory", "accounts", "import", "/no/such/file.csv")
	r := h.fails("holds no valid accounts: all 2 rows are bad", "accounts", "import",
		writeFile(t, "bad.csv", "account_id,email,first_name,last_name,status\nA,x,,,active\nB,,,,gone\n"))
	if r.stdout != "2 rows: 0 new, 0 changed, 0 unchanged, 2 bad\n" {
		t.Errorf("all bad: stdout %q", r.stdout)
	}
	h.fails("holds no accounts", "accounts", "import", writeFile(t, "empty.csv", ""))
	h.fails("holds no accounts", "accounts", "import", writeFile(t, "header-only.csv", "account_id,email,first_name,last_name,status\n\n"))
	h.fails("the CSV header must name the columns", "accounts", "import", writeFile(t, "nohdr.csv", "A,a@b.com,,,active\n"))
	h.fails("line 1: the CSV header is not valid CSV", "accounts", "import", writeFile(t, "badhdr.csv", "account_id,\"email,status\nA,a@b.com,active\n"))

	// The shipped example: its one bad row is reported, the rest imported.
	r = h.fails("1 of 21 rows was bad and skipped", "accounts", "import", filepath.Join("..", "..", "examples", "accounts.csv"))
	if r.stdout != "21 rows: 20 new, 0 changed, 0 unchanged, 1 bad\n" || strings.Count(r.stderr, "accounts.csv:") != 1 {
		t.Errorf("example import: stdout %q, stderr %q", r.stdout, r.stderr)
	}
}
