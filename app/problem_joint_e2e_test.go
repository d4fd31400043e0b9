package app_test

import (
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/apptest"
	"cadrebot/telegramtest"
)

// jointYAML is DefaultYAML with the parking category handled jointly:
// the traffic bureau leads, the environment branch and the county office
// support.
var jointYAML = strings.Replace(apptest.DefaultYAML,
	`{id: parking, name: "停车与交通", department: traffic, sla: 72h}`,
	`{id: parking, name: "停车与交通", department: traffic, sla: 72h, support: [environment, county]}`, 1)

// envHandler works in the environment branch's chat.
var envHandler = models.User{ID: 2003, FirstName: "孙科长", LanguageCode: "zh"}

// supportCard is the latest card of problem n in a supporting
// department's chat.
func (p *prEnv) supportCard(chat, n int64) *models.Message {
	p.t.Helper()
	return p.card(chat, n)
}

// A problem with two supporting departments: each gets its own card and
// adds a note (by button and by /note), the lead sees who did their part,
// changes the supporters from its card, and resolves.
func TestJointProblem(t *testing.T) {
	if !strings.Contains(jointYAML, "support: [environment, county]") {
		t.Fatal("jointYAML did not take the support list")
	}
	p := startProblems(t, apptest.WithYAML(jointYAML))
	p.TG.SetMember(prEnvDept, envHandler.ID, telegramtest.StatusMember)
	_, n := p.report(p.v1, apptest.Wang, "工业园区旁没有停车位，货车占道，垃圾也没人清", "停车与交通")

	lead := p.card(prTraffic, n)
	if !strings.Contains(lead.Text, "🤝 协办：生态环境分局、县驻村办") || buttonData(lead, "🤝 协办") == "" {
		t.Errorf("lead card %q %v", lead.Text, buttons(lead))
	}
	envCard, ctyCard := p.supportCard(prEnvDept, n), p.supportCard(prCounty, n)
	for _, c := range []*models.Message{envCard, ctyCard} {
		if got := buttons(c); len(got) != 1 || !strings.HasPrefix(got[0], "📝 反馈协办进展=") {
			t.Errorf("support card buttons %v, want only the note", got)
		}
	}

	// Someone outside the environment branch cannot report its part.
	if cb := p.press(p.env, apptest.Wang, envCard, "📝 反馈协办进展"); !cb.ShowAlert {
		t.Errorf("an outsider's note press answered %+v", cb)
	}
	// The environment branch reports by button, the county by /note.
	p.press(p.env, envHandler, envCard, "📝 反馈协办进展")
	p.answerPrompt(p.env, envHandler, "请直接回复 #1 本部门的协办进展", "已清运园区周边垃圾 3 车")
	p.last(prEnvDept, "已记录 #1 生态环境分局 的进展")
	told := p.last(prTraffic, "#1 协办部门 生态环境分局 反馈进展（孙科长）：已清运园区周边垃圾 3 车")
	if told.ReplyToMessage == nil || told.ReplyToMessage.ID != lead.ID {
		t.Errorf("the lead was not told under its card: %+v", told.ReplyToMessage)
	}
	p.TG.SendText(p.cty, coordinator, "/note 1 已协调交警周末巡查")
	p.last(prCounty, "已记录 #1 县驻村办 的进展")
	if c := p.card(prTraffic, n); !strings.Contains(c.Text, "生态环境分局 ✓、县驻村办 ✓") {
		t.Errorf("lead card does not tick the supporters: %q", c.Text)
	}
	// /note where the problem is not handled, and a supporter resolving.
	p.TG.SendText(p.v2, apptest.Li, "/note 1 路过看了一下")
	p.last(prVillage2, "本群不是 #1 的主办或协办部门工作群")
	p.TG.SendText(p.env, envHandler, "/resolve 1 我们来办结")
	p.last(prEnvDept, "您不能对 #1 执行「办结」")

	// The lead drops the county from its card and adds it back by command.
	p.press(p.traffic, apptest.Handler, p.card(prTraffic, n), "🤝 协办")
	picker := p.card(prTraffic, n)
	if !strings.Contains(picker.Text, "选择 #1 的协办部门") {
		t.Fatalf("no supporter picker: %q", picker.Text)
	}
	if cb := p.press(p.traffic, apptest.Handler, picker, "➖ 县驻村办"); cb.ShowAlert {
		t.Fatalf("removing a supporter refused: %q", cb.Text)
	}
	if pr := p.problem(n); len(pr.Support) != 1 || pr.Support[0] != "environment" {
		t.Errorf("support after removal %q", pr.Support)
	}
	if c := p.fresh(prCounty, ctyCard); buttonData(c, "📝 反馈协办进展") != "" || strings.Contains(c.Text, "县驻村办 ✓") {
		t.Errorf("a removed supporter keeps its note button: %q %v", c.Text, buttons(c))
	}
	p.TG.SendText(p.cty, coordinator, "/support 1 county")
	p.last(prCounty, "您不能对 #1 执行「添加协办部门」")
	p.TG.SendText(p.traffic, apptest.Handler, "/support 1 county")
	p.last(prTraffic, "#1 已添加协办部门")
	if pr := p.problem(n); len(pr.Support) != 2 {
		t.Errorf("support after adding back %q", pr.Support)
	}
	if c := p.fresh(prCounty, ctyCard); buttonData(c, "📝 反馈协办进展") == "" {
		t.Errorf("the county's card was not given its button back %v", buttons(c))
	}
	if got := p.count(prCounty, "#1 停车与交通"); got != 1 {
		t.Errorf("the county got %d cards, want its old one back", got)
	}

	// The lead resolves; every card shows it and offers nothing more.
	p.TG.SendText(p.traffic, apptest.Handler, "/resolve 1 已划定 20 个停车位")
	p.last(prVillage, "#1 已由 交通运输局 办结")
	for _, chat := range []int64{prEnvDept, prCounty} {
		c := p.card(chat, n)
		if !strings.Contains(c.Text, "已办结") || len(buttons(c)) != 0 {
			t.Errorf("support card after resolution %q %v", c.Text, buttons(c))
		}
	}
	acts := p.history(n)
	if countAction(acts, cadrebot.ActNote) != 2 || countAction(acts, cadrebot.ActSupport) != 1 || countAction(acts, cadrebot.ActUnsupport) != 1 {
		t.Errorf("history %v", acts)
	}
	// A supporting department reads the whole problem.
	p.TG.SendText(p.env, envHandler, "/problem 1")
	if h := p.last(prEnvDept, "处理记录"); !strings.Contains(h.Text, "孙科长 反馈进展 → 生态环境分局: 已清运园区周边垃圾 3 车") {
		t.Errorf("/problem in the supporter's chat:\n%s", h.Text)
	}
	p.TG.SendText(p.env, envHandler, "/problems support")
	p.last(prEnvDept, "协办问题")
}
