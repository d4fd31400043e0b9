package digest

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"cadrebot/i18n"
	"cadrebot/units"
)

// VillageRef names a village group.
type VillageRef struct {
	Chat int64
	Name string
}

// League sizes: up to leagueFull villages (or units) are listed in full; a
// longer table shows the top and the bottom leagueEnds, since a leader
// reads it on a phone, and the whole table goes with the digest as a
// workbook.
const (
	leagueFull = 30
	leagueEnds = 10
	oldestOpen = 5
)

// Deployment composes the county leaders' report (the county chat,
// digest_chat_id): the unit report of the whole deployment (Unit), then
// departments ranked by on-time rate. It is Empty when the deployment has
// no village groups and no problems.
func (c *Composer) Deployment(d *Data, t *units.Tree, lang string, m Mode) Report {
	return c.unitReport(d, t, "", lang, m)
}

// Unit composes the report of a unit's leaders' group: one line of totals
// (villages, cadres, check-in rate, problems, resolution rate with its
// trend), the units directly below with theirs, the league table of every
// village below (the top and the bottom when long, the whole table as an
// attached workbook) and the oldest open items. It is Empty when the unit
// has no villages and no problems.
func (c *Composer) Unit(d *Data, t *units.Tree, id, lang string, m Mode) Report {
	return c.unitReport(d, t, id, lang, m)
}

func (c *Composer) unitReport(d *Data, t *units.Tree, id, lang string, m Mode) Report {
	u := d.Unit(t, id, c.Cal)
	if len(u.Villages) == 0 && len(u.Reported) == 0 && len(u.Open) == 0 && len(u.Resolved) == 0 {
		return Report{Empty: true}
	}
	name := c.unitName(lang, u.Unit)
	var lines []string
	add := func(s string) { lines = append(lines, s) }
	add(c.heading(lang, "dg_deploy_title", name, d.Period, m))
	add("")
	add(c.t(lang, "dg_deploy_summary", i18n.Args{"Villages": len(u.Villages), "Cadres": u.Cadres, "Rate": u.Rates.Percent(),
		"Reported": len(u.Reported), "Resolution": u.Fig.ResolutionRate(), "Open": len(u.Open), "Overdue": len(u.Overdue),
		"Satisfaction": u.Fig.SatisfactionRate()}))
	if tr := c.trend(lang, u.Activity); tr != "" {
		add(tr)
	}
	children := RankUnits(d.Children(t, id, c.Cal))
	ranked := rankVillages(u.Villages)
	attach := len(ranked) > leagueFull || len(children) > leagueFull
	if len(children) > 0 {
		add("")
		add(c.t(lang, "dg_units_head"))
		c.league(lang, len(children), attach, add, func(i int) string {
			ch := children[i]
			return c.t(lang, "dg_unit_line", i18n.Args{"N": i + 1, "Name": c.unitName(lang, ch.Unit), "Villages": len(ch.Villages),
				"Rate": ch.Rates.Percent(), "Reported": len(ch.Reported), "Resolution": ch.Fig.ResolutionRate(), "Overdue": len(ch.Overdue)})
		})
	}
	add("")
	add(c.t(lang, "dg_league_head"))
	if len(ranked) == 0 {
		add(c.t(lang, "dg_no_villages"))
	}
	c.league(lang, len(ranked), attach, add, func(i int) string {
		v := ranked[i]
		return c.t(lang, "dg_league_line", i18n.Args{"N": i + 1, "Name": v.Name, "Rate": v.Rates.Percent(),
			"Reported": len(v.Reported), "Resolution": v.Fig.ResolutionRate(), "Satisfaction": v.Fig.SatisfactionRate()})
	})
	if id == "" {
		add("")
		add(c.t(lang, "dg_depts_head"))
		for i, dep := range c.rankDepartments(d) {
			s := d.Support(dep.ID)
			add(c.t(lang, "dg_dept_line", i18n.Args{"N": i + 1, "Name": c.deptName(lang, dep.ID), "OnTime": dep.Work.OnTimeRate(),
				"OnTimeN": dep.Work.OnTime, "OnTimeOf": dep.Work.OnTimeOf, "Queue": len(dep.Queue), "Overdue": len(dep.Overdue),
				"Resolved": len(dep.Resolved), "Satisfaction": dep.Work.SatisfactionRate(), "Supported": len(s.Work),
				"SupportOnTime": s.Figures.OnTimeRate()}))
		}
	}
	c.unitProjectSection(lang, d, t, id, add)
	add("")
	add(c.t(lang, "dg_oldest_head"))
	oldest := d.OldestOpenIn(t, id, oldestOpen)
	if len(oldest) == 0 {
		add(c.t(lang, "dg_oldest_none"))
	}
	for _, p := range oldest {
		add(c.t(lang, "dg_oldest_line", i18n.Args{"ID": p.ID, "Village": p.Village, "Dept": c.deptName(lang, p.Dept),
			"Status": c.t(lang, "pr_status_"+string(p.Status)), "Age": ageDays(p.Created, d.Now), "Text": snippet(p.Text, 30)}))
	}
	rate := func(i int) float64 {
		if r, ok := u.Rates.Days[i].Rate(); ok {
			return r
		}
		return math.NaN()
	}
	rep := Report{Text: strings.Join(lines, "\n"), Chart: c.chartInput(lang, d.Period,
		chartDays(d.Period, c.Cal, rate, u.Reported, u.Resolved))}
	if attach {
		rep.Attachment = c.LeagueTables(d, t, id, lang)
		rep.AttachmentName = c.leagueFile(lang, u.Unit, d.Period)
		rep.AttachmentText = c.t(lang, "dg_attachment_caption", i18n.Args{"Name": name, "Range": i18n.HTML(c.Range(lang, d.Period))})
	}
	return rep
}

