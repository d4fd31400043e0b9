package app_test

import (
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/clock"
	"cadrebot/telegramtest"
)

// startPrivate runs the problem setup against a fake API in group privacy
// mode: in groups the bot gets commands, replies to its own messages and
// button presses, and no plain messages.
func startPrivate(t *testing.T) *prEnv {
	t.Helper()
	c := clock.NewFake(apptest.Monday0800)
	tg := telegramtest.New(telegramtest.WithClock(c.Now), telegramtest.WithPrivacyMode(true)).Start()
	t.Cleanup(tg.Close)
	return startProblems(t, apptest.WithClock(c), apptest.WithServer(tg))
}

// prompt is the bot's latest message in chat containing substr, which
// must be a selective ForceReply prompt replying to the message replyTo
// (0: to no message).
func (p *prEnv) prompt(chat int64, substr string, replyTo int) *models.Message {
	p.t.Helper()
	m := p.last(chat, substr)
	fr := p.TG.ForceReply(chat, m.ID)
	if fr == nil || !fr.ForceReply || !fr.Selective || fr.InputFieldPlaceholder == "" {
		p.t.Fatalf("%q is no selective ForceReply prompt with a placeholder: %+v", m.Text, fr)
	}
	got := 0
	if m.ReplyToMessage != nil {
		got = m.ReplyToMessage.ID
	}
	if got != replyTo {
		p.t.Errorf("prompt %q replies to message %d, want %d", m.Text, got, replyTo)
	}
	return m
}

// A whole /report dialog in privacy mode: every question that wants
// typed text is a ForceReply prompt, the answers come back as replies,
// and a reply to someone else's prompt is not taken for one's own answer.
func TestReportDialogPrivacyMode(t *testing.T) {
	p := startPrivate(t)
	start := p.TG.SendText(p.v1, apptest.Wang, "/report")
	ask := p.prompt(prVillage, "请用文字描述发现的问题", start.ID)

	// Zhang has a dialog of his own; his reply to Wang's prompt is not
	// his description, nor Wang's.
	zstart := p.TG.SendText(p.v1, apptest.Zhang, "/report")
	zask := p.prompt(prVillage, "张伟，请用文字描述", zstart.ID)
	p.TG.SendText(p.v1, apptest.Zhang, "这是回错了的消息", telegramtest.ReplyTo(ask.ID))
	p.Drain()
	if n := p.count(prVillage, "请选择问题分类"); n != 0 {
		t.Fatalf("a reply to another user's prompt moved a dialog on (%d category prompts)", n)
	}

	// A plain message never reaches the bot here; the reply does.
	p.TG.SendText(p.v1, apptest.Wang, "村口路灯坏了三盏，晚上很黑")
	p.Drain()
	if n := p.count(prVillage, "请选择问题分类"); n != 0 {
		t.Fatal("a plain message reached the bot in privacy mode")
	}
	p.TG.SendText(p.v1, apptest.Wang, "村口路灯坏了三盏，晚上很黑", telegramtest.ReplyTo(ask.ID))
	board := p.last(prVillage, "请选择问题分类")
	p.press(p.v1, apptest.Wang, board, "停车与交通")
	media := p.prompt(prVillage, "请回复本消息发送现场照片、位置或地址", start.ID)
	p.TG.SendLocation(p.v1, apptest.Wang, 30.2741, 120.1551, telegramtest.ReplyTo(media.ID))
	p.Wait("the location on the form", func() bool { return strings.Contains(p.fresh(prVillage, board).Text, "已记录位置") })
	addr := p.TG.SendText(p.v1, apptest.Wang, "村口 <b>东侧</b>", telegramtest.ReplyTo(media.ID))
	p.Wait("the address on the form", func() bool { return strings.Contains(p.fresh(prVillage, board).Text, "村口 <b>东侧</b>") })
	if r := p.TG.Reactions(prVillage, addr.ID); len(r) == 0 {
		t.Error("the address got no acknowledgement")
	}
	p.press(p.v1, apptest.Wang, p.fresh(prVillage, board), "下一步 ▶")

	// Edit the description: the summary loses its buttons and a new
	// prompt asks for the text.
	sum := p.fresh(prVillage, board)
	p.press(p.v1, apptest.Wang, sum, "✏️ 修改")
	p.press(p.v1, apptest.Wang, p.fresh(prVillage, board), "描述")
	again := p.prompt(prVillage, "请发送新的问题描述", start.ID)
	if b := buttons(p.fresh(prVillage, board)); len(b) != 0 {
		t.Errorf("the summary kept buttons while the description is asked: %v", b)
	}
	p.TG.SendText(p.v1, apptest.Wang, "村口路灯坏了三盏（东侧）", telegramtest.ReplyTo(again.ID))
	sum = p.last(prVillage, "村口路灯坏了三盏（东侧）")
	p.press(p.v1, apptest.Wang, sum, "✅ 确认提交")
	p.WaitSent(prVillage, "已登记 #1")
	pr := p.problem(1)
	if pr.Text != "村口路灯坏了三盏（东侧）" || pr.Address != "村口 <b>东侧</b>" || !pr.HasLoc || pr.Reporter != apptest.Wang.ID {
		t.Errorf("stored problem = %+v", pr)
	}

	// Zhang's own dialog is untouched and still takes his reply.
	zans := p.TG.SendText(p.v1, apptest.Zhang, "垃圾桶满了没人清", telegramtest.ReplyTo(zask.ID))
	zb := p.last(prVillage, "请选择问题分类")
	if zb.ReplyToMessage == nil || zb.ReplyToMessage.ID != zans.ID || !strings.Contains(buttonData(zb, "环境卫生"), "rd:rv:") {
		t.Errorf("Zhang's category prompt = %q replying to %+v, buttons %v", zb.Text, zb.ReplyToMessage, buttons(zb))
	}
}

