package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"cadrebot/apptest"
	"cadrebot/send"
	"cadrebot/store"
	"cadrebot/telegramtest"
)

// sideDB is a second connection to the service's keys, usable while the
// service is stopped (a stopped service closes its own).
func sideDB(t *testing.T, e *apptest.Env) *store.DB {
	t.Helper()
	rdb := apptest.NewRedis(t)
	t.Cleanup(func() { rdb.Close() })
	return store.New(rdb, e.Prefix)
}

// waitOutboxEmpty waits until every outbox entry was settled (sent, skipped
// or given up), so counting messages afterwards is final.
func waitOutboxEmpty(e *apptest.Env, db *store.DB) {
	e.T.Helper()
	e.Wait("an empty outbox", func() bool {
		n, _, err := db.OutboxStats(context.Background())
		return err == nil && n == 0
	})
}

// countSent counts the bot's messages in chat containing substr.
func countSent(e *apptest.Env, chat int64, substr string) int {
	n := 0
	for _, m := range e.TG.Sent(chat) {
		if strings.Contains(m.Text, substr) || strings.Contains(m.Caption, substr) {
			n++
		}
	}
	return n
}

func sendCalls(e *apptest.Env, chat int64) []telegramtest.Call {
	var out []telegramtest.Call
	for _, c := range e.TG.CallsTo("sendMessage") {
		if c.ChatID() == chat {
			out = append(out, c)
		}
	}
	return out
}

// TestOutboxSurvivesCrash puts the outbox in each state a crash can leave
// it in and checks that the next process delivers every message once.
func TestOutboxSurvivesCrash(t *testing.T) {
	tests := []struct {
		name  string
		crash func(ctx context.Context, db *store.DB, key string) error
		want  int
	}{
		{"enqueued, never read", func(ctx context.Context, db *store.DB, key string) error { return nil }, 1},
		{"read by a sender that died", func(ctx context.Context, db *store.DB, key string) error {
			_, err := db.OutboxRead(ctx, "dead-sender", 10, 0)
			return err
		}, 1},
		{"sent, died before the ack", func(ctx context.Context, db *store.DB, key string) error {
			if _, err := db.OutboxRead(ctx, "dead-sender", 10, 0); err != nil {
				return err
			}
			return db.OutboxMarkPart(ctx, key, 1)
		}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := apptest.Start(t)
			g := e.TG.Group(-100601, "村群")
			e.Stop()
			ctx := context.Background()
			db := sideDB(t, e)
			if err := db.OutboxInit(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := db.OutboxAdd(ctx, send.Message{ChatID: g.ID, Text: "停电通知", Key: "notice:1"}); err != nil {
				t.Fatal(err)
			}
			if err := tt.crash(ctx, db, "notice:1"); err != nil {
				t.Fatal(err)
			}
			e.Restart()
			waitOutboxEmpty(e, db)
			if got := countSent(e, g.ID, "停电通知"); got != tt.want {
				t.Errorf("after the restart the notice was sent %d times, want %d", got, tt.want)
			}
		})
	}
}

