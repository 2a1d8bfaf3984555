package domain

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestTooLongCountsCharacters(t *testing.T) {
	tests := []struct {
		s     string
		limit int
		want  bool
	}{
		{"", 0, false},
		{"a", 0, true},
		{strings.Repeat("a", 64), 64, false},
		{strings.Repeat("a", 65), 64, true},
		{strings.Repeat("é", 64), 64, false}, // 128 bytes
		{strings.Repeat("é", 65), 64, true},
		{strings.Repeat("😀", 64), 64, false}, // 256 bytes
		{strings.Repeat("😀", 65), 64, true},
		// A byte that is not UTF-8 counts as one character.
		{strings.Repeat("\xff", 64), 64, false},
		{strings.Repeat("\xff", 65), 64, true},
	}
	for _, tt := range tests {
		if got := tooLong(tt.s, tt.limit); got != tt.want {
			t.Errorf("tooLong(%q, %d) = %v, want %v", tt.s, tt.limit, got, tt.want)
		}
	}
}

// The limits PRODUCT.md §3 states.
func TestLimitsOfProduct(t *testing.T) {
	for name, got := range map[string][2]int{
		"MaxTargets":             {MaxTargets, 500},
		"MaxBodyBytes":           {MaxBodyBytes, 1024 * 1024},
		"MaxSourceSystemIDChars": {MaxSourceSystemIDChars, 128},
		"MaxAccountIDChars":      {MaxAccountIDChars, 64},
		"MaxEmailChars":          {MaxEmailChars, 254},
		"MaxNameChars":           {MaxNameChars, 100},
		"MaxIdempotencyKeyChars": {MaxIdempotencyKeyChars, 255},
	} {
		if got[0] != got[1] {
			t.Errorf("%s = %d, want %d", name, got[0], got[1])
		}
	}
}

// hasControlChars answers for every character as unicode's tables do.
func TestHasControlCharsEveryRune(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		want := unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r)
		if got := hasControlChars(string(r)); got != want && utf8.ValidRune(r) {
			t.Fatalf("hasControlChars(%U) = %v, want %v", r, got, want)
		}
	}
}
