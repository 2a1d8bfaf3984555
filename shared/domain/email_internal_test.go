package domain

import (
	"math/rand/v2"
	"net/mail"
	"strings"
	"testing"
)

// parsedPlainAddress is what plainAddress was written from, and is held to:
// net/mail reads s as an address alone, with no name, equal to s, whose
// domain has a dot.
func parsedPlainAddress(s string) bool {
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

var plainAddressCases = []string{
	"a@b.co", "Bob.Smith@Example.COM", "a+tag@sub.example.co.uk", "x!#$%&'*+-/=?^_`{|}~@y.z",
	"a@localhost", "@x.com", "a@", "a", "", "@", ".a@b.c", "a.@b.c", "a..b@c.d", "a@.b.c", "a@b.c.", "a@b..c",
	"a@b@c.d", "a b@c.d", " a@b.c", "a@b.c ", "a@ b.c", "a @b.c", "\"a b\"@c.d", "\"a\"@c.d", "a(c)@b.c", "a@b.c (Bob)",
	"Bob <b@x.com>", "<b@x.com>", "a@x.com, b@x.com", "g: a@b.c;", "é@exemple.fr", "a@exämple.fr", "a@exemple.fr\u00a0",
	"a\t@b.c", "a;b@c.d", "a\\b@c.d", "a@b.c\x7f", "a\x00@b.c", "\xff@b.c", "a@b.\xffc", "a@b.c\xe2\x82", "\uFFFD@b.c",
	"a@[1.2.3.4]", "a@[::1]", "a@[::ffff:1.2.3.4]", "a@[1.2.3]", "a@[1.2.3.4", "a@1.2.3.4]", "a@[1.2.3.4]]", "a@[[1.2.3.4]]",
	"a@[ 1.2.3.4]", "a@[1.2.3.4 ]", "a@[fe80::1%eth0]", "a@[256.1.1.1]", "a@[1.2.3.4].com", "a@x[1.2.3.4]", "a@[é]",
}

// plainAddress answers as net/mail does: on the cases above, and on random
// strings built from the pieces that matter.
func TestPlainAddressMatchesNetMail(t *testing.T) {
	cases := append([]string(nil), plainAddressCases...)
	atoms := []string{"a", "b", "x", "a", "b", "x", "Z9", "+", "'", "~", "é", "ä", "\uFFFD", ".", ".", ".", "@"}
	others := []string{"@", " ", "<", ">", "(", ")", "[", "]", `"`, ":", ";", ",", `\`, "\t", "\u00a0", "\x7f", "\x00", "\xff", "\xc3"}
	domains := []string{"[1.2.3.4]", "[::1]", "[::ffff:10.0.0.1]", "[1.2.3]", "[x]", "[]"}
	rng := rand.New(rand.NewPCG(14, 2))
	for range 50_000 {
		var b strings.Builder
		for range rng.IntN(6) {
			b.WriteString(atoms[rng.IntN(len(atoms))])
		}
		b.WriteString("@")
		if rng.IntN(8) == 0 {
			b.WriteString(domains[rng.IntN(len(domains))])
		} else {
			for range rng.IntN(6) {
				b.WriteString(atoms[rng.IntN(len(atoms))])
			}
		}
		s := b.String()
		if i := rng.IntN(len(s) + 1); rng.IntN(4) == 0 {
			s = s[:i] + others[rng.IntN(len(others))] + s[i:]
		}
		cases = append(cases, s)
	}
	accepted := 0
	for _, s := range cases {
		got, want := plainAddress(s), parsedPlainAddress(s)
		if got != want {
			t.Errorf("plainAddress(%q) = %v, net/mail says %v", s, got, want)
		}
		if got {
			accepted++
		}
	}
	if accepted < len(cases)/50 {
		t.Errorf("only %d of %d cases are plain addresses: the generator misses the accepting side", accepted, len(cases))
	}
}

// FuzzPlainAddress holds plainAddress to net/mail's answer on any string.
func FuzzPlainAddress(f *testing.F) {
	for _, s := range plainAddressCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := plainAddress(s), parsedPlainAddress(s); got != want {
			t.Fatalf("plainAddress(%q) = %v, net/mail says %v", s, got, want)
		}
	})
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