// TestOutboxPendingAcrossRestart enqueues through the running service while
// Telegram fails, stops it, and checks that the restarted service sends
// the message exactly once.
func TestOutboxPendingAcrossRestart(t *testing.T) {
	e := apptest.Start(t)
	g := e.TG.Group(-100602, "村群")
	e.TG.FailWhile(func(c telegramtest.Call) *telegramtest.Fault {
		if c.Method == "sendMessage" && c.ChatID() == g.ID {
			return &telegramtest.Fault{Code: 502}
		}
		return nil
	})
	if err := e.App.Sender.Enqueue(context.Background(), send.Message{ChatID: g.ID, Text: "周一例会"}); err != nil {
		t.Fatal(err)
	}
	e.Wait("a failed attempt", func() bool { return len(sendCalls(e, g.ID)) > 0 })
	if err := e.App.Courier.RefreshStats(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d, age := testutil.ToFloat64(e.App.Metrics.OutboxDepth), testutil.ToFloat64(e.App.Metrics.OutboxAge); d != 1 || age <= 0 || age > 60 {
		t.Errorf("outbox gauges: depth %v, oldest %vs; want 1 and a few seconds", d, age)
	}
	e.Stop()
	db := sideDB(t, e)
	if n, _, err := db.OutboxStats(context.Background()); err != nil || n != 1 {
		t.Fatalf("outbox depth after stopping = %d, %v; want the message still queued", n, err)
	}
	e.TG.FailWhile(nil)
	e.Restart()
	waitOutboxEmpty(e, db)
	if got := countSent(e, g.ID, "周一例会"); got != 1 {
		t.Errorf("sent %d times, want 1", got)
	}
}

func TestOutboxHonoursRetryAfter(t *testing.T) {
	e := apptest.Start(t)
	slow, other := e.TG.Group(-100603, "慢群"), e.TG.Group(-100604, "快群")
	var once sync.Once
	e.TG.FailWhile(func(c telegramtest.Call) *telegramtest.Fault {
		var f *telegramtest.Fault
		if c.Method == "sendMessage" && c.ChatID() == slow.ID {
			once.Do(func() { f = &telegramtest.Fault{RetryAfter: 1} })
		}
		return f
	})
	ctx := context.Background()
	for i, chat := range []int64{slow.ID, slow.ID, other.ID} {
		if err := e.App.Sender.Enqueue(ctx, send.Message{ChatID: chat, Text: fmt.Sprintf("消息%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Calls are recorded once answered, a moment after Sent shows them.
	e.Wait("three calls to the limited chat", func() bool { return len(sendCalls(e, slow.ID)) >= 3 })
	waitOutboxEmpty(e, e.DB)
	calls := sendCalls(e, slow.ID)
	if len(calls) != 3 || calls[0].Status != 429 {
		t.Fatalf("calls to the limited chat: %d, first status %d; want 429 then two sends", len(calls), calls[0].Status)
	}
	if wait := calls[1].At.Sub(calls[0].At); wait < time.Second {
		t.Errorf("retried after %v, before retry_after (1s) passed", wait)
	}
	// The other chat did not wait behind the limited one.
	otherCalls := sendCalls(e, other.ID)
	if len(otherCalls) != 1 || !otherCalls[0].At.Before(calls[1].At) {
		t.Errorf("the other chat's message went out at %v, not before the retry at %v", otherCalls, calls[1].At)
	}
	// Order within the limited chat held: 消息0 before 消息1.
	if texts := sentTexts(e, slow.ID); strings.Join(texts, ",") != "消息0,消息1" {
		t.Errorf("limited chat got %v, want [消息0 消息1]", texts)
	}
	if n := testutil.ToFloat64(e.App.Metrics.OutboxRetries.WithLabelValues("429")); n != 1 {
		t.Errorf("429 retries counted %v, want 1", n)
	}
}

func sentTexts(e *apptest.Env, chat int64) []string {
	var out []string
	for _, m := range e.TG.Sent(chat) {
		out = append(out, m.Text)
	}
	return out
}

func TestOutboxRetriesServerAndNetworkErrors(t *testing.T) {
	e := apptest.Start(t)
	a, b := e.TG.Group(-100605, "甲"), e.TG.Group(-100606, "乙")
	var mu sync.Mutex
	failed := map[int64]bool{}
	e.TG.FailWhile(func(c telegramtest.Call) *telegramtest.Fault {
		mu.Lock()
		defer mu.Unlock()
		if c.Method != "sendMessage" || failed[c.ChatID()] {
			return nil
		}
		failed[c.ChatID()] = true
		if c.ChatID() == a.ID {
			return &telegramtest.Fault{Code: 500}
		}
		return &telegramtest.Fault{Drop: true}
	})
	for _, chat := range []int64{a.ID, b.ID} {
		if err := e.App.Sender.Enqueue(context.Background(), send.Message{ChatID: chat, Text: "整改通知"}); err != nil {
			t.Fatal(err)
		}
	}
	e.WaitSent(a.ID, "整改通知")
	e.WaitSent(b.ID, "整改通知")
	waitOutboxEmpty(e, e.DB)
	for _, chat := range []int64{a.ID, b.ID} {
		if n := countSent(e, chat, "整改通知"); n != 1 {
			t.Errorf("chat %d got the message %d times, want 1", chat, n)
		}
	}
	if n := testutil.ToFloat64(e.App.Metrics.OutboxRetries.WithLabelValues("error")); n != 2 {
		t.Errorf("error retries counted %v, want 2", n)
	}
}

// flagRecorder is a feature's Flagger.
type flagRecorder struct {
	mu   sync.Mutex
	refs []string
}

func (f *flagRecorder) Undeliverable(ctx context.Context, ref, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs = append(f.refs, ref+" "+reason)
	return nil
}

func (f *flagRecorder) got() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.refs...)
}

func TestOutboxPermanentFailuresAreFlagged(t *testing.T) {
	e := apptest.Start(t)
	kicked := e.TG.Group(-100607, "已移除")
	e.TG.KickBot(kicked.ID)
	rec := &flagRecorder{}
	e.App.Courier.FlagRefs("problem:", rec)
	ctx := context.Background()
	msgs := []send.Message{
		{ChatID: kicked.ID, Text: "问题 #42 已派单", Ref: "problem:42"},
		{ChatID: -100999999, Text: "无此群"}, // never seen: 400 chat not found
	}
	for _, m := range msgs {
		if err := e.App.Sender.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	waitOutboxEmpty(e, e.DB)
	for _, tt := range []struct{ ref, reason string }{
		{"problem:42", "forbidden"},
		{"chat:-100999999", "bad_request"},
	} {
		r, err := e.DB.UndeliverableReason(ctx, tt.ref)
		if err != nil || !strings.HasPrefix(r, tt.reason+":") {
			t.Errorf("undeliverable %s = %q, %v; want reason %s", tt.ref, r, err, tt.reason)
		}
		if n := testutil.ToFloat64(e.App.Metrics.SendFailures.WithLabelValues(tt.reason)); n != 1 {
			t.Errorf("send failures %s = %v, want 1", tt.reason, n)
		}
	}
	if got := rec.got(); len(got) != 1 || !strings.HasPrefix(got[0], "problem:42 forbidden:") {
		t.Errorf("the problems flagger heard %q, want only problem:42", got)
	}
	// Permanent means no retry.
	if n := len(sendCalls(e, kicked.ID)); n != 1 {
		t.Errorf("%d sendMessage calls to the kicked group, want 1", n)
	}
}

func TestOutboxIdempotentByKey(t *testing.T) {
	e := apptest.Start(t)
	g := e.TG.Group(-100608, "村群")
	ctx := context.Background()
	m := send.Message{ChatID: g.ID, Text: "本周周报", Key: "digest:2026-W49:-100608"}
	for i := 0; i < 3; i++ {
		if err := e.App.Sender.Enqueue(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	e.WaitSent(g.ID, "本周周报")
	waitOutboxEmpty(e, e.DB)
	if err := e.App.Sender.Enqueue(ctx, m); err != nil { // after it was sent
		t.Fatal(err)
	}
	waitOutboxEmpty(e, e.DB)
	if n := countSent(e, g.ID, "本周周报"); n != 1 {
		t.Errorf("a message enqueued 4 times with one key was sent %d times, want 1", n)
	}
}

// TestOutboxKeepsChatOrder interleaves two chats and fails one message
// once: the chat's later messages wait for its retry.
func TestOutboxKeepsChatOrder(t *testing.T) {
	e := apptest.Start(t)
	a, b := e.TG.Group(-100609, "甲"), e.TG.Group(-100610, "乙")
	var once sync.Once
	e.TG.FailWhile(func(c telegramtest.Call) *telegramtest.Fault {
		var f *telegramtest.Fault
		if c.Method == "sendMessage" && c.ChatID() == a.ID && strings.Contains(c.Params["text"], "#3 ") {
			once.Do(func() { f = &telegramtest.Fault{Code: 500} })
		}
		return f
	})
	ctx := context.Background()
	var want []string
	for i := 0; i < 10; i++ {
		want = append(want, fmt.Sprintf("#%d 条", i))
		for _, chat := range []int64{a.ID, b.ID} {
			if err := e.App.Sender.Enqueue(ctx, send.Message{ChatID: chat, Text: fmt.Sprintf("#%d 条", i)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitOutboxEmpty(e, e.DB)
	for _, chat := range []int64{a.ID, b.ID} {
		if got := sentTexts(e, chat); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("chat %d received %q, want %q", chat, got, want)
		}
	}
}

// TestOutboxSplitsLongMessages checks that a long message goes out in
// parts, in order, with the keyboard on the last part.
func TestOutboxSplitsLongMessages(t *testing.T) {
	e := apptest.Start(t)
	g := e.TG.Group(-100611, "村群")
	var b strings.Builder
	for i := 0; b.Len() < 2*send.MaxText*3; i++ {
		fmt.Fprintf(&b, "第%d行 周报内容\n", i)
	}
	err := e.App.Sender.Enqueue(context.Background(), send.Message{ChatID: g.ID, Text: b.String(),
		Buttons: [][]send.Button{{{Text: "查看", Data: "dg:1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	waitOutboxEmpty(e, e.DB)
	sent := e.TG.Sent(g.ID)
	if len(sent) < 2 {
		t.Fatalf("%d messages, want the text split in several", len(sent))
	}
	var joined strings.Builder
	for i, m := range sent {
		if hasKB := m.ReplyMarkup != nil && len(m.ReplyMarkup.InlineKeyboard) > 0; hasKB != (i == len(sent)-1) {
			t.Errorf("part %d keyboard = %v; want it on the last part only", i, hasKB)
		}
		joined.WriteString(m.Text + "\n")
	}
	if !strings.HasPrefix(joined.String(), "第0行") || !strings.Contains(joined.String(), "第1000行") {
		t.Errorf("parts out of order or missing")
	}
}
