// Package clock lets the scheduler run on real time in production and on
// a fake clock that tests (and the playground's "fast forward") advance.
package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Clock tells the time and waits.
type Clock interface {
	Now() time.Time
	// After delivers once the clock reaches now+d.
	After(d time.Duration) <-chan time.Time
	// AfterFunc calls f in its own goroutine once the clock reaches
	// now+d. Nothing waits meanwhile: thousands of pending calls cost a
	// timer each, not a goroutine's stack each.
	AfterFunc(d time.Duration, f func())
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// After is time.After.
func (Real) After(d time.Duration) <-chan time.Time { return time.After(d) }

// AfterFunc is time.AfterFunc.
func (Real) AfterFunc(d time.Duration, f func()) { time.AfterFunc(d, f) }

// Fake is a clock that moves only when told to.
type Fake struct {
	mu      sync.Mutex
	now     time.Time
	waiters []waiter
}

type waiter struct {
	at time.Time
	ch chan time.Time
	fn func() // instead of ch, for AfterFunc
}

// NewFake starts a fake clock at t.
func NewFake(t time.Time) *Fake { return &Fake{now: t} }

// Now returns the fake time.
func (f *Fake) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

// After delivers when Advance or Set passes now+d.
func (f *Fake) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch := make(chan time.Time, 1)
	at := f.now.Add(d)
	if d <= 0 {
		ch <- f.now
		return ch
	}
	f.waiters = append(f.waiters, waiter{at: at, ch: ch})
	return ch
}

// AfterFunc calls f in a goroutine when Advance or Set passes now+d.
func (f *Fake) AfterFunc(d time.Duration, fn func()) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if d <= 0 {
		go fn()
		return
	}
	f.waiters = append(f.waiters, waiter{at: f.now.Add(d), fn: fn})
}

// Advance moves the clock forward by d.
func (f *Fake) Advance(d time.Duration) { f.Set(f.Now().Add(d)) }

// Set moves the clock to t (never backwards) and wakes due waiters in
// time order.
func (f *Fake) Set(t time.Time) {
	f.mu.Lock()
	if t.Before(f.now) {
		f.mu.Unlock()
		return
	}
	f.now = t
	sort.Slice(f.waiters, func(i, j int) bool { return f.waiters[i].at.Before(f.waiters[j].at) })
	keep := f.waiters[:0]
	var due []waiter
	for _, w := range f.waiters {
		if !w.at.After(t) {
			due = append(due, w)
		} else {
			keep = append(keep, w)
		}
	}
	f.waiters = keep
	f.mu.Unlock()
	for _, w := range due {
		if w.fn != nil {
			go w.fn()
			continue
		}
		w.ch <- t
	}
}

// Waiters reports how many After and AfterFunc calls are pending, so a
// test can wait until the scheduler is parked before advancing.
func (f *Fake) Waiters() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.waiters)
}

// Sleep waits d of real time, or until ctx ends: false then. Retries and
// leases wait on real time whatever clock the jobs run on, since what
// they wait for (Redis, Telegram, a lease's TTL) does.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
