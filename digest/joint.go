package digest

import (
	"strings"

	"cadrebot"
	"cadrebot/i18n"
)

// Joint handling and satisfaction in digests and exports: what a
// department supported (协办) beside what it led (主办), and the
// satisfaction rate (满意率) beside the resolution rate. The rates
// themselves are cadrebot.Figures', so every report agrees.

// Support is what a department supported over a period.
type Support struct {
	// Work is the problems it supported that were resolved in the period
	// or are still held: the on-time rate of joint work, judged like the
	// lead's (Department.Work) by the problem's own deadline.
	Work    Set
	Figures cadrebot.Figures
	// Active of them are still held; Noted of them got a progress note
	// from the department: whether it did its part.
	Active, Noted int
}

// Support computes department id's supported work in d.
func (d *Data) Support(id string) Support {
	var s Support
	for i := range d.Problems {
		p := &d.Problems[i]
		if !p.Supports(id) {
			continue
		}
		held := p.Status.Held() && p.Created.Before(d.Now)
		if !held && !resolvedIn(p, d.Period) {
			continue
		}
		s.Work = append(s.Work, p)
		if held {
			s.Active++
		}
		if _, ok := p.Noted(id); ok {
			s.Noted++
		}
	}
	byID(s.Work)
	s.Figures = s.Work.Figures(d.Now)
	return s
}

// supportLine is a department report's line on its joint work, "" when
// it supported nothing in the period.
func (c *Composer) supportLine(lang string, s Support) string {
	if len(s.Work) == 0 {
		return ""
	}
	return c.t(lang, "dg_dept_support", i18n.Args{"N": len(s.Work), "Active": s.Active, "Noted": s.Noted,
		"OnTime": s.Figures.OnTimeRate(), "OnTimeN": s.Figures.OnTime, "OnTimeOf": s.Figures.OnTimeOf})
}

// satisfaction renders 满意率 with its counts, for the lines that show it
// beside 办结率.
func (c *Composer) satisfaction(lang string, f cadrebot.Figures) string {
	return c.t(lang, "dg_satisfaction", i18n.Args{"Rate": f.SatisfactionRate(), "Satisfied": f.Satisfied, "Rated": f.Rated})
}

// departmentTable is the export's 部门 sheet: for each department the
// problems reported in the range that it led, with their resolution,
// on-time and satisfaction rates, and those it supported, with their
// on-time rate and how many it reported progress on.
func (c *Composer) departmentTable(x *ExportData, lang string) Table {
	t := Table{Name: plain(c.t(lang, "xl_sheet_depts")), File: "departments.csv",
		Header: c.header(lang, "dept", "dept_id", "led", "led_done", "resolution_rate", "on_time_rate", "satisfaction_rate",
			"rated", "supported", "supported_done", "supported_on_time_rate", "supported_noted"),
		Widths: []float64{16, 12, 8, 8, 9, 9, 9, 8, 8, 8, 9, 9}}
	for _, dep := range c.Cfg.Departments {
		var led, sup []cadrebot.Problem
		noted := 0
		for _, p := range x.Problems {
			if p.Dept == dep.ID {
				led = append(led, p)
			}
			if p.Supports(dep.ID) {
				sup = append(sup, p)
				if _, ok := p.Noted(dep.ID); ok {
					noted++
				}
			}
		}
		f, s := cadrebot.ComputeFigures(led, x.Now), cadrebot.ComputeFigures(sup, x.Now)
		t.Rows = append(t.Rows, []any{c.deptName(lang, dep.ID), dep.ID, f.Total, f.Done, pct(f.Done, f.Total),
			pct(f.OnTime, f.OnTimeOf), pct(f.Satisfied, f.Rated), f.Rated, s.Total, s.Done, pct(s.OnTime, s.OnTimeOf), noted})
	}
	return t
}

// problemJointCols are the Problems sheet's columns on joint handling,
// evidence and satisfaction, after its own.
var problemJointCols = []string{"support", "support_noted", "rating", "rated_by", "rated_at", "photo_files", "resolution_photo_files"}

// problemJoint is a problem's cells for problemJointCols. Photos are
// named by file_id, one per line.
func (c *Composer) problemJoint(lang string, p *cadrebot.Problem, x *ExportData) []any {
	var sup, noted []string
	for _, d := range p.Support {
		sup = append(sup, c.deptName(lang, d))
		if _, ok := p.Noted(d); ok {
			noted = append(noted, c.deptName(lang, d))
		}
	}
	rating := ""
	if p.Rating.Valid() {
		rating = plain(c.t(lang, "pr_rating_"+string(p.Rating)))
	}
	sep := plain(c.t(lang, "pr_list_sep"))
	return []any{strings.Join(sup, sep), strings.Join(noted, sep), rating, p.RatedBy, c.stamp(p.RatedAt, x.Period.Loc),
		strings.Join(p.Photos, "\n"), strings.Join(p.ResolutionPhotos, "\n")}
}
