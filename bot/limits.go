package bot

import (
	"context"
	"time"

	"golang.org/x/time/rate"
)

// Telegram counts messages in sliding windows: at most ~30 in any second
// overall, 20 in any minute per group, about 1 a second per private chat.
// A token bucket admits its burst plus rate × window in any window, so the
// buckets below are sized to keep burst + rate × window under each limit,
// with a little room for network jitter between our clock and Telegram's.
// A fan-out then runs at ~92% of the global limit with no 429 at all.

// newGlobalLimiter is the bucket for all sends of the process.
func newGlobalLimiter(perSecond float64) *rate.Limiter {
	r := perSecond * 0.9
	if perSecond >= 2 {
		r = (perSecond - 1) * 0.95
	}
	return rate.NewLimiter(rate.Limit(r), 1)
}

// newGroupLimiter is a group's bucket. A burst of 3 lets a reply and a
// card go out together; the refill rate pays for the burst.
func newGroupLimiter(perMinute float64) *rate.Limiter {
	burst := 1
	if perMinute >= 10 {
		burst = 3
	}
	r := (perMinute - float64(burst)) * 0.98 / 60
	if r <= 0 {
		r = perMinute * 0.9 / 60
	}
	return rate.NewLimiter(rate.Limit(r), burst)
}

// newPrivateLimiter is a private chat's bucket.
func newPrivateLimiter(perSecond float64) *rate.Limiter {
	return rate.NewLimiter(rate.Limit(perSecond*0.9), 1)
}

// untilToken waits until l has a token, without taking it.
func untilToken(ctx context.Context, l *rate.Limiter) error {
	for {
		tok := l.TokensAt(time.Now())
		if tok >= 1 || l.Limit() == rate.Inf {
			return nil
		}
		d := time.Duration((1 - tok) / float64(l.Limit()) * float64(time.Second))
		t := time.NewTimer(d + time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
