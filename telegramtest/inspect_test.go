package telegramtest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func TestSubscribeAndTranscript(t *testing.T) {
	clock := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	s := startServer(t, WithClock(func() time.Time { return clock }))
	g := s.Group(-6001, "G")
	events, cancel := s.Subscribe()
	b := newClient(t, s)
	c := ctx(t)

	um := s.SendText(g, alice, "报告已提交")
	if um.Date != int(clock.Unix()) {
		t.Fatalf("date = %d", um.Date)
	}
	bm, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "收到", ReplyParameters: &models.ReplyParameters{MessageID: um.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.EditMessageText(c, &tgbot.EditMessageTextParams{ChatID: g.ID, MessageID: bm.ID, Text: "已收到"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SetMessageReaction(c, &tgbot.SetMessageReactionParams{ChatID: g.ID, MessageID: um.ID, Reaction: []models.ReactionType{
		{Type: models.ReactionTypeTypeEmoji, ReactionTypeEmoji: &models.ReactionTypeEmoji{Emoji: "👌"}},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendChatAction(c, &tgbot.SendChatActionParams{ChatID: g.ID, Action: models.ChatActionTyping}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.DeleteMessage(c, &tgbot.DeleteMessageParams{ChatID: g.ID, MessageID: bm.ID}); err != nil {
		t.Fatal(err)
	}
	want := []EventKind{EventMessage, EventMessage, EventEdit, EventReaction, EventAction, EventDelete}
	for i, k := range want {
		select {
		case ev := <-events:
			if ev.Kind != k || ev.ChatID != g.ID || ev.Seq != uint64(i+1) {
				t.Fatalf("event %d = %+v, want %s", i, ev, k)
			}
			if k == EventEdit && (ev.Entry.Message.Text != "已收到" || !ev.Entry.FromBot) {
				t.Fatalf("edit event = %+v", ev.Entry)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("missing event %d (%s)", i, k)
		}
	}
	cancel()
	if _, ok := <-events; ok {
		t.Fatal("channel should be closed after cancel")
	}
	cancel()

	tr := s.Transcript(g.ID)
	if len(tr) != 1 || tr[0].FromBot || tr[0].Message.Text != "报告已提交" || len(tr[0].Reactions) != 1 {
		t.Fatalf("transcript = %+v", tr)
	}
	if m, alive := s.Message(g.ID, bm.ID); alive || m.Text != "已收到" {
		t.Fatalf("deleted message = %+v alive=%v", m, alive)
	}
}

func TestWaitForSeesEarlierCalls(t *testing.T) {
	s := startServer(t)
	b := newClient(t, s)
	if _, err := b.GetMe(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitFor(time.Second, func(c Call) bool { return c.Method == "getMe" }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.WaitFor(20*time.Millisecond, func(c Call) bool { return c.Method == "sendMessage" }); err == nil {
		t.Fatal("WaitFor should time out")
	}
	s.ClearCalls()
	if len(s.Calls()) != 0 {
		t.Fatal("ClearCalls")
	}
}

func TestRecordLimit(t *testing.T) {
	s := startServer(t, WithRecordLimit(10))
	g := s.Group(-6002, "G")
	b := newClient(t, s)
	for i := 0; i < 35; i++ {
		if _, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: g.ID, Text: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	calls := s.Calls()
	if len(calls) != 10 || calls[9].Params["text"] != "34" {
		t.Fatalf("kept %d calls, last %+v", len(calls), calls[len(calls)-1].Params)
	}
	if st := s.Stats(); st.Calls["sendMessage"] != 35 {
		t.Fatalf("stats must count everything: %+v", st.Calls)
	}
}

// TestConcurrentSends checks per-chat id ordering and race-freedom when many
// goroutines use one server.
func TestConcurrentSends(t *testing.T) {
	s := startServer(t)
	b := newClient(t, s)
	const chats, per = 4, 25
	var wg sync.WaitGroup
	for ci := 0; ci < chats; ci++ {
		g := s.Group(-7000-int64(ci), "G")
		for w := 0; w < 2; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < per; i++ {
					m, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: g.ID, Text: "x"})
					if err != nil {
						t.Error(err)
						return
					}
					_, err = b.SetMessageReaction(ctx(t), &tgbot.SetMessageReactionParams{ChatID: g.ID, MessageID: m.ID, Reaction: []models.ReactionType{
						{Type: models.ReactionTypeTypeEmoji, ReactionTypeEmoji: &models.ReactionTypeEmoji{Emoji: "🔥"}},
					}})
					if err != nil {
						t.Error(err)
						return
					}
					s.SendText(g, alice, "y")
				}
			}()
		}
	}
	wg.Wait()
	for ci := 0; ci < chats; ci++ {
		tr := s.Transcript(-7000 - int64(ci))
		if len(tr) != 4*per {
			t.Fatalf("chat %d has %d messages", ci, len(tr))
		}
		for i, e := range tr {
			if e.Message.ID != i+1 {
				t.Fatalf("chat %d: message %d has id %d", ci, i, e.Message.ID)
			}
		}
	}
}

func TestHTMLRoundTrip(t *testing.T) {
	for _, in := range []string{
		"plain",
		"<b>bold <i>both</i></b> tail",
		`<a href="https://e.com/?q=1&amp;r=2">l</a>`,
		`<pre><code class="language-go">fmt.Println("&lt;x&gt;")</code></pre>`,
		"<blockquote expandable>long</blockquote>",
		"🎉<u>下划线</u>🎉<tg-spoiler>s</tg-spoiler>",
		`<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>`,
	} {
		text, ents, err := parseHTML(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		out := HTML(text, ents)
		text2, ents2, err := parseHTML(out)
		if err != nil || text2 != text || !sameEntities(ents, ents2) {
			t.Fatalf("%q -> %q -> %q %+v %v", in, out, text2, ents2, err)
		}
	}
	// Overlapping raw entities still render as well-formed HTML.
	got := HTML("abcd", []models.MessageEntity{{Type: "bold", Offset: 0, Length: 3}, {Type: "italic", Offset: 1, Length: 3}})
	if got != "<b>a<i>bc</i></b><i>d</i>" {
		t.Fatalf("overlap = %s", got)
	}
}

func TestSentSince(t *testing.T) {
	s := startServer(t)
	g := s.Group(-6005, "G")
	b := newClient(t, s)
	c := ctx(t)
	if s.LastMessageID(g.ID) != 0 || s.SentSince(g.ID, 0) != nil {
		t.Fatal("an empty chat has messages")
	}
	send := func(text string) *models.Message {
		t.Helper()
		m, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: text})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := send("一")
	um := s.SendText(g, alice, "hi")
	if s.LastMessageID(g.ID) != um.ID {
		t.Fatalf("LastMessageID = %d, want %d", s.LastMessageID(g.ID), um.ID)
	}
	second, third := send("二"), send("三")
	if _, err := b.DeleteMessage(c, &tgbot.DeleteMessageParams{ChatID: g.ID, MessageID: third.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.EditMessageText(c, &tgbot.EditMessageTextParams{ChatID: g.ID, MessageID: second.ID, Text: "贰"}); err != nil {
		t.Fatal(err)
	}
	got := s.SentSince(g.ID, um.ID)
	if len(got) != 1 || got[0].ID != second.ID || got[0].Text != "贰" {
		t.Fatalf("SentSince(%d) = %+v, want only the edited second message", um.ID, got)
	}
	if all := s.SentSince(g.ID, 0); len(all) != 2 || all[0].ID != first.ID {
		t.Fatalf("SentSince(0) = %+v", all)
	}
}
