package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"

	"github.com/go-telegram/bot/models"
)

// Dispatcher runs updates of one chat in order and updates of different
// chats in parallel, on a fixed pool of workers. A chat always maps to the
// same worker, which is what keeps its order.
type Dispatcher struct {
	queues  []chan job
	handle  func(ctx context.Context, u *models.Update)
	log     *slog.Logger
	metrics *Metrics
	wg      sync.WaitGroup
	once    sync.Once
}

type job struct {
	ctx  context.Context
	upd  *models.Update
	done func()
}

// NewDispatcher starts workers goroutines calling handle.
func NewDispatcher(workers int, handle func(context.Context, *models.Update), log *slog.Logger, m *Metrics) *Dispatcher {
	if workers < 1 {
		workers = 1
	}
	d := &Dispatcher{queues: make([]chan job, workers), handle: handle, log: log, metrics: m}
	for i := range d.queues {
		d.queues[i] = make(chan job, 128)
		d.wg.Add(1)
		go d.work(d.queues[i])
	}
	return d
}

func (d *Dispatcher) work(q chan job) {
	defer d.wg.Done()
	for j := range q {
		d.run(j)
	}
}

func (d *Dispatcher) run(j job) {
	defer j.done()
	defer func() {
		if r := recover(); r != nil {
			d.metrics.Panics.Inc()
			d.log.Error("handler panic", "update_id", j.upd.ID, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
		}
	}()
	d.handle(j.ctx, j.upd)
}

// Submit queues an update; done is called when it has been handled.
func (d *Dispatcher) Submit(ctx context.Context, u *models.Update, done func()) {
	key := ChatKey(u)
	if key < 0 {
		key = -key
	}
	d.queues[key%int64(len(d.queues))] <- job{ctx: ctx, upd: u, done: done}
}

// RunBatch handles a batch and returns when every update is done.
func (d *Dispatcher) RunBatch(ctx context.Context, us []*models.Update) {
	var wg sync.WaitGroup
	wg.Add(len(us))
	for _, u := range us {
		d.Submit(ctx, u, wg.Done)
	}
	wg.Wait()
}

// Close stops the workers after the queued updates are handled.
func (d *Dispatcher) Close() {
	d.once.Do(func() {
		for _, q := range d.queues {
			close(q)
		}
	})
	d.wg.Wait()
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
