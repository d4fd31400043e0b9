package store

import (
	"sync"
	"time"

	"cadrebot/calendar"
)

// checkinDays remembers, per group, what this process already did for
// the group's current day on the check-in path: tried the board's
// creation claim (and set the times' TTL with it), and until when a
// debounce claim of its own holds (until its own refresh releases it).
// It saves those commands on every later check-in of the day; another
// process asks once for itself, and claims the debounce as before.
type checkinDays struct {
	mu sync.Mutex
	m  map[int64]*checkinDay
}

type checkinDay struct {
	day       calendar.Date
	tried     bool
	debounced time.Time
}

// maxCheckinDays bounds the map; past it, it starts again (each group
// then asks once more).
const maxCheckinDays = 100000

func (c *checkinDays) seen(chat int64, day calendar.Date) checkinDay {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.m[chat]; d != nil && d.day == day {
		return *d
	}
	return checkinDay{day: day}
}

func (c *checkinDays) did(chat int64, day calendar.Date, debounced bool, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCheckinDays {
		c.m = map[int64]*checkinDay{}
	}
	d := c.m[chat]
	if d == nil || d.day != day {
		d = &checkinDay{day: day}
		c.m[chat] = d
	}
	d.tried = true
	if debounced {
		d.debounced = until
	}
}

// release forgets a debounce claim of this process: the board's refresh
// dropped the key, so the next check-in must claim it again.
func (c *checkinDays) release(chat int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.m[chat]; d != nil {
		d.debounced = time.Time{}
	}
}
