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
	addr, err := mail.ParseAddress(s)
	if err != nil || addr.Name != "" || addr.Address != s {
		return false
	}
	at := strings.LastIndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}
