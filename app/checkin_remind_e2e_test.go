package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"cadrebot/apptest"
	"cadrebot/attendance"
	"cadrebot/calendar"
)

// counter reads a Prometheus counter.
func counter(c prometheus.Counter) float64 {
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// jobRuns is how many check-in reminder firings have completed.
func jobRuns(e *apptest.Env) float64 {
	n := 0.0
	for _, job := range []string{"checkin_reminder", "checkin_final_reminder"} {
		for _, r := range []string{"ran", "failed"} {
			n += counter(e.App.Metrics.JobRuns.WithLabelValues(job, r))
		}
	}
	return n
}

// fireAt moves the fake clock to at and waits for n reminder firings due
// then to complete. The scheduler wakes on the clock by itself; the
// explicit Tick only closes the race where the clock moves while the
// loop is between reading it and parking, and the firing's lock and done
// marker keep the two from running it twice.
func fireAt(t *testing.T, e *apptest.Env, at time.Time, n int) {
	t.Helper()
	want := jobRuns(e) + float64(n)
	e.Clock.Set(at)
	if err := e.App.Scheduler.Tick(context.Background(), at.Add(-time.Second), at); err != nil {
		t.Fatal(err)
	}
	e.Wait("the reminder firing to complete", func() bool { return jobRuns(e) >= want })
	e.Drain()
}

// reminders returns the bot's reminder messages in a chat.
func reminders(e *apptest.Env, chat int64) []*models.Message {
	var out []*models.Message
	for _, m := range e.TG.Sent(chat) {
		if strings.Contains(m.Text, "⏰") {
			out = append(out, m)
		}
	}
	return out
}

// mentioned returns the users a message mentions with tg://user links.
func mentioned(m *models.Message) []int64 {
	var out []int64
	for _, en := range m.Entities {
		if en.Type == models.MessageEntityTypeTextMention && en.User != nil {
			out = append(out, en.User.ID)
		}
	}
	slices.Sort(out)
	return out
}

func TestReminderListsExactlyTheMissing(t *testing.T) {
	yaml := checkinYAML + `  max_reminders_per_day: 1
schedules:
  checkin_final_reminder: "0 16 * * *"
`
	e := apptest.Start(t, apptest.WithYAML(yaml))
	g := setupVillage(t, e, -3101, "谢家坞村", apptest.Wang, apptest.Li, apptest.Zhang, apptest.Emma)
	all := setupVillage(t, e, -3102, "东山村", apptest.Wang)

	waitReaction(t, e, g.ID, e.TG.SendText(g, apptest.Wang, "打卡"))
	waitReaction(t, e, all.ID, e.TG.SendText(all, apptest.Wang, "打卡"))
	e.TG.SendText(g, apptest.Zhang, "/leave today")
	e.WaitSent(g.ID, "已登记：张伟 请假")

	fireAt(t, e, time.Date(2026, 11, 30, 10, 0, 0, 0, apptest.Shanghai), 1)
	rs := reminders(e, g.ID)
	if len(rs) != 1 {
		t.Fatalf("%d reminders in the group, want 1", len(rs))
	}
	if got, want := mentioned(rs[0]), []int64{apptest.Li.ID, apptest.Emma.ID}; !slices.Equal(got, want) {
		t.Errorf("reminder mentions %v, want exactly Li and Emma %v:\n%s", got, want, rs[0].Text)
	}
	if !strings.Contains(rs[0].Text, "以下 2 位驻村指导员") {
		t.Errorf("reminder = %q", rs[0].Text)
	}
	if n := len(reminders(e, all.ID)); n != 0 {
		t.Errorf("a group where everyone checked in got %d reminders", n)
	}

	// At most one reminder per person per day: the final reminder has
	// nobody left to remind.
	fireAt(t, e, time.Date(2026, 11, 30, 16, 0, 0, 0, apptest.Shanghai), 1)
	if n := len(reminders(e, g.ID)); n != 1 {
		t.Errorf("%d reminders after the final one, want still 1 (the daily cap)", n)
	}
	// The next day the cap starts afresh.
	fireAt(t, e, time.Date(2026, 12, 1, 10, 0, 0, 0, apptest.Shanghai), 1)
	rs = reminders(e, g.ID)
	if len(rs) != 2 || len(mentioned(rs[1])) != 4 {
		t.Errorf("next day's reminder = %d messages, mentions %v", len(rs), mentioned(rs[len(rs)-1]))
	}
}

func TestReminderMentionsOffGoesToAdmins(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(checkinYAML))
	g := setupVillage(t, e, -3103, "谢家坞村", apptest.Wang, apptest.Li, apptest.Zhang)
	e.MakeAdmin(g.ID, apptest.Wang)
	e.TG.StartPrivate(apptest.Wang)
	e.TG.SendText(g, apptest.Wang, "/schedule mentions off")
	e.WaitSent(g.ID, "私信给群管理员")
	waitReaction(t, e, g.ID, e.TG.SendText(g, apptest.Wang, "打卡"))

	fireAt(t, e, time.Date(2026, 11, 30, 10, 0, 0, 0, apptest.Shanghai), 1)
	rs := reminders(e, g.ID)
	if len(rs) != 1 || len(mentioned(rs[0])) != 0 || !strings.Contains(rs[0].Text, "还有 2 位驻村指导员") {
		t.Fatalf("group reminders = %d, want one with the count and no mentions", len(rs))
	}
	if strings.Contains(rs[0].Text, "李强") {
		t.Errorf("the group reminder names people: %q", rs[0].Text)
	}
	dm := e.WaitSent(apptest.Wang.ID, "谢家坞村 今天还有 2 位驻村指导员没有打卡")
	if got, want := mentioned(dm), []int64{apptest.Li.ID, apptest.Zhang.ID}; !slices.Equal(got, want) {
		t.Errorf("admin list mentions %v, want %v", got, want)
	}
}

