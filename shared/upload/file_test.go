package upload_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/targetloader/targetloader/shared/domain"
	"github.com/targetloader/targetloader/shared/linefile"
	"github.com/targetloader/targetloader/shared/upload"
)

// A CSV file: each row checked on its own with the API's rules; bad rows
// reported with their lines, the others indexed in file order.
func TestDecodeTargetFileCSV(t *testing.T) {
	file := "\ufeffEmail, source_system_id ,account_id,first_name,last_name,notes\r\n" +
		"a@example.com,crm-1,V4T1,Ada,Lovelace,ignored\r\n" +
		"\r\n" +
		",crm-2,,,,\r\n" +
		"Dr. B <b@example.com>,crm-3,,,,\r\n" +
		"c@example.com,,,,,\r\n" +
		"d@example.com,crm-5,\"V4T5\",\"Smith, Jr.\",Jo,\r\n" +
		"e@example.com,crm-6\r\n" +
		"f@example.com,\"crm-7,V4T7,,,\r\n" +
		"g@example.com," + strings.Repeat("s", 129) + ",V4T8,,,\n"
	got, err := upload.DecodeFile(linefile.CSV, []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	want := upload.Rows{
		Rows: 8,
		Targets: []domain.Target{
			{Index: 0, SourceSystemID: "crm-1", AccountID: "V4T1", Email: "a@example.com", FirstName: "Ada", LastName: "Lovelace"},
			{Index: 1, SourceSystemID: "crm-5", AccountID: "V4T5", Email: "d@example.com", FirstName: "Smith, Jr.", LastName: "Jo"},
		},
		Lines: []int{2, 7},
		Bad: []upload.RowError{
			{Line: 4, Message: "one of account_id or email is required"},
			{Line: 5, Message: "email must be a plain email address such as name@example.com"},
			{Line: 6, Message: "source_system_id is required and must not be blank"},
			{Line: 8, Message: "has 2 fields, the header has 6"},
			{Line: 9, Message: `not valid CSV: a quoted cell is not closed on this line, or a " inside it is not doubled`},
			{Line: 10, Message: "source_system_id must be at most 128 characters"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DecodeTargetFile (-want +got):\n%s", diff)
	}
}

// A JSON lines file: wrong types and lines that are no object are bad rows.
func TestDecodeTargetFileJSONLines(t *testing.T) {
	file := strings.Join([]string{
		`{"source_system_id":"s1","account_id":"A1","extra":{"x":1}}`,
		`{"source_system_id":"s2","email":42}`,
		``,
		`["s3","A3"]`,
		`{"source_system_id":"s4","account_id":"A4"`,
		`null`,
		`{"source_system_id":"s6","account_id":"A6"} {"source_system_id":"s7"}`,
		`{"source_system_id":" s8 ","email":"E8@example.com","first_name":null}`,
		`{"email":"x@example.com","account_id":"A9","source_system_id":""}`,
	}, "\n")
	got, err := upload.DecodeFile(linefile.JSONLines, []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	if got.Rows != 8 || !slices.Equal(got.Lines, []int{1, 8}) ||
		got.Targets[1] != (domain.Target{Index: 1, SourceSystemID: "s8", Email: "E8@example.com"}) {
		t.Errorf("rows %d, lines %v, targets %+v", got.Rows, got.Lines, got.Targets)
	}
	want := map[int]string{
		2: "email must be a string",
		4: "must be a JSON object with the keys source_system_id, account_id, email, first_name, last_name, not a JSON array",
		5: "not valid JSON: unexpected end of input",
		6: "must be a JSON object with the keys source_system_id, account_id, email, first_name, last_name, not null",
		7: "holds more than one JSON value; put one target per line",
		9: "source_system_id is required and must not be blank",
	}
	for _, b := range got.Bad {
		if want[b.Line] != b.Message {
			t.Errorf("line %d: %q, want %q", b.Line, b.Message, want[b.Line])
		}
		delete(want, b.Line)
	}
	if len(want) > 0 {
		t.Errorf("not reported: %v", want)
	}
}

// Problems with the file as a whole refuse it.
func TestDecodeTargetFileRefused(t *testing.T) {
	rows := func(n int) string {
		var b strings.Builder
		b.WriteString("source_system_id,account_id\n")
		for i := range n {
			fmt.Fprintf(&b, "s%d,A%d\n", i, i)
		}
		return b.String()
	}
	for name, tc := range map[string]struct{ format, body, want string }{
		"empty":            {linefile.CSV, "", "holds no rows"},
		"header only":      {linefile.CSV, "source_system_id,email\n\n", "holds no rows"},
		"blank JSON lines": {linefile.JSONLines, "\n \n", "holds no rows"},
		"no source column": {linefile.CSV, "account_id,email\nA1,a@b.com\n", "must name the columns source_system_id,account_id,email,first_name,last_name"},
		"no id column":     {linefile.CSV, "source_system_id,first_name\ns,Ann\n", "must name the columns"},
		"broken header":    {linefile.CSV, "source_system_id,\"email\ns,a@b.com\n", "Line 1, the CSV header, is not valid CSV"},
		"not UTF-8":        {linefile.CSV, "source_system_id,email\ns,\xff@b.com\n", "not valid UTF-8"},
		"501 rows":         {linefile.CSV, rows(501), "The file holds 501 rows; at most 500 are accepted per upload."},
	} {
		_, err := upload.DecodeFile(tc.format, []byte(tc.body))
		var pe *domain.PayloadError
		if !errors.As(err, &pe) || !strings.Contains(pe.Detail, tc.want) || len(pe.Fields) != 0 {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if got, err := upload.DecodeFile(linefile.CSV, []byte(rows(500))); err != nil || len(got.Targets) != 500 || got.Targets[499].Index != 499 {
		t.Errorf("500 rows: %v", err)
	}
}

// A row of a file and the same target in an API request are judged alike:
// one rule set.
func TestDecodeTargetFileUsesTheAPIRules(t *testing.T) {
	for _, target := range []string{
		`{"source_system_id":"s","email":"` + strings.Repeat("a", 250) + `@b.co"}`,
		`{"source_system_id":"s","account_id":"` + strings.Repeat("é", 65) + `"}`,
		`{"source_system_id":"s","email":"a@b"}`,
		`{"source_system_id":"s","account_id":"A","first_name":"` + strings.Repeat("n", 101) + `"}`,
		`{"source_system_id":"s","email":"\"quoted\"@example.com"}`,
	} {
		_, apiErr := domain.DecodeTargets([]byte("[" + target + "]"))
		rows, err := upload.DecodeFile(linefile.JSONLines, []byte(target))
		if err != nil {
			t.Fatal(err)
		}
		if (apiErr == nil) != (len(rows.Bad) == 0) {
			t.Errorf("%.60s: API %v, file %+v", target, apiErr, rows.Bad)
		}
	}
}
