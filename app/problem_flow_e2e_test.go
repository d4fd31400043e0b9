package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
)

// Returned → corrected → resubmitted: the department explains why, the
// reporter edits the report from the notice and sends it back, and the
// department gets a fresh card.
func TestProblemReturnAndResubmit(t *testing.T) {
	p := startProblems(t)
	_, n := p.report(p.v1, apptest.Wang, "路面坑洼", "停车与交通")
	card := p.card(prTraffic, n)
	p.press(p.traffic, apptest.Handler, card, "↩️ 退回")
	p.last(prTraffic, "请直接回复退回 #1 的原因")
	// Someone else's message in the chat is not taken as the reason.
	p.TG.SendText(p.traffic, coordinator, "收到")
	p.TG.SendText(p.traffic, apptest.Handler, "请写明具体路段")
	ret := p.last(prVillage, "#1 被 交通运输局 退回")
	if !strings.Contains(ret.Text, "请写明具体路段") {
		t.Errorf("return notice %q", ret.Text)
	}
	if h := p.history(n); h[len(h)-1] != cadrebot.ActReturn {
		t.Fatalf("history %v", h)
	}
	if pr := p.problem(n); pr.Reason != "请写明具体路段" {
		t.Errorf("reason %q (the coordinator's message was taken?)", pr.Reason)
	}

	// Only the reporter (or village admins) may resubmit.
	cb := p.press(p.v1, apptest.Zhang, ret, "✏️ 修改后重新提交")
	if !cb.ShowAlert {
		t.Errorf("someone else's resubmit answered %+v", cb)
	}
	p.press(p.v1, apptest.Wang, ret, "✏️ 修改后重新提交")
	sum := p.last(prVillage, "修改 #1 后重新提交")
	p.press(p.v1, apptest.Wang, sum, "✏️ 修改")
	p.press(p.v1, apptest.Wang, p.fresh(prVillage, sum), "描述")
	p.TG.SendText(p.v1, apptest.Wang, "平水镇谢家坞村口至园区北门段，路面坑洼三处")
	sum2 := p.last(prVillage, "路面坑洼三处")
	p.press(p.v1, apptest.Wang, sum2, "✅ 确认提交")
	p.Wait("resubmitted", func() bool { return p.problem(n).Status == cadrebot.StatusNew })
	if got := p.problem(n).Text; got != "平水镇谢家坞村口至园区北门段，路面坑洼三处" {
		t.Errorf("text after resubmit %q", got)
	}
	p.Wait("a fresh card", func() bool { return p.count(prTraffic, "#1 停车与交通") == 2 })
	if c := p.card(prTraffic, n); !strings.Contains(c.Text, "路面坑洼三处") || len(buttons(c)) != 5 {
		t.Errorf("fresh card %q %v", c.Text, buttons(c))
	}
	// The old notice's buttons are stale now.
	cb = p.press(p.v1, apptest.Wang, ret, "撤回")
	if !strings.Contains(cb.Text, "已失效") {
		t.Errorf("stale withdraw answered %+v", cb)
	}
	if got := p.problem(n).Status; got != cadrebot.StatusNew {
		t.Errorf("stale withdraw changed the status to %s", got)
	}

	// Reassign from the card: pick the department with buttons.
	card = p.card(prTraffic, n)
	p.press(p.traffic, apptest.Handler, card, "🔀 转派")
	pick := p.fresh(prTraffic, card)
	if !strings.Contains(pick.Text, "转派给哪个部门") {
		t.Fatalf("no department picker: %q", pick.Text)
	}
	p.press(p.traffic, apptest.Handler, pick, "生态环境分局")
	p.card(prEnvDept, n)
	p.last(prVillage, "#1（停车与交通）已转交 生态环境分局")
	if c := p.fresh(prTraffic, card); len(buttons(c)) != 0 || !strings.Contains(c.Text, "生态环境分局") {
		t.Errorf("old card after reassignment %q %v", c.Text, buttons(c))
	}
}

// With a triage department, reports go there first and a handler there
// picks the category, which routes the report.
func TestProblemTriage(t *testing.T) {
	yaml := apptest.DefaultYAML + "triage_department: county\n"
	p := startProblems(t, apptest.WithYAML(yaml))
	p.TG.SendText(p.v1, apptest.Wang, "/report 园区门口路灯坏了三盏")
	done := p.last(prVillage, "已登记 #1")
	if !strings.Contains(done.Text, "县驻村办") || !strings.Contains(done.Text, "分类分派") {
		t.Errorf("triage confirmation %q", done.Text)
	}
	card := p.card(prCounty, 1)
	if !strings.Contains(card.Text, "待分类") {
		t.Errorf("triage card %q", card.Text)
	}
	// Only county chat members route it.
	cb := p.press(p.cty, apptest.Handler, card, "停车与交通")
	if !cb.ShowAlert {
		t.Errorf("outsider routed it: %+v", cb)
	}
	p.press(p.cty, coordinator, card, "停车与交通")
	p.card(prTraffic, 1)
	p.last(prVillage, "#1（停车与交通）已转交 交通运输局")
	pr := p.problem(1)
	if pr.Category != "parking" || pr.Dept != "traffic" || pr.Status != cadrebot.StatusNew {
		t.Errorf("after triage %+v", pr)
	}
	// /category works too, and refuses unknown categories.
	p.TG.SendText(p.v1, apptest.Wang, "/report 垃圾没人收")
	p.last(prVillage, "已登记 #2")
	p.TG.SendText(p.cty, coordinator, "/category 2 garbage")
	p.last(prCounty, "没有 “garbage” 这个分类")
	p.TG.SendText(p.cty, coordinator, "/category 2 sanitation")
	p.card(prEnvDept, 2)
}

