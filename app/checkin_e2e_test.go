package app_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"cadrebot/apptest"
	"cadrebot/calendar"
	"cadrebot/telegramtest"
)

// checkinYAML is the default deployment with a milestone that tests can
// reach in a few days.
const checkinYAML = apptest.DefaultYAML + `
checkin:
  milestones: [3]
`

// setupVillage makes a village group with members on its roster.
func setupVillage(t *testing.T, e *apptest.Env, id int64, village string, members ...models.User) models.Chat {
	t.Helper()
	g := e.TG.Group(id, village+"工作群")
	e.TG.SendText(g, apptest.Admin, "/setup "+village)
	e.WaitSent(g.ID, "本群服务")
	for i, m := range members {
		e.TG.SendText(g, m, "/join")
		e.WaitSent(g.ID, fmt.Sprintf("%s 已加入名单（本群共 %d 人）", m.FirstName, i+1))
	}
	return g
}

func waitReaction(t *testing.T, e *apptest.Env, chat int64, m *models.Message) {
	t.Helper()
	e.Wait(fmt.Sprintf("👍 on message %d", m.ID), func() bool {
		rs := e.TG.Reactions(chat, m.ID)
		return len(rs) == 1 && rs[0].ReactionTypeEmoji != nil && rs[0].ReactionTypeEmoji.Emoji == "👍"
	})
}

// boards returns the texts of the check-in boards in a chat.
func boards(e *apptest.Env, chat int64) []string {
	var out []string
	for _, m := range e.TG.Sent(chat) {
		if strings.Contains(m.Text, "今日打卡（实时更新）") || strings.Contains(m.Text, "Today's check-ins (live)") {
			out = append(out, m.Text)
		}
	}
	return out
}

func waitBoard(t *testing.T, e *apptest.Env, chat int64, contains ...string) string {
	t.Helper()
	var last string
	e.Wait(fmt.Sprintf("a board in %d with %q", chat, contains), func() bool {
		bs := boards(e, chat)
		if len(bs) == 0 {
			return false
		}
		last = bs[len(bs)-1]
		for _, s := range contains {
			if !strings.Contains(last, s) {
				return false
			}
		}
		return true
	})
	return last
}

func texts(ms []*models.Message) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Text
	}
	return out
}

func calls(e *apptest.Env, method string, chat int64) int {
	n := 0
	for _, c := range e.TG.CallsTo(method) {
		if c.ChatID() == chat {
			n++
		}
	}
	return n
}

