// Package lease makes one replica at a time do something: long-poll
// (Telegram answers a second poller with 409 Conflict) and send the outbox
// (one sender keeps a chat's messages in order and the 30 msg/s budget
// meaningful).
//
// A lease is a Redis lock (store.Lock) with a short TTL, refreshed every
// TTL/4. The holder stops acting at 2/3 of the TTL after its last good
// refresh, before the lock can expire and another replica take it, and
// releases it on shutdown so a successor starts at once. A replica killed
// with -9 cannot release it: its successor, or the same replica
// restarted, waits at most TTL. With the default TTL of 2 s a restart
// after kill -9 answers again within about 2.5 s. Each acquisition starts
// a new fencing generation (store.Fence), which the intake checks before
// it accepts a batch, so a holder that stalled past its lease (a long GC
// pause, a frozen VM) and woke up cannot dispatch updates a successor owns.
package lease

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"cadrebot/clock"
	"cadrebot/store"
)

// Locker is what a lease needs from the store.
type Locker interface {
	Obtain(ctx context.Context, name string, ttl time.Duration) (*store.Lock, error)
	Fence(ctx context.Context, name string) (int64, error)
}

// Lease is one named lease.
type Lease struct {
	locks Locker
	name  string
	fence string // fencing generation to advance on each acquisition; "" for none
	ttl   time.Duration
	log   *slog.Logger
	until atomic.Int64 // unix nanos; Held is false past it
	gen   atomic.Int64
	// Retry is how often a replica without the lease tries to take it.
	Retry time.Duration
	// OnChange reports gaining (true) and losing (false) the lease.
	OnChange func(held bool)
}

// DefaultTTL is a lease's TTL when none is configured.
const DefaultTTL = 2 * time.Second

// New builds a lease on the lock name. fence, when not empty, names the
// fencing generation advanced on each acquisition (Gen).
func New(locks Locker, name, fence string, ttl time.Duration, log *slog.Logger) *Lease {
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	return &Lease{locks: locks, name: name, fence: fence, ttl: ttl, log: log, Retry: min(ttl/10, 100*time.Millisecond)}
}

// Held reports whether this process may still act on the lease. It turns
// false at 2/3 of the TTL after the last refresh began, before anyone else
// can obtain the lock.
func (l *Lease) Held() bool { return time.Now().UnixNano() < l.until.Load() }

// Gen is the fencing generation of the current holding (0 when the lease
// has no fence or is not held).
func (l *Lease) Gen() int64 { return l.gen.Load() }

// Run competes for the lease until ctx ends, calling fn each time it is
// obtained. fn's context ends when ctx does or when the lease is lost
// (then Held is already false); fn must return promptly after that.
func (l *Lease) Run(ctx context.Context, fn func(ctx context.Context)) {
	for ctx.Err() == nil {
		start := time.Now()
		lock, err := l.locks.Obtain(ctx, l.name, l.ttl)
		switch {
		case err == nil:
			l.hold(ctx, start, lock, fn)
			continue
		case errors.Is(err, store.ErrLocked), ctx.Err() != nil:
		default:
			l.log.Warn("lease: obtain", "lease", l.name, "err", err)
		}
		clock.Sleep(ctx, l.Retry)
	}
}

func (l *Lease) hold(ctx context.Context, start time.Time, lock *store.Lock, fn func(ctx context.Context)) {
	defer l.release(ctx, lock)
	if l.fence != "" {
		gen, err := l.locks.Fence(ctx, l.fence)
		if err != nil {
			l.log.Warn("lease: fence", "lease", l.name, "err", err)
			return
		}
		l.gen.Store(gen)
	}
	l.until.Store(start.Add(l.ttl * 2 / 3).UnixNano())
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
	l.gen.Store(0)
	if l.OnChange != nil {
		l.OnChange(false)
	}
}

func (l *Lease) release(ctx context.Context, lock *store.Lock) {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	if err := lock.Release(rctx); err != nil {
		l.log.Warn("lease: release", "lease", l.name, "err", err)
	}
}

func (l *Lease) keep(ctx context.Context, lock *store.Lock, lost func()) {
	t := time.NewTicker(l.ttl / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		start := time.Now()
		rctx, cancel := context.WithTimeout(ctx, l.ttl/3)
		err := lock.Refresh(rctx, l.ttl)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !errors.Is(err, store.ErrLocked) && l.Held() {
				// A slow or failed refresh: try again while the lease
				// still holds; Held turns false on its own in time.
				l.log.Warn("lease: refresh failed; retrying", "lease", l.name, "err", err)
				continue
			}
			l.log.Warn("lease: lost", "lease", l.name, "err", err)
			l.until.Store(0)
			lost()
			return
		}
		l.until.Store(start.Add(l.ttl * 2 / 3).UnixNano())
	}
}
