package digest

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/calendar"
	"cadrebot/config"
	"cadrebot/i18n"
	"cadrebot/units"
)

var cal = calendar.New(calendar.Overrides{})

func composer(t *testing.T) *Composer {
	t.Helper()
	texts, err := i18n.Load("zh")
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Defaults()
	cfg.Departments = []config.Department{{ID: "traffic", Name: "交通运输局", NameEn: "Transport Bureau"}, {ID: "county", Name: "县驻村办"}}
	cfg.Categories = []config.Category{{ID: "parking", Name: "停车与交通", NameEn: "Parking", Department: "traffic"}}
	return &Composer{Texts: texts, Cal: cal, Cfg: &cfg}
}

var tags = regexp.MustCompile(`</?b>`)

// stripTags drops the bold tags, leaving escaped text as it is.
func stripTags(s string) string { return tags.ReplaceAllString(s, "") }

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

// problem is an open problem of village chat -1, reported at created.
func problem(id int64, created string, st cadrebot.Status) cadrebot.Problem {
	c := at(created)
	return cadrebot.Problem{ID: id, Status: st, VillageChat: -1, Village: "青山村", Dept: "traffic", Category: "parking",
		Text: "问题", Created: c, SLA: 72 * time.Hour, Due: c.Add(72 * time.Hour)}
}

// TestPastPeriodOpen: the statistics of a past month list as open only
// what was reported by the month's end, not what came in since.
func TestPastPeriodOpen(t *testing.T) {
	c := composer(t)
	nov := MonthOf(2026, time.November, shanghai)
	d := &Data{Period: nov, Now: at("2026-12-10 10:00"), History: map[int64][]cadrebot.Entry{},
		Problems: []cadrebot.Problem{problem(1, "2026-11-10 10:00", cadrebot.StatusNew), problem(2, "2026-12-02 10:00", cadrebot.StatusNew)}}
	r := c.Village(d, -1, "青山村", "zh", Stats)
	if !strings.Contains(r.Text, "未办结：#1") || strings.Contains(r.Text, "#2") {
		t.Errorf("November's statistics list December's problem #2, or miss #1:\n%s", r.Text)
	}
	if got := len(d.OldestOpen(5)); got != 1 {
		t.Errorf("OldestOpen = %d problems, want 1", got)
	}
}

func TestVillageEdgeCases(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-30"), shanghai)
	member := cadrebot.Member{UserID: 1, Name: "王<b>芳</b>&", Index: 0}
	allLeave := map[int64]attendance.Leaves{1: {{From: week.From, To: week.To, Kind: cadrebot.LeaveAbsence}}}
	tests := []struct {
		name    string
		period  Period
		roster  []cadrebot.Member
		leaves  map[int64]attendance.Leaves
		ps      []cadrebot.Problem
		empty   bool
		want    []string
		notWant []string
	}{
		{name: "no roster, no problems", period: week, empty: true},
		{name: "no roster, an open problem", period: week, ps: []cadrebot.Problem{problem(5, "2026-11-10 10:00", cadrebot.StatusNew)},
			want: []string{"本群名单上还没有驻村指导员", "未办结 1 件", "未办结：#5", "逾期：#5", "办结率 —（本期无新报问题）"}},
		{name: "everyone on leave", period: week, roster: []cadrebot.Member{member}, leaves: allLeave,
			want: []string{"打卡率 —", "本期全员请假", "1. 王&lt;b&gt;芳&lt;/b&gt;&amp; —（0/0，请假 5 天）"}, notWant: []string{"<b>芳"}},
		{name: "a week of Spring Festival", period: WeekOf(date("2026-02-16"), shanghai), roster: []cadrebot.Member{member},
			want: []string{"本期没有工作日（春节）", "📝"}},
		{name: "nobody checked in", period: week, roster: []cadrebot.Member{member},
			want: []string{"打卡率 0.0%（5 个工作日", "1. 王&lt;b&gt;芳&lt;/b&gt;&amp; 0.0%（0/5）", "异地打卡：无"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Data{Period: tt.period, Now: tt.period.End().Add(9 * time.Hour), Problems: tt.ps, History: map[int64][]cadrebot.Entry{},
				Checkins: map[int64]*attendance.Period{-1: {Chat: -1, From: tt.period.From, To: tt.period.To, Roster: tt.roster, Leaves: tt.leaves}}}
			r := c.Village(d, -1, "青山村", "zh", Digest)
			if r.Empty != tt.empty {
				t.Fatalf("Empty = %v, want %v:\n%s", r.Empty, tt.empty, r.Text)
			}
			if tt.empty {
				return
			}
			for _, w := range tt.want {
				if !strings.Contains(stripTags(r.Text), w) {
					t.Errorf("text lacks %q:\n%s", w, r.Text)
				}
			}
			for _, w := range append(tt.notWant, "NaN", "Inf") {
				if strings.Contains(r.Text, w) {
					t.Errorf("text has %q:\n%s", w, r.Text)
				}
			}
			if len(r.Chart.Days) != 7 || r.Chart.Days[0].Label != "周一 "+fmt.Sprintf("%02d-%02d", int(tt.period.From.Month), tt.period.From.Day) {
				t.Errorf("chart days = %+v", r.Chart.Days)
			}
		})
	}
}