func TestCheckinReactsAndKeepsOneBoard(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(checkinYAML))
	g := setupVillage(t, e, -3001, "谢家坞村", apptest.Wang, apptest.Li, apptest.Zhang, apptest.Emma)
	sentBefore := len(e.TG.Sent(g.ID))

	note := `在村委会 <b>&amp; *不是粗体* _x_`
	m := e.TG.SendText(g, apptest.Wang, "/checkin "+note)
	waitReaction(t, e, g.ID, m)
	board := waitBoard(t, e, g.ID, "王芳", note)
	if !strings.Contains(board, "已打卡 1/4") {
		t.Errorf("board = %q, want the count 1/4", board)
	}

	// Plain-text check-ins, as people type them in Chinese groups.
	m = e.TG.SendText(g, apptest.Li, "打卡 走访农户")
	waitReaction(t, e, g.ID, m)
	m = e.TG.SendText(g, apptest.Zhang, "签到")
	waitReaction(t, e, g.ID, m)
	other := e.TG.SendText(g, apptest.Emma, "打卡机坏了")
	e.Drain()
	if rs := e.TG.Reactions(g.ID, other.ID); len(rs) != 0 {
		t.Errorf("“打卡机坏了” was taken as a check-in")
	}

	// No edit before the interval: the board still shows Wang alone.
	if n := calls(e, "editMessageText", g.ID); n != 0 {
		t.Errorf("%d edits before the board interval", n)
	}
	e.Clock.Advance(5 * time.Second)
	board = waitBoard(t, e, g.ID, "李强", "走访农户", "张伟", "已打卡 3/4")
	// The fake records a call after applying it; wait for the record.
	e.Wait("the board edit to be recorded", func() bool { return calls(e, "editMessageText", g.ID) >= 1 })
	e.Drain()
	if n := calls(e, "editMessageText", g.ID); n != 1 {
		t.Errorf("edits after one interval = %d, want 1", n)
	}

	// A second check-in updates the note and does not count twice.
	m = e.TG.SendText(g, apptest.Wang, "/checkin 改到村东头")
	waitReaction(t, e, g.ID, m)
	e.Clock.Advance(5 * time.Second)
	board = waitBoard(t, e, g.ID, "改到村东头")
	if strings.Contains(board, "村委会") || !strings.Contains(board, "已打卡 3/4") {
		t.Errorf("board after the second check-in = %q", board)
	}
	if got := len(boards(e, g.ID)); got != 1 {
		t.Errorf("%d board messages, want 1", got)
	}
	// One board, reactions, and no reply at all for the check-ins.
	if got := len(e.TG.Sent(g.ID)) - sentBefore; got != 1 {
		t.Errorf("check-ins sent %d messages, want only the board: %v", got, texts(e.TG.Sent(g.ID)))
	}

	e.TG.SendText(g, apptest.Li, "/today")
	today := e.WaitSent(g.ID, "📋 今日打卡 · 谢家坞村")
	for _, want := range []string{"已打卡 3/4", "王芳 08:00", "改到村东头", "李强", "⏳ 未打卡：Emma"} {
		if !strings.Contains(today.Text, want) {
			t.Errorf("/today lacks %q:\n%s", want, today.Text)
		}
	}
}

func TestCheckinMilestoneStreak(t *testing.T) {
	thu := time.Date(2026, 11, 26, 9, 0, 0, 0, apptest.Shanghai)
	e := apptest.Start(t, apptest.WithYAML(checkinYAML), apptest.WithTime(thu))
	g := setupVillage(t, e, -3002, "谢家坞村", apptest.Wang)
	for _, day := range []time.Time{thu, thu.AddDate(0, 0, 1), thu.AddDate(0, 0, 4) /* Monday */} {
		e.Clock.Set(day)
		m := e.TG.SendText(g, apptest.Wang, "打卡")
		waitReaction(t, e, g.ID, m)
	}
	e.WaitSent(g.ID, "王芳 已连续打卡 3 个工作日")
	// The streak is on the board too, and the milestone was announced once.
	waitBoard(t, e, g.ID, "连续 3 天")
	n := 0
	for _, m := range e.TG.Sent(g.ID) {
		if strings.Contains(m.Text, "已连续打卡") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d milestone messages, want 1", n)
	}
}

func TestCheckinDayBoundary(t *testing.T) {
	late := time.Date(2026, 11, 30, 23, 59, 0, 0, apptest.Shanghai)
	e := apptest.Start(t, apptest.WithYAML(checkinYAML), apptest.WithTime(late))
	g := setupVillage(t, e, -3003, "谢家坞村", apptest.Wang)
	m := e.TG.SendText(g, apptest.Wang, "/checkin 晚上")
	waitReaction(t, e, g.ID, m)
	waitBoard(t, e, g.ID, "11月30日", "晚上")

	e.Clock.Advance(2 * time.Minute) // 00:01 on Tuesday 1 December
	m = e.TG.SendText(g, apptest.Wang, "/checkin 早上")
	waitReaction(t, e, g.ID, m)
	// A new day gets a new board; yesterday's keeps its note.
	waitBoard(t, e, g.ID, "12月1日", "早上")
	bs := boards(e, g.ID)
	if len(bs) != 2 || !strings.Contains(bs[0], "晚上") || strings.Contains(bs[0], "早上") {
		t.Errorf("boards = %q, want one per day", bs)
	}
	ps, err := e.DB.CheckinPeriods(context.Background(), []int64{g.ID}, calendar.MustParseDate("2026-11-30"), calendar.MustParseDate("2026-12-01"))
	if err != nil {
		t.Fatal(err)
	}
	p := ps[g.ID]
	row := p.Row(p.Roster[0])
	if !row.Checked(calendar.MustParseDate("2026-11-30")) || !row.Checked(calendar.MustParseDate("2026-12-01")) {
		t.Error("the two check-ins did not land on two days")
	}
}

