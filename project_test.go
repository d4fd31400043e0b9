package cadrebot

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func sday(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, shanghai) }

func TestParseMilestones(t *testing.T) {
	today := sday(2026, 11, 30)
	type ms struct {
		Name string
		Due  time.Time
	}
	tests := []struct {
		name    string
		text    string
		want    []ms
		wantErr string
		line    int
	}{
		{"iso first", "2026-12-15 完成设计", []ms{{"完成设计", sday(2026, 12, 15)}}, "", 0},
		{"name first", "招标 2027/1/8", []ms{{"招标", sday(2027, 1, 8)}}, "", 0},
		{"chinese", "2027年3月1日：开工", []ms{{"开工", sday(2027, 3, 1)}}, "", 0},
		{"no year, still this year", "12-20 验收", []ms{{"验收", sday(2026, 12, 20)}}, "", 0},
		{"no year, next year", "4月1日 完工", []ms{{"完工", sday(2027, 4, 1)}}, "", 0},
		{"today is fine", "11/30 启动", []ms{{"启动", sday(2026, 11, 30)}}, "", 0},
		{"several lines and blanks", "2026-12-01 一\n\n  2026-12-02 二  ", []ms{{"一", sday(2026, 12, 1)}, {"二", sday(2026, 12, 2)}}, "", 0},
		{"no date", "完成设计", nil, "pj_err_milestone_format", 1},
		{"no name", "2026-12-15", nil, "pj_err_milestone_format", 1},
		{"past", "2026-11-29 昨天的事", nil, "pj_err_milestone_past", 1},
		{"no such day", "2026-02-30 二月三十", nil, "pj_err_milestone_date", 1},
		{"bad line second", "2026-12-01 好的\n2026-13-01 坏的", nil, "pj_err_milestone_date", 2},
		{"too long", "2026-12-01 " + repeatRune('长', MaxMilestone+1), nil, "pj_err_milestone_long", 1},
		{"empty", "  \n ", nil, "pj_err_milestone_format", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMilestones(tt.text, today)
			if id := msgID(err); id != tt.wantErr {
				t.Fatalf("ParseMilestones(%q) error %q, want %q", tt.text, id, tt.wantErr)
			}
			if err != nil {
				if line := err.(*Error).Args["Line"]; line != tt.line {
					t.Errorf("error names line %v, want %d", line, tt.line)
				}
				return
			}
			var have []ms
			for _, m := range got {
				have = append(have, ms{m.Name, m.Due})
			}
			if diff := cmp.Diff(tt.want, have); diff != "" {
				t.Errorf("ParseMilestones(%q) (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func repeatRune(r rune, n int) string {
	out := make([]rune, n)
	for i := range out {
		out[i] = r
	}
	return string(out)
}

func testProject() Project {
	return Project{ID: 3, Version: 1, Name: "共富工坊", Lead: 1, Milestones: []Milestone{
		{Name: "设计", Due: sday(2026, 12, 5)}, {Name: "开业", Due: sday(2027, 1, 10)}, {Name: "装修", Due: sday(2026, 12, 20)}}}
}

func TestProjectProgress(t *testing.T) {
	p := testProject()
	if i := p.Next(); i != 0 {
		t.Errorf("Next = %d, want the earliest (0)", i)
	}
	if got := p.Overdue(sday(2026, 12, 5).Add(23 * time.Hour)); len(got) != 0 {
		t.Errorf("overdue on its due day: %v", got)
	}
	if got := p.Overdue(sday(2026, 12, 6)); len(got) != 1 || got[0] != 0 {
		t.Errorf("Overdue the day after = %v", got)
	}
	now := sday(2026, 12, 6).Add(9 * time.Hour)
	p2, es, err := CompleteMilestone(p, 0, "王芳", now)
	if err != nil {
		t.Fatal(err)
	}
	if p.Milestones[0].Done() {
		t.Error("CompleteMilestone changed its input")
	}
	if done, total := p2.Progress(); done != 1 || total != 3 || p2.Version != 2 || p2.Done() || len(es) != 1 || es[0].Milestone != 1 {
		t.Errorf("after one: %d/%d v%d done %v entries %+v", done, total, p2.Version, p2.Done(), es)
	}
	if i := p2.Next(); i != 2 {
		t.Errorf("Next = %d, want 装修 (2), due before 开业", i)
	}
	if _, _, err := CompleteMilestone(p2, 0, "王芳", now); msgID(err) != "pj_err_milestone_done" {
		t.Errorf("done twice: %v", err)
	}
	if _, _, err := CompleteMilestone(p2, 3, "王芳", now); msgID(err) != "pj_err_no_milestone" {
		t.Errorf("out of range: %v", err)
	}
	p3, _, _ := CompleteMilestone(p2, 2, "王芳", now)
	p4, es, err := CompleteMilestone(p3, 1, "李强", now.Add(time.Hour))
	if err != nil || !p4.Done() || !p4.DoneAt.Equal(now.Add(time.Hour)) || len(es) != 2 || es[1].Action != PjComplete || p4.Next() != -1 {
		t.Errorf("last milestone: %v done %v entries %+v", err, p4.Done(), es)
	}
}

func TestValidateProjectAndIDs(t *testing.T) {
	p := testProject()
	p.Desc = "x"
	if err := ValidateProject(&p); err != nil {
		t.Errorf("a good project: %v", err)
	}
	for _, tt := range []struct {
		mod  func(*Project)
		want string
	}{
		{func(p *Project) { p.Name = " " }, "pj_err_name"},
		{func(p *Project) { p.Name = repeatRune('名', MaxProjectName+1) }, "pj_err_name"},
		{func(p *Project) { p.Budget = repeatRune('元', MaxBudget+1) }, "pj_err_budget"},
		{func(p *Project) { p.Milestones = nil }, "pj_err_no_milestones"},
		{func(p *Project) { p.Milestones = make([]Milestone, MaxMilestones+1) }, "pj_err_many_milestones"},
		{func(p *Project) { p.Lead = 0 }, "pj_err_no_lead"},
	} {
		q := testProject()
		tt.mod(&q)
		if got := msgID(ValidateProject(&q)); got != tt.want {
			t.Errorf("ValidateProject = %q, want %q", got, tt.want)
		}
	}
	for in, want := range map[string]int64{"P3": 3, "p3": 3, "#P3": 3, "#3": 3, " 3 ": 3, "x": 0, "P": 0, "-1": 0, "儿童公园": 0} {
		got, ok := ParseProjectID(in)
		if (want == 0 && ok) || (want != 0 && got != want) {
			t.Errorf("ParseProjectID(%q) = %d, %v", in, got, ok)
		}
	}
}
