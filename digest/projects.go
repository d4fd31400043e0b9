package digest

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"cadrebot"
	"cadrebot/i18n"
	"cadrebot/units"
)

// Village projects in digests and exports. The counts are per village
// (ProjectCountsByVillage) and add up (ProjectCounts.Add), so any
// grouping of villages (a town, a unit of the hierarchy) sums them; the
// leaders' digest groups them with Data.UnitOf.

// nextDays is how far ahead "due next week" looks from a period's end.
const nextDays = 7

// ProjectCounts are a set of projects' figures over a period.
type ProjectCounts struct {
	Active    int // projects not done at the time asked
	Completed int // projects whose last milestone was done in the period
	Done      int // milestones done in the period
	DueNext   int // open milestones due within 7 days after the period
	Overdue   int // open milestones past their due day at the time asked
}

// Add sums o into c.
func (c *ProjectCounts) Add(o ProjectCounts) {
	c.Active += o.Active
	c.Completed += o.Completed
	c.Done += o.Done
	c.DueNext += o.DueNext
	c.Overdue += o.Overdue
}

// Zero reports whether there is nothing to tell.
func (c ProjectCounts) Zero() bool { return c == ProjectCounts{} }

// CountProject is one project's figures over per at now.
func CountProject(p *cadrebot.Project, per Period, now time.Time) ProjectCounts {
	var c ProjectCounts
	if !p.Created.Before(now) {
		return c
	}
	if !p.Done() || p.DoneAt.After(now) {
		c.Active = 1
	}
	if p.Done() && per.Contains(p.DoneAt) {
		c.Completed = 1
	}
	next := nextWindow(per)
	for _, m := range p.Milestones {
		switch {
		case m.Done():
			if per.Contains(m.DoneAt) {
				c.Done++
			}
		case m.Overdue(now):
			c.Overdue++
		case !m.Due.Before(next.from) && m.Due.Before(next.to):
			c.DueNext++
		}
	}
	return c
}

type window struct{ from, to time.Time }

// nextWindow is the 7 days after per: "next week" of a weekly digest.
func nextWindow(per Period) window {
	end := per.End()
	return window{end, end.Add(nextDays * 24 * time.Hour)}
}

// ProjectCountsBy sums projects' figures by key: the village, its town,
// a unit of the hierarchy.
func ProjectCountsBy[K comparable](ps []cadrebot.Project, per Period, now time.Time, key func(*cadrebot.Project) K) map[K]ProjectCounts {
	out := map[K]ProjectCounts{}
	for i := range ps {
		c := CountProject(&ps[i], per, now)
		if c.Zero() {
			continue
		}
		k := key(&ps[i])
		sum := out[k]
		sum.Add(c)
		out[k] = sum
	}
	return out
}

// ProjectCountsByVillage sums projects' figures per village group: what a
// per-unit aggregation adds up.
func ProjectCountsByVillage(ps []cadrebot.Project, per Period, now time.Time) map[int64]ProjectCounts {
	return ProjectCountsBy(ps, per, now, func(p *cadrebot.Project) int64 { return p.VillageChat })
}

// unitOf is the unit a project's village counts under in the leaders'
// digest: Data.UnitOf when the caller knows the villages' units, else
// the town the project recorded, else its village.
func (d *Data) unitOf(p *cadrebot.Project) string {
	if d.UnitOf != nil {
		if u := d.UnitOf(p.VillageChat); u != "" {
			return u
		}
	}
	if p.Town != "" {
		return p.Town
	}
	return p.Village
}

// villageProjectCounts sums a village's projects' figures in d.
func (d *Data) villageProjectCounts(chat int64) ProjectCounts {
	ps := d.villageProjects(chat)
	var sum ProjectCounts
	for i := range ps {
		sum.Add(CountProject(&ps[i], d.Period, d.Now))
	}
	return sum
}

// villageProjects is a village's projects in d.
func (d *Data) villageProjects(chat int64) []cadrebot.Project {
	var out []cadrebot.Project
	for _, p := range d.Projects {
		if p.VillageChat == chat {
			out = append(out, p)
		}
	}
	return out
}

// maxProjectLines bounds each list of the village's project section.
const maxProjectLines = 10

// projectSection writes a village report's project section: the counts,
// then the milestones done, due next week and overdue. Nothing when the
// village has no project to speak of.
func (c *Composer) projectSection(lang string, d *Data, chat int64, add func(string)) {
	sum := d.villageProjectCounts(chat)
	if sum.Zero() {
		return
	}
	ps := d.villageProjects(chat)
	add("")
	add(c.t(lang, "dg_projects_head", i18n.Args{"Active": sum.Active, "Completed": sum.Completed, "Done": sum.Done,
		"DueNext": sum.DueNext, "Overdue": sum.Overdue}))
	next := nextWindow(d.Period)
	type item struct {
		due  time.Time
		line string
	}
	var done, due, late []item
	for _, p := range ps {
		for _, m := range p.Milestones {
			a := i18n.Args{"P": "P" + itoa64(p.ID), "Project": p.Name, "Name": m.Name, "Due": c.shortDay(lang, m.Due, d.Period.Loc)}
			switch {
			case m.Done() && d.Period.Contains(m.DoneAt):
				done = append(done, item{m.DoneAt, c.t(lang, "dg_project_done", a)})
			case m.Done():
			case m.Overdue(d.Now):
				late = append(late, item{m.Due, c.t(lang, "dg_project_overdue", a)})
			case !m.Due.Before(next.from) && m.Due.Before(next.to):
				due = append(due, item{m.Due, c.t(lang, "dg_project_due", a)})
			}
		}
	}
	for _, l := range [][]item{done, due, late} {
		slices.SortStableFunc(l, func(a, b item) int { return a.due.Compare(b.due) })
		for i, it := range l {
			if i == maxProjectLines {
				add(c.t(lang, "dg_more_lines", i18n.Args{"N": len(l) - maxProjectLines}))
				break
			}
			add(it.line)
		}
	}
}