func TestCheckinInAnotherTimeZone(t *testing.T) {
	// 07:30 on 1 December in Shanghai is still 30 November in London.
	at := time.Date(2026, 12, 1, 7, 30, 0, 0, apptest.Shanghai)
	yaml := checkinYAML + `
villages:
  - {chat_id: -3005, name: 伦敦村, timezone: Europe/London, lat: 51.5072, lon: -0.1276, radius_m: 2000}
`
	e := apptest.Start(t, apptest.WithYAML(yaml), apptest.WithTime(at))
	london := e.TG.Group(-3005, "伦敦村工作群")
	shanghai := setupVillage(t, e, -3004, "谢家坞村")
	for _, g := range []models.Chat{london, shanghai} {
		m := e.TG.SendText(g, apptest.Wang, "/checkin")
		waitReaction(t, e, g.ID, m)
	}
	waitBoard(t, e, london.ID, "11月30日", "王芳 23:30")
	waitBoard(t, e, shanghai.ID, "12月1日", "王芳 07:30")
	ctx := context.Background()
	nov30, dec1 := calendar.MustParseDate("2026-11-30"), calendar.MustParseDate("2026-12-01")
	ps, err := e.DB.CheckinPeriods(ctx, []int64{london.ID, shanghai.ID}, nov30, dec1)
	if err != nil {
		t.Fatal(err)
	}
	lr, sr := ps[london.ID].Row(ps[london.ID].Roster[0]), ps[shanghai.ID].Row(ps[shanghai.ID].Roster[0])
	if !lr.Checked(nov30) || lr.Checked(dec1) || sr.Checked(nov30) || !sr.Checked(dec1) {
		t.Error("check-ins did not land on each group's own date")
	}

	// The village position from config applies: a location in Paris is
	// off-site for the London village. And the group speaks English.
	e.TG.SendText(london, apptest.Admin, "/lang en")
	e.WaitSent(london.ID, "English")
	m := e.TG.SendLocation(london, apptest.Li, 48.8566, 2.3522)
	waitReaction(t, e, london.ID, m)
	e.TG.SendText(london, apptest.Li, "/today")
	today := e.WaitSent(london.ID, "Today's check-ins · 伦敦村 · Mon 30 Nov")
	for _, want := range []string{"Checked in 2/2", "李强 23:30 📍off-site", "王芳 23:30"} {
		if !strings.Contains(today.Text, want) {
			t.Errorf("/today lacks %q:\n%s", want, today.Text)
		}
	}
}

func TestCheckinInPrivateChat(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(checkinYAML))
	g := setupVillage(t, e, -3006, "谢家坞村", apptest.Wang, apptest.Zhang)
	setupVillage(t, e, -3007, "东山村", apptest.Zhang)

	dm := e.TG.Private(apptest.Wang)
	e.TG.SendText(dm, apptest.Wang, "/checkin 在路上")
	e.WaitSent(dm.ID, "已为 谢家坞村 打卡")
	waitBoard(t, e, g.ID, "王芳", "在路上")

	li := e.TG.Private(apptest.Li)
	e.TG.SendText(li, apptest.Li, "/checkin")
	e.WaitSent(li.ID, "不在任何村工作群的名单中")

	zhang := e.TG.Private(apptest.Zhang)
	e.TG.SendText(zhang, apptest.Zhang, "打卡")
	e.WaitSent(zhang.ID, "您在 2 个村工作群的名单中")
}

