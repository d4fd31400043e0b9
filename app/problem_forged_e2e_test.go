package app_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
)

// snapshot is what a refused press must leave as it was: the problems'
// versions, histories and me-too counts, and the pressed message.
type snapshot struct {
	problems []string
	text     string
	buttons  []string
}

func (p *prEnv) snap(chat int64, msgID int, ids ...int64) snapshot {
	p.t.Helper()
	var s snapshot
	for _, id := range ids {
		pr := p.problem(id)
		h, err := p.DB.History(context.Background(), id)
		if err != nil {
			p.t.Fatal(err)
		}
		s.problems = append(s.problems, fmt.Sprintf("#%d %s v%d h%d m%d %s", id, pr.Status, pr.Version, len(h), pr.MeToo, pr.Dept))
	}
	if m, ok := p.TG.Message(chat, msgID); ok {
		s.text, s.buttons = m.Text, buttons(m)
	}
	return s
}

// forge presses data on msgID as from and checks that the press was
// refused with an alert containing want and changed nothing.
func (p *prEnv) forge(chat models.Chat, from models.User, msgID int, data, want string, ids ...int64) {
	p.t.Helper()
	before := p.snap(chat.ID, msgID, ids...)
	cb := p.pressData(chat, from, msgID, data)
	if !cb.ShowAlert || !strings.Contains(cb.Text, want) {
		p.t.Errorf("press %q by %s in %d answered %q (alert %v), want an alert with %q", data, from.FirstName, chat.ID, cb.Text, cb.ShowAlert, want)
	}
	after := p.snap(chat.ID, msgID, ids...)
	if !slices.Equal(before.problems, after.problems) || before.text != after.text || !slices.Equal(before.buttons, after.buttons) {
		p.t.Errorf("press %q changed state:\nbefore %+v\nafter  %+v", data, before, after)
	}
}

const notOffered = "这条消息没有提供这个按钮"

