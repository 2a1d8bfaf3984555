package domain

import (
	"errors"
	"time"
)

// IdempotencyWindow is how long an Idempotency-Key is remembered.
const IdempotencyWindow = 24 * time.Hour

// IdempotencyRecord ties an Idempotency-Key of a token to the request it created.
type IdempotencyRecord struct {
	Key         string    `dynamodbav:"idempotency_key"`
	RequestUUID string    `dynamodbav:"request_uuid"`
	BodyHash    string    `dynamodbav:"body_hash"`
	CreatedAt   time.Time `dynamodbav:"created_at"`
	DeleteAfter int64     `dynamodbav:"delete_after"`
}

// ErrIdempotencyBusy means another request with the same Idempotency-Key is
// being written at this moment.
var ErrIdempotencyBusy = errors.New("a request with this idempotency key is in flight")

// IdempotencyItemKey scopes a client's key to its token.
func IdempotencyItemKey(tokenID, key string) string { return tokenID + "#" + key }

// UploadIdempotencyItemKey scopes an admin's upload key to the journey, so
// that the same part of a file uploaded twice, by anyone, is recognised.
// Token ids are uuids: the two kinds of item key never meet.
func UploadIdempotencyItemKey(journeyID, key string) string {
	return IdempotencyItemKey("upload:"+journeyID, key)
}

// ValidIdempotencyKey reports whether a trimmed Idempotency-Key is 1 to
// MaxIdempotencyKeyChars printable ASCII characters (space to tilde): what
// an HTTP header carries safely, and nothing that rewrites a log or a terminal.
func ValidIdempotencyKey(key string) bool {
	if key == "" || len(key) > MaxIdempotencyKeyChars {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < ' ' || key[i] > '~' {
			return false
		}
	}
	return true
}