func TestCheckinBadInput(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(checkinYAML))
	dept := e.TG.Group(-3008, "交通运输局工作群")
	e.TG.SendText(dept, apptest.Handler, "/checkin")
	e.WaitSent(dept.ID, "本群还没有设置服务的村")
	// Plain "打卡" in a group that is not a village group is left alone.
	m := e.TG.SendText(dept, apptest.Handler, "打卡")
	e.Drain()
	if len(e.TG.Reactions(dept.ID, m.ID)) != 0 {
		t.Error("a department group's “打卡” was taken as a check-in")
	}

	g := setupVillage(t, e, -3009, "谢家坞村", apptest.Wang)
	m = e.TG.SendText(g, apptest.Wang, "/checkin "+strings.Repeat("长", 201))
	e.WaitSent(g.ID, "备注太长（201 字）")
	e.Drain()
	if len(e.TG.Reactions(g.ID, m.ID)) != 0 || len(boards(e, g.ID)) != 0 {
		t.Error("a refused check-in was recorded")
	}
}

func TestLocationCheckinOffSite(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(checkinYAML))
	g := setupVillage(t, e, -3010, "谢家坞村", apptest.Wang, apptest.Li)
	e.TG.SendText(g, apptest.Li, "/setvillage 30.2741 120.1551 1000")
	e.WaitSent(g.ID, "只有群管理员可以")
	e.MakeAdmin(g.ID, apptest.Wang)
	e.TG.SendText(g, apptest.Wang, "/setvillage 95 120 1000")
	e.WaitSent(g.ID, "纬度须在 -90 到 90 之间")
	e.TG.SendText(g, apptest.Wang, "/setvillage 30.2741 120.1551 1000")
	e.WaitSent(g.ID, "已设置村位置")

	far := e.TG.SendLocation(g, apptest.Wang, 30.3741, 120.1551) // about 11 km north
	waitReaction(t, e, g.ID, far)
	near := e.TG.SendLocation(g, apptest.Li, 30.2751, 120.1561) // about 150 m
	waitReaction(t, e, g.ID, near)
	e.TG.SendText(g, apptest.Li, "/today")
	today := e.WaitSent(g.ID, "📋 今日打卡 ·")
	lines := strings.Split(today.Text, "\n")
	i := slices.IndexFunc(lines, func(s string) bool { return strings.Contains(s, "王芳") })
	j := slices.IndexFunc(lines, func(s string) bool { return strings.Contains(s, "李强") })
	if i < 0 || j < 0 || !strings.Contains(lines[i], "📍异地") || strings.Contains(lines[j], "异地") {
		t.Errorf("/today = %q, want Wang off-site and Li on site", today.Text)
	}
	d, err := e.DB.CheckinDay(context.Background(), g.ID, calendar.MustParseDate("2026-11-30"))
	if err != nil {
		t.Fatal(err)
	}
	if c := d.Details[apptest.Wang.ID]; c.Where == nil || c.Where.Lat != 30.3741 || !c.OffSite {
		t.Errorf("Wang's check-in = %+v, want its coordinates and off-site", c)
	}
}

