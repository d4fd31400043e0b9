package app_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/calendar"
	"cadrebot/clock"
	"cadrebot/telegramtest"
)

// Forum supergroups: groups whose chat is split into topics. Answers go to
// the topic they answer, and the automatic reply_to_message Telegram puts
// on every message of a topic (the topic's first message) is no reply.

// startForum starts the service with chat id as a forum supergroup.
func startForum(t *testing.T, id int64, opts ...apptest.Option) (*apptest.Env, models.Chat) {
	t.Helper()
	c := clock.NewFake(apptest.Monday0800)
	s := telegramtest.New(telegramtest.WithClock(c.Now)).Start()
	t.Cleanup(s.Close)
	forum := s.Forum(id, "谢家坞村工作群")
	e := apptest.Start(t, append([]apptest.Option{apptest.WithServer(s), apptest.WithClock(c)}, opts...)...)
	return e, forum
}

// inTopic checks that the bot's message m is in topic and that the bot
// asked for the topic itself (message_thread_id) rather than relying on
// Telegram to follow the message it replies to, which fails once that
// message is deleted.
func inTopic(t *testing.T, e *apptest.Env, m *models.Message, topic int) {
	t.Helper()
	if m.MessageThreadID != topic || !m.IsTopicMessage {
		t.Errorf("bot message %q in thread %d (topic message %v), want topic %d", m.Text, m.MessageThreadID, m.IsTopicMessage, topic)
	}
	call := sentBy(e, m)
	if got := call.Params["message_thread_id"]; got != strconv.Itoa(topic) {
		t.Errorf("%s for %q sent message_thread_id %q, want %d", call.Method, m.Text, got, topic)
	}
}

// sentBy waits for the call that sent m. The fake stores a message before it
// records the call that sent it, so the call may trail what WaitSent saw.
func sentBy(e *apptest.Env, m *models.Message) telegramtest.Call {
	e.T.Helper()
	var call telegramtest.Call
	e.Wait(fmt.Sprintf("the call that sent message %d", m.ID), func() bool {
		for _, c := range e.TG.Calls() {
			if msg := c.Message(); msg != nil && msg.ID == m.ID && msg.Chat.ID == m.Chat.ID {
				call = c
				return true
			}
		}
		return false
	})
	return call
}

// An admin's /leave in a topic is the admin's own leave: the topic's first
// message, which Telegram sets as reply_to_message, does not make the
// topic's creator "this person". A real reply still does.
func TestTopicLeaveIsTheSenders(t *testing.T) {
	e, forum := startForum(t, -5101)
	e.TG.SendText(forum, apptest.Admin, "/setup 谢家坞村")
	e.WaitSent(forum.ID, "本群服务")
	for i, m := range []models.User{apptest.Wang, apptest.Li} {
		e.TG.SendText(forum, m, "/join")
		e.WaitSent(forum.ID, fmt.Sprintf("%s 已加入名单（本群共 %d 人）", m.FirstName, i+1))
	}
	e.MakeAdmin(forum.ID, apptest.Li)
	topic := e.TG.CreateTopic(forum, apptest.Wang, "请假")

	e.TG.SendText(forum, apptest.Li, "/leave 2026-12-01", telegramtest.Thread(topic))
	done := e.WaitSent(forum.ID, "已登记：")
	if !strings.Contains(done.Text, "李强") {
		t.Errorf("answer %q, want Li's leave", done.Text)
	}
	inTopic(t, e, done, topic)
	ctx := context.Background()
	dec1 := calendar.Date{Year: 2026, Month: 12, Day: 1}
	if ls, err := e.DB.MemberLeaves(ctx, forum.ID, apptest.Li.ID); err != nil || len(ls) != 1 || !ls[0].Covers(dec1) {
		t.Errorf("Li's leave = %v, %v", ls, err)
	}
	if ls, err := e.DB.MemberLeaves(ctx, forum.ID, apptest.Wang.ID); err != nil || len(ls) != 0 {
		t.Errorf("the topic's creator got leave: %v, %v", ls, err)
	}

	// Replying to Wang's message in the topic does set his leave.
	wang := e.TG.SendText(forum, apptest.Wang, "我下周二请假", telegramtest.Thread(topic))
	e.TG.SendText(forum, apptest.Li, "/leave 2026-12-08", telegramtest.ReplyTo(wang.ID))
	e.WaitSent(forum.ID, "已登记：王芳")
	if ls, err := e.DB.MemberLeaves(ctx, forum.ID, apptest.Wang.ID); err != nil || len(ls) != 1 {
		t.Errorf("Wang's leave after a real reply = %v, %v", ls, err)
	}
}

