package main

import (
	"bytes"
	"strings"
	"testing"
)

// Values in tables come from others (targets submitted through the API,
// imported names): none may reach the terminal as a control sequence.
func TestPrintTableEscapesNonPrintableCharacters(t *testing.T) {
	var out bytes.Buffer
	a := &app{env: Env{Stdout: &out}}
	rows := [][]string{
		{"1", "cdp\x1b[2J\x1b[31m-1", "Ada\tLove\nlace"},
		{"2", "abc\u202edcba", "x\u009b2Jy"},
		{"3", "Zoë 李 محمد", "bad\xffbyte"},
		{"4", "", "nul\x00del\x7f"},
	}
	if err := a.printTable([]string{"INDEX", "SOURCE SYSTEM", "NAME"}, rows); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{`cdp\x1b[2J\x1b[31m-1`, `Ada\tLove\nlace`, `abc\u202edcba`, `x\u009b2Jy`, "Zoë 李 محمد", `bad\xffbyte`, `nul\x00del\x7f`} {
		if !strings.Contains(got, want) {
			t.Errorf("table lacks %s:\n%s", want, got)
		}
	}
	for _, raw := range []string{"\x1b", "\u202e", "\u009b", "\x00", "\x7f", "\xff"} {
		if strings.Contains(got, raw) {
			t.Errorf("table holds the raw character %q:\n%s", raw, got)
		}
	}
	if lines := strings.Count(got, "\n"); lines != 1+len(rows) {
		t.Errorf("%d lines, want one per row and the header:\n%s", lines, got)
	}
	if last := strings.Fields(strings.Split(got, "\n")[4]); len(last) < 2 || last[1] != "-" {
		t.Errorf("an empty cell is not shown as -:\n%s", got)
	}
}
