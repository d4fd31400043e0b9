package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cadrebot"
	"cadrebot/apptest"
)

// The whole life of the issue's own example, through the fake Bot API:
// reported in a village, accepted and resolved in the traffic bureau's
// chat, "unsatisfied" with a reason reopens it to the bureau and the
// county office, resolved again, rated satisfied, closed when the
// rating window ends.
func TestProblemLifecycle(t *testing.T) {
	p := startProblems(t)
	text := "工业园区旁没有划定停车位，车辆进出有安全隐患 <b>&amp; *注意* _x_ `y`"
	msg, n := p.report(p.v1, apptest.Wang, text, "停车与交通")
	if n != 1 {
		t.Fatalf("first problem is #%d, want #1", n)
	}

	card := p.card(prTraffic, n)
	for _, want := range []string{"#1 停车与交通", "待受理", "🏘 村：谢家坞\n", "王芳", text, "期限：2026-12-03 08:00"} {
		if !strings.Contains(card.Text, want) {
			t.Errorf("card lacks %q:\n%s", want, card.Text)
		}
	}
	if got := buttons(card); len(got) != 5 {
		t.Errorf("card buttons %v, want Accept, Resolve, Return, Reassign, Support", got)
	}

	// Accept from the card: the village hears it as a reply to the report.
	if cb := p.press(p.traffic, apptest.Handler, card, "📥 受理"); cb.ShowAlert {
		t.Fatalf("accept refused: %q", cb.Text)
	}
	note := p.last(prVillage, "已由 交通运输局 受理")
	if note.ReplyToMessage == nil || note.ReplyToMessage.ID != msg.ID {
		t.Errorf("acceptance is not a reply to the report: %+v", note.ReplyToMessage)
	}
	card = p.fresh(prTraffic, card)
	if !strings.Contains(card.Text, "办理中") || len(buttons(card)) != 4 {
		t.Errorf("card after accept: %q %v", card.Text, buttons(card))
	}

	// Resolve from the card: the bot asks for the note in the chat.
	p.press(p.traffic, apptest.Handler, card, "✅ 办结")
	p.last(prTraffic, "请直接回复 #1 的办结说明")
	p.TG.SendText(p.traffic, apptest.Handler, "已在园区北门划定 20 个停车位 <i>")
	resolved := p.last(prVillage, "已由 交通运输局 办结")
	if !strings.Contains(resolved.Text, "已在园区北门划定 20 个停车位 <i>") {
		t.Errorf("resolution note not passed on intact: %q", resolved.Text)
	}
	if got := p.problem(n).Status; got != cadrebot.StatusResolved {
		t.Fatalf("status %s, want resolved", got)
	}

	// "Unsatisfied" asks why, and the reason reopens it; the bureau and
	// its parent get the card again.
	p.press(p.v1, apptest.Wang, resolved, "😞 不满意")
	p.last(prVillage, "请直接回复对 #1 不满意的原因")
	p.TG.SendText(p.v1, apptest.Wang, "停车位被货车占满了")
	if re := p.last(prVillage, "已重新打开"); !strings.Contains(re.Text, "原因：停车位被货车占满了") {
		t.Errorf("reopen notice lacks the reason: %q", re.Text)
	}
	if pr := p.problem(n); pr.Rating != cadrebot.RatingUnsatisfied || pr.Status != cadrebot.StatusReopened {
		t.Errorf("after unsatisfied: status %s rating %q", pr.Status, pr.Rating)
	}
	p.Wait("a new card in the bureau", func() bool { return p.count(prTraffic, "#1 停车与交通") == 2 })
	cty := p.card(prCounty, n)
	if !strings.Contains(cty.Text, "已重新打开") {
		t.Errorf("county card: %q", cty.Text)
	}

	// /resolve without a note is refused with the example; with one it works.
	p.TG.SendText(p.traffic, apptest.Handler, "/resolve 1")
	p.last(prTraffic, "办结 #1 需要写办结说明")
	p.TG.SendText(p.traffic, apptest.Handler, "/resolve #1 重新施划，加装隔离桩")
	p.last(prTraffic, "#1 已办结，当前状态")
	again := p.last(prVillage, "重新施划")

	// The reporter is satisfied: recorded, and it closes once the rating
	// window ends; the question's buttons then go stale.
	p.press(p.v1, apptest.Wang, again, "😊 满意")
	if rated := p.fresh(prVillage, again); !strings.Contains(rated.Text, "您的评价：满意") || buttonData(rated, "✓ 😊 满意") == "" {
		t.Errorf("rated notice %q %v", rated.Text, buttons(rated))
	}
	p.advance(7*24*time.Hour + time.Minute)
	p.Wait("closed", func() bool { return p.problem(n).Status == cadrebot.StatusClosed })
	p.last(prVillage, "#1 已关闭（评价：满意）")
	if cb := p.press(p.v1, apptest.Wang, p.fresh(prVillage, again), "✓ 😊 满意"); !cb.ShowAlert {
		t.Errorf("rating a closed problem answered %+v", cb)
	}
	if b := buttons(p.card(prTraffic, n)); len(b) != 0 {
		t.Errorf("closed card still has buttons %v", b)
	}

	want := []cadrebot.Action{cadrebot.ActCreate, cadrebot.ActAccept, cadrebot.ActResolve, cadrebot.ActReopen,
		cadrebot.ActResolve, cadrebot.ActRate, cadrebot.ActClose}
	if diff := cmp.Diff(want, p.history(n)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}

	// /problem N shows the history to the village.
	p.TG.SendText(p.v1, apptest.Zhang, "/problem 1")
	h := p.last(prVillage, "处理记录")
	for _, w := range []string{"赵队长 受理", "赵队长 办结", "王芳 重新打开", "王芳 评价", "系统 关闭", "已在园区北门划定 20 个停车位 <i>"} {
		if !strings.Contains(h.Text, w) {
			t.Errorf("/problem lacks %q:\n%s", w, h.Text)
		}
	}
}