func TestReminderByDMAndRefusedDM(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(checkinYAML))
	g := setupVillage(t, e, -3104, "谢家坞村", apptest.Wang, apptest.Li, apptest.Emma)
	e.TG.SendText(g, apptest.Li, "/remindme")
	e.WaitSent(g.ID, "请在与 @cadrebot_bot 的私聊中发送 /remindme")
	for _, u := range []models.User{apptest.Li, apptest.Emma} {
		dm := e.TG.Private(u)
		e.TG.SendText(dm, u, "/remindme")
		e.WaitSent(dm.ID, "")
	}
	e.TG.BlockBot(apptest.Emma.ID)
	e.Drain()

	fireAt(t, e, time.Date(2026, 11, 30, 10, 0, 0, 0, apptest.Shanghai), 1)
	e.WaitSent(apptest.Li.ID, "您今天还没有在 谢家坞村 打卡")
	rs := reminders(e, g.ID)
	if len(rs) != 1 {
		t.Fatalf("%d group reminders, want 1", len(rs))
	}
	// Li got a DM instead; Emma's DM was refused, so she is mentioned
	// with the way to enable DMs.
	if got, want := mentioned(rs[0]), []int64{apptest.Wang.ID, apptest.Emma.ID}; !slices.Equal(got, want) {
		t.Errorf("group reminder mentions %v, want %v", got, want)
	}
	if !strings.Contains(rs[0].Text, "Emma：无法私信提醒您") || !strings.Contains(rs[0].Text, "@cadrebot_bot") {
		t.Errorf("group reminder lacks the DM hint: %q", rs[0].Text)
	}
	st, err := e.DB.UserState(context.Background(), apptest.Emma.ID)
	if err != nil || st.Started {
		t.Errorf("Emma still marked as reachable by DM: %+v, %v", st, err)
	}
}

