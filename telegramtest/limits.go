package telegramtest

import (
	"sort"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// Limits are Telegram's documented flood limits for sending messages. A zero
// field disables that particular limit.
type Limits struct {
	Global              int // messages per second across all chats (Telegram: 30)
	PerGroupPerMinute   int // messages per minute into one group (Telegram: 20)
	PerPrivatePerSecond int // messages per second into one private chat (Telegram: 1)
}

// DefaultLimits are the limits Telegram documents for bots.
func DefaultLimits() Limits {
	return Limits{Global: 30, PerGroupPerMinute: 20, PerPrivatePerSecond: 1}
}

// window holds the monotonic timestamps of recent sends in ascending order.
// Pruning advances head; the slice is compacted only occasionally so the
// common path does no copying.
type window struct {
	ts   []int64
	head int
}

func (w *window) prune(cut int64) {
	for w.head < len(w.ts) && w.ts[w.head] <= cut {
		w.head++
	}
	if w.head > 64 && w.head*2 > len(w.ts) {
		n := copy(w.ts, w.ts[w.head:])
		w.ts, w.head = w.ts[:n], 0
	}
}

func (w *window) live() []int64 { return w.ts[w.head:] }

// since counts entries newer than t.
func (w *window) since(t int64) int {
	l := w.live()
	return len(l) - sort.Search(len(l), func(i int) bool { return l[i] > t })
}

type limiter struct {
	mu        sync.Mutex
	global    window
	maxGlobal int
	sent      int
}

func retryAfter(oldest, span, now int64) int {
	d := time.Duration(oldest + span - now)
	return int((d + time.Second - 1) / time.Second)
}

// admit applies flood limits to n messages about to be sent into c and, if
// they pass, counts them. Rates are measured even without limits so Stats can
// tell a benchmark how close the bot came to them. Caller holds c.mu.
func (s *Server) admit(c *chat, n int) *apiError {
	const sec, minute = int64(time.Second), int64(time.Minute)
	now := s.mono()
	c.win.prune(now - minute)
	lim := s.cfg.limits
	if lim != nil {
		if c.info.Type == models.ChatTypePrivate {
			if l := lim.PerPrivatePerSecond; l > 0 {
				if cnt := c.win.since(now - sec); cnt+n > l {
					live := c.win.live()
					return tooMany(retryAfter(live[max(len(live)-cnt, 0)], sec, now))
				}
			}
		} else if l := lim.PerGroupPerMinute; l > 0 {
			if live := c.win.live(); len(live)+n > l {
				return tooMany(retryAfter(live[0], minute, now))
			}
		}
	}
	s.lim.mu.Lock()
	defer s.lim.mu.Unlock()
	s.lim.global.prune(now - sec)
	if lim != nil && lim.Global > 0 {
		if live := s.lim.global.live(); len(live)+n > lim.Global {
			if len(live) == 0 {
				return tooMany(1)
			}
			return tooMany(retryAfter(live[0], sec, now))
		}
	}
	for i := 0; i < n; i++ {
		s.lim.global.ts = append(s.lim.global.ts, now)
		c.win.ts = append(c.win.ts, now)
	}
	s.lim.sent += n
	s.lim.maxGlobal = max(s.lim.maxGlobal, len(s.lim.global.live()))
	c.maxMin = max(c.maxMin, len(c.win.live()))
	c.maxSec = max(c.maxSec, c.win.since(now-sec))
	return nil
}