// Every kind of button the bot has, forged: wrong ids, other users, other
// chats, stale versions, pages a message does not offer and unknown ops.
// Each is refused with an alert, and nothing changes: not the problems,
// not the forms, not the pressed message.
func TestForgedButtons(t *testing.T) {
	// So many presses by one handler would trip flood control.
	p := startProblems(t, apptest.WithYAML(apptest.DefaultYAML+"flood: {commands: 1000}\n"))
	_, n1 := p.report(p.v1, apptest.Wang, "园区门口车辆乱停", "停车与交通")
	_, n2 := p.report(p.v2, apptest.Zhang, "东山村口车辆乱停", "停车与交通")
	card1 := p.card(prTraffic, n1)
	p.card(prTraffic, n2)
	v1 := p.problem(n1).Version
	confirm := p.last(prVillage, "已登记 #1") // a bot message without buttons

	// Card buttons ("p:").
	for _, tt := range []struct {
		chat models.Chat
		from models.User
		msg  int
		data string
		want string
	}{
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:acc:%d:%d", n2, p.problem(n2).Version), "按钮无效"}, // wrong id
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:zap:%d:%d", n1, v1), notOffered},                // unknown op
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:cat:%d:%d:sanitation", n1, v1), notOffered},     // no triage card
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:to:%d:%d:traffic", n1, v1), notOffered},         // its own department
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:ok:%d:%d", n1, v1), notOffered},                 // a village answer on a card
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:acc:%d:%d", n1, v1+5), "#1 的状态已经变了"},            // stale version
		{p.traffic, apptest.Handler, card1.ID, "p:acc:x:1", notOffered},                                       // malformed
		{p.traffic, apptest.Zhang, card1.ID, buttonData(card1, "📥 受理"), "您不能对 #1 执行「受理」"},                     // not a handler
		{p.v1, apptest.Handler, confirm.ID, buttonData(card1, "📥 受理"), "按钮无效"},                                // another chat
		{p.v1, apptest.Wang, confirm.ID, fmt.Sprintf("p:ok:%d:%d", n1, v1), notOffered},                       // a question never asked
		{p.v2, apptest.Zhang, p.last(prVillage2, "已登记 #2").ID, fmt.Sprintf("p:ok:%d:%d", n1, v1), notOffered}, // another village
		// Joint handling: the picker's and a supporter's buttons where
		// the card does not show them.
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:sa:%d:%d:environment", n1, v1), notOffered}, // picker not open
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:sa:%d:%d:traffic", n1, v1), notOffered},     // the lead itself
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:sr:%d:%d:county", n1, v1), notOffered},      // not a supporter
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:nt:%d:%d", n1, v1), notOffered},             // no supporter's card
		// Ratings: on a card, on a problem not resolved, with a bad code.
		{p.traffic, apptest.Handler, card1.ID, fmt.Sprintf("p:rate:%d:%d:s", n1, v1), notOffered},
		{p.v1, apptest.Wang, confirm.ID, fmt.Sprintf("p:rate:%d:%d:s", n1, v1), notOffered},
		{p.v1, apptest.Wang, confirm.ID, fmt.Sprintf("p:rate:%d:%d:x", n1, v1), notOffered},
	} {
		p.forge(tt.chat, tt.from, tt.msg, tt.data, tt.want, n1, n2)
	}
	// The picker open, its data still only what it lists.
	p.press(p.traffic, apptest.Handler, card1, "🤝 协办")
	picker := p.fresh(prTraffic, card1)
	for _, data := range []string{fmt.Sprintf("p:sa:%d:%d:traffic", n1, v1), fmt.Sprintf("p:sa:%d:%d:nowhere", n1, v1),
		fmt.Sprintf("p:sr:%d:%d:environment", n1, v1)} {
		p.forge(p.traffic, apptest.Handler, picker.ID, data, notOffered, n1, n2)
	}
	p.forge(p.traffic, apptest.Zhang, picker.ID, buttonData(picker, "➕ 生态环境分局"), "您不能对 #1 执行「添加协办部门」", n1, n2)
	p.press(p.traffic, apptest.Handler, picker, "◀ 返回")

	// Report dialog buttons ("rd:"): Zhang's one-step report in 东山 is
	// offered #2 as a duplicate, and forges a me-too for 谢家坞's #1.
	p.TG.SendText(p.v2, apptest.Zhang, "/report 我的手机 13900001111，村口又堵了")
	cat := p.last(prVillage2, "请选择问题分类")
	p.press(p.v2, apptest.Zhang, cat, "停车与交通")
	dup := p.fresh(prVillage2, cat)
	mt := buttonData(dup, "🙋 我也遇到 #2")
	if mt == "" {
		t.Fatalf("no me-too for #2 offered: %q %v", dup.Text, buttons(dup))
	}
	zhang36 := strconv.FormatInt(apptest.Zhang.ID, 36)
	nonce := strings.Split(mt, ":")[2]
	for _, tt := range []struct {
		chat models.Chat
		from models.User
		msg  int
		data string
		want string
	}{
		{p.v2, apptest.Zhang, dup.ID, strings.Replace(mt, ":mt:2", ":mt:1", 1), notOffered},      // a problem not offered
		{p.v2, apptest.Zhang, dup.ID, "rd:" + zhang36 + ":" + nonce + ":mt:1", notOffered},       // same, hand-built
		{p.v2, apptest.Zhang, dup.ID, "rd:" + zhang36 + ":" + nonce + ":c:parking", notOffered},  // a step the message is not at
		{p.v2, apptest.Zhang, dup.ID, "rd:" + zhang36 + ":" + nonce + ":zz", notOffered},         // unknown op
		{p.v2, apptest.Zhang, dup.ID, strings.Replace(mt, nonce, "000000", 1), notOffered},       // another form
		{p.v2, apptest.Li, dup.ID, mt, "只有上报人可以操作"},                                              // another user
		{p.traffic, apptest.Zhang, card1.ID, mt, notOffered},                                     // another chat
		{p.v1, apptest.Zhang, confirm.ID, "rd:" + zhang36 + ":" + nonce + ":mt:1", notOffered},   // the victim's chat
		{p.v2, apptest.Zhang, dup.ID, "rd:" + zhang36 + ":" + nonce + ":mt:1:extra", notOffered}, // garbage
		{p.v2, apptest.Zhang, dup.ID, "rd:!!:" + nonce + ":mt:2", notOffered},                    // malformed owner
	} {
		p.forge(tt.chat, tt.from, tt.msg, tt.data, tt.want, n1, n2)
	}
	if h, _ := p.DB.History(context.Background(), n1); strings.Contains(fmt.Sprint(h), "13900001111") {
		t.Fatalf("the forger's text reached #1: %+v", h)
	}
	// The real button still works afterwards: the form was not touched.
	p.press(p.v2, apptest.Zhang, dup, "🙋 我也遇到 #2")
	if got := p.fresh(prVillage2, dup).Text; !strings.Contains(got, "已把您的情况附加到 #2") {
		t.Errorf("genuine me-too after the forgeries: %q", got)
	}

	// List pages ("pq:"): a short list offers no page buttons.
	p.TG.SendText(p.traffic, apptest.Handler, "/problems")
	list := p.last(prTraffic, "未办结问题")
	wang36 := strconv.FormatInt(apptest.Wang.ID, 36)
	for _, data := range []string{"pq:open:1:" + wang36, "pq:open:99:" + wang36, "pq:all:-1:" + wang36,
		"pq:secret:0:" + wang36, "pq:mine:0:" + wang36, "pq:open:0"} {
		p.forge(p.traffic, apptest.Handler, list.ID, data, notOffered, n1, n2)
	}

	// A prefix no button has.
	cb := p.pressData(p.traffic, apptest.Handler, card1.ID, "zz:1")
	if !cb.ShowAlert {
		t.Errorf("unknown prefix answered %+v", cb)
	}
}

