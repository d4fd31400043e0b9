package app_test

import (
	"strings"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/apptest"
)

// dgWeek seeds the week of New Year 2026, Monday 2025-12-29 to Sunday
// 2026-01-04: workdays are Mon-Wed and the 调休 Sunday; Thursday to
// Saturday are the holiday. Check-ins go through real /checkin and
// location updates at fake times, leave through /leave, problems through
// the store as the report dialog writes them.
//
// 青山村 (dgV1): Wang checks in on all 4 workdays (one off-site) and on
// the holiday; Li checks in Monday, is on leave Tue-Wed and misses Sunday;
// Zhang checks in Mon-Tue, misses Wednesday and is on a trip Sunday:
// Wang 4/4, Li 1/2, Zhang 3/4, the group 8/10 = 80.0%.
// 绿水村 (dgV2, English): Emma on leave all week. 空村 (dgV3): nothing.
//
// Problems (ids in order): #1 A and #2 B reported the week before (A
// resolved then: 50.0% as of that week's end); this week #3 C resolved
// and closed, #4 D new and overdue, #5 E returned, #6 F accepted, #7 G
// resolved, all in 青山村: 2 of 5 = 40.0%, down; #8 H in 绿水村,
// resolved. #2 B is overdue too.
func dgWeek(t *testing.T, opts ...apptest.Option) *apptest.Env {
	t.Helper()
	e := apptest.Start(t, append([]apptest.Option{apptest.WithTime(dgAt("2025-12-29 09:30"))}, opts...)...)
	v1 := dgGroup(t, e, dgV1, "青山村工作群", "青山村", apptest.Wang, apptest.Li, apptest.Zhang)
	v2 := dgGroup(t, e, dgV2, "Green Water", "绿水村")
	e.TG.SendText(v2, apptest.Admin, "/lang en")
	e.WaitSent(v2.ID, "English")
	e.TG.SendText(v2, apptest.Emma, "/join")
	e.WaitSent(v2.ID, "Emma")
	dgGroup(t, e, dgV3, "空村工作群", "空村")
	for _, id := range []int64{dgTraffic, dgEnv, dgCounty} {
		g := e.TG.Group(id, map[int64]string{dgTraffic: "交通运输局", dgEnv: "生态环境分局", dgCounty: "县领导群"}[id])
		e.TG.SendText(g, apptest.Handler, "/help")
		e.WaitSent(id, "/join")
	}
	e.TG.SendText(v1, apptest.Admin, "/setvillage 30.2741 120.1551 1000")
	e.WaitSent(dgV1, "已设置村位置")
	e.TG.SendText(v1, apptest.Li, "/leave 2025-12-30 2025-12-31")
	e.WaitSent(dgV1, "已登记：李强 请假")
	e.TG.SendText(v1, apptest.Zhang, "/leave 2026-01-04 2026-01-04 出差")
	e.WaitSent(dgV1, "已登记：张伟 出差")
	e.TG.SendText(v2, apptest.Emma, "/leave 2025-12-29 2026-01-04")
	e.Drain()

	checkin := func(when string, who ...string) {
		e.Clock.Set(dgAt(when))
		for _, w := range who {
			switch w {
			case "wang":
				m := e.TG.SendText(v1, apptest.Wang, "/checkin")
				waitReaction(t, e, dgV1, m)
			case "wang-far":
				m := e.TG.SendLocation(v1, apptest.Wang, 30.3741, 120.1551) // 11 km away
				waitReaction(t, e, dgV1, m)
			case "li":
				m := e.TG.SendText(v1, apptest.Li, "打卡")
				waitReaction(t, e, dgV1, m)
			case "zhang":
				m := e.TG.SendText(v1, apptest.Zhang, "/checkin 走访农户")
				waitReaction(t, e, dgV1, m)
			}
		}
	}
	checkin("2025-12-29 09:45", "wang", "li", "zhang")
	checkin("2025-12-30 09:00", "wang-far", "zhang")
	checkin("2025-12-31 09:00", "wang")
	checkin("2026-01-01 10:00", "wang") // the holiday: recorded, not counted
	checkin("2026-01-04 09:00", "wang")

	day := 24 * time.Hour
	const traffic, env = "traffic", "environment"
	a := dgProblem(t, e, dgV1, "青山村", apptest.Wang, "parking", traffic, 72*time.Hour, dgAt("2025-12-22 10:00"), "上周的停车问题")
	dgAct(t, e, dgAct(t, e, a, cadrebot.ActAccept, dgAt("2025-12-22 11:00"), ""), cadrebot.ActResolve, dgAt("2025-12-23 10:00"), "已划线")
	dgProblem(t, e, dgV1, "青山村", apptest.Li, "sanitation", env, 7*day, dgAt("2025-12-24 10:00"), "垃圾站满溢")
	c := dgProblem(t, e, dgV1, "青山村", apptest.Wang, "parking", traffic, 72*time.Hour, dgAt("2025-12-29 10:00"), "工业园区门口没有停车位，进出车辆有安全隐患")
	c = dgAct(t, e, c, cadrebot.ActAccept, dgAt("2025-12-29 11:00"), "")
	c = dgAct(t, e, c, cadrebot.ActResolve, dgAt("2025-12-30 15:00"), "已施划停车位")
	dgAct(t, e, c, cadrebot.ActClose, dgAt("2025-12-31 09:00"), "")
	dgProblem(t, e, dgV1, "青山村", apptest.Zhang, "parking", traffic, 72*time.Hour, dgAt("2025-12-30 10:00"), "路灯不亮 <b>夜里看不见</b>")
	ep := dgProblem(t, e, dgV1, "青山村", apptest.Li, "sanitation", env, 7*day, dgAt("2025-12-31 10:00"), "河道漂浮物")
	dgAct(t, e, ep, cadrebot.ActReturn, dgAt("2025-12-31 16:00"), "请补充位置")
	f := dgProblem(t, e, dgV1, "青山村", apptest.Wang, "parking", traffic, 72*time.Hour, dgAt("2026-01-04 10:00"), "校门口拥堵")
	dgAct(t, e, f, cadrebot.ActAccept, dgAt("2026-01-04 11:00"), "")
	g := dgProblem(t, e, dgV1, "青山村", apptest.Zhang, "sanitation", env, 7*day, dgAt("2025-12-29 10:00"), "公厕损坏")
	dgAct(t, e, dgAct(t, e, g, cadrebot.ActAccept, dgAt("2025-12-30 10:00"), ""), cadrebot.ActResolve, dgAt("2026-01-02 10:00"), "已修好")
	h := dgProblem(t, e, dgV2, "绿水村", apptest.Emma, "parking", traffic, 72*time.Hour, dgAt("2025-12-31 10:00"), "Bridge closed")
	dgAct(t, e, dgAct(t, e, h, cadrebot.ActAccept, dgAt("2025-12-31 11:00"), ""), cadrebot.ActResolve, dgAt("2026-01-02 10:00"), "reopened")
	return e
}

