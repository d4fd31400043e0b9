package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/panjf2000/ants/v2"

	"cadrebot/clock"
	"cadrebot/handlers"
	"cadrebot/metrics"
)

// Dispatcher runs the updates of one chat in order and the updates of
// different chats in parallel. A chat with work has a goroutine of its
// own, which it gives back when the chat's queue is empty: no fixed pool
// of workers whose slowest chat would hold up the others, and no batch
// barrier. The goroutines, and those of the updates' background work (a
// check-in's reaction), come from a pool without a size limit whose idle
// workers are kept for a while: a new goroutine grows its stack by
// copying, every time, and that was 6% of the bot's CPU under load.
//
// Memory is bounded. At most MaxHeld updates are held overall and MaxChat
// per chat; past either bound an update stays in the inbox only (it is
// durable there already) and its chat's goroutine loads it again when it
// gets to it. Past MaxSpill waiting updates in one chat, an update is shed:
// logged with its ids, counted, and finished without being handled.
type Dispatcher struct {
	handle func(ctx context.Context, u *models.Update, w *handlers.Work)
	// load reads spilled updates back from the inbox; the ones no longer
	// there are left out.
	load    func(ctx context.Context, ids []int64) ([]*models.Update, error)
	log     *slog.Logger
	metrics *metrics.Metrics

	MaxHeld  int
	MaxChat  int
	MaxSpill int

	mu    sync.Mutex
	chats map[int64]*chatQueue
	held  int
	room  chan struct{} // closed and replaced when held drops
	wg    sync.WaitGroup
	pool  *ants.Pool
}

type chatQueue struct {
	jobs    []job
	spilled []job // u is nil: only the id is kept
	running bool
}

type job struct {
	ctx  context.Context
	id   int64
	u    *models.Update
	done Finish
}

// Finish is called once an update and its background work are over; kept
// reports that it must be handled again (see handlers.Work.Keep).
type Finish func(kept bool)

// NewDispatcher builds a dispatcher calling handle for each update.
func NewDispatcher(handle func(context.Context, *models.Update, *handlers.Work),
	load func(context.Context, []int64) ([]*models.Update, error), log *slog.Logger, m *metrics.Metrics) *Dispatcher {
	d := &Dispatcher{handle: handle, load: load, log: log, metrics: m, MaxHeld: 10000, MaxChat: 256, MaxSpill: 100000,
		chats: map[int64]*chatQueue{}, room: make(chan struct{})}
	// Without a size limit the pool never blocks and never refuses; New
	// fails only on invalid options, and go (see spawn) stands in then.
	d.pool, _ = ants.NewPool(-1, ants.WithExpiryDuration(idleWorker), ants.WithPanicHandler(d.panicked))
	return d
}

// idleWorker is how long a pooled goroutine waits for work before it ends.
const idleWorker = 10 * time.Second

// spawn runs fn on a pooled goroutine, or on a goroutine of its own once
// the pool is closed.
func (d *Dispatcher) spawn(fn func()) {
	if d.pool != nil && d.pool.Submit(fn) == nil {
		return
	}
	go func() {
		defer func() {
			if r := recover(); r != nil {
				d.panicked(r)
			}
		}()
		fn()
	}()
}

// panicked reports a panic in background work; handlers' own panics are
// recovered in runOne.
func (d *Dispatcher) panicked(r any) {
	d.metrics.Panics.Inc()
	d.log.Error("background work panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
}

// Submit queues an update without waiting; done is called once it and its
// background work are finished (or it was shed).
func (d *Dispatcher) Submit(ctx context.Context, u *models.Update, done Finish) {
	key := ChatKey(u)
	d.mu.Lock()
	q := d.chats[key]
	if q == nil {
		q = &chatQueue{}
		d.chats[key] = q
	}
	j := job{ctx: ctx, id: u.ID, u: u, done: done}
	switch {
	case len(q.spilled) >= d.MaxSpill:
		d.mu.Unlock()
		d.shed(j, key, "chat_backlog")
		return
	case len(q.spilled) > 0 || len(q.jobs) >= d.MaxChat || d.held >= d.MaxHeld:
		// Keep order: once a chat spills, everything after goes behind.
		j.u = nil
		q.spilled = append(q.spilled, j)
		d.metrics.UpdatesSpilled.Inc()
	default:
		q.jobs = append(q.jobs, j)
		d.held++
		d.metrics.UpdatesHeld.Set(float64(d.held))
	}
	if !q.running {
		q.running = true
		d.wg.Add(1)
		d.spawn(func() { d.run(key, q) })
	}
	d.mu.Unlock()
}

func (d *Dispatcher) shed(j job, chat int64, reason string) {
	d.metrics.UpdatesShed.WithLabelValues(reason).Inc()
	d.log.Error("update shed: its chat has too many waiting", "update_id", j.id, "chat", chat, "reason", reason)
	j.done(false)
}

// WaitRoom blocks until fewer than MaxHeld updates are held; the poller
// asks before fetching more.
func (d *Dispatcher) WaitRoom(ctx context.Context) bool {
	for {
		d.mu.Lock()
		ok, ch := d.held < d.MaxHeld, d.room
		d.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-ch:
		}
	}
}

