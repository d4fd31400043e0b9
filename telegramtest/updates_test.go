package telegramtest

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func TestGetUpdatesOffsetSemantics(t *testing.T) {
	s := startServer(t)
	g := s.Group(-2001, "G")
	m1 := s.SendText(g, alice, "one")
	s.SendText(g, bob, "two")
	s.SendText(g, alice, "three")
	if m1.ID != 1 || m1.Chat.Type != models.ChatTypeSupergroup || m1.Date == 0 {
		t.Fatalf("m1 = %+v", m1)
	}

	ups := getUpdates(t, s, 0, 0, 0)
	if len(ups) != 3 || ups[0].ID != 1 || ups[2].Message.Text != "three" {
		t.Fatalf("first batch = %+v", ups)
	}
	// Without a higher offset nothing is confirmed.
	if again := getUpdates(t, s, 0, 0, 0); len(again) != 3 {
		t.Fatalf("unconfirmed updates must repeat, got %d", len(again))
	}
	if ups := getUpdates(t, s, 1, 1, 0); len(ups) != 1 || ups[0].ID != 1 {
		t.Fatalf("limit 1 = %+v", ups)
	}
	ups = getUpdates(t, s, 2, 0, 0)
	if len(ups) != 2 || ups[0].ID != 2 {
		t.Fatalf("offset 2 = %+v", ups)
	}
	if s.Pending() != 2 {
		t.Fatalf("pending = %d", s.Pending())
	}
	if ups := getUpdates(t, s, 4, 0, 0); len(ups) != 0 || s.Pending() != 0 {
		t.Fatalf("after confirming all: %+v pending %d", ups, s.Pending())
	}
	// A lower offset cannot bring forgotten updates back.
	if ups := getUpdates(t, s, 1, 0, 0); len(ups) != 0 {
		t.Fatalf("forgotten updates came back: %+v", ups)
	}
	for i := 0; i < 150; i++ {
		s.SendText(g, alice, "bulk")
	}
	if ups := getUpdates(t, s, 0, 0, 0); len(ups) != 100 {
		t.Fatalf("default limit = %d", len(ups))
	}
	if ups := getUpdates(t, s, -5, 0, 0); len(ups) != 5 || ups[4].ID != 153 {
		t.Fatalf("negative offset = %d updates", len(ups))
	}
}

