package domain

import (
	"net"
	"strings"
	"unicode/utf8"
)

// NormalizedEmail is the form emails are matched in: trimmed, lower-cased.
func NormalizedEmail(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// plainAddress accepts "name@example.com" and refuses display names, angle
// brackets, comments and lists: it accepts what net/mail.ParseAddress reads
// as an address alone, with no name, equal to s, whose domain has a dot —
// local@domain where local is an RFC 5322 dot-atom (RFC 6532: UTF-8 allowed)
// and domain a dot-atom or an IP address in brackets. It is written out
// rather than calling net/mail, which would be 13 KB of each function's
// code (PERFORMANCE.md "Lambda binaries"); tests hold it to net/mail's answer.
func plainAddress(s string) bool {
	at := strings.LastIndexByte(s, '@')
	if at < 0 || !dotAtom(s[:at]) {
		return false
	}
	domain := s[at+1:]
	if ip, ok := strings.CutPrefix(domain, "["); ok {
		ip, ok = strings.CutSuffix(ip, "]")
		return ok && net.ParseIP(ip) != nil && strings.Contains(ip, ".")
	}
	return dotAtom(domain) && strings.Contains(domain, ".")
}

// dotAtom reports whether s is atoms of atext joined by single dots.
func dotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf { // any valid multibyte character is atext
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				return false
			}
			i += size
			continue
		}
		if c == '.' && s[i-1] == '.' || c != '.' && !atext[c] {
			return false
		}
		i++
	}
	return true
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
