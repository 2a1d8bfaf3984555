package domain

// Snapshot is what ingest and the consumer read together in one call:
// a token, a journey and a request, each nil when missing or not asked for.
type Snapshot struct {
	Token   *Token
	Journey *Journey
	Request *Request
}
