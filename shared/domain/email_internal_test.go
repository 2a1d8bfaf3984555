package domain

import (
	"math/rand/v2"
	"net/mail"
	"strings"
	"testing"
)

// parsedPlainAddress is plainAddress without its dot-atom shortcut: every
// address through net/mail.
func parsedPlainAddress(s string) bool {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

// The dot-atom shortcut decides exactly as net/mail: on addresses that take
// it, on near misses, and on random strings over the characters that matter.
func TestPlainAddressShortcutMatchesNetMail(t *testing.T) {
	cases := []string{
		"a@b.co", "Bob.Smith@Example.COM", "a+tag@sub.example.co.uk", "x!#$%&'*+-/=?^_`{|}~@y.z",
		"a@localhost", "@x.com", "a@", "a", "", ".a@b.c", "a.@b.c", "a..b@c.d", "a@.b.c", "a@b.c.", "a@b..c",
		"a@b@c.d", "a b@c.d", " a@b.c", "a@b.c ", "a@[1.2.3.4]", "\"a b\"@c.d", "a(c)@b.c", "a@b.c (Bob)",
		"Bob <b@x.com>", "<b@x.com>", "a@x.com, b@x.com", "é@exemple.fr", "a@exemple.fr\u00a0", "a\t@b.c", "a;b@c.d",
		"a\\b@c.d", "a@b.c\x7f", "a\x00@b.c",
	}
	// Mostly atext, dots and one @, so that many take the shortcut.
	atoms := []string{"a", "b", "x", "a", "b", "x", "Z9", "+", "'", "~", "é", ".", ".", ".", "@"}
	others := []string{"@", " ", "<", ">", "(", ")", "[", "]", `"`, ":", ";", ",", `\`, "\t", "\u00a0", "\x7f", "\x00"}
	rng := rand.New(rand.NewPCG(14, 2))
	for range 50_000 {
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(atoms[rng.IntN(len(atoms))])
		}
		b.WriteString("@")
		for range rng.IntN(6) {
			b.WriteString(atoms[rng.IntN(len(atoms))])
		}
		s := b.String()
		if i := rng.IntN(len(s) + 1); rng.IntN(4) == 0 {
			s = s[:i] + others[rng.IntN(len(others))] + s[i:]
		}
		cases = append(cases, s)
	}
	for _, s := range cases {
		if got, want := plainAddress(s), parsedPlainAddress(s); got != want {
			t.Errorf("plainAddress(%q) = %v, net/mail says %v", s, got, want)
		}
	}
}

// atext holds exactly the visible ASCII characters but RFC 5322's specials
// and the dot.
func TestAtextTable(t *testing.T) {
	for c := range 256 {
		want := '!' <= c && c <= '~' && !strings.ContainsRune(`()<>[]:;@\,".`, rune(c))
		if atext[c] != want {
			t.Errorf("atext[%q] = %v, want %v", rune(c), atext[c], want)
		}
	}
}
