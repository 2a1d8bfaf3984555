package domain

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"hash/crc32"
	"strings"
	"time"
)

// Token format, modelled on GitHub's: a fixed prefix secret scanners can find,
// 43 base62 characters from crypto/rand (43 x log2(62) = 256.03 bits) and a
// 6-character base62 CRC-32 of the rest, so a mistyped token is refused
// without a database read.
const (
	TokenPrefix        = "tl_"
	tokenRandomLen     = 43
	tokenChecksumLen   = 6
	TokenLength        = len(TokenPrefix) + tokenRandomLen + tokenChecksumLen
	base62Alphabet     = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	obscuredVisibleLen = 4
)

// NewTokenSecret returns a fresh token secret.
func NewTokenSecret() (string, error) {
	random := make([]byte, 0, tokenRandomLen)
	buf := make([]byte, 64)
	for len(random) < tokenRandomLen {
		if _, err := rand.Read(buf); err != nil {
			return "", err
		}
		for _, b := range buf {
			// Rejection sampling keeps every character equally likely: 248 = 4 x 62.
			if b < 248 && len(random) < tokenRandomLen {
				random = append(random, base62Alphabet[b%62])
			}
		}
	}
	body := TokenPrefix + string(random)
	return body + tokenChecksum(body), nil
}

// ValidTokenFormat reports whether s has the token's prefix, length,
// alphabet and a matching checksum.
func ValidTokenFormat(s string) bool {
	if len(s) != TokenLength || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	for _, c := range []byte(s[len(TokenPrefix):]) {
		if strings.IndexByte(base62Alphabet, c) < 0 {
			return false
		}
	}
	body := s[:len(s)-tokenChecksumLen]
	return s[len(body):] == tokenChecksum(body)
}

// HashToken is the value stored and looked up for a token: SHA-256, hex.
// A plain hash suffices because the secret carries 256 random bits.
func HashToken(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// ObscureToken shows a token as its prefix and last four characters.
func ObscureToken(secret string) string {
	if len(secret) < len(TokenPrefix)+obscuredVisibleLen {
		return TokenPrefix + "…"
	}
	return TokenPrefix + "…" + secret[len(secret)-obscuredVisibleLen:]
}

func tokenChecksum(body string) string {
	n := crc32.ChecksumIEEE([]byte(body))
	out := make([]byte, tokenChecksumLen)
	for i := tokenChecksumLen - 1; i >= 0; i-- {
		out[i] = base62Alphabet[n%62]
		n /= 62
	}
	return string(out)
}

// TokenStatus is a token's state as shown to marketers.
type TokenStatus string

const (
	TokenActive  TokenStatus = "active"
	TokenExpired TokenStatus = "expired"
	TokenRevoked TokenStatus = "revoked"
)

// Token is a stored API token. It never holds the secret, only its hash.
type Token struct {
	Hash      string    `dynamodbav:"token_hash" json:"-"`
	ID        string    `dynamodbav:"token_id" json:"token_id"`
	JourneyID string    `dynamodbav:"journey_id" json:"journey_id"`
	Obscured  string    `dynamodbav:"obscured" json:"token"`
	CreatedBy string    `dynamodbav:"created_by" json:"created_by"`
	CreatedAt time.Time `dynamodbav:"created_at" json:"created_at"`
	ExpiresAt time.Time `dynamodbav:"expires_at" json:"expires_at"`
	// DeleteAfter (epoch seconds) drives DynamoDB TTL clean-up only; expiry is enforced in code.
	DeleteAfter int64      `dynamodbav:"delete_after" json:"-"`
	RevokedAt   *time.Time `dynamodbav:"revoked_at,omitempty" json:"revoked_at,omitempty"`
	RevokedBy   string     `dynamodbav:"revoked_by,omitempty" json:"revoked_by,omitempty"`
	// CallbackURL, when set, receives a signed request.completed webhook
	// for each completed request of the token (PRODUCT.md §9).
	CallbackURL string `dynamodbav:"callback_url,omitempty" json:"callback_url,omitempty"`
}

// TokenRetention is how long a token's item outlives its expiry before TTL
// deletes it, so the audit trail stays visible in listings for a while.
const TokenRetention = 90 * 24 * time.Hour

// Status is the token's state at now. A token expired by a marketer after
// its expiry had passed stays expired: the first event names the state.
func (t Token) Status(now time.Time) TokenStatus {
	switch {
	case t.RevokedAt != nil && !now.Before(*t.RevokedAt) && t.RevokedAt.Before(t.ExpiresAt):
		return TokenRevoked
	case !now.Before(t.ExpiresAt):
		return TokenExpired
	default:
		return TokenActive
	}
}