func TestLeaveCommand(t *testing.T) {
	yaml := checkinYAML + "  outing_monthly_cap: 1\n"
	e := apptest.Start(t, apptest.WithYAML(yaml))
	g := setupVillage(t, e, -3011, "谢家坞村", apptest.Wang, apptest.Li, apptest.Zhang)
	tests := []struct {
		who  models.User
		text string
		want string
	}{
		{apptest.Wang, "/leave 2026-12-01 2026-12-03 出差", "已登记：王芳 出差 2026-12-01 至 2026-12-03（3 个工作日）"},
		{apptest.Wang, "/leave 2026-12-03 2026-12-01", "结束日期 2026-12-01 早于开始日期 2026-12-03"},
		{apptest.Wang, "/leave 2026-13-01", "无法识别“2026-13-01”"},
		{apptest.Wang, "/leave someday", "无法识别“someday”"},
		{apptest.Wang, "/leave 2026-12-01 2026-12-02 2026-12-03", "用法：/leave"},
		{apptest.Li, "/leave today 外出", "已登记：李强 外出 2026-11-30（1 个工作日）"},
		{apptest.Li, "/leave 2026-11-27 外出", "只能登记今天（2026-11-30）及以后"},
		{apptest.Li, "/leave 2026-12-01 外出", "已登记：李强 外出 2026-12-01"},
		{apptest.Li, "/leave 2026-12-02 外出", "外出每月最多 1 个工作日，登记后 2026年12月将有 2 个工作日外出"},
		{apptest.Li, "/leave tomorrow", "已登记：李强 请假 2026-12-01"},
		{apptest.Li, "/leave", "2026-12-01 请假"},
		{apptest.Li, "/leave cancel", "已撤销 李强 今天及以后"},
		{apptest.Li, "/leave cancel", "李强 今天及以后没有登记"},
	}
	for _, tt := range tests {
		e.TG.SendText(g, tt.who, tt.text)
		e.WaitSent(g.ID, tt.want)
	}

	// A group admin sets leave for someone else by replying to them; a
	// member cannot.
	zhangMsg := e.TG.SendText(g, apptest.Zhang, "今天身体不舒服")
	e.TG.SendText(g, apptest.Li, "/leave today", telegramtest.ReplyTo(zhangMsg.ID))
	e.WaitSent(g.ID, "只有群管理员可以为他人登记请假")
	e.MakeAdmin(g.ID, apptest.Wang)
	e.TG.SendText(g, apptest.Wang, "/leave today", telegramtest.ReplyTo(zhangMsg.ID))
	e.WaitSent(g.ID, "已登记：张伟 请假 2026-11-30")

	e.TG.SendText(g, apptest.Wang, "/today")
	today := e.WaitSent(g.ID, "📋 今日打卡 ·")
	if !strings.Contains(today.Text, "张伟（请假）") || strings.Contains(today.Text, "未打卡：王芳、李强、张伟") {
		t.Errorf("/today = %q, want Zhang away and not among the missing", today.Text)
	}
}

func TestScheduleCommand(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(checkinYAML))
	g := setupVillage(t, e, -3012, "谢家坞村", apptest.Wang, apptest.Li)
	e.TG.SendText(g, apptest.Li, "/schedule")
	e.WaitSent(g.ID, "只有群管理员可以")

	e.MakeAdmin(g.ID, apptest.Wang)
	e.TG.SendText(g, apptest.Wang, "/schedule")
	e.WaitSent(g.ID, "checkin_reminder：0 10 * * *（默认），下次 2026-11-30 10:00")
	e.TG.SendText(g, apptest.Wang, "/schedule checkin_reminder 61 9 * * *")
	e.WaitSent(g.ID, "无效的时间表达式，checkin_reminder 保持不变")
	grp, err := e.DB.Group(context.Background(), g.ID)
	if err != nil || grp.Schedules["checkin_reminder"] != "" {
		t.Fatalf("after a bad spec the schedule is %q (%v), want the default kept", grp.Schedules["checkin_reminder"], err)
	}
	e.TG.SendText(g, apptest.Wang, "/schedule checkin_reminder 30 9 * * *")
	e.WaitSent(g.ID, "checkin_reminder：30 9 * * *（本群设置），下次 2026-11-30 09:30")
	e.TG.SendText(g, apptest.Wang, "/schedule nosuch 0 9 * * *")
	e.WaitSent(g.ID, "可用任务：checkin_reminder, checkin_final_reminder")

	// The group's own schedule is what the scheduler runs.
	fireAt(t, e, time.Date(2026, 11, 30, 9, 30, 0, 0, apptest.Shanghai), 1)
	e.WaitSent(g.ID, "打卡提醒")
	if m := counter(e.App.Metrics.JobRuns.WithLabelValues("checkin_reminder", "ran")); m != 1 {
		t.Errorf("reminder runs = %v, want 1", m)
	}
}
