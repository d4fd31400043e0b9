package attendance

import (
	"cadrebot"
	"cadrebot/calendar"
)

// MemberRate is one member's attendance over a period. Only workdays
// count, and only the days of the member's service: a check-in on a
// weekend or a holiday is recorded but counts for nothing, and a day
// before they joined or after they left is not theirs.
type MemberRate struct {
	Member    cadrebot.Member
	Workdays  int // workdays of the period in the member's service
	Present   int // checked in, or on a business trip (出差)
	CheckedIn int // workdays with a check-in
	Trip      int // 出差 workdays without a check-in (present)
	Leave     int // 请假 workdays without a check-in (left out of the rate)
	Outing    int // 外出 workdays without a check-in (absent)
	Absent    int // workdays neither present nor excused, 外出 included
	OffSite   int // workday check-ins marked off-site
	// InVillage counts the days in service, rest days included, with a
	// check-in not marked off-site: the days actually spent in the
	// village (驻村天数).
	InVillage int
	// OnRoster is false for a member who left the group.
	OnRoster bool
}

// Expected is the rate's denominator: workdays minus days on leave.
func (r MemberRate) Expected() int { return r.Workdays - r.Leave }

// Rate is Present/Expected; ok is false when nothing was expected (a
// period of holidays, or all of it on leave).
func (r MemberRate) Rate() (rate float64, ok bool) { return ratio(r.Present, r.Expected()) }

// Percent is the rate with one decimal, or "—".
func (r MemberRate) Percent() string { return Percent(r.Present, r.Expected()) }

// DayRate is the group's attendance on one day, for charts.
type DayRate struct {
	Date     calendar.Date
	Workday  bool
	Present  int
	Expected int // roster minus members on leave (请假)
}

// Rate is Present/Expected; ok is false on non-workdays and when nobody
// was expected.
func (d DayRate) Rate() (float64, bool) {
	if !d.Workday {
		return 0, false
	}
	return ratio(d.Present, d.Expected)
}

// GroupRate is a group's attendance over a period.
type GroupRate struct {
	Chat     int64
	From, To calendar.Date
	Workdays int
	Members  []MemberRate // in roster order
	Days     []DayRate    // every day of the period, ascending
	Present  int          // sum over members
	Expected int          // sum over members
}

// Rate is the group's rate: all members' present days over all their
// expected days, so a member on leave for the week weighs nothing rather
// than dragging the group down or up.
func (g GroupRate) Rate() (float64, bool) { return ratio(g.Present, g.Expected) }

// Percent is the group rate with one decimal, or "—".
func (g GroupRate) Percent() string { return Percent(g.Present, g.Expected) }

// Rates computes the check-in rate of every cadre who served in the
// period and of the group over [p.From, p.To]. It is the one definition
// of the rate that /today, /stats, the digests and exports share:
// workdays only (China's calendar with 调休 and the deployment's
// overrides), days of the cadre's service only (p.Cadres), 请假 days out
// of the denominator, 出差 counted present, 外出 not present. Callers
// pass a period that ends no later than today: a day to come is not an
// absence.
func Rates(cal *calendar.Calendar, p *Period) GroupRate {
	g := GroupRate{Chat: p.Chat, From: p.From, To: p.To}
	n := calendar.DaysBetween(p.From, p.To) + 1
	if n < 0 {
		n = 0
	}
	g.Days = make([]DayRate, n)
	for i := range g.Days {
		d := p.From.AddDays(i)
		g.Days[i] = DayRate{Date: d, Workday: cal.IsWorkday(d)}
		if g.Days[i].Workday {
			g.Workdays++
		}
	}
	cadres := p.Cadres()
	g.Members = make([]MemberRate, 0, len(cadres))
	for _, c := range cadres {
		mr := memberRate(p.Row(c.Member), c.Member, g.Days, c.Services.Covers)
		mr.OnRoster = c.OnRoster
		g.Present += mr.Present
		g.Expected += mr.Expected()
		g.Members = append(g.Members, mr)
	}
	return g
}

// ServiceRate is a member's attendance over the part of [p.From, p.To]
// that one period of service s covers: a row of the 考核 export.
func ServiceRate(cal *calendar.Calendar, p *Period, m cadrebot.Member, s Service) MemberRate {
	from, to, ok := s.Clip(p.From, p.To)
	if !ok {
		return MemberRate{Member: m}
	}
	days := make([]DayRate, calendar.DaysBetween(from, to)+1)
	for i := range days {
		d := from.AddDays(i)
		days[i] = DayRate{Date: d, Workday: cal.IsWorkday(d)}
	}
	return memberRate(p.Row(m), m, days, s.Covers)
}

// memberRate counts one member over days, the days in service only, and
// adds them to the days' group counts.
func memberRate(row Row, m cadrebot.Member, days []DayRate, serving func(calendar.Date) bool) MemberRate {
	mr := MemberRate{Member: m}
	for i := range days {
		day := &days[i]
		if !serving(day.Date) {
			continue
		}
		if !day.Workday {
			if row.Checked(day.Date) && !row.OffSite(day.Date) {
				mr.InVillage++
			}
			continue
		}
		mr.Workdays++
		st := row.workdayStatus(day.Date)
		checked := st == Present && row.Checked(day.Date)
		switch st {
		case Present:
			mr.Present++
			day.Present++
			day.Expected++
			if checked {
				mr.CheckedIn++
				if row.OffSite(day.Date) {
					mr.OffSite++
				} else {
					mr.InVillage++
				}
			} else {
				mr.Trip++
			}
		case Excused:
			mr.Leave++
		case Absent:
			mr.Absent++
			day.Expected++
			if k, ok := row.Leaves.On(day.Date); ok && k == cadrebot.LeaveOuting {
				mr.Outing++
			}
		}
	}
	return mr
}

func ratio(num, den int) (float64, bool) {
	if den <= 0 {
		return 0, false
	}
	return float64(num) / float64(den), true
}

// Percent formats num/den like every other rate the bot shows
// (cadrebot.Percent): one decimal, never 100% short of complete, "—" over
// nothing, so no digest ever prints NaN%.
func Percent(num, den int) string { return cadrebot.Percent(num, den) }