func TestLongPollReturnsEarly(t *testing.T) {
	s := startServer(t)
	g := s.Group(-2002, "G")
	type result struct {
		ups     []models.Update
		elapsed time.Duration
	}
	done := make(chan result, 1)
	go func() {
		start := time.Now()
		ups := getUpdates(t, s, 0, 0, 30)
		done <- result{ups, time.Since(start)}
	}()
	eventually(t, "long poll to start waiting", func() bool {
		s.q.mu.Lock()
		defer s.q.mu.Unlock()
		return s.q.poller != nil
	})
	s.SendText(g, alice, "wake up")
	select {
	case r := <-done:
		if len(r.ups) != 1 || r.ups[0].Message.Text != "wake up" || r.elapsed > 10*time.Second {
			t.Fatalf("long poll = %+v after %v", r.ups, r.elapsed)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("long poll did not return when an update arrived")
	}

	start := time.Now()
	if ups := getUpdates(t, s, 2, 0, 1); len(ups) != 0 || time.Since(start) < 900*time.Millisecond {
		t.Fatalf("empty poll returned %d updates after %v", len(ups), time.Since(start))
	}
}

func TestSecondPollerGetsConflict(t *testing.T) {
	s := startServer(t)
	first := make(chan envelope, 1)
	go func() { first <- rawCall(t, s, "getUpdates", map[string][]string{"timeout": {"30"}}) }()
	eventually(t, "first poll", func() bool {
		s.q.mu.Lock()
		defer s.q.mu.Unlock()
		return s.q.poller != nil
	})
	if ups := getUpdates(t, s, 0, 0, 0); len(ups) != 0 {
		t.Fatal(ups)
	}
	env := <-first
	if env.OK || env.ErrorCode != 409 || !strings.Contains(env.Description, "terminated by other getUpdates request") {
		t.Fatalf("older poll = %+v", env)
	}
}

// TestBotEndToEnd runs the real client's poller: commands arrive with a
// bot_command entity, the bot answers, and a redelivered update reaches the
// handler a second time with the same update_id.
func TestBotEndToEnd(t *testing.T) {
	s := startServer(t)
	g := s.Group(-2003, "Village")
	var mu sync.Mutex
	seen := map[int64]int{}
	b := newClient(t, s, tgbot.WithDefaultHandler(func(ctx context.Context, b *tgbot.Bot, u *models.Update) {
		mu.Lock()
		seen[u.ID]++
		mu.Unlock()
		if u.Message == nil || u.Message.From.IsBot || u.Message.SenderChat != nil {
			return
		}
		m := u.Message
		if len(m.Entities) == 0 || m.Entities[0].Type != models.MessageEntityTypeBotCommand {
			return
		}
		cmd := m.Text[:m.Entities[0].Length]
		_, err := b.SendMessage(ctx, &tgbot.SendMessageParams{
			ChatID: m.Chat.ID, Text: "ok " + cmd, ReplyParameters: &models.ReplyParameters{MessageID: m.ID},
		})
		if err != nil {
			t.Errorf("reply: %v", err)
		}
	}))
	runBot(t, b)

	s.SendAsBot(g, models.User{ID: 777, FirstName: "otherbot"}, "/start")
	s.FromChannel(g, models.Chat{ID: -100777, Type: models.ChatTypeChannel, Title: "News"}, "/start")
	s.AnonymousAdmin(g, "/start")
	cmd := s.SendText(g, alice, "/start@cadrebot_bot 2024")
	call, err := s.WaitFor(5*time.Second, func(c Call) bool { return c.Method == "sendMessage" && c.OK() })
	if err != nil {
		t.Fatal(err)
	}
	reply := call.Message()
	if reply.Text != "ok /start@cadrebot_bot" || reply.ReplyToMessage.ID != cmd.ID {
		t.Fatalf("reply = %+v", reply)
	}
	if n := len(s.CallsTo("sendMessage")); n != 1 {
		t.Fatalf("bot answered %d times; it must ignore bots and channels", n)
	}

	id := s.Push(models.Update{Message: &models.Message{ID: 99, Chat: g, From: &bob, Text: "raw", Date: 1}})
	eventually(t, "raw update handled", func() bool { mu.Lock(); defer mu.Unlock(); return seen[id] == 1 })
	if !s.Redeliver(id) {
		t.Fatal("Redeliver: unknown id")
	}
	eventually(t, "duplicate delivery", func() bool { mu.Lock(); defer mu.Unlock(); return seen[id] == 2 })
	if s.Redeliver(123456) {
		t.Fatal("Redeliver accepted an unknown id")
	}
}

func TestAllowedUpdatesAndReactions(t *testing.T) {
	s := startServer(t)
	g := s.Group(-2004, "G")
	m := s.SendText(g, alice, "hi")
	getUpdates(t, s, 2, 0, 0)
	s.React(g, bob, m.ID, "👍")
	// message_reaction is opt-in, exactly as on Telegram.
	if ups := getUpdates(t, s, 0, 0, 0); len(ups) != 0 {
		t.Fatalf("reaction delivered without allowed_updates: %+v", ups)
	}
	env := rawCall(t, s, "getUpdates", map[string][]string{"allowed_updates": {`["message","message_reaction"]`}})
	if !env.OK {
		t.Fatal(env)
	}
	s.React(g, bob, m.ID, "🔥")
	ups := getUpdates(t, s, 0, 0, 0)
	if len(ups) != 1 || ups[0].MessageReaction == nil || ups[0].MessageReaction.NewReaction[0].ReactionTypeEmoji.Emoji != "🔥" ||
		ups[0].MessageReaction.OldReaction[0].ReactionTypeEmoji.Emoji != "👍" {
		t.Fatalf("reaction update = %+v", ups)
	}
}

func TestPrivacyMode(t *testing.T) {
	s := startServer(t, WithPrivacyMode(true))
	g := s.Group(-2005, "G")
	b := newClient(t, s)
	me, _ := b.GetMe(ctx(t))
	if me.CanReadAllGroupMessages {
		t.Fatal("privacy mode must be visible in getMe")
	}
	bm, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: g.ID, Text: "question"})
	if err != nil {
		t.Fatal(err)
	}
	s.SendText(g, alice, "chatter")
	s.SendText(g, alice, "/report")
	s.SendText(g, alice, "answer", ReplyTo(bm.ID))
	s.SendText(g, alice, "hey @CadreBot_bot") // a plain mention is not delivered
	s.SendText(g, alice, "/help@other_bot")   // a command for another bot
	s.SendAsBot(g, models.User{ID: 777, Username: "other_bot"}, "I am another bot")
	s.SendText(g, alice, "/help")              // another bot spoke last
	s.SendText(g, alice, "/help@CadreBot_bot") // addressed: always delivered
	s.AddMembers(g, alice, carol)
	var texts []string
	for _, u := range getUpdates(t, s, 0, 0, 0) {
		texts = append(texts, u.Message.Text)
	}
	if got := strings.Join(texts, "|"); got != "/report|answer|/help@CadreBot_bot|" {
		t.Fatalf("delivered = %q", got)
	}
	// An administrator bot sees everything.
	s.SetMember(g.ID, me.ID, StatusAdministrator)
	s.SendText(g, alice, "打卡")
	var last string
	for _, u := range getUpdates(t, s, 0, 0, 0) {
		if u.Message != nil {
			last = u.Message.Text
		}
	}
	if last != "打卡" {
		t.Fatalf("an admin bot did not get a plain message: last = %q", last)
	}
}