// /problems lists the chat's problems: a department's queue in its chat,
// the village's in a village group, with page buttons when long, and
// /problems mine, overdue and all.
func TestProblemQueries(t *testing.T) {
	// Filing 13 reports is more than flood control lets one user do.
	p := startProblems(t, apptest.WithYAML(apptest.DefaultYAML+"flood: {commands: 1000}\n"))
	for i := 0; i < 12; i++ {
		who := apptest.Wang
		if i%3 == 0 {
			who = apptest.Zhang
		}
		p.report(p.v1, who, fmt.Sprintf("停车问题 %d", i+1), "停车与交通")
	}
	p.report(p.v2, apptest.Li, "东山村垃圾", "环境卫生")
	p.TG.SendText(p.traffic, apptest.Handler, "/resolve 1 已处理")
	p.last(prTraffic, "#1 已办结，当前状态")

	p.TG.SendText(p.v1, apptest.Wang, "/problems")
	l := p.last(prVillage, "未办结问题")
	if !strings.Contains(l.Text, "共 11 件，第 1/2 页") || strings.Contains(l.Text, "#13") || strings.Contains(l.Text, "#1【") {
		t.Errorf("village open list:\n%s", l.Text)
	}
	p.press(p.v1, apptest.Wang, l, "下一页 ▶")
	l2 := p.fresh(prVillage, l)
	if !strings.Contains(l2.Text, "第 2/2 页") || !strings.Contains(l2.Text, "#2【") {
		t.Errorf("page 2:\n%s", l2.Text)
	}
	p.press(p.v1, apptest.Wang, l2, "◀ 上一页")
	if got := p.fresh(prVillage, l).Text; !strings.Contains(got, "第 1/2 页") {
		t.Errorf("back to page 1:\n%s", got)
	}

	p.TG.SendText(p.v1, apptest.Zhang, "/problems mine")
	if m := p.last(prVillage, "我的问题"); !strings.Contains(m.Text, "共 4 件") {
		t.Errorf("Zhang's list:\n%s", m.Text)
	}
	p.TG.SendText(p.v1, apptest.Wang, "/problems all")
	all := p.last(prVillage, "全部问题")
	if !strings.Contains(all.Text, "共 12 件") || !strings.Contains(all.Text, "办结率 8.3%（1/12）") {
		t.Errorf("village all:\n%s", all.Text)
	}

	p.TG.SendText(p.traffic, apptest.Handler, "/problems")
	q := p.last(prTraffic, "未办结问题 · 交通运输局")
	if !strings.Contains(q.Text, "共 11 件") {
		t.Errorf("department queue:\n%s", q.Text)
	}
	p.TG.SendText(p.env, apptest.Admin, "/problems")
	if q := p.last(prEnvDept, "未办结问题 · 生态环境分局"); !strings.Contains(q.Text, "#13") || !strings.Contains(q.Text, "共 1 件") {
		t.Errorf("environment queue:\n%s", q.Text)
	}

	p.advance(73 * time.Hour)
	p.TG.SendText(p.traffic, apptest.Handler, "/problems overdue")
	if od := p.last(prTraffic, "逾期问题"); !strings.Contains(od.Text, "共 11 件") || !strings.Contains(od.Text, "⏰") {
		t.Errorf("overdue list:\n%s", od.Text)
	}

	// The deployment admin sees everything privately; a group that is
	// neither a village's nor a department's lists nothing, whoever asks.
	p.TG.SendText(p.TG.Private(apptest.Admin), apptest.Admin, "/problems all")
	if a := p.last(apptest.Admin.ID, "全部问题"); !strings.Contains(a.Text, "共 13 件") {
		t.Errorf("deployment list:\n%s", a.Text)
	}
	hq := p.TG.Group(-1009, "县领导群")
	p.TG.SendText(hq, apptest.Admin, "/problems all")
	if a := p.last(-1009, "全部问题"); !strings.Contains(a.Text, "共 0 件") {
		t.Errorf("a group's list for the deployment admin:\n%s", a.Text)
	}
	// /problem N is kept to the chats that deal with it.
	p.TG.SendText(p.v2, apptest.Zhang, "/problem 2")
	p.last(prVillage2, "#2 不存在，或您无权在这里查看")
}

// A village group that becomes a supergroup keeps its problems: lists and
// notifications follow it to the new chat id.
func TestProblemFollowsMigration(t *testing.T) {
	p := startProblems(t)
	old := p.TG.BasicGroup(-4101, "上坞村")
	p.MakeAdmin(old.ID, apptest.Li)
	p.TG.SendText(old, apptest.Li, "/setup 上坞")
	p.last(old.ID, "上坞")
	_, n := p.report(old, apptest.Wang, "村口桥面裂缝", "停车与交通")

	super := p.TG.Migrate(old, -1004101)
	p.Drain()
	if got := p.problem(n).VillageChat; got != super.ID {
		t.Fatalf("problem's village chat %d, want %d", got, super.ID)
	}
	p.TG.SendText(p.traffic, apptest.Handler, "/accept 1")
	p.last(super.ID, "#1 已由 交通运输局 受理")
	p.TG.SendText(super, apptest.Wang, "/problems")
	if l := p.last(super.ID, "未办结问题"); !strings.Contains(l.Text, "#1") {
		t.Errorf("list in the supergroup:\n%s", l.Text)
	}
	// The reporter's own rights moved too: village admin of the new chat.
	p.MakeAdmin(super.ID, apptest.Li)
	p.TG.SendText(super, apptest.Li, "/close 1")
	p.last(super.ID, "#1 已关闭，当前状态")
}