// unitProjectSection writes the leaders' digest's project counts per
// unit (town), units in name order.
func (c *Composer) unitProjectSection(lang string, d *Data, t *units.Tree, id string, add func(string)) {
	ps, under := d.Projects, d.unitOf
	if t != nil {
		// A unit's leaders read the projects of its subtree, counted
		// under the units directly below it.
		if id != "" {
			ps = slices.DeleteFunc(slices.Clone(ps), func(p cadrebot.Project) bool { return !t.Contains(id, p.VillageChat) })
		}
		children := t.Children(id)
		under = func(p *cadrebot.Project) string {
			for _, ch := range children {
				if t.Contains(ch.ID, p.VillageChat) {
					return ch.Label(lang)
				}
			}
			return d.unitOf(p)
		}
	}
	by := ProjectCountsBy(ps, d.Period, d.Now, under)
	if len(by) == 0 {
		return
	}
	names := make([]string, 0, len(by))
	var total ProjectCounts
	for u, n := range by {
		names = append(names, u)
		total.Add(n)
	}
	slices.Sort(names)
	add("")
	add(c.t(lang, "dg_projects_units_head", i18n.Args{"Active": total.Active, "Completed": total.Completed, "Done": total.Done,
		"DueNext": total.DueNext, "Overdue": total.Overdue}))
	for _, u := range names {
		n := by[u]
		add(c.t(lang, "dg_projects_unit", i18n.Args{"Unit": u, "Active": n.Active, "Completed": n.Completed, "Done": n.Done,
			"DueNext": n.DueNext, "Overdue": n.Overdue}))
	}
}

// shortDay is a date as "12/5".
func (c *Composer) shortDay(lang string, t time.Time, loc *time.Location) string {
	t = t.In(loc)
	return c.t(lang, "dg_short_date", i18n.Args{"M": int(t.Month()), "D": t.Day()})
}

func itoa64(n int64) string { return strconv.FormatInt(n, 10) }

// projectTable is the export's 项目 sheet: every project of the villages
// in scope that was open at some time in the range, with its milestones
// and progress notes, one per row. Photos are named by their Telegram
// file_id: the export downloads nothing, and a file_id is what
// getFile needs to fetch one.
func (c *Composer) projectTable(x *ExportData, lang string) Table {
	t := Table{Name: plain(c.t(lang, "xl_sheet_projects")), File: "projects.csv",
		Header: c.header(lang, "project", "village", "village_chat", "project_name", "project_desc", "lead", "lead_id", "budget",
			"project_status", "created", "creator", "milestones", "milestones_done", "milestones_overdue", "next_milestone", "next_due",
			"completed_at", "milestone_list", "progress_notes", "progress", "photo_files"),
		Widths: []float64{7, 12, 16, 24, 40, 10, 12, 12, 9, 17, 10, 8, 8, 8, 20, 11, 17, 50, 8, 60, 40}}
	loc := x.Period.Loc
	for i := range x.Projects {
		p := &x.Projects[i]
		if !p.Created.Before(x.Period.End()) || (p.Done() && p.DoneAt.Before(x.Period.Start())) {
			continue
		}
		done, total := p.Progress()
		status := plain(c.t(lang, "pj_status_active"))
		if p.Done() {
			status = plain(c.t(lang, "pj_status_done"))
		}
		next, nextDue := "", ""
		if j := p.Next(); j >= 0 {
			next, nextDue = p.Milestones[j].Name, p.Milestones[j].Due.In(loc).Format("2006-01-02")
		}
		ms := make([]string, 0, len(p.Milestones))
		for _, m := range p.Milestones {
			s := m.Due.In(loc).Format("2006-01-02") + " " + m.Name
			switch {
			case m.Done():
				s += " · " + plain(c.t(lang, "xl_ms_done", i18n.Args{"At": c.stamp(m.DoneAt, loc), "By": m.DoneBy}))
			case m.Overdue(x.Now):
				s += " · " + plain(c.t(lang, "xl_ms_overdue"))
			}
			ms = append(ms, s)
		}
		var notes, files []string
		n := 0
		for _, e := range x.ProjectHistory[p.ID] {
			if e.Action != cadrebot.PjNote {
				continue
			}
			n++
			s := c.stamp(e.At, loc) + " " + e.Name + "：" + e.Note
			if len(e.Photos) > 0 {
				s += " " + plain(c.t(lang, "xl_photos", i18n.Args{"N": len(e.Photos)}))
				files = append(files, e.Photos...)
			}
			notes = append(notes, s)
		}
		t.Rows = append(t.Rows, []any{"P" + itoa64(p.ID), p.Village, p.VillageChat, p.Name, p.Desc, p.LeadName, p.Lead, p.Budget,
			status, c.stamp(p.Created, loc), p.CreatorName, total, done, len(p.Overdue(x.Now)), next, nextDue,
			c.stamp(p.DoneAt, loc), strings.Join(ms, "\n"), n, strings.Join(notes, "\n"), strings.Join(files, "\n")})
	}
	return t
}
