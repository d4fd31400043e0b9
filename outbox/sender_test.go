package outbox_test

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"cadrebot/bot"
	"cadrebot/lease"
	"cadrebot/metrics"
	"cadrebot/outbox"
	"cadrebot/send"
	"cadrebot/store"
	"cadrebot/storetest"
	"cadrebot/telegramtest"
)

type fixture struct {
	srv *telegramtest.Server
	db  *store.DB
	s   *outbox.Sender
	c   *outbox.Courier
	ls  *lease.Lease
	m   *metrics.Metrics
}

// newFixture builds a Sender against the fake Bot API with the given
// limits, on real Redis. The courier does not run unless lead is called.
func newFixture(t *testing.T, l outbox.Limits, opts ...telegramtest.Option) *fixture {
	t.Helper()
	srv := telegramtest.New(opts...).Start()
	t.Cleanup(srv.Close)
	m := metrics.NewMetrics()
	log := slog.New(slog.DiscardHandler)
	api, err := bot.NewClient(srv.URL, "1:t", http.DefaultClient, log, m)
	if err != nil {
		t.Fatal(err)
	}
	db := storetest.DB(t)
	ls := lease.New(db, "outbox", "", time.Second, log)
	s, c := outbox.New(api, db, outbox.NewLimiter(l), log, m, outbox.Config{Lease: ls})
	return &fixture{srv: srv, db: db, s: s, c: c, ls: ls, m: m}
}

// lead runs the courier under its lease until the test ends.
func (f *fixture) lead(t *testing.T) {
	ls := f.ls
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		ls.Run(ctx, func(lctx context.Context) { f.c.Lead(lctx, context.Background()) })
	}()
	t.Cleanup(func() { cancel(); <-done })
}