// league writes n ranked lines: all of them up to leagueFull, else the
// top and the bottom leagueEnds with a line counting the rest, which the
// attached workbook (or /export) lists.
func (c *Composer) league(lang string, n int, attached bool, add func(string), line func(i int) string) {
	for i := 0; i < n; i++ {
		if n > leagueFull && i == leagueEnds {
			id := "dg_league_gap"
			if attached {
				id = "dg_league_gap_attached"
			}
			add(c.t(lang, id, i18n.Args{"N": n - 2*leagueEnds}))
		}
		if n > leagueFull && i >= leagueEnds && i < n-leagueEnds {
			continue
		}
		add(line(i))
	}
}

// unitName is a unit's name in lang; the root is the deployment.
func (c *Composer) unitName(lang string, u *units.Unit) string {
	if u == nil || u.ID == "" {
		return c.t(lang, "dg_deploy_name")
	}
	return u.Label(lang)
}

// rankVillages orders villages by check-in rate, highest first, then by
// resolution rate; villages without a rate go last. Ratios are compared
// by cross-multiplying, so equal percentages tie.
func rankVillages(vs []Village) []Village {
	out := slices.Clone(vs)
	slices.SortStableFunc(out, func(a, b Village) int {
		if c := cmpRatio(b.Rates.Present, b.Rates.Expected, a.Rates.Present, a.Rates.Expected); c != 0 {
			return c
		}
		if c := cmpRatio(b.Fig.Done, b.Fig.Total, a.Fig.Done, a.Fig.Total); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out
}

// rankDepartments orders configured departments by on-time rate, highest
// first; departments with nothing to judge go last, in config order.
func (c *Composer) rankDepartments(d *Data) []Department {
	out := make([]Department, 0, len(c.Cfg.Departments))
	for _, dep := range c.Cfg.Departments {
		out = append(out, d.Department(dep.ID))
	}
	slices.SortStableFunc(out, func(a, b Department) int {
		return cmpRatio(b.Work.OnTime, b.Work.OnTimeOf, a.Work.OnTime, a.Work.OnTimeOf)
	})
	return out
}

// cmpRatio compares a/b with c/d; a ratio over nothing (b or d zero) is
// lower than any other, so it ranks last.
func cmpRatio(a, b, c, d int) int {
	switch {
	case b <= 0 && d <= 0:
		return 0
	case b <= 0:
		return -1
	case d <= 0:
		return 1
	}
	return cmp.Compare(a*d, c*b)
}
