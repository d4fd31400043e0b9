package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	"cadrebot/send"
	"cadrebot/telegramtest"
)

func newTestSender(t *testing.T) (*Sender, *telegramtest.Server) {
	t.Helper()
	srv := telegramtest.New().Start()
	t.Cleanup(srv.Close)
	tg, err := tgbot.New("1:t", tgbot.WithServerURL(srv.URL), tgbot.WithSkipGetMe())
	if err != nil {
		t.Fatal(err)
	}
	return NewSender(tg, Limits{GlobalPerSecond: 1000, GroupPerMinute: 60000, PrivatePerSecond: 1000}, slog.New(slog.DiscardHandler), NewMetrics()), srv
}

func TestSenderHonoursRetryAfter(t *testing.T) {
	s, srv := newTestSender(t)
	g := srv.Group(-100, "g")
	srv.FailNext("sendMessage", 1, telegramtest.Fault{Code: 429, Description: "Too Many Requests: retry after 1", RetryAfter: 1})
	if _, err := s.Send(context.Background(), send.Message{ChatID: g.ID, Text: "hello"}); err != nil {
		t.Fatalf("Send after one 429: %v", err)
	}
	calls := srv.CallsTo("sendMessage")
	if len(calls) != 2 {
		t.Fatalf("%d sendMessage calls, want 2", len(calls))
	}
	if gap := calls[1].At.Sub(calls[0].At); gap < time.Second {
		t.Errorf("retried after %v, want at least retry_after = 1s", gap)
	}
}

func TestSenderGivesUpOnLongRetryAfter(t *testing.T) {
	s, srv := newTestSender(t)
	s.MaxRetryAfter = time.Second
	g := srv.Group(-100, "g")
	srv.FailNext("sendMessage", 1, telegramtest.Fault{Code: 429, Description: "Too Many Requests", RetryAfter: 3600})
	_, err := s.Send(context.Background(), send.Message{ChatID: g.ID, Text: "hello"})
	var ra *RetryAfterError
	if !errors.As(err, &ra) || ra.After != time.Hour {
		t.Fatalf("Send = %v, want RetryAfterError of 1h", err)
	}
}

func TestSenderSplitsLongText(t *testing.T) {
	s, srv := newTestSender(t)
	g := srv.Group(-100, "g")
	text := strings.Repeat(strings.Repeat("字", 99)+"\n", 90)
	if _, err := s.Send(context.Background(), send.Message{ChatID: g.ID, Text: text, Buttons: [][]send.Button{{{Text: "ok", Data: "x:1"}}}}); err != nil {
		t.Fatal(err)
	}
	sent := srv.Sent(g.ID)
	if len(sent) != 3 {
		t.Fatalf("%d messages, want 3", len(sent))
	}
	if sent[0].ReplyMarkup != nil || sent[2].ReplyMarkup == nil {
		t.Errorf("keyboard should be on the last part only")
	}
}

func TestSenderLimitsPerGroup(t *testing.T) {
	srv := telegramtest.New(telegramtest.WithTelegramLimits(telegramtest.DefaultLimits())).Start()
	t.Cleanup(srv.Close)
	tg, _ := tgbot.New("1:t", tgbot.WithServerURL(srv.URL), tgbot.WithSkipGetMe())
	// Telegram's real limits on both sides: the burst of 3 passes without
	// a 429, and the 4th message waits for the bucket.
	s := NewSender(tg, Limits{GlobalPerSecond: 30, GroupPerMinute: 20, PrivatePerSecond: 1}, slog.New(slog.DiscardHandler), NewMetrics())
	g := srv.Group(-100, "g")
	for i := 0; i < 3; i++ {
		if _, err := s.Send(context.Background(), send.Message{ChatID: g.ID, Text: "x"}); err != nil {
			t.Fatal(err)
		}
	}
	if st := srv.Stats(); st.TooManyRequests != 0 {
		t.Errorf("%d 429 answers within the burst", st.TooManyRequests)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := s.Send(ctx, send.Message{ChatID: g.ID, Text: "x"}); err == nil {
		t.Errorf("a 4th message went out at once; the per-group bucket should hold it ~3s")
	}
}
