package linefile

import (
	"io"
	"slices"
	"strings"
	"testing"
)

func TestDetectFormat(t *testing.T) {
	for _, c := range []struct{ name, head, want string }{
		{"a.csv", `{"account_id":"x"}`, CSV},
		{"a.jsonl", "account_id,email", JSONLines},
		{"a.NDJSON", "", JSONLines},
		{"-", "  \n {\"account_id\":\"x\"}", JSONLines},
		{"accounts", "account_id,email", CSV},
		{"accounts.txt", "\ufeff{", JSONLines},
	} {
		if got := DetectFormat(c.name, []byte(c.head)); got != c.want {
			t.Errorf("DetectFormat(%q, %q) = %s, want %s", c.name, c.head, got, c.want)
		}
	}
}

// Lines skips blank lines but counts them, drops the byte order mark and
// the line breaks, and yields a last line without a line break.
func TestLines(t *testing.T) {
	l := NewLines(strings.NewReader("\ufeffa,b\r\n\n  \r\nc,d\ne"))
	var got []string
	var numbers []int
	for {
		n, text, err := l.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		numbers = append(numbers, n)
		got = append(got, text)
	}
	if !slices.Equal(got, []string{"a,b", "c,d", "e"}) || !slices.Equal(numbers, []int{1, 4, 5}) {
		t.Errorf("lines %q at %v", got, numbers)
	}
}

func TestHeaderRow(t *testing.T) {
	h, err := ParseHeader(" Email ,ACCOUNT_ID,extra")
	if err != nil || !h.Has("email") || !h.Has("account_id") || h.Has("first_name") {
		t.Fatalf("header %+v, %v", h, err)
	}
	row, err := h.Row(`"a@x.com", A1 , "x, y"`)
	if err != nil || row["email"] != "a@x.com" || row["account_id"] != "A1" || row["extra"] != "x, y" {
		t.Errorf("row %v, %v", row, err)
	}
	for line, want := range map[string]string{
		"a,b":         "has 2 fields, the header has 3",
		`"a,b,c`:      "a quoted cell is not closed on this line",
		`a,b"c,d`:     `a " in a cell that does not start with one`,
		`a,"b"c",d`:   "not valid CSV",
		"a,b,c,d,e,f": "has 6 fields, the header has 3",
	} {
		if _, err := h.Row(line); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Row(%q) = %v, want %q", line, err, want)
		}
	}
}
