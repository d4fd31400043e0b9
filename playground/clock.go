package playground

import (
	"context"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"

	"cadrebot/calendar"
	"cadrebot/clock"
)

// Clock is the playground's fake clock. It runs at real speed between
// jumps, so everything that waits on the clock (the check-in board's edit
// interval, outbox retries, the scheduler's poll) behaves as in production,
// and it jumps forward when the visitor asks, which fires reminders, sweeps
// and digests through the real scheduler.
//
// With the embedded Redis the clock also drives miniredis' time: its TTLs
// only count down when told to, so a dialog's 30-minute expiry happens when
// 30 fake minutes pass, not never.
type Clock struct {
	*clock.Fake
	loc *time.Location

	mu     sync.Mutex // serialises moves, so miniredis sees time in order
	mr     *miniredis.Miniredis
	synced time.Time
	jumps  chan struct{} // closed and replaced on every jump
}

// NewClock starts a fake clock at t in loc; mr may be nil (external Redis).
func NewClock(t time.Time, loc *time.Location, mr *miniredis.Miniredis) *Clock {
	c := &Clock{Fake: clock.NewFake(t), loc: loc, mr: mr, synced: t, jumps: make(chan struct{})}
	if mr != nil {
		mr.SetTime(t)
	}
	return c
}

// Set moves the clock to t (never backwards) and tells the page.
func (c *Clock) Set(t time.Time) {
	c.move(t)
	c.mu.Lock()
	close(c.jumps)
	c.jumps = make(chan struct{})
	c.mu.Unlock()
}

// Jumped returns a channel that is closed at the next jump.
func (c *Clock) Jumped() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.jumps
}

func (c *Clock) move(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Fake.Set(t)
	now := c.Fake.Now()
	if c.mr != nil && now.After(c.synced) {
		c.mr.SetTime(now)
		c.mr.FastForward(now.Sub(c.synced))
		c.synced = now
	}
}

// run advances the clock with real time until ctx ends.
func (c *Clock) run(ctx context.Context, step time.Duration) {
	t := time.NewTicker(step)
	defer t.Stop()
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			c.move(c.Now().Add(now.Sub(last)))
			last = now
		}
	}
}

// Tomorrow10 is 10:00 on the day after now, when the check-in reminder
// fires on workdays.
func (c *Clock) Tomorrow10() time.Time {
	n := c.Now().In(c.loc)
	return time.Date(n.Year(), n.Month(), n.Day()+1, 10, 0, 0, 0, c.loc)
}

// NextMonday9 is 09:00 on the first Monday after today, when the weekly
// digests go out.
func (c *Clock) NextMonday9() time.Time {
	n := c.Now().In(c.loc)
	days := (int(time.Monday) - int(n.Weekday()) + 7) % 7
	if days == 0 {
		days = 7
	}
	return time.Date(n.Year(), n.Month(), n.Day()+days, 9, 0, 0, 0, c.loc)
}

// historyDays is how many workdays of history the demo seeds before
// "today".
const historyDays = 5

// demoStart picks the playground's "today": the most recent Wednesday on
// or before today that is a workday, with enough workdays before it for the
// seeded history. A Wednesday puts part of the history in the current week
// (for /stats) and part in the week before (for /digest and the Monday
// digest), and keeps the fake clock within a week of real time.
func demoStart(today time.Time, loc *time.Location, cal *calendar.Calendar) (start time.Time, history []calendar.Date) {
	d := calendar.DateOf(today.In(loc))
	for d.Weekday() != time.Wednesday {
		d = d.AddDays(-1)
	}
	pick := d
	// A holiday week (国庆, 春节) has no Wednesday workday: look further
	// back, but never more than a couple of months.
	for i := 0; i < 10 && !cal.IsWorkday(d); i++ {
		d = d.AddDays(-7)
	}
	if cal.IsWorkday(d) {
		pick = d
	}
	history = make([]calendar.Date, historyDays)
	w := pick
	for i := historyDays - 1; i >= 0; i-- {
		w = cal.PrevWorkday(w)
		history[i] = w
	}
	return pick.Time(loc).Add(8*time.Hour + 50*time.Minute), history
}
