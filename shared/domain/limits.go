package domain

import (
	"unicode"
	"unicode/utf8"
)

// The service's limits. Text limits are in characters (Unicode code points),
// as PRODUCT.md states them, and are all checked with tooLong; only the sizes
// of the body and of queue messages are in bytes. Even at 4 bytes a
// character, every id stays well within DynamoDB's key size limits.
const (
	// MaxTargets is the most targets one ingest request may hold (PRODUCT.md §3),
	// and the most rows one upload may hold (§10).
	MaxTargets = 500
	// MaxImportRows is the most rows one file of targets an admin imports
	// may hold (PRODUCT.md §10); it travels in uploads of MaxTargets rows.
	MaxImportRows = 100_000
	// MaxBodyBytes is the largest ingest body (PRODUCT.md §3: 413 over 1 MiB),
	// and the largest upload. Bytes, because it bounds what is read and
	// parsed before any decoding.
	MaxBodyBytes = 1 << 20

	// MaxSourceSystemIDChars limits a target's source_system_id (PRODUCT.md §3).
	MaxSourceSystemIDChars = 128
	// MaxAccountIDChars limits a target's account_id (PRODUCT.md §3), and
	// imported accounts' ids, so that every account can be submitted.
	MaxAccountIDChars = 64
	// MaxEmailChars limits a target's email (PRODUCT.md §3; RFC 5321's longest path).
	MaxEmailChars = 254
	// MaxNameChars limits a target's first_name and last_name (PRODUCT.md §3).
	MaxNameChars = 100

	// MaxJourneyIDChars limits a journey's id. PRODUCT.md sets none; the id is
	// part of every ingest URL and of several tables' keys.
	MaxJourneyIDChars = 128

	// MaxIdempotencyKeyChars limits the Idempotency-Key header (PRODUCT.md §3).
	MaxIdempotencyKeyChars = 255

	// MaxBatchMessageBytes limits one queue message body, and one
	// SendMessageBatch call. SQS messages may be up to 1 MiB since 2025, but
	// 256 KiB keeps every message within the limit older tooling and
	// LocalStack versions enforce.
	MaxBatchMessageBytes = 256 * 1024
)

// tooLong reports whether s has more than limit characters. Every text limit
// is checked with it, so that all of them count the same way.
func tooLong(s string, limit int) bool {
	return utf8.RuneCountInString(s) > limit
}

// hasControlChars reports whether s holds a character that rewrites what a
// terminal or a log viewer shows: a C0 or C1 control character or DEL (ESC
// among them, so every escape sequence) or a bidirectional control such as
// U+202E RIGHT-TO-LEFT OVERRIDE, which reorders the text around it. No
// submitted value needs one, and tl prints values in tables.
func hasControlChars(s string) bool {
	for _, r := range s {
		// The table look-up only from the first bidi control, U+061C, on:
		// most text never needs it (TestHasControlCharsEveryRune).
		if unicode.IsControl(r) || r >= '\u061c' && unicode.Is(unicode.Bidi_Control, r) {
			return true
		}
	}
	return false
}
