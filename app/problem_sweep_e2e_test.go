package app_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/handlers"
)

// Deadlines, driven by the fake clock and the real scheduler: the
// department is reminded when the SLA (72h for parking) runs out, the
// county office gets the card after a second SLA period, and each happens
// once per stage across restarts and a second replica.
func TestProblemEscalation(t *testing.T) {
	p := startProblems(t)
	_, n := p.report(p.v1, apptest.Wang, "园区出入口没有减速带", "停车与交通")
	_, n2 := p.report(p.v1, apptest.Wang, "园区外墙垃圾", "环境卫生") // 7d SLA
	p.TG.SendText(p.traffic, apptest.Handler, "/accept 1")
	p.last(prTraffic, "#1 已受理，当前状态")

	p.advance(71 * time.Hour)
	if got := p.count(prTraffic, "已超过处理期限"); got != 0 {
		t.Fatalf("reminded %d times before the deadline", got)
	}
	p.advance(2 * time.Hour) // 73h: past the 72h SLA
	rem := p.last(prTraffic, "交通运输局</b> 有 1 件问题已超过处理期限")
	if !strings.Contains(rem.Text, "#1") || strings.Contains(rem.Text, "#2") {
		t.Errorf("reminder %q", rem.Text)
	}
	if p.count(prEnvDept, "已超过处理期限") != 0 {
		t.Error("the environment bureau was reminded of an item not yet due")
	}
	if c := p.card(prTraffic, n); !strings.Contains(c.Text, "已逾期") {
		t.Errorf("card does not show overdue: %q", c.Text)
	}

	// Restarts and more sweeps within the same stage: no repeat.
	p.Restart()
	p.advance(time.Hour)
	p.advance(time.Hour)
	if got := p.count(prTraffic, "已超过处理期限"); got != 1 {
		t.Errorf("stage 0 reminded %d times, want 1", got)
	}
	if got := p.count(prCounty, "#1 "); got != 0 {
		t.Errorf("escalated before a second SLA period")
	}

	p.advance(70 * time.Hour) // 145h: past 2×72h
	cty := p.card(prCounty, n)
	if !strings.Contains(cty.Text, "已逾期升级至 县驻村办") {
		t.Errorf("county card %q", cty.Text)
	}
	p.Wait("stage 1 reminder", func() bool { return p.count(prTraffic, "已超过处理期限") == 2 })
	if got := p.last(prTraffic, "已超过处理期限").Text; !strings.Contains(got, "已升级至 县驻村办") {
		t.Errorf("stage 1 reminder %q", got)
	}
	p.advance(time.Hour)
	if got := p.count(prCounty, "#1 "); got != 1 {
		t.Errorf("county got %d cards of #1, want 1", got)
	}
	acts := p.history(n)
	if countAction(acts, cadrebot.ActRemind) != 1 || countAction(acts, cadrebot.ActEscalate) != 1 {
		t.Errorf("history %v: want one reminder and one escalation", acts)
	}
	if pr := p.problem(n); pr.Stage != 1 {
		t.Errorf("stage %d, want 1", pr.Stage)
	}

	// The county has no parent: later stages only remind, once each.
	p.advance(72 * time.Hour)
	if got := p.count(prTraffic, "已超过处理期限"); got != 3 {
		t.Errorf("%d reminders after stage 2, want 3", got)
	}
	if got := p.count(prCounty, "#1 "); got != 1 {
		t.Errorf("county got %d cards, want still 1", got)
	}
	// The sanitation item (7d SLA) came due on the way.
	if !strings.Contains(p.last(prEnvDept, "已超过处理期限").Text, "#2") {
		t.Error("the environment bureau was not reminded of #2")
	}
	_ = n2

	// Reassigning starts a fresh deadline: nothing overdue right after.
	p.TG.SendText(p.traffic, apptest.Handler, "/assign 1 environment")
	p.last(prTraffic, "#1 已转派，当前状态")
	if pr := p.problem(n); pr.Stage != 0 || !pr.Due.After(p.Clock.Now()) {
		t.Errorf("after reassign stage %d due %v", pr.Stage, pr.Due)
	}
	ids, _ := p.DB.DueBy(context.Background(), p.Clock.Now())
	for _, id := range ids {
		if id == n {
			t.Errorf("#1 still overdue after reassignment")
		}
	}
}

