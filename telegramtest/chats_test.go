package telegramtest

import (
	"errors"
	"strings"
	"testing"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

func TestPrivateChatNeedsStart(t *testing.T) {
	s := startServer(t)
	b := newClient(t, s)
	c := ctx(t)
	s.Private(alice)
	_, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: alice.ID, Text: "hi"})
	if !errors.Is(err, tgbot.ErrorForbidden) || !strings.Contains(err.Error(), "bot can't initiate conversation with a user") {
		t.Fatalf("not started: %v", err)
	}
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: 9999, Text: "hi"}); !errors.Is(err, tgbot.ErrorForbidden) {
		t.Fatalf("unknown user: %v", err)
	}
	s.StartPrivate(alice)
	m, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: alice.ID, Text: "hi"})
	if err != nil || m.Chat.Type != models.ChatTypePrivate || m.Chat.FirstName != "Alice" {
		t.Fatalf("started: %+v %v", m, err)
	}
	// Writing to the bot counts as starting it.
	s.SendText(s.Private(bob), bob, "/start")
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: bob.ID, Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	s.BlockBot(bob.ID)
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: bob.ID, Text: "hi"}); err == nil || !strings.Contains(err.Error(), "bot was blocked by the user") {
		t.Fatalf("blocked: %v", err)
	}
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: "@alice", Text: "by username"}); err != nil {
		t.Fatal(err)
	}
}

func TestKickBot(t *testing.T) {
	s := startServer(t)
	g := s.Group(-3001, "G")
	s.SetMember(g.ID, carol.ID, StatusCreator)
	b := newClient(t, s)
	c := ctx(t)
	s.KickBot(g.ID)
	for _, call := range []func() error{
		func() error {
			_, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "x"})
			return err
		},
		func() error {
			_, err := b.SendPhoto(c, &tgbot.SendPhotoParams{ChatID: g.ID, Photo: &models.InputFileString{Data: "https://x/y.jpg"}})
			return err
		},
		func() error { _, err := b.GetChat(c, &tgbot.GetChatParams{ChatID: g.ID}); return err },
	} {
		err := call()
		if !errors.Is(err, tgbot.ErrorForbidden) || !strings.Contains(err.Error(), "bot was kicked from the supergroup chat") {
			t.Fatalf("kicked: %v", err)
		}
	}
	ups := getUpdates(t, s, 0, 0, 0)
	if len(ups) != 1 || ups[0].MyChatMember == nil || ups[0].MyChatMember.NewChatMember.Type != models.ChatMemberTypeBanned || ups[0].MyChatMember.From.ID != carol.ID {
		t.Fatalf("updates = %+v", ups)
	}
	// Messages in a chat the bot is not in are not delivered.
	s.SendText(g, alice, "unseen")
	if s.Pending() != 1 {
		t.Fatalf("pending = %d", s.Pending())
	}
	s.AddMembers(g, carol, s.Bot())
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: g.ID, Text: "back"}); err != nil {
		t.Fatal(err)
	}
	bg := s.BasicGroup(-3002, "basic")
	if _, err := b.LeaveChat(c, &tgbot.LeaveChatParams{ChatID: bg.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: bg.ID, Text: "x"}); err == nil || !strings.Contains(err.Error(), "bot is not a member of the group chat") {
		t.Fatalf("after leaveChat: %v", err)
	}
}

func TestMigrate(t *testing.T) {
	s := startServer(t)
	old := s.BasicGroup(-3003, "Old village")
	s.SetMember(old.ID, alice.ID, StatusCreator)
	b := newClient(t, s)
	c := ctx(t)
	nc := s.Migrate(old, -1003003)
	if nc.Type != models.ChatTypeSupergroup || nc.Title != "Old village" {
		t.Fatalf("new chat = %+v", nc)
	}
	_, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: old.ID, Text: "x"})
	var me *tgbot.MigrateError
	if !errors.As(err, &me) || me.MigrateToChatID != -1003003 {
		t.Fatalf("send to old group: %T %v", err, err)
	}
	if _, err := b.SendMessage(c, &tgbot.SendMessageParams{ChatID: nc.ID, Text: "x"}); err != nil {
		t.Fatal(err)
	}
	ups := getUpdates(t, s, 0, 0, 0)
	if len(ups) != 2 || ups[0].Message.MigrateToChatID != nc.ID || ups[0].Message.Chat.ID != old.ID ||
		ups[1].Message.MigrateFromChatID != old.ID || ups[1].Message.Chat.ID != nc.ID {
		t.Fatalf("migration updates = %+v", ups)
	}
	m, err := b.GetChatMember(c, &tgbot.GetChatMemberParams{ChatID: nc.ID, UserID: alice.ID})
	if err != nil || m.Type != models.ChatMemberTypeOwner {
		t.Fatalf("members carried over: %+v %v", m, err)
	}
}

