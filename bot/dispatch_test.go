package bot

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"cadrebot/handlers"
	"cadrebot/metrics"
	"cadrebot/store"
	"cadrebot/storetest"
)

func msgUpdate(id int64, chat int64) *models.Update {
	return &models.Update{ID: id, Message: &models.Message{Chat: models.Chat{ID: chat}}}
}

func newTestDispatcher(t *testing.T, handle func(context.Context, *models.Update, *handlers.Work)) (*Dispatcher, *metrics.Metrics) {
	t.Helper()
	m := metrics.NewMetrics()
	d := NewDispatcher(handle, func(context.Context, []int64) ([]*models.Update, error) { return nil, nil },
		slog.New(slog.DiscardHandler), m)
	t.Cleanup(d.Close)
	return d, m
}

// submitAll submits us and waits until every one is done.
func submitAll(t *testing.T, d *Dispatcher, us []*models.Update) {
	t.Helper()
	var wg sync.WaitGroup
	wg.Add(len(us))
	for _, u := range us {
		d.Submit(context.Background(), u, func(bool) { wg.Done() })
	}
	waitGroup(t, &wg, 10*time.Second)
}

func waitGroup(t *testing.T, wg *sync.WaitGroup, d time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatal("updates not finished in time")
	}
}

func TestDispatcherKeepsOrderPerChat(t *testing.T) {
	var mu sync.Mutex
	seen := map[int64][]int64{}
	d, _ := newTestDispatcher(t, func(_ context.Context, u *models.Update, _ *handlers.Work) {
		mu.Lock()
		seen[u.Message.Chat.ID] = append(seen[u.Message.Chat.ID], u.ID)
		mu.Unlock()
	})
	d.MaxChat = 1000
	var batch []*models.Update
	for i := int64(1); i <= 300; i++ {
		batch = append(batch, msgUpdate(i, -(i%7)-1))
	}
	submitAll(t, d, batch)
	total := 0
	for chat, ids := range seen {
		for i := 1; i < len(ids); i++ {
			if ids[i] < ids[i-1] {
				t.Fatalf("chat %d handled %d after %d", chat, ids[i], ids[i-1])
			}
		}
		total += len(ids)
	}
	if total != 300 {
		t.Errorf("handled %d updates, want 300", total)
	}
}

func TestDispatcherRecoversPanics(t *testing.T) {
	var handled atomic.Int32
	d, m := newTestDispatcher(t, func(_ context.Context, u *models.Update, _ *handlers.Work) {
		if u.ID == 2 {
			panic("boom")
		}
		handled.Add(1)
	})
	submitAll(t, d, []*models.Update{msgUpdate(1, -1), msgUpdate(2, -1), msgUpdate(3, -1)})
	if n := handled.Load(); n != 2 {
		t.Errorf("handled %d updates around the panic, want 2", n)
	}
	if got := testutil.ToFloat64(m.Panics); got != 1 {
		t.Errorf("panics metric = %v, want 1", got)
	}
}

// A chat whose handler is stuck delays only itself: no shared worker, no
// batch barrier.
func TestDispatcherSlowChatDelaysOnlyItself(t *testing.T) {
	stuck := make(chan struct{})
	d, _ := newTestDispatcher(t, func(_ context.Context, u *models.Update, _ *handlers.Work) {
		if u.Message.Chat.ID == -1 {
			<-stuck
		}
	})
	defer close(stuck)
	d.Submit(context.Background(), msgUpdate(1, -1), func(bool) {})
	var wg sync.WaitGroup
	var others []*models.Update
	for i := int64(2); i <= 200; i++ {
		others = append(others, msgUpdate(i, -i))
	}
	wg.Add(len(others))
	for _, u := range others {
		d.Submit(context.Background(), u, func(bool) { wg.Done() })
	}
	waitGroup(t, &wg, 5*time.Second)
}

// An update is done only when the work its handler left running is done,
// but the chat's next update does not wait for that work.
func TestDispatcherWaitsForBackgroundWork(t *testing.T) {
	release := make(chan struct{})
	var second atomic.Bool
	d, _ := newTestDispatcher(t, func(_ context.Context, u *models.Update, w *handlers.Work) {
		if u.ID == 1 {
			w.Go(func() { <-release })
			return
		}
		second.Store(true)
	})
	first := make(chan struct{})
	d.Submit(context.Background(), msgUpdate(1, -1), func(bool) { close(first) })
	next := make(chan struct{})
	d.Submit(context.Background(), msgUpdate(2, -1), func(bool) { close(next) })
	select {
	case <-next:
	case <-time.After(5 * time.Second):
		t.Fatal("the chat's next update waited for the first one's background work")
	}
	select {
	case <-first:
		t.Fatal("the first update was done before its background work")
	default:
	}
	close(release)
	select {
	case <-first:
	case <-time.After(5 * time.Second):
		t.Fatal("the first update never finished")
	}
}

