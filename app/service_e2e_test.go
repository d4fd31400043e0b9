package app_test

import (
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/calendar"
)

const svcVillage = -100801

// TestServicePeriodsAndRates: a cadre counts only on the days of their
// service. In November 2026 (21 workdays) 谢家坞村's group is set up on
// Monday the 2nd, when Wang joins; Zhang is added on the 9th and removed
// by an admin on the 16th before checking in; Li joins on the 16th.
// Wang checks in every workday but the 20th and the 30th, Zhang every
// day he served, Li his first week only. Counting from the 1st, as the
// roster alone did, would give Li 5/21 and Zhang 5/21.
func TestServicePeriodsAndRates(t *testing.T) {
	e := apptest.Start(t, apptest.WithTime(dgAt("2026-11-02 08:30")))
	g := e.TG.Group(svcVillage, "谢家坞村工作群")
	e.MakeAdmin(svcVillage, apptest.Admin)
	e.TG.SendText(g, apptest.Admin, "/setup 谢家坞村 兰亭街道")
	e.WaitSent(svcVillage, "谢家坞村")
	e.TG.SendText(g, apptest.Wang, "/today")
	e.WaitSent(svcVillage, "本群名单上还没有驻村指导员")

	e.TG.SendText(g, apptest.Wang, "/join 第19批 柯桥区农业农村局")
	e.WaitSent(svcVillage, "王芳 已加入名单（本群共 1 人），驻村自 2026-11-02 起（第19批 · 柯桥区农业农村局）")
	// Joined today: the month has no rate yet, rather than 0%.
	e.TG.SendText(g, apptest.Wang, "/today")
	if m := e.WaitSent(svcVillage, "未打卡：王芳"); strings.Contains(m.Text, "本月") {
		t.Errorf("/today on the first day shows a month rate:\n%s", m.Text)
	}

	checkin := func(when string, who ...models.User) {
		t.Helper()
		e.Clock.Set(dgAt(when))
		for _, u := range who {
			m := e.TG.SendText(g, u, "/checkin")
			waitReaction(t, e, svcVillage, m)
		}
	}
	cal := calendar.New(calendar.Overrides{})
	for d := calendar.MustParseDate("2026-11-02"); d.Before(calendar.MustParseDate("2026-11-30")); d = d.AddDays(1) {
		if !cal.IsWorkday(d) {
			continue
		}
		var who []models.User
		if d.Day != 20 {
			who = append(who, apptest.Wang)
		}
		switch {
		case d.Day == 9:
			e.Clock.Set(dgAt(d.String() + " 08:00"))
			e.TG.AddMembers(g, apptest.Admin, apptest.Zhang)
			e.WaitSent(svcVillage, "欢迎 张伟")
			who = append(who, apptest.Zhang)
		case d.Day > 9 && d.Day < 16:
			who = append(who, apptest.Zhang)
		case d.Day == 16:
			e.Clock.Set(dgAt(d.String() + " 08:00"))
			e.TG.RemoveMember(g, apptest.Admin, apptest.Zhang)
			e.TG.SendText(g, apptest.Li, "/join")
			e.WaitSent(svcVillage, "李强 已加入名单（本群共 2 人），驻村自 2026-11-16 起")
			who = append(who, apptest.Li)
		case d.Day > 16 && d.Day <= 20:
			who = append(who, apptest.Li)
		}
		checkin(d.String()+" 09:00", who...)
	}
	e.Clock.Set(dgAt("2026-12-01 10:00"))
	e.TG.SendText(g, apptest.Li, "/stats 2026-11")
	m := e.WaitSent(svcVillage, "谢家坞村 统计（11月1日至11月30日）")
	body := m.Caption + m.Text
	for _, n := range e.TG.Sent(svcVillage) {
		if n.ID > m.ID && len(n.Photo) == 0 {
			body += n.Text
		}
	}
	// 19 + 5 + 5 present of 21 + 11 + 5 expected.
	if miss := dgMissing(body, "打卡率 78.4%", "1. 李强 45.5%（5/11）", "2. 王芳 90.5%（19/21）", "3. 张伟 100.0%（5/5）"); len(miss) > 0 {
		t.Errorf("/stats 2026-11 lacks %q:\n%s", miss, body)
	}

	e.TG.SendText(g, apptest.Li, "/roster all")
	m = e.WaitSent(svcVillage, "本群驻村记录")
	for _, want := range []string{"王芳\n   2026-11-02 起在岗（第19批 · 柯桥区农业农村局）", "李强\n   2026-11-16 起在岗",
		"张伟\n   2026-11-09 至 2026-11-15（被移出）"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("/roster all lacks %q:\n%s", want, m.Text)
		}
	}
	e.TG.SendText(g, apptest.Li, "/roster")
	m = e.WaitSent(svcVillage, "本群名单")
	if strings.Contains(m.Text, "张伟") {
		t.Errorf("/roster lists Zhang, who was removed:\n%s", m.Text)
	}
}
