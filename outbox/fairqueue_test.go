package outbox

import (
	"context"
	"fmt"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/time/rate"

	"cadrebot/clock"
	"cadrebot/send"
	"cadrebot/store"
)

func entries(chat int64, ids ...int) []store.OutboxEntry {
	var out []store.OutboxEntry
	for _, id := range ids {
		out = append(out, store.OutboxEntry{ID: fmt.Sprintf("%d-%d", chat, id), Msg: send.Message{ChatID: chat}})
	}
	return out
}

// limits gives every chat an unlimited bucket except those in slow, whose
// buckets are empty for an hour.
func limits(slow ...int64) func(int64) *rate.Limiter {
	ls := map[int64]*rate.Limiter{}
	for _, c := range slow {
		l := rate.NewLimiter(rate.Every(time.Hour), 1)
		l.Allow()
		ls[c] = l
	}
	return func(chat int64) *rate.Limiter {
		if l, ok := ls[chat]; ok {
			return l
		}
		return rate.NewLimiter(rate.Inf, 1)
	}
}

func TestFairQueueOrderAndFairness(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
	q := newFairQueue(clk, limits(3))
	defer q.close()
	q.push(entries(1, 1, 2, 3))
	q.push(entries(2, 1, 2))
	q.push(entries(3, 1)) // rate limited: never ready in this test
	if n := q.push(entries(1, 1)); n != 0 {
		t.Errorf("push of an entry already held took %d, want 0", n)
	}
	ctx := context.Background()
	var got []string
	for i := 0; i < 5; i++ {
		it := q.next(ctx)
		got = append(got, it.ID)
		q.done(it)
	}
	// Round robin across chats, FIFO within each, the limited chat skipped.
	want := "1-1 2-1 1-2 2-2 1-3"
	if fmt.Sprint(got) != "["+want+"]" {
		t.Errorf("order = %v, want [%s]", got, want)
	}
	if q.len() != 1 {
		t.Errorf("len = %d, want 1 (the limited chat's entry)", q.len())
	}
}

func TestFairQueueBusyChatAndRetry(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC))
	q := newFairQueue(clk, limits())
	defer q.close()
	q.push(entries(1, 1, 2))
	ctx := context.Background()
	first := q.next(ctx)
	// While chat 1's head is in flight its next entry must not be handed
	// out, or the two could overtake each other.
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	if it := q.next(short); it != nil {
		t.Fatalf("next handed out %s while %s of the same chat was in flight", it.ID, first.ID)
	}
	q.retry(first, clk.Now().Add(time.Minute))
	got := make(chan *outItem)
	go func() { got <- q.next(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for clk.Waiters() == 0 { // the queue parks on the retry time
		if time.Now().After(deadline) {
			t.Fatal("the queue never waited for the retry time")
		}
		time.Sleep(time.Millisecond)
	}
	select {
	case it := <-got:
		t.Fatalf("next returned %s before the retry time", it.ID)
	default:
	}
	clk.Advance(time.Minute)
	if it := <-got; it.ID != first.ID {
		t.Errorf("after the retry time next = %s, want the retried head %s", it.ID, first.ID)
	}
}

func TestFairQueueCloseWakesWorkers(t *testing.T) {
	q := newFairQueue(clock.Real{}, limits())
	done := make(chan *outItem)
	go func() { done <- q.next(context.Background()) }()
	q.close()
	if it := <-done; it != nil {
		t.Errorf("next after close = %v, want nil", it)
	}
}

func TestParts(t *testing.T) {
	long := ""
	for utf8.RuneCountInString(long) < send.MaxText+100 {
		long += "一行文字\n"
	}
	kb := [][]send.Button{{{Text: "ok", Data: "x"}}}
	tests := []struct {
		name      string
		m         send.Message
		wantParts int
	}{
		{"short", send.Message{ChatID: 1, Text: "hi", Buttons: kb, ReplyTo: 5}, 1},
		{"long", send.Message{ChatID: 1, Text: long, Buttons: kb, ReplyTo: 5}, 2},
		{"photo, short caption", send.Message{ChatID: 1, Text: "cap", Photo: &send.File{FileID: "f"}, Buttons: kb, Key: "k", Ref: "problem:1"}, 1},
		{"photo, long caption", send.Message{ChatID: 1, Text: long, Photo: &send.File{FileID: "f"}, Buttons: kb}, 2}, // 1024-char caption, then the rest as text
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := Parts(tt.m)
			if len(ps) != tt.wantParts {
				t.Fatalf("Parts = %d parts, want %d", len(ps), tt.wantParts)
			}
			for i, p := range ps {
				if n := len(send.Split(p.Text, send.MaxText)); n != 1 {
					t.Errorf("part %d would be split again into %d", i, n)
				}
				if p.Key != "" {
					t.Errorf("part %d carries key %q; Send would recurse into SendKeyed", i, p.Key)
				}
				// The sent hook hears the last part, the one with the
				// buttons, and only that one.
				if wantRef := map[bool]string{true: tt.m.Ref}[i == len(ps)-1]; p.Ref != wantRef {
					t.Errorf("part %d carries ref %q, want %q", i, p.Ref, wantRef)
				}
				if p.ChatID != tt.m.ChatID {
					t.Errorf("part %d chat = %d", i, p.ChatID)
				}
			}
			if tt.m.Photo == nil {
				if ps[0].ReplyTo != tt.m.ReplyTo || len(ps[len(ps)-1].Buttons) == 0 {
					t.Errorf("reply on first part = %d, keyboard on last = %v", ps[0].ReplyTo, ps[len(ps)-1].Buttons)
				}
			} else if ps[0].Photo == nil || len(ps[0].Buttons) == 0 {
				t.Errorf("first part lost the photo or the keyboard")
			}
		})
	}
}

func TestFairQueueBoundsHeldBytes(t *testing.T) {
	q := newFairQueue(clock.Real{}, limits())
	defer q.close()
	big := store.OutboxEntry{ID: "1-1", Msg: send.Message{ChatID: 1, Photo: &send.File{Data: make([]byte, 1000)}}}
	q.push([]store.OutboxEntry{big})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if q.waitBelow(ctx, 100, 1000) {
		t.Fatal("waitBelow returned with more bytes held than allowed")
	}
	q.done(q.next(context.Background()))
	if !q.waitBelow(context.Background(), 100, 1000) {
		t.Fatal("waitBelow did not return once the upload was sent")
	}
}