// Background work that ends before its handler returns, or panics, still
// finishes the update exactly once, after the handler, with what Keep said;
// a panic there is counted and the process goes on.
func TestDispatcherFinishesOnceWhateverEndsLast(t *testing.T) {
	for id := int64(1); id <= 2; id++ {
		var returned atomic.Bool
		d, m := newTestDispatcher(t, func(_ context.Context, u *models.Update, w *handlers.Work) {
			ended := make(chan struct{})
			w.Go(func() { close(ended) })
			<-ended // the background work is over before the handler returns
			if u.ID == 2 {
				w.Go(func() { panic("boom in the background") })
			}
			w.Keep()
			returned.Store(true)
		})
		var calls atomic.Int32
		done := make(chan bool, 2)
		d.Submit(context.Background(), msgUpdate(id, -1), func(kept bool) {
			calls.Add(1)
			if !returned.Load() {
				t.Errorf("update %d finished before its handler returned", id)
			}
			done <- kept
		})
		select {
		case kept := <-done:
			if !kept {
				t.Errorf("update %d: Keep was lost", id)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("update %d never finished", id)
		}
		d.Close() // waits for everything, so a second finish would show
		if n := calls.Load(); n != 1 {
			t.Errorf("update %d finished %d times, want once", id, n)
		}
		if got, want := testutil.ToFloat64(m.Panics), float64(id-1); got != want {
			t.Errorf("update %d: panics metric = %v, want %v", id, got, want)
		}
	}
}

// Past MaxChat a chat's updates wait in the inbox, not in memory, and are
// loaded back in order.
func TestDispatcherSpillsPastTheChatBound(t *testing.T) {
	db := storetest.DB(t)
	ctx := context.Background()
	gen, err := db.Fence(ctx, store.InboxFence)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	var raws [][]byte
	var us []*models.Update
	for i := int64(1); i <= 50; i++ {
		u := msgUpdate(i, -1)
		raw, _ := json.Marshal(u)
		ids, raws, us = append(ids, i), append(raws, raw), append(us, u)
	}
	if _, err := db.InboxAdd(ctx, gen, 51, ids, raws); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []int64
	release := make(chan struct{})
	m := metrics.NewMetrics()
	d := NewDispatcher(func(_ context.Context, u *models.Update, _ *handlers.Work) {
		<-release
		mu.Lock()
		seen = append(seen, u.ID)
		mu.Unlock()
	}, InboxLoader(db, store.InboxPoll, slog.New(slog.DiscardHandler)), slog.New(slog.DiscardHandler), m)
	t.Cleanup(d.Close)
	d.MaxChat = 10
	var wg sync.WaitGroup
	wg.Add(len(us))
	for _, u := range us {
		d.Submit(ctx, u, func(bool) { wg.Done() })
	}
	if held := d.Held(); held > 10 {
		t.Errorf("%d updates held in memory, want at most MaxChat = 10", held)
	}
	if n := testutil.ToFloat64(m.UpdatesSpilled); n != 40 {
		t.Errorf("spilled = %v, want 40", n)
	}
	close(release)
	waitGroup(t, &wg, 10*time.Second)
	for i, id := range seen {
		if id != int64(i+1) {
			t.Fatalf("handled %v, want 1..50 in order", seen)
		}
	}
	if len(seen) != 50 {
		t.Fatalf("handled %d updates, want 50", len(seen))
	}
}

func TestParseCommand(t *testing.T) {
	cmd := []models.MessageEntity{{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: 4}}
	tests := []struct {
		name, text, wantCmd, wantArgs string
		ents                          []models.MessageEntity
	}{
		{"plain", "打卡 今天走访", "", "打卡 今天走访", nil},
		{"command", "/join", "join", "", cmd},
		{"args", "/setup 谢家坞村 平水镇", "setup", "谢家坞村 平水镇", cmd},
		{"addressed to us", "/Help@CadreBot_bot", "help", "", cmd},
		{"other bot", "/help@other_bot", "-", "", cmd},
		{"newline args", "/report\n路口没有停车线", "report", "路口没有停车线", cmd},
		{"slash not a command", "/ not a command", "", "/ not a command", []models.MessageEntity{{Type: "bold"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, a := parseCommand(tt.text, tt.ents, "cadrebot_bot")
			if c != tt.wantCmd || a != tt.wantArgs {
				t.Errorf("parseCommand(%q) = %q, %q; want %q, %q", tt.text, c, a, tt.wantCmd, tt.wantArgs)
			}
		})
	}
}
