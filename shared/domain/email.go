package domain

import (
	"net/mail"
	"strings"
)

// NormalizedEmail is the form emails are matched in: trimmed, lower-cased.
func NormalizedEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// plainAddress accepts "name@example.com" and refuses display names, angle
// brackets, comments and lists.
func plainAddress(s string) bool {
	if domain, ok := dotAtomAddress(s); ok {
		return strings.Contains(domain, ".")
	}
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

// dotAtomAddress reports whether s is local@domain with both parts ASCII
// dot-atoms (RFC 5322 atext, dots only between atoms), and its domain.
// net/mail reads such an address as itself with no name, so plainAddress
// decides it without a parse: most addresses, at a fraction of the cost
// (PERFORMANCE.md "Handler benchmarks").
func dotAtomAddress(s string) (domain string, ok bool) {
	at := strings.IndexByte(s, '@')
	if at < 0 {
		return "", false
	}
	domain = s[at+1:]
	return domain, dotAtom(s[:at]) && dotAtom(domain)
}

func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := range len(s) {
		if c := s[i]; c != '.' && !atext[c] {
			return false
		}
	}
	return true
}

// atext are RFC 5322's atext characters in ASCII: the visible ones but its
// specials, as net/mail reads them.
var atext = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = !strings.ContainsRune(`()<>[]:;@\,".`, c)
	}
	return t
}()
