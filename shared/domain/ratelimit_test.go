package domain_test

import (
	"testing"
	"time"

	"github.com/targetloader/targetloader/shared/domain"
)

// simulate runs the sliding window as the store does: a request is counted
// when the oldest of the last Burst arrivals has left the window.
type simulate struct {
	p        domain.RatePolicy
	arrivals []time.Time
}

func (s *simulate) take(now time.Time) domain.RateDecision {
	if len(s.arrivals) < s.p.Burst || !s.arrivals[0].After(s.p.Cutoff(now)) {
		s.arrivals = append(s.arrivals, now)
		if len(s.arrivals) > s.p.Burst {
			s.arrivals = s.arrivals[1:]
		}
		return s.p.Decide(true, s.arrivals, now)
	}
	return s.p.Decide(false, s.arrivals, now)
}

func TestRatePolicyWindowAndHeader(t *testing.T) {
	for _, tt := range []struct {
		p      domain.RatePolicy
		window time.Duration
		header string
	}{
		{domain.RatePolicy{PerSecond: 10, Burst: 20}, 2 * time.Second, `"per-token";q=20;w=2`},
		{domain.RatePolicy{PerSecond: 1, Burst: 3}, 3 * time.Second, `"per-token";q=3;w=3`},
		{domain.RatePolicy{PerSecond: 10, Burst: 15}, 2 * time.Second, `"per-token";q=15;w=2`},
		{domain.RatePolicy{PerSecond: 10, Burst: 10}, time.Second, `"per-token";q=10;w=1`},
	} {
		if got := tt.p.Window(); got != tt.window {
			t.Errorf("%+v: Window = %s, want %s", tt.p, got, tt.window)
		}
		if got := tt.p.Header(); got != tt.header {
			t.Errorf("%+v: Header = %s, want %s", tt.p, got, tt.header)
		}
	}
}

// The review's finding: with fixed windows, 20 requests just before a
// window's edge and 20 just after were all accepted (40 in 0.2 s against
// 20 per 2 s). A sliding window accepts 20 of them, wherever the edge is.
func TestRatePolicyNoBurstAtAWindowEdge(t *testing.T) {
	p := domain.RatePolicy{PerSecond: 10, Burst: 20}
	start := time.Date(2026, 11, 26, 12, 0, 1, 900_000_000, time.UTC) // 0.1 s before an even second
	for _, offset := range []time.Duration{0, 50 * time.Millisecond, 100 * time.Millisecond, 1900 * time.Millisecond} {
		s := &simulate{p: p}
		accepted := 0
		for i := range 40 {
			now := start.Add(offset + time.Duration(i)*5*time.Millisecond) // 40 requests in 0.2 s
			if s.take(now).Allowed {
				accepted++
			}
		}
		if accepted != 20 {
			t.Errorf("offset %s: %d of 40 requests in 0.2 s accepted; the policy is 20 per 2 s", offset, accepted)
		}
	}
}

// Over any window of 2 s, never more than 20 requests, whatever the pattern.
func TestRatePolicyAnyWindowHoldsAtMostBurst(t *testing.T) {
	p := domain.RatePolicy{PerSecond: 10, Burst: 20}
	s := &simulate{p: p}
	start := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var allowed []time.Time
	for i := range 2000 {
		// Bursts and pauses: 30 requests 10 ms apart, then a pause of 0.7 s.
		now := start.Add(time.Duration(i/30)*1000*time.Millisecond + time.Duration(i%30)*10*time.Millisecond)
		if s.take(now).Allowed {
			allowed = append(allowed, now)
		}
	}
	for i := range allowed {
		n := 0
		for j := i; j < len(allowed) && allowed[j].Sub(allowed[i]) < p.Window(); j++ {
			n++
		}
		if n > p.Burst {
			t.Fatalf("%d requests allowed in the 2 s from %s", n, allowed[i].Format("15:04:05.000"))
		}
	}
	if len(allowed) < 600 {
		t.Errorf("only %d of 2000 requests over ~67 s allowed; the policy allows ~10/s", len(allowed))
	}
}

func TestRateDecisionHeaders(t *testing.T) {
	p := domain.RatePolicy{PerSecond: 1, Burst: 3}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	s := &simulate{p: p}
	for i, want := range []string{`"per-token";r=2;t=3`, `"per-token";r=1;t=3`, `"per-token";r=0;t=3`} {
		d := s.take(now)
		if !d.Allowed || d.Header(now) != want {
			t.Errorf("request %d: allowed %v, RateLimit %s, want %s", i, d.Allowed, d.Header(now), want)
		}
	}
	// One second later: still refused until the first request leaves the window.
	later := now.Add(time.Second + 400*time.Millisecond)
	d := s.take(later)
	if d.Allowed || d.RetryAfterSeconds(later) != 2 || d.Header(later) != `"per-token";r=0;t=2` {
		t.Errorf("refusal: allowed %v, Retry-After %d, RateLimit %s", d.Allowed, d.RetryAfterSeconds(later), d.Header(later))
	}
	// A slot frees up when the oldest request leaves the window.
	free := now.Add(3 * time.Second)
	if d := s.take(free); !d.Allowed || d.Header(free) != `"per-token";r=2;t=3` {
		t.Errorf("after the window: allowed %v, RateLimit %s", d.Allowed, d.Header(free))
	}
	// A fresh token: nothing counted yet.
	if d := p.Decide(true, []time.Time{now}, now); d.Remaining != 2 || d.RetryAfterSeconds(now) != 1 {
		t.Errorf("first request: %+v", d)
	}
}
