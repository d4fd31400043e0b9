package app_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
)

// Who may do what: handlers (members of the holding department's chat)
// act on it, village admins reopen and close, deployment admins do
// everything, and everyone else gets a clear refusal.
func TestProblemPermissions(t *testing.T) {
	p := startProblems(t)
	_, n := p.report(p.v1, apptest.Wang, "村道路口停车占道", "停车与交通")
	card := p.card(prTraffic, n)

	// A cadre of the village is no handler.
	p.TG.SendText(p.v1, apptest.Zhang, "/accept 1")
	p.last(prVillage, "您不能对 #1 执行「受理」")
	// Nor is someone pressing the card who is not in the bureau's chat.
	cb := p.pressData(p.traffic, apptest.Zhang, card.ID, buttonData(card, "📥 受理"))
	if !cb.ShowAlert || !strings.Contains(cb.Text, "您不能对 #1 执行「受理」") {
		t.Errorf("outsider's press answered %+v", cb)
	}
	// The county coordinator is in the parent's chat, not the bureau's.
	p.TG.SendText(p.cty, coordinator, "/resolve 1 已处理")
	p.last(prCounty, "您不能对 #1 执行「办结」")
	// The reporter cannot resolve their own report either.
	p.TG.SendText(p.v1, apptest.Wang, "/resolve 1 自己解决了")
	p.last(prVillage, "您不能对 #1 执行「办结」")
	if got := p.problem(n).Status; got != cadrebot.StatusNew {
		t.Fatalf("refusals changed the status to %s", got)
	}

	// A handler may act from any chat, even the village's.
	p.TG.SendText(p.v1, apptest.Handler, "/accept 1")
	p.last(prVillage, "#1 已受理，当前状态")
	// ... but may not reopen or close: that is the village's call.
	p.TG.SendText(p.traffic, apptest.Handler, "/close 1")
	p.last(prTraffic, "您不能对 #1 执行「关闭」")

	// Handler resolves; once it closed by itself (asked after 7 days, no
	// answer for 7 more) the reporter may no longer reopen it, but a
	// village admin may.
	p.TG.SendText(p.traffic, apptest.Handler, "/resolve 1 已劝离")
	p.last(prTraffic, "#1 已办结，当前状态")
	p.advance(7*24*time.Hour + time.Minute)
	p.last(prVillage, "请评价：")
	p.advance(7 * 24 * time.Hour)
	p.last(prVillage, "办结后无人反馈，已自动关闭")
	p.TG.SendText(p.v1, apptest.Wang, "/reopen 1")
	p.last(prVillage, "#1 已关闭，只有村工作群管理员可以重新打开")
	p.TG.SendText(p.v1, apptest.Li, "/reopen 1 又有车停了")
	p.last(prVillage, "#1 已重新打开，当前状态")

	// A village admin withdraws a report.
	p.TG.SendText(p.v1, apptest.Li, "/close 1")
	p.last(prVillage, "#1 已关闭，当前状态")

	// The deployment admin may do anything, anywhere.
	p.TG.SendText(p.cty, apptest.Admin, "/reopen 1")
	p.last(prCounty, "#1 已重新打开，当前状态")
	p.TG.SendText(p.cty, apptest.Admin, "/assign 1 environment")
	p.last(prCounty, "#1 已转派，当前状态")
	p.card(prEnvDept, n)
	if got := p.problem(n).Dept; got != "environment" {
		t.Errorf("dept after /assign = %q", got)
	}
	// The bureau's handler no longer holds it.
	p.TG.SendText(p.traffic, apptest.Handler, "/accept 1")
	p.last(prTraffic, "您不能对 #1 执行「受理」")
}