func TestLongListsAreCut(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-30"), shanghai)
	var ps []cadrebot.Problem
	for i := range 25 {
		ps = append(ps, problem(int64(i+1), "2026-12-01 10:00", cadrebot.StatusNew))
	}
	d := &Data{Period: week, Now: at("2026-12-07 09:00"), Problems: ps}
	r := c.Village(d, -1, "青山村", "zh", Digest)
	if !strings.Contains(r.Text, "新报：#1 #2") || !strings.Contains(r.Text, "#20 …另 5 件") || strings.Contains(r.Text, "#21") {
		t.Errorf("25 ids not cut at 20:\n%s", r.Text)
	}
	dep := c.Department(d, []string{"traffic"}, "zh", Digest)
	if n := strings.Count(dep.Text, "\n#"); n != maxQueueLines || !strings.Contains(dep.Text, "…另有 10 件") {
		t.Errorf("queue shows %d items, want %d and the rest counted:\n%s", n, maxQueueLines, dep.Text)
	}
}

func TestTrendAsOfHistory(t *testing.T) {
	week := WeekOf(date("2026-11-30"), shanghai)
	// Reported the week before: #1 resolved in it; #2 resolved only this
	// week; #3 resolved in it but reopened and still open.
	p1 := problem(1, "2026-11-23 10:00", cadrebot.StatusClosed)
	p2 := problem(2, "2026-11-24 10:00", cadrebot.StatusResolved)
	p3 := problem(3, "2026-11-25 10:00", cadrebot.StatusReopened)
	// This week: #4 resolved, #5 open.
	p4 := problem(4, "2026-12-01 10:00", cadrebot.StatusResolved)
	p5 := problem(5, "2026-12-02 10:00", cadrebot.StatusNew)
	e := func(when string, to cadrebot.Status) cadrebot.Entry { return cadrebot.Entry{At: at(when), To: to} }
	hist := map[int64][]cadrebot.Entry{
		1: {e("2026-11-23 10:00", "new"), e("2026-11-24 10:00", "resolved"), {At: at("2026-11-25 10:00"), Action: cadrebot.ActRemind}, e("2026-12-01 10:00", "closed")},
		2: {e("2026-11-24 10:00", "new"), e("2026-12-02 10:00", "resolved")},
		3: {e("2026-11-25 10:00", "new"), e("2026-11-26 10:00", "resolved"), e("2026-12-03 10:00", "reopened")},
	}
	d := &Data{Period: week, Now: at("2026-12-07 09:00"), Problems: []cadrebot.Problem{p1, p2, p3, p4, p5}, History: hist}
	v := d.Village(-1, "青山村", cal)
	if v.Prev.Total != 3 || v.Prev.Done != 2 {
		t.Errorf("previous week as of its end = %d of %d done, want 2 of 3 (#1 and #3 then)", v.Prev.Done, v.Prev.Total)
	}
	if v.Fig.Total != 2 || v.Fig.Done != 1 {
		t.Errorf("this week = %d of %d, want 1 of 2", v.Fig.Done, v.Fig.Total)
	}
	if dir, ok := v.Trend(); !ok || dir != -1 {
		t.Errorf("Trend = %d, %v; want down (50.0%% after 66.7%%)", dir, ok)
	}
	// Without histories there is no trend, rather than a wrong one.
	d2 := &Data{Period: week, Now: d.Now, Problems: d.Problems}
	if _, ok := d2.Village(-1, "", cal).Trend(); ok {
		t.Error("trend without history")
	}
}

