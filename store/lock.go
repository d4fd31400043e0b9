package store

import (
	"context"
	"errors"
	"time"

	"github.com/bsm/redislock"
)

// ErrLocked is returned by Obtain when someone else holds the lock.
var ErrLocked = errors.New("lock held elsewhere")

// Lock is a held Redis lock. The lock library (bsm/redislock) stays inside
// the store: callers see this type and the store's key names only.
type Lock struct {
	l *redislock.Lock
}

// Obtain takes the lock name for ttl, without waiting: ErrLocked when it
// is held elsewhere.
func (db *DB) Obtain(ctx context.Context, name string, ttl time.Duration) (*Lock, error) {
	l, err := db.locks.Obtain(ctx, db.keyLock(name), ttl, nil)
	if errors.Is(err, redislock.ErrNotObtained) {
		return nil, ErrLocked
	}
	if err != nil {
		return nil, wrap(err)
	}
	return &Lock{l: l}, nil
}

// Refresh extends a held lock to ttl from now; ErrLocked when it was lost.
func (l *Lock) Refresh(ctx context.Context, ttl time.Duration) error {
	err := l.l.Refresh(ctx, ttl, nil)
	if errors.Is(err, redislock.ErrNotObtained) {
		return ErrLocked
	}
	return wrap(err)
}

// Release gives the lock up; a lock already lost is not an error.
func (l *Lock) Release(ctx context.Context) error {
	if err := l.l.Release(ctx); err != nil && !errors.Is(err, redislock.ErrLockNotHeld) {
		return wrap(err)
	}
	return nil
}

// WithLock runs fn while holding the lock name, or returns false without
// running it when the lock is held elsewhere. The lock is released when fn
// returns, even if ctx has ended, so a successor need not wait out ttl.
func (db *DB) WithLock(ctx context.Context, name string, ttl time.Duration, fn func(ctx context.Context) error) (bool, error) {
	l, err := db.Obtain(ctx, name, ttl)
	if errors.Is(err, ErrLocked) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		_ = l.Release(rctx)
	}()
	return true, fn(ctx)
}

// Fence starts a new generation of the lease name and returns it. Writes
// that only the current holder may make check it (see InboxAdd), so a
// holder that stalled past its lease and woke up again is refused.
func (db *DB) Fence(ctx context.Context, name string) (int64, error) {
	n, err := db.rdb.Incr(ctx, db.keyFence(name)).Result()
	return n, wrap(err)
}
