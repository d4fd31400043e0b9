package telegramtest

import (
	"errors"
	"strings"
	"testing"

	tgbot "github.com/go-telegram/bot"
)

func TestFailNext429(t *testing.T) {
	s := startServer(t)
	g := s.Group(-4001, "G")
	b := newClient(t, s)
	c := ctx(t)
	s.FailNext("sendMessage", 2, Fault{Code: 429, RetryAfter: 7})
	for i := 0; i < 2; i++ {
		_, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "x"})
		var tm *tgbot.TooManyRequestsError
		if !errors.As(err, &tm) || tm.RetryAfter != 7 || !strings.Contains(tm.Message, "retry after 7") {
			t.Fatalf("call %d: %T %v", i, err, err)
		}
	}
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if len(s.Sent(g.ID)) != 1 {
		t.Fatal("failed calls must not send")
	}
	st := s.Stats()
	if st.TooManyRequests != 2 || st.Calls["sendMessage"] != 3 || st.Sent != 1 {
		t.Fatalf("stats = %+v", st)
	}
}

func TestFailWhileAppliedAndDrop(t *testing.T) {
	s := startServer(t)
	g := s.Group(-4002, "G")
	b := newClient(t, s)
	c := ctx(t)
	s.FailWhile(func(call Call) *Fault {
		if call.Method == "sendMessage" && call.Params["text"] == "boom" {
			return &Fault{Code: 502}
		}
		return nil
	})
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "boom"}); err == nil || !strings.Contains(err.Error(), "502 Bad Gateway") {
		t.Fatalf("FailWhile: %v", err)
	}
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "fine"}); err != nil {
		t.Fatal(err)
	}
	s.FailWhile(nil)

	s.FailNext("", 1, Fault{Applied: true})
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "lost answer"}); err == nil {
		t.Fatal("applied fault should still fail the call")
	}
	if sent := s.Sent(g.ID); len(sent) != 2 || sent[1].Text != "lost answer" {
		t.Fatalf("applied fault must perform the call: %+v", sent)
	}

	s.FailNext("sendmessage", 1, Fault{Drop: true})
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "dropped"}); err == nil {
		t.Fatal("dropped connection should be an error")
	}
	calls := s.CallsTo("sendMessage")
	if last := calls[len(calls)-1]; last.Status != 0 || last.Err != "connection dropped" {
		t.Fatalf("dropped call = %+v", last)
	}
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "after"}); err != nil {
		t.Fatal(err)
	}
}

func TestWrongToken(t *testing.T) {
	s := startServer(t, WithToken("good:token"))
	b := newClient(t, s)
	if _, err := b.GetMe(ctx(t)); !errors.Is(err, tgbot.ErrorUnauthorized) {
		t.Fatalf("wrong token: %v", err)
	}
}

func TestTelegramLimits(t *testing.T) {
	s := startServer(t, WithTelegramLimits(DefaultLimits()))
	g := s.Group(-4003, "G")
	s.StartPrivate(alice)
	b := newClient(t, s)
	c := ctx(t)
	for i := 0; i < 20; i++ {
		if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "x"}); err != nil {
			t.Fatalf("message %d: %v", i+1, err)
		}
	}
	_, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "x"})
	var tm *tgbot.TooManyRequestsError
	if !errors.As(err, &tm) || tm.RetryAfter < 1 || tm.RetryAfter > 60 {
		t.Fatalf("21st message in a minute: %v", err)
	}
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: alice.ID, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: alice.ID, Text: "x"}); !errors.As(err, &tm) || tm.RetryAfter != 1 {
		t.Fatalf("2nd private message in a second: %v", err)
	}
	st := s.Stats()
	if st.TooManyRequests != 2 || st.MaxChatPerMinute[g.ID] != 20 || st.MaxChatPerSecond[alice.ID] != 1 || st.MaxGlobalPerSecond < 1 {
		t.Fatalf("stats = %+v", st)
	}

	s2 := startServer(t, WithTelegramLimits(Limits{Global: 5}))
	b2 := newClient(t, s2)
	var refused int
	for i := 0; i < 8; i++ {
		g := s2.Group(-4100-int64(i), "G")
		if _, err := b2.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "x"}); err != nil {
			refused++
		}
	}
	// The test runs well within a second, so exactly 5 fit the window;
	// on a very slow machine the window may slide and admit more.
	if refused == 0 || refused > 3 {
		t.Fatalf("global limit refused %d of 8", refused)
	}
}