// A resolution note and a return reason in privacy mode: the card's
// button asks with a ForceReply prompt naming the handler, the note comes
// back as a reply, and a colleague's reply to that prompt is not theirs.
func TestActionNotePrivacyMode(t *testing.T) {
	p := startPrivate(t)
	colleague := models.User{ID: 2003, FirstName: "钱科员", LanguageCode: "zh"}
	p.TG.SetMember(prTraffic, colleague.ID, telegramtest.StatusMember)
	_, n := p.report(p.v1, apptest.Wang, "村道积水", "停车与交通")
	card := p.card(prTraffic, n)

	p.press(p.traffic, apptest.Handler, card, "✅ 办结")
	ask := p.prompt(prTraffic, "请直接回复 #1 的办结说明", card.ID)
	if !strings.Contains(telegramtest.HTML(ask.Text, ask.Entities), `tg://user?id=2001`) {
		t.Errorf("the prompt does not mention the handler: %q", telegramtest.HTML(ask.Text, ask.Entities))
	}
	p.press(p.traffic, colleague, p.fresh(prTraffic, card), "↩️ 退回")
	theirs := p.prompt(prTraffic, "请直接回复退回 #1 的原因", card.ID)

	// The colleague answers the handler's prompt: not their reason.
	p.TG.SendText(p.traffic, colleague, "不归我们管", telegramtest.ReplyTo(ask.ID))
	p.Drain()
	if got := p.problem(n).Status; got != cadrebot.StatusNew {
		t.Fatalf("a reply to another handler's prompt changed the status to %s", got)
	}
	// A plain message does not reach the bot; the reply does.
	p.TG.SendText(p.traffic, apptest.Handler, "已抽水疏通")
	p.Drain()
	if got := p.problem(n).Status; got != cadrebot.StatusNew {
		t.Fatalf("a plain message reached the bot in privacy mode: status %s", got)
	}
	p.TG.SendText(p.traffic, apptest.Handler, "已抽水疏通", telegramtest.ReplyTo(ask.ID))
	p.last(prTraffic, "#1 已办结，当前状态")
	if pr := p.problem(n); pr.Status != cadrebot.StatusResolved || pr.Note != "已抽水疏通" {
		t.Errorf("after the note: %s %q", pr.Status, pr.Note)
	}
	// The colleague's own prompt is for a version that is gone.
	p.TG.SendText(p.traffic, colleague, "不归我们管", telegramtest.ReplyTo(theirs.ID))
	p.last(prTraffic, "#1 的状态已经变了")
	if got := p.problem(n).Status; got != cadrebot.StatusResolved {
		t.Errorf("a stale reason changed the status to %s", got)
	}
}