// TestHolidayMakeupDayLeaveAndRates walks through Spring Festival 2026:
// leave on Thursday and Friday, the 调休 Saturday 14 February (a
// workday: reminders, streaks), the holiday Monday 16 February (no
// reminder), and the rates that come out of it.
func TestHolidayMakeupDayLeaveAndRates(t *testing.T) {
	thu := time.Date(2026, 2, 12, 9, 0, 0, 0, apptest.Shanghai)
	e := apptest.Start(t, apptest.WithYAML(checkinYAML), apptest.WithTime(thu))
	g := setupVillage(t, e, -3105, "谢家坞村", apptest.Wang, apptest.Li)
	e.TG.SendText(g, apptest.Li, "/leave 2026-02-12 2026-02-13")
	e.WaitSent(g.ID, "已登记：李强 请假 2026-02-12 至 2026-02-13（2 个工作日）")
	for _, day := range []time.Time{thu, thu.AddDate(0, 0, 1), thu.AddDate(0, 0, 2)} {
		e.Clock.Set(day)
		waitReaction(t, e, g.ID, e.TG.SendText(g, apptest.Wang, "打卡"))
	}
	// Saturday is a workday: the streak counts it.
	e.WaitSent(g.ID, "王芳 已连续打卡 3 个工作日")
	fireAt(t, e, time.Date(2026, 2, 14, 10, 0, 0, 0, apptest.Shanghai), 1)
	rs := reminders(e, g.ID)
	if len(rs) != 1 || !slices.Equal(mentioned(rs[0]), []int64{apptest.Li.ID}) {
		t.Fatalf("调休 Saturday reminders = %d, want one for Li", len(rs))
	}

	// The festival: no reminder, and /today says why.
	e.Clock.Set(time.Date(2026, 2, 16, 9, 0, 0, 0, apptest.Shanghai))
	e.TG.SendText(g, apptest.Wang, "/today")
	e.WaitSent(g.ID, "今天是法定节假日（春节）")
	fireAt(t, e, time.Date(2026, 2, 16, 10, 0, 0, 0, apptest.Shanghai), 1)
	if n := len(reminders(e, g.ID)); n != 1 {
		t.Errorf("%d reminders after the holiday, want still 1", n)
	}

	// Rates over the week: 6 workdays (Mon-Fri and the 调休 Saturday), of
	// which the three from Thursday, when they joined, are in service.
	// Wang checked in all 3; Li was on leave 2 and missed Saturday.
	ctx := context.Background()
	from, to := calendar.MustParseDate("2026-02-09"), calendar.MustParseDate("2026-02-22")
	ps, err := e.DB.CheckinPeriods(ctx, []int64{g.ID}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	r := attendance.Rates(e.App.Calendar, ps[g.ID])
	if r.Workdays != 6 || r.Members[0].Workdays != 3 || r.Members[0].Percent() != "100.0%" || r.Members[1].Percent() != "0.0%" ||
		r.Members[1].Leave != 2 || r.Percent() != "75.0%" {
		t.Errorf("rates = %d workdays, Wang %s of %d, Li %s (leave %d), group %s; want 6, 100.0%% of 3, 0.0%%, 2, 75.0%%",
			r.Workdays, r.Members[0].Percent(), r.Members[0].Workdays, r.Members[1].Percent(), r.Members[1].Leave, r.Percent())
	}
	// /today shows the month so far: 2-6, 9-13 and 14 February are 11
	// workdays, 3 of them in service; Wang 3 of 3, Li 0 of 1: 3 of 4.
	e.Clock.Set(time.Date(2026, 2, 24, 9, 0, 0, 0, apptest.Shanghai))
	e.TG.SendText(g, apptest.Li, "/today")
	e.WaitSent(g.ID, "本月打卡率（截至昨日，11 个工作日）：75.0%")
}

func TestReminderCatchUpAfterDowntime(t *testing.T) {
	e := apptest.Start(t, apptest.WithYAML(checkinYAML))
	g := setupVillage(t, e, -3106, "谢家坞村", apptest.Wang)

	// Down over 10:00, back at 11:00 the same workday: it runs once.
	e.Stop()
	e.Clock.Set(time.Date(2026, 11, 30, 11, 0, 0, 0, apptest.Shanghai))
	e.Restart()
	e.Wait("the missed reminder to run", func() bool { return jobRuns(e) >= 1 })
	e.Drain()
	if n := len(reminders(e, g.ID)); n != 1 {
		t.Fatalf("%d reminders after a same-day restart, want 1", n)
	}

	// Down from before 10:00 on Tuesday until Wednesday morning: Tuesday's
	// reminder is dropped, not replayed.
	e.Stop()
	e.Clock.Set(time.Date(2026, 12, 2, 9, 0, 0, 0, apptest.Shanghai))
	e.Restart()
	e.Wait("the missed firing to be skipped", func() bool {
		return counter(e.App.Metrics.JobRuns.WithLabelValues("checkin_reminder", "missed")) >= 1
	})
	e.Drain()
	if n := len(reminders(e, g.ID)); n != 1 {
		t.Errorf("%d reminders after a restart on the next day, want still 1", n)
	}
}

func TestCalendarOverridesInConfig(t *testing.T) {
	// The deployment gives Monday 30 November off and makes Saturday
	// 5 December a working day.
	yaml := checkinYAML + `
calendar:
  holidays: ["2026-11-30"]
  workdays: ["2026-12-05"]
`
	e := apptest.Start(t, apptest.WithYAML(yaml))
	g := setupVillage(t, e, -3107, "谢家坞村", apptest.Wang)
	fireAt(t, e, time.Date(2026, 11, 30, 10, 0, 0, 0, apptest.Shanghai), 1)
	if n := len(reminders(e, g.ID)); n != 0 {
		t.Errorf("%d reminders on a configured holiday", n)
	}
	fireAt(t, e, time.Date(2026, 12, 5, 10, 0, 0, 0, apptest.Shanghai), 1)
	if n := len(reminders(e, g.ID)); n != 1 {
		t.Errorf("%d reminders on a configured workday Saturday, want 1", n)
	}
}
