package domain

import (
	"fmt"
	"time"
)

// RatePolicy limits each token to at most Burst requests in any window of
// Window() (Burst/PerSecond, in whole seconds): PerSecond on average, bursts
// of up to Burst, and never more than Burst in one window wherever the
// window starts (a sliding window, unlike fixed windows, which let twice
// the burst through around a window's edge).
//
// It is enforced on the arrival times of a token's last Burst allowed
// requests, oldest first: a request is allowed when the oldest of them has
// left the window, and its time then replaces that oldest one. The store
// does this in one conditional update shared by every Lambda instance.
type RatePolicy struct {
	PerSecond int
	Burst     int
}

// Window is the length of the sliding window holding at most Burst requests.
func (p RatePolicy) Window() time.Duration {
	secs := (p.Burst + p.PerSecond - 1) / p.PerSecond
	return time.Duration(max(secs, 1)) * time.Second
}

// Cutoff is the latest arrival time that has left the window at now: a
// request at now is allowed when the oldest of the last Burst arrivals is at
// or before it.
func (p RatePolicy) Cutoff(now time.Time) time.Time {
	return now.Add(-p.Window())
}

// Header is the RateLimit-Policy header value (IETF httpapi ratelimit-headers draft).
func (p RatePolicy) Header() string {
	return fmt.Sprintf(`"per-token";q=%d;w=%d`, p.Burst, int(p.Window()/time.Second))
}

// Decide is the decision for a request at now, given whether it was counted
// and the arrival times of the token's last Burst allowed requests, oldest
// first, as they are after it (with it when allowed). Arrival times at or
// before Cutoff(now) are free quota; a missing one (a shorter list) is too.
func (p RatePolicy) Decide(allowed bool, arrivals []time.Time, now time.Time) RateDecision {
	cutoff := p.Cutoff(now)
	d := RateDecision{Allowed: allowed, Remaining: max(p.Burst-len(arrivals), 0), Reset: now, RetryAt: now}
	oldestInWindow := time.Time{}
	for _, at := range arrivals {
		if !at.After(cutoff) {
			d.Remaining++
			continue
		}
		if oldestInWindow.IsZero() || at.Before(oldestInWindow) {
			oldestInWindow = at
		}
		if end := at.Add(p.Window()); end.After(d.Reset) {
			d.Reset = end
		}
	}
	if d.Remaining == 0 && !oldestInWindow.IsZero() {
		d.RetryAt = oldestInWindow.Add(p.Window())
	}
	return d
}

// RateDecision is the outcome of counting one request.
type RateDecision struct {
	Allowed bool
	// Remaining is how many more requests the window lets through now.
	Remaining int
	// Reset is when every counted request has left the window: the full
	// quota is back.
	Reset time.Time
	// RetryAt is when the next request will be allowed: now while quota
	// remains, else when the oldest counted request leaves the window.
	RetryAt time.Time
}

// Header is the RateLimit header value: remaining quota and the seconds
// until the full quota is back.
func (d RateDecision) Header(now time.Time) string {
	return fmt.Sprintf(`"per-token";r=%d;t=%d`, max(d.Remaining, 0), ceilSeconds(d.Reset.Sub(now)))
}

// RetryAfterSeconds is the whole number of seconds until the next request
// will be allowed (at least 1), for Retry-After.
func (d RateDecision) RetryAfterSeconds(now time.Time) int {
	return max(ceilSeconds(d.RetryAt.Sub(now)), 1)
}

func ceilSeconds(d time.Duration) int {
	return max(int((d+time.Second-1)/time.Second), 0)
}
