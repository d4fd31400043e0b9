package digest

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"cadrebot"
	"cadrebot/attendance"
	"cadrebot/units"
)

// dayAt is midnight starting day s in Shanghai: a milestone's Due.
func dayAt(s string) time.Time { return at(s + " 00:00") }

func project(id, chat int64, town string, created string, ms ...cadrebot.Milestone) cadrebot.Project {
	return cadrebot.Project{ID: id, VillageChat: chat, Village: "村" + itoa64(id), Town: town, Name: "项目" + itoa64(id),
		Created: at(created), Milestones: ms}
}

func TestProjectCounts(t *testing.T) {
	week := WeekOf(date("2026-11-30"), shanghai) // Mon 11-30 to Sun 12-06
	now := at("2026-12-07 09:00")
	done := func(name, due, doneAt string) cadrebot.Milestone {
		return cadrebot.Milestone{Name: name, Due: dayAt(due), DoneAt: at(doneAt), DoneBy: "王芳"}
	}
	open := func(name, due string) cadrebot.Milestone { return cadrebot.Milestone{Name: name, Due: dayAt(due)} }
	finished := project(1, -1, "平水镇", "2026-11-01 09:00", done("a", "2026-11-20", "2026-11-19 10:00"), done("b", "2026-12-02", "2026-12-01 10:00"))
	finished.DoneAt = at("2026-12-01 10:00")
	ps := []cadrebot.Project{
		finished,
		project(2, -1, "平水镇", "2026-11-10 09:00",
			open("late", "2026-12-05"),      // overdue at now
			open("due today", "2026-12-07"), // not overdue: its day has not ended; due next week
			open("next", "2026-12-13"),      // due next week (12-07 to 12-13)
			open("later", "2026-12-14")),    // after next week
		project(3, -2, "王坛镇", "2026-12-01 09:00", done("c", "2026-12-10", "2026-12-03 09:00"), open("d", "2026-12-30")),
		project(4, -3, "", "2026-12-08 09:00", open("future", "2026-12-10")), // created after now
	}
	by := ProjectCountsByVillage(ps, week, now)
	want := map[int64]ProjectCounts{
		-1: {Active: 1, Completed: 1, Done: 1, DueNext: 2, Overdue: 1},
		-2: {Active: 1, Done: 1},
	}
	if diff := cmp.Diff(want, by); diff != "" {
		t.Errorf("ProjectCountsByVillage (-want +got):\n%s", diff)
	}
	d := &Data{Period: week, Now: now, Projects: ps}
	towns := ProjectCountsBy(ps, week, now, d.unitOf)
	if got := towns["平水镇"]; got != want[-1] {
		t.Errorf("平水镇 = %+v", got)
	}
	// A unit tree (UnitOf) wins over the towns the projects recorded.
	d.UnitOf = func(chat int64) string { return "绍兴市柯桥区" }
	if got := ProjectCountsBy(ps, week, now, d.unitOf); len(got) != 1 || got["绍兴市柯桥区"].Active != 2 {
		t.Errorf("by unit = %+v", got)
	}
}

