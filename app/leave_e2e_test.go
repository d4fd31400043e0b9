package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/attendance"
	"cadrebot/telegramtest"
)

// memberLeaves loads a member's leave straight from the store.
func memberLeaves(t *testing.T, e *apptest.Env, chat, user int64) attendance.Leaves {
	t.Helper()
	ls, err := e.DB.MemberLeaves(context.Background(), chat, user)
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

// monthRate is the month's rate line of /today.
func monthRate(t *testing.T, e *apptest.Env, g models.Chat, from models.User) string {
	t.Helper()
	before := len(e.TG.Sent(g.ID))
	e.TG.SendText(g, from, "/today")
	var line string
	e.Wait("/today", func() bool {
		sent := e.TG.Sent(g.ID)
		for _, m := range sent[min(before, len(sent)):] {
			for _, l := range strings.Split(m.Text, "\n") {
				if strings.Contains(l, "本月打卡率") {
					line = l
					return true
				}
			}
		}
		return false
	})
	return line
}

// Self-service leave starts today or later; earlier days only a group
// admin (or a deployment admin) records, for a member or for themselves.
// Every range keeps who recorded it and when, and leave stored before
// that (no record) still reads.
func TestLeaveBackdating(t *testing.T) {
	// Set up four weeks earlier, so the month's rate has days of service
	// that a backdated trip could turn into presence.
	e := apptest.Start(t, apptest.WithYAML(checkinYAML), apptest.WithTime(apptest.Monday0800.AddDate(0, 0, -28)))
	g := setupVillage(t, e, -3021, "谢家坞村", apptest.Wang, apptest.Li, apptest.Zhang)
	e.Clock.Set(apptest.Monday0800)
	rate := monthRate(t, e, g, apptest.Wang)

	// The reported attack: a member backdates a month of 出差.
	e.TG.SendText(g, apptest.Wang, "/leave 2026-11-01 2026-11-29 出差")
	e.WaitSent(g.ID, "只能登记今天（2026-11-30）及以后")
	if ls := memberLeaves(t, e, g.ID, apptest.Wang.ID); len(ls) != 0 {
		t.Fatalf("backdated leave stored: %+v", ls)
	}
	if got := monthRate(t, e, g, apptest.Wang); got != rate {
		t.Errorf("the month's rate moved from %q to %q", rate, got)
	}
	// Today and later are the member's own business.
	e.TG.SendText(g, apptest.Wang, "/leave today 2026-12-02 出差")
	e.WaitSent(g.ID, "已登记：王芳 出差 2026-11-30 至 2026-12-02")

	// A group admin records last week's sick leave for Zhang, replying to
	// him, and a trip of their own; past MaxBackDays even they cannot.
	e.MakeAdmin(g.ID, apptest.Li)
	zhangMsg := e.TG.SendText(g, apptest.Zhang, "上周病了")
	e.TG.SendText(g, apptest.Li, "/leave 2026-11-23 2026-11-27", telegramtest.ReplyTo(zhangMsg.ID))
	e.WaitSent(g.ID, "已登记：张伟 请假 2026-11-23 至 2026-11-27")
	e.TG.SendText(g, apptest.Li, "/leave 2026-11-26 出差")
	e.WaitSent(g.ID, "已登记：李强 出差 2026-11-26")
	e.TG.SendText(g, apptest.Li, "/leave 2026-10-01")
	e.WaitSent(g.ID, "开始日期不能早于 31 天前")
	// A deployment admin, too.
	e.TG.SendText(g, apptest.Admin, "/leave 2026-11-24 2026-11-25 外出", telegramtest.ReplyTo(zhangMsg.ID))
	e.WaitSent(g.ID, "已登记：张伟 外出 2026-11-24 至 2026-11-25")

	at := e.Clock.Now().Unix()
	want := []struct {
		user       int64
		from, kind string
		by         int64
		byName     string
	}{
		{apptest.Wang.ID, "2026-11-30", "trip", apptest.Wang.ID, "王芳"},
		{apptest.Zhang.ID, "2026-11-23", "leave", apptest.Li.ID, "李强"},
		{apptest.Zhang.ID, "2026-11-24", "outing", apptest.Admin.ID, "县驻村办管理员"},
		{apptest.Li.ID, "2026-11-26", "trip", apptest.Li.ID, "李强"},
	}
	for _, w := range want {
		found := false
		for _, l := range memberLeaves(t, e, g.ID, w.user) {
			if l.From.String() == w.from {
				found = true
				if string(l.Kind) != w.kind || l.By != w.by || l.ByName != w.byName || l.At != at {
					t.Errorf("leave of %d from %s = %+v, want %s recorded by %d %s at %d", w.user, w.from, l, w.kind, w.by, w.byName, at)
				}
			}
		}
		if !found {
			t.Errorf("no leave of %d from %s", w.user, w.from)
		}
	}
	// Zhang's leave split by the outing keeps its record on both sides.
	for _, l := range memberLeaves(t, e, g.ID, apptest.Zhang.ID) {
		if l.Kind == cadrebot.LeaveAbsence && l.By != apptest.Li.ID {
			t.Errorf("a split piece lost its record: %+v", l)
		}
	}

	// /leave lists who recorded what.
	e.TG.SendText(g, apptest.Wang, "/leave")
	e.WaitSent(g.ID, "2026-11-30 至 2026-12-02 出差（王芳 登记于 2026-11-30 08:00）")

	// Leave stored by an older version (no record) still reads, shows as
	// such, counts, and survives a new range beside it.
	key := e.Prefix + fmt.Sprintf("{g%d}:leave", g.ID)
	if err := e.Redis.HSet(context.Background(), key, apptest.Zhang.ID, `[{"f":"2026-12-10","t":"2026-12-11","k":"leave"}]`).Err(); err != nil {
		t.Fatal(err)
	}
	e.TG.SendText(g, apptest.Zhang, "/leave 2026-12-14")
	e.WaitSent(g.ID, "已登记：张伟 请假 2026-12-14")
	e.TG.SendText(g, apptest.Zhang, "/leave")
	list := e.WaitSent(g.ID, "2026-12-10 至 2026-12-11 请假（登记人未记录）")
	if !strings.Contains(list.Text, "2026-12-14 请假（张伟 登记于") {
		t.Errorf("/leave = %q", list.Text)
	}
}

// With checkin.leave_approval a member's own leave is a request: posted
// with Approve and Reject, not counted until a group admin approves it,
// decided once, and the member is told the outcome where they asked.
func TestLeaveApproval(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(checkinYAML+"  leave_approval: true\n"))
	p := &prEnv{Env: e, t: t}
	g := setupVillage(t, e, -3031, "谢家坞村", apptest.Wang, apptest.Li, apptest.Zhang)
	e.MakeAdmin(g.ID, apptest.Li)

	ask := e.TG.SendText(g, apptest.Wang, "/leave today 出差")
	req := p.last(g.ID, "王芳 申请出差：2026-11-30（1 个工作日）")
	if req.ReplyToMessage == nil || req.ReplyToMessage.ID != ask.ID {
		t.Errorf("the request does not answer Wang's message: %+v", req.ReplyToMessage)
	}
	if ls := memberLeaves(t, e, g.ID, apptest.Wang.ID); len(ls) != 0 {
		t.Fatalf("a request counts before approval: %+v", ls)
	}
	e.TG.SendText(g, apptest.Wang, "/today")
	if today := p.last(g.ID, "📋 今日打卡 ·"); strings.Contains(today.Text, "王芳（出差）") {
		t.Errorf("/today counts the request: %q", today.Text)
	}
	e.TG.SendText(g, apptest.Wang, "/leave")
	p.last(g.ID, "⏳ 2026-11-30 出差（待群管理员批准")

	// Refused: a member, the requester, forged data and another message.
	approve := buttonData(req, "✅ 批准")
	for _, tt := range []struct {
		from models.User
		msg  int
		data string
		want string
	}{
		{apptest.Zhang, req.ID, approve, "只有群管理员可以批准"},
		{apptest.Wang, req.ID, approve, "只有群管理员可以批准"},
		{apptest.Li, req.ID, "lv:a:zzzzzz", "已经处理或已撤销"},
		{apptest.Li, req.ID, strings.Replace(approve, "lv:a:", "lv:x:", 1), notOffered},
		{apptest.Li, ask.ID - 1, approve, notOffered},
	} {
		cb := p.pressData(g, tt.from, tt.msg, tt.data)
		if !cb.ShowAlert || !strings.Contains(cb.Text, tt.want) {
			t.Errorf("press %q by %s answered %+v, want %q", tt.data, tt.from.FirstName, cb, tt.want)
		}
	}
	if ls := memberLeaves(t, e, g.ID, apptest.Wang.ID); len(ls) != 0 || len(buttons(p.fresh(g.ID, req))) != 2 {
		t.Fatalf("a refused press changed something: %+v %v", ls, buttons(p.fresh(g.ID, req)))
	}

	// The admin approves: it counts, with the approver on record, and
	// Wang hears it as a reply to his /leave.
	cb := p.press(g, apptest.Li, req, "✅ 批准")
	if cb.ShowAlert || !strings.Contains(cb.Text, "已批准") {
		t.Errorf("approval answered %+v", cb)
	}
	told := p.last(g.ID, "王芳，您的出差申请（2026-11-30）已由 李强 批准")
	if told.ReplyToMessage == nil || told.ReplyToMessage.ID != ask.ID {
		t.Errorf("the outcome does not answer Wang's message: %+v", told.ReplyToMessage)
	}
	ls := memberLeaves(t, e, g.ID, apptest.Wang.ID)
	if len(ls) != 1 || ls[0].Kind != cadrebot.LeaveTrip || ls[0].By != apptest.Wang.ID || ls[0].OKBy != apptest.Li.ID || ls[0].OKByName != "李强" {
		t.Fatalf("approved leave = %+v", ls)
	}
	if r := p.fresh(g.ID, req); len(buttons(r)) != 0 || !strings.Contains(r.Text, "已批准") {
		t.Errorf("request after approval: %q %v", r.Text, buttons(r))
	}
	e.TG.SendText(g, apptest.Wang, "/today")
	p.Wait("/today with Wang away", func() bool { return strings.Contains(p.last(g.ID, "📋 今日打卡 ·").Text, "王芳（出差）") })
	// Pressed again (an old client): decided once.
	cb = p.pressData(g, apptest.Li, req.ID, approve)
	if !cb.ShowAlert || !strings.Contains(cb.Text, "已经处理或已撤销") {
		t.Errorf("second approval answered %+v", cb)
	}
	e.TG.SendText(g, apptest.Wang, "/leave")
	p.last(g.ID, "2026-11-30 出差（王芳 登记于 2026-11-30 08:00，李强 批准）")

	// Rejected: nothing counts, Wang is told.
	e.TG.SendText(g, apptest.Wang, "/leave 2026-12-07 2026-12-08")
	req2 := p.last(g.ID, "王芳 申请请假：2026-12-07 至 2026-12-08")
	p.press(g, apptest.Li, req2, "❌ 驳回")
	p.last(g.ID, "王芳，您的请假申请（2026-12-07 至 2026-12-08）已被 李强 驳回")
	if ls := memberLeaves(t, e, g.ID, apptest.Wang.ID); len(ls) != 1 {
		t.Errorf("rejected leave stored: %+v", ls)
	}

	// An admin's own leave needs no approval.
	e.TG.SendText(g, apptest.Li, "/leave tomorrow")
	p.last(g.ID, "已登记：李强 请假 2026-12-01")

	// /leave cancel withdraws a pending request.
	e.TG.SendText(g, apptest.Zhang, "/leave 2026-12-03")
	req3 := p.last(g.ID, "张伟 申请请假：2026-12-03")
	e.TG.SendText(g, apptest.Zhang, "/leave cancel")
	p.last(g.ID, "已撤销 张伟 今天及以后")
	if r := p.fresh(g.ID, req3); len(buttons(r)) != 0 || !strings.Contains(r.Text, "已撤销") {
		t.Errorf("withdrawn request: %q %v", r.Text, buttons(r))
	}

	// From a private chat: the request goes to the group, the outcome
	// comes back to the private chat.
	dm := e.TG.Private(apptest.Wang)
	e.TG.SendText(dm, apptest.Wang, "/leave 2026-12-04 外出")
	p.last(dm.ID, "已向 1 个村工作群提交申请")
	req4 := p.last(g.ID, "王芳 申请外出：2026-12-04")
	p.press(g, apptest.Li, req4, "✅ 批准")
	p.last(dm.ID, "王芳，您的外出申请（2026-12-04）已由 李强 批准")
}