// Busy reports whether updates of the chat are waiting or running here.
func (d *Dispatcher) Busy(chat int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.chats[chat] != nil
}

// Held is how many updates are in memory, waiting or running.
func (d *Dispatcher) Held() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.held
}

func (d *Dispatcher) run(key int64, q *chatQueue) {
	defer d.wg.Done()
	for {
		d.mu.Lock()
		if len(q.jobs) == 0 {
			if len(q.spilled) == 0 {
				q.running = false
				delete(d.chats, key)
				d.mu.Unlock()
				return
			}
			d.mu.Unlock()
			if !d.unspill(q) {
				// Shutting down: what is left stays in the inbox for
				// the next start.
				d.mu.Lock()
				q.spilled, q.running = nil, false
				delete(d.chats, key)
				d.mu.Unlock()
				return
			}
			continue
		}
		j := q.jobs[0]
		q.jobs[0] = job{}
		q.jobs = q.jobs[1:]
		d.mu.Unlock()
		d.runOne(j)
		d.mu.Lock()
		d.held--
		d.metrics.UpdatesHeld.Set(float64(d.held))
		close(d.room)
		d.room = make(chan struct{})
		d.mu.Unlock()
	}
}

// unspill loads the chat's next spilled updates from the inbox once there
// is room for them. It returns false when the context ended first.
func (d *Dispatcher) unspill(q *chatQueue) bool {
	d.mu.Lock()
	n := min(len(q.spilled), d.MaxChat)
	batch := append([]job(nil), q.spilled[:n]...)
	d.mu.Unlock()
	ctx := batch[0].ctx
	if !d.WaitRoom(ctx) {
		return false
	}
	ids := make([]int64, n)
	for i, j := range batch {
		ids[i] = j.id
	}
	us, err := d.load(ctx, ids)
	if err != nil {
		d.log.Warn("load spilled updates; retrying", "err", err)
		return clock.Sleep(ctx, time.Second)
	}
	byID := make(map[int64]*models.Update, len(us))
	for _, u := range us {
		byID[u.ID] = u
	}
	d.mu.Lock()
	q.spilled = q.spilled[n:]
	for _, j := range batch {
		if j.u = byID[j.id]; j.u == nil {
			// Finished meanwhile (handled before a restart): nothing to do.
			defer j.done(false)
			continue
		}
		q.jobs = append(q.jobs, j)
		d.held++
	}
	d.metrics.UpdatesHeld.Set(float64(d.held))
	d.mu.Unlock()
	return true
}

// runOne handles one update. Its done is called once the background work
// the handler started has ended too, by whichever ends last; the chat's
// next update starts as soon as the handler returns.
func (d *Dispatcher) runOne(j job) {
	d.wg.Add(1)
	w := handlers.NewWork(d.spawn, func(kept bool) {
		defer d.wg.Done()
		j.done(kept)
	})
	defer w.Done()
	func() {
		defer func() {
			if r := recover(); r != nil {
				d.metrics.Panics.Inc()
				d.log.Error("handler panic", "update_id", j.id, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			}
		}()
		d.handle(j.ctx, j.u, w)
	}()
}

// Close waits until every chat's queue has run dry and the background
// work of every update has ended. The intake must have stopped
// submitting.
func (d *Dispatcher) Close() {
	d.wg.Wait()
	if d.pool != nil {
		d.pool.Release()
	}
}

// ChatKey is the chat an update belongs to, for ordering.
func ChatKey(u *models.Update) int64 {
	switch {
	case u.Message != nil:
		return u.Message.Chat.ID
	case u.EditedMessage != nil:
		return u.EditedMessage.Chat.ID
	case u.CallbackQuery != nil && u.CallbackQuery.Message.Message != nil:
		return u.CallbackQuery.Message.Message.Chat.ID
	case u.CallbackQuery != nil:
		return u.CallbackQuery.From.ID
	case u.MyChatMember != nil:
		return u.MyChatMember.Chat.ID
	case u.ChatMember != nil:
		return u.ChatMember.Chat.ID
	case u.ChannelPost != nil:
		return u.ChannelPost.Chat.ID
	}
	return 0
}