func TestVillageProjectSection(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-30"), shanghai)
	p := project(1, -1, "平水镇", "2026-11-10 09:00",
		cadrebot.Milestone{Name: "设计 <b>", Due: dayAt("2026-12-02"), DoneAt: at("2026-12-01 10:00")},
		cadrebot.Milestone{Name: "招标", Due: dayAt("2026-12-04")},
		cadrebot.Milestone{Name: "开工", Due: dayAt("2026-12-09")})
	p.Name = "停车场 & 公园"
	d := &Data{Period: week, Now: at("2026-12-07 09:00"), Projects: []cadrebot.Project{p},
		Checkins: map[int64]*attendance.Period{}}
	rep := c.Village(d, -1, "青山村", "zh", Digest)
	for _, want := range []string{
		"🏗 <b>项目</b>：进行中 1 个 · 本期完成节点 1 个 · 下周到期 1 个 · 逾期 1 个",
		"✅ P1 停车场 &amp; 公园：设计 &lt;b&gt;",
		"⏰ P1 停车场 &amp; 公园：开工（12/9 到期）",
		"⚠️ P1 停车场 &amp; 公园：招标（期限 12/4，已逾期）",
	} {
		if !strings.Contains(rep.Text, want) {
			t.Errorf("village report lacks %q:\n%s", want, rep.Text)
		}
	}
	if rep.Empty {
		t.Error("a village with only a project is reported empty")
	}
	// A village without projects has no section.
	if rep := c.Village(d, -2, "绿水村", "zh", Digest); strings.Contains(rep.Text, "项目") {
		t.Errorf("a village without projects:\n%s", rep.Text)
	}
	tree := units.New(c.Cfg, nil, nil)
	tree.AddVillage(-1, "青山村", "平水镇")
	dep := c.Deployment(d, tree, "zh", Digest)
	if !strings.Contains(dep.Text, "平水镇：进行中 1 · 完成节点 1 · 下周到期 1 · 逾期 1") {
		t.Errorf("leaders' report lacks the town:\n%s", dep.Text)
	}
}

func TestSupportAndSatisfactionInReports(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-30"), shanghai)
	now := at("2026-12-07 09:00")
	a := problem(1, "2026-11-30 10:00", cadrebot.StatusResolved)
	a.Support, a.ResolvedAt, a.Rating = []string{"county"}, at("2026-12-01 10:00"), cadrebot.RatingSatisfied
	a.SupportNoted = map[string]time.Time{"county": at("2026-11-30 15:00")}
	b := problem(2, "2026-11-30 11:00", cadrebot.StatusAccepted) // overdue since 12-03
	b.Support = []string{"county"}
	e := problem(3, "2026-12-01 11:00", cadrebot.StatusReopened)
	e.Rating = cadrebot.RatingUnsatisfied
	d := &Data{Period: week, Now: now, Problems: []cadrebot.Problem{a, b, e}}
	s := d.Support("county")
	if len(s.Work) != 2 || s.Active != 1 || s.Noted != 1 || s.Figures.OnTime != 1 || s.Figures.OnTimeOf != 2 {
		t.Errorf("Support(county) = %d work, %d active, %d noted, on time %d/%d", len(s.Work), s.Active, s.Noted,
			s.Figures.OnTime, s.Figures.OnTimeOf)
	}
	rep := c.Department(d, []string{"county"}, "zh", Digest)
	if !strings.Contains(stripTags(rep.Text), "🤝 协办 2 件（在办 1 件，已反馈进展 1 件）· 按期办结率 50.0%（1/2）") {
		t.Errorf("department report:\n%s", rep.Text)
	}
	traffic := c.Department(d, []string{"traffic"}, "zh", Digest)
	if strings.Contains(traffic.Text, "协办") || !strings.Contains(traffic.Text, "满意率 50.0%（1/2）") {
		t.Errorf("lead's report:\n%s", traffic.Text)
	}
	v := c.Village(&Data{Period: week, Now: now, Problems: []cadrebot.Problem{a, b, e}, Checkins: map[int64]*attendance.Period{}},
		-1, "青山村", "zh", Digest)
	if !strings.Contains(v.Text, "· 满意率 50.0%（1/2）") {
		t.Errorf("village report:\n%s", v.Text)
	}

	x := &ExportData{Period: week, Now: now, Problems: []cadrebot.Problem{a, b, e}}
	dt := c.departmentTable(x, "zh")
	want := [][]any{
		{"交通运输局", "traffic", 3, 1, pct(1, 3), pct(1, 3), pct(1, 2), 2, 0, 0, pct(0, 0), 0}, // #2 and #3 late
		{"县驻村办", "county", 0, 0, pct(0, 0), pct(0, 0), pct(0, 0), 0, 2, 1, pct(1, 2), 1},
	}
	if diff := cmp.Diff(want, dt.Rows); diff != "" {
		t.Errorf("部门 rows (-want +got):\n%s", diff)
	}
}

