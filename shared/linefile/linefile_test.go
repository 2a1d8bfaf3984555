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

// Split cuts by rows and by bytes, repeats a CSV header in every part, and
// keeps each body line's file line; a row too big for any part is set aside.
func TestSplit(t *testing.T) {
	file := "\ufeffh1,h2\r\n" + "a,1\n\n" + "b,2\n" + "c,3\n" + strings.Repeat("x", 40) + "\n" + "d,4\n"
	parts, rows, tooBig, err := Split(strings.NewReader(file), CSV, 2, 20)
	if err != nil {
		t.Fatal(err)
	}
	if rows != 5 || !slices.Equal(tooBig, []int{6}) || len(parts) != 2 {
		t.Fatalf("rows %d, too big %v, %d parts", rows, tooBig, len(parts))
	}
	if string(parts[0].Body) != "h1,h2\na,1\nb,2\n" || !slices.Equal(parts[0].Lines, []int{1, 2, 4}) || parts[0].Rows != 2 {
		t.Errorf("part 0 %q %v", parts[0].Body, parts[0].Lines)
	}
	if string(parts[1].Body) != "h1,h2\nc,3\nd,4\n" || parts[1].FirstLine() != 5 || parts[1].LastLine() != 7 || parts[1].FileLine(3) != 7 || parts[1].FileLine(4) != 0 {
		t.Errorf("part 1 %q %v", parts[1].Body, parts[1].Lines)
	}
	// By bytes: "h1,h2\n" is 6 bytes, each row 4: three rows make 18, a fourth 22.
	parts, _, _, _ = Split(strings.NewReader("h1,h2\na,1\nb,2\nc,3\nd,4\n"), CSV, 500, 20)
	if len(parts) != 2 || parts[0].Rows != 3 || parts[1].Rows != 1 {
		t.Errorf("by bytes: %d parts", len(parts))
	}
	// JSON lines have no header.
	parts, rows, _, _ = Split(strings.NewReader("{}\n{}\n{}\n"), JSONLines, 2, 100)
	if rows != 3 || len(parts) != 2 || string(parts[1].Body) != "{}\n" || parts[1].FirstLine() != 3 {
		t.Errorf("JSON lines: %d rows, %+v", rows, parts)
	}
	if parts, rows, _, err := Split(strings.NewReader("h1,h2\n\n"), CSV, 2, 100); err != nil || rows != 0 || len(parts) != 0 {
		t.Errorf("header only: %d rows, %d parts, %v", rows, len(parts), err)
	}
}
