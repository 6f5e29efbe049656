package staff

import (
	"sync"
	"time"
)

// Lockout policy per account (kept in the store, so it holds across servers).
const (
	MaxFailures = 5
	LockoutFor  = 15 * time.Minute
)

// IPLimiter allows each address a burst of sign-in attempts refilled at a steady
// rate: a token bucket per address, in memory. It slows one address spraying many
// accounts, which the per-account lockout cannot see. Per server, deliberately: the
// account lockout is the shared, durable limit.
type IPLimiter struct {
	mu      sync.Mutex
	burst   float64
	perSec  float64
	buckets map[string]*bucket
	now     func() time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewIPLimiter allows burst attempts, then one per every interval.
func NewIPLimiter(burst int, every time.Duration) *IPLimiter {
	return &IPLimiter{burst: float64(burst), perSec: 1 / every.Seconds(), buckets: map[string]*bucket{}, now: time.Now}
}

// Allow takes one attempt for ip, reporting false when none is left.
func (l *IPLimiter) Allow(ip string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.buckets) > 10000 {
		l.prune(now)
	}
	b, ok := l.buckets[ip]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[ip] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.perSec)
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// prune forgets addresses whose buckets are full again, bounding memory.
func (l *IPLimiter) prune(now time.Time) {
	for ip, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.perSec >= l.burst {
			delete(l.buckets, ip)
		}
	}
}