// A migration by an anonymous admin comes from GroupAnonymousBot on behalf
// of the chat itself, in both chats.
func TestMigrateAnonymously(t *testing.T) {
	s := startServer(t)
	old := s.BasicGroup(-3013, "Old village")
	nc := s.Migrate(old, -1003013, Anonymously(), NewChatFirst())
	ups := getUpdates(t, s, 0, 0, 0)
	if len(ups) != 2 {
		t.Fatalf("%d updates, want 2", len(ups))
	}
	from, to := ups[0].Message, ups[1].Message
	if from.MigrateFromChatID != old.ID || from.Chat.ID != nc.ID || to.MigrateToChatID != nc.ID || to.Chat.ID != old.ID {
		t.Fatalf("updates not new chat first: %+v, %+v", from, to)
	}
	for _, m := range []*models.Message{from, to} {
		if m.From == nil || m.From.ID != 1087968824 || m.SenderChat == nil || m.SenderChat.ID != m.Chat.ID {
			t.Errorf("message in %d: from %+v, sender_chat %+v; want GroupAnonymousBot for the chat itself", m.Chat.ID, m.From, m.SenderChat)
		}
	}
}

// BeginMigrate holds the announcements back: the supergroup works and its
// messages reach the bot first.
func TestBeginMigrate(t *testing.T) {
	s := startServer(t)
	old := s.BasicGroup(-3023, "Old village")
	mig := s.BeginMigrate(old, -1003023)
	if got := getUpdates(t, s, 0, 0, 0); len(got) != 0 {
		t.Fatalf("%d updates before Announce, want none", len(got))
	}
	s.SendText(mig.Chat, alice, "打卡")
	mig.Announce()
	mig.Announce() // once only
	ups := getUpdates(t, s, 0, 0, 0)
	if len(ups) != 3 || ups[0].Message.Text != "打卡" || ups[1].Message.MigrateToChatID != mig.Chat.ID ||
		ups[2].Message.MigrateFromChatID != old.ID {
		t.Fatalf("updates = %+v; want the new chat's message, then both announcements", ups)
	}
	if tr := s.Transcript(old.ID); len(tr) != 1 || tr[0].Message.MigrateToChatID != mig.Chat.ID {
		t.Errorf("old chat's transcript = %+v", tr)
	}
}

func TestChatMembers(t *testing.T) {
	s := startServer(t)
	g := s.Group(-3004, "G")
	b := newClient(t, s)
	c := ctx(t)
	s.SetMember(g.ID, carol.ID, StatusCreator)
	s.SetMember(g.ID, bob.ID, StatusAdministrator)
	s.SendText(g, alice, "hi")
	status := func(uid int64) models.ChatMemberType {
		t.Helper()
		m, err := b.GetChatMember(c, &tgbot.GetChatMemberParams{ChatID: g.ID, UserID: uid})
		if err != nil {
			t.Fatal(err)
		}
		return m.Type
	}
	if status(alice.ID) != models.ChatMemberTypeMember || status(carol.ID) != models.ChatMemberTypeOwner ||
		status(bob.ID) != models.ChatMemberTypeAdministrator || status(s.Bot().ID) != models.ChatMemberTypeMember {
		t.Fatal("unexpected statuses")
	}
	m, _ := b.GetChatMember(c, &tgbot.GetChatMemberParams{ChatID: g.ID, UserID: alice.ID})
	if m.Member.User.FirstName != "Alice" {
		t.Fatalf("member user = %+v", m.Member.User)
	}
	s.RemoveMember(g, alice, alice)
	if status(alice.ID) != models.ChatMemberTypeLeft {
		t.Fatal("alice should have left")
	}
	// KeepStatus: posting does not make her a member again, nor an
	// admin less of one.
	s.SendText(g, alice, "/help", KeepStatus())
	s.SendText(g, bob, "/help", KeepStatus())
	if status(alice.ID) != models.ChatMemberTypeLeft || status(bob.ID) != models.ChatMemberTypeAdministrator {
		t.Fatalf("after KeepStatus posts: alice %s, bob %s", status(alice.ID), status(bob.ID))
	}
	s.SendText(g, alice, "hi again")
	if status(alice.ID) != models.ChatMemberTypeMember {
		t.Fatal("an ordinary post should make alice a member")
	}
	s.RemoveMember(g, alice, alice)
	s.AddMembers(g, bob, alice, models.User{ID: 504, FirstName: "Dan"})
	if status(504) != models.ChatMemberTypeMember || status(alice.ID) != models.ChatMemberTypeMember {
		t.Fatal("added members should be members")
	}
	admins, err := b.GetChatAdministrators(c, &tgbot.GetChatAdministratorsParams{ChatID: g.ID})
	if err != nil || len(admins) != 2 || admins[0].Owner.User.ID != carol.ID || admins[1].Administrator.User.ID != bob.ID {
		t.Fatalf("admins = %+v %v", admins, err)
	}
	info, err := b.GetChat(c, &tgbot.GetChatParams{ChatID: g.ID})
	if err != nil || info.Title != "G" || info.Type != models.ChatTypeSupergroup {
		t.Fatalf("getChat = %+v %v", info, err)
	}
	if _, err := b.GetChatMember(c, &tgbot.GetChatMemberParams{ChatID: g.ID, UserID: 424242}); err == nil {
		t.Fatal("unknown user should fail")
	}
	ups := getUpdates(t, s, 0, 0, 0)
	if last := ups[len(ups)-1].Message; len(last.NewChatMembers) != 2 || last.From.ID != bob.ID {
		t.Fatalf("service message = %+v", last)
	}
}