// TestPushRegistersMessagesAndCallbacks covers raw updates built by hand: the
// bot must be able to reply to a pushed message and answer a pushed query.
func TestPushRegistersMessagesAndCallbacks(t *testing.T) {
	s := startServer(t)
	g := s.Group(-2006, "G")
	b := newClient(t, s)
	c := ctx(t)
	s.Push(models.Update{Message: &models.Message{ID: 1, Date: 1, Chat: g, From: &alice, Text: "/join",
		Entities: []models.MessageEntity{{Type: "bot_command", Offset: 0, Length: 5}}}})
	m, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "ok", ReplyParameters: &models.ReplyParameters{MessageID: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if m.ID != 2 || m.ReplyToMessage.Text != "/join" {
		t.Fatalf("reply = %+v", m)
	}
	s.Push(models.Update{CallbackQuery: &models.CallbackQuery{ID: "cq-1", From: bob, Data: "x",
		Message: models.MaybeInaccessibleMessage{Message: m}}})
	if _, err := b.AnswerCallbackQuery(c, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: "cq-1", Text: "done"}); err != nil {
		t.Fatal(err)
	}
	if cb, _ := s.CallbackAnswer("cq-1"); !cb.Answered || cb.Text != "done" {
		t.Fatalf("callback = %+v", cb)
	}
	if ups := getUpdates(t, s, 0, 0, 0); len(ups) != 2 || ups[0].Message.Text != "/join" || ups[1].CallbackQuery.ID != "cq-1" {
		t.Fatalf("updates = %+v", ups)
	}
	if tr := s.Transcript(g.ID); len(tr) != 2 || tr[0].FromBot || !tr[1].FromBot {
		t.Fatalf("transcript = %+v", tr)
	}
}