func TestDeploymentLeague(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-30"), shanghai)
	d := &Data{Period: week, Now: at("2026-12-07 09:00"), Checkins: map[int64]*attendance.Period{}}
	tree := units.New(c.Cfg, nil, nil)
	for i := range 40 {
		chat := int64(-100 - i)
		tree.AddVillage(chat, fmt.Sprintf("村%02d", i), "")
		bits := map[int][]byte{2026: make([]byte, attendance.RowBytes)}
		// Village i checks in on i%6 of the 5 workdays: rates 0..100%.
		for k := 0; k < i%6 && k < 5; k++ {
			off := attendance.BitOffset(0, week.From.AddDays(k))
			bits[2026][off/8] |= 0x80 >> (off % 8)
		}
		d.Checkins[chat] = &attendance.Period{Chat: chat, From: week.From, To: week.To,
			Roster: []cadrebot.Member{{UserID: 1, Name: "x"}}, Bits: bits}
	}
	r := c.Deployment(d, tree, "zh", Digest)
	lines := strings.Split(r.Text, "\n")
	var league []string
	for _, l := range lines {
		if strings.Contains(l, ". 村") {
			league = append(league, l)
		}
	}
	if len(league) != 2*leagueEnds || !strings.HasPrefix(league[0], "1. ") || !strings.Contains(league[0], "100.0%") ||
		!strings.HasPrefix(league[len(league)-1], "40. ") || !strings.Contains(league[len(league)-1], "0.0%") {
		t.Errorf("league = %q, want the top and bottom %d of 40, best first", league, leagueEnds)
	}
	if !strings.Contains(r.Text, "中间 20 个略，完整排名见附件") || !strings.Contains(r.Text, "没有未办结的问题") {
		t.Errorf("deployment digest:\n%s", r.Text)
	}
	if len(r.Attachment) != 2 || len(r.Attachment[1].Rows) != 40 || r.AttachmentName != "全县-2026-W49.xlsx" {
		t.Errorf("attachment = %d tables, %q", len(r.Attachment), r.AttachmentName)
	}
	if !strings.Contains(r.Text, "1. 交通运输局 —（0/0）") {
		t.Errorf("departments with nothing to judge show —:\n%s", r.Text)
	}
	// No villages and no problems: nothing to send.
	if r := c.Deployment(&Data{Period: week, Now: d.Now}, units.New(c.Cfg, nil, nil), "zh", Digest); !r.Empty {
		t.Errorf("empty deployment digest not Empty:\n%s", r.Text)
	}
}

func TestEnglishDepartmentNames(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-30"), shanghai)
	d := &Data{Period: week, Now: at("2026-12-07 09:00"), Problems: []cadrebot.Problem{problem(1, "2026-12-01 10:00", cadrebot.StatusAccepted)}}
	r := c.Department(d, []string{"traffic"}, "en", Digest)
	for _, w := range []string{"Transport Bureau weekly digest (Nov 30 to Dec 6)", "Queue: 1", "#1 青山村 · Parking · 5 days old · in progress",
		"1 overdue: #1 (3.0 days late)", "0 resolved in this period", "Median time to resolve — · on-time rate 0.0% (0/1)"} {
		if !strings.Contains(stripTags(r.Text), w) {
			t.Errorf("English department digest lacks %q:\n%s", w, r.Text)
		}
	}
}
