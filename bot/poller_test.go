package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/handlers"
	"cadrebot/metrics"
	"cadrebot/store"
	"cadrebot/storetest"
)

// batches is a getUpdates that answers with one batch per call, then
// waits for the caller to give up.
type batches chan []json.RawMessage

func (b batches) GetUpdates(ctx context.Context, _ int64, _ int, _ time.Duration, _ []string) ([]json.RawMessage, error) {
	select {
	case raws := <-b:
		return raws, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// On a quiet bot updates arrive one batch at a time: each intake deletes
// the updates finished since the last one, in its own round trip, and
// the journal's flush (not running here) is left nothing to do.
func TestIntakeForgetsFinishedUpdates(t *testing.T) {
	db := storetest.DB(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	gen, err := db.Fence(ctx, store.InboxFence)
	if err != nil {
		t.Fatal(err)
	}
	handled := make(chan int64, 10)
	m := metrics.NewMetrics()
	log := slog.New(slog.DiscardHandler)
	d := NewDispatcher(func(_ context.Context, u *models.Update, _ *handlers.Work) { handled <- u.ID },
		InboxLoader(db, store.InboxPoll, log), log, m)
	t.Cleanup(d.Close)
	j := NewJournal(db, store.InboxPoll, log)
	in := make(batches)
	p := NewPoller(in, db, j, d, log, m)
	go func() { _ = p.Run(ctx, ctx, gen) }()
	inbox := func() []int64 {
		es, err := db.Inbox(ctx, store.InboxPoll)
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, e := range es {
			ids = append(ids, e.ID)
		}
		slices.Sort(ids)
		return ids
	}
	for id := int64(1); id <= 3; id++ {
		raw, _ := json.Marshal(msgUpdate(id, -1))
		in <- []json.RawMessage{raw}
		select {
		case got := <-handled:
			if got != id {
				t.Fatalf("handled %d, want %d", got, id)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("update %d not handled", id)
		}
		// The update is finished once the handler has returned; the
		// next intake, not a flush, deletes it.
		deadline := time.Now().Add(5 * time.Second)
		for {
			j.mu.Lock()
			n := len(j.ids)
			j.mu.Unlock()
			if n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("update %d never finished", id)
			}
			time.Sleep(time.Millisecond)
		}
		if got, want := fmt.Sprint(inbox()), fmt.Sprint([]int64{id}); got != want {
			t.Fatalf("after update %d the inbox holds %s, want %s", id, got, want)
		}
	}
}