// Replicas run the same sweep at the same time (and catch-up runs repeat
// a firing): each stage still happens once. Four concurrent sweeps stand
// for four replicas sharing Redis and the Bot API.
func TestOverdueSweepConcurrentReplicas(t *testing.T) {
	p := startProblems(t, apptest.WithoutScheduler())
	_, n := p.report(p.v1, apptest.Wang, "路口信号灯不亮", "停车与交通")
	pr := &handlers.Problems{Store: p.DB, Out: p.App.Sender, Texts: p.App.Texts, Auth: p.App.Auth, Cfg: &p.Cfg.File,
		Loc: p.Cfg.Location}
	sweep := func(at time.Time) {
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				if err := pr.OverdueSweep(context.Background(), at.Add(time.Duration(i)*time.Second)); err != nil {
					t.Errorf("sweep: %v", err)
				}
			}(i)
		}
		wg.Wait()
	}
	t0 := p.problem(n).Created
	sweep(t0.Add(73 * time.Hour))
	sweep(t0.Add(74 * time.Hour))
	sweep(t0.Add(146 * time.Hour))
	sweep(t0.Add(147 * time.Hour))
	p.Drain()
	if got := p.count(prTraffic, "已超过处理期限"); got != 2 {
		t.Errorf("%d reminders, want 2 (stage 0 and 1)", got)
	}
	if got := p.count(prCounty, "#1 "); got != 1 {
		t.Errorf("%d county cards, want 1", got)
	}
	acts := p.history(n)
	if countAction(acts, cadrebot.ActRemind) != 1 || countAction(acts, cadrebot.ActEscalate) != 1 {
		t.Errorf("history %v", acts)
	}
}

// After problems.reopen_days the reporter is asked "is this fixed?" with
// the rating buttons; no answer closes it after as many days again;
// "unsatisfied" with a reason reopens it and notifies the department and
// its parent.
func TestProblemResolvedSweep(t *testing.T) {
	p := startProblems(t)
	_, n := p.report(p.v1, apptest.Wang, "公交站牌倒了", "停车与交通")
	_, n2 := p.report(p.v1, apptest.Zhang, "路边违停", "停车与交通")
	p.TG.SendText(p.traffic, apptest.Handler, "/resolve 1 已扶正加固")
	p.last(prTraffic, "#1 已办结，当前状态")
	p.TG.SendText(p.traffic, apptest.Handler, "/resolve 2 已劝离")
	p.last(prTraffic, "#2 已办结，当前状态")

	p.advance(6 * 24 * time.Hour)
	if p.count(prVillage, "请评价：") != 0 {
		t.Fatal("asked before reopen_days")
	}
	p.advance(24*time.Hour + time.Minute)
	p.Wait("both asked", func() bool { return p.count(prVillage, "请评价：") == 2 })
	var q2 = p.last(prVillage, "#2 已办结 7 天")
	if !strings.Contains(q2.Text, "张伟") {
		t.Errorf("question not addressed to the reporter: %q", q2.Text)
	}
	// A restart does not ask again.
	p.Restart()
	p.advance(time.Hour)
	if got := p.count(prVillage, "请评价："); got != 2 {
		t.Errorf("asked %d times, want 2", got)
	}

	// #2's reporter says it is not fixed, past the 7-day window: it
	// reopens, and the bureau and the county office hear it.
	p.press(p.v1, apptest.Zhang, q2, "😞 不满意")
	p.last(prVillage, "请直接回复对 #2 不满意的原因")
	p.TG.SendText(p.v1, apptest.Zhang, "车又停回来了")
	p.last(prVillage, "#2 已重新打开")
	p.Wait("cards again", func() bool {
		return p.count(prTraffic, "#2 停车与交通") == 2 && p.count(prCounty, "#2 停车与交通") == 1
	})

	// #1 gets no answer: closed automatically 7 days after the question.
	p.advance(7 * 24 * time.Hour)
	p.last(prVillage, "#1 办结后无人反馈，已自动关闭")
	if got := p.problem(n).Status; got != cadrebot.StatusClosed {
		t.Errorf("#1 is %s, want closed", got)
	}
	if got := p.problem(n2).Status; got != cadrebot.StatusReopened {
		t.Errorf("#2 is %s, want reopened", got)
	}
}
