package domain_test

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func newSecret(t *testing.T) string {
	t.Helper()
	s, err := domain.NewTokenSecret()
	if err != nil {
		t.Fatalf("NewTokenSecret() error = %v", err)
	}
	return s
}

func TestNewTokenSecretFormat(t *testing.T) {
	if domain.TokenLength != 52 {
		t.Errorf("TokenLength = %d, want 52 (tl_ + 43 random + 6 checksum)", domain.TokenLength)
	}
	if domain.TokenPrefix != "tl_" {
		t.Errorf("TokenPrefix = %q, want tl_", domain.TokenPrefix)
	}
	re := regexp.MustCompile(`^tl_[0-9A-Za-z]+$`)
	for range 200 {
		s := newSecret(t)
		if len(s) != domain.TokenLength {
			t.Fatalf("len(%q) = %d, want %d", s, len(s), domain.TokenLength)
		}
		if !re.MatchString(s) {
			t.Fatalf("%q is not tl_ followed by base62", s)
		}
		if !domain.ValidTokenFormat(s) {
			t.Fatalf("ValidTokenFormat(%q) = false for a fresh token", s)
		}
	}
}

func TestNewTokenSecretUnique(t *testing.T) {
	const n = 10000
	seen := make(map[string]bool, n)
	randomParts := make(map[string]bool, n)
	for range n {
		s := newSecret(t)
		if seen[s] {
			t.Fatalf("duplicate token %q after %d", s, len(seen))
		}
		seen[s] = true
		randomParts[s[3:3+43]] = true
	}
	if len(randomParts) != n {
		t.Errorf("%d distinct random parts among %d tokens", len(randomParts), n)
	}
}

// Every character of the alphabet appears in random parts, at every position
// class, so the sampling is not visibly biased or truncated.
func TestNewTokenSecretUsesWholeAlphabet(t *testing.T) {
	counts := map[byte]int{}
	for range 2000 {
		s := newSecret(t)
		for i := 3; i < 3+43; i++ {
			counts[s[i]]++
		}
	}
	total := 2000 * 43
	for i := range len(base62) {
		c := counts[base62[i]]
		// Expected 1387 each; allow a wide margin.
		if c < total/62/2 || c > total/62*2 {
			t.Errorf("character %q appears %d times in %d, far from uniform", base62[i], c, total)
		}
	}
}

// The checksum catches every single-character substitution, anywhere in the token.
func TestValidTokenFormatRefusesEverySubstitution(t *testing.T) {
	alphabet := base62 + "_-+/=. \x00é"
	for range 5 {
		s := newSecret(t)
		for i := range len(s) {
			for _, r := range alphabet {
				if string(r) == s[i:i+1] {
					continue
				}
				mutated := s[:i] + string(r) + s[i+1:]
				if domain.ValidTokenFormat(mutated) {
					t.Fatalf("ValidTokenFormat(%q) = true: substitution at %d of %q not caught", mutated, i, s)
				}
			}
		}
	}
}

func TestValidTokenFormatRefusesTranspositions(t *testing.T) {
	s := newSecret(t)
	for i := 3; i+1 < len(s); i++ {
		if s[i] == s[i+1] {
			continue
		}
		b := []byte(s)
		b[i], b[i+1] = b[i+1], b[i]
		if domain.ValidTokenFormat(string(b)) {
			t.Errorf("transposition at %d accepted: %q", i, b)
		}
	}
}

func TestValidTokenFormat(t *testing.T) {
	s := newSecret(t)
	tests := []struct {
		name  string
		token string
		want  bool
	}{
		{name: "valid", token: s, want: true},
		{name: "empty", token: ""},
		{name: "prefix only", token: "tl_"},
		{name: "wrong prefix", token: "gh_" + s[3:]},
		{name: "upper-case prefix", token: "TL_" + s[3:]},
		{name: "no prefix, right length", token: "tlx" + s[3:]},
		{name: "one short", token: s[:len(s)-1]},
		{name: "one long", token: s + "0"},
		{name: "leading space", token: " " + s[:len(s)-1]},
		{name: "trailing newline", token: s + "\n"},
		{name: "surrounding whitespace", token: " " + s + " "},
		{name: "bearer prefix kept", token: "Bearer " + s},
		{name: "dash in body", token: s[:10] + "-" + s[11:]},
		{name: "underscore in body", token: s[:10] + "_" + s[11:]},
		{name: "multibyte in body", token: s[:10] + "é" + s[12:]},
		{name: "obscured form", token: domain.ObscureToken(s)},
		{name: "all zeros", token: "tl_" + strings.Repeat("0", domain.TokenLength-3)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.ValidTokenFormat(tt.token); got != tt.want {
				t.Errorf("ValidTokenFormat(%q) = %v, want %v", tt.token, got, tt.want)
			}
		})
	}
}

