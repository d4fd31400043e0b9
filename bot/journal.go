package bot

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/metrics"
	"cadrebot/store"
)

// InboxStore is the durable inbox of unfinished updates (store.DB).
type InboxStore interface {
	Inbox(ctx context.Context, owner string) ([]store.InboxEntry, error)
	InboxGet(ctx context.Context, owner string, ids []int64) ([]store.InboxEntry, error)
	InboxDone(ctx context.Context, owner string, ids []int64) error
}

// Journal keeps an inbox in step with the dispatcher. It knows which
// updates are in flight, so that an update is never handed over twice, and
// deletes finished ones in batches: one HDEL every flush interval rather
// than one per update. An update finished but not yet deleted when the
// process dies is handled again after the restart, which handlers tolerate
// (a check-in is stored once and its 👍 set again). An update a handler
// kept (Redis went away while it ran) stays in the inbox and is handed
// over again once Redis answers. Run it until the dispatcher has drained,
// so that updates finishing during shutdown are forgotten too.
type Journal struct {
	st    InboxStore
	owner string
	log   *slog.Logger
	every time.Duration
	// Retry is how long a kept update waits before it is handed over again.
	Retry time.Duration

	mu       sync.Mutex
	ids      []int64            // finished, to delete
	finished map[int64]struct{} // the same ids, until deleted
	inflight map[int64]struct{}
	kept     bool
	rode     atomic.Bool // the intake took finished updates since the last tick
	kick     chan struct{}
	retry    chan struct{}
}

// NewJournal builds the journal of owner's inbox.
func NewJournal(st InboxStore, owner string, log *slog.Logger) *Journal {
	return &Journal{st: st, owner: owner, log: log, every: 20 * time.Millisecond, Retry: 5 * time.Second,
		inflight: map[int64]struct{}{}, finished: map[int64]struct{}{}, kick: make(chan struct{}, 1), retry: make(chan struct{}, 1)}
}

// Owner is the inbox the journal keeps.
func (j *Journal) Owner() string { return j.owner }

// Submit hands u to d unless it is in flight already, or finished and not
// yet deleted from the inbox.
func (j *Journal) Submit(ctx context.Context, d *Dispatcher, u *models.Update) bool {
	return j.submit(ctx, d, u, nil)
}

// SubmitWait is Submit that also returns a channel closed once u is
// finished (nil if u was not submitted).
func (j *Journal) SubmitWait(ctx context.Context, d *Dispatcher, u *models.Update) <-chan struct{} {
	ch := make(chan struct{})
	if !j.submit(ctx, d, u, func() { close(ch) }) {
		return nil
	}
	return ch
}

func (j *Journal) submit(ctx context.Context, d *Dispatcher, u *models.Update, after func()) bool {
	j.mu.Lock()
	_, busy := j.inflight[u.ID]
	_, done := j.finished[u.ID]
	if busy || done {
		j.mu.Unlock()
		return false
	}
	j.inflight[u.ID] = struct{}{}
	j.mu.Unlock()
	fin := j.finish(u.ID)
	if after != nil {
		fin = func(kept bool) { j.finish(u.ID)(kept); after() }
	}
	d.Submit(ctx, u, fin)
	return true
}

// forget records an update that will never be handled (it does not parse).
func (j *Journal) forget(id int64) { j.finish(id)(false) }

func (j *Journal) finish(id int64) Finish {
	return func(kept bool) {
		j.mu.Lock()
		delete(j.inflight, id)
		if kept {
			j.kept = true
			j.mu.Unlock()
			select {
			case j.retry <- struct{}{}:
			default:
			}
			return
		}
		j.ids = append(j.ids, id)
		j.finished[id] = struct{}{}
		n := len(j.ids)
		j.mu.Unlock()
		if n >= 512 {
			select {
			case j.kick <- struct{}{}:
			default:
			}
		}
	}
}

// Kept is signalled when a handler kept an update; the intake then hands
// over what the inbox holds and is not in flight (Resume).
func (j *Journal) Kept() <-chan struct{} { return j.retry }

// Resume hands d, oldest first, every update the inbox holds that is not
// in flight, and returns how many.
func (j *Journal) Resume(ctx, work context.Context, d *Dispatcher, m *metrics.Metrics) (int, error) {
	es, err := j.st.Inbox(ctx, j.owner)
	if err != nil {
		return 0, err
	}
	us, bad := decodeEntries(es, j.log)
	for _, id := range bad {
		j.forget(id)
	}
	n := 0
	for _, u := range us {
		if j.Submit(work, d, u) {
			m.Replays.Inc()
			n++
		}
	}
	return n, nil
}

// Run flushes until ctx ends, then once more.
func (j *Journal) Run(ctx context.Context) {
	t := time.NewTicker(j.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			j.flush(context.WithoutCancel(ctx))
			return
		case <-t.C:
			if j.rode.Swap(false) {
				// The intake deletes finished updates as it goes; the
				// flush is for when it has stopped.
				continue
			}
		case <-j.kick:
		}
		j.flush(ctx)
	}
}

func (j *Journal) flush(ctx context.Context) {
	ids := j.take(maxRide)
	if len(ids) == 0 {
		return
	}
	fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := j.st.InboxDone(fctx, j.owner, ids)
	if err != nil {
		j.log.Warn("inbox: forget finished updates", "count", len(ids), "err", err)
	}
	j.settle(ids, err == nil)
}

// maxRide bounds the finished updates one deletion takes: the inbox
// script unpacks those an intake deletes along onto Lua's stack.
const maxRide = 1000

// ride hands the poller's intake the finished updates to delete along
// with its batch.
func (j *Journal) ride() []int64 {
	j.rode.Store(true)
	return j.take(maxRide)
}

// take hands over up to n finished updates to be deleted; settle says how
// that went. The poller's intake deletes them along with the batch it
// stores, so that on a quiet bot, where updates arrive one at a time, the
// flush finds nothing left to do.
func (j *Journal) take(n int) []int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	n = min(n, len(j.ids), maxRide)
	if n == 0 {
		return nil
	}
	ids := j.ids[:n:n]
	j.ids = j.ids[n:]
	if len(j.ids) == 0 {
		j.ids = nil
	}
	return ids
}

// settle forgets deleted updates, or keeps them for the next flush when
// the deletion failed; meanwhile a crash would only handle them again.
func (j *Journal) settle(ids []int64, deleted bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !deleted {
		j.ids = append(j.ids, ids...)
		return
	}
	for _, id := range ids {
		delete(j.finished, id)
	}
}

// decodeEntries parses inbox entries, oldest first; an entry that does not
// parse is logged and returned in bad, to be forgotten.
func decodeEntries(es []store.InboxEntry, log *slog.Logger) (us []*models.Update, bad []int64) {
	sort.Slice(es, func(a, b int) bool { return es[a].ID < es[b].ID })
	for _, e := range es {
		var u models.Update
		if err := DecodeUpdate(e.Raw, &u); err != nil {
			log.Error("inbox: undecodable update dropped", "update_id", e.ID, "err", err)
			bad = append(bad, e.ID)
			continue
		}
		us = append(us, &u)
	}
	return us, bad
}

// InboxLoader reads spilled updates of owner back for the dispatcher.
func InboxLoader(st InboxStore, owner string, log *slog.Logger) func(context.Context, []int64) ([]*models.Update, error) {
	return func(ctx context.Context, ids []int64) ([]*models.Update, error) {
		es, err := st.InboxGet(ctx, owner, ids)
		if err != nil {
			return nil, err
		}
		us, _ := decodeEntries(es, log)
		return us, nil
	}
}
