package app_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
)

// resolveN resolves problem n by command, as its department's handler.
func (p *prEnv) resolveN(n int64, note string) {
	p.t.Helper()
	p.TG.SendText(p.traffic, apptest.Handler, "/resolve "+itoa64(n)+" "+note)
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// Every satisfaction outcome: 满意 (changed to 基本满意 before the
// problem closes, then fixed), 基本满意 by a village admin for the
// reporter, 不满意 reopening with its reason, a rating given to the
// sweep's later question, and who may rate. 满意率 follows in /problems
// all and /stats.
func TestSatisfactionOutcomes(t *testing.T) {
	p := startProblems(t)
	_, n1 := p.report(p.v1, apptest.Wang, "路口标线模糊", "停车与交通")
	_, n2 := p.report(p.v1, apptest.Zhang, "公交站牌歪了", "停车与交通")
	_, n3 := p.report(p.v1, apptest.Wang, "桥头缺警示桩", "停车与交通")
	_, n4 := p.report(p.v1, apptest.Zhang, "园区门口积水", "停车与交通")
	for _, n := range []int64{n1, n2, n3, n4} {
		p.resolveN(n, "已处理完毕")
		p.last(prVillage, "#"+itoa64(n)+" 已由 交通运输局 办结")
	}
	notice := func(n int64) string { return "#" + itoa64(n) + " 已由 交通运输局 办结" }

	// #1: satisfied, then changed to basically satisfied; the message
	// keeps its buttons and ticks the one chosen.
	q1 := p.last(prVillage, notice(n1))
	if cb := p.press(p.v1, apptest.Wang, q1, "😊 满意"); cb.ShowAlert || !strings.Contains(cb.Text, "已记录对 #1 的评价：满意") {
		t.Errorf("satisfied answered %+v", cb)
	}
	q1 = p.fresh(prVillage, q1)
	if !strings.Contains(q1.Text, "您的评价：满意（王芳）") || buttonData(q1, "✓ 😊 满意") == "" {
		t.Errorf("rated notice %q %v", q1.Text, buttons(q1))
	}
	p.press(p.v1, apptest.Wang, q1, "🙂 基本满意")
	if pr := p.problem(n1); pr.Rating != cadrebot.RatingBasic || pr.Status != cadrebot.StatusResolved {
		t.Errorf("#1 after changing: %q %s", pr.Rating, pr.Status)
	}
	// A deployment admin is not the village: refused. A village admin
	// rates for the reporter (#2).
	if cb := p.press(p.v1, apptest.Admin, p.last(prVillage, notice(n2)), "😊 满意"); !cb.ShowAlert {
		t.Errorf("a deployment admin's rating answered %+v", cb)
	}
	p.press(p.v1, apptest.Li, p.last(prVillage, notice(n2)), "🙂 基本满意")
	if pr := p.problem(n2); pr.Rating != cadrebot.RatingBasic || pr.RatedBy != apptest.Li.FirstName {
		t.Errorf("#2 rated %q by %q", pr.Rating, pr.RatedBy)
	}

	// #3: unsatisfied asks why; the reason reopens it and is the rating's.
	p.press(p.v1, apptest.Wang, p.last(prVillage, notice(n3)), "😞 不满意")
	if pr := p.problem(n3); pr.Status != cadrebot.StatusResolved || pr.Rating != "" {
		t.Fatalf("#3 changed before its reason: %s %q", pr.Status, pr.Rating)
	}
	p.answerPrompt(p.v1, apptest.Wang, "请直接回复对 #3 不满意的原因", "只装了一根，另一侧还是没有")
	p.last(prVillage, "原因：只装了一根，另一侧还是没有")
	if pr := p.problem(n3); pr.Status != cadrebot.StatusReopened || pr.Rating != cadrebot.RatingUnsatisfied {
		t.Errorf("#3 after its reason: %s %q", pr.Status, pr.Rating)
	}
	if c := p.card(prTraffic, n3); !strings.Contains(c.Text, "已重新打开") {
		t.Errorf("the bureau did not get #3 back: %q", c.Text)
	}

	// /problems all: 满意率 beside 办结率, over the rated ones (2 of 3).
	p.TG.SendText(p.v1, apptest.Wang, "/problems all")
	if all := p.last(prVillage, "全部问题"); !strings.Contains(all.Text, "满意率 66.7%（2/3）") {
		t.Errorf("/problems all:\n%s", all.Text)
	}

	// #4 is not rated: the sweep asks after reopen_days, and a rating of
	// the question shows the question with it.
	p.advance(7*24*time.Hour + time.Minute)
	ask := p.last(prVillage, "#4 已办结 7 天")
	p.press(p.v1, apptest.Zhang, ask, "😊 满意")
	if got := p.fresh(prVillage, ask).Text; !strings.Contains(got, "问题解决了吗？请评价") || !strings.Contains(got, "您的评价：满意（张伟）") {
		t.Errorf("rated question %q", got)
	}
	// #1 and #2 were rated: closed with their rating when the window
	// ended, and no longer ratable.
	for _, n := range []int64{n1, n2} {
		if pr := p.problem(n); pr.Status != cadrebot.StatusClosed || pr.Rating != cadrebot.RatingBasic {
			t.Errorf("#%d after the window: %s %q", n, pr.Status, pr.Rating)
		}
	}
	p.last(prVillage, "#1 已关闭（评价：基本满意）")
	if cb := p.press(p.v1, apptest.Wang, p.fresh(prVillage, q1), "😊 满意"); !cb.ShowAlert || !strings.Contains(cb.Text, "已失效") {
		t.Errorf("rating a closed problem answered %+v", cb)
	}
	if p.problem(n1).Rating != cadrebot.RatingBasic {
		t.Error("a closed problem's rating changed")
	}
	p.advance(7*24*time.Hour + time.Minute)
	if pr := p.problem(n4); pr.Status != cadrebot.StatusClosed || pr.Rating != cadrebot.RatingSatisfied {
		t.Errorf("#4 at the end: %s %q", pr.Status, pr.Rating)
	}
	p.TG.SendText(p.v1, apptest.Wang, "/stats 2026-11")
	if s := p.last(prVillage, "统计（11月1日至11月30日）"); !strings.Contains(s.Caption, "办结率 75.0%") || !strings.Contains(s.Caption, "满意率 75.0%（3/4）") {
		t.Errorf("/stats: %s", s.Caption)
	}
}
