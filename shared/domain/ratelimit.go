package domain

import (
	"fmt"
	"time"
)

// RatePolicy limits each token to PerSecond requests per second on average,
// with bursts of up to Burst. It is enforced as a fixed window of
// Burst/PerSecond seconds holding at most Burst requests: one atomic counter
// update per request, shared by every Lambda instance.
type RatePolicy struct {
	PerSecond int
	Burst     int
}

// Window is the length of one counting window.
func (p RatePolicy) Window() time.Duration {
	secs := (p.Burst + p.PerSecond - 1) / p.PerSecond
	return time.Duration(max(secs, 1)) * time.Second
}

// WindowStart is the start of the window holding now.
func (p RatePolicy) WindowStart(now time.Time) time.Time {
	return now.Truncate(p.Window())
}

// Header is the RateLimit-Policy header value (IETF httpapi ratelimit-headers draft).
func (p RatePolicy) Header() string {
	return fmt.Sprintf(`"per-token";q=%d;w=%d`, p.Burst, int(p.Window()/time.Second))
}

// RateDecision is the outcome of counting one request.
type RateDecision struct {
	Allowed   bool
	Remaining int
	// Reset is when the current window ends and the quota is restored.
	Reset time.Time
}

// Header is the RateLimit header value: remaining quota and seconds to reset.
func (d RateDecision) Header(now time.Time) string {
	return fmt.Sprintf(`"per-token";r=%d;t=%d`, max(d.Remaining, 0), d.RetryAfterSeconds(now))
}

// RetryAfterSeconds is the whole number of seconds until the window resets (at least 1).
func (d RateDecision) RetryAfterSeconds(now time.Time) int {
	secs := int((d.Reset.Sub(now) + time.Second - 1) / time.Second)
	return max(secs, 1)
}
