package digest

import (
	"math"
	"slices"
	"strings"

	"cadrebot/i18n"
)

// VillageRef names a village group.
type VillageRef struct {
	Chat int64
	Name string
}

// League sizes: up to leagueFull villages are listed in full; a longer
// table shows the top and the bottom leagueEnds, since a county leader
// reads it on a phone and the full table is in /export.
const (
	leagueFull = 30
	leagueEnds = 10
	oldestOpen = 5
)

// Deployment composes the county leaders' report: the league table of
// villages (check-in rate, problems reported, resolution rate),
// departments ranked by on-time rate and the oldest open items. It is
// Empty when the deployment has no village groups and no problems.
func (c *Composer) Deployment(d *Data, villages []VillageRef, lang string, m Mode) Report {
	all := d.Deployment()
	if len(villages) == 0 && len(all.Reported) == 0 && len(all.Open) == 0 && len(all.Resolved) == 0 {
		return Report{Empty: true}
	}
	vs, total := d.Villages(villages, c.Cal)
	days := total.Days
	var lines []string
	add := func(s string) { lines = append(lines, s) }
	add(c.heading(lang, "dg_deploy_title", c.t(lang, "dg_deploy_name"), d.Period, m))
	add("")
	add(c.t(lang, "dg_deploy_summary", i18n.Args{"Villages": len(villages), "Rate": total.Percent(),
		"Reported": len(all.Reported), "Resolution": all.Fig.ResolutionRate(), "Open": len(all.Open), "Overdue": len(all.Overdue)}))
	if tr := c.trend(lang, all); tr != "" {
		add(tr)
	}
	add("")
	add(c.t(lang, "dg_league_head"))
	if len(vs) == 0 {
		add(c.t(lang, "dg_no_villages"))
	}
	ranked := rankVillages(vs)
	for i, v := range ranked {
		if len(ranked) > leagueFull && i == leagueEnds {
			add(c.t(lang, "dg_league_gap", i18n.Args{"N": len(ranked) - 2*leagueEnds}))
		}
		if len(ranked) > leagueFull && i >= leagueEnds && i < len(ranked)-leagueEnds {
			continue
		}
		add(c.t(lang, "dg_league_line", i18n.Args{"N": i + 1, "Name": v.Name, "Rate": v.Rates.Percent(),
			"Reported": len(v.Reported), "Resolution": v.Fig.ResolutionRate()}))
	}
	add("")
	add(c.t(lang, "dg_depts_head"))
	for i, dep := range c.rankDepartments(d) {
		add(c.t(lang, "dg_dept_line", i18n.Args{"N": i + 1, "Name": c.deptName(lang, dep.ID), "OnTime": dep.Work.OnTimeRate(),
			"OnTimeN": dep.Work.OnTime, "OnTimeOf": dep.Work.OnTimeOf, "Queue": len(dep.Queue), "Overdue": len(dep.Overdue),
			"Resolved": len(dep.Resolved)}))
	}
	add("")
	add(c.t(lang, "dg_oldest_head"))
	oldest := d.OldestOpen(oldestOpen)
	if len(oldest) == 0 {
		add(c.t(lang, "dg_oldest_none"))
	}
	for _, p := range oldest {
		add(c.t(lang, "dg_oldest_line", i18n.Args{"ID": p.ID, "Village": p.Village, "Dept": c.deptName(lang, p.Dept),
			"Status": c.t(lang, "pr_status_"+string(p.Status)), "Age": ageDays(p.Created, d.Now), "Text": snippet(p.Text, 30)}))
	}
	rate := func(i int) float64 {
		if r, ok := days[i].Rate(); ok {
			return r
		}
		return math.NaN()
	}
	return Report{Text: strings.Join(lines, "\n"), Chart: c.chartInput(lang, d.Period,
		chartDays(d.Period, c.Cal, rate, all.Reported, all.Resolved))}
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
	l, r := a*d, c*b
	switch {
	case l < r:
		return -1
	case l > r:
		return 1
	}
	return 0
}
