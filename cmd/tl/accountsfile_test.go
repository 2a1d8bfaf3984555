package main

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestParseAccountsCSVQuirks(t *testing.T) {
	// Excel-style: BOM, CRLF, header in another order with spaces, quoted
	// cells, upper-case status; then a broken quote and a short row.
	content := "\ufeffStatus, account_id ,email,first_name,last_name\r\n" +
		"ACTIVE,A1,\"a@x.com; b@x.com\",\"Smith, Jr.\",Jo\r\n" +
		"active,A2,c\"d@x.com,x,y\r\n" +
		"active,A3\r\n" +
		"inactive,A4,,,\r\n"
	got, err := parseAccounts("accounts.csv", strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	if got.Format != formatCSV || len(got.Rows) != 4 {
		t.Fatalf("parsed %+v", got)
	}
	a := got.Rows[0]
	if a.Err != nil || a.Line != 2 || a.Account.ID != "A1" || a.Account.Status != "active" ||
		!slices.Equal(a.Account.Emails, []string{"a@x.com", "b@x.com"}) || a.Account.FirstName != "Smith, Jr." {
		t.Errorf("row 0 = %+v", a)
	}
	if r := got.Rows[1]; r.Line != 3 || r.Err == nil || !strings.Contains(r.Err.Error(), "not valid CSV") {
		t.Errorf("row 1 = %+v", r)
	}
	if r := got.Rows[2]; r.Line != 4 || r.Err == nil || r.Err.Error() != "has 2 fields, the header has 5" {
		t.Errorf("row 2 = %+v", r)
	}
	if r := got.Rows[3]; r.Line != 5 || r.Err != nil || r.Account.Status != "inactive" || len(r.Account.Emails) != 0 {
		t.Errorf("row 3 = %+v", r)
	}
}

func TestParseAccountsCSVUnclosedQuoteSwallowsNothing(t *testing.T) {
	content := "account_id,email,first_name,last_name,status\n" +
		"A1,\"a1@x.com,Ann,One,active\n" +
		"A2,a2@x.com,Bob,Two,active\n" +
		"\n" +
		"A3,\"a3@x.com\",\"Cy\nA4,a4@x.com,Di,Four,active"
	got, err := parseAccounts("accounts.csv", strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, r := range got.Rows {
		lines = append(lines, r.Line)
	}
	if !slices.Equal(lines, []int{2, 3, 5, 6}) {
		t.Fatalf("rows at lines %v, want 2, 3, 5, 6", lines)
	}
	for i, wantErr := range []bool{true, false, true, false} {
		if r := got.Rows[i]; (r.Err != nil) != wantErr {
			t.Errorf("line %d: err %v", r.Line, r.Err)
		}
	}
	if id := got.Rows[3].Account.ID; id != "A4" {
		t.Errorf("the last line without a line break: %+v", got.Rows[3])
	}
}

// BenchmarkParseAccountsCSV parses 100,000 rows, as PERFORMANCE.md's import
// measurement does (each row parsed on its own line).
func BenchmarkParseAccountsCSV(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("account_id,email,first_name,last_name,status\n")
	for i := range 100_000 {
		fmt.Fprintf(&sb, "V4T%012d,user%d@example.com,First,Last,active\n", i, i)
	}
	content := sb.String()
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		if _, err := parseAccounts("accounts.csv", strings.NewReader(content)); err != nil {
			b.Fatal(err)
		}
	}
}