// A command's answer goes to the topic the command was sent in.
func TestTopicCommandAnswerInTopic(t *testing.T) {
	e, forum := startForum(t, -5102)
	e.TG.SendText(forum, apptest.Admin, "/setup 谢家坞村")
	e.WaitSent(forum.ID, "本群服务")
	topic := e.TG.CreateTopic(forum, apptest.Wang, "名单")
	e.TG.SendText(forum, apptest.Wang, "/join", telegramtest.Thread(topic))
	inTopic(t, e, e.WaitSent(forum.ID, "王芳 已加入名单"), topic)
	e.TG.SendText(forum, apptest.Li, "/roster", telegramtest.Thread(topic))
	inTopic(t, e, e.WaitSent(forum.ID, "本群名单"), topic)
}

// The router's error answer goes to the topic too.
func TestTopicErrorAnswerInTopic(t *testing.T) {
	e, forum := startForum(t, -5103)
	topic := e.TG.CreateTopic(forum, apptest.Wang, "打卡")
	e.TG.SendText(forum, apptest.Wang, "/checkin", telegramtest.Thread(topic))
	inTopic(t, e, e.WaitSent(forum.ID, "本群还没有设置服务的村"), topic)
}

// A button pressed on a message in a topic is answered in that topic: the
// reporter resubmits a returned problem from the notice, which followed
// the report into its topic.
func TestTopicButtonAnswerInTopic(t *testing.T) {
	c := clock.NewFake(apptest.Monday0800)
	s := telegramtest.New(telegramtest.WithClock(c.Now)).Start()
	t.Cleanup(s.Close)
	s.Forum(prVillage, "谢家坞村工作群")
	p := startProblems(t, apptest.WithServer(s), apptest.WithClock(c))
	topic := p.TG.CreateTopic(p.v1, apptest.Wang, "问题上报")
	p.TG.SendText(p.v1, apptest.Wang, "/report 路面坑洼", telegramtest.Thread(topic))
	prompt := p.last(prVillage, "请选择问题分类")
	inTopic(t, p.Env, prompt, topic)
	p.press(p.v1, apptest.Wang, prompt, "停车与交通")
	card := p.card(prTraffic, 1)
	p.press(p.traffic, apptest.Handler, card, "↩️ 退回")
	p.TG.SendText(p.traffic, apptest.Handler, "请写明具体路段")
	ret := p.last(prVillage, "#1 被 交通运输局 退回")
	if ret.MessageThreadID != topic {
		t.Fatalf("return notice in thread %d, want the report's topic %d", ret.MessageThreadID, topic)
	}
	p.press(p.v1, apptest.Wang, ret, "✏️ 修改后重新提交")
	inTopic(t, p.Env, p.last(prVillage, "修改 #1 后重新提交"), topic)
}

// In a supergroup without topics a reply carries its reply thread's id
// in message_thread_id. That is no topic: the answer goes to the chat as
// usual (Telegram refuses the thread id with "message thread not found").
func TestReplyThreadIsNotATopic(t *testing.T) {
	e := apptest.Start(t)
	g := setupVillage(t, e, -5104, "谢家坞村", apptest.Wang)
	q := e.TG.SendText(g, apptest.Li, "谁在名单上？")
	r := e.TG.SendText(g, apptest.Wang, "/roster", telegramtest.ReplyTo(q.ID))
	if r.MessageThreadID == 0 || r.IsTopicMessage {
		t.Fatalf("the fake's reply: thread %d, topic %v; want a reply thread", r.MessageThreadID, r.IsTopicMessage)
	}
	m := e.WaitSent(g.ID, "本群名单")
	if m.IsTopicMessage {
		t.Errorf("answer in a topic: %+v", m)
	}
	sentBy(e, m)
	for _, c := range e.TG.CallsTo("sendMessage") {
		if got := c.Params["message_thread_id"]; got != "" {
			t.Errorf("sendMessage with message_thread_id %q in a group without topics", got)
		}
	}
}
