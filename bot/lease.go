package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/bsm/redislock"
)

// Lease makes one replica at a time do something: send the outbox, or
// long-poll (Telegram answers a second poller with 409 Conflict). It is a
// bsm/redislock lock refreshed every TTL/3; the holder stops as soon as a
// refresh fails, well before the lock can expire and another replica take
// it, and releases it on shutdown so a successor starts at once.
type Lease struct {
	locks *redislock.Client
	key   string
	ttl   time.Duration
	log   *slog.Logger
	until atomic.Int64 // unix nanos; Held is false past it
	// OnChange reports gaining (true) and losing (false) the lease.
	OnChange func(held bool)
}

// NewLease builds a lease on key (build it with store.DB.KeyLock).
func NewLease(locks *redislock.Client, key string, ttl time.Duration, log *slog.Logger) *Lease {
	if ttl <= 0 {
		ttl = 15 * time.Second
	}
	return &Lease{locks: locks, key: key, ttl: ttl, log: log}
}

// Held reports whether this process may still act on the lease. It turns
// false at 2/3 of the TTL after the last refresh, before anyone else can
// obtain the lock.
func (l *Lease) Held() bool { return time.Now().UnixNano() < l.until.Load() }

// Run competes for the lease until ctx ends, calling fn each time it is
// obtained. fn's context ends when ctx does or when the lease is lost
// (then Held is already false); fn must return promptly after that.
func (l *Lease) Run(ctx context.Context, fn func(ctx context.Context)) {
	for ctx.Err() == nil {
		lock, err := l.locks.Obtain(ctx, l.key, l.ttl, nil)
		switch {
		case err == nil:
			l.hold(ctx, lock, fn)
			continue
		case errors.Is(err, redislock.ErrNotObtained), ctx.Err() != nil:
		default:
			l.log.Warn("lease: obtain", "key", l.key, "err", err)
		}
		sleep(ctx, l.ttl/3)
	}
}

func (l *Lease) hold(ctx context.Context, lock *redislock.Lock, fn func(ctx context.Context)) {
	l.until.Store(time.Now().Add(l.ttl * 2 / 3).UnixNano())
	if l.OnChange != nil {
		l.OnChange(true)
	}
	lctx, cancel := context.WithCancel(ctx)
	kept := make(chan struct{})
	go func() {
		defer close(kept)
		l.keep(lctx, lock, cancel)
	}()
	fn(lctx)
	cancel()
	<-kept
	l.until.Store(0)
	if l.OnChange != nil {
		l.OnChange(false)
	}
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer rcancel()
	if err := lock.Release(rctx); err != nil && !errors.Is(err, redislock.ErrLockNotHeld) {
		l.log.Warn("lease: release", "key", l.key, "err", err)
	}
}

func (l *Lease) keep(ctx context.Context, lock *redislock.Lock, lost func()) {
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		if err := lock.Refresh(ctx, l.ttl, nil); err != nil {
			if ctx.Err() != nil {
				return
			}
			l.log.Warn("lease: lost", "key", l.key, "err", err)
			l.until.Store(0)
			lost()
			return
		}
		l.until.Store(start.Add(l.ttl * 2 / 3).UnixNano())
	}
}