func TestProjectTable(t *testing.T) {
	c := composer(t)
	week := WeekOf(date("2026-11-30"), shanghai)
	active := project(1, -1, "平水镇", "2026-11-10 09:00",
		cadrebot.Milestone{Name: "设计", Due: dayAt("2026-12-02"), DoneAt: at("2026-12-01 10:00"), DoneBy: "李强"},
		cadrebot.Milestone{Name: "招标", Due: dayAt("2026-12-04")})
	active.Budget, active.LeadName, active.Lead = "50万元", "李强", 1002
	old := project(2, -1, "平水镇", "2026-10-01 09:00", cadrebot.Milestone{Name: "x", Due: dayAt("2026-10-10"), DoneAt: at("2026-10-09 09:00")})
	old.DoneAt = at("2026-10-09 09:00")
	future := project(3, -1, "平水镇", "2026-12-08 09:00", cadrebot.Milestone{Name: "y", Due: dayAt("2026-12-20")})
	x := &ExportData{Period: week, Now: at("2026-12-07 09:00"), Projects: []cadrebot.Project{active, old, future},
		ProjectHistory: map[int64][]cadrebot.ProjectEntry{1: {
			{At: at("2026-11-10 09:00"), Action: cadrebot.PjCreate, Name: "王芳"},
			{At: at("2026-12-01 09:00"), Action: cadrebot.PjNote, Name: "李强", Note: "送审", Photos: []string{"AgA1", "AgA2"}}}}}
	tb := c.projectTable(x, "zh")
	if len(tb.Rows) != 1 {
		t.Fatalf("rows %v, want only P1 (P2 finished before, P3 created after)", tb.Rows)
	}
	r := tb.Rows[0]
	if len(r) != len(tb.Header) {
		t.Fatalf("%d cells for %d columns", len(r), len(tb.Header))
	}
	cell := func(col string) any {
		for i, h := range tb.Header {
			if h == col {
				return r[i]
			}
		}
		t.Fatalf("no column %q in %v", col, tb.Header)
		return nil
	}
	for col, want := range map[string]any{"项目编号": "P1", "预算": "50万元", "节点数": 2, "已完成节点": 1, "逾期节点": 1,
		"下一个节点": "招标", "下一节点期限": "2026-12-04", "进展条数": 1, "照片（file_id）": "AgA1\nAgA2"} {
		if got := cell(col); got != want {
			t.Errorf("%s = %v, want %v", col, got, want)
		}
	}
	if ms := cell("节点明细").(string); !strings.Contains(ms, "2026-12-02 设计 · 李强 2026-12-01 10:00 完成") || !strings.Contains(ms, "2026-12-04 招标 · 已逾期") {
		t.Errorf("milestones cell %q", ms)
	}
	if n := cell("进展记录").(string); !strings.Contains(n, "2026-12-01 09:00 李强：送审 [照片 2 张]") {
		t.Errorf("progress cell %q", n)
	}
}

// BenchmarkProjectCounts is the leaders' digest's project figures for a
// deployment of 2,000 villages with two projects of five milestones each:
//
//	go test -run '^$' -bench BenchmarkProjectCounts ./digest/
func BenchmarkProjectCounts(b *testing.B) {
	week := WeekOf(date("2026-11-30"), shanghai)
	now := at("2026-12-07 09:00")
	var ps []cadrebot.Project
	for v := range 2000 {
		for k := range 2 {
			p := project(int64(v*2+k+1), int64(-v-1), "镇"+itoa64(int64(v%40)), "2026-10-01 09:00")
			for m := range 5 {
				ms := cadrebot.Milestone{Name: "节点", Due: dayAt("2026-11-20").AddDate(0, 0, 7*m+v%7)}
				if m < 2 {
					ms.DoneAt = ms.Due.Add(-time.Hour)
				}
				p.Milestones = append(p.Milestones, ms)
			}
			ps = append(ps, p)
		}
	}
	d := &Data{Period: week, Now: now, Projects: ps}
	for b.Loop() {
		if by := ProjectCountsBy(d.Projects, week, now, d.unitOf); len(by) != 40 {
			b.Fatalf("%d towns, want 40", len(by))
		}
	}
}