func TestHashToken(t *testing.T) {
	s := newSecret(t)
	h := domain.HashToken(s)
	sum := sha256.Sum256([]byte(s))
	if want := hex.EncodeToString(sum[:]); h != want {
		t.Errorf("HashToken() = %q, want hex sha256 %q", h, want)
	}
	if h != domain.HashToken(s) {
		t.Error("HashToken() is not stable")
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h) {
		t.Errorf("HashToken() = %q, want 64 lower-case hex digits", h)
	}
	if strings.Contains(h, s[3:]) {
		t.Error("hash contains the secret")
	}
	// Known vector.
	if got, want := domain.HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf(`HashToken("abc") = %q, want %q`, got, want)
	}
	if domain.HashToken(s) == domain.HashToken(newSecret(t)) {
		t.Error("two tokens hash alike")
	}
}

func TestObscureToken(t *testing.T) {
	s := newSecret(t)
	tests := []struct {
		name   string
		secret string
		want   string
	}{
		{name: "fresh token", secret: s, want: "tl_…" + s[len(s)-4:]},
		{name: "example", secret: "tl_" + strings.Repeat("a", 45) + "Xk3f", want: "tl_…Xk3f"},
		{name: "too short", secret: "tl_ab", want: "tl_…"},
		{name: "empty", secret: "", want: "tl_…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := domain.ObscureToken(tt.secret)
			if got != tt.want {
				t.Errorf("ObscureToken() = %q, want %q", got, tt.want)
			}
			if len(tt.secret) > 8 && strings.Contains(got, tt.secret[3:len(tt.secret)-4]) {
				t.Errorf("ObscureToken() = %q reveals the secret", got)
			}
		})
	}
}

func TestTokenStatus(t *testing.T) {
	created := utc(2026, time.November, 1, 0, 0)
	expires := utc(2026, time.December, 1, 0, 0)
	revoked := utc(2026, time.November, 15, 0, 0)
	tests := []struct {
		name      string
		revokedAt *time.Time
		now       time.Time
		want      domain.TokenStatus
	}{
		{name: "just created", now: created, want: domain.TokenActive},
		{name: "a nanosecond before expiry", now: expires.Add(-time.Nanosecond), want: domain.TokenActive},
		{name: "at expiry", now: expires, want: domain.TokenExpired},
		{name: "after expiry", now: expires.Add(time.Hour), want: domain.TokenExpired},
		{name: "a nanosecond before revocation", revokedAt: &revoked, now: revoked.Add(-time.Nanosecond), want: domain.TokenActive},
		{name: "at revocation", revokedAt: &revoked, now: revoked, want: domain.TokenRevoked},
		{name: "revoked, after expiry", revokedAt: &revoked, now: expires.Add(time.Hour), want: domain.TokenRevoked},
		{
			name: "expiry compared as instants across zones", now: expires.In(time.FixedZone("UTC-5", -5*3600)),
			want: domain.TokenExpired,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := domain.Token{ID: "T1", JourneyID: "J1", CreatedAt: created, ExpiresAt: expires, RevokedAt: tt.revokedAt}
			if got := tok.Status(tt.now); got != tt.want {
				t.Errorf("Status(%v) = %q, want %q", tt.now, got, tt.want)
			}
		})
	}
	for _, s := range []struct {
		got  domain.TokenStatus
		want string
	}{{domain.TokenActive, "active"}, {domain.TokenExpired, "expired"}, {domain.TokenRevoked, "revoked"}} {
		if string(s.got) != s.want {
			t.Errorf("status %q, want %q", s.got, s.want)
		}
	}
}

// The token's JSON (what listings show) never carries the hash.
func TestTokenJSONHidesHash(t *testing.T) {
	tok := domain.Token{Hash: "deadbeef", ID: "T1", Obscured: "tl_…abcd", DeleteAfter: 12345}
	b, err := jsonMarshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b, "deadbeef") || strings.Contains(b, "12345") {
		t.Errorf("token JSON %s exposes the hash or TTL", b)
	}
	if !strings.Contains(b, `"token":"tl_…abcd"`) {
		t.Errorf("token JSON %s lacks the obscured token", b)
	}
}
