package outbox

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limits are the token buckets every send obeys: Telegram's ~30 messages
// per second overall, 20 per minute per group and about 1 per second per
// private chat.
type Limits struct {
	GlobalPerSecond  float64
	GroupPerMinute   float64
	PrivatePerSecond float64
}

// Telegram counts messages in sliding windows: at most ~30 in any second
// overall, 20 in any minute per group, about 1 a second per private chat.
// A token bucket admits its burst plus rate × window in any window, so the
// buckets below are sized to keep burst + rate × window under each limit,
// with a little room for network jitter between our clock and Telegram's.
// A fan-out then runs at ~92% of the global limit with no 429 at all.

// newGlobalLimiter is the bucket for all sends of the process. A burst of
// 2 lets two replies that arrive together both go out at once instead of
// the second one waiting in the outbox; a fan-out then runs at ~89% of
// the limit. Paid broadcast (hundreds a second) gets a burst in
// proportion.
func newGlobalLimiter(perSecond float64) *rate.Limiter {
	if perSecond < 2 {
		return rate.NewLimiter(rate.Limit(perSecond*0.9), 1)
	}
	burst := 2
	if perSecond >= 100 {
		burst = int(perSecond / 50)
	}
	return rate.NewLimiter(rate.Limit((perSecond-float64(burst))*0.95), burst)
}

// newGroupLimiter is a group's bucket. A burst of 3 lets a reply and a
// card go out together; the refill rate pays for the burst. A limit far
// above Telegram's (a test deployment, a local Bot API server) gets a
// second's worth as its burst, as the global bucket does: with 3, a
// thousand cards arriving for one chat within a millisecond would queue
// although the limit allows them.
func newGroupLimiter(perMinute float64) *rate.Limiter {
	burst := 1
	switch {
	case perMinute >= 600:
		burst = int(perMinute / 60)
	case perMinute >= 10:
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

// Limiter holds the global bucket and one bucket per chat. The direct path
// (a handler's reply) only ever takes tokens that are there; the outbox
// waits for them.
type Limiter struct {
	limits Limits
	global *rate.Limiter

	mu    sync.Mutex
	chats map[int64]*chatLimiter
}

type chatLimiter struct {
	l    *rate.Limiter
	used time.Time
}

// NewLimiter builds the buckets; zero limits take Telegram's.
func NewLimiter(l Limits) *Limiter {
	if l.GlobalPerSecond <= 0 {
		l.GlobalPerSecond = 30
	}
	if l.GroupPerMinute <= 0 {
		l.GroupPerMinute = 20
	}
	if l.PrivatePerSecond <= 0 {
		l.PrivatePerSecond = 1
	}
	return &Limiter{limits: l, global: newGlobalLimiter(l.GlobalPerSecond), chats: map[int64]*chatLimiter{}}
}

// Chat is chat's bucket.
func (l *Limiter) Chat(chat int64) *rate.Limiter {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.chatLocked(chat)
}

func (l *Limiter) chatLocked(chat int64) *rate.Limiter {
	c, ok := l.chats[chat]
	if !ok {
		b := newGroupLimiter(l.limits.GroupPerMinute)
		if chat > 0 {
			b = newPrivateLimiter(l.limits.PrivatePerSecond)
		}
		c = &chatLimiter{l: b}
		l.chats[chat] = c
		if len(l.chats) > 20000 {
			cut := time.Now().Add(-10 * time.Minute)
			for k, v := range l.chats {
				if v.used.Before(cut) {
					delete(l.chats, k)
				}
			}
		}
	}
	c.used = time.Now()
	return c.l
}

// Interval is the time chat's bucket takes to refill one token.
func (l *Limiter) Interval(chat int64) time.Duration {
	r := l.Chat(chat).Limit()
	if r == rate.Inf || r <= 0 {
		return 0
	}
	return time.Duration(float64(time.Second) / float64(r))
}

// TryTake takes n tokens from chat's bucket and the global one if both
// have them now, and reports whether it did: both or neither.
func (l *Limiter) TryTake(chat int64, n int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	cl := l.chatLocked(chat)
	if cl.TokensAt(now) < float64(n) || l.global.TokensAt(now) < float64(n) {
		return false
	}
	cl.AllowN(now, n)
	l.global.AllowN(now, n)
	return true
}

// Delay is how long until both chat's bucket and the global one hold a
// token: 0 when a message could go now.
func (l *Limiter) Delay(chat int64) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	return max(tokenDelay(l.chatLocked(chat), now), tokenDelay(l.global, now))
}

func tokenDelay(b *rate.Limiter, now time.Time) time.Duration {
	tok := b.TokensAt(now)
	if tok >= 1 || b.Limit() == rate.Inf || b.Limit() <= 0 {
		return 0
	}
	return time.Duration((1 - tok) / float64(b.Limit()) * float64(time.Second))
}

// Wait blocks until chat may receive another message. Both buckets give
// up their token at the same moment, just before the send: Telegram counts
// messages when they arrive, so a chat token taken while still queueing
// for the global one would let two sends land closer than the bucket
// allows.
func (l *Limiter) Wait(ctx context.Context, chat int64) error {
	cl := l.Chat(chat)
	for {
		if err := untilToken(ctx, cl); err != nil {
			return fmt.Errorf("rate limit wait: %w", err)
		}
		if err := l.global.Wait(ctx); err != nil {
			return fmt.Errorf("rate limit wait: %w", err)
		}
		if cl.Allow() {
			return nil
		}
		// Another send to this chat took the token meanwhile; the global
		// token is spent, which only slows us down.
	}
}

// untilToken waits until b has a token, without taking it.
func untilToken(ctx context.Context, b *rate.Limiter) error {
	for {
		d := tokenDelay(b, time.Now())
		if d == 0 {
			return nil
		}
		t := time.NewTimer(d + time.Millisecond)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}