// A double tap, a press on a card after the status changed, and forged
// callback data are all refused, and the card is redrawn as it is.
func TestProblemStaleForgedAndDoubleTaps(t *testing.T) {
	p := startProblems(t)
	_, n := p.report(p.v1, apptest.Wang, "停车场出入口无标识", "停车与交通")
	_, n2 := p.report(p.v2, apptest.Zhang, "东山村口车辆乱停", "停车与交通")
	card := p.card(prTraffic, n)
	accept := buttonData(card, "📥 受理")

	// Two presses of Accept before the bot handles either: one transition.
	id1 := p.TG.Press(p.traffic, apptest.Handler, card.ID, accept)
	id2 := p.TG.Press(p.traffic, apptest.Handler, card.ID, accept)
	a1, a2 := p.answer(id1), p.answer(id2)
	if got := countAction(p.history(n), cadrebot.ActAccept); got != 1 {
		t.Fatalf("double tap made %d acceptances, want 1", got)
	}
	if !a2.ShowAlert || !strings.Contains(a2.Text, "已失效") {
		t.Errorf("second tap answered %+v (first %+v), want a stale refusal", a2, a1)
	}
	if got := p.count(prVillage, "#1 已由 交通运输局 受理"); got != 1 {
		t.Errorf("village told %d times of the acceptance", got)
	}

	// The old Accept button, pressed again later: refused, card redrawn.
	p.TG.SendText(p.traffic, apptest.Handler, "/resolve 1 已设置标识")
	p.last(prTraffic, "#1 已办结，当前状态")
	cb := p.pressData(p.traffic, apptest.Handler, card.ID, accept)
	if !cb.ShowAlert || !strings.Contains(cb.Text, "#1 的状态已经变了") {
		t.Errorf("stale press answered %+v", cb)
	}
	if c := p.fresh(prTraffic, card); !strings.Contains(c.Text, "已办结") || len(buttons(c)) != 0 {
		t.Errorf("stale card not refreshed: %q %v", c.Text, buttons(c))
	}

	// Resolve via the command twice: the second is refused by status.
	p.TG.SendText(p.traffic, apptest.Handler, "/resolve 1 再次确认")
	p.last(prTraffic, "#1 当前是「已办结」，不能办结")
	if got := countAction(p.history(n), cadrebot.ActResolve); got != 1 {
		t.Errorf("%d resolutions, want 1", got)
	}

	// Forged: #2's number on #1's card, with #2's current version.
	card2 := p.card(prTraffic, n2)
	forged := fmt.Sprintf("p:acc:%d:%d", n2, p.problem(n2).Version)
	cb = p.pressData(p.traffic, apptest.Handler, card.ID, forged)
	if !cb.ShowAlert || !strings.Contains(cb.Text, "按钮无效") {
		t.Errorf("forged press answered %+v", cb)
	}
	if got := p.problem(n2).Status; got != cadrebot.StatusNew {
		t.Errorf("forged press changed #2 to %s", got)
	}
	// Garbage and unknown numbers.
	for _, data := range []string{"p:acc:x:1", "p:acc", fmt.Sprintf("p:acc:999:1"), "p:zzz:1:1"} {
		cb = p.pressData(p.traffic, apptest.Handler, card2.ID, data)
		if !cb.ShowAlert {
			t.Errorf("press %q answered %+v, want a refusal", data, cb)
		}
	}
	if got := p.problem(n2).Status; got != cadrebot.StatusNew {
		t.Errorf("garbage presses changed #2 to %s", got)
	}
	// A village question button pressed in another village's chat.
	res := p.last(prVillage, "已由 交通运输局 办结")
	cb = p.pressData(p.v2, apptest.Li, res.ID, buttonData(res, "😞 不满意"))
	if !cb.ShowAlert {
		t.Errorf("cross-chat press answered %+v", cb)
	}
	if got := p.problem(n).Status; got != cadrebot.StatusResolved {
		t.Errorf("cross-chat press changed #1 to %s", got)
	}
	// Someone else than the reporter on "unsatisfied", and on "satisfied".
	for _, label := range []string{"😞 不满意", "😊 满意"} {
		cb = p.press(p.v1, apptest.Zhang, res, label)
		if !cb.ShowAlert || !strings.Contains(cb.Text, "只有上报人或村工作群管理员可以评价 #1") {
			t.Errorf("non-reporter's %s answered %+v", label, cb)
		}
	}
	if pr := p.problem(n); pr.Status != cadrebot.StatusResolved || pr.Rating != "" {
		t.Errorf("non-reporter's presses changed #1: %s %q", pr.Status, pr.Rating)
	}
}
