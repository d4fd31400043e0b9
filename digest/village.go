package digest

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"cadrebot/attendance"
	"cadrebot/i18n"
)

// VillageName is how reports name a village group: its village, or the
// chat title before /setup.
func VillageName(village, title string) string {
	if village != "" {
		return village
	}
	return title
}

// Village composes a village group's report: attendance per member,
// lowest first, off-site check-ins, the problems reported, resolved, open
// and overdue, and the resolution rate with its trend. It is Empty when
// the group has no roster and no problem activity at all.
func (c *Composer) Village(d *Data, chat int64, name, lang string, m Mode) Report {
	v := d.Village(chat, name, c.Cal)
	if !v.Roster && len(v.Reported) == 0 && len(v.Resolved) == 0 && len(v.Open) == 0 && d.villageProjectCounts(chat).Zero() {
		return Report{Empty: true}
	}
	var lines []string
	add := func(s string) { lines = append(lines, s) }
	add(c.heading(lang, "dg_village_title", name, d.Period, m))
	add("")
	c.attendance(lang, d.Period, v, add)
	add("")
	add(c.t(lang, "dg_problems_head", i18n.Args{"Reported": len(v.Reported), "Resolved": len(v.Resolved),
		"Open": len(v.Open), "Overdue": len(v.Overdue)}))
	for _, l := range []struct {
		id  string
		set Set
	}{{"dg_list_reported", v.Reported}, {"dg_list_resolved", v.Resolved}, {"dg_list_open", v.Open}, {"dg_list_overdue", v.Overdue}} {
		if len(l.set) > 0 {
			add(c.t(lang, l.id, i18n.Args{"IDs": c.ids(lang, l.set)}))
		}
	}
	add(c.resolution(lang, v.Activity))
	c.projectSection(lang, d, chat, add)
	rate := func(i int) float64 {
		if r, ok := v.Rates.Days[i].Rate(); ok {
			return r
		}
		return math.NaN()
	}
	return Report{Text: strings.Join(lines, "\n"), Chart: c.chartInput(lang, d.Period,
		chartDays(d.Period, c.Cal, rate, v.Reported, v.Resolved))}
}

// attendance writes the check-in part of a village report.
func (c *Composer) attendance(lang string, p Period, v Village, add func(string)) {
	g := v.Rates
	switch {
	case !v.Roster:
		add(c.t(lang, "dg_no_roster"))
		return
	case g.Workdays == 0:
		add(c.t(lang, "dg_no_workdays", i18n.Args{"Holidays": c.holidays(p)}))
		return
	}
	add(c.t(lang, "dg_checkin_rate", i18n.Args{"Rate": g.Percent(), "Workdays": g.Workdays}))
	if h := c.holidays(p); h != "" {
		add(c.t(lang, "dg_holidays", i18n.Args{"Names": h}))
	}
	if g.Expected == 0 {
		add(c.t(lang, "dg_all_leave"))
	}
	add(c.t(lang, "dg_members_head"))
	for i, mr := range lowestFirst(g.Members) {
		var extra strings.Builder
		for _, x := range []struct {
			id string
			n  int
		}{{"dg_member_leave", mr.Leave}, {"dg_member_trip", mr.Trip}, {"dg_member_outing", mr.Outing}, {"dg_member_offsite", mr.OffSite}} {
			if x.n > 0 {
				extra.WriteString(c.t(lang, x.id, i18n.Args{"N": x.n}))
			}
		}
		add(c.t(lang, "dg_member_line", i18n.Args{"N": i + 1, "Name": mr.Member.Name, "Rate": mr.Percent(),
			"Present": mr.Present, "Expected": mr.Expected(), "Extra": i18n.HTML(extra.String())}))
	}
	var off []string
	for _, mr := range g.Members {
		if mr.OffSite == 0 {
			continue
		}
		var ds []string
		row := v.rowOf(mr)
		for _, day := range g.Days {
			if day.Workday && row.Checked(day.Date) && row.OffSite(day.Date) {
				ds = append(ds, c.shortDate(lang, day.Date))
			}
		}
		off = append(off, c.t(lang, "dg_offsite_item", i18n.Args{"Name": mr.Member.Name, "Days": strings.Join(ds, ", ")}))
	}
	if len(off) == 0 {
		add(c.t(lang, "dg_offsite_none"))
	} else {
		add(c.t(lang, "dg_offsite_head", i18n.Args{"N": sumOffsite(g.Members), "List": i18n.HTML(strings.Join(off, c.t(lang, "dg_list_sep")))}))
	}
}

func sumOffsite(ms []attendance.MemberRate) int {
	n := 0
	for _, m := range ms {
		n += m.OffSite
	}
	return n
}

// lowestFirst orders members by check-in rate, lowest first; members with
// no rate (on leave all period) come last, then roster order.
func lowestFirst(ms []attendance.MemberRate) []attendance.MemberRate {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b attendance.MemberRate) int {
		_, oka := a.Rate()
		_, okb := b.Rate()
		switch {
		case oka != okb:
			if oka {
				return -1
			}
			return 1
		case !oka:
			return 0
		}
		// Cross-multiplied so that equal percentages sort as equal.
		return cmp.Compare(a.Present*b.Expected(), b.Present*a.Expected())
	})
	return out
}

func (v Village) rowOf(mr attendance.MemberRate) attendance.Row {
	if v.period == nil {
		return attendance.Row{}
	}
	return v.period.Row(mr.Member)
}
