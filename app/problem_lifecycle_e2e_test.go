package app_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"cadrebot"
	"cadrebot/apptest"
)

// The whole life of the issue's own example, through the fake Bot API:
// reported in a village, accepted and resolved in the traffic bureau's
// chat, "not fixed" reopens it to the bureau and the county office,
// resolved again, confirmed fixed.
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
	if got := buttons(card); len(got) != 4 {
		t.Errorf("card buttons %v, want Accept, Resolve, Return, Reassign", got)
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
	if !strings.Contains(card.Text, "办理中") || len(buttons(card)) != 3 {
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

	// "Not fixed" reopens it; the bureau and its parent get the card again.
	p.press(p.v1, apptest.Wang, resolved, "👎 没有解决")
	p.last(prVillage, "已重新打开")
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

	// The reporter confirms: closed, and the question's buttons go.
	p.press(p.v1, apptest.Wang, again, "👍 已解决")
	p.Wait("closed", func() bool { return p.problem(n).Status == cadrebot.StatusClosed })
	if b := buttons(p.fresh(prVillage, again)); len(b) != 0 {
		t.Errorf("answered question still has buttons %v", b)
	}
	if b := buttons(p.card(prTraffic, n)); len(b) != 0 {
		t.Errorf("closed card still has buttons %v", b)
	}

	want := []cadrebot.Action{cadrebot.ActCreate, cadrebot.ActAccept, cadrebot.ActResolve, cadrebot.ActReopen,
		cadrebot.ActResolve, cadrebot.ActClose}
	if diff := cmp.Diff(want, p.history(n)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}

	// /problem N shows the history to the village.
	p.TG.SendText(p.v1, apptest.Zhang, "/problem 1")
	h := p.last(prVillage, "处理记录")
	for _, w := range []string{"赵队长 受理", "赵队长 办结", "王芳 重新打开", "王芳 关闭", "已在园区北门划定 20 个停车位 <i>"} {
		if !strings.Contains(h.Text, w) {
			t.Errorf("/problem lacks %q:\n%s", w, h.Text)
		}
	}
}
