package telegramtest

import (
	"strings"
	"testing"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func TestForumTopics(t *testing.T) {
	s := startServer(t)
	f := s.Forum(-1005001, "Forum")
	if !f.IsForum {
		t.Fatalf("Forum() = %+v, want is_forum", f)
	}
	topic := s.CreateTopic(f, alice, "打卡")
	m := s.SendText(f, bob, "打卡", Thread(topic))
	if m.MessageThreadID != topic || !m.IsTopicMessage || m.ReplyToMessage == nil || m.ReplyToMessage.ID != topic ||
		m.ReplyToMessage.ForumTopicCreated == nil {
		t.Fatalf("message in the topic = %+v, reply to %+v", m, m.ReplyToMessage)
	}
	general := s.SendText(f, bob, "hello")
	if general.MessageThreadID != 0 || general.IsTopicMessage || general.ReplyToMessage != nil {
		t.Errorf("message in General = %+v", general)
	}
	// An explicit reply to a message in the topic stays in the topic.
	r := s.SendText(f, carol, "收到", ReplyTo(m.ID))
	if r.MessageThreadID != topic || !r.IsTopicMessage || r.ReplyToMessage.ID != m.ID {
		t.Errorf("reply in the topic = %+v", r)
	}
	ups := getUpdates(t, s, 0, 0, 0)
	if len(ups) != 4 || ups[0].Message.ForumTopicCreated == nil || ups[0].Message.ID != topic ||
		ups[0].Message.MessageThreadID != topic || !ups[0].Message.Chat.IsForum {
		t.Fatalf("updates = %+v", ups)
	}

	b := newClient(t, s)
	c := ctx(t)
	sent, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: f.ID, MessageThreadID: topic, Text: "x"})
	if err != nil || sent.MessageThreadID != topic || !sent.IsTopicMessage || sent.ReplyToMessage == nil || sent.ReplyToMessage.ID != topic {
		t.Fatalf("send to the topic = %+v, %v", sent, err)
	}
	// A reply lands in its message's topic without message_thread_id.
	sent, err = b.SendMessage(c, &tgbot.SendMessageParams{ChatID: f.ID, Text: "y", ReplyParameters: &models.ReplyParameters{MessageID: m.ID}})
	if err != nil || sent.MessageThreadID != topic || sent.ReplyToMessage.ID != m.ID {
		t.Fatalf("reply to a message in the topic = %+v, %v", sent, err)
	}
	sent, err = b.SendMessage(c, &tgbot.SendMessageParams{ChatID: f.ID, Text: "z"})
	if err != nil || sent.MessageThreadID != 0 || sent.IsTopicMessage {
		t.Fatalf("send without a thread = %+v, %v; want General", sent, err)
	}
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: f.ID, MessageThreadID: general.ID, Text: "x"}); err == nil ||
		!strings.Contains(err.Error(), "message thread not found") {
		t.Errorf("send to a thread that is no topic: %v", err)
	}
}

// In a supergroup without topics a reply carries its reply thread's id,
// which is no topic: a send naming it fails.
func TestReplyThreadIsNoTopic(t *testing.T) {
	s := startServer(t)
	g := s.Group(-1005002, "Village")
	root := s.SendText(g, alice, "谁来开会")
	r1 := s.SendText(g, bob, "我", ReplyTo(root.ID))
	r2 := s.SendText(g, carol, "我也", ReplyTo(r1.ID))
	if r1.MessageThreadID != root.ID || r2.MessageThreadID != root.ID || r1.IsTopicMessage || r2.IsTopicMessage {
		t.Fatalf("reply threads: %d, %d (topic %v, %v); want %d and no topic", r1.MessageThreadID, r2.MessageThreadID,
			r1.IsTopicMessage, r2.IsTopicMessage, root.ID)
	}
	b := newClient(t, s)
	if _, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: g.ID, MessageThreadID: root.ID, Text: "x"}); err == nil ||
		!strings.Contains(err.Error(), "message thread not found") {
		t.Errorf("send with a reply thread's id: %v", err)
	}
	sent, err := b.SendMessage(ctx(t), &tgbot.SendMessageParams{ChatID: g.ID, Text: "x", ReplyParameters: &models.ReplyParameters{MessageID: r2.ID}})
	if err != nil || sent.MessageThreadID != root.ID || sent.IsTopicMessage {
		t.Errorf("bot's reply = %+v, %v", sent, err)
	}
}
