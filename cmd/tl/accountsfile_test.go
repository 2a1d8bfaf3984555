package main

import (
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

func TestDetectFormat(t *testing.T) {
	for _, c := range []struct{ name, head, want string }{
		{"a.csv", `{"account_id":"x"}`, formatCSV},
		{"a.jsonl", "account_id,email", formatJSONL},
		{"a.NDJSON", "", formatJSONL},
		{"-", "  \n {\"account_id\":\"x\"}", formatJSONL},
		{"accounts", "account_id,email", formatCSV},
		{"accounts.txt", "\ufeff{", formatJSONL},
	} {
		if got := detectFormat(c.name, []byte(c.head)); got != c.want {
			t.Errorf("detectFormat(%q, %q) = %s, want %s", c.name, c.head, got, c.want)
		}
	}
}