func TestWeeklyDigestsArriveOnSchedule(t *testing.T) {
	e := dgWeek(t)
	e.Clock.Set(dgAt("2026-01-05 08:59"))
	e.Drain()
	if n := countDigests(e, dgV1, "12月29日至1月4日"); n != 0 {
		t.Fatalf("%d digests before 09:00", n)
	}
	dgFire(t, e, dgAt("2026-01-05 09:00"), "the digests", func() bool { return countDigests(e, dgCounty, "12月29日至1月4日") > 0 })

	text, photo := waitDigest(t, e, dgV1, "青山村 周报（12月29日至1月4日）")
	checkChart(t, e, photo)
	if m := dgMissing(text, "青山村 周报（12月29日至1月4日）", "打卡率 80.0%（4 个工作日", "本期节假日：元旦",
		"1. 李强 50.0%（1/2，请假 2 天）", "2. 张伟 75.0%（3/4，出差 1 天）", "3. 王芳 100.0%（4/4，异地 1 次）",
		"异地打卡 1 次：王芳 12/30", "新报 5 件 · 办结 2 件 · 未办结 4 件 · 逾期 2 件",
		"新报：#3 #4 #5 #6 #7", "办结：#3 #7", "未办结：#2 #4 #5 #6", "逾期：#2 #4",
		"办结率 40.0%（本期新报 5 件，已办结 2 件）", "上期 50.0%，下降 ↓"); len(m) > 0 {
		t.Errorf("village digest lacks %q:\n%s", m, text)
	}
	if strings.Index(text, "李强") > strings.Index(text, "张伟") || strings.Index(text, "张伟") > strings.Index(text, "王芳") {
		t.Errorf("members are not lowest first:\n%s", text)
	}
	if strings.Contains(text, "NaN") {
		t.Errorf("NaN in digest:\n%s", text)
	}

	text, photo = waitDigest(t, e, dgV2, "weekly digest (Dec 29 to Jan 4)")
	checkChart(t, e, photo)
	if m := dgMissing(text, "绿水村 weekly digest (Dec 29 to Jan 4)", "Check-in rate —", "Everyone was on leave all period",
		"1. Emma — (0/0, 4 days on leave)", "1 reported · 1 resolved · 0 open · 0 overdue", "Resolution rate 100.0% (1 of 1",
		"nothing reported in the previous period"); len(m) > 0 {
		t.Errorf("English all-leave digest lacks %q:\n%s", m, text)
	}

	text, photo = waitDigest(t, e, dgTraffic, "交通运输局 周报（12月29日至1月4日）")
	checkChart(t, e, photo)
	if m := dgMissing(text, "交通运输局 周报", "待办 2 件", "#4 青山村 · 停车与交通 · 已 5 天 · 路灯不亮 <b>夜里看不见</b>",
		"#6 青山村 · 停车与交通 · 已 0 天 · 办理中", "逾期 1 件：#4（超期 3.0 天）", "本期办结 2 件：#3 #8",
		"办结用时中位数 1.6 天 · 按期办结率 66.7%（2/3）"); len(m) > 0 {
		t.Errorf("department digest lacks %q:\n%s", m, text)
	}
	text, _ = waitDigest(t, e, dgEnv, "生态环境分局 周报（12月29日至1月4日）")
	if m := dgMissing(text, "待办 1 件", "#2 青山村 · 环境卫生 · 已 11 天", "逾期 1 件：#2（超期 5.0 天）",
		"本期办结 1 件：#7", "按期办结率 50.0%（1/2）"); len(m) > 0 {
		t.Errorf("environment digest lacks %q:\n%s", m, text)
	}

	text, photo = waitDigest(t, e, dgCounty, "全县 周报（12月29日至1月4日）")
	checkChart(t, e, photo)
	if m := dgMissing(text, "全县 周报（12月29日至1月4日）", "村工作群 3 个 · 驻村指导员 4 人 · 打卡率 80.0% · 新报问题 6 件 · 办结率 50.0% · 满意率 — · 未办结 4 件（逾期 2 件）",
		"上期 50.0%，持平", "1. 青山村 80.0% · 5 件 · 40.0%", "2. 绿水村 — · 1 件 · 100.0%", "3. 空村 — · 0 件 · —",
		"1. 交通运输局 66.7%（2/3）· 待办 2 · 逾期 1 · 本期办结 2", "2. 生态环境分局 50.0%（1/2）", "3. 县驻村办 —（0/0）",
		"#2 青山村 · 生态环境分局 · 待受理 · 已 11 天 · 垃圾站满溢"); len(m) > 0 {
		t.Errorf("county digest lacks %q:\n%s", m, text)
	}
	if i, j := strings.Index(text, "#2 青山村"), strings.Index(text, "#6 青山村"); i < 0 || j < i {
		t.Errorf("oldest open items not oldest first:\n%s", text)
	}

	// The group with no roster and no problems gets none; nobody gets two.
	e.Clock.Set(dgAt("2026-01-05 09:30"))
	e.Drain()
	for chat, want := range map[int64]int{dgV1: 1, dgV2: 1, dgV3: 0, dgTraffic: 1, dgEnv: 1, dgCounty: 1} {
		title := "12月29日至1月4日"
		if chat == dgV2 {
			title = "Dec 29 to Jan 4"
		}
		if n := countDigests(e, chat, title); n != want {
			t.Errorf("%d digests of the week in %d, want %d", n, chat, want)
		}
	}
}
