package app_test

import (
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot"
	"cadrebot/apptest"
)

// Leaders' groups of the hierarchy test: the city's and the county's
// from the config, the town's bound with /leaders.
const (
	hCity   = -100901
	hCounty = -100902
	hTown   = -100903
)

const hierarchyYAML = apptest.DefaultYAML + `
units:
  - {id: shaoxing, name: 绍兴市, level: city, chat_id: -100901}
  - {id: keqiao, name: 柯桥区, level: county, parent: shaoxing, chat_id: -100902}
  - {id: lanting, name: 兰亭街道, level: town, parent: keqiao}
`

// TestHierarchyLeadersGroups: 绍兴市 → 柯桥区 → 兰亭街道 → two villages.
// The town's leaders' group, bound with /leaders, gets an overdue
// problem of its village one SLA period after the department was
// reminded (with the department's own escalation), the county's a period
// later; each leaders' group gets its weekly digest with the units and
// villages below it, and /stats for its subtree.
func TestHierarchyLeadersGroups(t *testing.T) {
	p := startProblems(t, apptest.WithYAML(hierarchyYAML))
	p.TG.SendText(p.v1, apptest.Li, "/setup 谢家坞村 兰亭街道")
	p.WaitSent(prVillage, "本群服务 <b>谢家坞村</b>（兰亭街道（柯桥区 · 绍兴市））")
	p.TG.SendText(p.v2, apptest.Li, "/setup 花街村 lanting")
	p.WaitSent(prVillage2, "本群服务 <b>花街村</b>")
	town := p.TG.Group(hTown, "兰亭街道领导群")
	p.TG.SendText(town, apptest.Li, "/leaders lanting")
	p.WaitSent(hTown, "只有部署管理员")
	p.TG.SendText(town, apptest.Admin, "/leaders 兰亭")
	p.WaitSent(hTown, "没有名为 兰亭 的单位。现有单位：shaoxing 绍兴市、keqiao 柯桥区、lanting 兰亭街道")
	p.TG.SendText(town, apptest.Admin, "/leaders 兰亭街道")
	if m := p.Confirm(town, apptest.Admin, "确认把本群设为 <b>兰亭街道（柯桥区 · 绍兴市）</b> 的领导群吗？"); !strings.Contains(m.Text, "每周收到本级 2 个村的周报") {
		t.Errorf("confirmed /leaders answered %q", m.Text)
	}
	city, county := p.TG.Group(hCity, "绍兴市领导群"), p.TG.Group(hCounty, "柯桥区领导群")
	for _, g := range []models.Chat{city, county} {
		p.TG.SendText(g, apptest.Admin, "/help")
		p.WaitSent(g.ID, "/join")
	}
	_, n := p.report(p.v1, apptest.Wang, "园区出入口没有减速带", "停车与交通")

	p.advance(73 * time.Hour) // stage 0: the department is reminded
	p.last(prTraffic, "已超过处理期限")
	if got := p.count(hTown, "所辖村有问题逾期"); got != 0 {
		t.Fatalf("the town heard of #%d at stage 0 (%d messages)", n, got)
	}
	p.advance(72 * time.Hour) // stage 1: the county office and the town
	esc := p.last(hTown, "兰亭街道</b>：所辖村有问题逾期")
	for _, want := range []string{"#1", "谢家坞村", "交通运输局", "/problem 1"} {
		if !strings.Contains(esc.Text, want) {
			t.Errorf("town escalation lacks %q:\n%s", want, esc.Text)
		}
	}
	if got := p.count(hCounty, "所辖村有问题逾期"); got != 0 {
		t.Errorf("the county's leaders heard at stage 1 (%d messages)", got)
	}
	p.card(prCounty, n)
	// The town's leaders may read the problem.
	p.TG.SendText(town, apptest.Li, "/problem 1")
	p.WaitSent(hTown, "逾期通报上级领导群: 兰亭街道")

	// Monday 09:00: the weekly digests of the leaders' groups.
	p.advance(24 * time.Hour)
	text, _ := waitDigest(t, p.Env, hTown, "兰亭街道 周报（11月30日至12月6日）")
	if m := dgMissing(text, "村工作群 2 个", "新报问题 1 件", "逾期 1 件", "各村排名", ". 谢家坞村", ". 花街村", "#1 谢家坞村"); len(m) > 0 {
		t.Errorf("town digest lacks %q:\n%s", m, text)
	}
	if strings.Contains(text, "下级单位") {
		t.Errorf("the town digest lists units below a town:\n%s", text)
	}
	text, _ = waitDigest(t, p.Env, hCounty, "柯桥区 周报（11月30日至12月6日）")
	if m := dgMissing(text, "下级单位", "1. 兰亭街道 · 2 个村", "村工作群 2 个"); len(m) > 0 {
		t.Errorf("county digest lacks %q:\n%s", m, text)
	}
	text, _ = waitDigest(t, p.Env, hCity, "绍兴市 周报（11月30日至12月6日）")
	if m := dgMissing(text, "下级单位", "柯桥区 · 2 个村"); len(m) > 0 {
		t.Errorf("city digest lacks %q:\n%s", m, text)
	}

	p.advance(48 * time.Hour) // stage 2: the county's leaders
	p.last(hCounty, "柯桥区</b>：所辖村有问题逾期")
	if got := countAction(p.history(n), cadrebot.ActLeaders); got != 2 {
		t.Errorf("history has %d leaders' escalations, want 2", got)
	}

	p.TG.SendText(town, apptest.Li, "/stats")
	p.WaitSent(hTown, "兰亭街道 统计")
}
