package outbox

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"cadrebot/clock"
	"cadrebot/send"
	"cadrebot/store"
)

// fairQueue holds the outbox entries a sender has read, one FIFO per chat.
// It hands a worker the next message of a chat that is idle, not waiting
// for a retry and has a token in its Telegram bucket, taking chats round
// robin. At most one message per chat is in flight, which keeps a chat's
// messages in order; a chat waiting for its bucket or a retry is skipped,
// so one slow group never holds up the others.
type fairQueue struct {
	clk   clock.Clock                    // retry times (tests advance it)
	limit func(chat int64) *rate.Limiter // the sender's per-chat buckets

	mu      sync.Mutex
	chats   map[int64]*chatQueue
	ring    []int64 // chats with entries, in round-robin order
	pos     int
	held    map[string]bool // entry IDs in the queue or in flight
	n       int
	bytes   int // approximate payload held: uploads dominate
	closed  bool
	changed chan struct{} // closed and replaced on every change
	armed   time.Time     // earliest retry time a clock waiter is set for
	stop    chan struct{}
}

type chatQueue struct {
	items     []*outItem
	busy      bool
	notBefore time.Time // by clk: a retry or a 429's retry_after
}

// outItem is an entry and what this process learned while sending it.
type outItem struct {
	store.OutboxEntry
	chat     int64 // queue it lives in (Msg.ChatID may change on migration)
	attempts int
	parts    int  // parts Telegram accepted
	checked  bool // parts was read from the sent marker
}

// size approximates the memory an entry holds.
func (it *outItem) size() int {
	n := len(it.Msg.Text) + 256
	for _, f := range []*send.File{it.Msg.Photo, it.Msg.Document} {
		if f != nil {
			n += len(f.Data)
		}
	}
	return n
}

func newFairQueue(clk clock.Clock, limit func(int64) *rate.Limiter) *fairQueue {
	return &fairQueue{clk: clk, limit: limit, chats: map[int64]*chatQueue{}, held: map[string]bool{},
		changed: make(chan struct{}), stop: make(chan struct{})}
}

func (q *fairQueue) broadcastLocked() {
	close(q.changed)
	q.changed = make(chan struct{})
}

// push appends entries not already held and returns how many it took.
func (q *fairQueue) push(es []store.OutboxEntry) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	took := 0
	for _, e := range es {
		if q.held[e.ID] {
			continue
		}
		q.held[e.ID] = true
		c := q.chats[e.Msg.ChatID]
		if c == nil {
			c = &chatQueue{}
			q.chats[e.Msg.ChatID] = c
			q.ring = append(q.ring, e.Msg.ChatID)
		}
		it := &outItem{OutboxEntry: e, chat: e.Msg.ChatID}
		c.items = append(c.items, it)
		q.n++
		q.bytes += it.size()
		took++
	}
	if took > 0 {
		q.broadcastLocked()
	}
	return took
}

// has reports whether chat has entries held, in flight included.
func (q *fairQueue) has(chat int64) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := q.chats[chat]
	return c != nil && len(c.items) > 0
}

// len is how many entries are held, in flight included.
func (q *fairQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.n
}

// waitBelow blocks until fewer than max entries and maxBytes of payload
// are held: a digest's chart is ~80 KiB, so a fan-out to 2,000 groups
// would otherwise sit in memory whole.
func (q *fairQueue) waitBelow(ctx context.Context, max, maxBytes int) bool {
	for {
		q.mu.Lock()
		n, b, ch := q.n, q.bytes, q.changed
		q.mu.Unlock()
		if n < max && b < maxBytes {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-ch:
		}
	}
}

// next blocks until some chat can send and returns its head entry, marking
// the chat busy until done. It returns nil once the queue is closed or ctx
// ends.
func (q *fairQueue) next(ctx context.Context) *outItem {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return nil
		}
		now, real := q.clk.Now(), time.Now()
		var retryAt time.Time
		tokenWait := time.Duration(-1)
		for i := 0; i < len(q.ring); i++ {
			idx := (q.pos + i) % len(q.ring)
			chat := q.ring[idx]
			c := q.chats[chat]
			if c.busy || len(c.items) == 0 {
				continue
			}
			if c.notBefore.After(now) {
				if retryAt.IsZero() || c.notBefore.Before(retryAt) {
					retryAt = c.notBefore
				}
				continue
			}
			l := q.limit(c.items[0].Msg.ChatID)
			if tok := l.TokensAt(real); tok < 1 {
				d := time.Duration((1 - tok) / float64(l.Limit()) * float64(time.Second))
				if tokenWait < 0 || d < tokenWait {
					tokenWait = d
				}
				continue
			}
			c.busy = true
			q.pos = idx + 1
			it := c.items[0]
			q.mu.Unlock()
			return it
		}
		ch := q.changed
		if !retryAt.IsZero() {
			q.armLocked(now, retryAt)
		}
		q.mu.Unlock()
		var timer *time.Timer
		var tick <-chan time.Time
		if tokenWait >= 0 {
			timer = time.NewTimer(tokenWait + time.Millisecond)
			tick = timer.C
		}
		select {
		case <-ctx.Done():
		case <-ch:
		case <-tick:
		}
		if timer != nil {
			timer.Stop()
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// armLocked makes sure the queue wakes when the clock reaches at. One
// waiter serves every worker, so a fake clock sees few of them.
func (q *fairQueue) armLocked(now, at time.Time) {
	if !q.armed.IsZero() && !at.Before(q.armed) {
		return
	}
	q.armed = at
	ch := q.clk.After(at.Sub(now))
	go func() {
		select {
		case <-ch:
		case <-q.stop:
			return
		}
		q.mu.Lock()
		if q.armed.Equal(at) {
			q.armed = time.Time{}
		}
		q.broadcastLocked()
		q.mu.Unlock()
	}()
}

// done removes a finished entry (sent, skipped or given up) from its chat.
func (q *fairQueue) done(it *outItem) {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := q.chats[it.chat]
	c.items = c.items[1:]
	c.busy = false
	delete(q.held, it.ID)
	q.n--
	q.bytes -= it.size()
	if len(c.items) == 0 {
		q.dropLocked(it.chat)
	}
	q.broadcastLocked()
}

// retry keeps the entry at the head of its chat, which waits until at.
func (q *fairQueue) retry(it *outItem, at time.Time) {
	q.mu.Lock()
	defer q.mu.Unlock()
	c := q.chats[it.chat]
	c.busy = false
	c.notBefore = at
	q.broadcastLocked()
}

// release gives an entry back without a verdict (shutdown, lost lease):
// it stays pending in Redis for the next sender to claim.
func (q *fairQueue) release(it *outItem) { q.retry(it, time.Time{}) }

func (q *fairQueue) dropLocked(chat int64) {
	delete(q.chats, chat)
	for i, c := range q.ring {
		if c == chat {
			q.ring = append(q.ring[:i], q.ring[i+1:]...)
			if q.pos > i {
				q.pos--
			}
			break
		}
	}
}

// close wakes every waiting worker; next returns nil from then on.
func (q *fairQueue) close() {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return
	}
	q.closed = true
	close(q.stop)
	q.broadcastLocked()
}
