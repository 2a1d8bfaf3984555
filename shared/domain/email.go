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
// (PERFORMANCE.md "The decoder").
func dotAtomAddress(s string) (domain string, ok bool) {
	at := strings.IndexByte(s, '@')
	if at < 0 {
		return "", false
	}
	for _, part := range [...]string{s[:at], s[at+1:]} {
		if part == "" || part[0] == '.' || part[len(part)-1] == '.' {
			return "", false
		}
		for i := range len(part) {
			if c := part[i]; c == '.' && part[i-1] == '.' || c != '.' && !atext[c] {
				return "", false
			}
		}
	}
	return s[at+1:], true
}

// atext are RFC 5322's atext characters in ASCII, as net/mail reads them:
// the visible ones but its specials ()<>[]:;@\,". and the dot.
var atext = [256]bool{
	'!': true, '#': true, '$': true, '%': true, '&': true, '\'': true, '*': true, '+': true, '-': true, '/': true,
	'0': true, '1': true, '2': true, '3': true, '4': true, '5': true, '6': true, '7': true, '8': true, '9': true,
	'=': true, '?': true,
	'A': true, 'B': true, 'C': true, 'D': true, 'E': true, 'F': true, 'G': true, 'H': true, 'I': true, 'J': true,
	'K': true, 'L': true, 'M': true, 'N': true, 'O': true, 'P': true, 'Q': true, 'R': true, 'S': true, 'T': true,
	'U': true, 'V': true, 'W': true, 'X': true, 'Y': true, 'Z': true,
	'^': true, '_': true, '`': true,
	'a': true, 'b': true, 'c': true, 'd': true, 'e': true, 'f': true, 'g': true, 'h': true, 'i': true, 'j': true,
	'k': true, 'l': true, 'm': true, 'n': true, 'o': true, 'p': true, 'q': true, 'r': true, 's': true, 't': true,
	'u': true, 'v': true, 'w': true, 'x': true, 'y': true, 'z': true,
	'{': true, '|': true, '}': true, '~': true,
}