// Every project button forged: the dialog's ("pj:") with a lead it did
// not list, another owner, another form or step; the milestone's ("pm:")
// for a milestone done, out of range, of another project or village, of
// an old version, or in a chat the bot never offered it in. Each is
// refused and changes nothing.
func TestForgedProjectButtons(t *testing.T) {
	p := startProblems(t)
	for _, who := range []models.User{apptest.Wang, apptest.Zhang} {
		p.TG.SendText(p.v1, who, "/join")
		p.last(prVillage, who.FirstName)
	}
	id := p.createProject(apptest.Wang, "张伟", "村口共富工坊", "2026-12-20 装修\n2027-01-10 开业")
	snap := func() string {
		pr, err := p.DB.Project(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := p.DB.ProjectHistory(context.Background(), id)
		return fmt.Sprintf("v%d h%d %v", pr.Version, len(h), pr.Milestones)
	}
	p.TG.SendText(p.v1, apptest.Zhang, "/project P1")
	d := p.last(prVillage, "P1 村口共富工坊")
	ok := buttonData(d, "✅ 完成：装修")
	if ok == "" {
		t.Fatalf("no milestone button: %v", buttons(d))
	}
	p.TG.SendText(p.traffic, apptest.Handler, "/problems")
	deptMsg := p.last(prTraffic, "未办结问题")
	before := snap()
	for _, tt := range []struct {
		chat models.Chat
		from models.User
		msg  int
		data string
		want string
	}{
		{p.v1, apptest.Zhang, d.ID, "pm:d:1:1:5", notOffered},                                                 // no such milestone
		{p.v1, apptest.Zhang, d.ID, "pm:d:2:1:0", notOffered},                                                 // another project
		{p.v1, apptest.Zhang, d.ID, "pm:d:1:9:0", notOffered},                                                 // another version
		{p.v1, apptest.Zhang, d.ID, "pm:x:1:1:0", notOffered},                                                 // unknown op
		{p.v1, apptest.Zhang, d.ID, "pm:d:1:1", notOffered},                                                   // malformed
		{p.v2, apptest.Li, p.last(prVillage2, "东山").ID, ok, notOffered},                                       // another village
		{p.traffic, apptest.Handler, deptMsg.ID, ok, notOffered},                                              // a department chat
		{p.v1, apptest.Wang, d.ID, ok, "只有负责人 张伟 或村工作群管理员"},                                                   // not the lead
		{p.v1, apptest.Zhang, d.ID, "pj:" + strconv.FormatInt(apptest.Zhang.ID, 36) + ":abc:l:1", notOffered}, // a dialog's
	} {
		cb := p.pressData(tt.chat, tt.from, tt.msg, tt.data)
		if !cb.ShowAlert || !strings.Contains(cb.Text, tt.want) {
			t.Errorf("press %q by %s answered %q (alert %v), want an alert with %q", tt.data, tt.from.FirstName, cb.Text, cb.ShowAlert, tt.want)
		}
		if after := snap(); after != before {
			t.Fatalf("press %q changed the project:\nbefore %s\nafter  %s", tt.data, before, after)
		}
	}
	// Someone else's dialog, and a lead the dialog never listed.
	p.TG.SendText(p.v1, apptest.Wang, "/project 卫生室改造")
	p.answerPrompt(p.v1, apptest.Wang, "请直接回复“卫生室改造”的简介", "改造村卫生室")
	board := p.last(prVillage, "请选择“卫生室改造”的负责人")
	me := buttonData(board, "🙋 我来负责")
	owner, nonce := strings.Split(me, ":")[1], strings.Split(me, ":")[2]
	for _, tt := range []struct {
		from models.User
		data string
		want string
	}{
		{apptest.Zhang, me, "只有上报人可以操作"},
		{apptest.Wang, "pj:" + owner + ":" + nonce + ":l:" + strconv.FormatInt(apptest.Admin.ID, 36), notOffered},
		{apptest.Wang, "pj:" + owner + ":" + nonce + ":ok", notOffered},
		{apptest.Wang, "pj:" + owner + ":ffffff:l:" + strconv.FormatInt(apptest.Wang.ID, 36), notOffered},
		{apptest.Wang, "pj:!!:" + nonce + ":x", notOffered},
	} {
		cb := p.pressData(p.v1, tt.from, board.ID, tt.data)
		if !cb.ShowAlert || !strings.Contains(cb.Text, tt.want) {
			t.Errorf("dialog press %q by %s answered %q, want %q", tt.data, tt.from.FirstName, cb.Text, tt.want)
		}
	}
	// The genuine buttons still work afterwards.
	p.press(p.v1, apptest.Wang, board, "🙋 我来负责")
	p.last(prVillage, "负责人：王芳")
	p.press(p.v1, apptest.Zhang, d, "✅ 完成：装修")
	if pr, _ := p.DB.Project(context.Background(), id); !pr.Milestones[0].Done() {
		t.Error("the genuine press did nothing")
	}
}