func (f *fixture) queued(t *testing.T) int64 {
	t.Helper()
	n, _, err := f.db.OutboxStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

var unlimited = outbox.Limits{GlobalPerSecond: 1000, GroupPerMinute: 60000, PrivatePerSecond: 1000}

func TestSendGoesOutAtOnceWithinBudget(t *testing.T) {
	f := newFixture(t, unlimited)
	g := f.srv.Group(-100, "g")
	id, err := f.s.Send(context.Background(), send.Message{ChatID: g.ID, Text: "hello"})
	if err != nil || id == 0 {
		t.Fatalf("Send = %d, %v; want a message id", id, err)
	}
	if n := f.queued(t); n != 0 {
		t.Errorf("outbox holds %d entries, want 0", n)
	}
}

func TestSendSplitsLongText(t *testing.T) {
	f := newFixture(t, unlimited)
	g := f.srv.Group(-100, "g")
	text := strings.Repeat(strings.Repeat("字", 99)+"\n", 90)
	if _, err := f.s.Send(context.Background(), send.Message{ChatID: g.ID, Text: text, Buttons: [][]send.Button{{{Text: "ok", Data: "x:1"}}}}); err != nil {
		t.Fatal(err)
	}
	sent := f.srv.Sent(g.ID)
	if len(sent) != 3 {
		t.Fatalf("%d messages, want 3", len(sent))
	}
	if sent[0].ReplyMarkup != nil || sent[2].ReplyMarkup == nil {
		t.Errorf("keyboard should be on the last part only")
	}
}

// A group whose budget is spent gets its replies through the outbox, in
// order, and the handler never waits for the bucket.
func TestSendQueuesWhenTheGroupBudgetIsSpent(t *testing.T) {
	f := newFixture(t, outbox.Limits{GlobalPerSecond: 1000, GroupPerMinute: 20, PrivatePerSecond: 1},
		telegramtest.WithTelegramLimits(telegramtest.DefaultLimits()))
	g := f.srv.Group(-100, "g")
	ctx := context.Background()
	var ids []int
	for i := 0; i < 5; i++ {
		done := make(chan struct{})
		var id int
		var err error
		go func() {
			defer close(done)
			id, err = f.s.Send(ctx, send.Message{ChatID: g.ID, Text: "第" + string(rune('1'+i)) + "条"})
		}()
		select {
		case <-done:
		case <-time.After(2 * time.Second):
			t.Fatalf("Send %d blocked on the group's bucket", i+1)
		}
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	// The burst of 3 goes at once; the rest wait in the outbox.
	if ids[0] == 0 || ids[2] == 0 || ids[3] != 0 || ids[4] != 0 {
		t.Fatalf("message ids = %v; want the first 3 sent at once and the rest queued (0)", ids)
	}
	if n := f.queued(t); n != 2 {
		t.Fatalf("outbox holds %d entries, want 2", n)
	}
	// The 4th found the bucket empty; the 5th queued behind the 4th.
	budget, backlog := testutil.ToFloat64(f.m.Deferred.WithLabelValues("budget")), testutil.ToFloat64(f.m.Deferred.WithLabelValues("backlog"))
	if budget != 1 || backlog != 1 {
		t.Errorf("deferred{budget} = %v, {backlog} = %v; want 1 and 1", budget, backlog)
	}
}

// A reply queued behind others is not overtaken by a later reply that
// finds the bucket full again.
func TestSendKeepsOrderBehindQueuedReplies(t *testing.T) {
	f := newFixture(t, outbox.Limits{GlobalPerSecond: 1000, GroupPerMinute: 600, PrivatePerSecond: 1000})
	g := f.srv.Group(-100, "g")
	ctx := context.Background()
	for i := 0; i < 8; i++ {
		if _, err := f.s.Send(ctx, send.Message{ChatID: g.ID, Text: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	f.lead(t)
	deadline := time.Now().Add(10 * time.Second)
	for len(f.srv.Sent(g.ID)) < 8 {
		if time.Now().After(deadline) {
			t.Fatalf("%d of 8 messages arrived", len(f.srv.Sent(g.ID)))
		}
		time.Sleep(5 * time.Millisecond)
	}
	var got string
	for _, m := range f.srv.Sent(g.ID) {
		got += m.Text
	}
	if got != "abcdefgh" {
		t.Errorf("messages arrived as %q, want abcdefgh", got)
	}
}

// A 429 on a direct send parks the reply in the outbox instead of making
// the handler wait out retry_after.
func TestSendQueuesOn429(t *testing.T) {
	f := newFixture(t, unlimited)
	g := f.srv.Group(-100, "g")
	f.srv.FailNext("sendMessage", 1, telegramtest.Fault{Code: 429, Description: "Too Many Requests: retry after 30", RetryAfter: 30})
	start := time.Now()
	id, err := f.s.Send(context.Background(), send.Message{ChatID: g.ID, Text: "hello"})
	if err != nil || id != 0 {
		t.Fatalf("Send = %d, %v; want queued (0, nil)", id, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Send took %v; it should not wait out retry_after", d)
	}
	if n := f.queued(t); n != 1 {
		t.Errorf("outbox holds %d entries, want 1", n)
	}
	// Later replies queue behind it until retry_after has passed.
	if id, err := f.s.Send(context.Background(), send.Message{ChatID: g.ID, Text: "again"}); err != nil || id != 0 {
		t.Errorf("second Send = %d, %v; want queued behind the first", id, err)
	}
}

// Keyed sends are for jobs that need Telegram's verdict: they wait out a
// short 429 (exactly retry_after) and send once per key.
func TestKeyedSendHonoursRetryAfter(t *testing.T) {
	f := newFixture(t, unlimited)
	g := f.srv.Group(-100, "g")
	f.srv.FailNext("sendMessage", 1, telegramtest.Fault{Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1})
	m := send.Message{ChatID: g.ID, Text: "hello", Key: "k1"}
	if _, err := f.s.Send(context.Background(), m); err != nil {
		t.Fatalf("Send after one 429: %v", err)
	}
	calls := f.srv.CallsTo("sendMessage")
	if len(calls) != 2 {
		t.Fatalf("%d sendMessage calls, want 2", len(calls))
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < time.Second {
		t.Errorf("retried after %v, want at least retry_after = 1s", gap)
	}
	if err := f.db.OutboxAck(context.Background(), "0-1", "k1", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if n := len(f.srv.CallsTo("sendMessage")); n != 2 {
		t.Errorf("a keyed message sent again: %d calls, want 2", n)
	}
}

func TestEditQueuesWhenTheBudgetIsSpent(t *testing.T) {
	f := newFixture(t, outbox.Limits{GlobalPerSecond: 1000, GroupPerMinute: 20, PrivatePerSecond: 1})
	g := f.srv.Group(-100, "g")
	ctx := context.Background()
	id, err := f.s.Send(ctx, send.Message{ChatID: g.ID, Text: "card"})
	if err != nil || id == 0 {
		t.Fatal(id, err)
	}
	for i := 0; i < 2; i++ {
		if err := f.s.Edit(ctx, g.ID, id, "card v"+string(rune('2'+i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.s.Edit(ctx, g.ID, id, "card v4", nil); err != nil {
		t.Fatal(err)
	}
	if n := f.queued(t); n != 1 {
		t.Fatalf("outbox holds %d entries, want the 4th call (an edit) queued", n)
	}
	f.lead(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if m, ok := f.srv.Message(g.ID, id); ok && m.Text == "card v4" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the queued edit never reached the card")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// An album is one sendMediaGroup: its photos share a media group, the
// caption is the first's, and every photo counts against the budget.
func TestAlbum(t *testing.T) {
	f := newFixture(t, unlimited)
	g := f.srv.Group(-100, "g")
	var ids []string
	for i := 0; i < 3; i++ {
		ids = append(ids, f.srv.AddFile("p.jpg", []byte{byte(i)}).ID)
	}
	m := send.Photos(g.ID, ids, "<b>#1</b> 整改后")
	if len(m.Album) != 3 || m.Photo != nil || m.Weight() != 3 {
		t.Fatalf("Photos(3) = %+v", m)
	}
	if one := send.Photos(g.ID, ids[:1], "x"); one.Photo == nil || one.Album != nil || one.Weight() != 1 {
		t.Errorf("Photos(1) = %+v, want a single photo", one)
	}
	if id, err := f.s.Send(context.Background(), m); err != nil || id == 0 {
		t.Fatalf("Send(album) = %d, %v", id, err)
	}
	f.lead(t)
	m.Key = "album-1"
	if err := f.s.Enqueue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(f.srv.Sent(g.ID)) < 6 {
		if time.Now().After(deadline) {
			t.Fatalf("the queued album did not go out: %d messages", len(f.srv.Sent(g.ID)))
		}
		time.Sleep(5 * time.Millisecond)
	}
	sent := f.srv.Sent(g.ID)
	for _, part := range [][]int{{0, 1, 2}, {3, 4, 5}} {
		first := sent[part[0]]
		if first.MediaGroupID == "" || first.Caption != "#1 整改后" || len(first.CaptionEntities) != 1 {
			t.Errorf("album's first photo: group %q caption %q entities %v", first.MediaGroupID, first.Caption, first.CaptionEntities)
		}
		for _, i := range part[1:] {
			if sent[i].MediaGroupID != first.MediaGroupID || sent[i].Caption != "" || len(sent[i].Photo) == 0 {
				t.Errorf("photo %d of the album: %+v", i, sent[i])
			}
		}
	}
}

// Reserve takes a message of the group's budget, or says how long until
// there is one, and queues nothing; a reserved send goes out at once
// without taking another. With queued replies waiting, Reserve waits
// behind them.
func TestReserve(t *testing.T) {
	f := newFixture(t, outbox.Limits{GlobalPerSecond: 1000, GroupPerMinute: 20, PrivatePerSecond: 1},
		telegramtest.WithTelegramLimits(telegramtest.DefaultLimits()))
	g := f.srv.Group(-100, "g")
	ctx := context.Background()
	id, err := f.s.Send(ctx, send.Message{ChatID: g.ID, Text: "board"})
	if err != nil || id == 0 {
		t.Fatal(id, err)
	}
	for i := 0; i < 2; i++ {
		if wait := f.s.Reserve(g.ID); wait != 0 {
			t.Fatalf("reserve %d: wait %v, want 0 (the burst is 3)", i+1, wait)
		}
		if _, err := f.s.SendReserved(ctx, send.Message{ChatID: g.ID, Edit: id, Text: "board v" + string(rune('2'+i))}); err != nil {
			t.Fatal(err)
		}
	}
	// 20 a minute, less what pays for the burst: a message every ~3.6 s.
	wait := f.s.Reserve(g.ID)
	if wait < 3*time.Second || wait > 4*time.Second {
		t.Fatalf("budget spent: wait %v, want about 3.6s", wait)
	}
	if n := f.queued(t); n != 0 {
		t.Fatalf("outbox holds %d entries, want none: Reserve queues nothing", n)
	}
	if m, ok := f.srv.Message(g.ID, id); !ok || m.Text != "board v3" {
		t.Fatalf("the board shows %+v, want the second reserved edit", m)
	}
	if n := f.srv.Stats().TooManyRequests; n != 0 {
		t.Errorf("%d answers 429: a reserved send took more than its message", n)
	}
	// A reply queued for the chat: a reservation would overtake it.
	if _, err := f.s.Send(ctx, send.Message{ChatID: g.ID, Text: "reply"}); err != nil {
		t.Fatal(err)
	}
	if n := f.queued(t); n != 1 {
		t.Fatalf("outbox holds %d entries, want the reply", n)
	}
	if wait := f.s.Reserve(g.ID); wait < time.Second {
		t.Errorf("behind a queued reply: wait %v, want at least a second", wait)
	}
}
