package fault

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/clock"
	"cadrebot/send"
	"cadrebot/telegramtest"
)

// TestBotAPIStorms sends a fan-out while the Bot API first answers every
// send with 429 (retry_after 1) and then with 500, against a fake that
// also enforces Telegram's real limits. Nothing is lost or sent twice, no
// chat is retried before its retry_after, and the bot never trips a limit
// on its own.
func TestBotAPIStorms(t *testing.T) {
	clk := clock.NewFake(apptest.Monday0800)
	tg := telegramtest.New(telegramtest.WithClock(clk.Now), telegramtest.WithTelegramLimits(telegramtest.DefaultLimits())).Start()
	t.Cleanup(tg.Close)
	// Telegram's own limits (the config defaults), not the tests' relaxed ones.
	yaml := strings.Replace(apptest.DefaultYAML,
		"limits: {global_per_second: 100000, group_per_minute: 1000000, private_per_second: 100000}", "", 1)
	e := apptest.Start(t, apptest.WithServer(tg), apptest.WithClock(clk), apptest.WithYAML(yaml))

	type want struct {
		chat int64
		text string
	}
	var msgs []want
	for i := 0; i < 50; i++ {
		g := tg.Group(int64(-1008000-i), fmt.Sprintf("村%02d", i))
		for j := 0; j < 1+i%3; j++ { // up to 3 per group: the group bucket's burst
			msgs = append(msgs, want{g.ID, fmt.Sprintf("通知 %d-%d", i, j)})
		}
	}
	for i := 0; i < 4; i++ {
		u := models.User{ID: int64(6000 + i), FirstName: fmt.Sprintf("干部%d", i)}
		tg.StartPrivate(u)
		for j := 0; j < 3; j++ {
			msgs = append(msgs, want{u.ID, fmt.Sprintf("私信 %d-%d", i, j)})
		}
	}

	var (
		mu       sync.Mutex
		injected = map[string]int{}
	)
	start := time.Now()
	tg.FailWhile(func(c telegramtest.Call) *telegramtest.Fault {
		if c.Method != "sendMessage" {
			return nil
		}
		var f *telegramtest.Fault
		switch since := time.Since(start); {
		case since < 1500*time.Millisecond:
			f = &telegramtest.Fault{RetryAfter: 1}
		case since < 2500*time.Millisecond:
			f = &telegramtest.Fault{Code: 500}
		default:
			return nil
		}
		mu.Lock()
		injected[fmt.Sprint(f.Code, f.RetryAfter)]++
		mu.Unlock()
		return f
	})
	ctx := context.Background()
	for _, m := range msgs {
		if err := e.App.Sender.Enqueue(ctx, send.Message{ChatID: m.chat, Text: m.text}); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 60*time.Second, "every message delivered", func() bool {
		n, _, err := e.DB.OutboxStats(ctx)
		return err == nil && n == 0
	})

	for _, m := range msgs {
		n := 0
		for _, s := range tg.Sent(m.chat) {
			if s.Text == m.text {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%q to %d delivered %d times, want 1", m.text, m.chat, n)
		}
	}
	mu.Lock()
	storm429 := injected["0 1"]
	stormAll := storm429 + injected["500 0"]
	mu.Unlock()
	if storm429 == 0 || stormAll == storm429 {
		t.Fatalf("the storms injected %v; want both 429s and 500s", injected)
	}
	st := tg.Stats()
	if st.TooManyRequests != storm429 {
		t.Errorf("%d 429 answers, %d of them injected: the bot tripped Telegram's limits itself", st.TooManyRequests, storm429)
	}
	lim := telegramtest.DefaultLimits()
	if st.MaxGlobalPerSecond > lim.Global {
		t.Errorf("peak %d messages/s, limit %d", st.MaxGlobalPerSecond, lim.Global)
	}
	for chat, n := range st.MaxChatPerMinute {
		if chat < 0 && n > lim.PerGroupPerMinute {
			t.Errorf("group %d got %d messages in a minute, limit %d", chat, n, lim.PerGroupPerMinute)
		}
	}
	for chat, n := range st.MaxChatPerSecond {
		if chat > 0 && n > lim.PerPrivatePerSecond {
			t.Errorf("private chat %d got %d messages in a second, limit %d", chat, n, lim.PerPrivatePerSecond)
		}
	}
	// After a 429 a chat stays quiet for retry_after.
	last429 := map[int64]time.Time{}
	for _, c := range tg.CallsTo("sendMessage") {
		chat := c.ChatID()
		if t429, ok := last429[chat]; ok && c.At.Sub(t429) < time.Second {
			t.Errorf("chat %d called %v after a 429 with retry_after 1", chat, c.At.Sub(t429))
		}
		if c.Status == 429 {
			last429[chat] = c.At
		} else {
			delete(last429, chat)
		}
	}
	t.Logf("%d messages, %d injected 429s and %d 500s, peak %d/s", len(msgs), storm429, stormAll-storm429, st.MaxGlobalPerSecond)
}
